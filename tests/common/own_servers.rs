//! A Postfix + Dovecot + KDC of a test's own, which the test may reconfigure, and which never
//! outlives the test: tests/servers/hold.sh starts it (up.sh) and stops it (down.sh) when its
//! standard input ends — when [`OwnServers`] is dropped, also on a panic, and when the test
//! process dies in any other way (Ctrl-C, a CI timeout, SIGKILL): the kernel then closes the
//! pipe. Its directory lives under the run's servers directory (`RUNDIR/own/`, next to the
//! shared servers of tests/servers/up.sh), so that down.sh and the next up.sh of the run stop
//! and remove whatever is left, even if hold.sh itself was killed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::{postfix, repo};

pub struct OwnServers {
    dir: Option<tempfile::TempDir>,
    hold: Child,
    /// Held open, never written: its end (on drop, or when this process dies) stops the servers.
    stdin: Option<ChildStdin>,
    env: HashMap<String, String>,
}

/// The port offsets tests/servers/up.sh uses (it refuses to start when one is taken).
const OFFSETS: [usize; 15] = [
    24, 25, 26, 27, 28, 29, 30, 31, 32, 35, 88, 143, 465, 587, 993,
];

impl OwnServers {
    /// Port bases 10000, 11000, ..., 19000 (a base uses base+24..=base+993, see up.sh): below
    /// the shared servers' default 20000 and below the kernel's ephemeral range (32768 up), so
    /// a port some other test bound to port 0 cannot take one. The first base tried is derived
    /// from the pid; a base is tried when all its ports are free, and up.sh is retried on
    /// another base if one was taken meanwhile (its error or Postfix's log says "in use").
    pub fn start() -> Self {
        let root = postfix().dir.join("own");
        std::fs::create_dir_all(&root).unwrap();
        let first = std::process::id() as usize;
        let mut last_err = String::new();
        for i in 0..20 {
            let base = 10_000 + 1_000 * ((first + i) % 10);
            if !OFFSETS
                .iter()
                .all(|o| std::net::TcpListener::bind(("127.0.0.1", (base + o) as u16)).is_ok())
            {
                continue;
            }
            // A short name: Dovecot's Unix sockets live below it (at most 108 bytes a path).
            let dir = tempfile::Builder::new()
                .prefix("t")
                .rand_bytes(6)
                .tempdir_in(&root)
                .unwrap();
            let mut hold = Command::new(repo().join("tests/servers/hold.sh"))
                .arg(dir.path())
                .env("SMTP_PLAN_PORT_BASE", base.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                // Not in this process's group: a Ctrl-C or a timeout's signal to the test's
                // group must not cut the stopping short.
                .process_group(0)
                .spawn()
                .expect("start tests/servers/hold.sh");
            let stdin = hold.stdin.take();
            let mut line = String::new();
            // up.sh bounds its own waits (SMTP_PLAN_READY_TIMEOUT): this line always comes.
            BufReader::new(hold.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            let mut own = Self {
                dir: Some(dir),
                hold,
                stdin,
                env: HashMap::new(),
            };
            if line.trim_end() == "up 0" {
                let text = std::fs::read_to_string(own.path().join("env")).unwrap();
                for line in text.lines() {
                    if let Some((k, v)) = line
                        .strip_prefix("export ")
                        .and_then(|kv| kv.split_once('='))
                    {
                        own.env
                            .insert(k.to_owned(), v.trim_matches('\'').to_owned());
                    }
                }
                return own;
            }
            last_err = std::fs::read_to_string(own.path().join("up.log")).unwrap_or_default();
            if !last_err.contains("already in use") {
                panic!(
                    "tests/servers/up.sh failed ({}):\n{last_err}",
                    line.trim_end()
                );
            }
            // The port was taken: hold.sh has exited, the directory goes.
            drop(own.dir.take());
        }
        panic!(
            "no free port base in 10000..=19000 for servers of a test's own; last up.sh error:\n{last_err}"
        );
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().unwrap().path()
    }

    /// `SMTP_PLAN_POSTFIX_NAME` of its env file.
    pub fn var(&self, name: &str) -> &str {
        let key = format!("SMTP_PLAN_POSTFIX_{name}");
        self.env
            .get(&key)
            .unwrap_or_else(|| panic!("{key} missing"))
    }

    /// The pids up.sh recorded (`krb5kdc`, `dovecot`, `postfix`: the masters).
    pub fn pids(&self) -> Vec<(String, u32)> {
        pids_in(self.path())
    }

    /// `postconf -c DIR -e SETTING`, then `postfix -c DIR reload`.
    pub fn postconf_and_reload(&self, setting: &str) {
        let conf = self.path().join("postfix-conf");
        for args in [
            vec!["postconf", "-c", conf.to_str().unwrap(), "-e", setting],
            // As up.sh does: Postfix waits until a just-written main.cf is in the past.
            vec![
                "touch",
                "-d",
                "-1 minute",
                conf.join("main.cf").to_str().unwrap(),
            ],
            vec!["postfix", "-c", conf.to_str().unwrap(), "reload"],
        ] {
            let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The `NAME=PID` lines of DIR/pids (written by up.sh, removed by down.sh).
pub fn pids_in(dir: &Path) -> Vec<(String, u32)> {
    std::fs::read_to_string(dir.join("pids"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect()
}

/// Is `pid` a live process (not a zombie) whose executable is `exe`?
pub fn running(pid: u32, exe: &Path) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let alive = std::fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false);
    alive && std::fs::read_link(proc_dir.join("exe")).is_ok_and(|e| e == exe)
}

impl Drop for OwnServers {
    fn drop(&mut self) {
        // End of input: hold.sh runs down.sh (bounded: SIGKILL after SMTP_PLAN_STOP_TIMEOUT).
        drop(self.stdin.take());
        let stopped = self.hold.wait().is_ok_and(|s| s.success());
        let Some(dir) = self.dir.take() else { return };
        if std::thread::panicking() || !stopped {
            // Kept for its logs, under the run's directory: the next up.sh removes it.
            let kept = dir.keep();
            eprintln!(
                "servers of the test's own kept in {} (logs)",
                kept.display()
            );
            if !stopped {
                eprintln!("stopping them failed: see {}/down.log", kept.display());
            }
        }
    }
}
