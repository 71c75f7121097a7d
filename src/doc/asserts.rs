//! `doc` wording for what a plan asserts beyond the reply: the TLS session and certificate
//! (`tls:`), the oldest TLS version accepted (`min_version`), and a step's `retry`, own
//! `timeout` and `allow_plaintext` — a deliberate plaintext login reads as one.

use std::fmt::Write as _;

use super::{and_list, code, or_list, tpl};
use crate::duration::format_duration as human_duration;
use crate::model::{Action, Step, Target, TlsExpect, TlsVersion};

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
