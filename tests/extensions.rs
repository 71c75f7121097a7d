//! The SMTP extension steps against scripted servers: what is sent, what is checked, and how
//! a server that does not advertise an extension, refuses EHLO or one recipient fails the run.
//! (The same steps against the real Postfix are in tests/postfix_extensions.rs.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use common::*;

/// A fake server that greets, answers each command line with `answer(line)` (an empty answer
/// closes the connection), reads a message after each 354, and sends every line it read
/// (message lines included) to the returned channel when the client is gone.
fn responder(answer: impl Fn(&str) -> String + Send + 'static) -> (Fake, Receiver<Vec<String>>) {
    let (tx, rx) = channel();
    let fake = Fake::start(move |mut s: TcpStream| {
        let mut seen = Vec::new();
        let mut reader = BufReader::new(s.try_clone().unwrap());
        let mut next = move || {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(n) if n > 0 => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
                _ => None,
            }
        };
        write(&mut s, "220 fake ESMTP\r\n");
        while let Some(line) = next() {
            seen.push(line.clone());
            let reply = answer(&line);
            if reply.is_empty() {
                break;
            }
            write(&mut s, &reply);
            if reply.starts_with("354") {
                while let Some(l) = next() {
                    seen.push(l.clone());
                    if l == "." {
                        break;
                    }
                }
                write(&mut s, "250 2.0.0 queued\r\n");
            }
            if line == "QUIT" {
                break;
            }
        }
        let _ = tx.send(seen);
    });
    (fake, rx)
}

fn lines(rx: &Receiver<Vec<String>>) -> Vec<String> {
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the fake server finished")
}

/// EHLO lists only what `ehlo` says; everything else gets `250 ok` (DATA 354, QUIT 221).
fn server_with(ehlo: &'static str) -> (Fake, Receiver<Vec<String>>) {
    responder(move |line| {
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => ehlo.to_owned(),
            "DATA" => "354 go ahead\r\n".to_owned(),
            "QUIT" => "221 bye\r\n".to_owned(),
            "HELP" => "214 2.0.0 see RFC 5321\r\n".to_owned(),
            _ => "250 2.0.0 ok\r\n".to_owned(),
        }
    })
}

const FULL_EHLO: &str =
    "250-fake\r\n250-SIZE 1000000\r\n250-DSN\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 ETRN\r\n";

#[test]
fn a_parameter_whose_extension_was_not_advertised_fails_before_anything_is_sent() {
    let (fake, rx) = server_with("250-fake\r\n250 PIPELINING\r\n");
    let (r, xml) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: client.test\n      - mail_from: {address: a@b.test, ret: HDRS}\n      - quit\n",
    );
    r.assert_code(1);
    let want = "the server did not advertise DSN in its EHLO reply, which RET=HDRS needs: nothing was sent";
    assert!(r.stdout.contains(want), "{}", r.stdout);
    assert!(r.stdout.contains("EHLO listed: PIPELINING"), "{}", r.stdout);
    assert!(xml.contains("<failure"), "{xml}");
    drop(fake);
    let seen = lines(&rx);
    assert!(!seen.iter().any(|l| l.starts_with("MAIL")), "{seen:?}");
}

#[test]
fn send_anyway_sends_an_unadvertised_parameter_and_says_so() {
    let (fake, rx) = server_with("250-fake\r\n250 PIPELINING\r\n");
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: client.test\n      - mail_from: {address: a@b.test, ret: HDRS, body: BINARYMIME}\n        send_anyway: true\n      - etrn: b.test\n        send_anyway: true\n      - quit\n",
    );
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("* sending RET=HDRS although the server did not advertise DSN (send_anyway)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("did not advertise BINARYMIME and CHUNKING (send_anyway)"),
        "{}",
        r.stdout
    );
    let seen = lines(&rx);
    assert!(
        seen.contains(&"MAIL FROM:<a@b.test> BODY=BINARYMIME RET=HDRS".to_owned()),
        "{seen:?}"
    );
    assert!(seen.contains(&"ETRN b.test".to_owned()), "{seen:?}");
}

