//! The SMTP extension steps against the real Postfix of the test suite (started by
//! scripts/test): DSN, SIZE, 8BITMIME, SMTPUTF8, several recipients, ETRN/EXPN/HELP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;

/// The delivered message holding `marker`, waiting (bounded) for Postfix's delivery.
fn delivered(maildir: &std::path::Path, marker: &str) -> String {
    delivered_file(&maildir.join("new"), marker, Duration::from_secs(10))
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
    assert_eq!(r.last_line(), "6 passed, 0 failed");
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

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn bdat_chunks_arrive_as_one_message_with_the_counts_postfix_reports() {
    let pf = postfix();
    let r = run_plan(
        "scenarios/postfix/extensions.yaml",
        &["-v", "--filter", "CHUNKING"],
    );
    r.assert_code(0);
    // smtp-plan counted the bytes; Postfix counts them too, chunk by chunk and in total.
    let size = r
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("* the message is "))
        .and_then(|l| l.split(' ').next())
        .expect("the message size was noted")
        .to_owned();
    assert!(
        r.stdout.contains(&format!(
            "C: MAIL FROM:<alice@example.test> SIZE={size} BODY=8BITMIME"
        )),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.matches("S: 250 2.0.0 Ok: 40 bytes").count(),
        size.parse::<usize>().unwrap() / 40,
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(&format!("S: 250 2.0.0 Ok: {size} bytes queued as")),
        "{}",
        r.stdout
    );
    // This run's message: Postfix's Received header names the queue id it gave.
    let queue_id = r
        .stdout
        .lines()
        .find_map(|l| l.split_once(" bytes queued as "))
        .map(|(_, id)| id.trim().to_owned())
        .expect("a queue id");
    let message = delivered(&pf.maildir.join("bob"), &format!("id {queue_id}"));
    assert!(
        message.contains("Subject: smtp-plan chunking check"),
        "{message}"
    );
    assert!(
        message.contains("\n.this line starts with a dot, which BDAT does not stuff\n"),
        "{message}"
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn binarymime_is_refused_before_sending_since_postfix_does_not_advertise_it() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let text = "target: {host: '${env:SMTP_PLAN_POSTFIX_HOST}', port: '${env:SMTP_PLAN_POSTFIX_SMTP_PORT}'}\nscenarios:\n  - name: binarymime\n    steps:\n      - expect: 220\n      - ehlo: client.test\n        expect: {capabilities: [CHUNKING], lacks: [BINARYMIME]}\n      - mail_from: {address: alice@example.test, body: BINARYMIME}\n";
    let path = plan(dir.path(), "binarymime.yaml", text);
    let r = run_plan(path.to_str().unwrap(), &["-v"]);
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "the server did not advertise BINARYMIME in its EHLO reply, which BODY=BINARYMIME needs: nothing was sent"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("C: MAIL"), "{}", r.stdout);
    // Sent anyway, Postfix itself refuses it.
    let anyway = text.replace("body: BINARYMIME}\n", "body: BINARYMIME}\n        send_anyway: true\n        expect: {code: 555, enhanced: 5.5.4, contains: BINARYMIME}\n");
    let path = plan(dir.path(), "anyway.yaml", &anyway);
    let r = run_plan(path.to_str().unwrap(), &["-v"]);
    r.assert_code(0);
}

