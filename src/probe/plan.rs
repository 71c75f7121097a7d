//! What the probe saw -> the text of a plan that asserts it.

use super::conversation::{ProbeOptions, ProbeTls};
use super::generalize::{line_regex, stable_text};
use super::observation::{Conversation, Exchange, Observation, Purpose, Sent};
use super::summary::PlanMeta;
use super::yaml::{Yaml, escape_template, render};
use crate::protocol::{Capabilities, EnhancedCode, Reply};
use crate::redact::{MASK, Redactor};
use crate::transport::TlsInfo;

/// TLS facts of one handshake, as plan content.
///
/// The format has no TLS assertions yet, so today these are comments only (`expect` is
/// empty). When `expect: {tls: {...}}` exists, this is the one function to change: return
/// its keys in `expect` and the callers already merge them into the step's expectation (the
/// `starttls` step, or the greeting of an implicit-TLS connection).
pub struct TlsFacts {
    pub comments: Vec<String>,
    pub expect: Vec<(String, Yaml)>,
}

pub fn tls_facts(info: &TlsInfo) -> TlsFacts {
    let mut comments = vec![format!(
        "TLS when probed: {}, cipher {}",
        info.version, info.cipher
    )];
    if let Some(c) = &info.cert {
        comments.push(format!(
            "certificate when probed: {}; names: {}; issuer: {}; valid until {}",
            c.subject,
            c.names.join(", "),
            c.issuer,
            c.not_after
        ));
    }
    let mut tls = vec![(
        "version".to_owned(),
        Yaml::Flow(vec![Yaml::Str(info.version.clone())]),
    )];
    if let Some(c) = &info.cert {
        let mut cert = Vec::new();
        if !c.names.is_empty() {
            let names = c.names.iter().map(|n| Yaml::Str(n.clone())).collect();
            cert.push(("names_include".to_owned(), Yaml::Flow(names)));
        }
        if !c.issuer.is_empty() {
            let issuer = format!("^{}$", regex::escape(&c.issuer));
            cert.push(("issuer_matches".to_owned(), Yaml::Str(issuer)));
        }
        // Fail well before expiry, but not at once for a certificate that is nearly due.
        if c.days_left >= 2 {
            let days = (c.days_left - 1).min(14);
            cert.push((
                "valid_for_at_least".to_owned(),
                Yaml::Raw(format!("{days}d")),
            ));
        }
        if !cert.is_empty() {
            tls.push(("cert".to_owned(), Yaml::Map(cert)));
        }
    }
    TlsFacts {
        comments,
        expect: vec![("tls".to_owned(), Yaml::Map(tls))],
    }
}

/// What stands for a secret the server echoed, before expectations are made from a reply: a
/// word with digits, which generalisation leaves out of every assertion.
const ECHOED_SECRET: &str = "0SECRET0";

/// `obs` with every form of the password (the server may echo it, in clear, base64, hex...)
/// replaced by a word no expectation keeps: a generated plan never asserts a secret.
fn without_secrets(obs: &Observation, redactor: &Redactor) -> Observation {
    let mut obs = obs.clone();
    if redactor.is_empty() {
        return obs;
    }
    for c in &mut obs.conversations {
        if let Some(why) = &mut c.auth_failed {
            // A comment, not an expectation: masked as everywhere else.
            *why = redactor.redact(why);
        }
    }
    for ex in obs
        .conversations
        .iter_mut()
        .flat_map(|c| c.exchanges.iter_mut())
    {
        ex.reply.lines = redactor
            .redact_lines(&ex.reply.lines, 0)
            .into_iter()
            .map(|l| l.replace(MASK, ECHOED_SECRET))
            .collect();
    }
    obs
}

/// The plan text: the header comments, then the YAML. No form of the password is in it.
pub fn render_plan(o: &ProbeOptions, obs: &Observation, meta: &PlanMeta) -> String {
    let redactor = o
        .login
        .as_ref()
        .map(|l| Redactor::new([l.password.expose()]))
        .unwrap_or_default();
    let obs = &without_secrets(obs, &redactor);
    let mut out = super::summary::header(obs, meta);
    out.push_str(&render(&plan_yaml(o, obs, meta)));
    // Anything else that came from the server (a certificate's names) is masked too.
    redactor.redact(&out)
}

