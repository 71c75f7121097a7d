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
    assert!(text.starts_with("# Probed by smtp-plan "), "{text}");
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
    assert_eq!(r.last_line(), "5 passed, 0 failed");

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
    // It takes mail before STARTTLS too: the plaintext policy changed.
    assert!(
        r.stdout.contains("FAIL  SMTP behaviour of 127.0.0.1:")
            && r.stdout
                .contains("› mail before STARTTLS (the plaintext policy)"),
        "{}",
        r.stdout
    );
    assert_eq!(r.last_line(), "1 passed, 4 failed");
}

/// Every mechanism the client has, end to end against the built-in server (which offers them
/// all): each is tried on its own connection and asserted; the token mechanisms are named as
/// not tried. With another password, every AUTH scenario fails and nothing else does.
#[test]
fn builtin_server_probe_tries_every_mechanism() {
    let server = Serve::start(&["--user", &format!("u1@contoso.com:{PW}")]);
    let dir = tempfile::tempdir().unwrap();
    let addr = server.smtp.to_string();
    let ca = server.ca.to_str().unwrap();
    let login = [
        "--ca-file",
        ca,
        "--user",
        "u1@contoso.com",
        "--password-env",
        "PROBE_TEST_PW",
    ];
    let mut args = vec![addr.as_str()];
    args.extend_from_slice(&login);
    let (plan, text) = probe(dir.path(), "all.yaml", &args);
    let mechs = [
        "SCRAM-SHA-256",
        "SCRAM-SHA-1",
        "CRAM-MD5",
        "NTLM",
        "PLAIN",
        "LOGIN",
    ];
    let summary: Vec<String> = mechs
        .iter()
        .map(|m| format!("{m} succeeded (235)"))
        .collect();
    for want in [
        format!(
            "# AUTH, each mechanism on its own connection: {}.\n",
            summary.join(", ")
        ),
        "# AUTH mechanisms advertised but not tried: XOAUTH2 (it needs a token, not a password), OAUTHBEARER (it needs a token, not a password).\n".to_owned(),
        "# Plaintext policy: MAIL FROM before STARTTLS was refused (530): TLS is required first".to_owned(),
    ] {
        assert!(text.contains(&want), "missing {want:?} in\n{text}");
    }
    for m in mechs {
        assert!(
            text.contains(&format!(
                "  - name: AUTH {m} as the probing user\n"
            )) && text.contains(&format!(
                "- auth: {{mechanism: {m}, username: '${{user}}', password: '${{password}}'}}\n        expect: {{code: 235, enhanced: 2.7.0, contains: Authentication successful}}"
            )),
            "{m} in\n{text}"
        );
    }
    assert_no_secret(&text, PW);
    let r = run_plan_at(&plan, &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "10 passed, 0 failed", "{}", r.stdout);

    // The same user with another password: each mechanism's scenario fails, on its AUTH.
    let other = Serve::start(&["--user", "u1@contoso.com:Another-Pw!3"]);
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
    for m in mechs {
        assert!(
            r.stdout.contains(&format!(
                "FAIL  SMTP behaviour of {addr} › AUTH {m} as the probing user"
            )),
            "{m} in\n{}",
            r.stdout
        );
    }
    assert_eq!(
        r.stdout.matches("expected code 235, got 535").count(),
        mechs.len(),
        "{}",
        r.stdout
    );
    assert_eq!(r.last_line(), "4 passed, 6 failed", "{}", r.stdout);
    assert_no_secret(&r.stdout, PW);
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
fn a_plan_that_cannot_be_written_after_probing_exits_1() {
    let server = Serve::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // The output's parent is a file: the server is probed, then the plan cannot be written.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let out = blocker.join("plan.yaml");
    let r = run(smtp_plan(&[
        "probe",
        &server.smtp.to_string(),
        "--insecure",
        "--no-mail",
        "-o",
        out.to_str().unwrap(),
    ]));
    r.assert_code(1);
    assert!(r.stderr.contains("error: could not write"), "{}", r.stderr);
    assert!(!out.exists());
}

#[test]
fn a_closed_port_is_a_failure() {
    let (_held, port) = closed_port();
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
    // Every mechanism Dovecot offers after STARTTLS was tried, each in its own scenario.
    assert!(
        text.contains("# AUTH, each mechanism on its own connection: SCRAM-SHA-256 succeeded (235), SCRAM-SHA-1 succeeded (235), CRAM-MD5 succeeded (235), PLAIN succeeded (235), LOGIN succeeded (235).\n"),
        "{text}"
    );
    for mech in ["SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"] {
        assert!(
            text.contains(&format!("- auth: {{mechanism: {mech}, username: '${{user}}', password: '${{password}}'}}\n        expect: {{code: 235, enhanced: 2.7.0, contains: Authentication successful}}")),
            "{mech} in\n{text}"
        );
    }
    // The plaintext policy: submission wants STARTTLS before MAIL.
    assert!(
        text.contains(
            "# Plaintext policy: MAIL FROM before STARTTLS was refused (530): TLS is required first"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "expect: {code: 530, enhanced: 5.7.0, contains: Must issue a STARTTLS command first}"
        ),
        "{text}"
    );
    let r = run_plan(plan.to_str().unwrap(), &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "9 passed, 0 failed");
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
    // ...and takes MAIL FROM before STARTTLS.
    assert!(
        r.stdout
            .contains("› mail before STARTTLS (the plaintext policy)")
            && r.stdout.contains("expected code 530, got 250"),
        "{}",
        r.stdout
    );
    assert_eq!(r.last_line(), "6 passed, 3 failed");
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn postfix_smtp_probe_passes_and_submission_differs() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, text) = pf_probe(dir.path(), "25.yaml", "SMTP", &["--mechanism", "LOGIN"]);
    assert!(text.contains("AUTH CRAM-MD5"), "{text}");
    // Port 25 takes mail before STARTTLS; only the mechanism asked for was tried.
    assert!(
        text.contains("# Plaintext policy: MAIL FROM before STARTTLS was accepted (250): mail may be sent without TLS"),
        "{text}"
    );
    assert!(
        text.contains("# AUTH, each mechanism on its own connection: LOGIN succeeded (235).\n"),
        "{text}"
    );
    let r = run_plan(plan.to_str().unwrap(), &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "5 passed, 0 failed");
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
    // Submission refuses MAIL before STARTTLS.
    assert!(
        r.stdout.contains("expected code 250, got 530"),
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
    assert_eq!(r.last_line(), "7 passed, 0 failed");
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

// ---- a Postfix + Dovecot of the test's own, which it reconfigures --------------------------

/// The EHLO keywords of 127.0.0.1:PORT, one fresh connection (bounded reads).
fn ehlo_keywords(port: &str) -> Vec<String> {
    use std::io::{BufRead, BufReader, Write as _};
    let stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let mut reply = || {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            let line = line.trim_end().to_owned();
            let last = line.len() < 4 || line.as_bytes()[3] != b'-';
            lines.push(line);
            if last {
                return lines;
            }
        }
    };
    assert!(reply()[0].starts_with("220 "));
    w.write_all(b"EHLO reconf.smtp-plan.test\r\n").unwrap();
    let lines = reply();
    let _ = w.write_all(b"QUIT\r\n");
    lines.iter().skip(1).map(|l| l[4..].to_owned()).collect()
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn postfix_probe_passes_then_names_a_reconfiguration() {
    let _ = postfix();
    let started = std::time::Instant::now();
    let own = OwnServers::start();
    let up = started.elapsed();
    let port = own.var("SMTP_PORT").to_owned();
    let password = own.var("PASSWORD").to_owned();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("own25.yaml");
    let plan_s = plan.to_str().unwrap();
    let cmd = |args: &[&str]| {
        let mut c = smtp_plan(args);
        c.env("PROBE_RECONF_PW", &password);
        c
    };

    let r = run(cmd(&[
        "probe",
        &format!("127.0.0.1:{port}"),
        "--ca-file",
        own.var("CA"),
        "--user",
        own.var("USER"),
        "--password-env",
        "PROBE_RECONF_PW",
        "--rcpt",
        own.var("USER2"),
        "-o",
        plan_s,
    ]));
    r.assert_code(0);
    let text = std::fs::read_to_string(&plan).unwrap();
    for want in [
        "password: '${env:PROBE_RECONF_PW}'",
        "secrets: [password]",
        "STARTTLS",
        "- auth: {mechanism: PLAIN, username: '${user}', password: '${password}'}",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert_no_secret(&text, &password);

    // Run it (verbose, with JUnit) against the server it came from: it passes.
    let junit = dir.path().join("before.junit.xml");
    let r = run(cmd(&[
        "run",
        plan_s,
        "-v",
        "--junit",
        junit.to_str().unwrap(),
    ]));
    r.assert_code(0);
    assert_eq!(r.last_line(), "9 passed, 0 failed");
    let mut outputs = vec![r.stdout, r.stderr, std::fs::read_to_string(&junit).unwrap()];

    // Switch STARTTLS off on that server and wait until new connections see it: Postfix's log
    // says when the master took the reload; from then on a new connection is asked (its own
    // log lines wake the next look while an old smtpd still answers).
    assert!(ehlo_keywords(&port).iter().any(|k| k == "STARTTLS"));
    let log = std::path::PathBuf::from(own.var("LOG"));
    let reloads = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.matches("reload -- version").count()
    };
    let before = reloads();
    let reconf = std::time::Instant::now();
    own.postconf_and_reload("smtpd_tls_security_level=none");
    wait_until(
        std::time::Duration::from_secs(20),
        "postfix reloaded without STARTTLS",
        &[&log],
        || {
            (reloads() > before && !ehlo_keywords(&port).iter().any(|k| k == "STARTTLS"))
                .then_some(())
        },
    );
    let visible = reconf.elapsed();

    // The same plan now fails, naming the difference.
    let junit = dir.path().join("after.junit.xml");
    let r = run(cmd(&[
        "run",
        plan_s,
        "-v",
        "--junit",
        junit.to_str().unwrap(),
    ]));
    r.assert_code(1);
    assert!(
        r.stdout.contains("capability STARTTLS is not listed"),
        "{}",
        r.stdout
    );
    outputs.extend([r.stdout, r.stderr, std::fs::read_to_string(&junit).unwrap()]);

    // Nothing leaked: not the password, its base64, or the AUTH PLAIN token.
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD
        .encode(format!("\0{}\0{password}", own.var("USER")));
    for out in &outputs {
        assert_no_secret(out, &password);
        assert!(!out.contains(&token), "AUTH PLAIN token in\n{out}");
    }
    eprintln!(
        "private Postfix up in {up:?}, reconfiguration visible after {visible:?}, test {:?}",
        started.elapsed()
    );
}
