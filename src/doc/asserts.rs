//! `doc` wording for what a plan asserts beyond the reply: the TLS session and certificate
//! (`tls:`), the oldest TLS version accepted (`min_version`), and a step's `retry`, own
//! `timeout` and `allow_plaintext` — a deliberate plaintext login reads as one.

use std::fmt::Write as _;

use super::words::{and_list, code, or_list, tpl};
use crate::duration::format_duration as human_duration;
use crate::model::{Action, CodePattern, Expect, Step, Target, TlsExpect, TlsVersion};

/// "the TLS session must use TLSv1.3 with a cipher matching `^TLS13_`; the certificate must
/// hold `mail.contoso.com`, have an issuer matching `Let's Encrypt` and stay valid for at
/// least 30 days"; None when `tls:` asserts nothing.
pub(super) fn tls_expect_words(t: &TlsExpect) -> Option<String> {
    let mut session = Vec::new();
    if !t.versions.is_empty() {
        let items: Vec<String> = t.versions.iter().map(|v| code(v.name())).collect();
        session.push(format!("use {}", or_list(&items)));
    }
    if let Some(re) = &t.cipher {
        session.push(format!("negotiate a cipher matching {}", code(re.as_str())));
    }
    let mut cert = Vec::new();
    if !t.names_include.is_empty() {
        let items: Vec<String> = t.names_include.iter().map(|n| code(&tpl(n))).collect();
        cert.push(format!("hold the name(s) {}", and_list(&items)));
    }
    if let Some(re) = &t.subject_matches {
        cert.push(format!("have a subject matching {}", code(re.as_str())));
    }
    if let Some(re) = &t.issuer_matches {
        cert.push(format!(
            "be issued by an issuer matching {}",
            code(re.as_str())
        ));
    }
    if let Some(v) = &t.valid_for_at_least {
        cert.push(format!("stay valid for at least {v} from the run"));
    }
    let mut parts = Vec::new();
    if !session.is_empty() {
        parts.push(format!("the TLS session must {}", and_list(&session)));
    }
    if !cert.is_empty() {
        parts.push(format!("the server's certificate must {}", and_list(&cert)));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// "; TLS 1.3 or newer only" for a `min_version`.
pub(super) fn min_version_words(v: Option<TlsVersion>) -> String {
    match v {
        Some(TlsVersion::V1_3) => "; only TLS 1.3 is accepted (`min_version: 1.3`)".to_owned(),
        Some(TlsVersion::V1_2) => "; TLS 1.2 or newer (`min_version: 1.2`)".to_owned(),
        None => String::new(),
    }
}

/// Sentences added after a step's own: its `timeout`, `retry` and `allow_plaintext`.
pub(super) fn step_notes(step: &Step, target: &Target) -> Vec<String> {
    let mut notes = Vec::new();
    if step.allow_plaintext {
        let what = if matches!(step.action, Action::Auth(_)) {
            "this login"
        } else {
            "what this step sends (it may hold a secret)"
        };
        notes.push(format!(
            "**Deliberately in plaintext** ({}): {what} may go over a connection without TLS — smtp-plan otherwise refuses to send credentials unencrypted.",
            code("allow_plaintext: true")
        ));
    }
    if let Some(t) = step.timeout {
        notes.push(format!(
            "The reply may take up to {} (instead of {}).",
            human_duration(t),
            human_duration(target.timeout)
        ));
    }
    if let Some(r) = &step.retry {
        let mut s = format!(
            "If it does not hold, it is tried again up to {} more time(s)",
            r.count
        );
        if !r.interval.is_zero() {
            let _ = write!(s, ", {} apart", human_duration(r.interval));
        }
        s.push('.');
        notes.push(s);
    }
    notes
}

fn codes_words(codes: &[CodePattern]) -> String {
    let one = |c: &CodePattern| {
        let s = c.to_string();
        if s.contains('x') {
            format!("a {s} code")
        } else {
            s
        }
    };
    match codes {
        [c] => one(c),
        many => {
            let items: Vec<String> = many.iter().map(one).collect();
            let (last, rest) = items
                .split_last()
                .map_or((String::new(), &[][..]), |(l, r)| (l.clone(), r));
            format!("{} or {last}", rest.join(", "))
        }
    }
}

/// An expectation in words: "the server must answer 235 with enhanced status `2.7.0`; the
/// reply must contain `Authentication successful`".
pub(super) fn expect_words(e: &Expect) -> String {
    if !e.fails.is_empty() {
        let items: Vec<String> = e.fails.iter().map(|f| f.describe().to_owned()).collect();
        return format!(
            "the step must fail: smtp-plan expects {}; the connection is then closed",
            or_list(&items)
        );
    }
    if !e.per_recipient.is_empty() {
        let each: Vec<String> = e
            .per_recipient
            .iter()
            .enumerate()
            .map(|(i, r)| format!("recipient {}: {}", i + 1, expect_words(r)))
            .collect();
        return format!(
            "one reply per accepted recipient (LMTP), in order: {}",
            each.join("; ")
        );
    }
    let mut server = Vec::new();
    if !e.codes.is_empty() {
        let mut answer = format!("answer {}", codes_words(&e.codes));
        if let Some(enh) = &e.enhanced {
            let _ = write!(answer, " with enhanced status {}", code(&enh.to_string()));
        }
        server.push(answer);
    } else if let Some(enh) = &e.enhanced {
        server.push(format!(
            "answer with enhanced status {}",
            code(&enh.to_string())
        ));
    }
    if !e.capabilities.is_empty() {
        let items: Vec<String> = e
            .capabilities
            .iter()
            .map(|c| code(&c.to_string()))
            .collect();
        server.push(format!("list {}", and_list(&items)));
    }
    if !e.lacks.is_empty() {
        let items: Vec<String> = e.lacks.iter().map(|c| code(&c.to_string())).collect();
        let verb = if server.is_empty() {
            "not list"
        } else {
            "and must not list"
        };
        server.push(format!("{verb} {}", or_list(&items)));
    }
    let mut parts = Vec::new();
    if !server.is_empty() {
        parts.push(format!("the server must {}", server.join(", ")));
    }
    if let Some(re) = &e.matches {
        parts.push(format!("the reply must match {}", code(re.as_str())));
    }
    if let Some(c) = &e.contains {
        parts.push(format!("the reply must contain {}", code(&tpl(c))));
    }
    if let Some(re) = &e.not_matches {
        parts.push(format!("the reply must not match {}", code(re.as_str())));
    }
    if let Some(words) = e.tls.as_deref().and_then(tls_expect_words) {
        parts.push(words);
    }
    for (name, re) in &e.capture {
        parts.push(format!(
            "{} is taken from the reply with {}",
            code(&format!("${{{name}}}")),
            code(re.as_str())
        ));
    }
    if parts.is_empty() {
        "any reply is accepted".to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn min_versions() {
        assert_eq!(min_version_words(None), "");
        assert!(min_version_words(Some(TlsVersion::V1_2)).contains("TLS 1.2 or newer"));
        assert!(min_version_words(Some(TlsVersion::V1_3)).contains("only TLS 1.3"));
    }
}
