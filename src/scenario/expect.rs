//! `expect:` in all its forms, and the default expectation of each step.

use std::sync::{Arc, Mutex};

use regex::Regex;

use super::context::{Cx, VarScope, get};
use super::fails::load_fails;
use super::node::{Node, Value};
use super::pattern::{load_regex, refuse_checks_nothing, refuse_empty};
use super::tls_expect::load_tls_expect;
use super::vars::check_var_key;
use crate::model::{Action, CapabilityReq, CodePattern, EnhancedPattern, Expect};

pub(crate) const EXPECT_KEYS: &[&str] = &[
    "code",
    "enhanced",
    "matches",
    "contains",
    "not_matches",
    "capabilities",
    "lacks",
    "capture",
    "tls",
    "within",
    "fails",
    "per_recipient",
];

/// An `expect:` as loaded: the expectation (None if it had problems, all reported) and the
/// names it captures (kept even then, so later steps do not report them as undefined).
pub(crate) struct LoadedExpect {
    pub expect: Option<Expect>,
    pub captures: Vec<String>,
}

pub(crate) fn load_expect(cx: &mut Cx<'_>, node: &Node, scope: &VarScope<'_>) -> LoadedExpect {
    let entries = match &node.value {
        Value::Map(entries) => entries,
        _ => {
            let expect = load_codes(cx, node).map(|codes| Expect {
                codes,
                ..Expect::default()
            });
            return LoadedExpect {
                expect,
                captures: Vec::new(),
            };
        }
    };
    let before = cx.diags.len();
    cx.check_keys(entries, EXPECT_KEYS, "in `expect`");
    let mut expect = Expect::default();
    if let Some(code) = get(entries, "code") {
        expect.codes = load_codes(cx, code).unwrap_or_default();
    }
    if let Some(enhanced) = get(entries, "enhanced") {
        expect.enhanced = load_enhanced(cx, enhanced);
    }
    if let Some(n) = get(entries, "matches")
        && !refuse_empty(cx, n, "matches")
    {
        expect.matches = load_regex(cx, n, "`matches`");
    }
    if let Some(n) = get(entries, "not_matches")
        && !refuse_empty(cx, n, "not_matches")
    {
        expect.not_matches = load_regex(cx, n, "`not_matches`");
    }
    if let Some(n) = get(entries, "contains")
        && !refuse_empty(cx, n, "contains")
    {
        expect.contains = cx.template_in(n, "`contains`", scope);
    }
    if let Some(n) = get(entries, "capabilities")
        && !refuse_checks_nothing(
            cx,
            n,
            "capabilities",
            "list the EHLO keywords the reply must have, or leave the key out",
        )
    {
        expect.capabilities = load_capabilities(cx, n, "`capabilities`");
    }
    if let Some(n) = get(entries, "lacks")
        && !refuse_checks_nothing(
            cx,
            n,
            "lacks",
            "list the EHLO keywords the reply must not have, or leave the key out",
        )
    {
        expect.lacks = load_capabilities(cx, n, "`lacks`");
    }
    let mut captures = Vec::new();
    if let Some(n) = get(entries, "capture")
        && !refuse_checks_nothing(
            cx,
            n,
            "capture",
            "name a variable and its regex, `capture: {id: 'queued as (\\w+)'}`, or leave the key out",
        )
    {
        expect.capture = load_captures(cx, n, &mut captures);
    }
    if let Some(n) = get(entries, "within") {
        expect.within = cx.duration(n, "`within`");
        if expect.within.is_some_and(|d| d.is_zero()) {
            cx.error(n, "`within` must be more than zero", None);
        }
    }
    if let Some((key, n)) = entries.iter().find(|(k, _)| k.name == "tls") {
        expect.tls = load_tls_expect(cx, key, n, scope).map(Box::new);
    }
    if let Some(n) = get(entries, "per_recipient")
        && !refuse_checks_nothing(
            cx,
            n,
            "per_recipient",
            "give one expectation per accepted recipient, or leave the key out",
        )
        && let Some(items) = cx.list(n, "`per_recipient`")
    {
        for item in items {
            let loaded = load_expect(cx, item, scope);
            captures.extend(loaded.captures);
            if let Some(mut e) = loaded.expect {
                if e.codes.is_empty() && e.fails.is_empty() {
                    e.codes = vec![CodePattern::exact(250)];
                }
                expect.per_recipient.push(e);
            }
        }
    }
    if let Some(n) = get(entries, "fails") {
        if let Some((other, _)) = entries.iter().find(|(k, _)| k.name != "fails") {
            cx.error_key(
                other,
                format!("`{}` cannot go with `fails` in one `expect`", other.name),
                Some(format!(
                    "a step that fails as expected gets no reply to check; drop `{}`, or drop `fails`",
                    other.name
                )),
            );
        }
        expect.fails = load_fails(cx, n);
    }
    LoadedExpect {
        expect: (cx.diags.len() == before).then_some(expect),
        captures,
    }
}

