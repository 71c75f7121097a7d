//! Safety promises under attack: secrets that reach no output by any route (derived in a
//! scenario's `vars`, written literally on a step's line, quoted by a load diagnostic), no
//! credentials over plaintext from `probe`, and no panic from extreme command-line values.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;

use common::*;

const PW: &str = "Sup3r-S3cret!pw";
const USER: &str = "user1@contoso.com";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every output of a run: stdout, stderr, and the JUnit, JSON and transcript files.
fn outputs(r: &Run, dir: &Path) -> String {
    let mut all = format!("{}\n{}\n", r.stdout, r.stderr);
    for name in ["report.xml", "report.json"] {
        all.push_str(&std::fs::read_to_string(dir.join(name)).unwrap_or_default());
    }
    let mut stack = vec![dir.join("transcripts")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                all.push_str(&std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    all
}

/// Run `plan` with -v and every report, annotations on.
fn run_all(plan: &Path, dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "run",
        "-v",
        plan.to_str().unwrap(),
        "--junit",
        dir.join("report.xml").to_str().unwrap().to_owned().leak(),
        "--json",
        dir.join("report.json").to_str().unwrap().to_owned().leak(),
        "--transcript-dir",
        dir.join("transcripts").to_str().unwrap().to_owned().leak(),
    ];
    args.extend_from_slice(extra);
    run(smtp_plan(&args).env("GITHUB_ACTIONS", "true"))
}

#[test]
fn a_scenario_variable_made_from_a_secret_is_secret() {
    let server = Serve::start(&["--user", &format!("{USER}:{PW}")]);
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, timeout: 5s}}
vars:
  user: {USER}
  password: '{PW}'
secrets: [password]
scenarios:
  - name: derived in the scenario
    vars:
      blob: '${{base64_plain(user, password)}}'
    steps:
      - expect: 220
      - ehlo: me
      - send: 'AUTH PLAIN ${{blob}}'
        allow_plaintext: true
        expect: 599
",
        server.smtp.port()
    );
    let path = plan(dir.path(), "derived.yaml", &text);
    let r = run_all(&path, dir.path(), &[]);
    r.assert_code(1);
    let all = outputs(&r, dir.path());
    assert!(all.contains("C: AUTH PLAIN ***"), "{all}");
    let blob = b64(format!("\0{USER}\0{PW}").as_bytes());
    assert!(!all.contains(&blob), "the AUTH PLAIN blob leaked:\n{all}");
}

#[test]
fn a_failing_step_does_not_show_a_literal_password_on_its_line() {
    let server = Serve::start(&["--user", &format!("{USER}:{PW}")]);
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, timeout: 5s}}
scenarios:
  - name: literal password
    steps:
      - expect: 220
      - ehlo: me
      - auth: {{mechanism: PLAIN, username: {USER}, password: 'Wr0ng-Literal-pw'}}
        allow_plaintext: true
",
        server.smtp.port()
    );
    let path = plan(dir.path(), "literal.yaml", &text);
    let r = run_all(&path, dir.path(), &[]);
    r.assert_code(1);
    let all = outputs(&r, dir.path());
    assert!(all.contains("expected code 235, got 535"), "{all}");
    assert!(all.contains("password: '***'"), "{all}");
    assert!(
        !all.contains("Wr0ng-Literal-pw"),
        "the password leaked:\n{all}"
    );
}

#[test]
fn load_diagnostics_do_not_quote_secrets() {
    let dir = tempfile::tempdir().unwrap();
    // A secret variable used where its value is quoted back (an invalid port), a literal
    // AUTH password on a line with a mistake, and a secret value on a line with a mistake.
    let text = format!(
        "target: {{host: 127.0.0.1, port: '${{password}}'}}
vars:
  password: '{PW}'
secrets: [password]
scenarios:
  - name: x
    steps:
      - expect: 220
      - auth: {{mechanism: PLAIN, username: u, password: Liter4l-Pw, allow_plaintxt: true}}
      - send: 'PASS {PW} ${{nope}}'
"
    );
    let path = plan(dir.path(), "broken.yaml", &text);
    for cmd in ["check", "run", "doc"] {
        let r = run(smtp_plan(&[cmd, path.to_str().unwrap()]));
        r.assert_code(2);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(all.contains("invalid port"), "{all}");
        assert!(all.contains("unknown key `allow_plaintxt`"), "{all}");
        assert!(all.contains("undefined variable `nope`"), "{all}");
        assert!(!all.contains(PW), "{cmd}: the secret leaked:\n{all}");
        assert!(
            !all.contains("Liter4l-Pw"),
            "{cmd}: the password leaked:\n{all}"
        );
    }
}

