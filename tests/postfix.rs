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
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let message = loop {
        let found = std::fs::read_dir(&new)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|text| text.contains(&marker));
        if let Some(text) = found {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no message with {marker} in {}",
            new.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
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
