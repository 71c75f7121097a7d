//! Broken and hostile servers make a scenario fail with a readable reason — never a hang, a
//! panic or a lost report.
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
fn silence_times_out() {
    let fake = Fake::start(|mut s: TcpStream| {
        let _ = read_line(&mut s); // never greets; waits for the client to give up
    });
    let (r, xml) = against(&fake, GREETING_EHLO);
    assert_error(&r, &xml, "no reply within 400ms");
    assert!(r.stdout.contains("step 1 (expect)"), "{}", r.stdout);
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
fn closing_mid_reply_shows_the_partial_reply() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "250-fake Hello\r\n250-PIPELINING\r\n");
        let _ = s.shutdown(std::net::Shutdown::Both);
    });
    let (r, xml) = against(&fake, GREETING_EHLO);
    assert_error(&r, &xml, "the server closed the connection");
    assert!(
        r.stdout
            .contains("partial reply: 250-fake Hello / 250-PIPELINING"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("last reply: 220 fake ESMTP"),
        "{}",
        r.stdout
    );
}

#[test]
fn garbage_is_a_malformed_reply() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "HTTP/1.1 400 Bad Request\r\n\r\n");
        let _ = read_line(&mut s);
    });
    let (r, xml) = against(&fake, GREETING_EHLO);
    assert_error(&r, &xml, "malformed reply line");
}

#[test]
fn mixed_codes_in_one_reply() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220-fake\r\n221 other\r\n");
        let _ = read_line(&mut s);
    });
    let (r, xml) = against(&fake, GREETING_EHLO);
    assert_error(
        &r,
        &xml,
        "reply code changed inside a multi-line reply: 220 then 221",
    );
}

#[test]
fn a_drop_mid_scenario_shows_the_last_reply() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "250 fake Hello\r\n");
        let _ = read_line(&mut s);
        // MAIL FROM arrives; the server hangs up without answering
    });
    let steps = "      - expect: 220\n      - ehlo: client.test\n      - mail_from: a@example.test\n      - quit\n";
    let (r, xml) = against(&fake, steps);
    assert_error(&r, &xml, "the server closed the connection");
    assert!(r.stdout.contains("step 3 (mail_from)"), "{}", r.stdout);
    assert!(
        r.stdout.contains("last reply: 250 fake Hello"),
        "{}",
        r.stdout
    );
    assert!(xml.contains("1 remaining step(s) not run"), "{xml}");
}

#[test]
fn plaintext_injected_after_starttls_is_refused() {
    let fake = Fake::start(|mut s: TcpStream| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s);
        write(&mut s, "250-fake Hello\r\n250 STARTTLS\r\n");
        let _ = read_line(&mut s);
        // 220 and, in the same packet, a reply meant to be read after the handshake
        write(&mut s, "220 2.0.0 go ahead\r\n250 injected\r\n");
        let _ = read_line(&mut s);
    });
    let steps = "      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - ehlo: client.test\n";
    let (r, xml) = against(&fake, steps);
    assert_error(&r, &xml, "plaintext after its 220 to STARTTLS");
}

#[test]
fn connection_refused_is_an_error() {
    // a port that was free a moment ago: nothing listens there
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {port}}}\nscenarios:\n  - name: nobody home\n    steps:\n      - expect: 220\n"
    );
    let path = plan(dir.path(), "refused.yaml", &text);
    let junit = dir.path().join("refused.xml");
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]));
    r.assert_code(1);
    assert!(
        r.stdout.contains("could not connect to 127.0.0.1:"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("connecting (scenario at "),
        "{}",
        r.stdout
    );
    assert_valid_junit(&junit);
}