#[test]
fn probe_never_sends_a_password_without_tls() {
    // --tls none with --user: refused before any connection.
    let r = run(smtp_plan(&[
        "probe",
        "127.0.0.1:9",
        "--tls",
        "none",
        "--user",
        USER,
        "--password-env",
        "SAFETY_PW",
    ])
    .env("SAFETY_PW", PW));
    r.assert_code(2);
    assert!(r.stderr.contains("without TLS"), "{}", r.stderr);

    // --tls auto against a server without STARTTLS: the probe stops before AUTH.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    // Every connection's thread is joined, and the accept loop ends at a sentinel connection
    // made once the probe has exited: then `rx` holds every line the probe sent.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let server = std::thread::spawn(move || {
        let mut sessions = Vec::new();
        for stream in listener.incoming().take(8) {
            if stopped.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let Ok(mut s) = stream else { break };
            let tx = tx.clone();
            sessions.push(std::thread::spawn(move || {
                s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                    .unwrap();
                write(&mut s, "220 fake ESMTP\r\n");
                loop {
                    let line = read_line(&mut s);
                    if line.is_empty() {
                        break;
                    }
                    let _ = tx.send(line.clone());
                    let upper = line.to_ascii_uppercase();
                    if upper.starts_with("EHLO") {
                        write(
                            &mut s,
                            "250-fake\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
                        );
                    } else if upper.starts_with("QUIT") {
                        write(&mut s, "221 bye\r\n");
                        break;
                    } else {
                        write(&mut s, "250 2.0.0 ok\r\n");
                    }
                }
            }));
        }
        for session in sessions {
            session.join().unwrap();
        }
    });
    let r = run(smtp_plan(&[
        "probe",
        &addr.to_string(),
        "--user",
        USER,
        "--password-env",
        "SAFETY_PW",
    ])
    .env("SAFETY_PW", PW));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = std::net::TcpStream::connect(addr);
    server.join().unwrap();
    let seen: Vec<String> = rx.iter().collect();
    assert!(
        !seen
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with("AUTH")),
        "the probe sent AUTH in plaintext: {seen:?}\n{}",
        r.stderr
    );
    r.assert_code(1);
    assert!(r.stderr.contains("without TLS"), "{}", r.stderr);
}

#[test]
fn extreme_durations_on_the_command_line_do_not_panic() {
    let r = run(smtp_plan(&[
        "probe",
        "127.0.0.1:9",
        "--timeout",
        "18446744073709551615",
    ]));
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.assert_code(2);

    // Accepting the delay would serve forever: run_bounded then kills it and fails the test.
    let r = run_bounded(
        smtp_plan(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
            "--reply-delay",
            "999999999999999999m",
        ]),
        HANG,
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.assert_code(2);
}

#[test]
fn a_secret_in_a_mime_message_is_not_shown_encoded() {
    let server = Serve::start(&["--allow-anonymous"]);
    let dir = tempfile::tempdir().unwrap();
    // Non-ASCII text makes the Subject RFC 2047 base64 and the body quoted-printable, which
    // would carry the secret in a form that masking by value does not find.
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, timeout: 5s}}
vars:
  password: 'S3cret=pw'
secrets: [password]
scenarios:
  - name: mime
    steps:
      - expect: 220
      - ehlo: me
      - mail_from: a@example.test
      - rcpt_to: b@example.test
      - data:
          headers: {{Subject: 'Grüße ${{password}}', From: a@example.test}}
          body: 'Hallo ${{password}} — Grüße'
        allow_plaintext: true
        expect: 599
",
        server.smtp.port()
    );
    let path = plan(dir.path(), "mime.yaml", &text);
    let r = run_all(&path, dir.path(), &[]);
    r.assert_code(1);
    let all = outputs(&r, dir.path());
    assert!(all.contains("C: DATA"), "{all}");
    for form in [
        "S3cret=pw".to_owned(),
        "S3cret=3Dpw".to_owned(),
        b64("Grüße S3cret=pw".as_bytes()),
    ] {
        assert!(!all.contains(&form), "{form} leaked:\n{all}");
    }
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    // `smtp-plan schema | head -c 10`: the reader is gone before smtp-plan writes.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(BIN)
        .arg("schema")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
