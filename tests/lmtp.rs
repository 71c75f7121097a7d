//! LMTP end to end against the real Dovecot of the test suite (started by scripts/test), over
//! its Unix socket and over TCP: the shipped plan passes, Dovecot's log shows the deliveries,
//! and each expectation of the plan fails when Dovecot's answer or the delivered message
//! differs from it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const PLAN: &str = "scenarios/postfix/lmtp.yaml";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/test"))
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn the_lmtp_plan_delivers_over_the_unix_socket_and_over_tcp() {
    let pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("lmtp.json");
    let junit = dir.path().join("lmtp.xml");
    let r = run_plan(
        PLAN,
        &[
            "-v",
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    r.assert_code(0);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
    let socket = env("SMTP_PLAN_POSTFIX_LMTP_SOCKET");
    let port = env("SMTP_PLAN_POSTFIX_LMTP_PORT");
    for want in [
        format!("* connecting to unix:{socket}\n"),
        format!("* connecting to 127.0.0.1:{port}\n"),
        "S: 220 mail.example.test Dovecot (Debian) ready.".to_owned(),
        "S: 550 5.1.1 <nobody@example.test> User doesn't exist: nobody@example.test".to_owned(),
        "* LMTP: reading one reply per accepted recipient (2)".to_owned(),
        "* found in INBOX after ".to_owned(),
        "S: \tby mail.example.test with LMTPS".to_owned(),
        "* TLS established: TLSv1.3".to_owned(),
    ] {
        assert!(
            r.stdout.contains(&want),
            "missing {want:?} in:\n{}",
            r.stdout
        );
    }
    // Dovecot says so too: each accepted recipient's copy saved
    let log = std::fs::read_to_string(pf.dir.join("dovecot.log")).unwrap();
    for user in ["alice@example.test", "bob@example.test"] {
        assert!(
            log.lines()
                .any(|l| l.contains(&format!("lmtp({user})")) && l.contains("saved mail to INBOX")),
            "{log}"
        );
    }
    let password = env("SMTP_PLAN_POSTFIX_PASSWORD2");
    let report = std::fs::read_to_string(&json).unwrap();
    let xml = std::fs::read_to_string(&junit).unwrap();
    for text in [&r.stdout, &report, &xml] {
        assert!(!text.contains(&password));
    }
    assert_valid_junit(&junit);
}

/// The shipped plan with one text replaced (which must be there), run with `args`: it must
/// exit with `code` and print every one of `want`.
fn changed(from: &str, to: &str, code: i32, want: &[&str]) -> Run {
    let _pf = postfix();
    let text = std::fs::read_to_string(repo().join(PLAN)).unwrap();
    let changed = text.replacen(from, to, 1);
    assert_ne!(text, changed, "{from:?} is not in the plan");
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "lmtp.yaml", &changed);
    let r = run_plan(path.to_str().unwrap(), &[]);
    r.assert_code(code);
    for w in want {
        assert!(r.stdout.contains(w), "missing {w:?} in:\n{}", r.stdout);
    }
    r
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_recipient_reply_after_the_message_that_differs_fails() {
    changed(
        "- {code: 250, enhanced: 2.0.0, contains: '<${user}>', matches: ' Saved$'}",
        "- {code: 452, enhanced: 4.2.2, contains: '<${user}>', matches: ' Saved$'}",
        1,
        &[
            "FAIL  Dovecot LMTP delivery › over the Unix socket, checked in the mailbox",
            "recipient 1 of 2 (alice@example.test): expected code 452, got 250",
            "FAIL  Dovecot LMTP delivery › over TCP, checked in the mailbox",
        ],
    );
    // one expectation too many for the recipients Dovecot accepted
    changed(
        "        per_recipient:\n",
        "        per_recipient:\n          - 250\n",
        1,
        &["`per_recipient` lists 3 expectation(s), but 2 recipient(s) were accepted"],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn an_unknown_recipient_is_refused_at_rcpt_and_a_plan_that_wants_it_fails() {
    changed(
        "- {address: nobody@example.test, expect: {code: 550, enhanced: 5.1.1, contains: \"User doesn't exist\"}}",
        "- nobody@example.test",
        1,
        &["550 5.1.1 <nobody@example.test> User doesn't exist: nobody@example.test"],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn the_delivered_message_is_checked() {
    changed(
        "Received: {count: 1, matches: 'by mail\\.example\\.test with LMTP'}",
        "Received: {count: 1, contains: 'with LMTPS'}",
        1,
        &["header Received does not contain \"with LMTPS\""],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn starttls_over_the_socket_needs_the_right_server_name() {
    let r = changed(
        "  server_name: localhost          # a socket",
        "  # a socket",
        1,
        &[
            "a Unix socket has no host name to check the server certificate against",
            "STARTTLS was not sent",
        ],
    );
    assert!(r.stdout.contains("2 passed, 1 failed"), "{}", r.stdout);
    changed(
        "  server_name: localhost          # a socket",
        "  server_name: other.example.test # a socket",
        1,
        &["is not valid for \"other.example.test\"; it holds: localhost, 127.0.0.1"],
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_socket_where_dovecot_is_not_is_refused() {
    let socket = env("SMTP_PLAN_POSTFIX_LMTP_SOCKET");
    let r = changed(
        "  socket: ${env:SMTP_PLAN_POSTFIX_LMTP_SOCKET:-../../.run/servers/dovecot-run/lmtp}",
        &format!("  socket: {socket}-missing"),
        1,
        &[&format!(
            "could not connect to unix:{socket}-missing: no such socket"
        )],
    );
    // the TCP scenario does not use the socket
    assert!(r.stdout.contains("1 passed, 2 failed"), "{}", r.stdout);
}
