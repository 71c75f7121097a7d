//! Targets on a Unix domain socket (`socket:` in a plan, `--target unix:PATH`): LMTP and SMTP
//! over scripted servers on a `UnixListener` in a temporary directory, STARTTLS over the socket,
//! the ways it fails (nothing there, no permission, silence, a reset, garbage) and the plan
//! errors for what cannot apply to a socket (`bind`, `proxy`).
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod script;

use std::io::Write as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use common::*;
use script::certs::{CertKind, Certs};

/// A scripted server on a Unix socket `lmtp.sock` in its own temporary directory (where the
/// test writes its plan too). The script returns what it wants the test to check; the test
/// joins it, so nothing waits on a sleep.
struct UnixFake {
    dir: tempfile::TempDir,
    path: PathBuf,
    handle: Option<JoinHandle<Vec<String>>>,
}

impl UnixFake {
    fn start(script: impl FnOnce(UnixStream) -> Vec<String> + Send + 'static) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lmtp.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let handle = std::thread::spawn(move || match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                script(stream)
            }
            Err(e) => vec![format!("accept failed: {e}")],
        });
        Self {
            dir,
            path,
            handle: Some(handle),
        }
    }

    /// What the script returned (it ends when the client has closed, or its reads time out).
    fn join(mut self) -> Vec<String> {
        self.handle.take().unwrap().join().unwrap()
    }

    /// Write `text` as `plan.yaml` beside the socket and run it with `args`.
    fn run(&self, text: &str, args: &[&str]) -> Run {
        let path = plan(self.dir.path(), "plan.yaml", text);
        let mut all = vec!["run", path.to_str().unwrap()];
        all.extend_from_slice(args);
        let r = run_bounded(smtp_plan(&all), HANG);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        r
    }
}

/// Every line the client sends until it closes.
fn rest(s: &mut UnixStream) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = read_line(s);
        if line.is_empty() {
            return lines;
        }
        lines.push(line);
    }
}

/// An LMTP server: two of three recipients accepted; after the message one reply per accepted
/// recipient, `second` for the second.
fn lmtp(second: &'static str) -> impl FnOnce(UnixStream) -> Vec<String> + Send {
    move |mut s| {
        let mut seen = Vec::new();
        write(&mut s, "220 fake LMTP ready\r\n");
        for reply in [
            "250-fake\r\n250 PIPELINING\r\n",
            "250 2.1.0 ok\r\n",
            "250 2.1.5 ok\r\n",
            "250 2.1.5 ok\r\n",
            "550 5.1.1 <c@example.test> User doesn't exist: c@example.test\r\n",
            "354 OK\r\n",
        ] {
            seen.push(read_line(&mut s));
            write(&mut s, reply);
        }
        // the message, up to its lone dot (a client gone for good ends it too)
        for _ in 0..100 {
            if read_line(&mut s) == "." {
                break;
            }
        }
        write(
            &mut s,
            &format!("250 2.0.0 <a@example.test> Saved\r\n{second}\r\n"),
        );
        seen.push(read_line(&mut s));
        write(&mut s, "221 2.0.0 Bye\r\n");
        seen
    }
}

const LMTP_STEPS: &str = "    steps:
      - expect: 220
      - lhlo: client.example.test
      - mail_from: sender@example.test
      - rcpt_to: [a@example.test, b@example.test, {address: c@example.test, expect: {code: 550, enhanced: 5.1.1}}]
      - data: |
          Subject: over a Unix socket

          hello
        expect:
          per_recipient: [250, {code: 452, enhanced: 4.2.2}]
      - quit
";

#[test]
fn lmtp_over_a_unix_socket_checks_each_recipients_reply() {
    let fake = UnixFake::start(lmtp("452 4.2.2 <b@example.test> Quota exceeded"));
    // the path is relative to the plan file
    let text = format!(
        "name: lmtp\ntarget: {{socket: lmtp.sock, timeout: 2s}}\nscenarios:\n  - name: two of three delivered\n{LMTP_STEPS}"
    );
    let r = fake.run(&text, &["-v"]);
    r.assert_code(0);
    let shown = format!("* connecting to unix:{}", fake.path.display());
    assert!(r.stdout.contains(&shown), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("S: 452 4.2.2 <b@example.test> Quota exceeded"),
        "{}",
        r.stdout
    );
    let seen = fake.join();
    assert_eq!(
        seen,
        [
            "LHLO client.example.test",
            "MAIL FROM:<sender@example.test>",
            "RCPT TO:<a@example.test>",
            "RCPT TO:<b@example.test>",
            "RCPT TO:<c@example.test>",
            "DATA",
            "QUIT"
        ]
    );
}

