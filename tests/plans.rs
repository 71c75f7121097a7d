//! The plan-language extensions through the real binary: groups and variables from an included
//! file, built-in variables, messages from a file and as MIME (checked in the built-in
//! server's Maildir), per-step retry and timeout against scripted servers, and `--vars-file`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::*;

fn delivered(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("new"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && parts[2].starts_with('4')
}

#[test]
fn the_shipped_reuse_plan_delivers_file_and_mime_messages() {
    let mail = tempfile::tempdir().unwrap();
    let serve = Serve::start(&[
        "--user",
        "user1@contoso.com:reuse-pw",
        "--maildir",
        mail.path().to_str().unwrap(),
    ]);
    let target = serve.smtp.to_string();
    let r = run(smtp_plan(&[
        "run",
        "scenarios/reuse/",
        "--target",
        &target,
        "--ca-file",
        serve.ca.to_str().unwrap(),
    ])
    .env("SMTP_PASSWORD", "reuse-pw"));
    r.assert_code(0);
    assert_eq!(
        r.last_line(),
        "3 passed, 0 failed, 1 skipped",
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("SKIP  Reuse and variables › relaying to the outside is refused"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("common"),
        "the included file ran as a plan: {}",
        r.stdout
    );

    let messages = delivered(mail.path());
    assert_eq!(messages.len(), 2, "{messages:?}");
    let from_file = messages
        .iter()
        .find(|m| m.contains("Subject: Hello from"))
        .expect("the message from the file");
    let mime = messages
        .iter()
        .find(|m| m.contains("multipart/mixed"))
        .expect("the structured message");

    // the file: every ${..} substituted, built-ins included
    assert_eq!(
        header(from_file, "Subject"),
        Some("Hello from \"a message from a file\"")
    );
    assert_eq!(header(from_file, "To"), Some("user2@contoso.com"));
    let id = header(from_file, "Message-ID").unwrap();
    let uuid = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix("@smtp-plan>"))
        .unwrap();
    assert!(is_uuid(uuid), "{id}");
    assert!(header(from_file, "Date").unwrap().ends_with(" +0000"));
    let step_id = from_file
        .split("its step id is ")
        .nth(1)
        .unwrap()
        .trim()
        .trim_end_matches('.');
    assert!(is_uuid(step_id), "{step_id}");
    assert_ne!(
        step_id, uuid,
        "${{uuid}} is per step, ${{message_id}} per scenario"
    );
    assert!(!from_file.contains("${"), "{from_file}");

    // the structured message: headers, Date and Message-ID added, body, attachment
    assert!(
        mime.contains("Subject: Report for user2@contoso.com (a structured message with an"),
        "{mime}"
    );
    assert!(
        mime.contains("Sent by the plan \"Reuse and variables\"."),
        "{mime}"
    );
    assert!(mime.contains("filename=\"report.csv\""), "{mime}");
    assert!(mime.contains("Content-Type: text/csv"), "{mime}");
    assert!(header(mime, "Date").is_some(), "{mime}");
    let mime_id = header(mime, "Message-ID").unwrap();
    assert!(mime_id.ends_with("@smtp-plan>"), "{mime_id}");
    assert_ne!(mime_id, id, "one Message-ID per scenario");
}

/// A plan against `port` with `steps` (indented as list items) and a target timeout.
fn plan_for(dir: &std::path::Path, port: u16, timeout: &str, steps: &str) -> std::path::PathBuf {
    let target = format!("host: 127.0.0.1, port: {port}, timeout: {timeout}");
    plan(dir, "p.yaml", &one_scenario("p", &target, steps))
}

/// A server that refuses NOOP with 451 `refusals` times, then accepts it.
fn flaky_noop(refusals: usize) -> Fake {
    Fake::start(move |mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let mut refused = 0;
        loop {
            let line = read_line(&mut s);
            match line.as_str() {
                "" => return,
                "NOOP" if refused < refusals => {
                    refused += 1;
                    write(&mut s, "451 4.3.0 try again\r\n");
                }
                "QUIT" => {
                    write(&mut s, "221 bye\r\n");
                    return;
                }
                _ => write(&mut s, "250 OK\r\n"),
            }
        }
    })
}

const NOOP_RETRIED: &str =
    "      - expect: 220\n      - noop:\n        retry: {count: 2, interval: 50ms}\n      - quit\n";

#[test]
fn retry_resends_until_the_reply_holds() {
    let fake = flaky_noop(2);
    let dir = tempfile::tempdir().unwrap();
    let path = plan_for(dir.path(), fake.addr.port(), "2s", NOOP_RETRIED);
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v"]));
    r.assert_code(0);
    assert_eq!(r.stdout.matches("C: NOOP").count(), 3, "{}", r.stdout);
    assert!(r.stdout.contains("* retry 1/2 in 50ms"), "{}", r.stdout);
    assert!(r.stdout.contains("* retry 2/2 in 50ms"), "{}", r.stdout);
}