fn plan_yaml(o: &ProbeOptions, obs: &Observation, meta: &PlanMeta) -> Yaml {
    let mut target = vec![
        ("host".to_owned(), Yaml::template_literal(&o.host)),
        ("port".to_owned(), Yaml::int(o.port)),
    ];
    if o.tls == ProbeTls::Implicit {
        target.push(("tls".into(), Yaml::Raw("implicit".into())));
    }
    target.push((
        "timeout".into(),
        Yaml::Raw(crate::duration::format_duration(o.timeout)),
    ));
    if let Some(ca) = &o.ca_file {
        target.push((
            "ca_file".into(),
            Yaml::template_literal(&ca.to_string_lossy()),
        ));
    }
    if o.insecure {
        target.push(("insecure".into(), Yaml::Raw("true".into())));
    }
    if let Some(name) = &o.server_name {
        target.push(("server_name".into(), Yaml::template_literal(name)));
    }

    let mut vars = vec![("helo".to_owned(), Yaml::template_literal(&o.ehlo))];
    if let Some(from) = &o.mail_from {
        vars.push(("sender".into(), Yaml::template_literal(from)));
    }
    if let Some(rcpt) = &o.rcpt {
        vars.push(("rcpt".into(), Yaml::template_literal(rcpt)));
    }
    let mut root = vec![
        ("name".to_owned(), Yaml::str(meta.name.clone())),
        ("target".to_owned(), Yaml::Map(target)),
    ];
    if let Some(login) = &o.login {
        vars.push(("user".into(), Yaml::template_literal(&login.user)));
        // A reference, never the value: the password stays in the environment.
        vars.push((
            "password".into(),
            Yaml::str(format!("${{env:{}}}", login.password_env)),
        ));
        root.push(("vars".into(), Yaml::Map(vars)));
        root.push(("secrets".into(), Yaml::Flow(vec![Yaml::str("password")])));
    } else {
        root.push(("vars".into(), Yaml::Map(vars)));
    }
    let scenarios = obs
        .conversations
        .iter()
        .map(|c| scenario(c, o.tls == ProbeTls::Implicit))
        .collect();
    root.push(("scenarios".into(), Yaml::List(scenarios)));
    Yaml::Map(root)
}

fn scenario(c: &Conversation, implicit: bool) -> Yaml {
    let (name, tag) = match c.purpose {
        Purpose::Capabilities if implicit => (
            "greeting and capabilities over implicit TLS".to_owned(),
            "smoke",
        ),
        Purpose::Capabilities => ("greeting and capabilities".to_owned(), "smoke"),
        Purpose::StartTls => ("STARTTLS and the capabilities after it".to_owned(), "tls"),
        Purpose::PlaintextMail => (
            "mail before STARTTLS (the plaintext policy)".to_owned(),
            "policy",
        ),
        Purpose::AnonymousMail => ("mail without AUTH".to_owned(), "policy"),
        Purpose::Auth(mech) => (format!("AUTH {mech} as the probing user"), "auth"),
    };
    let mut steps = Vec::new();
    let mut after_tls = implicit;
    for ex in &c.exchanges {
        let full = asserts_fully(c.purpose, &ex.sent, after_tls);
        steps.extend(step(ex, full));
        if ex.sent == Sent::StartTls && ex.tls.is_some() {
            after_tls = true;
        }
    }
    if let (Purpose::Auth(mech), Some(why)) = (c.purpose, &c.auth_failed) {
        steps.push(Yaml::Comment(format!(
            "AUTH {mech} was given up on the client side when probed ({}): not asserted",
            super::summary::one_line(why)
        )));
    }
    if c.closed {
        steps.push(Yaml::Comment(
            "the server closed the connection here when probed".into(),
        ));
        steps.push(Yaml::Raw("expect_close".into()));
    }
    Yaml::Map(vec![
        ("name".into(), Yaml::str(name)),
        (
            "tags".into(),
            Yaml::Flow(vec![Yaml::str("probe"), Yaml::str(tag)]),
        ),
        ("steps".into(), Yaml::List(steps)),
    ])
}

/// Whether a step is what its scenario is about (all of the reply asserted) or only the way
/// there (its reply code asserted), so that one change fails the scenario that names it.
fn asserts_fully(purpose: Purpose, sent: &Sent, after_tls: bool) -> bool {
    match purpose {
        Purpose::Capabilities => true,
        Purpose::StartTls => matches!(sent, Sent::StartTls) || (after_tls && *sent == Sent::Ehlo),
        Purpose::PlaintextMail | Purpose::AnonymousMail => {
            matches!(sent, Sent::MailFrom { .. } | Sent::RcptTo)
        }
        Purpose::Auth(_) => matches!(sent, Sent::Auth(_) | Sent::MailFrom { .. } | Sent::RcptTo),
    }
}