#[test]
fn a_recipient_reply_that_differs_fails_naming_the_recipient() {
    let fake = UnixFake::start(lmtp("250 2.0.0 <b@example.test> Saved"));
    let text = format!(
        "name: lmtp\ntarget: {{socket: lmtp.sock, timeout: 2s}}\nscenarios:\n  - name: quota\n{LMTP_STEPS}"
    );
    let r = fake.run(&text, &[]);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("recipient 2 of 2 (b@example.test): expected code 452, got 250"),
        "{}",
        r.stdout
    );
    fake.join();
}

#[test]
fn target_unix_on_the_command_line_overrides_a_tcp_target() {
    let fake = UnixFake::start(|mut s| {
        write(&mut s, "220 fake ESMTP\r\n");
        let mut seen = vec![read_line(&mut s)];
        write(&mut s, "250 fake\r\n");
        seen.push(read_line(&mut s));
        write(&mut s, "221 bye\r\n");
        seen
    });
    // port 1: nothing would answer there
    let text = "target: {host: 127.0.0.1, port: 1, timeout: 2s}\nscenarios:\n  - name: smtp\n    steps:\n      - expect: 220\n      - ehlo: client.example.test\n      - quit\n";
    let target = format!("unix:{}", fake.path.display());
    let r = fake.run(text, &["--target", &target, "-v"]);
    r.assert_code(0);
    assert!(
        r.stdout.contains(&format!("* connecting to {target}")),
        "{}",
        r.stdout
    );
    assert_eq!(fake.join(), ["EHLO client.example.test", "QUIT"]);
    // --bind has no meaning there
    let r = run(smtp_plan(&[
        "run",
        "scenarios/exchange.yaml",
        "--target",
        &target,
        "--bind",
        "127.0.0.2",
    ]));
    r.assert_code(2);
    assert!(
        r.stderr.contains("--bind cannot go with --target unix:"),
        "{}",
        r.stderr
    );
}

/// Run a one-step plan (`expect: 220`, 400 ms) against `fake`; it must error with `want`, the
/// JSON report giving `kind`.
fn errors_with(fake: &UnixFake, want: &str, kind: &str) -> Run {
    let text = "target: {socket: lmtp.sock, timeout: 400ms}\nscenarios:\n  - name: hostile\n    steps:\n      - expect: 220\n      - lhlo: client.example.test\n";
    let json = fake.dir.path().join("report.json");
    let r = fake.run(text, &["--json", json.to_str().unwrap()]);
    r.assert_code(1);
    assert!(r.stdout.contains("ERROR plan › hostile"), "{}", r.stdout);
    assert!(
        r.stdout.contains(want),
        "missing {want:?} in:\n{}",
        r.stdout
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["suites"][0]["scenarios"][0]["failure"]["kind"], kind,
        "{report}"
    );
    r
}

#[test]
fn a_silent_server_times_out() {
    let fake = UnixFake::start(|mut s| rest(&mut s));
    errors_with(&fake, "no reply within 400ms", "timeout");
    assert!(fake.join().is_empty());
}

#[test]
fn a_server_that_resets_or_closes_fails_the_scenario() {
    // closed with the client's LHLO unread: the client's read gets a reset
    let fake = UnixFake::start(|mut s| {
        write(&mut s, "220 fake\r\n");
        let mut byte = [std::mem::MaybeUninit::<u8>::uninit(); 1];
        socket2::SockRef::from(&s).peek(&mut byte).unwrap();
        Vec::new()
    });
    errors_with(&fake, "the server reset the connection", "reset");
    fake.join();
    // closed before greeting
    let fake = UnixFake::start(|_| Vec::new());
    errors_with(&fake, "the server closed the connection", "closed");
    fake.join();
}

#[test]
fn garbage_instead_of_a_reply_is_a_protocol_error() {
    let fake = UnixFake::start(|mut s| {
        write(&mut s, "hello, this is not SMTP\r\n");
        rest(&mut s)
    });
    errors_with(&fake, "not SMTP", "protocol");
    assert!(fake.join().is_empty());
}

