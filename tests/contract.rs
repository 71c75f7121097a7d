//! Clauses of the contract (the scenario format, v1) that an outside check found broken, each
//! held by the real binary against a scripted server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use common::*;

fn against(fake: &Fake, steps: &str) -> (Run, String) {
    run_against(fake, "contract", steps)
}

/// A server that greets, answers `DATA` with `data_reply`, and records every line it gets.
fn data_server(data_reply: &'static str) -> (Fake, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let fake = Fake::start(move |mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let mut in_data = false;
        loop {
            let line = read_line(&mut s);
            if line.is_empty() && !in_data {
                return;
            }
            log.lock().unwrap().push(line.clone());
            if in_data {
                if line == "." {
                    in_data = false;
                    write(&mut s, "250 2.0.0 queued\r\n");
                }
                continue;
            }
            let reply = match line.as_str() {
                "DATA" => data_reply,
                "QUIT" => "221 bye\r\n",
                _ => "250 ok\r\n",
            };
            in_data = line == "DATA" && reply.starts_with("354");
            write(&mut s, reply);
        }
    });
    (fake, seen)
}

/// Steps table: `data` — "354 then 250". A 2xx to DATA itself means the message was never
/// sent; that must not pass, with the default expectation or with `expect: 250`.
#[test]
fn data_fails_when_the_server_answers_data_with_2xx() {
    for expect in ["", "        expect: 250\n"] {
        let (fake, seen) = data_server("250 2.0.0 ok\r\n");
        let steps = format!(
            "      - expect: 220\n      - mail_from: a@b.test\n      - rcpt_to: c@d.test\n      - data: \"Subject: x\\n\\nbody\"\n{expect}      - quit\n"
        );
        let (r, xml) = against(&fake, &steps);
        r.assert_code(1);
        assert!(r.stdout.contains("FAIL  contract › talk"), "{}", r.stdout);
        assert!(
            r.stdout
                .contains("expected 354 to DATA, got 250: the message was not sent"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("step 4 (data)"), "{}", r.stdout);
        assert!(xml.contains("<failure "), "{xml}");
        fake.join();
        assert!(
            !seen.lock().unwrap().iter().any(|l| l == "Subject: x"),
            "the message must not be sent after a 250 to DATA"
        );
    }
}

/// ... while a refused DATA is still checked against `expect` (`expect: 554`), and a 354 is
/// followed by the message and the final reply.
#[test]
fn data_still_checks_a_refusal_and_sends_after_354() {
    let (fake, _) = data_server("554 5.5.1 no valid recipients\r\n");
    let steps = "      - expect: 220\n      - data: x\n        expect: 554\n      - quit\n";
    let (r, _) = against(&fake, steps);
    r.assert_code(0);

    let (fake, seen) = data_server("354 go ahead\r\n");
    let steps = "      - expect: 220\n      - data: \"Subject: x\\n\\nbody\"\n      - quit\n";
    let (r, _) = against(&fake, steps);
    r.assert_code(0);
    fake.join();
    let seen = seen.lock().unwrap();
    assert!(seen.iter().any(|l| l == "Subject: x"), "{seen:?}");
}

/// Steps table: `expect_close` — "the server must close the connection", also right after
/// `quit` (the natural way to check that a server closes after QUIT).
#[test]
fn expect_close_after_quit_checks_that_the_server_closes() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "221 bye\r\n");
        // and closes: `s` is dropped here.
    });
    let (r, _) = against(
        &fake,
        "      - expect: 220\n      - quit\n      - expect_close\n",
    );
    r.assert_code(0);
    assert!(
        r.stdout.contains("the server closed the connection"),
        "{}",
        r.stdout
    );

    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "221 bye\r\n");
        // keeps the connection open until the client gives up.
        let _ = read_line(&mut s);
    });
    let (r, xml) = against(
        &fake,
        "      - expect: 220\n      - quit\n      - expect_close\n",
    );
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("expected the server to close the connection, but it stayed open for 400ms"),
        "{}",
        r.stdout
    );
    assert!(xml.contains("<failure "), "{xml}");
}

/// Other steps still refuse to use a connection after QUIT.
#[test]
fn a_command_after_quit_still_needs_a_connect() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "221 bye\r\n");
        let _ = read_line(&mut s);
    });
    let (r, xml) = against(&fake, "      - expect: 220\n      - quit\n      - noop\n");
    r.assert_code(1);
    assert!(
        r.stdout.contains("no open connection (closed after QUIT)"),
        "{}",
        r.stdout
    );
    // The transcript shows what was sent: NOOP never was.
    assert!(xml.contains("C: QUIT"), "{xml}");
    assert!(!xml.contains("C: NOOP"), "{xml}");
}

/// Variables: "An undefined variable is an error found before any connection is made, at its
/// line and column" — also inside a quoted string with escapes and a folded block.
#[test]
fn undefined_variables_are_reported_at_their_own_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "undefined.yaml",
        "target: {host: 127.0.0.1, port: 1}\n\
         scenarios:\n\
         \x20 - name: s\n\
         \x20   steps:\n\
         \x20     - send: \"A\\tB ${one}\"\n\
         \x20     - send: 'it''s ${two}'\n\
         \x20     - send: >-\n\
         \x20         folded\n\
         \x20         text ${three}\n",
    );
    let r = run(smtp_plan(&["check", path.to_str().unwrap()]));
    r.assert_code(2);
    let p = path.display();
    for want in [
        format!("undefined variable `one`\n --> {p}:5:21"),
        format!("undefined variable `two`\n --> {p}:6:22"),
        format!("undefined variable `three`\n --> {p}:9:16"),
    ] {
        assert!(r.stderr.contains(&want), "want {want:?} in:\n{}", r.stderr);
    }
}

