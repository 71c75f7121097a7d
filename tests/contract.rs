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

/// Run a one-scenario plan against `fake`; returns the run and the JUnit report.
fn against(fake: &Fake, steps: &str) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name: contract\ntarget: {{host: 127.0.0.1, port: {}, timeout: 400ms}}\nscenarios:\n  - name: talk\n    steps:\n{steps}",
        fake.addr.port()
    );
    let path = plan(dir.path(), "contract.yaml", &text);
    let junit = dir.path().join("contract.xml");
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "-v",
    ]));
    assert_valid_junit(&junit);
    (r, std::fs::read_to_string(&junit).unwrap())
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
        r.stdout.contains(
            "expected the server to close the connection, but it stayed open for 400ms"
        ),
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
    let (r, _) = against(&fake, "      - expect: 220\n      - quit\n      - noop\n");
    r.assert_code(1);
    assert!(
        r.stdout.contains("no open connection (closed after QUIT)"),
        "{}",
        r.stdout
    );
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

/// The README is what users read next to the contract: no merge left-overs in it.
#[test]
fn readme_has_no_merge_conflict_markers() {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for (i, line) in text.lines().enumerate() {
        assert!(
            !(line.starts_with("<<<<<<<") || line.starts_with(">>>>>>>") || line == "======="),
            "README.md:{}: merge conflict marker {line:?}",
            i + 1
        );
    }
}