/// The plan step(s) for one exchange: leading comments, then the step mapping.
fn step(ex: &Exchange, full: bool) -> Vec<Yaml> {
    let mut out = Vec::new();
    let mut extra_expect = Vec::new();
    // TLS facts where the scenario is about them, not on every way there.
    if let Some(info) = ex.tls.as_ref().filter(|_| full) {
        let facts = tls_facts(info);
        out.extend(facts.comments.into_iter().map(Yaml::Comment));
        extra_expect = facts.expect;
    }
    let code = ex.reply.code.value();
    let (action, default_code): (Option<(&str, Yaml)>, Option<u16>) = match &ex.sent {
        Sent::Greeting => (None, None),
        Sent::Ehlo => (Some(("ehlo", Yaml::str("${helo}"))), Some(250)),
        Sent::StartTls => (Some(("starttls", Yaml::Raw(String::new()))), Some(220)),
        Sent::Auth(m) => (
            Some((
                "auth",
                Yaml::FlowMap(vec![
                    ("mechanism".into(), Yaml::str(m.to_string())),
                    ("username".into(), Yaml::str("${user}")),
                    ("password".into(), Yaml::str("${password}")),
                ]),
            )),
            Some(235),
        ),
        Sent::MailFrom { as_user } => (
            Some((
                "mail_from",
                Yaml::str(if *as_user { "${user}" } else { "${sender}" }),
            )),
            Some(250),
        ),
        Sent::RcptTo => (Some(("rcpt_to", Yaml::str("${rcpt}"))), Some(250)),
        Sent::Quit => (Some(("quit", Yaml::Raw(String::new()))), Some(221)),
    };
    let mut expect = if full { full_expect(ex) } else { Vec::new() };
    expect.extend(extra_expect);
    let mut entries = Vec::new();
    let bare = action
        .as_ref()
        .is_some_and(|(_, v)| *v == Yaml::Raw(String::new()));
    if let Some((key, value)) = action {
        entries.push((key.to_owned(), value));
    }
    if expect.is_empty() {
        if default_code != Some(code) {
            entries.push(("expect".into(), Yaml::int(code)));
        }
    } else {
        let block = expect
            .iter()
            .any(|(k, _)| k == "capabilities" || k == "lacks");
        let e = if block {
            Yaml::Map(expect)
        } else {
            Yaml::FlowMap(expect)
        };
        entries.push(("expect".into(), e));
    }
    // `- quit` rather than `- quit:` when nothing else is said.
    out.push(match entries.as_slice() {
        [(key, _)] if bare => Yaml::Raw(key.clone()),
        _ => Yaml::Map(entries),
    });
    out
}

/// Every part of the reply worth asserting: code, enhanced code, stable text, capabilities.
fn full_expect(ex: &Exchange) -> Vec<(String, Yaml)> {
    let reply = &ex.reply;
    let mut e = vec![("code".to_owned(), Yaml::int(reply.code.value()))];
    let first = reply.lines.first().map(String::as_str).unwrap_or_default();
    let rest = match EnhancedCode::parse_prefix(first) {
        // A code of another class than the reply's never holds (RFC 3463): not asserted.
        Some((code, rest)) if code.class == reply.code.class() => {
            e.push(("enhanced".into(), Yaml::Raw(code.to_string())));
            rest
        }
        _ => first,
    };
    match ex.sent {
        Sent::Greeting | Sent::Ehlo => {
            if let Some(re) = line_regex(rest) {
                e.push(("matches".into(), Yaml::str(re)));
            }
        }
        _ => {
            if let Some(text) = stable_text(rest) {
                e.push(("contains".into(), Yaml::str(escape_template(&text))));
            }
        }
    }
    if ex.sent == Sent::Ehlo && reply.code.value() == 250 {
        let (listed, lacks) = capability_lists(reply);
        if !listed.is_empty() {
            e.push(("capabilities".into(), Yaml::Flow(listed)));
        }
        if !lacks.is_empty() {
            e.push(("lacks".into(), Yaml::Flow(lacks)));
        }
    }
    e
}

/// An EHLO keyword the plan format accepts (letters, digits, `-`).
fn plain_keyword(k: &str) -> bool {
    k.starts_with(|c: char| c.is_ascii_alphanumeric())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn plain_param(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| c.is_ascii_graphic() && c != '=')
}

