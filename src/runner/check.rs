//! Checking a reply against an expectation.

use std::collections::BTreeMap;

use crate::model::{CodePattern, Expect};
use crate::protocol::{Capabilities, Reply};

/// One expectation that did not hold, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub String);

/// `code 250, enhanced 2.1.5, matching /Recipient OK/` — the expectation in words.
pub fn describe_expect(expect: &Expect) -> String {
    if !expect.fails.is_empty() {
        let words: Vec<&str> = expect.fails.iter().map(|f| f.word()).collect();
        return format!("the step to fail: {}", words.join(" or "));
    }
    let mut parts = Vec::new();
    if !expect.codes.is_empty() {
        parts.push(format!("code {}", describe_codes(&expect.codes)));
    }
    if let Some(e) = &expect.enhanced {
        parts.push(format!("enhanced {e}"));
    }
    if let Some(r) = &expect.matches {
        parts.push(format!("matching /{}/", r.as_str()));
    }
    if let Some(c) = &expect.contains {
        parts.push(format!("containing {:?}", c.to_string()));
    }
    if let Some(r) = &expect.not_matches {
        parts.push(format!("not matching /{}/", r.as_str()));
    }
    if !expect.capabilities.is_empty() {
        let caps: Vec<String> = expect
            .capabilities
            .iter()
            .map(ToString::to_string)
            .collect();
        parts.push(format!("listing {}", caps.join(", ")));
    }
    if !expect.lacks.is_empty() {
        let caps: Vec<String> = expect.lacks.iter().map(ToString::to_string).collect();
        parts.push(format!("not listing {}", caps.join(", ")));
    }
    if let Some(w) = expect.within {
        parts.push(format!("within {}", crate::duration::format_duration(w)));
    }
    if parts.is_empty() {
        "any reply".to_owned()
    } else {
        parts.join(", ")
    }
}

fn describe_codes(codes: &[CodePattern]) -> String {
    let items: Vec<String> = codes.iter().map(ToString::to_string).collect();
    match items.as_slice() {
        [one] => one.clone(),
        many => format!("one of {}", many.join(", ")),
    }
}

/// Check `reply` against `expect`. On success, returns the captured variables; otherwise every
/// part that did not hold. `contains` must already be rendered (it may hold variables).
pub fn check_reply(
    reply: &Reply,
    expect: &Expect,
    contains: Option<&str>,
) -> Result<BTreeMap<String, String>, Vec<Mismatch>> {
    let mut bad = Vec::new();
    let text = reply.text();
    let code = reply.code.value();
    if !expect.codes.is_empty() && !expect.codes.iter().any(|p| p.matches(code)) {
        bad.push(Mismatch(format!(
            "expected code {}, got {code}",
            describe_codes(&expect.codes)
        )));
    }
    if let Some(want) = &expect.enhanced {
        match reply.enhanced() {
            // RFC 3463 §2: the class of the enhanced code must be the reply code's first
            // digit. `550 2.1.0` is a refusal whatever its text claims: never a pass.
            Some(got) if got.class != reply.code.class() => bad.push(Mismatch(format!(
                "expected enhanced code {want}, but the reply's {got} contradicts its code {code} (RFC 3463: the class must be the code's first digit)"
            ))),
            Some(got) if want.matches(&got) => {}
            Some(got) => bad.push(Mismatch(format!(
                "expected enhanced code {want}, got {got}"
            ))),
            None => bad.push(Mismatch(format!(
                "expected enhanced code {want}, but the reply has none"
            ))),
        }
    }
    if let Some(re) = &expect.matches
        && !re.is_match(&text)
    {
        bad.push(Mismatch(format!(
            "reply text does not match /{}/",
            re.as_str()
        )));
    }
    match contains {
        // `contains: ''` is a load error; empty here, its variables had no value (a CI
        // variable not set): it would hold for every reply.
        Some("") => bad.push(Mismatch(
            "`contains` is empty (its variables have no value): it would hold for every reply"
                .to_owned(),
        )),
        Some(needle) if !text.contains(needle) => {
            bad.push(Mismatch(format!("reply text does not contain {needle:?}")));
        }
        _ => {}
    }
    if let Some(re) = &expect.not_matches
        && let Some(m) = re.find(&text)
    {
        bad.push(Mismatch(format!(
            "reply text matches /{}/ (at {:?}), which it must not",
            re.as_str(),
            m.as_str()
        )));
    }
    if !expect.capabilities.is_empty() || !expect.lacks.is_empty() {
        let caps = Capabilities::parse(reply);
        // The lines as the server wrote them (not upper-cased): a secret it echoed there is
        // masked only in the form it was sent.
        let listed = || {
            let v: Vec<&str> = reply.lines.iter().skip(1).map(|l| l.trim()).collect();
            if v.is_empty() {
                "nothing".to_owned()
            } else {
                v.join(", ")
            }
        };
        for want in &expect.capabilities {
            if !has(&caps, want) {
                bad.push(Mismatch(format!(
                    "capability {want} is not listed (the server lists: {})",
                    listed()
                )));
            }
        }
        for lack in &expect.lacks {
            if has(&caps, lack) {
                bad.push(Mismatch(format!(
                    "capability {lack} is listed, but must not be"
                )));
            }
        }
    }
    let mut captured = BTreeMap::new();
    for (name, re) in &expect.capture {
        match re.captures(&text) {
            Some(c) => {
                let value = c.get(1).or_else(|| c.get(0)).map_or("", |m| m.as_str());
                captured.insert(name.clone(), value.to_owned());
            }
            None => bad.push(Mismatch(format!(
                "capture `{name}`: /{}/ does not match the reply text",
                re.as_str()
            ))),
        }
    }
    if bad.is_empty() {
        Ok(captured)
    } else {
        Err(bad)
    }
}

