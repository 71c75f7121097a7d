//! What reaches the wire: no secret is ever sent on a connection without TLS unless the step
//! says `allow_plaintext: true` — for every kind of command and for the DATA message. A
//! capturing server records every byte it receives; with `allow_plaintext: true` the same
//! steps do deliver the secret, which shows the capture would see a leak.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "leaks/forms.rs"]
mod leak_forms;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};

use common::*;
use leak_forms::forbidden_forms;

const PW: &str = "Wire-S3cret-pw";

/// Records every byte every connection sends; `finish` waits for all of them to end.
struct Capture {
    addr: SocketAddr,
    bytes: Arc<Mutex<Vec<u8>>>,
    server: Threaded,
}

impl Capture {
    fn start() -> Self {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let b = Arc::clone(&bytes);
        let server = Threaded::start(move |stream| serve(stream, &b));
        Self {
            addr: server.addr,
            bytes,
            server,
        }
    }

    /// Everything received, once every connection has ended.
    fn finish(self) -> String {
        self.server.stop();
        String::from_utf8_lossy(&self.bytes.lock().unwrap()).into_owned()
    }
}

fn serve(mut s: TcpStream, seen: &Mutex<Vec<u8>>) {
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let _ = s.write_all(b"220 capture ESMTP\r\n");
    let mut in_data = false;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        seen.lock().unwrap().extend_from_slice(line.as_bytes());
        let upper = line.trim_end().to_ascii_uppercase();
        if let Some(n) = upper
            .strip_prefix("BDAT ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
        {
            let mut chunk = vec![0; n];
            if std::io::Read::read_exact(&mut reader, &mut chunk).is_err() {
                return;
            }
            seen.lock().unwrap().extend_from_slice(&chunk);
            let _ = s.write_all(b"250 chunk ok\r\n");
            continue;
        }
        let reply: &[u8] = if in_data {
            if line != ".\r\n" {
                continue;
            }
            in_data = false;
            b"250 queued\r\n"
        } else if upper.starts_with("EHLO") || upper.starts_with("LHLO") {
            b"250-capture\r\n250-ETRN\r\n250-CHUNKING\r\n250 AUTH PLAIN LOGIN\r\n"
        } else if upper == "DATA" {
            in_data = true;
            b"354 go\r\n"
        } else if upper.starts_with("AUTH") {
            b"535 5.7.8 no\r\n"
        } else if upper == "QUIT" {
            let _ = s.write_all(b"221 bye\r\n");
            return;
        } else {
            b"250 ok\r\n"
        };
        let _ = s.write_all(reply);
    }
}

/// Every kind of step that sends text of the plan, each carrying the secret: (name, steps
/// after the greeting, the step that carries it last).
fn kinds() -> Vec<(&'static str, &'static str)> {
    vec![
        ("send", "      - send: 'NOOP ${pw}'\n"),
        (
            "send-base64",
            "      - send: 'AUTH PLAIN ${base64_plain(user, pw)}'\n",
        ),
        ("ehlo", "      - ehlo: 'x${pw}'\n"),
        ("helo", "      - helo: 'x${pw}'\n"),
        ("lhlo", "      - lhlo: 'x${pw}'\n"),
        (
            "ehlo-fallback",
            "      - ehlo: {name: 'x${pw}', helo_fallback: true}\n",
        ),
        ("mail_from", "      - mail_from: '${pw}@example.test'\n"),
        (
            "mail_from-params",
            "      - mail_from: {address: a@example.test, params: ['X-P=${pw}']}\n",
        ),
        (
            "rcpt_to",
            "      - mail_from: a@example.test\n      - rcpt_to: '${pw}@example.test'\n",
        ),
        (
            "rcpt_to-list",
            "      - mail_from: a@example.test\n      - rcpt_to: [b@example.test, '${pw}@example.test']\n",
        ),
        ("vrfy", "      - vrfy: '${pw}'\n"),
        (
            "etrn",
            "      - ehlo: client.test\n      - etrn: '${pw}.example'\n",
        ),
        ("expn", "      - expn: '${pw}'\n"),
        ("help", "      - help: '${pw}'\n"),
        (
            "data",
            "      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n      - data: \"Subject: t\\n\\nthe ${pw} here\\n\"\n",
        ),
        (
            "bdat",
            "      - ehlo: client.test\n      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n      - bdat: \"Subject: t\\n\\nthe ${pw} here\\n\"\n",
        ),
        (
            "data-mime",
            "      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n      - data: {headers: {Subject: 'Grüße ${pw}'}, body: 'x'}\n",
        ),
        (
            "auth",
            "      - auth: {mechanism: PLAIN, username: '${user}', password: '${pw}'}\n",
        ),
    ]
}

