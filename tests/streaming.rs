//! `data: {file}` is streamed from disk in chunks: a message of several chunks, with every
//! awkward thing on a chunk boundary, arrives byte-exact in the built-in server's Maildir and
//! in the real Postfix's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

/// The reader's and the writer's chunk (64 KiB).
const CHUNK: usize = 64 * 1024;

/// A message of about `size` bytes (headers included) and what a server must store: dot lines
/// (one right on a chunk boundary), LF, CRLF and lone-CR line ends (a CRLF split by a
/// boundary), a `${marker}` reference across a boundary, `$${` and a long line.
fn message(size: usize, marker_value: &str) -> (String, String) {
    let mut text = String::from("Subject: streamed\nX-Test: big\n\n");
    let mut n = 0;
    while text.len() < size {
        n += 1;
        // Land some features exactly on chunk boundaries.
        let to_boundary = CHUNK - text.len() % CHUNK;
        match n % 21 {
            0 if to_boundary > 2 => {
                text.push_str(&"a".repeat(to_boundary - 1));
                text.push_str("\r\n"); // the CR ends one chunk, the LF starts the next
            }
            1 if to_boundary > 3 => {
                text.push_str(&"b".repeat(to_boundary - 1));
                text.push_str("\n.starts a chunk with a dot\n");
            }
            2 if to_boundary > 5 => {
                text.push_str(&"c".repeat(to_boundary - 4));
                text.push_str("${marker} and $${literal}\n");
            }
            3 => text.push_str(&format!("{}\n", "L".repeat(1_500))),
            4 => text.push_str("..two dots\r.lone CR line end above\n"),
            _ => text.push_str(&format!("line {n} of the message\n")),
        }
    }
    text.push_str(".\nthe end, no final line end");
    let expected = text
        .replace("${marker}", marker_value)
        .replace("$${", "${")
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    (text, expected)
}

fn write_plan(dir: &Path, target: &str, extra_target: &str, steps_before: &str) -> PathBuf {
    plan(
        dir,
        "big.yaml",
        &format!(
            "name: big\ntarget: {{{target}{extra_target}, timeout: 30s}}\nvars: {{marker: \"M-1\"}}\nscenarios:\n  - name: streamed\n    steps:\n      - expect: 220\n      - ehlo: client.example.test\n{steps_before}      - data: {{file: big.eml}}\n        expect: {{code: 250, capture: {{id: '(?:queued as |<)([0-9A-Za-z]+)'}}}}\n      - quit\n"
        ),
    )
}

/// The file in `dir` whose text contains `needle`, waiting (bounded) for delivery.
fn delivered(dir: &Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|text| text.contains(needle));
        if let Some(text) = found {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no message with {needle:?} in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn captured_id(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.contains("captured id = "))
        .unwrap_or_else(|| panic!("no queue id captured:\n{stdout}"));
    line.rsplit(' ').next().unwrap().to_owned()
}

#[test]
fn a_big_message_file_arrives_byte_exact_at_the_builtin_server() {
    let maildir = tempfile::tempdir().unwrap();
    let serve = Serve::start(&[
        "--allow-anonymous",
        "--maildir",
        maildir.path().to_str().unwrap(),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (text, expected) = message(3 * 1024 * 1024, "M-1");
    std::fs::write(dir.path().join("big.eml"), &text).unwrap();
    let path = write_plan(
        dir.path(),
        &format!("host: 127.0.0.1, port: {}", serve.smtp.port()),
        "",
        "      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n",
    );
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v"]));
    r.assert_code(0);
    // The transcript shows the first lines, dot-stuffed, and counts the rest.
    assert!(r.stdout.contains("C: Subject: streamed"), "{}", r.stdout);
    assert!(
        r.stdout.contains("more message lines not shown"),
        "{}",
        r.stdout
    );
    let id = captured_id(&r.stdout);
    let stored = delivered(&maildir.path().join("new"), &format!("id {id}"));
    let body = stored
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .expect("headers and a body");
    let want = expected.replace('\n', "\r\n") + "\r\n";
    let want_body = want.split_once("\r\n\r\n").unwrap().1;
    assert_eq!(body.len(), want_body.len());
    assert!(body == want_body, "the stored message differs");
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_big_message_file_arrives_byte_exact_in_the_postfix_maildir() {
    let pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    // Under Postfix's default 10 MB limit, and many chunks long.
    let (text, expected) = message(5 * 1024 * 1024, "M-1");
    std::fs::write(dir.path().join("big.eml"), &text).unwrap();
    let path = write_plan(
        dir.path(),
        "host: '${env:SMTP_PLAN_POSTFIX_HOST}', port: '${env:SMTP_PLAN_POSTFIX_SMTP_PORT}'",
        "",
        "      - mail_from: ''\n      - rcpt_to: '${env:SMTP_PLAN_POSTFIX_USER}'\n",
    );
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v"]));
    r.assert_code(0);
    let id = captured_id(&r.stdout);
    let stored = delivered(&pf.maildir.join("alice/new"), &format!("id {id}"));
    // Postfix stores LF line ends; its own headers come first.
    let body = stored.split_once("\n\n").map(|(_, b)| b).unwrap();
    let want_body = expected.split_once("\n\n").unwrap().1.to_owned() + "\n";
    assert!(
        stored.contains("Subject: streamed\nX-Test: big\n"),
        "headers lost"
    );
    assert_eq!(body.len(), want_body.len());
    assert!(body == want_body, "the stored message differs");
}
