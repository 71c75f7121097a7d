//! A server that answers a message before it has all of it (a `250` after the first line of a
//! big DATA message, or in the middle of a BDAT chunk) has not accepted the message: the step
//! fails as unsolicited, never passes on that early reply. smtp-plan looks at the socket before
//! every piece of a message it writes, not only before the first.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Read;
use std::net::TcpStream;

use common::*;

/// 12 MiB: more than the client's send buffer (at most 4 MiB here) and what the server's
/// receive buffer holds before it reads, so the client is still writing when the early reply
/// comes, whatever the kernel's buffer sizes.
const SIZE: usize = 12 * 1024 * 1024;

/// Read and drop `n` bytes (or until the client closes); whether all came.
fn drain(s: &mut TcpStream, mut n: usize) -> bool {
    let mut buf = vec![0u8; 64 * 1024];
    while n > 0 {
        match s.read(&mut buf[..n.min(64 * 1024)]) {
            Ok(0) | Err(_) => return false,
            Ok(got) => n -= got,
        }
    }
    true
}

/// Read and drop lines up to the lone `.`; then the next line (the client may have sent it
/// along with the dot), if the dot came.
fn line_after_the_dot(s: &mut TcpStream) -> Option<String> {
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let got = match s.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(got) => got,
        };
        tail.extend_from_slice(&buf[..got]);
        if let Some(at) = tail.windows(5).position(|w| w == b"\r\n.\r\n") {
            let mut rest = tail.split_off(at + 5);
            if !rest.ends_with(b"\n") {
                rest.extend_from_slice(read_line(s).as_bytes());
            }
            return Some(String::from_utf8_lossy(&rest).trim_end().to_owned());
        }
        let keep = tail.len().saturating_sub(4);
        tail.drain(..keep);
    }
}

fn run_with_message(fake: &Fake, step: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut message = String::from("Subject: big\r\n\r\n");
    while message.len() < SIZE {
        message
            .push_str("0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
    }
    std::fs::write(dir.path().join("big.eml"), &message).unwrap();
    let text = format!(
        "name: early\ntarget: {{host: 127.0.0.1, port: {}, timeout: 5s}}\nscenarios:\n  - name: talk\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n{step}      - quit\n",
        fake.addr.port()
    );
    let path = plan(dir.path(), "early.yaml", &text);
    let json = dir.path().join("early.json");
    let r = run_bounded(
        smtp_plan(&[
            "run",
            path.to_str().unwrap(),
            "-v",
            "--json",
            json.to_str().unwrap(),
        ]),
        HANG,
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let failure = &v["suites"][0]["scenarios"][0]["failure"];
    assert_eq!(failure["kind"], "unsolicited", "{failure}\n{}", r.stdout);
    r
}

/// The envelope, then `after_rcpt` on the client's next line (DATA or BDAT).
fn envelope(s: &mut TcpStream, caps: &str) -> String {
    write(s, "220 fake ESMTP\r\n");
    let _ = read_line(s);
    write(s, &format!("250-fake\r\n250 {caps}\r\n"));
    let _ = read_line(s);
    write(s, "250 2.1.0 ok\r\n");
    let _ = read_line(s);
    write(s, "250 2.1.5 ok\r\n");
    read_line(s)
}

#[test]
fn a_250_before_the_end_of_the_data_message_fails_the_step() {
    let fake = Fake::start(|mut s: TcpStream| {
        assert_eq!(envelope(&mut s, "PIPELINING"), "DATA");
        write(&mut s, "354 go ahead\r\n");
        assert_eq!(read_line(&mut s), "Subject: big");
        // Accepted after one line of 12 MiB: a server that did not read the message.
        write(&mut s, "250 2.0.0 queued early\r\n");
        // Had the client taken that for the reply to the message, it would pass: the script
        // goes on like a server that is happy with it.
        if line_after_the_dot(&mut s).as_deref() == Some("QUIT") {
            write(&mut s, "221 bye\r\n");
        }
    });
    let r = run_with_message(&fake, "      - data: {file: big.eml}\n");
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "the server sent `250 2.0.0 queued early` before the rest of the message was sent"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(r.last_line(), "0 passed, 1 failed");
}

#[test]
fn a_250_in_the_middle_of_a_bdat_chunk_fails_the_step() {
    let fake = Fake::start(|mut s: TcpStream| {
        let bdat = envelope(&mut s, "CHUNKING");
        let n: usize = bdat
            .strip_prefix("BDAT ")
            .and_then(|r| r.strip_suffix(" LAST"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("not one BDAT LAST: {bdat:?}"));
        write(&mut s, "250 2.0.0 chunk taken early\r\n");
        if drain(&mut s, n) && read_line(&mut s) == "QUIT" {
            write(&mut s, "221 bye\r\n");
        }
    });
    let r = run_with_message(
        &fake,
        &format!(
            "      - bdat: {{file: big.eml}}\n        chunk_size: {}\n",
            2 * SIZE
        ),
    );
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("the server sent `250 2.0.0 chunk taken early` before the rest of `BDAT"),
        "{}",
        r.stdout
    );
}