/// Postfix log lines that mention `needle`, waiting (bounded) for them to be written.
fn postfix_log_lines_with(needle: &str) -> Vec<String> {
    let log = std::env::var("SMTP_PLAN_POSTFIX_LOG").expect("SMTP_PLAN_POSTFIX_LOG");
    log_lines_with(std::path::Path::new(&log), needle, Duration::from_secs(10))
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn xclient_and_xforward_claims_reach_postfix() {
    let _pf = postfix();
    let r = run_plan("scenarios/postfix/xclient.yaml", &["-v"]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "2 passed, 0 failed");
    assert!(
        r.stdout.contains(
            "* XCLIENT accepted: that was the server's new greeting; its EHLO reply is needed again"
        ),
        "{}",
        r.stdout
    );
    // Postfix logged the forwarded client under this run's queue id.
    let id = r
        .stdout
        .lines()
        .find_map(|l| l.split_once("* captured queue_id = "))
        .map(|(_, id)| id.trim().to_owned())
        .expect("a queue id");
    let lines = postfix_log_lines_with(&format!("{id}: client="));
    assert!(
        lines[0].contains("orig_client=origin.example.test[127.0.0.10]"),
        "{lines:?}"
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn xclient_where_postfix_does_not_offer_it_fails_before_sending() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    // The plain smtp port does not authorize XCLIENT, so does not advertise it.
    let text = "target: {host: '${env:SMTP_PLAN_POSTFIX_HOST}', port: '${env:SMTP_PLAN_POSTFIX_SMTP_PORT}'}\nscenarios:\n  - name: xclient\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - xclient: {addr: 127.0.0.9}\n";
    let path = plan(dir.path(), "xclient.yaml", text);
    let r = run_plan(path.to_str().unwrap(), &["-v"]);
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "the server did not advertise XCLIENT in its EHLO reply, which XCLIENT needs: nothing was sent"
        ),
        "{}",
        r.stdout
    );
    // Sent anyway, Postfix refuses it.
    let anyway = text.replace(
        "      - xclient: {addr: 127.0.0.9}\n",
        "      - xclient: {addr: 127.0.0.9}\n        send_anyway: true\n        expect: {code: 550, enhanced: 5.7.0}\n",
    );
    let path = plan(dir.path(), "anyway.yaml", &anyway);
    let r = run_plan(path.to_str().unwrap(), &["-v"]);
    r.assert_code(0);
}

/// A loopback address no earlier run used: Postfix's log shows it only for this run.
fn fresh_loopback(n: u32) -> String {
    let id = std::process::id();
    format!(
        "127.{}.{}.{}",
        10 + (id >> 16) % 200,
        (id >> 8) % 256,
        (id % 200) + n
    )
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn postfix_sees_the_clients_the_proxy_headers_claim_and_the_bound_address() {
    let _pf = postfix();
    let (v1, v2, local) = (fresh_loopback(1), fresh_loopback(2), fresh_loopback(3));
    let r = run_plan(
        "scenarios/postfix/proxy.yaml",
        &[
            "-v",
            "--var",
            &format!("client_v1={v1}"),
            "--var",
            &format!("client_v2={v2}"),
            "--var",
            &format!("local={local}"),
        ],
    );
    r.assert_code(0);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
    assert!(
        r.stdout.contains(&format!(
            "* PROXY protocol v2 header first: TCP4 {v2}:4001 -> 127.0.0.1:"
        )),
        "{}",
        r.stdout
    );
    let proxy_port = std::env::var("SMTP_PLAN_POSTFIX_PROXY_PORT").unwrap();
    let smtp_port = std::env::var("SMTP_PLAN_POSTFIX_SMTP_PORT").unwrap();
    for (addr, port) in [(&v1, &proxy_port), (&v2, &proxy_port), (&local, &smtp_port)] {
        let lines = postfix_log_lines_with(&format!("connect from unknown[{addr}]"));
        assert!(lines[0].contains(&format!("-{port}/smtpd")), "{lines:?}");
    }
    // --bind does the same for a plan that names no local address.
    let cli = fresh_loopback(4);
    let dir = tempfile::tempdir().unwrap();
    let text = "target: {host: '${env:SMTP_PLAN_POSTFIX_HOST}', port: '${env:SMTP_PLAN_POSTFIX_SMTP_PORT}'}\nscenarios:\n  - name: bound\n    steps:\n      - expect: 220\n      - quit\n";
    let path = plan(dir.path(), "bound.yaml", text);
    run_plan(path.to_str().unwrap(), &["--bind", &cli]).assert_code(0);
    postfix_log_lines_with(&format!("connect from unknown[{cli}]"));
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn without_the_proxy_header_postfix_never_greets() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let text = "target: {host: '${env:SMTP_PLAN_POSTFIX_HOST}', port: '${env:SMTP_PLAN_POSTFIX_PROXY_PORT}', timeout: 1s}\nscenarios:\n  - name: no header\n    steps:\n      - expect: 220\n";
    let path = plan(dir.path(), "noproxy.yaml", text);
    let r = run_plan(path.to_str().unwrap(), &[]);
    r.assert_code(1);
    assert!(r.stdout.contains("ERROR"), "{}", r.stdout);
    assert!(r.stdout.contains("no reply within 1s"), "{}", r.stdout);
}