fn plan_text(port: u16, allow: bool, kinds: &[(&str, &str)]) -> String {
    let mut s = format!(
        "name: wire\ntarget: {{host: 127.0.0.1, port: {port}, timeout: 5s}}\nvars:\n  user: u@example.test\nscenarios:\n"
    );
    for (name, steps) in kinds {
        let mut steps = (*steps).to_owned();
        if allow {
            // The last step is the one that carries the secret.
            steps.push_str(
                "        allow_plaintext: true\n        expect: {code: [235, 250, 535, 554]}\n",
            );
        }
        s.push_str(&format!(
            "  - name: {name}\n    steps:\n      - expect: 220\n{steps}"
        ));
    }
    s
}

fn run_wire(allow: bool) -> (Run, String) {
    run_kinds(allow, &kinds(), PW)
}

fn run_kinds(allow: bool, kinds: &[(&str, &str)], pw: &str) -> (Run, String) {
    let server = Capture::start();
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "wire.yaml",
        &plan_text(server.addr.port(), allow, kinds),
    );
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v", "--secret", "pw"]).env("pw", pw));
    (r, server.finish())
}

/// The guard's FAIL block of each scenario says nothing was sent.
fn assert_refused(r: &Run, kinds: &[(&str, &str)]) {
    r.assert_code(1);
    assert_eq!(
        r.last_line(),
        format!("0 passed, {} failed", kinds.len()),
        "{}",
        r.stdout
    );
    for (name, _) in kinds {
        let block = r
            .stdout
            .split("FAIL  wire › ")
            .find(|b| b.starts_with(&format!("{name} (")))
            .unwrap_or_else(|| panic!("{name}: no FAIL block\n{}", r.stdout));
        assert!(
            block.contains("over a connection without TLS: nothing was sent"),
            "{name}:\n{block}"
        );
    }
}

#[test]
fn no_secret_goes_out_without_tls_for_any_command_kind() {
    let (r, wire) = run_wire(false);
    // Every scenario stopped at its guard, before sending.
    assert_refused(&r, &kinds());
    for form in forbidden_forms(PW) {
        assert!(
            !wire.contains(&form),
            "{form:?} went over the wire:\n{wire}"
        );
    }
    // The capture saw the conversations up to the guard.
    assert!(wire.contains("MAIL FROM:<a@example.test>"), "{wire}");
}

#[test]
fn allow_plaintext_sends_the_secret_and_the_capture_sees_it() {
    let (r, wire) = run_wire(true);
    r.assert_code(0);
    for needle in [
        format!("NOOP {PW}"),
        format!("EHLO x{PW}"),
        format!("HELO x{PW}"),
        format!("LHLO x{PW}"),
        format!("MAIL FROM:<{PW}@example.test>"),
        format!("X-P={PW}"),
        format!("RCPT TO:<{PW}@example.test>"),
        format!("VRFY {PW}"),
        format!("ETRN {PW}.example"),
        format!("EXPN {PW}"),
        format!("HELP {PW}"),
        format!("the {PW} here"),
        "BDAT ".to_owned(),
        "AUTH PLAIN ".to_owned(),
    ] {
        assert!(
            wire.contains(&needle),
            "{needle:?} not on the wire:\n{wire}"
        );
    }
}

/// Values smtp-plan xtext-encodes itself (RFC 3461 `ENVID`, `ORCPT`, Postfix's `XCLIENT` and
/// `XFORWARD`): a secret with a space, `+` or `=` is sent as `+20`, `+2B`, `+3D`, which the
/// guard must see through like the output does.
const XTEXT_PW: &str = "Xt S3cret=p+w";

fn xtext_kinds() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "envid",
            "      - ehlo: client.test\n      - mail_from: {address: a@example.test, envid: '${pw}'}\n        send_anyway: true\n",
        ),
        (
            "orcpt",
            "      - ehlo: client.test\n      - mail_from: a@example.test\n      - rcpt_to: {address: b@example.test, orcpt: '${pw}@example.test'}\n        send_anyway: true\n",
        ),
        (
            "xclient",
            "      - ehlo: client.test\n      - xclient: {login: '${pw}'}\n        send_anyway: true\n",
        ),
        (
            "xforward",
            "      - ehlo: client.test\n      - xforward: {ident: '${pw}'}\n        send_anyway: true\n",
        ),
    ]
}

