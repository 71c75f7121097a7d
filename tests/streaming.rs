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
use std::time::Duration;

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
    delivered_file(dir, needle, Duration::from_secs(20))
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
    assert_stored_by_postfix(&pf, &r.stdout, &expected);
}

/// The message whose queue id the run captured is in alice's Postfix maildir, its headers
/// and its body as `expected` (the message file) holds them.
fn assert_stored_by_postfix(pf: &Postfix, stdout: &str, expected: &str) {
    let id = captured_id(stdout);
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

/// The `bdat:` form of the plan: the file in chunks of `chunk_size`, its size on MAIL FROM.
fn write_bdat_plan(dir: &Path, target: &str, mail_from: &str, chunk_size: usize) -> PathBuf {
    plan(
        dir,
        "bdat.yaml",
        &format!(
            "name: bdat\ntarget: {{{target}, timeout: 30s}}\nvars: {{marker: \"M-1\"}}\nscenarios:\n  - name: streamed\n    steps:\n      - expect: 220\n      - ehlo: client.example.test\n      - mail_from: {{address: '{mail_from}', size: message}}\n      - rcpt_to: '${{env:SMTP_PLAN_POSTFIX_USER:-b@example.test}}'\n      - bdat: {{file: big.eml}}\n        chunk_size: {chunk_size}\n        expect: {{code: 250, capture: {{id: '(?:queued as |<)([0-9A-Za-z]+)'}}}}\n      - quit\n"
        ),
    )
}

/// What the counting server received: the MAIL command, each BDAT command, the message.
type Counted = (String, Vec<String>, Vec<u8>);

/// A CHUNKING server that counts: each `BDAT n` line as written, and the bytes that followed
/// it, read exactly (`n` of them, then the next command line).
fn counting_bdat_server() -> (Fake, std::sync::mpsc::Receiver<Counted>) {
    use std::io::{BufRead, BufReader, Read};
    let (tx, rx) = std::sync::mpsc::channel();
    let fake = Fake::start(move |stream| {
        let mut out = stream.try_clone().unwrap();
        let mut input = BufReader::new(stream);
        let line = |input: &mut BufReader<std::net::TcpStream>| {
            let mut l = String::new();
            input.read_line(&mut l).unwrap();
            l
        };
        write(&mut out, "220 counting ESMTP\r\n");
        line(&mut input);
        write(&mut out, "250-counting\r\n250-SIZE\r\n250 CHUNKING\r\n");
        let mail = line(&mut input);
        write(&mut out, "250 2.1.0 ok\r\n");
        line(&mut input);
        write(&mut out, "250 2.1.5 ok\r\n");
        let (mut commands, mut bytes) = (Vec::new(), Vec::new());
        loop {
            let command = line(&mut input);
            let words: Vec<&str> = command.split_whitespace().collect();
            assert_eq!(words[0], "BDAT", "{command:?}");
            let n: usize = words[1].parse().unwrap();
            let at = bytes.len();
            bytes.resize(at + n, 0);
            input.read_exact(&mut bytes[at..]).unwrap_or(());
            commands.push(command.trim_end().to_owned());
            if words.get(2) == Some(&"LAST") {
                write(
                    &mut out,
                    &format!("250 2.0.0 {} octets queued as C0UNTED\r\n", bytes.len()),
                );
                break;
            }
            write(&mut out, &format!("250 2.0.0 {n} octets received\r\n"));
        }
        line(&mut input);
        write(&mut out, "221 bye\r\n");
        tx.send((mail.trim_end().to_owned(), commands, bytes))
            .unwrap();
    });
    (fake, rx)
}

#[test]
fn a_big_message_file_over_bdat_arrives_byte_exact_in_the_planned_chunks() {
    let (fake, got) = counting_bdat_server();
    let dir = tempfile::tempdir().unwrap();
    let (text, expected) = message(3 * 1024 * 1024, "M-1");
    std::fs::write(dir.path().join("big.eml"), &text).unwrap();
    // Chunks larger than the reader's 64 KiB pieces, and not a multiple of them.
    let chunk = 100_000;
    let path = write_bdat_plan(
        dir.path(),
        &format!("host: 127.0.0.1, port: {}", fake.addr.port()),
        "a@example.test",
        chunk,
    );
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v"]));
    r.assert_code(0);
    let (mail, commands, bytes) = got.recv_timeout(Duration::from_secs(30)).unwrap();
    // No dot-stuffing, CRLF line ends, a final CRLF added.
    let want = expected.replace('\n', "\r\n") + "\r\n";
    assert_eq!(bytes.len(), want.len());
    assert!(bytes == want.as_bytes(), "the received message differs");
    assert_eq!(
        mail,
        format!("MAIL FROM:<a@example.test> SIZE={}", want.len())
    );
    // Every chunk as planned: full ones, then the rest with LAST.
    let full = want.len() / chunk;
    let mut planned = vec![format!("BDAT {chunk}"); full];
    planned.push(format!("BDAT {} LAST", want.len() % chunk));
    assert_eq!(commands, planned);
    assert!(r.stdout.contains(&format!(
        "* the message is {} bytes, sent in {} BDAT chunks",
        want.len(),
        full + 1
    )));
    // The transcript shows the first lines of the message and counts the rest, chunk by chunk.
    assert!(r.stdout.contains("C: Subject: streamed"), "{}", r.stdout);
    let message_lines = r
        .stdout
        .lines()
        .skip_while(|l| !l.contains("C: BDAT"))
        .take_while(|l| !l.contains("C: QUIT"))
        .filter(|l| l.trim_start().starts_with("C:") && !l.contains("C: BDAT"))
        .count();
    assert_eq!(message_lines, 200, "{}", r.stdout);
    let last_chunk = r.stdout.rsplit("C: BDAT").next().unwrap();
    assert!(last_chunk.contains("more message lines not shown"));
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn a_big_message_file_over_bdat_arrives_byte_exact_in_the_postfix_maildir() {
    let pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let (text, expected) = message(5 * 1024 * 1024, "M-1");
    std::fs::write(dir.path().join("big.eml"), &text).unwrap();
    let path = write_bdat_plan(
        dir.path(),
        "host: '${env:SMTP_PLAN_POSTFIX_HOST}', port: '${env:SMTP_PLAN_POSTFIX_SMTP_PORT}'",
        "",
        300_000,
    );
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v"]));
    r.assert_code(0);
    // Postfix counted every byte of every chunk (its final count is of its queue file).
    let size = expected.replace('\n', "\r\n").len() + 2;
    assert!(
        r.stdout
            .contains(&format!("C: BDAT {} LAST", size % 300_000))
    );
    assert_eq!(
        r.stdout.matches("S: 250 2.0.0 Ok: 300000 bytes").count(),
        size / 300_000,
        "{}",
        r.stdout
    );
    assert_stored_by_postfix(&pf, &r.stdout, &expected);
}
