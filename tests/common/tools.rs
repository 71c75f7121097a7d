//! Programs some tests need besides smtp-plan (strace, faketime, openssl, xmllint): found on
//! the PATH or named as missing with the package that brings them, and a child process whose
//! standard error a test reads while it runs.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Run;

/// The path of the program `name`, or a panic that says it is missing and which Debian
/// package `tests/servers/install.sh` (run by scripts/test) installs it from.
pub fn need_tool(name: &str, package: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "this test needs `{name}`, which is not on the PATH: tests/servers/install.sh \
                 (run by scripts/test) installs it (Debian package {package})"
            )
        })
}

/// `strace` following every thread, quiet but for the system calls `filter` selects (e.g.
/// `-e trace=connect`), writing them to standard error as they return: a wrapper for
/// [`super::smtp_plan_under`].
pub fn strace(filter: &[&str]) -> Vec<String> {
    let mut wrapper = vec![
        need_tool("strace", "strace").display().to_string(),
        "-f".to_owned(),
        "-qq".to_owned(),
        "-e".to_owned(),
        "signal=none".to_owned(),
    ];
    wrapper.extend(filter.iter().map(|s| (*s).to_owned()));
    wrapper
}

/// `faketime` with the clock of the process (and its threads) moved by `offset` (e.g.
/// `+2h`): a wrapper for [`super::smtp_plan_under`].
pub fn faketime(offset: &str) -> Vec<String> {
    vec![
        need_tool("faketime", "faketime").display().to_string(),
        // libfaketimeMT: smtp-plan's runtime has threads.
        "-m".to_owned(),
        "-f".to_owned(),
        offset.to_owned(),
    ]
}

/// A child process whose standard error is read line by line as it is written, for a test
/// that acts on what the child says while it runs; killed if still running when dropped.
pub struct Watched {
    child: Child,
    lines: Receiver<String>,
    stderr: Vec<String>,
    stdout: Option<JoinHandle<String>>,
}

impl Watched {
    /// Start `cmd` with an empty standard input and both outputs piped.
    pub fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        let err = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            stderr: Vec::new(),
            stdout: Some(stdout),
        }
    }

    /// Wait for a line of standard error that contains `needle` and return it; panics if the
    /// child closes its standard error first, or (a hang) after `limit`.
    pub fn wait_for(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stderr.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => {
                    let _ = self.child.kill();
                    panic!(
                        "no line with {needle:?} on standard error ({e:?}):\n{}",
                        self.stderr.join("\n")
                    );
                }
            }
        }
    }

    /// Wait (bounded by `limit`: past it the child is killed and the test fails, "it hung")
    /// for the child to end; its exit code and both outputs.
    pub fn finish(mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        // Standard error ends when the child (and what it started) has closed it.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.stderr.push(line),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!(
                        "still running after {limit:?}: it hung\n{}",
                        self.stderr.join("\n")
                    );
                }
            }
        }
        let status = self.child.wait().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout.take().unwrap().join().unwrap(),
            stderr: self.stderr.join("\n"),
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
