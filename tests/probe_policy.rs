//! `smtp-plan probe` against scripted servers (STARTTLS by rustls): an AUTH mechanism that is
//! advertised but fails is recorded as failing, and a server that takes mail before STARTTLS
//! is recorded differently from one that refuses it; each generated plan passes against the
//! server it came from and fails, naming the difference, against the other.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use common::*;

const PW: &str = "Fake-Probe-Pw!7";

/// What a scripted server answers.
#[derive(Clone)]
struct Policy {
    /// The mechanisms advertised after STARTTLS, each with its final reply to AUTH.
    auth: Vec<(&'static str, &'static str)>,
    /// The reply to MAIL FROM before STARTTLS.
    mail_plain: &'static str,
}

/// A scripted SMTP server with STARTTLS: serves one connection after another (the probe
/// opens them one at a time) until dropped; the thread is joined on drop.
struct PolicyServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl PolicyServer {
    fn start(policy: Policy) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let tls = tls_config();
        let stopped = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                serve(stream, &policy, &tls);
            }
        });
        Self {
            addr,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for PolicyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    smtp_plan::server::cert::server_tls_config(
        vec![ck.cert.der().clone()],
        key,
        rustls::DEFAULT_VERSIONS,
    )
    .unwrap()
}

fn serve(mut tcp: TcpStream, policy: &Policy, tls: &Arc<rustls::ServerConfig>) {
    put(&mut tcp, "220 fake.test ESMTP ready");
    if talk(&mut tcp, policy, false) {
        let conn = rustls::ServerConnection::new(Arc::clone(tls)).unwrap();
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        talk(&mut stream, policy, true);
    }
}

fn get(s: &mut impl Read) -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match s.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&line).trim_end().to_owned())
}

fn put(s: &mut impl Write, reply: &str) {
    let _ = s.write_all(format!("{reply}\r\n").as_bytes());
    let _ = s.flush();
}

/// One side of the conversation (plain, then TLS): true when STARTTLS was accepted.
fn talk<S: Read + Write>(s: &mut S, p: &Policy, tls: bool) -> bool {
    while let Some(line) = get(s) {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO ") {
            let mut lines = vec!["250-fake.test".to_owned()];
            if !tls {
                lines.push("250-STARTTLS".to_owned());
            } else if !p.auth.is_empty() {
                let names: Vec<&str> = p.auth.iter().map(|(m, _)| *m).collect();
                lines.push(format!("250-AUTH {}", names.join(" ")));
            }
            lines.push("250 ENHANCEDSTATUSCODES".to_owned());
            put(s, &lines.join("\r\n"));
        } else if upper == "STARTTLS" && !tls {
            put(s, "220 2.0.0 Ready to start TLS");
            return true;
        } else if let Some(rest) = upper.strip_prefix("AUTH ") {
            let mut words = rest.split_whitespace();
            let mech = words.next().unwrap_or_default().to_owned();
            let initial = words.next().is_some();
            let Some((_, last)) = p.auth.iter().find(|(m, _)| *m == mech) else {
                put(s, "504 5.5.4 Unrecognized authentication type");
                continue;
            };
            let challenges: &[&str] = match (mech.as_str(), initial) {
                ("PLAIN", false) => &["334 "],
                ("LOGIN", false) => &["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6"],
                ("LOGIN", true) => &["334 UGFzc3dvcmQ6"],
                ("CRAM-MD5", _) => &["334 PDEyMzQ1LjY3ODlAZmFrZS50ZXN0Pg=="],
                _ => &[],
            };
            for c in challenges {
                put(s, c);
                if get(s).is_none() {
                    return false;
                }
            }
            put(s, last);
        } else if upper.starts_with("MAIL FROM:") {
            put(s, if tls { "250 2.1.0 Ok" } else { p.mail_plain });
        } else if upper.starts_with("RCPT TO:") {
            put(s, "250 2.1.5 Ok");
        } else if upper == "QUIT" {
            put(s, "221 2.0.0 Bye");
            return false;
        } else {
            put(s, "502 5.5.2 Error: command not recognized");
        }
    }
    false
}

const REFUSE_PLAIN: &str = "530 5.7.0 Must issue a STARTTLS command first";
const ACCEPT_PLAIN: &str = "250 2.1.0 Ok";