/// Variables: values of secrets, also from `--var` on a secret name, are `***` "in every
/// output" — including a load error that quotes the value.
#[test]
fn load_errors_do_not_print_secret_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "secret.yaml",
        "target: {host: 127.0.0.1, port: \"${password}\", timeout: \"${password}\"}\n\
         vars: {password: x}\n\
         secrets: [password]\n\
         scenarios:\n\
         \x20 - name: s\n\
         \x20   steps:\n\
         \x20     - expect: 220\n",
    );
    for cmd in ["check", "run"] {
        let r = run(smtp_plan(&[
            cmd,
            "--var",
            "password=Hunter2Secret",
            path.to_str().unwrap(),
        ]));
        r.assert_code(2);
        assert!(r.stderr.contains("invalid port `***`"), "{}", r.stderr);
        assert!(
            r.stderr.contains("invalid duration `***` for `timeout`"),
            "{}",
            r.stderr
        );
        for leaked in ["Hunter2Secret", "SHVudGVyMlNlY3JldA=="] {
            assert!(!r.stderr.contains(leaked), "{}", r.stderr);
            assert!(!r.stdout.contains(leaked), "{}", r.stdout);
        }
    }
}

/// The contract's "A plan file" example, verbatim (only the `$schema` path differs in meaning):
/// both scenarios pass against the built-in server, with `ca_file: certs/ca.pem` relative to the
/// plan as the only trust anchor, the password from `SMTP_PASSWORD` printed nowhere, and a valid
/// JUnit report as the contract describes it.
const CONTRACT_EXAMPLE: &str = r#"# yaml-language-server: $schema=../schemas/smtp-plan.schema.json
name: Exchange SMTP AUTH walkthrough      # suite name; default: the file stem
target:                                   # connection defaults for every scenario in the file
  host: ${env:SMTP_HOST:-mail.contoso.com}
  port: 25
  tls: none                               # none | implicit   (STARTTLS is a step)
  timeout: 10s                            # per reply; durations: 500ms, 10s, 2m
  ca_file: certs/ca.pem                   # extra trust anchor (relative to the plan file)
  insecure: false                         # true = do not verify the server certificate
vars:
  user: user1@contoso.com
  password: ${env:SMTP_PASSWORD}
secrets: [password]                       # never printed, in any output or report

scenarios:
  - name: server offers STARTTLS and AUTH
    tags: [smoke]
    steps:
      - expect: 220                       # the greeting: read a reply, send nothing
      - ehlo: smtp.contoso.com
        expect:
          code: 250
          capabilities: [STARTTLS, AUTH]  # keywords the EHLO reply must list
      - quit

  - name: authenticated submission over STARTTLS
    steps:
      - expect: 220
      - ehlo: smtp.contoso.com
      - starttls                          # STARTTLS, expect 220, TLS handshake, verify
      - ehlo: smtp.contoso.com            # capabilities change after TLS
      - auth:
          mechanism: LOGIN
          username: ${user}
          password: ${password}
        expect: {code: 235, enhanced: 2.7.0, matches: 'Authentication successful'}
      - mail_from: ${user}
        expect: {code: 250, enhanced: 2.1.0}
      - rcpt_to: user2@contoso.com
        expect: {code: 250, enhanced: 2.1.5}
      - data: |
          Subject: Test OpenSSL Mail-Enabled User

          Test from mail-enabled user
        expect:
          code: 250
          matches: 'Queued mail for delivery'
          capture: {queue_id: '<([^>]+)>'}  # first group (or whole match) -> ${queue_id}
      - quit
"#;

#[test]
fn the_contract_example_runs_end_to_end() {
    const PASSWORD: &str = "Contract-Pa55word!";
    let serve = Serve::start(&["--user", &format!("user1@contoso.com:{PASSWORD}")]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("certs")).unwrap();
    std::fs::copy(&serve.ca, dir.path().join("certs/ca.pem")).unwrap();
    let path = plan(dir.path(), "exchange.yaml", CONTRACT_EXAMPLE);
    let junit = dir.path().join("report.xml");
    let mut cmd = smtp_plan(&[
        "run",
        "-v",
        "--target",
        &serve.smtp.to_string(),
        "--junit",
        junit.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    cmd.env("SMTP_PASSWORD", PASSWORD).env_remove("SMTP_HOST");
    let r = run(cmd);
    r.assert_code(0);
    assert_eq!(r.last_line(), "2 passed, 0 failed");
    assert!(r.stdout.contains("* captured queue_id = "), "{}", r.stdout);
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let file = format!("file=\"{}\"", path.display());
    for want in [
        "<testsuite name=\"Exchange SMTP AUTH walkthrough\" tests=\"2\"",
        "<testcase name=\"server offers STARTTLS and AUTH\" classname=\"Exchange SMTP AUTH walkthrough\"",
        "<testcase name=\"authenticated submission over STARTTLS\" classname=\"Exchange SMTP AUTH walkthrough\"",
        file.as_str(),
        "C: ***",
    ] {
        assert!(xml.contains(want), "want {want:?} in:\n{xml}");
    }
    let b64 = "Q29udHJhY3QtUGE1NXdvcmQh"; // base64 of the password
    for out in [&r.stdout, &r.stderr, &xml] {
        assert!(!out.contains(PASSWORD) && !out.contains(b64), "{out}");
    }
}
