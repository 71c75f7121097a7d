//! Broken and hostile servers make a scenario fail with a readable reason — never a hang, a
//! panic or a lost report. Most of them are golden run cases (tests/cases/run/: silence,
//! partial replies, closes and resets, garbage, mixed codes, refused connections, unsolicited
//! replies, plaintext injected after STARTTLS); what needs volume is here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::TcpStream;

use common::*;

fn against(fake: &Fake, steps: &str) -> (Run, String) {
    run_against(fake, "hostile", steps)
}

const GREETING_EHLO: &str = "      - expect: 220\n      - ehlo: client.test\n      - quit\n";

fn assert_error(r: &Run, xml: &str, reason: &str) {
    r.assert_code(1);
    assert!(r.stdout.contains("ERROR hostile › talk"), "{}", r.stdout);
    assert!(
        r.stdout.contains(reason),
        "want {reason:?} in:\n{}",
        r.stdout
    );
    assert!(xml.contains("<error "), "{xml}");
    assert!(xml.contains(reason), "want {reason:?} in:\n{xml}");
    assert_eq!(r.last_line(), "0 passed, 1 failed");
}

#[test]
fn an_endless_line_is_cut_off() {
    let fake = Fake::start(|mut s: TcpStream| {
        let chunk = "A".repeat(64 * 1024);
        for _ in 0..64 {
            if std::io::Write::write_all(&mut s, chunk.as_bytes()).is_err() {
                return;
            }
        }
    });
    let (r, xml) = against(&fake, GREETING_EHLO);
    assert_error(&r, &xml, "longer than");
}

#[test]
fn a_legal_ehlo_reply_of_2000_lines_and_about_1_mb_is_read() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        // RFC 5321 sets no limit on the lines of a reply; 512 bytes a line is its maximum.
        // (The first line is the greeting, not a capability.)
        let mut reply = String::new();
        for i in 0..1999 {
            reply.push_str(&format!("250-X-EXTENSION-{i:04} {}\r\n", "A".repeat(486)));
        }
        reply.push_str("250 SMTPUTF8\r\n");
        assert!(reply.len() > 1_000_000);
        write(&mut s, &reply);
        let _ = read_line(&mut s);
        write(&mut s, "221 bye\r\n");
        let _ = read_line(&mut s);
    });
    let steps = "      - expect: 220\n      - ehlo: client.test\n        expect: {capabilities: [X-EXTENSION-0001, X-EXTENSION-1998, SMTPUTF8]}\n      - quit\n";
    let (r, _) = against(&fake, steps);
    r.assert_code(0);
    assert_eq!(r.last_line(), "1 passed, 0 failed");
}

#[test]
fn a_reply_beyond_the_bounds_is_cut_off() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        // 10,001 short lines: more than any server sends, fewer bytes than the byte bound.
        let line = "250-X\r\n".repeat(10_001);
        write(&mut s, &line);
        let _ = read_line(&mut s);
    });
    let (r, xml) = against(&fake, GREETING_EHLO);
    assert_error(&r, &xml, "reply has more than 10000 lines");
}

/// The JSON report's failure `kind`: what went wrong, typed (the console and JUnit say it in
/// words; tests/cases/run/ holds those).
#[test]
fn the_json_report_types_each_failure() {
    let dir = tempfile::tempdir().unwrap();
    let kind_of = |fake: Fake, steps: &str| -> serde_json::Value {
        let target = format!("host: 127.0.0.1, port: {}, timeout: 2s", fake.addr.port());
        let text = one_scenario("kinds", &target, steps);
        let path = plan(dir.path(), "kinds.yaml", &text);
        let json = dir.path().join("kinds.json");
        let r = run(smtp_plan(&[
            "run",
            path.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ]));
        r.assert_code(1);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        v["suites"][0]["scenarios"][0]["failure"].clone()
    };
    // A reset mid-conversation.
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        let socket = tokio::net::TcpSocket::from_std_stream(s);
        let _ = socket.set_zero_linger();
    });
    let f = kind_of(fake, GREETING_EHLO);
    assert_eq!(f["kind"], "reset", "{f}");
    assert_eq!(
        f["reason"], "the server reset the connection (TCP RST)",
        "{f}"
    );
    // A TLS handshake with a server that answers in plaintext.
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "250-fake\r\n250 STARTTLS\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "220 go ahead\r\n");
        let mut hello = [0u8; 512];
        let _ = std::io::Read::read(&mut s, &mut hello);
        write(&mut s, "500 what is this\r\n");
        let _ = read_line(&mut s);
    });
    let f = kind_of(
        fake,
        "      - expect: 220\n      - ehlo: client.test\n      - starttls\n",
    );
    assert_eq!(
        (&f["kind"], &f["tls_failure"]),
        (&"tls".into(), &"handshake".into()),
        "{f}"
    );
    // An unsolicited reply.
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n220 again\r\n");
        let _ = read_line(&mut s);
    });
    let f = kind_of(fake, GREETING_EHLO);
    assert_eq!(f["kind"], "unsolicited", "{f}");
}
