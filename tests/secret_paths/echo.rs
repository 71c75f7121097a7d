//! An SMTP server with STARTTLS that echoes a secret in every reply: raw, in base64, as the
//! AUTH PLAIN blob, in hex, each also split across two lines (a long one in 7,000-character
//! lines). It records what it was sent: the AUTH commands, the longest command line, and the
//! commands that came before TLS.

use std::io::{BufRead as _, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::certs::{CertKind, Certs};
use super::common::Threaded;
use super::conn::Conn;

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The text of each echo line (the reply code is put in front).
fn echo_lines(secret: &str, user: &str) -> Vec<String> {
    let forms = [
        ("plain", secret.to_owned()),
        ("b64", b64(secret.as_bytes())),
        ("blob", b64(format!("\0{user}\0{secret}").as_bytes())),
        ("hex", hex(secret.as_bytes())),
    ];
    let mut lines = Vec::new();
    for (tag, form) in forms {
        let chars: Vec<char> = form.chars().collect();
        if chars.len() <= 3000 {
            lines.push(format!("{tag} {form}"));
            let (a, b) = chars.split_at(chars.len() / 2);
            lines.push(format!("{tag}-split {}", a.iter().collect::<String>()));
            lines.push(format!("{} tail", b.iter().collect::<String>()));
        } else {
            for (i, chunk) in chars.chunks(7000).enumerate() {
                let chunk: String = chunk.iter().collect();
                lines.push(if i == 0 {
                    format!("{tag} {chunk}")
                } else {
                    chunk
                });
            }
        }
    }
    lines
}

#[derive(Default)]
struct Seen {
    auths: AtomicUsize,
    /// Each command line: whether it came over TLS, its first word, its length.
    lines: Mutex<Vec<(bool, String, usize)>>,
}

pub struct EchoServer {
    pub port: u16,
    seen: Arc<Seen>,
    server: Threaded,
}

impl EchoServer {
    pub fn start(certs: &Certs, secret: &str, user: &str) -> Self {
        let config = certs.server_config(CertKind::Ok, false);
        let echo = echo_lines(secret, user);
        let secret = secret.to_owned();
        let seen = Arc::new(Seen::default());
        let sn = Arc::clone(&seen);
        let server = Threaded::start(move |stream| {
            serve(stream, &config, (&secret, &echo), &sn);
        });
        Self {
            port: server.addr.port(),
            seen,
            server,
        }
    }

    pub fn auths(&self) -> usize {
        self.seen.auths.load(Ordering::SeqCst)
    }

    /// The lengths of the command lines (CRLF not counted) with this first word, and whether
    /// each came over TLS.
    pub fn lines_of(&self, verb: &str) -> Vec<(bool, usize)> {
        self.seen
            .lines
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, v, _)| v.eq_ignore_ascii_case(verb))
            .map(|&(tls, _, len)| (tls, len))
            .collect()
    }

    /// Stop accepting, and wait for every connection to end.
    pub fn stop(self) {
        self.server.stop();
    }
}

fn reply(code: u16, echo: &[String], last: &str) -> String {
    let mut out = String::new();
    for l in echo {
        out.push_str(&format!("{code}-{l}\r\n"));
    }
    out.push_str(&format!("{code} {last}\r\n"));
    out
}

fn serve(
    stream: TcpStream,
    config: &Arc<rustls::ServerConfig>,
    (secret, echo): (&str, &[String]),
    seen: &Seen,
) {
    let secret_len = secret.len();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut r = BufReader::new(Conn::Plain(stream));
    let mut tls = false;
    let send = |r: &mut BufReader<Conn>, text: &str| {
        let _ = r.get_mut().write_all(text.as_bytes());
        let _ = r.get_mut().flush();
    };
    send(&mut r, &reply(220, echo, "echo ESMTP"));
    let mut raw = String::new();
    loop {
        raw.clear();
        if r.read_line(&mut raw).unwrap_or(0) == 0 {
            return;
        }
        let line = raw.trim_end_matches(['\r', '\n']).to_owned();
        let verb = line.split(' ').next().unwrap_or_default().to_owned();
        seen.lines.lock().unwrap().push((tls, verb, line.len()));
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let mut lines = vec!["echo.test".to_owned()];
            lines.extend(echo.iter().cloned());
            if !tls {
                lines.push("STARTTLS".to_owned());
            }
            // The mechanisms too: `mechanism: auto` shows what the server offers.
            let auth = if secret_len <= 3000 {
                format!("AUTH PLAIN LOGIN X-{secret}")
            } else {
                "AUTH PLAIN LOGIN".to_owned()
            };
            send(&mut r, &reply(250, &lines, &auth));
        } else if upper == "STARTTLS" && !tls {
            send(&mut r, "220 go ahead\r\n");
            let Conn::Plain(tcp) = std::mem::replace(r.get_mut(), Conn::Gone) else {
                return;
            };
            let conn = rustls::ServerConnection::new(Arc::clone(config)).unwrap();
            *r.get_mut() = Conn::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)));
            tls = true;
        } else if upper.starts_with("AUTH") {
            seen.auths.fetch_add(1, Ordering::SeqCst);
            send(&mut r, &reply(535, echo, "5.7.8 bad credentials"));
        } else if upper == "DATA" {
            send(&mut r, "354 go ahead\r\n");
            loop {
                raw.clear();
                if r.read_line(&mut raw).unwrap_or(0) == 0 {
                    return;
                }
                if raw == ".\r\n" {
                    break;
                }
            }
            send(&mut r, &reply(250, echo, "2.0.0 queued"));
        } else if upper == "QUIT" {
            send(&mut r, &reply(221, echo, "bye"));
            return;
        } else {
            send(&mut r, &reply(250, echo, "ok"));
        }
    }
}