#[test]
fn a_missing_socket_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here.sock");
    let json = dir.path().join("report.json");
    let text = "target: {socket: nothing-here.sock}\nscenarios:\n  - name: nobody home\n    steps:\n      - expect: 220\n  - name: refusal expected\n    steps:\n      - connect:\n        expect: {fails: refused}\n";
    let path = plan(dir.path(), "plan.yaml", text);
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]));
    r.assert_code(1);
    let want = format!(
        "could not connect to unix:{}: no such socket (nothing listens at this path",
        missing.display()
    );
    assert!(r.stdout.contains(&want), "{}", r.stdout);
    assert!(
        r.stdout.contains("PASS  plan › refusal expected"),
        "{}",
        r.stdout
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["suites"][0]["scenarios"][0]["failure"]["kind"],
        "refused"
    );
}

#[test]
fn a_socket_without_permission_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let root = unsafe_free_euid() == 0;
    if root {
        // root may connect to anything: the socket belongs to nobody, and smtp-plan runs as
        // root without the capability that overrides file permissions
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    }
    let text = "target: {socket: private.sock}\nscenarios:\n  - name: not for us\n    steps:\n      - expect: 220\n";
    let plan_path = plan(dir.path(), "plan.yaml", text);
    let mut cmd = if root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--bounding-set", "-all", "--inh-caps", "-all", "--", BIN]);
        c.current_dir(repo()).env("NO_COLOR", "1");
        c
    } else {
        smtp_plan(&[])
    };
    cmd.args(["run", plan_path.to_str().unwrap()]);
    let r = run(cmd);
    r.assert_code(1);
    let want = format!(
        "could not connect to unix:{}: permission denied (this user may not use the socket",
        path.display()
    );
    assert!(r.stdout.contains(&want), "{}\n{}", r.stdout, r.stderr);
}

/// The effective user id, from /proc (no libc call needed).
fn unsafe_free_euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// An SMTP server that offers STARTTLS over the socket and does the handshake with the case
/// certificate (for localhost); it returns every line it read in plaintext and over TLS.
fn starttls_server(certs: std::sync::Arc<Certs>) -> impl FnOnce(UnixStream) -> Vec<String> + Send {
    move |mut s| {
        let mut seen = Vec::new();
        write(&mut s, "220 fake ESMTP\r\n");
        seen.push(read_line(&mut s));
        write(&mut s, "250-fake\r\n250 STARTTLS\r\n");
        let line = read_line(&mut s);
        seen.push(line.clone());
        if line != "STARTTLS" {
            seen.extend(rest(&mut s));
            return seen;
        }
        write(&mut s, "220 go ahead\r\n");
        let conn = rustls::ServerConnection::new(certs.server_config(CertKind::Ok, false)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, s);
        loop {
            let line = read_line(&mut tls);
            if line.is_empty() {
                break;
            }
            seen.push(format!("tls: {line}"));
            let reply = if line.starts_with("EHLO") {
                "250 fake\r\n"
            } else {
                "221 bye\r\n"
            };
            let _ = tls.write_all(reply.as_bytes());
            let _ = tls.flush();
        }
        seen
    }
}

fn starttls_plan(certs: &Certs, server_name: &str) -> String {
    format!(
        "target: {{socket: lmtp.sock, timeout: 2s, ca_file: '{}'{server_name}}}\nscenarios:\n  - name: tls\n    steps:\n      - expect: 220\n      - ehlo: client.example.test\n      - starttls\n      - ehlo: client.example.test\n      - quit\n",
        certs.ca_file.display()
    )
}

#[test]
fn starttls_over_a_unix_socket_verifies_the_server_name_given() {
    let certs = Certs::generate();
    let fake = UnixFake::start(starttls_server(certs.clone()));
    let r = fake.run(&starttls_plan(&certs, ", server_name: localhost"), &["-v"]);
    r.assert_code(0);
    assert!(
        r.stdout.contains("* TLS established: TLSv1.3"),
        "{}",
        r.stdout
    );
    assert_eq!(
        fake.join(),
        [
            "EHLO client.example.test",
            "STARTTLS",
            "tls: EHLO client.example.test",
            "tls: QUIT"
        ]
    );
    // a name the certificate does not hold fails the handshake
    let fake = UnixFake::start(starttls_server(certs.clone()));
    let r = fake.run(
        &starttls_plan(&certs, ", server_name: other.example.test"),
        &[],
    );
    r.assert_code(1);
    assert!(
        r.stdout.contains("is not valid for \"other.example.test\""),
        "{}",
        r.stdout
    );
    fake.join();
}

