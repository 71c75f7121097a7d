//! Checking a delivered message against a `mailbox` step's `expect:`: the folder, headers,
//! body, attachments and MIME structure. Every part that does not hold is listed.
//!
//! Why one file: some 260 lines of code; the rest are its unit tests, one case each.

use regex::Regex;

use crate::mailbox::Delivered;
use crate::model::{MailboxExpect, Presence, TextExpect};
use crate::redact::Redactor;
use crate::results::{MailboxCheck, StepFailure};
use crate::template::Template;

/// Header values and body lines quoted in a failure are cut to this many characters.
const MAX_QUOTED: usize = 300;
/// At most this many body lines are quoted in a failure.
const MAX_BODY_LINES: usize = 10;

/// What the check found: one line per part that did not hold, lines showing what the message
/// has, the captured values (used only when everything held), and each check with its outcome
/// (for the reports).
#[derive(Debug, Default)]
pub(super) struct CheckedMessage {
    pub mismatches: Vec<String>,
    pub details: Vec<String>,
    pub captures: Vec<(String, String)>,
    pub checks: Vec<MailboxCheck>,
}

impl CheckedMessage {
    /// Record one check: its mismatches are those found since `before`.
    fn check(&mut self, what: String, expected: Vec<String>, actual: Vec<String>, before: usize) {
        let failures = self.mismatches.get(before..).unwrap_or_default().to_vec();
        self.checks.push(MailboxCheck {
            what,
            expected,
            actual,
            failures,
        });
    }
}

type Render<'a> = dyn FnMut(&Template) -> Result<String, StepFailure> + 'a;

/// `text` as quoted in a failure: redacted first (a secret cut short would not be found any
/// more), then cut to [`MAX_QUOTED`] characters.
fn cut(redactor: &Redactor, text: &str) -> String {
    let text = redactor.redact(text);
    if text.chars().count() <= MAX_QUOTED {
        return text;
    }
    let mut s: String = text.chars().take(MAX_QUOTED).collect();
    s.push_str("...");
    s
}

pub(super) fn check_delivered(
    d: &Delivered,
    folder: &str,
    expect: &MailboxExpect,
    render: &mut Render<'_>,
    redactor: &Redactor,
) -> Result<CheckedMessage, StepFailure> {
    let mut out = CheckedMessage::default();
    if let Some(want) = &expect.folder {
        let before = out.mismatches.len();
        let same = if want.eq_ignore_ascii_case("INBOX") {
            folder.eq_ignore_ascii_case("INBOX")
        } else {
            want == folder
        };
        if !same {
            out.mismatches
                .push(format!("the message arrived in {folder}, expected {want}"));
        }
        out.check(
            "folder".to_owned(),
            vec![want.clone()],
            vec![folder.to_owned()],
            before,
        );
    }
    for h in &expect.headers {
        let values = d.header_values(&h.name);
        let before = out.mismatches.len();
        let mut expected = Vec::new();
        match h.presence {
            Presence::Present => expected.push("present".to_owned()),
            Presence::Absent => expected.push("absent".to_owned()),
            Presence::Any => {}
        }
        if let Some(count) = h.count {
            expected.push(format!("count {count}"));
        }
        match h.presence {
            Presence::Present if values.is_empty() => {
                out.mismatches.push(format!("header {} is missing", h.name));
            }
            Presence::Absent if !values.is_empty() => {
                out.mismatches
                    .push(format!("header {} is present, expected absent", h.name));
            }
            _ => {}
        }
        if let Some(count) = h.count
            && !count.holds(values.len())
        {
            out.mismatches.push(format!(
                "expected {count} {} header(s), got {}",
                h.name,
                values.len()
            ));
        }
        if !values.is_empty() && !h.text.is_empty() {
            let joined = values.join("\n");
            check_text(
                &format!("header {}", h.name),
                &joined,
                &h.text,
                render,
                redactor,
                &mut out,
                &mut expected,
            )?;
        }
        if out.mismatches.len() != before {
            for v in &values {
                out.details
                    .push(format!("{}: {}", h.name, cut(redactor, v)));
            }
        }
        let actual = values.iter().map(|v| cut(redactor, v)).collect();
        out.check(format!("header {}", h.name), expected, actual, before);
    }
    if let Some(body) = &expect.body {
        let before = out.mismatches.len();
        let mut expected = Vec::new();
        check_text(
            "the body",
            &d.body,
            body,
            render,
            redactor,
            &mut out,
            &mut expected,
        )?;
        // The body itself is not repeated: a failure quotes its first lines.
        out.check("body".to_owned(), expected, Vec::new(), before);
        if out.mismatches.len() != before {
            // Redacted whole: a secret with a line break is masked on both lines.
            let body = redactor.redact(&d.body);
            let lines: Vec<&str> = body.lines().collect();
            for l in lines.iter().take(MAX_BODY_LINES) {
                out.details.push(format!("body: {}", cut(redactor, l)));
            }
            if lines.len() > MAX_BODY_LINES {
                out.details.push(format!(
                    "body: ... {} more lines",
                    lines.len() - MAX_BODY_LINES
                ));
            }
            if lines.is_empty() {
                out.details.push("body: (empty)".to_owned());
            }
        }
    }
    let mut used = vec![false; d.attachments.len()];
    let mut attachments_bad = false;
    for (n, want) in expect.attachments.iter().enumerate() {
        let before = out.mismatches.len();
        let hit = d.attachments.iter().enumerate().position(|(i, a)| {
            !used.get(i).copied().unwrap_or(true)
                && want
                    .name
                    .as_ref()
                    .is_none_or(|n| a.name.as_ref() == Some(n))
                && want
                    .content_type
                    .as_ref()
                    .is_none_or(|t| *t == a.content_type)
                && want.size.is_none_or(|s| s == a.size)
        });
        let actual = match hit.and_then(|i| used.get_mut(i).zip(d.attachments.get(i))) {
            Some((slot, found)) => {
                *slot = true;
                vec![found.to_string()]
            }
            None => {
                attachments_bad = true;
                out.mismatches.push(format!("the message has no {want}"));
                Vec::new()
            }
        };
        out.check(
            format!("attachment {}", n + 1),
            vec![want.to_string()],
            actual,
            before,
        );
    }
    if attachments_bad {
        if d.attachments.is_empty() {
            out.details.push("attachments: none".to_owned());
        }
        for a in &d.attachments {
            out.details.push(format!("attachment: {a}"));
        }
    }
    if let Some(want) = &expect.structure {
        let before = out.mismatches.len();
        if *want != d.structure {
            out.mismatches.push(format!(
                "the MIME structure is {}, expected {want}",
                d.structure
            ));
        }
        out.check(
            "structure".to_owned(),
            vec![want.clone()],
            vec![d.structure.clone()],
            before,
        );
    }
    Ok(out)
}