fn has(caps: &Capabilities, req: &crate::model::CapabilityReq) -> bool {
    match &req.param {
        Some(p) => caps.has_param(&req.keyword, p),
        None => caps.has(&req.keyword),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use regex::Regex;

    use super::*;
    use crate::model::{CapabilityReq, EnhancedPattern};

    fn reply(code: u16, lines: &[&str]) -> Reply {
        Reply::new(code, lines).unwrap()
    }

    #[test]
    fn all_parts_hold() {
        let e = Expect {
            codes: vec![CodePattern::exact(250)],
            enhanced: Some(EnhancedPattern {
                class: Some(2),
                subject: Some(6),
                detail: None,
            }),
            matches: Some(Regex::new("Queued mail").unwrap()),
            capture: vec![("queue_id".into(), Regex::new("<([^>]+)>").unwrap())],
            ..Expect::default()
        };
        let r = reply(
            250,
            &["2.6.0 <abc@server.contoso.com> [InternalId=106] Queued mail for delivery"],
        );
        let got = check_reply(&r, &e, None).unwrap();
        assert_eq!(got.get("queue_id").unwrap(), "abc@server.contoso.com");
    }

    #[test]
    fn reports_each_mismatch() {
        let e = Expect {
            codes: vec![CodePattern::exact(250), CodePattern::class(3)],
            enhanced: Some(EnhancedPattern {
                class: Some(2),
                subject: Some(1),
                detail: Some(5),
            }),
            not_matches: Some(Regex::new("denied").unwrap()),
            ..Expect::default()
        };
        let r = reply(554, &["5.7.1 Relay access denied"]);
        let bad = check_reply(&r, &e, Some("OK")).unwrap_err();
        let text: Vec<&str> = bad.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(
            text,
            vec![
                "expected code one of 250, 3xx, got 554",
                "expected enhanced code 2.1.5, got 5.7.1",
                "reply text does not contain \"OK\"",
                "reply text matches /denied/ (at \"denied\"), which it must not",
            ]
        );
    }

    #[test]
    fn an_enhanced_code_of_another_class_than_the_reply_never_holds() {
        let want = |class| Expect {
            enhanced: Some(EnhancedPattern {
                class: Some(class),
                subject: Some(1),
                detail: Some(0),
            }),
            ..Expect::default()
        };
        let bad = check_reply(&reply(550, &["2.1.0 Sender OK"]), &want(2), None).unwrap_err();
        assert_eq!(
            bad,
            vec![Mismatch(
                "expected enhanced code 2.1.0, but the reply's 2.1.0 contradicts its code 550 (RFC 3463: the class must be the code's first digit)".into()
            )]
        );
        assert!(check_reply(&reply(250, &["5.1.0 no"]), &want(5), None).is_err());
        assert!(check_reply(&reply(250, &["2.1.0 ok"]), &want(2), None).is_ok());
    }

    #[test]
    fn capabilities_and_lacks() {
        let r = reply(
            250,
            &["mx Hello", "STARTTLS", "AUTH PLAIN LOGIN", "SIZE 100"],
        );
        let req = |k: &str, p: Option<&str>| CapabilityReq {
            keyword: k.into(),
            param: p.map(Into::into),
        };
        let e = Expect {
            capabilities: vec![req("STARTTLS", None), req("AUTH", Some("LOGIN"))],
            lacks: vec![req("AUTH", Some("NTLM"))],
            ..Expect::default()
        };
        assert!(check_reply(&r, &e, None).is_ok());
        let e = Expect {
            capabilities: vec![req("AUTH", Some("NTLM"))],
            lacks: vec![req("STARTTLS", None)],
            ..Expect::default()
        };
        let bad = check_reply(&r, &e, None).unwrap_err();
        assert_eq!(bad.len(), 2);
        assert!(
            bad[0].0.contains(
                "AUTH NTLM is not listed (the server lists: STARTTLS, AUTH PLAIN LOGIN, SIZE 100)"
            ),
            "{bad:?}"
        );
        assert!(bad[1].0.contains("STARTTLS is listed"));
    }
}
