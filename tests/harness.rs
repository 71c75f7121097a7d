//! The test harness itself: its wait (tests/common/watch.rs) looks again only when the watched
//! directory changes — also one that does not exist yet — and fails naming what it waited for;
//! servers a test starts for itself (tests/common/own_servers.rs) do not outlive it, not even
//! when it is killed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::cell::Cell;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

#[test]
fn a_wait_sees_a_file_in_a_directory_made_after_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("alice/new");
    let (go, started) = std::sync::mpsc::channel::<()>();
    let target = new.clone();
    // The writer starts once the wait has looked for the first time (and found nothing).
    let writer = std::thread::spawn(move || {
        started.recv().unwrap();
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("1.msg"), "id 42\n").unwrap();
    });
    let looks = Cell::new(0);
    let found = wait_until(HANG, "the message", &[&new], || {
        looks.set(looks.get() + 1);
        if looks.get() == 1 {
            go.send(()).unwrap();
        }
        std::fs::read_to_string(new.join("1.msg"))
            .ok()
            .filter(|t| t.contains("id 42"))
    });
    assert_eq!(found, "id 42\n");
    writer.join().unwrap();
}

#[test]
fn a_wait_where_nothing_changes_looks_once_and_fails_naming_what() {
    let dir = tempfile::tempdir().unwrap();
    let looks = Cell::new(0);
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until(
            Duration::from_millis(300),
            "a delivery",
            &[dir.path()],
            || {
                looks.set(looks.get() + 1);
                None::<()>
            },
        )
    }));
    let message = *failed.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.starts_with("a delivery: not seen within 300ms"),
        "{message}"
    );
    // No change, no second look: nothing polls.
    assert_eq!(looks.get(), 1);
}

/// Set in the child processes of the tests below: what the child is to start.
const KILLED_CHILD: &str = "SMTP_PLAN_TEST_KILLED_CHILD";

/// In the child: say `said` on standard output, then wait to be killed (the parent never
/// writes to this input).
fn child_says_then_waits(said: &str) -> ! {
    let mut out = std::io::stdout();
    writeln!(out, "{said}").unwrap();
    out.flush().unwrap();
    let _ = std::io::stdin().read(&mut [0u8; 1]);
    panic!("the parent was to kill this process, not to close its input");
}

/// Run `test` of this binary as a child process in the role `role`, with its standard error
/// piped as `stderr` says; returns it and the rest of the first line of its standard output
/// after `marker` (waited for on a thread of its own: a child that never says it fails the
/// test after HANG instead of blocking it).
fn child_test(test: &str, role: &str, stderr: Stdio, marker: &'static str) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            test,
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(KILLED_CHILD, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // The harness prints "test NAME ... " before the test's own output, on the same line.
        let _ = tx.send(
            BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .find_map(|l| l.split_once(marker).map(|(_, rest)| rest.to_owned())),
        );
    });
    match rx.recv_timeout(HANG) {
        Ok(Some(said)) => (child, said),
        Ok(None) => panic!("the child test ended without saying {marker:?}"),
        Err(_) => {
            let _ = child.kill();
            panic!("the child test did not say {marker:?} within {HANG:?}");
        }
    }
}

/// A test process that starts servers of its own and is then killed with SIGKILL — no drop, no
/// panic hook, nothing of it runs any more — leaves nothing running: this test runs itself as
/// that child, kills it once its servers are up, waits (on hold.sh's log, bounded) until they
/// were stopped, and checks that each daemon is gone and the ports refuse connections.
#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn servers_of_a_killed_test_are_stopped() {
    if std::env::var(KILLED_CHILD).as_deref() == Ok("own servers") {
        let own = OwnServers::start();
        child_says_then_waits(&format!("own servers in {}", own.path().display()));
    }
    let _ = postfix();
    let (mut child, dir) = child_test(
        "servers_of_a_killed_test_are_stopped",
        "own servers",
        Stdio::inherit(),
        "own servers in ",
    );
    let dir = PathBuf::from(dir);
    let daemons = [
        ("krb5kdc", "/usr/sbin/krb5kdc"),
        ("dovecot", "/usr/sbin/dovecot"),
        ("postfix", "/usr/lib/postfix/sbin/master"),
    ];
    let pids = pids_in(&dir);
    assert_eq!(pids.len(), daemons.len(), "{pids:?}");
    for (name, exe) in daemons {
        let pid = pids.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(
            running(pid, Path::new(exe)),
            "{name} (pid {pid}) is not running"
        );
    }
    let env = std::fs::read_to_string(dir.join("env")).unwrap();
    let port = |name: &str| -> u16 {
        let key = format!("export SMTP_PLAN_POSTFIX_{name}_PORT='");
        let at = env.find(&key).unwrap() + key.len();
        env[at..].split('\'').next().unwrap().parse().unwrap()
    };
    let ports = [port("SMTP"), port("IMAP"), port("LMTP")];
    for p in ports {
        std::net::TcpStream::connect(("127.0.0.1", p)).unwrap();
    }

    child.kill().unwrap();
    child.wait().unwrap();

    let log = dir.join("down.log");
    let status = wait_until(HANG, "hold.sh stopping the servers", &[&log], || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix("down "))
            .map(str::to_owned)
    });
    assert_eq!(status, "0", "{}", std::fs::read_to_string(&log).unwrap());
    for (name, pid) in &pids {
        let exe = daemons.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(
            !running(*pid, Path::new(exe)),
            "{name} (pid {pid}) still runs"
        );
    }
    for p in ports {
        let refused = std::net::TcpStream::connect(("127.0.0.1", p)).unwrap_err();
        assert_eq!(
            refused.kind(),
            std::io::ErrorKind::ConnectionRefused,
            "port {p}"
        );
    }
    // Left in the run's directory for the next up.sh to remove; nothing needs it now.
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same for the built-in server (`smtp-plan serve`, tests/common's `Serve`), which tests
/// start as a child process: when the test process is killed, the kernel kills the server too
/// (its parent-death signal, [`dies_with_test`]). Its standard error is the child test's, piped
/// here: the pipe ends once both are gone, which is the wait.
#[test]
fn a_builtin_server_dies_with_a_killed_test() {
    if std::env::var(KILLED_CHILD).as_deref() == Ok("serve") {
        let serve = Serve::start(&[]);
        child_says_then_waits(&format!(
            "serve pid {} port {}",
            serve.pid(),
            serve.smtp.port()
        ));
    }
    let (mut child, said) = child_test(
        "a_builtin_server_dies_with_a_killed_test",
        "serve",
        Stdio::piped(),
        "serve pid ",
    );
    let (pid, port) = said.split_once(" port ").unwrap();
    let (pid, port): (u32, u16) = (pid.parse().unwrap(), port.parse().unwrap());
    assert!(
        running(pid, Path::new(BIN)),
        "serve (pid {pid}) is not running"
    );
    std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = err.read_to_end(&mut Vec::new());
        let _ = tx.send(());
    });

    child.kill().unwrap();
    child.wait().unwrap();

    if rx.recv_timeout(HANG).is_err() {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("smtp-plan serve (pid {pid}) outlived the killed test by {HANG:?}");
    }
    assert!(
        !running(pid, Path::new(BIN)),
        "serve (pid {pid}) still runs"
    );
    let refused = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
}