/// Check `text`; each check is described in `expected` (as the plan says it).
fn check_text(
    what: &str,
    text: &str,
    t: &TextExpect,
    render: &mut Render<'_>,
    redactor: &Redactor,
    out: &mut CheckedMessage,
    expected: &mut Vec<String>,
) -> Result<(), StepFailure> {
    if let Some(want) = &t.equals {
        let want = render(want)?;
        expected.push(format!("equals {want:?}"));
        if text != want {
            out.mismatches.push(format!(
                "{what} is {:?}, expected {want:?}",
                cut(redactor, text)
            ));
        }
    }
    if let Some(want) = &t.contains {
        let want = render(want)?;
        expected.push(format!("contains {want:?}"));
        if !text.contains(&want) {
            out.mismatches
                .push(format!("{what} does not contain {want:?}"));
        }
    }
    if let Some(re) = &t.matches {
        expected.push(format!("matches /{re}/"));
        if !re.is_match(text) {
            out.mismatches.push(format!("{what} does not match /{re}/"));
        }
    }
    if let Some(re) = &t.not_matches {
        expected.push(format!("does not match /{re}/"));
        if re.is_match(text) {
            out.mismatches
                .push(format!("{what} matches /{re}/, which it must not"));
        }
    }
    for (name, re) in &t.capture {
        expected.push(format!("captures {name} with /{re}/"));
        match captured(re, text) {
            Some(v) => out.captures.push((name.clone(), v)),
            None => out
                .mismatches
                .push(format!("{what} does not match /{re}/ (capture `{name}`)")),
        }
    }
    Ok(())
}