#[test]
fn retry_gives_up_after_count() {
    let fake = flaky_noop(3);
    let dir = tempfile::tempdir().unwrap();
    let path = plan_for(dir.path(), fake.addr.port(), "2s", NOOP_RETRIED);
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v"]));
    r.assert_code(1);
    assert!(r.stdout.contains("FAIL  p › talk"), "{}", r.stdout);
    assert!(
        r.stdout.contains("expected code 250, got 451"),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.matches("C: NOOP").count(), 3, "{}", r.stdout);
}

#[test]
fn connect_retries_while_the_port_is_closed() {
    let (_held, port) = closed_port();
    let dir = tempfile::tempdir().unwrap();
    let path = plan_for(
        dir.path(),
        port,
        "2s",
        "      - connect:\n        retry: {count: 2, interval: 50ms}\n      - expect: 220\n      - quit\n",
    );
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v"]));
    r.assert_code(1);
    assert!(r.stdout.contains("* retry 1/2 in 50ms"), "{}", r.stdout);
    assert!(r.stdout.contains("* retry 2/2 in 50ms"), "{}", r.stdout);
    assert!(!r.stdout.contains("retry 3/"), "{}", r.stdout);
}

#[test]
fn connect_retries_until_a_late_server_listens() {
    let (socket, port) = closed_port();
    let dir = tempfile::tempdir().unwrap();
    let path = plan_for(
        dir.path(),
        port,
        "2s",
        "      - connect:\n        retry: {count: 100, interval: 100ms}\n      - expect: 220\n      - quit\n",
    );
    // The server comes up once the client's first connection was refused, not after a while:
    // strace reports the refused connect(2) on stderr as it happens (`-v` cannot: it prints a
    // scenario when it has ended).
    let mut client = Watched::spawn(smtp_plan_under(
        &strace(&["-e", "trace=connect,getsockopt"]),
        &["run", path.to_str().unwrap(), "-v"],
    ));
    client.wait_for("ECONNREFUSED", HANG);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let listener = rt.block_on(async move { socket.listen(4).unwrap() });
    let server = std::thread::spawn(move || {
        let mut s =
            rt.block_on(async move { listener.accept().await.unwrap().0.into_std().unwrap() });
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write(&mut s, "220 late ESMTP\r\n");
        let quit = read_line(&mut s);
        write(&mut s, "221 bye\r\n");
        quit
    });
    let r = client.finish(HANG);
    r.assert_code(0);
    assert!(r.stdout.contains("* retry 1/100 in 100ms"), "{}", r.stdout);
    assert!(r.stdout.contains("S: 220 late ESMTP"), "{}", r.stdout);
    assert_eq!(server.join().unwrap(), "QUIT");
}

/// A server that greets only once the client has waited, connected and silent, for longer than
/// `patience` (a read timeout on the server's side), and reports whether it greeted: `false`
/// means the client closed the connection before. Time is what a timeout test is about: the
/// server's read timeout is the measurement, never a synchronisation (the test joins the
/// server and gets its answer through the thread's result).
fn greets_after_silence(patience: Duration) -> (Fake, std::sync::mpsc::Receiver<bool>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let fake = Fake::start(move |mut s: TcpStream| {
        use std::io::Read as _;
        s.set_read_timeout(Some(patience)).unwrap();
        let waited = match s.read(&mut [0u8; 64]) {
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            Ok(_) => false,
        };
        let _ = tx.send(waited);
        if !waited {
            return;
        }
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write(&mut s, "220 slow ESMTP\r\n");
        if read_line(&mut s) == "QUIT" {
            write(&mut s, "221 bye\r\n");
        }
    });
    (fake, rx)
}

/// A server that never greets: it reads until the client closes the connection (or for at
/// most 10 s), and reports whether the client closed it.
fn never_greets() -> (Fake, std::sync::mpsc::Receiver<bool>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let fake = Fake::start(move |mut s: TcpStream| {
        use std::io::Read as _;
        let closed = matches!(s.read(&mut [0u8; 64]), Ok(0));
        let _ = tx.send(closed);
    });
    (fake, rx)
}