/// `smtp-plan probe` of `server` into DIR/NAME (insecure: the certificate is self-signed).
fn probe(dir: &Path, name: &str, server: &PolicyServer, extra: &[&str]) -> (PathBuf, String) {
    let out = dir.join(name);
    let addr = server.addr.to_string();
    let mut args = vec!["probe", &addr, "--insecure"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", out.to_str().unwrap()]);
    let r = run(smtp_plan(&args).env("FAKE_PROBE_PW", PW));
    r.assert_code(0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_no_secret(&text);
    (out, text)
}

fn run_at(plan: &Path, server: &PolicyServer) -> Run {
    let r = run(smtp_plan(&[
        "run",
        plan.to_str().unwrap(),
        "--target",
        &server.addr.to_string(),
    ])
    .env("FAKE_PROBE_PW", PW));
    assert_no_secret(&r.stdout);
    assert_no_secret(&r.stderr);
    r
}

fn assert_no_secret(text: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    assert!(!text.contains(PW), "password in\n{text}");
    assert!(
        !text.contains(&b64.encode(PW)),
        "base64 password in\n{text}"
    );
    let token = b64.encode(format!("\0u1@fake.test\0{PW}"));
    assert!(!text.contains(&token), "AUTH PLAIN token in\n{text}");
}

const LOGIN: [&str; 4] = ["--user", "u1@fake.test", "--password-env", "FAKE_PROBE_PW"];

#[test]
fn a_mechanism_advertised_but_failing_is_recorded_as_failing() {
    let failing = PolicyServer::start(Policy {
        auth: vec![
            ("PLAIN", "235 2.7.0 Authentication successful"),
            ("CRAM-MD5", "535 5.7.8 Error: authentication failed"),
            ("XOAUTH2", "535 5.7.8 unused"),
            ("GSSAPI", "535 5.7.8 unused"),
        ],
        mail_plain: REFUSE_PLAIN,
    });
    let dir = tempfile::tempdir().unwrap();
    let (plan, text) = probe(dir.path(), "auth.yaml", &failing, &LOGIN);
    for want in [
        "# AUTH, each mechanism on its own connection: CRAM-MD5 failed (535), PLAIN succeeded (235).\n",
        "# AUTH mechanisms advertised but not tried: XOAUTH2 (it needs a token, not a password), GSSAPI (it needs a Kerberos ticket, not a password).\n",
        "  - name: AUTH CRAM-MD5 as the probing user\n",
        "- auth: {mechanism: CRAM-MD5, username: '${user}', password: '${password}'}\n        expect: {code: 535, enhanced: 5.7.8, contains: 'Error: authentication failed'}\n",
        "- auth: {mechanism: PLAIN, username: '${user}', password: '${password}'}\n        expect: {code: 235, enhanced: 2.7.0, contains: Authentication successful}\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // Only mechanisms that were tried have a scenario.
    assert!(!text.contains("mechanism: XOAUTH2"), "{text}");
    assert!(!text.contains("mechanism: GSSAPI"), "{text}");

    // It passes against the server it came from...
    let r = run_at(&plan, &failing);
    r.assert_code(0);
    assert_eq!(r.last_line(), "6 passed, 0 failed", "{}", r.stdout);

    // ...and fails against one where CRAM-MD5 works now, naming that scenario only.
    let fixed = PolicyServer::start(Policy {
        auth: vec![
            ("PLAIN", "235 2.7.0 Authentication successful"),
            ("CRAM-MD5", "235 2.7.0 Authentication successful"),
            ("XOAUTH2", "535 5.7.8 unused"),
            ("GSSAPI", "535 5.7.8 unused"),
        ],
        mail_plain: REFUSE_PLAIN,
    });
    let r = run_at(&plan, &fixed);
    r.assert_code(1);
    assert!(
        r.stdout.contains("› AUTH CRAM-MD5 as the probing user")
            && r.stdout.contains("expected code 535, got 235"),
        "{}",
        r.stdout
    );
    assert_eq!(r.last_line(), "5 passed, 1 failed", "{}", r.stdout);
}

#[test]
fn mail_before_starttls_accepted_and_refused_are_recorded_apart() {
    let refusing = PolicyServer::start(Policy {
        auth: Vec::new(),
        mail_plain: REFUSE_PLAIN,
    });
    let accepting = PolicyServer::start(Policy {
        auth: Vec::new(),
        mail_plain: ACCEPT_PLAIN,
    });
    let dir = tempfile::tempdir().unwrap();
    let (refused, refused_text) = probe(dir.path(), "refused.yaml", &refusing, &[]);
    let schema = "https://example.test/smtp-plan.schema.json";
    let (accepted, accepted_text) = probe(
        dir.path(),
        "accepted.yaml",
        &accepting,
        &["--schema", schema],
    );

    assert!(
        refused_text.contains("# Plaintext policy: MAIL FROM before STARTTLS was refused (530): TLS is required first (scenario \"mail before STARTTLS\").\n"),
        "{refused_text}"
    );
    assert!(
        refused_text.contains("  - name: 'mail before STARTTLS (the plaintext policy)'\n"),
        "{refused_text}"
    );
    assert!(
        refused_text.contains("- mail_from: '${sender}'\n        expect: {code: 530, enhanced: 5.7.0, contains: Must issue a STARTTLS command first}\n"),
        "{refused_text}"
    );
    assert!(
        accepted_text.contains("# Plaintext policy: MAIL FROM before STARTTLS was accepted (250): mail may be sent without TLS (scenario \"mail before STARTTLS\").\n"),
        "{accepted_text}"
    );
    assert!(
        accepted_text.contains(
            "- mail_from: '${sender}'\n        expect: {code: 250, enhanced: 2.1.0, contains: Ok}\n"
        ),
        "{accepted_text}"
    );
    // `$schema` only when asked for, as given.
    assert!(!refused_text.contains("$schema"), "{refused_text}");
    assert!(
        accepted_text.starts_with(&format!("# yaml-language-server: $schema={schema}\n#\n")),
        "{accepted_text}"
    );

    // Each passes against its own server.
    for (plan, server) in [(&refused, &refusing), (&accepted, &accepting)] {
        let r = run_at(plan, server);
        r.assert_code(0);
        assert_eq!(r.last_line(), "4 passed, 0 failed", "{}", r.stdout);
    }
    // Each fails against the other, in the plaintext-policy scenario only.
    for (plan, server, want) in [
        (&refused, &accepting, "expected code 530, got 250"),
        (&accepted, &refusing, "expected code 250, got 530"),
    ] {
        let r = run_at(plan, server);
        r.assert_code(1);
        assert!(
            r.stdout.contains("FAIL  ")
                && r.stdout
                    .contains("› mail before STARTTLS (the plaintext policy)")
                && r.stdout.contains(want),
            "{}",
            r.stdout
        );
        assert_eq!(r.last_line(), "3 passed, 1 failed", "{}", r.stdout);
    }
}
