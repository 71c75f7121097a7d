//! The `auth` step end to end: every mechanism against the built-in server, `auto`, the
//! refusal to send credentials without TLS, SCRAM's server signature check, and the secret
//! command-line options.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const USER: &str = "user1@contoso.com";
const PASS: &str = "Demo-Passw0rd!";

fn tls_plan(steps: &str) -> String {
    format!(
        "name: auth\nvars:\n  user: {USER}\n  password: {PASS}\nsecrets: [password]\nscenarios:\n  - name: login\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - ehlo: client.test\n{steps}      - quit\n"
    )
}

fn plain_plan(steps: &str) -> String {
    format!(
        "name: auth\nvars:\n  user: {USER}\n  password: {PASS}\nsecrets: [password]\nscenarios:\n  - name: login\n    steps:\n      - expect: 220\n      - ehlo: client.test\n{steps}      - quit\n"
    )
}

fn run_against(serve: &Serve, text: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "auth.yaml", text);
    run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "-v",
        "--target",
        &serve.smtp.to_string(),
        "--ca-file",
        serve.ca.to_str().unwrap(),
    ]))
}

fn serve() -> Serve {
    Serve::start(&[
        "--user",
        &format!("{USER}:{PASS}"),
        "--user",
        "CONTOSO\\jdoe:J-Passw0rd",
    ])
}

#[test]
fn every_mechanism_logs_in_to_the_builtin_server_and_a_wrong_secret_is_refused() {
    let serve = serve();
    for (mech, key) in [
        ("PLAIN", "password"),
        ("LOGIN", "password"),
        ("CRAM-MD5", "password"),
        ("SCRAM-SHA-1", "password"),
        ("SCRAM-SHA-256", "password"),
        ("XOAUTH2", "token"),
        ("OAUTHBEARER", "token"),
        ("NTLM", "password"),
    ] {
        let good = format!(
            "      - auth: {{mechanism: {mech}, username: '${{user}}', {key}: '${{password}}'}}\n        expect: {{code: 235, enhanced: 2.7.0}}\n      - mail_from: ${{user}}\n"
        );
        let r = run_against(&serve, &tls_plan(&good));
        r.assert_code(0);
        assert!(
            r.stdout.contains(&format!("C: AUTH {mech}")),
            "{}",
            r.stdout
        );
        let bad = format!(
            "      - auth: {{mechanism: {mech}, username: '${{user}}', {key}: wrong-secret}}\n        expect: {{code: 535, enhanced: 5.7.3}}\n"
        );
        let r = run_against(&serve, &tls_plan(&bad));
        r.assert_code(0);
    }
    // PLAIN and LOGIN the other way round: after an empty 334 / with the user as initial response
    for mech in ["PLAIN", "LOGIN", "SCRAM-SHA-256", "XOAUTH2", "NTLM"] {
        let key = if mech == "XOAUTH2" {
            "token"
        } else {
            "password"
        };
        let flipped = if mech == "LOGIN" { "true" } else { "false" };
        let steps = format!(
            "      - auth: {{mechanism: {mech}, username: '${{user}}', {key}: '${{password}}', initial_response: {flipped}}}\n"
        );
        let r = run_against(&serve, &tls_plan(&steps));
        r.assert_code(0);
        let first = if mech == "LOGIN" {
            format!("C: AUTH LOGIN {}", "dXNlcjFAY29udG9zby5jb20=")
        } else {
            format!("C: AUTH {mech}\n")
        };
        assert!(r.stdout.contains(&first), "{mech}: {}", r.stdout);
    }
}

#[test]
fn ntlm_takes_domain_backslash_user() {
    let serve = serve();
    let steps =
        "      - auth: {mechanism: NTLM, username: 'contoso\\jdoe', password: J-Passw0rd}\n";
    let r = run_against(&serve, &tls_plan(steps));
    r.assert_code(0);
    assert!(
        r.stdout.contains("S: 334 NTLM supported") || r.stdout.contains("C: AUTH NTLM TlRMTVNTUA"),
        "{}",
        r.stdout
    );
}