#[test]
fn etrn_without_the_extension_fails_and_without_ehlo_too() {
    let (fake, _rx) = server_with("250-fake\r\n250 PIPELINING\r\n");
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: client.test\n      - etrn: b.test\n",
    );
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("the server did not advertise ETRN in its EHLO reply, which ETRN needs"),
        "{}",
        r.stdout
    );
    let (fake, _rx) = server_with(FULL_EHLO);
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - mail_from: {address: a@b.test, size: 10}\n",
    );
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "SIZE=10 needs the SIZE extension, but no EHLO reply is known on this connection"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn every_first_class_parameter_has_its_wire_form() {
    let (fake, rx) = server_with(FULL_EHLO);
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: client.test\n      - mail_from: {address: '', size: 12, body: 8bitmime, smtputf8: true, ret: full, envid: 'a+b=c d', params: [X-EXTRA=1]}\n      - rcpt_to: {address: r@b.test, notify: 'success, delay', orcpt: 'r+1@b.test'}\n      - etrn: '#queue'\n      - expn: staff\n      - help\n      - help: MAIL\n      - quit\n",
    );
    r.assert_code(0);
    let seen = lines(&rx);
    for want in [
        "MAIL FROM:<> SIZE=12 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=a+2Bb+3Dc+20d X-EXTRA=1",
        "RCPT TO:<r@b.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;r+2B1@b.test",
        "ETRN #queue",
        "EXPN staff",
        "HELP",
        "HELP MAIL",
    ] {
        assert!(seen.contains(&want.to_owned()), "want {want:?} in {seen:?}");
    }
}

#[test]
fn help_expects_211_or_214_by_default() {
    let fake = {
        let (f, _rx) = responder(|line| match line {
            "HELP" => "502 5.5.1 no help here\r\n".to_owned(),
            _ => "250 ok\r\n".to_owned(),
        });
        f
    };
    let (r, _) = run_against(&fake, "ext", "      - expect: 220\n      - help\n");
    r.assert_code(1);
    assert!(
        r.stdout.contains("expected code one of 211, 214, got 502"),
        "{}",
        r.stdout
    );
}

#[test]
fn size_message_is_the_byte_count_of_the_message_sent() {
    let (fake, rx) = server_with(FULL_EHLO);
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: client.test\n      - mail_from: {address: a@b.test, size: message}\n      - rcpt_to: r@b.test\n      - noop\n      - data: |\n          Subject: size ${uuid}\n\n          .a dot line, stuffed on the wire but counted once\n          naïve\n      - quit\n",
    );
    r.assert_code(0);
    let seen = lines(&rx);
    let mail = seen.iter().find(|l| l.starts_with("MAIL")).unwrap();
    let size: usize = mail.rsplit('=').next().unwrap().parse().unwrap();
    let start = seen.iter().position(|l| l == "DATA").unwrap() + 1;
    let end = seen.iter().position(|l| l == ".").unwrap();
    // Each line plus its CRLF, with the dot-stuffing undone.
    let counted: usize = seen[start..end]
        .iter()
        .map(|l| l.strip_prefix('.').unwrap_or(l).len() + 2)
        .sum();
    assert_eq!(size, counted, "{seen:?}");
    assert!(
        r.stdout
            .contains(&format!("* the message of step 6 is {size} bytes")),
        "{}",
        r.stdout
    );
}

#[test]
fn size_message_without_a_data_step_is_an_error() {
    let (fake, _rx) = server_with(FULL_EHLO);
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: client.test\n      - mail_from: {address: a@b.test, size: message}\n",
    );
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("`size: message` needs a `data` or `bdat` step later in the scenario"),
        "{}",
        r.stdout
    );
}

#[test]
fn one_refused_recipient_of_several_fails_the_step_and_names_it() {
    let (fake, rx) = responder(|line| match line {
        l if l.starts_with("RCPT TO:<b@") => "550 5.1.1 no such user\r\n".to_owned(),
        "QUIT" => "221 bye\r\n".to_owned(),
        _ => "250 ok\r\n".to_owned(),
    });
    let (r, xml) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - mail_from: a@x.test\n      - rcpt_to: [a@x.test, b@x.test, c@x.test]\n",
    );
    r.assert_code(1);
    let want = "recipient 2 of 3 <b@x.test>: expected code one of 250, 251, got 550";
    assert!(r.stdout.contains(want), "{}", r.stdout);
    let escaped = want.replace('<', "&lt;").replace('>', "&gt;");
    assert!(xml.contains(&escaped), "{xml}");
    drop(fake);
    let seen = lines(&rx);
    assert!(!seen.iter().any(|l| l.contains("c@x.test")), "{seen:?}");
}

