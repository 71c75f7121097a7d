//! Shared helpers for the integration tests: the real binary, the built-in server as a child
//! process, scripted fake servers on loopback, and JUnit schema validation.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

mod own_servers;
mod threaded;
mod tools;
mod watch;
#[allow(unused_imports)]
pub use own_servers::{OwnServers, pids_in, running};
#[allow(unused_imports)]
pub use threaded::Threaded;
#[allow(unused_imports)]
pub use tools::{Watched, faketime, need_tool, strace};
#[allow(unused_imports)]
pub use watch::{delivered_file, log_lines_with, wait_until};

pub const BIN: &str = env!("CARGO_BIN_EXE_smtp-plan");

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `smtp-plan ARGS` from the repository root, environment cleared of SMTP_* variables.
pub fn smtp_plan(args: &[&str]) -> Command {
    smtp_plan_under(&[], args)
}

/// [`smtp_plan`] run by `wrapper` (a program and its arguments, e.g. [`strace`] or
/// [`faketime`]), which gets the binary's path and `args` after its own.
pub fn smtp_plan_under(wrapper: &[String], args: &[&str]) -> Command {
    let mut cmd = match wrapper.split_first() {
        Some((program, own)) => {
            let mut cmd = Command::new(program);
            cmd.args(own).arg(BIN);
            cmd
        }
        None => Command::new(BIN),
    };
    cmd.args(args).current_dir(repo()).env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("SMTP_") && !k.starts_with("SMTP_PLAN_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// The outcome of a run, with text for assertions.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(out: Output) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }

    /// Panic with both streams when the exit code is not `want`.
    pub fn assert_code(&self, want: i32) -> &Self {
        assert_eq!(
            self.code, want,
            "exit code {} (want {want})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

pub fn run(mut cmd: impl std::borrow::BorrowMut<Command>) -> Run {
    Run::of(cmd.borrow_mut().output().expect("run smtp-plan"))
}

/// Like [`run`] for a test whose point is that smtp-plan does not hang: the process is killed
/// and the test fails ("it hung") if it is still running after `limit`. The limit is a bound
/// against hangs, far above any honest run even on a loaded machine — never a timing claim.
/// Standard input is empty.
pub fn run_bounded(mut cmd: impl std::borrow::BorrowMut<Command>, limit: Duration) -> Run {
    let child = cmd
        .borrow_mut()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run smtp-plan");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => Run::of(out.expect("wait for smtp-plan")),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("smtp-plan was still running after {limit:?}: it hung");
        }
    }
}

/// The bound [`run_bounded`] uses where a run must end on its own (timeouts, refusals).
pub const HANG: Duration = Duration::from_secs(90);

/// `program` started so that it never outlives the thread that starts it: `setpriv --pdeathsig
/// KILL` has the kernel send it SIGKILL when that thread ends, then execs `program` (same pid).
/// For servers a test runs as child processes: they die with the test — also when it panics
/// before the code that would stop them, or when the whole test process is killed, where no
/// drop runs. Start them on the test's own thread, not on one that ends earlier.
pub fn dies_with_test(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--pdeathsig", "KILL", "--"]).arg(program);
    cmd
}

/// `smtp-plan serve` as a child process on free loopback ports; killed on drop, and by the
/// kernel when the test's thread ends ([`dies_with_test`]).
pub struct Serve {
    child: Child,
    pub smtp: SocketAddr,
    pub smtps: SocketAddr,
    pub ca: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Serve {
    pub fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let mut child = dies_with_test(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--tls-listen",
                "127.0.0.1:0",
                "--write-ca",
            ])
            .arg(&ca)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn smtp-plan serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut smtp = None;
        let mut smtps = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            let addr = || {
                line.rsplit(' ')
                    .next()
                    .unwrap()
                    .parse::<SocketAddr>()
                    .unwrap()
            };
            if line.contains("STARTTLS on") {
                smtp = Some(addr());
            } else if line.contains("implicit TLS on") {
                smtps = Some(addr());
            } else if line.contains("CA certificate written") {
                break;
            }
        }
        Self {
            child,
            smtp: smtp.expect("serve printed its SMTP address"),
            smtps: smtps.expect("serve printed its TLS address"),
            ca,
            dir,
        }
    }
}

impl Serve {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scripted server: accepts one connection on 127.0.0.1 and hands it to `script`.
pub struct Fake {
    pub addr: SocketAddr,
    handle: Option<JoinHandle<()>>,
}

impl Fake {
    pub fn start(script: impl FnOnce(TcpStream) + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            if let Ok((stream, _)) = listener.accept() {
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                script(stream);
            }
        });
        Self {
            addr,
            handle: Some(handle),
        }
    }
}

