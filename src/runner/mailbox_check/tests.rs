//! Checking delivered messages: each part of `expect:` on its own, held and not held.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

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
