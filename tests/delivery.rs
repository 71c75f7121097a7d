//! The `mailbox` step against the real Postfix + Dovecot IMAP (started by scripts/test): the
//! shipped delivery plan passes, and each way a delivery can go wrong fails it with its reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "leaks/forms.rs"]
mod forms;

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
    assert_eq!(r.last_line(), "6 passed, 0 failed");
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
        "* captured spf = pass",
        "S: X-Spam-Status: Yes, score=7.3 required=5.0 tests=BAYES_99,URIBL_BLACK",
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
    // the structured record of the same step: where it looked, what it found, each check
    let m = &mailbox["mailbox"];
    assert_eq!(m["source"], "imap");
    assert!(
        m["place"]
            .as_str()
            .unwrap()
            .starts_with("bob@example.test at imap 127.0.0.1:")
    );
    assert!(m["message_id"].as_str().unwrap().starts_with('<'));
    assert_eq!(
        (m["must_arrive"].as_bool(), m["arrived"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(m["within_ms"], 10000.0);
    assert_eq!(m["poll_ms"], 100.0);
    assert!(m["looks"].as_u64().unwrap() >= 1);
    assert!(m["waited_ms"].as_f64().unwrap() < 10000.0);
    assert_eq!(m["found"]["folder"], "INBOX");
    assert_eq!(
        m["found"]["structure"],
        "multipart/mixed(text/plain, text/csv)"
    );
    assert_eq!(m["found"]["copies"], 1);
    let checks = m["checks"].as_array().unwrap();
    let whats: Vec<&str> = checks.iter().map(|c| c["what"].as_str().unwrap()).collect();
    assert_eq!(
        whats,
        [
            "folder",
            "header Return-Path",
            "header Delivered-To",
            "header Received",
            "header Subject",
            "header DKIM-Signature",
            "header X-Spam-Status",
            "body",
            "attachment 1",
            "structure"
        ]
    );
    assert!(
        checks
            .iter()
            .all(|c| c["held"] == true && c["failures"] == serde_json::json!([]))
    );
    assert_eq!(
        checks[1]["expected"],
        serde_json::json!(["present", "equals \"<alice@example.test>\""])
    );
    assert_eq!(
        checks[1]["actual"],
        serde_json::json!(["<alice@example.test>"])
    );
    assert_eq!(checks[5]["expected"], serde_json::json!(["absent"]));
    // the message that must not arrive: looked until `within` ended, found nothing
    let scenarios = report["suites"][0]["scenarios"].as_array().unwrap();
    let dropped = scenarios.last().unwrap()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["keyword"] == "mailbox")
        .unwrap();
    let m = &dropped["mailbox"];
    assert_eq!(
        (m["must_arrive"].as_bool(), m["arrived"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(m["found"].is_null());
    assert!(m["waited_ms"].as_f64().unwrap() >= 1000.0, "{m}");
    assert!(m["looks"].as_u64().unwrap() >= 2, "{m}");
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
fn dkim_and_spam_headers_that_are_there_fail_checks_that_want_otherwise() {
    const SIGNED: &str = "FAIL  Postfix delivery, checked in the mailbox › a signed message flagged as spam arrives with its DKIM-Signature and X-Spam-Status";
    let r = broken(
        "DKIM-Signature: {count: 1, contains: 'd=example.test; s=mail'}",
        "DKIM-Signature: absent",
        &[
            SIGNED,
            "header DKIM-Signature is present, expected absent",
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.test; s=mail;",
        ],
    );
    assert!(r.stdout.contains("5 passed, 1 failed"), "{}", r.stdout);
    broken(
        "X-Spam-Status: {matches: '^Yes, score=[0-9.]+', not_matches: '^No'}",
        "X-Spam-Status: {matches: '^No'}",
        &[
            SIGNED,
            "header X-Spam-Status does not match /^No/",
            "X-Spam-Status: Yes, score=7.3 required=5.0",
        ],
    );
    broken(
        "X-Spam-Status: {matches: '^Yes, score=[0-9.]+', not_matches: '^No'}",
        "X-Spam-Status: {not_matches: '^Yes'}",
        &[
            SIGNED,
            "header X-Spam-Status matches /^Yes/, which it must not",
        ],
    );
    broken(
        "X-Spam-Flag: present",
        "X-Spam-Flag: absent",
        &[SIGNED, "header X-Spam-Flag is present, expected absent"],
    );
    broken(
        "Authentication-Results: {contains: 'dkim=pass', capture",
        "Authentication-Results: {contains: 'dkim=fail', capture",
        &[
            SIGNED,
            "header Authentication-Results does not contain \"dkim=fail\"",
        ],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_failed_check_is_in_the_json_mailbox_record() {
    let _pf = postfix();
    let text = std::fs::read_to_string(repo().join(PLAN)).unwrap();
    let changed = text.replacen(
        "DKIM-Signature: {count: 1, contains: 'd=example.test; s=mail'}",
        "DKIM-Signature: absent",
        1,
    );
    let dir = copy_of_plan(&changed);
    let json = dir.path().join("report.json");
    let r = run_plan(
        dir.path().join("delivery.yaml").to_str().unwrap(),
        &[
            "--file-root",
            ".",
            "--filter",
            "signed message",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    r.assert_code(1);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let step = report["suites"][0]["scenarios"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["keyword"] == "mailbox")
        .unwrap()
        .clone();
    assert_eq!(step["status"], "failed");
    let m = &step["mailbox"];
    assert_eq!(m["source"], "maildir");
    assert_eq!(m["found"]["folder"], "INBOX");
    let dkim = m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == "header DKIM-Signature")
        .unwrap();
    assert_eq!(dkim["held"], false);
    assert_eq!(dkim["expected"], serde_json::json!(["absent"]));
    assert_eq!(
        dkim["failures"],
        serde_json::json!(["header DKIM-Signature is present, expected absent"])
    );
    assert!(
        dkim["actual"][0]
            .as_str()
            .unwrap()
            .starts_with("v=1; a=rsa-sha256;"),
        "{dkim}"
    );
    let spam = m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == "header X-Spam-Status")
        .unwrap();
    assert_eq!(spam["held"], true);
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_secret_in_the_delivered_message_is_in_no_output() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let transcripts = dir.path().join("transcripts");
    let html = dir.path().join("html");
    let r = run_plan(
        "tests/plans/mailbox-secret.yaml",
        &[
            "-v",
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--transcript-dir",
            transcripts.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    );
    r.assert_code(1);
    assert_eq!(r.last_line(), "1 passed, 1 failed");
    for want in [
        "PASS  a secret in the delivered message › the checks hold, and the token is hidden",
        "FAIL  a secret in the delivered message › the checks fail, quoting the header and the body, and the token is hidden",
        "header X-Token is \"***\", expected \"not the token\"",
        "the body is \"Your token: ***\\nKeep it safe.\\n\", expected \"something else\"",
        "body: Your token: ***",
        "X-Token: ***",
        "is not shown: it holds a secret",
        "* captured header_token = ***",
        "* captured body_token = ***",
    ] {
        assert!(
            r.stdout.contains(want),
            "missing {want:?} in:\n{}",
            r.stdout
        );
    }
    let mut outputs = vec![
        ("console", r.stdout.clone()),
        ("stderr", r.stderr.clone()),
        ("json", std::fs::read_to_string(&json).unwrap()),
        ("junit", std::fs::read_to_string(&junit).unwrap()),
        (
            "html",
            std::fs::read_to_string(html.join("index.html")).unwrap(),
        ),
    ];
    for entry in walk(&transcripts) {
        outputs.push(("transcript", std::fs::read_to_string(entry).unwrap()));
    }
    assert!(outputs.iter().filter(|(k, _)| *k == "transcript").count() >= 2);
    let token = "Tök€n-pässwörd-4711";
    let mut forms = forms::forbidden_forms(token);
    // the encodings a message uses for it: RFC 2047 and quoted-printable
    forms.extend([
        "T=C3=B6k=E2=82=ACn".to_owned(),
        "=C3=B6k=E2=82=AC".to_owned(),
    ]);
    for name in ["SMTP_PLAN_POSTFIX_PASSWORD", "SMTP_PLAN_POSTFIX_PASSWORD2"] {
        forms.extend(forms::forbidden_forms(&std::env::var(name).unwrap()));
    }
    for (what, text) in &outputs {
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "{what} holds {form:?}:\n{text}"
            );
        }
    }
    // the JSON record of the mailbox step shows the header it checked, masked
    let report: serde_json::Value = serde_json::from_str(&outputs[2].1).unwrap();
    let failed = &report["suites"][0]["scenarios"][1]["steps"];
    let m = failed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["keyword"] == "mailbox")
        .unwrap();
    let token_check = &m["mailbox"]["checks"][0];
    assert_eq!(token_check["what"], "header X-Token");
    assert_eq!(token_check["actual"], serde_json::json!(["***"]));
    assert_eq!(token_check["held"], false);
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
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