#[test]
fn a_step_timeout_lengthens_the_target_timeout() {
    // The greeting comes after the client stayed 1 s: past the target's 300 ms, within the
    // step's 5 s.
    let (fake, greeted) = greets_after_silence(Duration::from_secs(1));
    let dir = tempfile::tempdir().unwrap();
    let steps = "      - expect: 220\n        timeout: 5s\n      - quit\n";
    let path = plan_for(dir.path(), fake.addr.port(), "300ms", steps);
    run_bounded(smtp_plan(&["run", path.to_str().unwrap()]), HANG).assert_code(0);
    assert!(greeted.recv_timeout(HANG).unwrap(), "the client left early");
    // Without the step's timeout the client gives up at 300 ms: the server saw it leave.
    let (fake, greeted) = greets_after_silence(Duration::from_secs(1));
    let path = plan_for(
        dir.path(),
        fake.addr.port(),
        "300ms",
        "      - expect: 220\n",
    );
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap()]), HANG);
    r.assert_code(1);
    assert!(r.stdout.contains("no reply within 300ms"), "{}", r.stdout);
    assert!(!greeted.recv_timeout(HANG).unwrap(), "the server greeted");
}

#[test]
fn a_step_timeout_shortens_the_target_timeout() {
    let (fake, closed) = never_greets();
    let dir = tempfile::tempdir().unwrap();
    let steps = "      - expect: 220\n        timeout: 200ms\n      - quit\n";
    let path = plan_for(dir.path(), fake.addr.port(), "30s", steps);
    // The server never greets: a run that used the target's 30 s would say so.
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap()]), HANG);
    r.assert_code(1);
    assert!(r.stdout.contains("no reply within 200ms"), "{}", r.stdout);
    assert!(
        closed.recv_timeout(HANG).unwrap(),
        "the client did not close"
    );
}

#[test]
fn a_failing_step_of_an_included_group_points_into_its_file() {
    let serve = Serve::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    plan(
        &dir.path().join("lib"),
        "common.yaml",
        "groups:\n  greet:\n    - expect: 220\n    - ehlo: client.test\n      expect: {code: 250, capabilities: [CHUNKING]}\n",
    );
    let path = plan(
        dir.path(),
        "plan.yaml",
        "name: inc\ninclude: [lib/common.yaml]\nscenarios:\n  - name: s\n    steps:\n      - use: greet\n      - quit\n",
    );
    let junit = dir.path().join("r.xml");
    let target = serve.smtp.to_string();
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--junit",
        junit.to_str().unwrap(),
    ]));
    r.assert_code(1);
    let at = format!(
        "step 2 (ehlo) at {}:4:7",
        dir.path().join("lib/common.yaml").display()
    );
    assert!(r.stdout.contains(&at), "{}", r.stdout);
    assert!(
        r.stdout.contains(" 4 |     - ehlo: client.test"),
        "{}",
        r.stdout
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(&at), "{xml}");
    assert_valid_junit(&junit);
    // a GitHub annotation lands on the group's line in the included file, not in the plan
    let r = run(
        smtp_plan(&["run", path.to_str().unwrap(), "--target", &target])
            .env("GITHUB_ACTIONS", "true"),
    );
    let want = format!(
        "::error file={},line=4,col=7,",
        dir.path().join("lib/common.yaml").display()
    );
    assert!(
        r.stdout.lines().any(|l| l.starts_with(&want)),
        "{}",
        r.stdout
    );
}

#[test]
fn vars_files_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "p.yaml",
        "scenarios:\n  - name: s\n    steps:\n      - mail_from: ${who}\n",
    );
    let good = plan(dir.path(), "good-vars.yaml", "who: a@b.test\n");
    let bad = plan(dir.path(), "bad-vars.yaml", "who: [a]\n");
    let p = path.to_str().unwrap();
    run(smtp_plan(&["check", p])).assert_code(2);
    let r = run(smtp_plan(&[
        "check",
        p,
        "--vars-file",
        good.to_str().unwrap(),
    ]));
    r.assert_code(0);
    let r = run(smtp_plan(&["run", p, "--vars-file", bad.to_str().unwrap()]));
    r.assert_code(2);
    assert!(
        r.stderr.contains(&format!("{}:1:6", bad.display())),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("variable `who` must be a string"),
        "{}",
        r.stderr
    );
}

#[test]
fn lhlo_and_vrfy_send_their_commands() {
    use std::net::TcpStream;
    use std::sync::{Arc, Mutex};

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let fake = Fake::start(move |mut s: TcpStream| {
        write(&mut s, "220 lmtp.test LMTP\r\n");
        for reply in [
            "250-lmtp.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n",
            "252 2.1.5 Cannot VRFY user\r\n",
            "221 2.0.0 Bye\r\n",
        ] {
            log.lock().unwrap().push(read_line(&mut s));
            write(&mut s, reply);
        }
    });
    let (r, _) = run_against(
        &fake,
        "lmtp",
        "      - expect: 220\n      - lhlo: client.test\n        expect: {capabilities: [PIPELINING]}\n      - vrfy: user1\n        expect: {code: 252, enhanced: 2.1.5}\n      - quit\n",
    );
    r.assert_code(0);
    fake.join();
    assert_eq!(
        *seen.lock().unwrap(),
        ["LHLO client.test", "VRFY user1", "QUIT"],
        "{}",
        r.stdout
    );
}
