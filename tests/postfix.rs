//! The shipped Postfix plans against the real Postfix + Dovecot (started by scripts/test).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn submission_plan_passes_like_the_seed_walkthrough() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("submission.xml");
    let r = run_plan(
        "scenarios/postfix/submission.yaml",
        &["--junit", junit.to_str().unwrap(), "-v"],
    );
    r.assert_code(0);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
    assert!(
        r.stdout.contains("S: 235 2.7.0 Authentication successful"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("* captured queue_id = "), "{}", r.stdout);
    assert_valid_junit(&junit);
}

/// The `captured queue_id = X` value from a `-v` run.
fn queue_id(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.contains("captured queue_id = "))
        .expect("a queue id was captured");
    line.rsplit(' ').next().unwrap().to_owned()
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn mx_plan_passes_and_the_message_arrives_intact() {
    let pf = postfix();
    let r = run_plan("scenarios/postfix/smtp.yaml", &["-v"]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "4 passed, 0 failed");
    // on the wire the dot lines were stuffed
    assert!(
        r.stdout.contains("C: ..this line starts with a dot"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("C: ...and this one with two"),
        "{}",
        r.stdout
    );
    let id = queue_id(&r.stdout);
    // delivery is asynchronous: wait (bounded) for the file that Postfix wrote for this id
    let new = pf.maildir.join("alice/new");
    let marker = format!("id {id}");
    let message = delivered_file(&new, &marker, std::time::Duration::from_secs(10));
    for header in [
        "Subject: smtp-plan delivery check",
        "X-Smtp-Plan: delivery",
        "To: <alice@example.test>",
        "Return-Path: <>",
    ] {
        assert!(
            message.contains(header),
            "missing {header:?} in:\n{message}"
        );
    }
    let body = message
        .split_once("\n\n")
        .expect("headers, blank line, body")
        .1;
    assert_eq!(
        body,
        "This line is ordinary.\n.this line starts with a dot and is dot-stuffed on the wire\n..and this one with two\n.\nThe single dot above is not the end of the message.\n"
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn auth_plan_logs_in_with_every_dovecot_mechanism() {
    let pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("auth.xml");
    let r = run_plan(
        "scenarios/postfix/auth.yaml",
        &["--junit", junit.to_str().unwrap(), "-v"],
    );
    r.assert_code(0);
    assert_eq!(r.last_line(), "11 passed, 0 failed");
    for mech in ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"] {
        assert!(
            r.stdout.contains(&format!("C: AUTH {mech}")),
            "{mech}: {}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .contains("* SCRAM-SHA-1: the server signature is valid"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("* mechanism auto chose AUTH SCRAM-SHA-256"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("S: 535 5.7.8"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("C: NOOP the first challenge was Username:"),
        "{}",
        r.stdout
    );
    let password = std::env::var("SMTP_PLAN_POSTFIX_PASSWORD").unwrap();
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(!r.stdout.contains(&password) && !xml.contains(&password));
    assert_valid_junit(&junit);
    let _ = pf;
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_broken_expectation_in_a_postfix_plan_fails_the_run() {
    let _pf = postfix();
    let text = std::fs::read_to_string(repo().join("scenarios/postfix/smtp.yaml")).unwrap();
    let broken = text.replace(
        "expect: {code: 554, enhanced: 5.7.1",
        "expect: {code: 554, enhanced: 5.7.2",
    );
    assert_ne!(text, broken);
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "broken-smtp.yaml", &broken);
    let r = run_plan(path.to_str().unwrap(), &[]);
    r.assert_code(1);
    assert_eq!(r.last_line(), "3 passed, 1 failed");
    assert!(
        r.stdout.contains("expected enhanced code 5.7.2, got 5.7.1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("FAIL  Postfix MX (25) › relaying without AUTH is refused"),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn plaintext_auth_is_refused_on_the_smtp_port_unless_the_step_allows_it() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    // The smtp port offers AUTH before STARTTLS: smtp-plan still sends nothing without TLS.
    let text = "target: {host: '${env:SMTP_PLAN_POSTFIX_HOST}', port: '${env:SMTP_PLAN_POSTFIX_SMTP_PORT}'}\nvars: {user: '${env:SMTP_PLAN_POSTFIX_USER}', password: '${env:SMTP_PLAN_POSTFIX_PASSWORD}'}\nsecrets: [password]\nscenarios:\n  - name: plaintext\n    steps:\n      - expect: 220\n      - ehlo: client.test\n        expect: {capabilities: [AUTH SCRAM-SHA-256]}\n      - auth: {mechanism: auto, username: '${user}', password: '${password}'}\n";
    let path = plan(dir.path(), "plaintext.yaml", text);
    let r = run_plan(path.to_str().unwrap(), &["-v"]);
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "refusing to send credentials (AUTH SCRAM-SHA-256) over a connection without TLS"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
    // ... unless the step allows it (a negative test): then Dovecot answers as usual.
    let allowed = text.replace(
        "password: '${password}'}\n",
        "password: '${password}'}\n        allow_plaintext: true\n        expect: {code: 235, enhanced: 2.7.0}\n",
    );
    let path = plan(dir.path(), "allowed.yaml", &allowed);
    let r = run_plan(path.to_str().unwrap(), &["-v"]);
    r.assert_code(0);
}