/// The first group of the first match, or the whole match.
fn captured(re: &Regex, text: &str) -> Option<String> {
    let c = re.captures(text)?;
    c.get(1).or_else(|| c.get(0)).map(|m| m.as_str().to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mailbox::parse_delivered;
    use crate::model::{AttachmentExpect, CountRange, HeaderExpect};
    use crate::results::StepFailure;

    const MESSAGE: &str = "Return-Path: <alice@example.test>\r\nDelivered-To: bob@example.test\r\nReceived: from client by mail (Postfix) with ESMTPSA id ABC123\r\nX-Spam-Status: No, score=-1.2\r\nMessage-ID: <m1@smtp-plan>\r\nSubject: Quarterly report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe figures are attached.\r\n--b\r\nContent-Type: text/csv; name=\"report.csv\"\r\nContent-Disposition: attachment; filename=\"report.csv\"\r\n\r\nq,r\r\n--b--\r\n";

    fn header(
        name: &str,
        presence: Presence,
        count: Option<CountRange>,
        text: TextExpect,
    ) -> HeaderExpect {
        HeaderExpect {
            name: name.into(),
            presence,
            count,
            text,
        }
    }

    fn re(s: &str) -> Regex {
        Regex::new(s).unwrap()
    }

    fn lit(s: &str) -> Template {
        Template::parse(s, &|_| None).unwrap()
    }

    /// The mismatches (and captures) of `expect` on MESSAGE, found in `folder`.
    fn check(folder: &str, expect: &MailboxExpect) -> CheckedMessage {
        let d = parse_delivered(MESSAGE.as_bytes());
        let vars = std::collections::BTreeMap::new();
        let mut render = |t: &Template| {
            t.render(&vars)
                .map_err(|e| StepFailure::expectation(e.to_string(), Vec::new()))
        };
        check_delivered(&d, folder, expect, &mut render, &Redactor::default()).unwrap()
    }

    /// Every kind of check holds on the message as it is.
    fn holding() -> MailboxExpect {
        MailboxExpect {
            arrives: true,
            folder: Some("inbox".into()),
            headers: vec![
                header(
                    "return-path",
                    Presence::Present,
                    None,
                    TextExpect {
                        equals: Some(lit("<alice@example.test>")),
                        ..TextExpect::default()
                    },
                ),
                header(
                    "DKIM-Signature",
                    Presence::Absent,
                    None,
                    TextExpect::default(),
                ),
                header(
                    "Received",
                    Presence::Any,
                    Some(CountRange {
                        min: 1,
                        max: Some(1),
                    }),
                    TextExpect {
                        contains: Some(lit("ESMTPSA")),
                        matches: Some(re("id [A-F0-9]+$")),
                        not_matches: Some(re("ESMTP id")),
                        capture: vec![("queue".into(), re("id ([A-F0-9]+)"))],
                        ..TextExpect::default()
                    },
                ),
                header(
                    "X-Spam-Status",
                    Presence::Present,
                    None,
                    TextExpect::default(),
                ),
            ],
            body: Some(TextExpect {
                contains: Some(lit("figures")),
                ..TextExpect::default()
            }),
            attachments: vec![AttachmentExpect {
                name: Some("report.csv".into()),
                content_type: Some("text/csv".into()),
                size: Some(3),
            }],
            structure: Some("multipart/mixed(text/plain, text/csv)".into()),
        }
    }

    #[test]
    fn every_check_holds_on_a_matching_message_and_captures() {
        let c = check("INBOX", &holding());
        assert!(c.mismatches.is_empty(), "{:?}", c.mismatches);
        assert_eq!(c.captures, vec![("queue".to_owned(), "ABC123".to_owned())]);
    }

    /// Each check, broken alone, fails with its own words.
    #[test]
    fn each_check_fails_when_the_message_violates_it() {
        type Change = Box<dyn Fn(&mut MailboxExpect)>;
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "INBOX",
                Box::new(|e| e.folder = Some("Junk".into())),
                "the message arrived in INBOX, expected Junk",
            ),
            (
                "Junk",
                Box::new(|_| {}),
                "the message arrived in Junk, expected inbox",
            ),
            (
                "INBOX",
                Box::new(|e| e.headers[1].presence = Presence::Present),
                "header DKIM-Signature is missing",
            ),
            (
                "INBOX",
                Box::new(|e| e.headers[3].presence = Presence::Absent),
                "header X-Spam-Status is present, expected absent",
            ),
            (
                "INBOX",
                Box::new(|e| {
                    e.headers[2].count = Some(CountRange {
                        min: 2,
                        max: Some(2),
                    })
                }),
                "expected 2 Received header(s), got 1",
            ),
            (
                "INBOX",
                Box::new(|e| e.headers[2].count = Some(CountRange { min: 2, max: None })),
                "expected at least 2 Received header(s), got 1",
            ),
            (
                "INBOX",
                Box::new(|e| e.headers[0].text.equals = Some(lit("<>"))),
                "header return-path is \"<alice@example.test>\", expected \"<>\"",
            ),
            (
                "INBOX",
                Box::new(|e| e.headers[2].text.contains = Some(lit("ESMTPS "))),
                "header Received does not contain \"ESMTPS \"",
            ),
            (
                "INBOX",
                Box::new(|e| e.headers[2].text.matches = Some(re("^from other"))),
                "header Received does not match /^from other/",
            ),
            (
                "INBOX",
                Box::new(|e| e.headers[2].text.not_matches = Some(re("Postfix"))),
                "header Received matches /Postfix/, which it must not",
            ),
            (
                "INBOX",
                Box::new(|e| e.headers[2].text.capture = vec![("x".into(), re("lmtp id (\\d+)"))]),
                "header Received does not match /lmtp id (\\d+)/ (capture `x`)",
            ),
            (
                "INBOX",
                Box::new(|e| {
                    e.body = Some(TextExpect {
                        contains: Some(lit("invoice")),
                        ..TextExpect::default()
                    })
                }),
                "the body does not contain \"invoice\"",
            ),
            (
                "INBOX",
                Box::new(|e| {
                    e.body = Some(TextExpect {
                        equals: Some(lit("x")),
                        ..TextExpect::default()
                    })
                }),
                "the body is \"The figures are attached.\", expected \"x\"",
            ),
            (
                "INBOX",
                Box::new(|e| e.attachments[0].size = Some(6)),
                "the message has no attachment named \"report.csv\", of type text/csv, of 6 bytes",
            ),
            (
                "INBOX",
                Box::new(|e| e.attachments[0].content_type = Some("application/pdf".into())),
                "the message has no attachment named \"report.csv\", of type application/pdf, of 3 bytes",
            ),
            (
                "INBOX",
                Box::new(|e| {
                    e.attachments.push(AttachmentExpect {
                        name: Some("report.csv".into()),
                        ..AttachmentExpect::default()
                    })
                }),
                "the message has no attachment named \"report.csv\"",
            ),
            (
                "INBOX",
                Box::new(|e| e.structure = Some("text/plain".into())),
                "the MIME structure is multipart/mixed(text/plain, text/csv), expected text/plain",
            ),
        ];
        for (folder, change, want) in cases {
            let mut e = holding();
            change(&mut e);
            let c = check(folder, &e);
            assert_eq!(c.mismatches, vec![want.to_owned()], "case {want:?}");
        }
    }

    #[test]
    fn each_check_is_recorded_with_its_outcome() {
        let mut e = holding();
        e.headers[1].presence = Presence::Present;
        let c = check("INBOX", &e);
        let outcomes: Vec<(&str, bool)> = c
            .checks
            .iter()
            .map(|k| (k.what.as_str(), k.held()))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("folder", true),
                ("header return-path", true),
                ("header DKIM-Signature", false),
                ("header Received", true),
                ("header X-Spam-Status", true),
                ("body", true),
                ("attachment 1", true),
                ("structure", true),
            ]
        );
        assert_eq!(c.checks[0].actual, ["INBOX"]);
        assert_eq!(c.checks[2].expected, ["present"]);
        assert!(c.checks[2].actual.is_empty());
        assert_eq!(c.checks[2].failures, ["header DKIM-Signature is missing"]);
        assert_eq!(
            c.checks[3].expected,
            [
                "count 1",
                "contains \"ESMTPSA\"",
                "matches /id [A-F0-9]+$/",
                "does not match /ESMTP id/",
                "captures queue with /id ([A-F0-9]+)/"
            ]
        );
        assert_eq!(
            c.checks[3].actual,
            ["from client by mail (Postfix) with ESMTPSA id ABC123"]
        );
        assert_eq!(c.checks[5].expected, ["contains \"figures\""]);
        assert_eq!(c.checks[6].actual, ["report.csv (text/csv, 3 bytes)"]);
        assert_eq!(
            c.checks[7].actual,
            ["multipart/mixed(text/plain, text/csv)"]
        );
    }

    #[test]
    fn failures_show_what_the_message_has() {
        let mut e = holding();
        e.headers[1].presence = Presence::Present;
        e.attachments[0].size = Some(6);
        let c = check("INBOX", &e);
        assert_eq!(c.mismatches.len(), 2);
        assert!(
            c.details
                .contains(&"attachment: report.csv (text/csv, 3 bytes)".to_owned()),
            "{:?}",
            c.details
        );
    }
}
