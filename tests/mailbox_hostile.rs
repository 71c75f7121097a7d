//! The `mailbox` step against scripted IMAP servers that misbehave: every read is bounded in
//! size and time, so an endless literal, a huge message or silence fail the step with a
//! readable reason instead of hanging or filling memory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write as _;
use std::net::TcpStream;

use common::*;

const PASSWORD: &str = "imap-S3cret!";

/// An SMTP "server" that only accepts the scenario's connection and greets.
fn smtp() -> Fake {
    Fake::start(|mut s| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
    })
}

/// The tag of a client command line.
fn tag(line: &str) -> String {
    line.split(' ').next().unwrap_or_default().to_owned()
}

/// Greet, accept LOGIN, EXAMINE and a SEARCH that finds UID 7; then `fetch` answers the FETCH
/// commands.
fn imap(fetch: impl FnOnce(&mut TcpStream) + Send + 'static) -> Fake {
    Fake::start(move |mut s| {
        write(&mut s, "* OK [CAPABILITY IMAP4rev1] fake ready\r\n");
        for _ in 0..3 {
            let line = read_line(&mut s);
            let t = tag(&line);
            if line.contains("EXAMINE") {
                write(
                    &mut s,
                    &format!("* 1 EXISTS\r\n{t} OK [READ-ONLY] done\r\n"),
                );
            } else if line.contains("SEARCH") {
                write(&mut s, &format!("* SEARCH 7\r\n{t} OK done\r\n"));
            } else {
                write(&mut s, &format!("{t} OK done\r\n"));
            }
        }
        fetch(&mut s);
    })
}

fn run_mailbox(smtp: &Fake, imap: &Fake) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, timeout: 2s}}\nvars: {{pw: '{PASSWORD}'}}\nsecrets: [pw]\nscenarios:\n  - name: hostile\n    steps:\n      - mailbox:\n          imap: {{host: 127.0.0.1, port: {}, tls: none, username: u, password: '${{pw}}'}}\n          message_id: '<m@x>'\n          folders: [INBOX]\n          within: 2s\n          poll: 100ms\n        allow_plaintext: true\n",
        smtp.addr.port(),
        imap.addr.port()
    );
    let path = plan(dir.path(), "hostile.yaml", &text);
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap(), "-v"]), HANG);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(!r.stdout.contains(PASSWORD), "{}", r.stdout);
    r
}

#[test]
fn an_endless_literal_is_cut_at_the_budget() {
    let s = smtp();
    let i = imap(|s| {
        let line = read_line(s); // UID FETCH 7 RFC822.SIZE
        let t = tag(&line);
        write(
            s,
            &format!(
                "* 1 FETCH (UID 7 RFC822.SIZE 100 INTERNALDATE \"01-Jan-2099 00:00:00 +0000\")\r\n{t} OK done\r\n"
            ),
        );
        let _ = read_line(s); // UID FETCH 7 BODY.PEEK[]
        let _ = s.write_all(b"* 1 FETCH (UID 7 BODY[] {50000000}\r\n");
        let chunk = vec![b'x'; 64 * 1024];
        // at most 50 MB, until the client hangs up
        for _ in 0..800 {
            if s.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let r = run_mailbox(&s, &i);
    r.assert_code(1);
    assert!(
        r.stdout.contains("ERROR ")
            && r.stdout
                .contains("the server sent more than smtp-plan reads in answer to one command"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_message_over_32_mib_is_not_fetched() {
    let s = smtp();
    let i = imap(|s| {
        let line = read_line(s);
        let t = tag(&line);
        write(
            s,
            &format!(
                "* 1 FETCH (UID 7 RFC822.SIZE 40000000 INTERNALDATE \"01-Jan-2099 00:00:00 +0000\")\r\n{t} OK done\r\n"
            ),
        );
        // nothing more is asked for: the next line is LOGOUT (or the client hangs up)
        let next = read_line(s);
        assert!(!next.contains("BODY"), "{next}");
    });
    let r = run_mailbox(&s, &i);
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "the message is 40000000 bytes, more than the 33554432 bytes smtp-plan reads"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn a_silent_server_times_out_per_command() {
    let s = smtp();
    let i = Fake::start(|mut s| {
        write(&mut s, "* OK fake ready\r\n");
        let _ = read_line(&mut s); // LOGIN, never answered
        let _ = read_line(&mut s);
    });
    let r = run_mailbox(&s, &i);
    r.assert_code(1);
    assert!(
        r.stdout.contains("IMAP: no answer to LOGIN within 2s"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_refused_login_is_an_error_with_the_servers_words() {
    let s = smtp();
    let i = Fake::start(|mut s| {
        write(&mut s, "* OK fake ready\r\n");
        let line = read_line(&mut s);
        let t = tag(&line);
        write(
            &mut s,
            &format!("{t} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
        );
        let _ = read_line(&mut s);
    });
    let r = run_mailbox(&s, &i);
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "IMAP login as u failed: the server answered NO: [AUTHENTICATIONFAILED] Authentication failed."
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn a_maildir_opens_only_regular_files_under_the_file_root() {
    let s = smtp();
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("md/new");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::create_dir_all(dir.path().join("md/cur")).unwrap();
    // A FIFO (opening it would block), and a link to a file outside that has the Message-ID.
    let fifo = std::process::Command::new("mkfifo")
        .arg(new.join("1.fifo"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.eml"),
        "Message-ID: <m@x>\nSubject: outside\n\nnot to be read\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.eml"), new.join("2.link")).unwrap();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, timeout: 400ms}}\nscenarios:\n  - name: maildir\n    steps:\n      - mailbox: {{maildir: md, message_id: '<m@x>', within: 500ms, poll: 100ms}}\n",
        s.addr.port()
    );
    let path = plan(dir.path(), "maildir.yaml", &text);
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap(), "-v"]), HANG);
    r.assert_code(1);
    assert!(
        r.stdout.contains("the message did not arrive within 500ms"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("not to be read"), "{}", r.stdout);

    // A Maildir outside the plan's directory (its file root) is refused at load.
    let text = text.replace(
        "maildir: md",
        &format!("maildir: '{}'", outside.path().display()),
    );
    let path = plan(dir.path(), "outside.yaml", &text);
    let r = run(smtp_plan(&["run", path.to_str().unwrap()]));
    r.assert_code(2);
    assert!(
        r.stderr.contains("is outside the file root"),
        "{}",
        r.stderr
    );
}