#[test]
fn each_recipient_may_have_its_own_expectation() {
    let answer = |line: &str| match line {
        l if l.starts_with("RCPT TO:<b@") => "550 5.1.1 no such user\r\n".to_owned(),
        "QUIT" => "221 bye\r\n".to_owned(),
        _ => "250 2.1.5 ok\r\n".to_owned(),
    };
    let steps = "      - expect: 220\n      - mail_from: a@x.test\n      - rcpt_to:\n          - a@x.test\n          - {address: b@x.test, expect: {code: 550, enhanced: 5.1.1}}\n          - c@x.test\n        expect: {code: 250, enhanced: 2.1.5}\n      - quit\n";
    let (fake, _rx) = responder(answer);
    let (r, _) = run_against(&fake, "ext", steps);
    r.assert_code(0);
    // The same plan where the server accepts b fails on b's own expectation.
    let (fake, _rx) = responder(|line| match line {
        "QUIT" => "221 bye\r\n".to_owned(),
        _ => "250 2.1.5 ok\r\n".to_owned(),
    });
    let (r, _) = run_against(&fake, "ext", steps);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("recipient 2 of 3 <b@x.test>: expected code 550, got 250"),
        "{}",
        r.stdout
    );
}

#[test]
fn helo_fallback_after_a_refused_ehlo_is_in_the_transcript() {
    let answer = |line: &str| {
        let verb = line.split(' ').next().unwrap_or("").to_owned();
        match verb.as_str() {
            "EHLO" => "502 5.5.2 Error: command not recognized\r\n".to_owned(),
            "HELO" => "250 fake\r\n".to_owned(),
            "QUIT" => "221 bye\r\n".to_owned(),
            _ => "250 ok\r\n".to_owned(),
        }
    };
    let (fake, rx) = responder(answer);
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: {name: client.test, helo_fallback: true}\n      - mail_from: a@x.test\n      - quit\n",
    );
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("* EHLO refused with 502: falling back to HELO (helo_fallback)"),
        "{}",
        r.stdout
    );
    assert_eq!(
        lines(&rx)[..2],
        ["EHLO client.test".to_owned(), "HELO client.test".to_owned()]
    );
    // Without the option the refused EHLO fails the step; after HELO no extension is known.
    let (fake, _rx) = responder(answer);
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: client.test\n",
    );
    r.assert_code(1);
    assert!(
        r.stdout.contains("expected code 250, got 502"),
        "{}",
        r.stdout
    );
    let (fake, _rx) = responder(answer);
    let (r, _) = run_against(
        &fake,
        "ext",
        "      - expect: 220\n      - ehlo: {name: client.test, helo_fallback: true}\n      - mail_from: {address: a@x.test, smtputf8: true}\n",
    );
    r.assert_code(1);
    assert!(
        r.stdout.contains("EHLO listed: no extensions"),
        "{}",
        r.stdout
    );
}

/// When the latency tests' server answers NOOP.
#[derive(Clone, Copy)]
enum Noop {
    /// At once.
    Now,
    /// Once the client has waited for the reply, connected and silent, for this long (a read
    /// timeout on the server's side). Time is what a latency check is about: the server's
    /// read timeout is the late reply under test, never a synchronisation.
    AfterSilence(Duration),
    /// Never: the server reads until the client closes the connection.
    Never,
}

