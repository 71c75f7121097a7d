//! `expect: {tls: {...}}`: what a TLS session must look like, and which steps may ask.

use super::context::{Cx, VarScope, get};
use super::node::{Key, Node, Value};
use super::pattern::load_regex;
use crate::duration::{DURATION_HELP, DurationError, parse_duration_within};
use crate::model::{Span, TlsExpect, TlsVersion, Validity};

pub(crate) const TLS_EXPECT_KEYS: &[&str] = &["version", "cipher", "cert"];
pub(crate) const CERT_EXPECT_KEYS: &[&str] = &[
    "names_include",
    "subject_matches",
    "issuer_matches",
    "valid_for_at_least",
];

/// The most a `valid_for_at_least` may ask: ten years.
const MAX_VALIDITY_DAYS: u64 = 3650;

pub(crate) fn load_tls_expect(
    cx: &mut Cx<'_>,
    key: &Key,
    node: &Node,
    scope: &VarScope<'_>,
) -> Option<TlsExpect> {
    let entries = cx.map(node, "`tls`")?;
    let before = cx.diags.len();
    cx.check_keys(entries, TLS_EXPECT_KEYS, "in `tls`");
    let mut out = TlsExpect {
        span: Span {
            line: key.pos.line,
            col: key.pos.col,
        },
        ..TlsExpect::default()
    };
    if let Some(n) = get(entries, "version") {
        out.versions = load_versions(cx, n);
    }
    if let Some(n) = get(entries, "cipher") {
        out.cipher = load_regex(cx, n, "`cipher`");
    }
    if let Some(cert) = get(entries, "cert").and_then(|n| cx.map(n, "`cert`")) {
        cx.check_keys(cert, CERT_EXPECT_KEYS, "in `cert`");
        if let Some(n) = get(cert, "names_include") {
            let list: Vec<&Node> = match &n.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![n],
            };
            for item in list {
                if let Some(t) = cx.template_in(item, "a name", scope) {
                    out.names_include.push(t);
                }
            }
        }
        if let Some(n) = get(cert, "subject_matches") {
            out.subject_matches = load_regex(cx, n, "`subject_matches`");
        }
        if let Some(n) = get(cert, "issuer_matches") {
            out.issuer_matches = load_regex(cx, n, "`issuer_matches`");
        }
        if let Some(n) = get(cert, "valid_for_at_least") {
            out.valid_for_at_least = load_validity(cx, n);
        }
    }
    (cx.diags.len() == before).then_some(out)
}

fn load_versions(cx: &mut Cx<'_>, node: &Node) -> Vec<TlsVersion> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    if items.is_empty() {
        cx.error(
            node,
            "an empty list of TLS versions matches nothing",
            Some("list at least one, like `[TLSv1.3]`".into()),
        );
    }
    let mut out = Vec::new();
    for item in items {
        let Some(text) = cx.text(item, "a TLS version") else {
            continue;
        };
        match TlsVersion::parse(&text) {
            Some(v) => out.push(v),
            None => cx.error(
                item,
                format!("invalid TLS version `{text}`"),
                Some("write `TLSv1.2` or `TLSv1.3` (smtp-plan cannot speak TLS 1.0 or 1.1)".into()),
            ),
        }
    }
    out
}

/// `30d`, `12h`, `1.5h`, `3600s`: how long the certificate must stay valid (a duration as
/// everywhere, up to ten years).
fn load_validity(cx: &mut Cx<'_>, node: &Node) -> Option<Validity> {
    let text = cx.text(node, "`valid_for_at_least`")?;
    let max = std::time::Duration::from_secs(MAX_VALIDITY_DAYS * 86_400);
    match parse_duration_within(&text, max) {
        Ok(d) => Some(Validity {
            seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        }),
        Err(DurationError::NoUnit) => {
            cx.error(
                node,
                format!("`valid_for_at_least` needs a unit: `{text}` is ambiguous"),
                Some(format!("did you mean `{}d`?", text.trim())),
            );
            None
        }
        Err(e @ DurationError::Invalid) => {
            cx.error(
                node,
                format!("`valid_for_at_least` `{text}` {e}"),
                Some(DURATION_HELP.into()),
            );
            None
        }
        Err(e @ DurationError::TooLong { .. }) => {
            cx.error(node, format!("`valid_for_at_least` `{text}` {e}"), None);
            None
        }
    }
}

/// Follows, step by step, whether the connection uses TLS, for `${tls.*}` and `tls:`.
pub(crate) struct TlsState {
    active: bool,
}

impl TlsState {
    pub fn new(implicit: bool) -> Self {
        Self { active: implicit }
    }

    /// Add (or remove) the `${tls.*}` variables for the next step.
    pub fn define_vars(&self, known: &mut std::collections::BTreeSet<String>) {
        for name in crate::model::TLS_VARS {
            if self.active {
                known.insert((*name).to_owned());
            } else {
                known.remove(*name);
            }
        }
    }

    /// A `tls:` expectation needs a TLS connection, or the `starttls` step itself.
    pub fn check_step(&self, cx: &mut Cx<'_>, step: &crate::model::Step) {
        let Some(want) = &step.expect.tls else {
            return;
        };
        if self.active || matches!(step.action, crate::model::Action::StartTls(_)) {
            return;
        }
        cx.error_at(
            want.span.line,
            want.span.col,
            3,
            "`tls` expectations need a TLS connection, and this step runs in plaintext",
            Some(
                "put them on the `starttls` step, on a later step, or on the greeting of a `tls: implicit` connection"
                    .into(),
            ),
        );
    }

    pub fn after(&mut self, step: &crate::model::Step, target: &crate::model::Target) {
        match &step.action {
            crate::model::Action::StartTls(_) => self.active = true,
            crate::model::Action::Connect(spec) => {
                self.active = spec.tls.unwrap_or(target.tls) == crate::model::TlsMode::Implicit;
            }
            _ => {}
        }
    }

    /// A step that did not load: a `starttls` is still taken as one, so its later uses of
    /// `${tls.*}` are not reported too.
    pub fn after_broken(&mut self, node: &Node) {
        let is_starttls = match &node.value {
            Value::Str(s) => s == "starttls",
            Value::Map(entries) => entries.iter().any(|(k, _)| k.name == "starttls"),
            _ => false,
        };
        if is_starttls {
            self.active = true;
        }
    }
}