impl Fake {
    /// Wait for the script to end (once a client connected: it closed the connection, or a
    /// read timed out) and fail the test with the script's panic if it panicked: what it saw
    /// is then complete, so a test can assert on it, also that something was NOT sent.
    pub fn join(mut self) {
        if let Some(handle) = self.handle.take()
            && let Err(panic) = handle.join()
        {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        // Not joined here: a script nobody connected to still waits in accept, and a failing
        // test must not block on it. Tests that look at what the script saw call `join`.
        let _ = self.handle.take();
    }
}

/// A port of ours that refuses connections: bound, so that no other process takes it, and not
/// listening (the kernel answers a connection with a reset) until `listen` is called.
pub fn closed_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// Read one CRLF line from the client (for fake servers, on TCP or a Unix socket).
pub fn read_line(stream: &mut impl Read) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while stream.read(&mut byte).unwrap_or(0) == 1 {
        if byte[0] == b'\n' {
            break;
        }
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line)
        .trim_end_matches('\r')
        .to_owned()
}

pub fn write(stream: &mut impl Write, text: &str) {
    let _ = stream.write_all(text.as_bytes());
}

/// Write a plan file into `dir` and return its path.
pub fn plan(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Validate a JUnit file against the Jenkins junit-10 schema (with the attributes quick-junit
/// adds); panics with xmllint's message if it is not valid.
pub fn assert_valid_junit(path: &Path) {
    if let Err(e) = check_junit(path) {
        panic!("{e}");
    }
}

/// [`assert_valid_junit`] as a result, for tests that collect problems.
pub fn check_junit(path: &Path) -> Result<(), String> {
    check_junit_against(path, "junit-10-smtpplan.xsd")
}

/// Validate against `tests/junit/XSD` (e.g. the plain `junit-10.xsd` for `--junit-strict`).
pub fn check_junit_against(path: &Path, xsd: &str) -> Result<(), String> {
    let xsd = repo().join("tests/junit").join(xsd);
    let out = Command::new(need_tool("xmllint", "libxml2-utils"))
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(path)
        .output()
        .map_err(|e| format!("xmllint could not run: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "JUnit report does not validate:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    ))
}

/// A line diff (longest common subsequence): ` ` same, `-` expected only, `+` actual only.
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

/// The real Postfix + Dovecot that `scripts/test` starts (tests/servers/up.sh), read from the
/// `SMTP_PLAN_POSTFIX_*` variables of its `env` file. Tests that need it are `#[ignore]`d so a
/// plain `cargo test` does not count them as passed; `scripts/test` runs them with
/// `--include-ignored` and they fail loudly here if the servers are not there.
pub struct Postfix {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub maildir: PathBuf,
}

pub fn postfix() -> Postfix {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: the real-server tests need Postfix and Dovecot started by \
                 tests/servers/up.sh; run scripts/test (or source RUNDIR/env after up.sh)"
            )
        })
    };
    let dir = PathBuf::from(var("SMTP_PLAN_POSTFIX_DIR"));
    assert!(
        dir.join("env").is_file(),
        "{} holds no env file: is the harness running?",
        dir.display()
    );
    Postfix {
        dir,
        ca: PathBuf::from(var("SMTP_PLAN_POSTFIX_CA")),
        maildir: PathBuf::from(var("SMTP_PLAN_POSTFIX_MAILDIR")),
    }
}

/// `smtp-plan run PLAN ARGS` from the repository root, with the harness's variables inherited.
pub fn run_plan(plan: &str, args: &[&str]) -> Run {
    let mut all = vec!["run", plan];
    all.extend_from_slice(args);
    run(smtp_plan(&all))
}

/// The one way the tests write a one-scenario plan: suite `suite` with `target` (the inside of
/// its mapping, e.g. `host: 127.0.0.1, port: 2525, timeout: 2s`) and one scenario, `talk`,
/// whose `steps` are YAML list items indented by six spaces (`      - expect: 220\n`).
pub fn one_scenario(suite: &str, target: &str, steps: &str) -> String {
    format!("name: {suite}\ntarget: {{{target}}}\nscenarios:\n  - name: talk\n    steps:\n{steps}")
}

/// Run a one-scenario plan (suite `suite`, scenario `talk`, 400 ms reply timeout) with `steps`
/// against `fake`, verbosely, with a JUnit report; checks that the run neither hung nor
/// panicked and that the report validates. Returns the run and the report.
pub fn run_against(fake: &Fake, suite: &str, steps: &str) -> (Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let target = format!(
        "host: 127.0.0.1, port: {}, timeout: 400ms",
        fake.addr.port()
    );
    let text = one_scenario(suite, &target, steps);
    let path = plan(dir.path(), &format!("{suite}.yaml"), &text);
    let junit = dir.path().join(format!("{suite}.xml"));
    let r = run_bounded(
        smtp_plan(&[
            "run",
            path.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "-v",
        ]),
        HANG,
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    (r, xml)
}
