//! The SMTP extension steps against the real Postfix of the test suite (started by
//! scripts/test): DSN, SIZE, 8BITMIME, SMTPUTF8, several recipients, ETRN/EXPN/HELP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::*;

/// The delivered message holding `marker`, waiting (bounded) for Postfix's delivery.
fn delivered(maildir: &std::path::Path, marker: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = std::fs::read_dir(maildir.join("new"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|text| text.contains(marker));
        if let Some(text) = found {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no message with {marker} in {}",
            maildir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn extensions_plan_passes_and_both_recipients_get_the_8bit_message() {
    let pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("extensions.xml");
    let r = run_plan(
        "scenarios/postfix/extensions.yaml",
        &["--junit", junit.to_str().unwrap(), "-v"],
    );
    r.assert_code(0);
    assert_eq!(r.last_line(), "5 passed, 0 failed");
    assert_valid_junit(&junit);
    let mail = r
        .stdout
        .lines()
        .find(|l| l.contains("C: MAIL FROM:<> SIZE="))
        .expect("MAIL FROM with SIZE");
    assert!(
        mail.contains("BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=extensions+2B"),
        "{mail}"
    );
    assert!(
        r.stdout.contains(
            "C: RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.test"
        ),
        "{}",
        r.stdout
    );
    // The uuid of the X-Smtp-Plan header identifies this run's message in both mailboxes.
    let header = r
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("C: X-Smtp-Plan: extensions "))
        .expect("the header was sent")
        .to_owned();
    for user in ["alice", "bob"] {
        let message = delivered(&pf.maildir.join(user), &header);
        assert!(message.contains("An 8-bit body: naïve café."), "{message}");
        assert!(message.contains("grüße"), "{message}");
    }
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_pipelined_group_delivers_and_postfix_answers_in_order() {
    let pf = postfix();
    let r = run_plan(
        "scenarios/postfix/extensions.yaml",
        &["-v", "--filter", "PIPELINING"],
    );
    r.assert_code(0);
    assert!(
        r.stdout.contains("* pipelining 5 commands in one write"),
        "{}",
        r.stdout
    );
    let marker = r
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("C: X-Smtp-Plan: pipelined "))
        .expect("the header was sent")
        .to_owned();
    for user in ["alice", "bob"] {
        let message = delivered(&pf.maildir.join(user), &marker);
        assert!(
            message.contains("Sent in one write with its envelope."),
            "{message}"
        );
    }
    // Expecting the refused recipient to be accepted fails on that command of the group.
    let text = std::fs::read_to_string(repo().join("scenarios/postfix/extensions.yaml")).unwrap();
    let broken = text.replace(
        "            expect: {code: 550, enhanced: 5.1.1}\n          - rcpt_to: '${user2}'",
        "            expect: 250\n          - rcpt_to: '${user2}'",
    );
    assert_ne!(text, broken);
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "broken.yaml", &broken);
    let r = run_plan(path.to_str().unwrap(), &["--filter", "PIPELINING"]);
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "pipelined command 3 of 5 (RCPT TO:<nobody@example.test>): expected code 250, got 550"
        ),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_recipient_postfix_refuses_fails_the_step_when_the_plan_expects_it_accepted() {
    let _pf = postfix();
    let text = std::fs::read_to_string(repo().join("scenarios/postfix/extensions.yaml")).unwrap();
    let broken = text.replace(
        "expect: {code: 550, enhanced: 5.1.1, contains: 'User unknown'}",
        "expect: 250",
    );
    assert_ne!(text, broken);
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "broken.yaml", &broken);
    let r = run_plan(path.to_str().unwrap(), &[]);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("recipient 3 of 3 <nobody@example.test>: expected code 250, got 550"),
        "{}",
        r.stdout
    );
}