/// What a step expects when its `expect:` is omitted.
pub(crate) fn default_expect(action: &Action) -> Arc<Expect> {
    let codes = match action {
        Action::Ehlo(_)
        | Action::EhloFallback(_)
        | Action::Helo(_)
        | Action::Lhlo(_)
        | Action::MailFrom(_)
        | Action::Data(_)
        | Action::Bdat(_)
        | Action::Rset
        | Action::Noop => vec![CodePattern::exact(250)],
        Action::StartTls(_) | Action::Xclient(_) => vec![CodePattern::exact(220)],
        Action::Xforward(_) => vec![CodePattern::exact(250)],
        Action::Auth(_) => vec![CodePattern::exact(235)],
        Action::RcptTo(_) | Action::RcptToMany(_) => {
            vec![CodePattern::exact(250), CodePattern::exact(251)]
        }
        // RFC 1985: 250 queuing started, 251 nothing queued, 252/253 pending messages.
        Action::Etrn(_) => vec![CodePattern {
            digits: [Some(2), Some(5), None],
        }],
        Action::Help(_) => vec![CodePattern::exact(211), CodePattern::exact(214)],
        Action::Quit => vec![CodePattern::exact(221)],
        // Any reply (send, vrfy), or no reply at all (sleep, expect_close, connect);
        // `Read` always has an explicit expectation.
        Action::Read
        | Action::Send(_)
        | Action::Vrfy(_)
        | Action::Expn(_)
        | Action::Pipeline(_)
        | Action::Sleep(_)
        | Action::ExpectClose
        | Action::Connect(_)
        | Action::Mailbox(_) => Vec::new(),
    };
    // A handful of distinct values, made once each.
    static SHARED: Mutex<Vec<Arc<Expect>>> = Mutex::new(Vec::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = shared.iter().find(|e| e.codes == codes) {
        return Arc::clone(e);
    }
    let made = Arc::new(Expect {
        codes,
        ..Expect::default()
    });
    shared.push(Arc::clone(&made));
    made
}

fn load_codes(cx: &mut Cx<'_>, node: &Node) -> Option<Vec<CodePattern>> {
    match &node.value {
        Value::Seq(items) => {
            if items.is_empty() {
                cx.error(
                    node,
                    "an empty list of reply codes matches nothing",
                    Some("list at least one code, like `[250, 251]`".into()),
                );
                return None;
            }
            let codes: Vec<Option<CodePattern>> = items.iter().map(|i| load_code(cx, i)).collect();
            codes.into_iter().collect()
        }
        _ => load_code(cx, node).map(|c| vec![c]),
    }
}

fn load_code(cx: &mut Cx<'_>, node: &Node) -> Option<CodePattern> {
    let help = || {
        Some(
            "write a code like `250`, a class like `\"2xx\"` or `\"25x\"`, or a list of them"
                .into(),
        )
    };
    let text = match &node.value {
        Value::Int(_) | Value::Str(_) | Value::Float(_) => node.scalar_text(cx.source),
        _ => None,
    };
    let Some(text) = text else {
        cx.error(
            node,
            format!(
                "a reply code must be a number or a class like \"2xx\", found {}",
                node.kind()
            ),
            help(),
        );
        return None;
    };
    let pattern = parse_code_pattern(&text);
    if pattern.is_none() {
        cx.error(node, format!("invalid reply code `{text}`"), help());
    }
    pattern
}

/// `250` (200-599), or a class: `2xx`, `25x` (x = any digit; the first digit is 2-5).
pub(crate) fn parse_code_pattern(text: &str) -> Option<CodePattern> {
    let bytes = text.trim().as_bytes();
    let [first, second, third] = bytes else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| b - b'0');
    let any = |b: u8| matches!(b, b'x' | b'X');
    let first = digit(*first).filter(|d| (2..=5).contains(d))?;
    let mut digits = [Some(first), None, None];
    for (slot, b) in digits.iter_mut().skip(1).zip([*second, *third]) {
        *slot = match digit(b) {
            Some(d) => Some(d),
            None if any(b) => None,
            None => return None,
        };
    }
    Some(CodePattern { digits })
}

fn load_enhanced(cx: &mut Cx<'_>, node: &Node) -> Option<EnhancedPattern> {
    let text = cx.text(node, "`enhanced`")?;
    let pattern = parse_enhanced_pattern(&text);
    if pattern.is_none() {
        cx.error(
            node,
            format!("invalid enhanced status code `{text}`"),
            Some("write class.subject.detail, like `2.1.5`, `5.7.139` or `5.x.x`".into()),
        );
    }
    pattern
}

