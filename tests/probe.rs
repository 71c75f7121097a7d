//! `smtp-plan probe`: the plan it writes loads, passes against the probed server, and fails
//! against a differently configured one, naming the difference. Secrets stay out of it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::*;

const PW: &str = "Probe-Pw!9";

/// `smtp-plan probe ARGS -o DIR/NAME` (password in PROBE_TEST_PW); returns the plan path.
fn probe(dir: &Path, name: &str, args: &[&str]) -> (PathBuf, String) {
    let out = dir.join(name);
    let mut all = vec!["probe"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", out.to_str().unwrap()]);
    let r = run(smtp_plan(&all).env("PROBE_TEST_PW", PW));
    r.assert_code(0);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("written to"), "{}", r.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    (out, text)
}

fn run_plan_at(plan: &Path, args: &[&str]) -> Run {
    let mut all = vec!["run", plan.to_str().unwrap()];
    all.extend_from_slice(args);
    run(smtp_plan(&all).env("PROBE_TEST_PW", PW))
}

fn assert_no_secret(text: &str, password: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(password);
    assert!(!text.contains(password), "password in\n{text}");
    assert!(!text.contains(&b64), "base64 password in\n{text}");
}

#[test]
fn builtin_server_probe_passes_then_names_a_changed_config() {
    let server = Serve::start(&["--user", &format!("u1@contoso.com:{PW}")]);
    let dir = tempfile::tempdir().unwrap();
    let addr = server.smtp.to_string();
    let (plan, text) = probe(
        dir.path(),
        "builtin.yaml",
        &[
            &addr,
            "--ca-file",
            server.ca.to_str().unwrap(),
            "--user",
            "u1@contoso.com",
            "--password-env",
            "PROBE_TEST_PW",
            "--mechanism",
            "LOGIN",
        ],
    );
    // The header, and what it asserts.
    assert!(
        text.starts_with("# yaml-language-server: $schema=../schemas/smtp-plan.schema.json\n#\n# Probed by smtp-plan "),
        "{text}"
    );
    assert!(text.contains("--password-env PROBE_TEST_PW"), "{text}");
    for want in [
        "password: '${env:PROBE_TEST_PW}'",
        "secrets: [password]",
        "matches: '^localhost Microsoft ESMTP MAIL Service ready at'",
        "capabilities: [SIZE 37748736, PIPELINING, DSN, ENHANCEDSTATUSCODES, STARTTLS, AUTH LOGIN, AUTH PLAIN, AUTH CRAM-MD5, AUTH SCRAM-SHA-1, AUTH SCRAM-SHA-256, AUTH XOAUTH2, AUTH OAUTHBEARER, AUTH NTLM, '8BITMIME', SMTPUTF8]",
        "lacks: [STARTTLS]",
        "# TLS when probed: TLSv1.",
        "# certificate when probed: CN=localhost; names: localhost, 127.0.0.1, ::1; issuer: CN=smtp-plan serve CA",
        "tls: {version: [TLSv1.3], cert: {names_include: [localhost, '127.0.0.1', '::1'], issuer_matches: '^CN=smtp\\-plan serve CA$', valid_for_at_least: 14d}}",
        "- auth: {mechanism: LOGIN, username: '${user}', password: '${password}'}",
        "expect: {code: 530, enhanced: 5.7.57, contains: Client was not authenticated",
        "expect: {code: 235, enhanced: 2.7.0, contains: Authentication successful}",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert_no_secret(&text, PW);
    // It loads, and passes against the server it came from.
    let r = run_plan_at(&plan, &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "4 passed, 0 failed");

    // A server that accepts anonymous mail and greets with another name.
    let other = Serve::start(&[
        "--user",
        &format!("u1@contoso.com:{PW}"),
        "--allow-anonymous",
        "--hostname",
        "other.test",
    ]);
    let r = run_plan_at(
        &plan,
        &[
            "--target",
            &other.smtp.to_string(),
            "--ca-file",
            other.ca.to_str().unwrap(),
        ],
    );
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "reply text does not match /^localhost Microsoft ESMTP MAIL Service ready at/"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("got:      220 other.test Microsoft ESMTP"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("expected code 530, got 250"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("(mail_from)"), "{}", r.stdout);
    // AUTH itself did not change.
    assert!(
        r.stdout.contains("PASS  SMTP behaviour of ")
            && r.stdout.contains("AUTH LOGIN as the probing user"),
        "{}",
        r.stdout
    );
    assert_eq!(r.last_line(), "1 passed, 3 failed");
}

#[test]
fn builtin_server_implicit_tls() {
    let server = Serve::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (plan, text) = probe(
        dir.path(),
        "smtps.yaml",
        &[
            &server.smtps.to_string(),
            "--tls",
            "implicit",
            "--ca-file",
            server.ca.to_str().unwrap(),
            "--no-mail",
        ],
    );
    assert!(text.contains("  tls: implicit\n"), "{text}");
    assert!(
        text.contains("greeting and capabilities over implicit TLS"),
        "{text}"
    );
    assert!(!text.contains("mail_from"), "{text}");
    assert!(!text.contains("secrets:"), "{text}");
    let r = run_plan_at(&plan, &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "1 passed, 0 failed");
}

#[test]
fn an_untrusted_certificate_is_an_error_with_help() {
    let server = Serve::start(&[]);
    let r = run(smtp_plan(&["probe", &server.smtp.to_string()]));
    r.assert_code(1);
    assert!(
        r.stderr.contains("error: probing 127.0.0.1:"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("STARTTLS: TLS handshake failed"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("help: trust the server's CA with --ca-file"),
        "{}",
        r.stderr
    );
    // --insecure probes anyway, and says so in the plan.
    let r = run(smtp_plan(&[
        "probe",
        &server.smtp.to_string(),
        "--insecure",
        "--no-mail",
    ]));
    r.assert_code(0);
    assert!(r.stdout.contains("  insecure: true\n"), "{}", r.stdout);
}

#[test]
fn usage_errors_exit_2() {
    let r = run(smtp_plan(&[
        "probe",
        "127.0.0.1:1",
        "--user",
        "u",
        "--password-env",
        "PROBE_TEST_UNSET_VAR",
    ]));
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("PROBE_TEST_UNSET_VAR: the environment variable is not set"),
        "{}",
        r.stderr
    );
    let r = run(smtp_plan(&["probe", "host:x"]));
    r.assert_code(2);
    let r = run(smtp_plan(&["probe", "127.0.0.1:25", "--user", "u"]));
    r.assert_code(2);
}

#[test]
fn a_closed_port_is_a_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run(smtp_plan(&["probe", &format!("127.0.0.1:{port}")]));
    r.assert_code(1);
    assert!(r.stderr.contains("connection refused"), "{}", r.stderr);
}

#[test]
fn a_server_refusing_service_at_the_greeting() {
    let fake = Fake::start(|mut s| {
        write(&mut s, "554 5.7.1 go away 12345\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "221 2.0.0 bye\r\n");
    });
    let r = run(smtp_plan(&["probe", &fake.addr.to_string()]));
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("- expect: {code: 554, enhanced: 5.7.1, matches: '^go away'}"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("expect: {code: 221, enhanced: 2.0.0, contains: bye}"),
        "{}",
        r.stdout
    );
}

// ---- the real Postfix + Dovecot ----------------------------------------------------------

fn pf_port(name: &str) -> String {
    std::env::var(format!("SMTP_PLAN_POSTFIX_{name}_PORT")).unwrap()
}

fn pf_probe(dir: &Path, name: &str, port_name: &str, extra: &[&str]) -> (PathBuf, String) {
    let pf = postfix();
    let server = format!("127.0.0.1:{}", pf_port(port_name));
    let mut args = vec![
        server.as_str(),
        "--ca-file",
        pf.ca.to_str().unwrap(),
        "--user",
        "alice@example.test",
        "--password-env",
        "SMTP_PLAN_POSTFIX_PASSWORD",
        "--rcpt",
        "bob@example.test",
    ];
    args.extend_from_slice(extra);
    let out = dir.join(name);
    let mut all = vec!["probe"];
    all.extend_from_slice(&args);
    all.extend_from_slice(&["-o", out.to_str().unwrap()]);
    let r = run(smtp_plan(&all));
    r.assert_code(0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_no_secret(&text, &std::env::var("SMTP_PLAN_POSTFIX_PASSWORD").unwrap());
    (out, text)
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn postfix_submission_probe_passes_and_port_25_differs() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, text) = pf_probe(dir.path(), "587.yaml", "SUBMISSION", &[]);
    assert!(
        text.contains("matches: '^mail\\.example\\.test ESMTP Postfix'"),
        "{text}"
    );
    assert!(text.contains("lacks: [AUTH]"), "{text}");
    assert!(
        text.contains("contains: 'Client host rejected: Access denied'"),
        "{text}"
    );
    let r = run_plan(plan.to_str().unwrap(), &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "4 passed, 0 failed");
    // Port 25 offers AUTH before TLS and takes local mail without AUTH.
    let r = run_plan(
        plan.to_str().unwrap(),
        &["--target", &format!("127.0.0.1:{}", pf_port("SMTP"))],
    );
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("capability AUTH is listed, but must not be"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("expected code 554, got 250"),
        "{}",
        r.stdout
    );
    assert_eq!(r.last_line(), "2 passed, 2 failed");
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn postfix_smtp_probe_passes_and_submission_differs() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, text) = pf_probe(dir.path(), "25.yaml", "SMTP", &["--mechanism", "LOGIN"]);
    assert!(text.contains("AUTH CRAM-MD5"), "{text}");
    let r = run_plan(plan.to_str().unwrap(), &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "4 passed, 0 failed");
    let r = run_plan(
        plan.to_str().unwrap(),
        &["--target", &format!("127.0.0.1:{}", pf_port("SUBMISSION"))],
    );
    r.assert_code(1);
    assert!(
        r.stdout.contains("AUTH PLAIN is not listed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("expected code 250, got 554"),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn postfix_smtps_probe_passes_and_a_plain_port_differs() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, text) = pf_probe(dir.path(), "465.yaml", "SMTPS", &["--tls", "implicit"]);
    assert!(text.contains("  tls: implicit\n"), "{text}");
    assert!(text.contains("# TLS when probed: TLSv1.3"), "{text}");
    assert!(
        text.contains("issuer: O=smtp-plan, CN=smtp-plan Test CA"),
        "{text}"
    );
    let r = run_plan(plan.to_str().unwrap(), &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
    // The self-signed port, trusted with --insecure: it talks plaintext first, so no TLS.
    let r = run_plan(
        plan.to_str().unwrap(),
        &[
            "--target",
            &format!("127.0.0.1:{}", pf_port("SELFSIGNED")),
            "--insecure",
        ],
    );
    r.assert_code(1);
    assert!(r.stdout.contains("ERROR"), "{}", r.stdout);
}
