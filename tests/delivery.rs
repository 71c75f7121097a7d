//! The `mailbox` step against the real Postfix + Dovecot IMAP (started by scripts/test): the
//! shipped delivery plan passes, and each way a delivery can go wrong fails it with its reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const PLAN: &str = "scenarios/postfix/delivery.yaml";

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn the_delivery_plan_passes_over_imap_and_maildir_and_shows_it_in_every_report() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("delivery.xml");
    let json = dir.path().join("delivery.json");
    let r = run_plan(
        PLAN,
        &[
            "--junit",
            junit.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
            "-v",
            "--file-root",
            ".",
        ],
    );
    r.assert_code(0);
    assert_eq!(r.last_line(), "5 passed, 0 failed");
    for want in [
        "* IMAP: connecting to 127.0.0.1:",
        "(implicit TLS) as bob@example.test",
        "(STARTTLS) as bob@example.test",
        "* IMAP: logged in",
        "* found in INBOX after ",
        "multipart/mixed(text/plain, text/csv)",
        "* found in Junk after ",
        "* the message has no Message-ID: adding Message-ID: <",
        "* no message with Message-ID <",
        "S: Content-Disposition: attachment; filename=\"report.csv\"",
        "* captured relay = mail.example.test",
    ] {
        assert!(
            r.stdout.contains(want),
            "missing {want:?} in:\n{}",
            r.stdout
        );
    }
    for password in [
        std::env::var("SMTP_PLAN_POSTFIX_PASSWORD").unwrap(),
        std::env::var("SMTP_PLAN_POSTFIX_PASSWORD2").unwrap(),
    ] {
        let xml = std::fs::read_to_string(&junit).unwrap();
        let report = std::fs::read_to_string(&json).unwrap();
        assert!(!r.stdout.contains(&password) && !xml.contains(&password));
        assert!(!report.contains(&password));
    }
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("found in Junk after"), "{xml}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let steps = report["suites"][0]["scenarios"][0]["steps"]
        .as_array()
        .unwrap();
    let mailbox = steps.iter().find(|s| s["keyword"] == "mailbox").unwrap();
    assert_eq!(mailbox["status"], "passed");
    let lines: Vec<&str> = mailbox["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l.starts_with("found in INBOX after")),
        "{lines:?}"
    );
}

/// `text` as delivery.yaml in a temporary directory, with the attachment it sends beside it.
fn copy_of_plan(text: &str) -> tempfile::TempDir {
    // Under the repository (the file root of these runs), like the Maildirs the plan reads.
    let dir = tempfile::tempdir_in(repo().join("target")).unwrap();
    std::fs::create_dir(dir.path().join("messages")).unwrap();
    std::fs::copy(
        repo().join("scenarios/postfix/messages/report.csv"),
        dir.path().join("messages/report.csv"),
    )
    .unwrap();
    std::fs::write(dir.path().join("delivery.yaml"), text).unwrap();
    dir
}

