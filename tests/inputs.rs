//! Bounded input through the real binary: every file the tool reads must be a regular file
//! (a FIFO never blocks, `/dev/zero` never grows), the files a plan names lie under the file
//! root, every one is checked at load (exit 2, no connection), and an empty secret is a load
//! error naming it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::TcpListener;
use std::path::Path;

use common::{HANG, plan, run_bounded, smtp_plan};

/// A loopback listener that must see no connection.
struct Untouched(TcpListener);

impl Untouched {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Self(l)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    fn assert_untouched(&self) {
        assert_eq!(
            self.0.accept().map(|_| ()).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock,
            "a connection was opened"
        );
    }
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo (coreutils) is needed by this test");
    assert!(ok.success());
}

/// Run `args` and require exit 2 within a few seconds, with `want` on stderr.
fn refused(args: &[&str], want: &str) -> String {
    let r = run_bounded(smtp_plan(args), HANG);
    r.assert_code(2);
    assert!(r.stderr.contains(want), "want {want:?} in:\n{}", r.stderr);
    r.stderr
}

#[test]
fn special_files_are_refused_before_a_byte_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.yaml");
    mkfifo(&fifo);
    let fifo_s = fifo.to_str().unwrap();
    let ok = plan(
        dir.path(),
        "ok.yaml",
        "scenarios: [{name: s, steps: [quit]}]\n",
    );
    let ok_s = ok.to_str().unwrap();
    refused(
        &["check", fifo_s],
        "is a named pipe (FIFO), not a regular file",
    );
    refused(
        &["check", "/dev/zero"],
        "is a character device, not a regular file",
    );
    for flag in ["--vars-file", "--secrets-file"] {
        refused(&["check", ok_s, flag, "/dev/zero"], "is a character device");
        refused(&["check", ok_s, flag, fifo_s], "is a named pipe (FIFO)");
    }
    // Named by a plan, under its root: an include, a message file, an attachment, a client key.
    let text = "include: [fifo.yaml]\ntarget: {client_cert: fifo.yaml, client_key: fifo.yaml}\nscenarios:\n  - name: s\n    steps:\n      - data: {file: fifo.yaml}\n      - data: {headers: {Subject: x}, body: y, attachments: [{file: fifo.yaml}]}\n";
    let p = plan(dir.path(), "names.yaml", text);
    let err = refused(&["check", p.to_str().unwrap()], "included file");
    for what in [
        "included file",
        "client_cert",
        "client_key",
        "the message file",
        "the attachment",
    ] {
        assert!(
            err.contains(&format!(
                "{what} `{}` is a named pipe (FIFO)",
                fifo.display()
            )),
            "{what}: {err}"
        );
    }
}

#[test]
fn a_file_outside_the_root_is_refused_and_never_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let plans = dir.path().join("plans");
    std::fs::create_dir(&plans).unwrap();
    // A file of secrets beside the plans directory, named like YAML.
    std::fs::write(dir.path().join("private.yaml"), "TOPSECRET-LINE: 1\n").unwrap();
    std::fs::write(dir.path().join("private.txt"), "TOPSECRET-LINE\n").unwrap();
    let port = Untouched::new();
    let text = format!(
        "include: [../private.yaml]\ntarget: {{host: 127.0.0.1, port: {}}}\nscenarios:\n  - name: s\n    steps:\n      - expect: 220\n      - data: {{file: ../private.txt}}\n",
        port.port()
    );
    let p = plan(&plans, "p.yaml", &text);
    let p_s = p.to_str().unwrap();
    for cmd in ["check", "run"] {
        let err = refused(&[cmd, p_s], "is outside the file root");
        assert!(!err.contains("TOPSECRET"), "{err}");
        assert!(err.contains("--file-root DIR"), "{err}");
        assert!(
            err.contains("../private.txt` is outside the file root"),
            "{err}"
        );
    }
    port.assert_untouched();
    // `--file-root` widens it: the include is read, and its problems point into it without
    // quoting anything that is not YAML.
    let root = dir.path().to_str().unwrap();
    let err = refused(&["check", p_s, "--file-root", root], "private.yaml");
    assert!(!err.contains("../private.txt` is outside"), "{err}");
    // A non-YAML file is never included, whatever the root.
    let p = plan(
        &plans,
        "shadow.yaml",
        "include: [/etc/shadow, /etc/passwd]\nscenarios: [{name: s, steps: [quit]}]\n",
    );
    let err = refused(
        &["check", p.to_str().unwrap(), "--file-root", "/"],
        "included file `/etc/shadow` is not a .yaml or .yml file",
    );
    assert!(!err.contains("root:"), "{err}");
    // A message file that is not YAML: its problems have a position, never its text.
    std::fs::write(
        plans.join("m.eml"),
        "Subject: ${nope} TOPSECRET-LINE\n\nbody\n",
    )
    .unwrap();
    let p = plan(
        &plans,
        "msg.yaml",
        "scenarios: [{name: s, steps: [{data: {file: m.eml}}]}]\n",
    );
    let err = refused(&["check", p.to_str().unwrap()], "undefined variable `nope`");
    assert!(err.contains("m.eml:1:10"), "{err}");
    assert!(!err.contains("TOPSECRET"), "{err}");
}