#[test]
fn a_secret_xtext_encodes_into_no_plaintext_command_and_no_output() {
    let encoded = "Xt+20S3cret+3Dp+2Bw";
    let (r, wire) = run_kinds(false, &xtext_kinds(), XTEXT_PW);
    assert_refused(&r, &xtext_kinds());
    assert!(!wire.contains(encoded), "the secret went out:\n{wire}");
    assert!(wire.contains("MAIL FROM:<a@example.test>"), "{wire}");
    // Allowed (`xclient` and `xforward` never allow it), it goes out encoded — and the
    // transcript still masks it.
    let (r, wire) = run_kinds(true, &xtext_kinds()[..2], XTEXT_PW);
    r.assert_code(0);
    for needle in [
        format!("ENVID={encoded}"),
        format!("ORCPT=rfc822;{encoded}@example.test"),
    ] {
        assert!(
            wire.contains(&needle),
            "{needle:?} not on the wire:\n{wire}"
        );
    }
    for form in forbidden_forms(XTEXT_PW) {
        assert!(!r.stdout.contains(&form), "{form:?} shown:\n{}", r.stdout);
    }
    assert!(r.stdout.contains("ENVID=***"), "{}", r.stdout);
}

/// A CR or LF inside a `${..}` of a command line — a variable, a secret, an inline
/// `${env:..}`, a function's result — is an error naming it: no part of the command goes out,
/// so no second command is smuggled in, and the value is not printed.
#[test]
fn a_line_break_in_a_value_smuggles_no_command() {
    const SECRET: &str = "Smug-S3cret\r\nSMUGGLED-AUTH";
    let kinds: &[(&str, &str, &str)] = &[
        ("send", "- send: 'NOOP ${x}'", "${x}"),
        ("send-lf", "- send: 'NOOP ${lf}'", "${lf}"),
        ("send-cr", "- send: 'NOOP ${cr}'", "${cr}"),
        ("ehlo", "- ehlo: 'client ${x}'", "${x}"),
        ("helo", "- helo: '${x}'", "${x}"),
        ("mail_from", "- mail_from: '${x}@example.test'", "${x}"),
        (
            "mail_from-params",
            "- mail_from: {address: a@example.test, params: ['X-P=${x}']}",
            "${x}",
        ),
        (
            "rcpt_to",
            "- mail_from: a@example.test\n      - rcpt_to: [b@example.test, '${x}@example.test']",
            "${x}",
        ),
        ("vrfy", "- vrfy: '${x}'", "${x}"),
        ("expn", "- expn: '${x}'", "${x}"),
        ("help", "- help: '${x}'", "${x}"),
        (
            "secret",
            "- send: 'NOOP ${pw}'\n        allow_plaintext: true",
            "${pw}",
        ),
        ("env", "- send: 'NOOP ${env:SMUG_ENV}'", "${env:SMUG_ENV}"),
        (
            "function",
            "- send: 'NOOP ${base64_decode(b)}'",
            "${base64_decode(b)}",
        ),
    ];
    let server = Capture::start();
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!(
        "name: smuggle\ntarget: {{host: 127.0.0.1, port: {}, timeout: 5s}}\nscenarios:\n",
        server.addr.port()
    );
    for (name, step, _) in kinds {
        text.push_str(&format!(
            "  - name: {name}\n    steps:\n      - expect: 220\n      {step}\n      - send: AFTER\n"
        ));
    }
    let path = plan(dir.path(), "smuggle.yaml", &text);
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode("a\r\nSMUGGLED-FN")
    };
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "-v",
        "--var",
        "x=a\r\nSMUGGLED-VAR",
        "--var",
        "lf=a\nSMUGGLED-LF",
        "--var",
        "cr=a\rSMUGGLED-CR",
        "--var",
        &format!("b={b64}"),
        "--secret",
        "pw",
    ])
    .env("pw", SECRET)
    .env("SMUG_ENV", "a\nSMUGGLED-ENV"));
    let wire = server.finish();
    r.assert_code(1);
    assert_eq!(
        r.last_line(),
        format!("0 passed, {} failed", kinds.len()),
        "{}",
        r.stdout
    );
    for (name, _, shown) in kinds {
        let block = r
            .stdout
            .split("ERROR smuggle › ")
            .find(|b| b.starts_with(&format!("{name} (")))
            .unwrap_or_else(|| panic!("{name}: no FAIL block\n{}", r.stdout));
        assert!(
            block.contains(&format!(
                "`{shown}` holds a line break (CR or LF), which would end the command early"
            )),
            "{name}:\n{block}"
        );
    }
    // Nothing of the commands went out, and the scenarios stopped there.
    for needle in ["SMUGGLED", "NOOP", "VRFY", "EXPN", "HELP", "X-P=", "AFTER"] {
        assert!(!wire.contains(needle), "{needle:?} on the wire:\n{wire}");
    }
    assert!(wire.contains("MAIL FROM:<a@example.test>"), "{wire}");
    // The secret's value is not printed.
    let all = format!("{}{}", r.stdout, r.stderr);
    for form in forbidden_forms(SECRET) {
        assert!(!all.contains(&form), "{form:?} printed:\n{all}");
    }
}