#[test]
fn auto_picks_the_strongest_advertised_mechanism_and_says_so() {
    let serve = serve();
    let r = run_against(
        &serve,
        &tls_plan(
            "      - auth: {mechanism: auto, username: '${user}', password: '${password}'}\n",
        ),
    );
    r.assert_code(0);
    assert!(
        r.stdout.contains("* mechanism auto chose AUTH SCRAM-SHA-256 (the server offers: LOGIN PLAIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER NTLM)"),
        "{}",
        r.stdout
    );
    let r = run_against(
        &serve,
        &tls_plan("      - auth: {mechanism: auto, username: '${user}', token: '${password}'}\n"),
    );
    r.assert_code(0);
    assert!(r.stdout.contains("chose AUTH OAUTHBEARER"), "{}", r.stdout);
    // no EHLO since STARTTLS: nothing to choose from
    let text =
        tls_plan("      - auth: {mechanism: auto, username: '${user}', password: '${password}'}\n")
            .replace(
                "      - starttls\n      - ehlo: client.test\n",
                "      - starttls\n",
            );
    let r = run_against(&serve, &text);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("`mechanism: auto` needs the server's capabilities"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
}

#[test]
fn oauth_errors_come_as_a_334_status_then_535() {
    let serve = serve();
    for mech in ["XOAUTH2", "OAUTHBEARER"] {
        let steps = format!(
            "      - auth: {{mechanism: {mech}, username: '${{user}}', token: expired-token}}\n        expect: {{code: 535, enhanced: 5.7.3}}\n"
        );
        let r = run_against(&serve, &tls_plan(&steps));
        r.assert_code(0);
        assert!(
            r.stdout
                .contains("* challenge decodes to \"{\\\"status\\\""),
            "{}",
            r.stdout
        );
        assert!(!r.stdout.contains("expired-token"), "{}", r.stdout);
    }
}

#[test]
fn credentials_are_never_sent_without_tls_unless_the_step_allows_it() {
    let serve = serve();
    let r = run_against(
        &serve,
        &plain_plan(
            "      - auth: {mechanism: PLAIN, username: '${user}', password: '${password}'}\n",
        ),
    );
    r.assert_code(1);
    assert!(
        r.stdout.contains("refusing to send credentials (AUTH PLAIN) over a connection without TLS: nothing was sent"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("allow_plaintext: true"), "{}", r.stdout);
    assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
    // a manual line holding a secret, too
    let r = run_against(
        &serve,
        &plain_plan("      - send: 'AUTH PLAIN ${base64_plain(user, password)}'\n"),
    );
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("refusing to send a line that holds a secret"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
    // ... but lines without secrets go out as before
    let r = run_against(
        &serve,
        &plain_plan(
            "      - send: AUTH LOGIN\n        expect: 334\n      - send: '*'\n        expect: 501\n",
        ),
    );
    r.assert_code(0);
    // a negative test may send them in plaintext
    for steps in [
        "      - auth: {mechanism: PLAIN, username: '${user}', password: '${password}'}\n        allow_plaintext: true\n",
        "      - send: 'AUTH PLAIN ${base64_plain(user, password)}'\n        allow_plaintext: true\n        expect: 235\n",
    ] {
        let r = run_against(&serve, &plain_plan(steps));
        r.assert_code(0);
        assert!(r.stdout.contains("C: AUTH PLAIN ***"), "{}", r.stdout);
        assert!(!r.stdout.contains(PASS), "{}", r.stdout);
    }
}

/// A scripted SCRAM-SHA-256 server: `last` is what it answers to the client-final message.
fn scram_fake(last: &'static str) -> Fake {
    Fake::start(move |mut s| {
        write(&mut s, "220 fake ESMTP\r\n");
        read_line(&mut s);
        write(&mut s, "250-fake\r\n250 AUTH SCRAM-SHA-256\r\n");
        let auth = read_line(&mut s);
        let first = auth.rsplit(' ').next().unwrap_or_default().to_owned();
        let first = String::from_utf8(unb64(&first)).unwrap();
        let nonce = first.rsplit("r=").next().unwrap().to_owned();
        let server_first = format!("r={nonce}SERVERNONCE,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        write(&mut s, &format!("334 {}\r\n", b64(server_first.as_bytes())));
        read_line(&mut s);
        write(&mut s, last);
        let cancel = read_line(&mut s);
        if cancel == "*" {
            write(&mut s, "501 5.0.0 Authentication cancelled\r\n");
        }
        read_line(&mut s);
        write(&mut s, "221 bye\r\n");
    })
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[test]
fn a_wrong_scram_server_signature_fails_the_step() {
    let steps = "      - auth: {mechanism: SCRAM-SHA-256, username: '${user}', password: '${password}'}\n        allow_plaintext: true\n";
    for (last, want) in [
        (
            "334 dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==\r\n",
            "SCRAM-SHA-256: the server signature is wrong",
        ),
        (
            "235 2.7.0 Authentication successful\r\n",
            "the server accepted the login without sending its signature",
        ),
    ] {
        let fake = scram_fake(last);
        let dir = tempfile::tempdir().unwrap();
        let path = plan(dir.path(), "scram.yaml", &plain_plan(steps));
        let r = run(smtp_plan(&[
            "run",
            path.to_str().unwrap(),
            "-v",
            "--target",
            &fake.addr.to_string(),
        ]));
        r.assert_code(1);
        assert!(r.stdout.contains(want), "{}", r.stdout);
        assert!(!r.stdout.contains(PASS), "{}", r.stdout);
    }
}

/// A success to the client-first message (with the AUTH command, as SCRAM starts) comes before
/// any proof of the password: never a login. (tests/cases/run/auth-*-accepted-before-* hold
/// the other mechanisms and the replies to AUTH alone.)
#[test]
fn scram_accepted_right_after_the_client_first_message_fails() {
    let fake = Fake::start(|mut s| {
        write(&mut s, "220 fake ESMTP\r\n");
        read_line(&mut s);
        write(&mut s, "250-fake\r\n250 AUTH SCRAM-SHA-256\r\n");
        let auth = read_line(&mut s);
        assert!(auth.starts_with("AUTH SCRAM-SHA-256 "), "{auth}");
        write(&mut s, "235 2.7.0 Authentication successful\r\n");
        read_line(&mut s);
    });
    let steps = "      - auth: {mechanism: SCRAM-SHA-256, username: '${user}', password: '${password}'}\n        allow_plaintext: true\n";
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "scram.yaml", &plain_plan(steps));
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "-v",
        "--target",
        &fake.addr.to_string(),
    ]));
    r.assert_code(1);
    assert!(
        r.stdout.contains("SCRAM-SHA-256: the server accepted the login before smtp-plan sent the proof of the password"),
        "{}",
        r.stdout
    );
}

#[test]
fn secrets_from_the_command_line_are_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "p.yaml", &tls_plan(""));
    let r = run(smtp_plan(&[
        "check",
        path.to_str().unwrap(),
        "--secret",
        "NoEqualsHunter2",
    ]));
    r.assert_code(2);
    // A bare word is the name of an environment variable; unset, it is not echoed either (it
    // may be a password written without `NAME=`).
    assert!(
        r.stderr
            .contains("--secret (the 1st one): no environment variable"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Hunter2"), "{}", r.stderr);
    let file = dir.path().join("s.env");
    std::fs::write(&file, "# ok\ngood=1\nHunter2-in-a-file\n").unwrap();
    let r = run(smtp_plan(&[
        "check",
        path.to_str().unwrap(),
        "--secrets-file",
        file.to_str().unwrap(),
    ]));
    r.assert_code(2);
    assert!(
        r.stderr.contains("s.env:3: expected NAME=VALUE"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Hunter2"), "{}", r.stderr);
}

#[test]
fn secret_options_and_derived_values_are_redacted() {
    let serve = serve();
    let dir = tempfile::tempdir().unwrap();
    // `line` is made from the secret `password`: it is secret too.
    let text = format!(
        "name: derived\nvars:\n  user: {USER}\n  password: placeholder\n  line: 'AUTH PLAIN ${{base64_plain(user, password)}}'\nsecrets: [password]\nscenarios:\n  - name: login\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - ehlo: client.test\n      - send: '${{line}}'\n        expect: 235\n      - send: 'NOOP ${{pin}} ${{base64(pin)}}'\n        expect: 250\n      - quit\n"
    );
    let path = plan(dir.path(), "derived.yaml", &text);
    let file = dir.path().join("s.env");
    std::fs::write(&file, format!("password='{PASS}'\n")).unwrap();
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "-v",
        "--target",
        &serve.smtp.to_string(),
        "--ca-file",
        serve.ca.to_str().unwrap(),
        "--secrets-file",
        file.to_str().unwrap(),
        "--secret",
        "pin=8642-pin",
    ]));
    r.assert_code(0);
    assert!(r.stdout.contains("C: ***"), "{}", r.stdout);
    assert!(r.stdout.contains("C: NOOP *** ***"), "{}", r.stdout);
    for leak in [
        PASS,
        "8642-pin",
        &b64(b"8642-pin"),
        &b64(format!("\0{USER}\0{PASS}").as_bytes()),
    ] {
        assert!(!r.stdout.contains(leak), "{leak}: {}", r.stdout);
    }
}
