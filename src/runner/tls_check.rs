//! Checking a TLS session against `expect: {tls: ...}`, and the `${tls.*}` variables.

use std::collections::BTreeMap;

use super::check::Mismatch;
use crate::model::TlsExpect;
use crate::transport::TlsInfo;
use crate::transport::date::ymd;

/// `version TLSv1.3, cipher /AES.*GCM/, certificate names include mail.example, ...`.
pub fn describe_tls_expect(want: &TlsExpect, names: &[String]) -> String {
    let mut parts = Vec::new();
    match want.versions.as_slice() {
        [] => {}
        [one] => parts.push(format!("TLS version {one}")),
        many => parts.push(format!(
            "TLS version one of {}",
            many.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
        )),
    }
    if let Some(re) = &want.cipher {
        parts.push(format!("cipher matching /{}/", re.as_str()));
    }
    if !names.is_empty() {
        parts.push(format!("certificate names including {}", names.join(", ")));
    }
    if let Some(re) = &want.subject_matches {
        parts.push(format!("certificate subject matching /{}/", re.as_str()));
    }
    if let Some(re) = &want.issuer_matches {
        parts.push(format!("certificate issuer matching /{}/", re.as_str()));
    }
    if let Some(v) = &want.valid_for_at_least {
        parts.push(format!("certificate valid for at least {v}"));
    }
    if parts.is_empty() {
        "a TLS connection".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The session in one line: `TLSv1.3 TLS13_AES_256_GCM_SHA384; certificate CN=x (names: ...;
/// issued by ...; valid until ...)`.
pub fn describe_tls(info: Option<&TlsInfo>) -> String {
    let Some(info) = info else {
        return "no TLS (plaintext connection)".to_owned();
    };
    let mut text = format!("{} {}", info.version, info.cipher);
    if let Some(c) = &info.cert {
        text.push_str(&format!(
            "; certificate {} (names: {}; issued by {}; valid until {})",
            c.subject,
            c.names.join(", "),
            c.issuer,
            c.not_after
        ));
    }
    text
}

/// Check a session. `names` are the rendered `names_include`; `now` is Unix seconds.
pub fn check_tls(
    info: Option<&TlsInfo>,
    want: &TlsExpect,
    names: &[String],
    now: i64,
) -> Vec<Mismatch> {
    let Some(info) = info else {
        return vec![Mismatch(
            "expected a TLS connection, but this connection does not use TLS".to_owned(),
        )];
    };
    let mut bad = Vec::new();
    if !want.versions.is_empty() && !want.versions.iter().any(|v| v.name() == info.version) {
        let wanted: Vec<&str> = want.versions.iter().map(|v| v.name()).collect();
        bad.push(Mismatch(format!(
            "expected TLS version {}, got {}",
            match wanted.as_slice() {
                [one] => (*one).to_owned(),
                many => format!("one of {}", many.join(", ")),
            },
            info.version
        )));
    }
    if let Some(re) = &want.cipher
        && !re.is_match(&info.cipher)
    {
        bad.push(Mismatch(format!(
            "cipher {} does not match /{}/",
            info.cipher,
            re.as_str()
        )));
    }
    let wants_cert = !names.is_empty()
        || want.subject_matches.is_some()
        || want.issuer_matches.is_some()
        || want.valid_for_at_least.is_some();
    if !wants_cert {
        return bad;
    }
    let Some(cert) = &info.cert else {
        bad.push(Mismatch(
            "the server's certificate could not be read, so its names and dates cannot be checked"
                .to_owned(),
        ));
        return bad;
    };
    for name in names {
        let held = cert.names.iter().any(|n| n.eq_ignore_ascii_case(name));
        if !held {
            bad.push(Mismatch(format!(
                "certificate {} does not hold the name {name}; it holds: {}",
                cert.subject,
                if cert.names.is_empty() {
                    "no names".to_owned()
                } else {
                    cert.names.join(", ")
                }
            )));
        }
    }
    if let Some(re) = &want.subject_matches
        && !re.is_match(&cert.subject)
    {
        bad.push(Mismatch(format!(
            "certificate subject {} does not match /{}/",
            cert.subject,
            re.as_str()
        )));
    }
    if let Some(re) = &want.issuer_matches
        && !re.is_match(&cert.issuer)
    {
        bad.push(Mismatch(format!(
            "certificate {} is issued by {}, which does not match /{}/",
            cert.subject,
            cert.issuer,
            re.as_str()
        )));
    }
    if let Some(min) = &want.valid_for_at_least {
        let left = cert.not_after_unix.saturating_sub(now);
        let day = ymd(cert.not_after_unix);
        if left < 0 {
            bad.push(Mismatch(format!(
                "certificate {} expired on {day} ({} days ago)",
                cert.subject,
                (-left).div_euclid(86_400)
            )));
        } else if left < min.seconds {
            bad.push(Mismatch(format!(
                "certificate {} expires on {day} ({} days left), less than the {min} required",
                cert.subject,
                left.div_euclid(86_400)
            )));
        }
    }
    bad
}

/// `${tls.version}` and friends after a handshake; `None` = TLS was not used (`tls.version`
/// is `none`, the others empty).
pub fn tls_vars(info: Option<&TlsInfo>) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    let cert = info.and_then(|i| i.cert.as_ref());
    let mut set = |k: &str, v: String| {
        vars.insert(k.to_owned(), v);
    };
    set(
        "tls.version",
        info.map_or_else(|| "none".to_owned(), |i| i.version.clone()),
    );
    set(
        "tls.cipher",
        info.map(|i| i.cipher.clone()).unwrap_or_default(),
    );
    set(
        "tls.cert.subject",
        cert.map(|c| c.subject.clone()).unwrap_or_default(),
    );
    set(
        "tls.cert.names",
        cert.map(|c| c.names.join(", ")).unwrap_or_default(),
    );
    set(
        "tls.cert.issuer",
        cert.map(|c| c.issuer.clone()).unwrap_or_default(),
    );
    set(
        "tls.cert.not_after",
        cert.map(|c| c.not_after.clone()).unwrap_or_default(),
    );
    set(
        "tls.cert.days_left",
        cert.map(|c| c.days_left.to_string()).unwrap_or_default(),
    );
    vars
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use regex::Regex;

    use super::*;
    use crate::model::{TlsVersion, Validity};
    use crate::transport::CertInfo;

    const NOW: i64 = 1_767_225_600; // 2026-01-01

    fn info(days_left: i64) -> TlsInfo {
        TlsInfo {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_256_GCM_SHA384".into(),
            cert: Some(CertInfo {
                subject: "CN=localhost".into(),
                names: vec!["localhost".into(), "127.0.0.1".into()],
                issuer: "CN=Test CA".into(),
                not_after: String::new(),
                not_after_unix: NOW + days_left * 86_400 + 3600,
                days_left,
                sha256: String::new(),
                self_signed: false,
                is_ca: false,
            }),
        }
    }

    #[test]
    fn every_part_holds() {
        let want = TlsExpect {
            versions: vec![TlsVersion::V1_2, TlsVersion::V1_3],
            cipher: Some(Regex::new("AES.*GCM").unwrap()),
            subject_matches: Some(Regex::new("localhost").unwrap()),
            issuer_matches: Some(Regex::new("Test CA").unwrap()),
            valid_for_at_least: Some(Validity {
                seconds: 30 * 86_400,
            }),
            ..TlsExpect::default()
        };
        let bad = check_tls(Some(&info(31)), &want, &["LOCALHOST".into()], NOW);
        assert!(bad.is_empty(), "{bad:?}");
    }

    #[test]
    fn each_mismatch_is_named() {
        let want = TlsExpect {
            versions: vec![TlsVersion::V1_2],
            cipher: Some(Regex::new("CHACHA").unwrap()),
            issuer_matches: Some(Regex::new("Let's Encrypt").unwrap()),
            valid_for_at_least: Some(Validity {
                seconds: 30 * 86_400,
            }),
            ..TlsExpect::default()
        };
        let bad = check_tls(Some(&info(12)), &want, &["mail.contoso.com".into()], NOW);
        let text: Vec<&str> = bad.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(
            text,
            vec![
                "expected TLS version TLSv1.2, got TLSv1.3",
                "cipher TLS13_AES_256_GCM_SHA384 does not match /CHACHA/",
                "certificate CN=localhost does not hold the name mail.contoso.com; it holds: localhost, 127.0.0.1",
                "certificate CN=localhost is issued by CN=Test CA, which does not match /Let's Encrypt/",
                "certificate CN=localhost expires on 2026-01-13 (12 days left), less than the 30 days required",
            ]
        );
        let expired = check_tls(Some(&info(-3)), &want, &[], NOW);
        assert!(
            expired
                .iter()
                .any(|m| m.0 == "certificate CN=localhost expired on 2025-12-29 (2 days ago)"),
            "{expired:?}"
        );
        let plain = check_tls(None, &want, &[], NOW);
        assert_eq!(plain.len(), 1);
        assert!(plain[0].0.contains("does not use TLS"));
    }

    #[test]
    fn variables() {
        let v = tls_vars(Some(&info(5)));
        assert_eq!(v["tls.version"], "TLSv1.3");
        assert_eq!(v["tls.cert.names"], "localhost, 127.0.0.1");
        assert_eq!(v["tls.cert.days_left"], "5");
        assert_eq!(v.len(), crate::model::TLS_VARS.len());
        assert_eq!(tls_vars(None)["tls.version"], "none");
    }
}