/// What the EHLO listed (each AUTH mechanism on its own, SIZE with its value) and the
/// security-relevant things it did not list: STARTTLS, AUTH, AUTH PLAIN, AUTH LOGIN.
fn capability_lists(reply: &Reply) -> (Vec<Yaml>, Vec<Yaml>) {
    let caps = Capabilities::parse(reply);
    let mut listed: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !listed.iter().any(|l| l.eq_ignore_ascii_case(&s)) {
            listed.push(s);
        }
    };
    for c in caps.iter() {
        // A line that held an echoed secret asserts nothing.
        let echoed =
            c.keyword.contains(ECHOED_SECRET) || c.params.iter().any(|p| p.contains(ECHOED_SECRET));
        if !plain_keyword(&c.keyword) || echoed {
            continue;
        }
        match (c.keyword.as_str(), c.params.as_slice()) {
            ("AUTH", params) if !params.is_empty() => {
                for p in params.iter().filter(|p| plain_param(p)) {
                    push(format!("AUTH {}", p.to_ascii_uppercase()));
                }
            }
            ("SIZE", [size]) if plain_param(size) => push(format!("SIZE {size}")),
            (k, _) => push(k.to_owned()),
        }
    }
    let mut lacks = Vec::new();
    if !caps.has("STARTTLS") {
        lacks.push("STARTTLS".to_owned());
    }
    if !caps.has("AUTH") {
        lacks.push("AUTH".to_owned());
    } else {
        for m in ["PLAIN", "LOGIN"] {
            if !caps.has_param("AUTH", m) {
                lacks.push(format!("AUTH {m}"));
            }
        }
    }
    (
        listed.into_iter().map(Yaml::Str).collect(),
        lacks.into_iter().map(Yaml::Str).collect(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::probe::conversation::Login;
    use crate::protocol::{Mechanism, b64_encode};
    use crate::redact::Secret;

    #[test]
    fn an_enhanced_code_of_another_class_than_the_reply_is_not_asserted() {
        let keys = |code, text: &str| -> Vec<String> {
            let ex = Exchange {
                sent: Sent::MailFrom { as_user: false },
                reply: Reply::new(code, &[text]).unwrap(),
                tls: None,
            };
            full_expect(&ex).into_iter().map(|(k, _)| k).collect()
        };
        assert!(keys(250, "2.1.0 Sender OK").contains(&"enhanced".to_owned()));
        // `550 2.1.0` would fail the plan against the very server it was probed from.
        assert!(!keys(550, "2.1.0 Sender OK").contains(&"enhanced".to_owned()));
    }

    #[test]
    fn a_plan_never_asserts_an_echoed_secret() {
        let pw = "P@$$w0rd-echo";
        let o = ProbeOptions {
            host: "127.0.0.1".into(),
            port: 2525,
            tls: ProbeTls::Auto,
            ca_file: None,
            insecure: false,
            server_name: None,
            ehlo: "probe.test".into(),
            timeout: std::time::Duration::from_secs(5),
            login: Some(Login {
                user: "user1@contoso.com".into(),
                password: Secret::new(pw),
                password_env: "PW".into(),
                mechanism: None,
            }),
            mail_from: None,
            rcpt: None,
        };
        let hex: String = pw.bytes().map(|b| format!("{b:02x}")).collect();
        let echoes = [
            format!(
                "5.7.8 bad password {pw} for user1 ({})",
                b64_encode(pw.as_bytes())
            ),
            format!(
                "5.7.8 challenge {}",
                b64_encode(format!("Password: {pw}").as_bytes())
            ),
            format!("5.7.8 hex {hex} pct P%40%24%24w0rd-echo"),
        ];
        let exchanges = echoes
            .iter()
            .map(|text| Exchange {
                sent: Sent::Auth(Mechanism::Plain),
                reply: Reply::new(535, &[text.as_str()]).unwrap(),
                tls: None,
            })
            .collect();
        let obs = Observation {
            conversations: vec![
                Conversation {
                    purpose: Purpose::Auth(Mechanism::Plain),
                    exchanges,
                    closed: false,
                    auth_failed: None,
                },
                // A mechanism given up on the client side, quoting what the server sent.
                Conversation {
                    purpose: Purpose::Auth(Mechanism::CramMd5),
                    exchanges: Vec::new(),
                    closed: false,
                    auth_failed: Some(format!("the server's challenge is not base64: \"{pw}\"")),
                },
            ],
            untried: Vec::new(),
            started: 0,
        };
        let meta = PlanMeta {
            name: "probe".into(),
            schema: Some("s.json".into()),
            command: "smtp-plan probe".into(),
        };
        let text = render_plan(&o, &obs, &meta);
        assert!(text.contains("contains: bad password}"), "{text}");
        assert!(
            text.contains("# AUTH, each mechanism on its own connection: PLAIN failed (535), CRAM-MD5 given up by the client.\n")
                && text.contains("# AUTH CRAM-MD5 was given up on the client side when probed (the server's challenge is not base64: \"***\"): not asserted"),
            "{text}"
        );
        for form in [
            pw.to_owned(),
            b64_encode(pw.as_bytes()),
            "UGFzc3dvcmQ6IFBAJCR3MHJkLWVjaG8".to_owned(),
            hex,
            "P%40%24%24w0rd".to_owned(),
            "SECRET".to_owned(),
        ] {
            assert!(!text.contains(&form), "{form} in:\n{text}");
        }
    }
}
