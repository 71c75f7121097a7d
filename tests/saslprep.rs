//! SCRAM prepares the user name and password with SASLprep (RFC 4013): against the real
//! Dovecot (through Postfix), a password spelled differently but equivalently (decomposed
//! umlauts, a no-break space, a soft hyphen) logs in with SCRAM, while PLAIN — which sends
//! the bytes as they are — is refused with the same spelling, which shows the difference is
//! SASLprep's. Started by scripts/test (tests/servers/up.sh stores carol's password in the
//! prepared form).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// The stored password (up.sh), and an equivalent spelling SASLprep maps onto it.
const STORED: &str = "C\u{e4}r\u{f6}l P\u{e4}ssw\u{f6}rt-3";
const EQUIVALENT: &str = "Ca\u{308}ro\u{308}l\u{a0}Pa\u{308}sswo\u{308}rt\u{ad}-3";

fn login(mechanism: &str, password: &str) -> (Run, String) {
    let pf = postfix();
    assert_eq!(
        std::env::var("SMTP_PLAN_POSTFIX_PASSWORD3").unwrap(),
        STORED,
        "tests/servers/up.sh stores another password for carol"
    );
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "target: {{host: '${{env:SMTP_PLAN_POSTFIX_HOST}}', port: '${{env:SMTP_PLAN_POSTFIX_SMTP_PORT}}', ca_file: '{}'}}
vars: {{user: '${{env:SMTP_PLAN_POSTFIX_USER3}}', password: '${{env:SMTP_PLAN_TEST_PASSWORD}}'}}
secrets: [password]
scenarios:
  - name: login
    steps:
      - expect: 220
      - ehlo: client.test
      - starttls
      - ehlo: client.test
      - auth: {{mechanism: {mechanism}, username: '${{user}}', password: '${{password}}'}}
        expect: 235
      - quit
",
        pf.ca.display()
    );
    let path = plan(dir.path(), "saslprep.yaml", &text);
    let junit = dir.path().join("saslprep.xml");
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "-v",
    ])
    .env("SMTP_PLAN_TEST_PASSWORD", password));
    let xml = std::fs::read_to_string(&junit).unwrap();
    (r, xml)
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn scram_logs_in_with_an_equivalent_spelling_of_a_non_ascii_password() {
    for mech in ["SCRAM-SHA-256", "SCRAM-SHA-1"] {
        let (r, xml) = login(mech, EQUIVALENT);
        r.assert_code(0);
        assert!(r.stdout.contains("S: 235"), "{}", r.stdout);
        assert!(
            r.stdout
                .contains(&format!("* {mech}: the server signature is valid")),
            "{}",
            r.stdout
        );
        for secret in [EQUIVALENT, STORED] {
            assert!(!r.stdout.contains(secret) && !xml.contains(secret));
        }
    }
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn plain_sends_the_bytes_as_they_are_so_the_same_spelling_is_refused() {
    let (r, _) = login("PLAIN", EQUIVALENT);
    r.assert_code(1);
    assert!(r.stdout.contains("S: 535"), "{}", r.stdout);
    // ... while the stored spelling logs in with PLAIN and SCRAM alike.
    for mech in ["PLAIN", "SCRAM-SHA-256"] {
        let (r, _) = login(mech, STORED);
        r.assert_code(0);
    }
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_password_saslprep_refuses_fails_before_anything_is_sent() {
    let (r, xml) = login("SCRAM-SHA-256", "C\u{e4}rol\u{7}-pw-3");
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "SCRAM-SHA-256: the password: SASLprep (RFC 4013) refuses the character U+0007"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("nothing was sent"), "{}", r.stdout);
    assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
    assert!(!xml.contains("C\u{e4}rol"), "{xml}");
}