#[test]
fn starttls_over_a_unix_socket_without_a_name_is_not_sent() {
    let certs = Certs::generate();
    let fake = UnixFake::start(starttls_server(certs.clone()));
    let r = fake.run(&starttls_plan(&certs, ""), &[]);
    r.assert_code(1);
    assert!(
        r.stdout.contains("a Unix socket has no host name to check the server certificate against: give `server_name` (on the target or the `starttls` step), or `insecure: true`; STARTTLS was not sent"),
        "{}",
        r.stdout
    );
    // the server saw EHLO, then the client went away
    assert_eq!(fake.join(), ["EHLO client.example.test", ""]);
}

#[test]
fn what_cannot_apply_to_a_socket_is_a_load_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
target: {socket: /run/x.sock, bind: 127.0.0.2}
scenarios:
  - name: a
    target: {proxy: {version: 1, source: '127.0.0.5:4000', destination: '127.0.0.1:25'}}
    steps: [{expect: 220}]
  - name: b
    target: {host: 'unix:/run/dovecot/lmtp'}
    steps:
      - connect: {socket: /run/y.sock, port: 24}
";
    let path = plan(dir.path(), "plan.yaml", text);
    let r = run(smtp_plan(&["check", path.to_str().unwrap()]));
    r.assert_code(2);
    for want in [
        "error: `bind` cannot go with `socket`\n --> ",
        "plan.yaml:1:31",
        "= help: `bind` chooses a local IP address for a TCP connection; a Unix socket has none",
        "error: this target connects to a Unix socket, but `proxy` applies to it (from the scenario's target)",
        "plan.yaml:4:13",
        "error: invalid `host`: `unix:/run/dovecot/lmtp` is a Unix socket, not a host",
        "= help: write `socket: /run/dovecot/lmtp` instead of `host` (and no `port`)",
        "error: `port` cannot go with `socket`",
        "plan.yaml:9:40",
    ] {
        assert!(
            r.stderr.contains(want),
            "missing {want:?} in:\n{}",
            r.stderr
        );
    }
    // a socket path longer than a socket address holds
    let long = format!("/{}/x.sock", "d".repeat(120));
    let path = plan(
        dir.path(),
        "long.yaml",
        &format!(
            "target: {{socket: '{long}'}}\nscenarios:\n  - name: a\n    steps: [{{expect: 220}}]\n"
        ),
    );
    let r = run(smtp_plan(&["check", path.to_str().unwrap()]));
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("is 128 bytes long; a Unix socket path may have at most 107"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_proxy_on_a_connect_step_to_a_socket_target_fails_before_sending() {
    let fake = UnixFake::start(|mut s| rest(&mut s));
    let text = "target: {socket: lmtp.sock, timeout: 2s}\nscenarios:\n  - name: proxied\n    steps:\n      - connect: {proxy: {version: 2, source: '127.0.0.5:4000', destination: '127.0.0.1:25'}}\n      - expect: 220\n";
    // the scenario's own first connection is the connect step
    let r = fake.run(text, &[]);
    r.assert_code(1);
    assert!(
        r.stdout.contains("this connection goes to a Unix socket, where `proxy` (a PROXY protocol header claiming TCP addresses) cannot apply; nothing was sent"),
        "{}",
        r.stdout
    );
    drop(fake);
}

#[test]
fn doc_words_a_socket_target() {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "plan.yaml",
        "target: {socket: /run/dovecot/lmtp}\nscenarios:\n  - name: a\n    steps:\n      - expect: 220\n      - connect: {socket: /run/other.sock}\n      - expect: 220\n",
    );
    let r = run(smtp_plan(&["doc", path.to_str().unwrap()]));
    r.assert_code(0);
    assert!(
        r.stdout.contains("`unix:/run/dovecot/lmtp`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Open a new connection to `unix:/run/other.sock`."),
        "{}",
        r.stdout
    );
}