/// The shipped plan with one text replaced (which must be there), run: it must fail (exit 1)
/// with `want` on the console.
fn broken(from: &str, to: &str, want: &[&str]) -> Run {
    let _pf = postfix();
    let text = std::fs::read_to_string(repo().join(PLAN)).unwrap();
    let changed = text.replacen(from, to, 1);
    assert_ne!(text, changed, "{from:?} is not in the plan");
    let dir = copy_of_plan(&changed);
    let r = run_plan(
        dir.path().join("delivery.yaml").to_str().unwrap(),
        &["--file-root", "."],
    );
    r.assert_code(1);
    for w in want {
        assert!(r.stdout.contains(w), "missing {w:?} in:\n{}", r.stdout);
    }
    r
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_missing_header_fails() {
    broken(
        "DKIM-Signature: absent          # this test server does not sign",
        "DKIM-Signature: present",
        &[
            "FAIL  Postfix delivery, checked in the mailbox › a report with an attachment arrives in INBOX intact (IMAP, implicit TLS)",
            "header DKIM-Signature is missing",
            "got:      Message-ID <",
        ],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_wrong_attachment_and_a_wrong_header_value_fail() {
    broken(
        "{name: report.csv, content_type: text/csv, size: 72}",
        "{name: report.csv, content_type: application/pdf, size: 72}",
        &[
            "the message has no attachment named \"report.csv\", of type application/pdf, of 72 bytes",
            "attachment: report.csv (text/csv, 72 bytes)",
        ],
    );
    broken(
        "Return-Path: {equals: '<${user}>'}\n            Delivered-To",
        "Return-Path: {equals: '<>'}\n            Delivered-To",
        &["header Return-Path is \"<alice@example.test>\", expected \"<>\""],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_message_in_the_wrong_folder_fails() {
    broken(
        "folder: Junk",
        "folder: INBOX",
        &["the message arrived in Junk, expected INBOX"],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_message_that_never_arrives_fails_after_the_wait() {
    let r = broken(
        "expect: {arrives: false}",
        "expect: {folder: INBOX}",
        &[
            "FAIL  Postfix delivery, checked in the mailbox › mail to the dropped address never arrives",
            "the message did not arrive within 1s",
            "looked ",
        ],
    );
    assert!(r.stdout.contains("Message-ID: <"), "{}", r.stdout);
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_message_that_arrives_when_it_must_not_fails() {
    // mail to bob (not to the dropped address) does arrive
    broken(
        "      - rcpt_to: ${dropped}",
        "      - rcpt_to: ${user}",
        &[
            "the message arrived in INBOX after ",
            "but it must not arrive",
        ],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn imap_login_tls_and_plaintext_are_checked_like_smtp() {
    // a wrong password: the step errors with Dovecot's words, the password shown nowhere
    let r = broken(
        "username: '${rcpt}', password: '${rcpt_password}'}\n          within: 10s\n          poll: 100ms\n        expect:\n          folder: INBOX",
        "username: '${rcpt}', password: 'wrong-${rcpt_password}'}\n          within: 10s\n          poll: 100ms\n        expect:\n          folder: INBOX",
        &[
            "ERROR Postfix delivery, checked in the mailbox › a report with an attachment",
            "IMAP login as bob@example.test failed: the server answered NO: [AUTHENTICATIONFAILED]",
        ],
    );
    let password = std::env::var("SMTP_PLAN_POSTFIX_PASSWORD2").unwrap();
    assert!(!r.stdout.contains(&password));
    // the certificate is checked for the name asked for
    broken(
        "imap: {port: '${imap_port}', tls: starttls,",
        "imap: {port: '${imap_port}', tls: starttls, server_name: other.example.test,",
        &["is not valid for \"other.example.test\"; it holds: localhost, 127.0.0.1"],
    );
    // no TLS, no password on the wire
    let r = broken(
        "imap: {port: '${imap_port}', tls: starttls,",
        "imap: {port: '${imap_port}', tls: none,",
        &[
            "refusing to send the IMAP password over a connection without TLS (`tls: none`): nothing was sent",
        ],
    );
    assert!(!r.stdout.contains("IMAP: connecting"), "{}", r.stdout);
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn plaintext_imap_login_works_when_the_step_allows_it() {
    let _pf = postfix();
    let text = std::fs::read_to_string(repo().join(PLAN)).unwrap();
    let changed = text.replacen(
        "imap: {port: '${imap_port}', tls: starttls,",
        "imap: {port: '${imap_port}', tls: none,",
        1,
    );
    let changed = changed.replacen(
        "          structure: text/plain\n",
        "          structure: text/plain\n        allow_plaintext: true\n",
        1,
    );
    let dir = copy_of_plan(&changed);
    let r = run_plan(
        dir.path().join("delivery.yaml").to_str().unwrap(),
        &[
            "--filter",
            "with a Message-ID added",
            "-v",
            "--file-root",
            ".",
        ],
    );
    r.assert_code(0);
    assert!(
        r.stdout.contains("(no TLS) as bob@example.test"),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_maildir_outside_the_file_root_is_a_load_error() {
    let _pf = postfix();
    // Without `--file-root .`, the root is scenarios/postfix: the Maildir under .run is outside.
    let r = run_plan(PLAN, &[]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("the Maildir `") && r.stderr.contains("is outside the file root"),
        "{}",
        r.stderr
    );
}