/// `2.7.0`, `5.7.139`, `5.x.x`: class 2, 4 or 5; subject and detail 1-3 digits; any part `x`.
pub(crate) fn parse_enhanced_pattern(text: &str) -> Option<EnhancedPattern> {
    let mut parts = text.trim().split('.');
    let (c, s, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    fn part(p: &str, max_len: usize) -> Option<Option<u16>> {
        if p.eq_ignore_ascii_case("x") {
            return Some(None);
        }
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok().map(Some)
    }
    let class = match part(c, 1)? {
        Some(c @ (2 | 4 | 5)) => Some(u8::try_from(c).ok()?),
        Some(_) => return None,
        None => None,
    };
    Some(EnhancedPattern {
        class,
        subject: part(s, 3)?,
        detail: part(d, 3)?,
    })
}

fn load_capabilities(cx: &mut Cx<'_>, node: &Node, what: &str) -> Vec<CapabilityReq> {
    let Some(items) = cx.list(node, what) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let Some(text) = cx.text(item, "a capability") else {
            continue;
        };
        match parse_capability(&text) {
            Some(req) => out.push(req),
            None => cx.error(
                item,
                format!("invalid capability `{text}`"),
                Some(
                    "write an EHLO keyword, optionally with one parameter: `STARTTLS`, `AUTH LOGIN`"
                        .into(),
                ),
            ),
        }
    }
    out
}

/// `STARTTLS` or `AUTH LOGIN`: a keyword (letters, digits, `-`) and at most one parameter;
/// stored uppercase.
pub(crate) fn parse_capability(text: &str) -> Option<CapabilityReq> {
    let mut words = text.split_whitespace();
    let keyword = words.next()?;
    let param = words.next();
    if words.next().is_some() {
        return None;
    }
    let keyword_ok = keyword.starts_with(|c: char| c.is_ascii_alphanumeric())
        && keyword
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !keyword_ok || param.is_some_and(|p| p.chars().any(|c| c.is_control() || c == '=')) {
        return None;
    }
    Some(CapabilityReq {
        keyword: keyword.to_ascii_uppercase(),
        param: param.map(str::to_ascii_uppercase),
    })
}

/// `capture: {NAME: REGEX, ...}`: each name with its pattern. A valid name goes into `names`
/// even when its pattern has a problem, so that later steps do not report it as undefined.
pub(crate) fn load_captures(
    cx: &mut Cx<'_>,
    node: &Node,
    names: &mut Vec<String>,
) -> Vec<(String, Regex)> {
    let mut out = Vec::new();
    let Some(entries) = cx.map(node, "`capture`") else {
        return out;
    };
    for (name, pattern) in entries {
        if !check_var_key(cx, name, "capture into another name") {
            continue;
        }
        names.push(name.name.clone());
        if let Some(re) = load_regex(cx, pattern, "a `capture` pattern") {
            out.push((name.name.clone(), re));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn code_patterns() {
        assert_eq!(parse_code_pattern("250"), Some(CodePattern::exact(250)));
        assert_eq!(parse_code_pattern("2xx"), Some(CodePattern::class(2)));
        assert_eq!(parse_code_pattern("25X").unwrap().to_string(), "25x");
        for bad in ["199", "600", "x50", "2500", "25", "2y0", ""] {
            assert_eq!(parse_code_pattern(bad), None, "{bad}");
        }
    }

    #[test]
    fn enhanced_patterns() {
        assert_eq!(
            parse_enhanced_pattern("2.7.0").unwrap().to_string(),
            "2.7.0"
        );
        assert_eq!(
            parse_enhanced_pattern("5.7.139").unwrap().to_string(),
            "5.7.139"
        );
        assert_eq!(
            parse_enhanced_pattern("5.x.x").unwrap().to_string(),
            "5.x.x"
        );
        for bad in [
            "2.0", "3.1.0", "2.1.1000", "2..1", "25.1.0", "2.1.0.1", "a.b.c",
        ] {
            assert_eq!(parse_enhanced_pattern(bad), None, "{bad}");
        }
    }

    #[test]
    fn capabilities() {
        assert_eq!(
            parse_capability("auth login").unwrap(),
            CapabilityReq {
                keyword: "AUTH".into(),
                param: Some("LOGIN".into())
            }
        );
        assert_eq!(parse_capability("STARTTLS").unwrap().param, None);
        assert_eq!(parse_capability("8BITMIME").unwrap().keyword, "8BITMIME");
        for bad in ["", "AUTH LOGIN PLAIN", "-X", "AUTH=LOGIN"] {
            assert_eq!(parse_capability(bad), None, "{bad}");
        }
    }
}