#[test]
fn missing_tls_files_stop_the_run_before_it_connects() {
    let dir = tempfile::tempdir().unwrap();
    let port = Untouched::new();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, ca_file: nowhere/ca.pem}}\nscenarios:\n  - name: s\n    steps:\n      - expect: 220\n      - starttls: {{client_cert: c.pem, client_key: k.pem}}\n",
        port.port()
    );
    let p = plan(dir.path(), "tls.yaml", &text);
    let err = refused(&["run", p.to_str().unwrap()], "ca_file");
    let ca_col = text.find("nowhere").unwrap() + 1;
    for (what, at) in [
        ("ca_file", format!(":1:{ca_col}")),
        ("client_cert", ":6:33".to_owned()),
        ("client_key", ":6:52".to_owned()),
    ] {
        assert!(err.contains(&format!("error: {what} `")), "{what}: {err}");
        assert!(
            err.contains(&format!("tls.yaml{at}")),
            "{what} at {at}: {err}"
        );
    }
    assert!(err.contains("does not exist"), "{err}");
    port.assert_untouched();
}

#[test]
fn an_empty_secret_is_a_load_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = Untouched::new();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}}}\nvars:\n  password: ${{env:SMTP_PLAN_TEST_EMPTY}}\nsecrets: [password]\nscenarios:\n  - name: s\n    steps:\n      - expect: 220\n      - auth: {{mechanism: plain, username: u, password: '${{password}}', allow_plaintext: true}}\n",
        port.port()
    );
    let p = plan(dir.path(), "secret.yaml", &text);
    let p_s = p.to_str().unwrap();
    let r = run_bounded(
        smtp_plan(&["run", p_s]).env("SMTP_PLAN_TEST_EMPTY", ""),
        HANG,
    );
    r.assert_code(2);
    assert!(
        r.stderr.contains("secret `password` is empty"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("secret.yaml:3:13"), "{}", r.stderr);
    assert!(r.stderr.contains("--secret password=VALUE"), "{}", r.stderr);
    // Empty from the command line too.
    let ok = plan(
        dir.path(),
        "ok.yaml",
        "scenarios: [{name: s, steps: [quit]}]\n",
    );
    refused(
        &["check", ok.to_str().unwrap(), "--secret", "token="],
        "secret `token` is empty",
    );
    port.assert_untouched();
}

#[test]
fn tls_files_on_the_command_line_are_read_bounded_and_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let port = Untouched::new();
    let p = plan(
        dir.path(),
        "p.yaml",
        &format!(
            "target: {{host: 127.0.0.1, port: {}}}\nscenarios: [{{name: s, steps: [quit]}}]\n",
            port.port()
        ),
    );
    let p_s = p.to_str().unwrap();
    std::fs::write(dir.path().join("not.pem"), "hello\n").unwrap();
    let not_pem = dir.path().join("not.pem");
    refused(
        &["run", p_s, "--ca-file", "/dev/zero"],
        "--ca-file /dev/zero is a character device, not a regular file",
    );
    refused(
        &["run", p_s, "--ca-file", not_pem.to_str().unwrap()],
        "is not usable: no PEM certificate found in it",
    );
    refused(
        &[
            "run",
            p_s,
            "--client-cert",
            not_pem.to_str().unwrap(),
            "--client-key",
            "/dev/zero",
        ],
        "--client-cert",
    );
    port.assert_untouched();
}

#[test]
fn targets_that_are_not_hosts_are_usage_errors_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let ok = plan(
        dir.path(),
        "ok.yaml",
        "scenarios: [{name: s, steps: [quit]}]\n",
    );
    let ok_s = ok.to_str().unwrap();
    refused(
        &["run", ok_s, "--target", "http://x:25"],
        "`http://x:25` is a URL, not a host; write `x` or `x:PORT`",
    );
    refused(
        &["run", ok_s, "--target", "a b:25"],
        "`a b` is not a host name: it contains a space",
    );
    refused(&["probe", "smtp://mx.example"], "is a URL, not a host");
    let p = plan(
        dir.path(),
        "host.yaml",
        "target: {host: '127.0.0.1:2525'}\nscenarios: [{name: s, steps: [quit]}]\n",
    );
    refused(
        &["run", p.to_str().unwrap()],
        "write `host: 127.0.0.1` and `port: 2525`",
    );
}

#[test]
fn flags_take_durations_as_plans_do() {
    refused(
        &["probe", "127.0.0.1:9", "--timeout", "10"],
        "\"10\" needs a unit: did you mean `10s`?",
    );
    refused(
        &["probe", "127.0.0.1:9", "--timeout", "2d"],
        "\"2d\" is longer than 1d, the most allowed",
    );
    refused(
        &["serve", "--reply-delay", "5"],
        "\"5\" needs a unit: did you mean `5s`?",
    );
}

#[test]
fn a_huge_line_gives_a_short_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    // A 1 MB one-line plan (5 MB behaves the same, but a debug build parses it slowly) with an
    // unknown step in the middle of it.
    let text = format!(
        "scenarios: [{{name: x, steps: [quit, {}, ehol, {}]}}]\n",
        "a".repeat(500_000),
        "b".repeat(500_000)
    );
    let p = plan(dir.path(), "huge.yaml", &text);
    let err = refused(&["check", p.to_str().unwrap()], "unknown step `aaaa");
    assert!(err.len() < 4_000, "{} bytes of stderr", err.len());
    assert!(
        err.contains("unknown step `ehol`"),
        "{}",
        &err[..err.len().min(2000)]
    );
    // Too many nodes: the limit in words, not the parser's debug text.
    let text = format!("a: [{}]\n", vec!["1"; 500_001].join(","));
    let p = plan(dir.path(), "nodes.yaml", &text);
    let err = refused(
        &["check", p.to_str().unwrap()],
        "the file has more than 500000 nodes",
    );
    assert!(!err.contains("Nodes {"), "{err}");
    assert!(err.len() < 4_000, "{} bytes of stderr", err.len());
}