/// A server that greets, answers NOOP as `when` says and other commands with 250 (QUIT 221),
/// and reports each NOOP's fate: `true` answered, `false` the client left before.
fn noop_server(when: Noop) -> (Fake, Receiver<bool>) {
    let (tx, rx) = channel();
    let fake = Fake::start(move |mut s: TcpStream| {
        use std::io::Read as _;
        write(&mut s, "220 fake ESMTP\r\n");
        loop {
            match read_line(&mut s).as_str() {
                "" => return,
                "QUIT" => return write(&mut s, "221 bye\r\n"),
                "NOOP" => {
                    let answered = match when {
                        Noop::Now => true,
                        Noop::AfterSilence(patience) => {
                            s.set_read_timeout(Some(patience)).unwrap();
                            let silent = match s.read(&mut [0u8; 64]) {
                                Err(e) => matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ),
                                Ok(_) => false,
                            };
                            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                            silent
                        }
                        Noop::Never => {
                            let _ = s.read(&mut [0u8; 64]);
                            false
                        }
                    };
                    let _ = tx.send(answered);
                    if !answered {
                        return;
                    }
                    write(&mut s, "250 2.0.0 ok\r\n");
                }
                _ => write(&mut s, "250 2.0.0 ok\r\n"),
            }
        }
    });
    (fake, rx)
}

#[test]
fn a_late_reply_fails_within_and_no_reply_is_an_error() {
    let (fake, noop) = noop_server(Noop::AfterSilence(Duration::from_millis(250)));
    let dir = tempfile::tempdir().unwrap();
    let text = one_scenario(
        "latency",
        &format!("host: 127.0.0.1, port: {}, timeout: 2s", fake.addr.port()),
        "      - expect: {code: 220, within: 1s}\n      - noop:\n        expect: {code: 250, within: 100ms}\n      - quit\n",
    );
    let path = plan(dir.path(), "latency.yaml", &text);
    let json = dir.path().join("latency.json");
    let junit = dir.path().join("latency.xml");
    let r = run_bounded(
        smtp_plan(&[
            "run",
            path.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ]),
        HANG,
    );
    r.assert_code(1);
    assert!(noop.recv_timeout(HANG).unwrap(), "the client left early");
    assert!(r.stdout.contains("FAIL  latency › talk"), "{}", r.stdout);
    assert!(r.stdout.contains("the reply came after 2"), "{}", r.stdout);
    assert!(r.stdout.contains(", expected within 100ms"), "{}", r.stdout);
    assert!(
        r.stdout.contains("expected: code 250, within 100ms"),
        "{}",
        r.stdout
    );
    // Every step that read a reply has its latency in the JSON report and as a JUnit property.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let steps = &report["suites"][0]["scenarios"][0]["steps"];
    let noop = steps[1]["latency_ms"].as_f64().unwrap();
    assert!((250.0..2000.0).contains(&noop), "{noop}");
    assert!(steps[0]["latency_ms"].as_f64().unwrap() < 1000.0);
    assert!(steps[2].get("latency_ms").is_none(), "{}", steps[2]);
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<property name="latency_ms: talk › 2. noop" value=""#),
        "{xml}"
    );

    // In time, the same expectation holds.
    let (fake, noop) = noop_server(Noop::Now);
    let text = regex_port(
        &text.replace("within: 100ms", "within: 1s"),
        fake.addr.port(),
    );
    let path = plan(dir.path(), "in-time.yaml", &text);
    run_bounded(smtp_plan(&["run", path.to_str().unwrap()]), HANG).assert_code(0);
    assert!(noop.recv_timeout(HANG).unwrap());

    // No reply at all is the timeout ERROR, not a latency FAIL.
    let (fake, noop) = noop_server(Noop::Never);
    let text = regex_port(
        &text.replace("timeout: 2s", "timeout: 300ms"),
        fake.addr.port(),
    );
    let path = plan(dir.path(), "silent.yaml", &text);
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap()]), HANG);
    r.assert_code(1);
    assert!(r.stdout.contains("ERROR latency › talk"), "{}", r.stdout);
    assert!(r.stdout.contains("no reply within 300ms"), "{}", r.stdout);
    assert!(!noop.recv_timeout(HANG).unwrap(), "the server answered");
}

/// `text` with its `port: N` replaced by `port`.
fn regex_port(text: &str, port: u16) -> String {
    let start = text.find("port: ").unwrap() + "port: ".len();
    let end = start + text[start..].find(',').unwrap();
    format!("{}{port}{}", &text[..start], &text[end..])
}
