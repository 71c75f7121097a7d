//! A scripted SMTP server whose conversation is data: the `.server` files of tests/cases/run/
//! (the format is documented in tests/cases/run/README.md). One thread plays the script over
//! blocking sockets with read timeouts; the test joins it and gets every deviation of the
//! client from the script as text.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod certs;
pub mod conn;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use certs::{CertKind, Certs};
use conn::Conn;

/// How long the server waits for a line, a close or a connection from the client.
const PATIENCE: Duration = Duration::from_secs(10);

/// One instruction of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `S: text` — send text + CRLF.
    Send(String),
    /// `raw: text` — send these bytes (escapes decoded), nothing added.
    Raw(Vec<u8>),
    /// `C: text` — the client's next line must be exactly this.
    Expect(String),
    /// `C~ regex` — the client's next line must match.
    ExpectMatch(String),
    /// `message` — the client sends a DATA message: lines up to the lone `.`.
    Message,
    /// `tls KIND [max=1.2]` — a TLS handshake as the server.
    Tls(CertKind, bool),
    /// `close` — close (FIN).
    Close,
    /// `reset` — abort (RST).
    Reset,
    /// `wait-close` — the client must close without sending anything more.
    WaitClose,
    /// `accept` — the next connection.
    Accept,
}

/// A parsed `.server` file.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// `args:` — extra command-line arguments for `smtp-plan run`.
    pub args: Vec<String>,
    /// `refuse` — nothing listens on the port.
    pub refuse: bool,
    /// (line number, op); an implicit `accept` starts the first connection.
    pub ops: Vec<(usize, Op)>,
}

fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).map_err(|_| format!("bad \\x{hex}"))?);
            }
            other => return Err(format!("unknown escape \\{}", other.unwrap_or(' '))),
        }
    }
    Ok(out)
}

impl Script {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut script = Script::default();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim_end();
            if line.trim_start().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let bad = |why: &str| format!("line {n}: {why}: {line}");
            let op = if let Some(rest) = line.strip_prefix("S: ") {
                Op::Send(rest.to_owned())
            } else if line == "S:" {
                Op::Send(String::new())
            } else if let Some(rest) = line.strip_prefix("C: ") {
                Op::Expect(rest.to_owned())
            } else if line == "C:" {
                Op::Expect(String::new())
            } else if let Some(rest) = line.strip_prefix("C~ ") {
                regex::Regex::new(rest).map_err(|e| bad(&e.to_string()))?;
                Op::ExpectMatch(rest.to_owned())
            } else if let Some(rest) = line.strip_prefix("raw: ") {
                Op::Raw(unescape(rest).map_err(|e| bad(&e))?)
            } else if let Some(rest) = line.strip_prefix("args:") {
                script
                    .args
                    .extend(rest.split_whitespace().map(str::to_owned));
                continue;
            } else if line == "tls" || line.starts_with("tls ") {
                let mut words = line.split_whitespace().skip(1);
                let kind = match words.next() {
                    None => CertKind::Ok,
                    Some(w) => CertKind::parse(w).ok_or_else(|| bad("unknown certificate kind"))?,
                };
                let tls12 = match words.next() {
                    None => false,
                    Some("max=1.2") => true,
                    Some(_) => return Err(bad("only `max=1.2` may follow the kind")),
                };
                Op::Tls(kind, tls12)
            } else {
                match line {
                    "message" => Op::Message,
                    "close" => Op::Close,
                    "reset" => Op::Reset,
                    "wait-close" => Op::WaitClose,
                    "accept" => Op::Accept,
                    "refuse" => {
                        script.refuse = true;
                        continue;
                    }
                    _ => return Err(bad("unknown instruction")),
                }
            };
            script.ops.push((n, op));
        }
        if script.refuse && !script.ops.is_empty() {
            return Err("`refuse` means no conversation: nothing else may follow".to_owned());
        }
        Ok(script)
    }

    pub fn uses_tls(&self) -> bool {
        self.ops.iter().any(|(_, op)| matches!(op, Op::Tls(..)))
    }
}

/// What one read of a line gave.
enum Got {
    Line(String),
    Eof,
    Timeout,
    Failed(String),
}

fn read_line(conn: &mut Conn, pending: &mut Vec<u8>) -> Got {
    loop {
        if let Some(pos) = pending.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = pending.drain(..=pos).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Got::Line(String::from_utf8_lossy(&line).into_owned());
        }
        let mut buf = [0u8; 4096];
        match conn.read(&mut buf) {
            Ok(0) => return Got::Eof,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Got::Timeout;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof
                ) =>
            {
                return Got::Eof;
            }
            Err(e) => return Got::Failed(e.to_string()),
        }
    }
}

/// A running script; `finish` joins it.
pub struct Server {
    pub addr: SocketAddr,
    /// Keeps a bound, not listening, socket for `refuse`.
    _refusing: Option<tokio::net::TcpSocket>,
    handle: Option<JoinHandle<Result<(), String>>>,
    client_done: Arc<AtomicBool>,
}

impl Server {
    pub fn start(script: &Script, certs: &Arc<Certs>) -> Self {
        if script.refuse {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = socket.local_addr().unwrap();
            return Self {
                addr,
                _refusing: Some(socket),
                handle: None,
                client_done: Arc::new(AtomicBool::new(false)),
            };
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client_done = Arc::new(AtomicBool::new(false));
        let done = client_done.clone();
        let ops = script.ops.clone();
        let certs = certs.clone();
        let handle = std::thread::spawn(move || play(&listener, &ops, &certs, &done));
        Self {
            addr,
            _refusing: None,
            handle: Some(handle),
            client_done,
        }
    }

    /// Call once the client process has exited: wakes a script still waiting for a connection
    /// and returns every deviation from the script.
    pub fn finish(mut self) -> Result<(), String> {
        self.client_done.store(true, Ordering::SeqCst);
        let Some(handle) = self.handle.take() else {
            return Ok(());
        };
        // A script blocked in accept() is woken by a connection it then recognises as ours.
        if !handle.is_finished()
            && let Ok(mut wake) = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1))
        {
            let _ = wake.write_all(WAKE);
        }
        handle
            .join()
            .unwrap_or_else(|_| Err("the script panicked".to_owned()))
    }
}

/// What `finish` sends on the connection that wakes a script blocked in `accept`; no client
/// line starts with a NUL byte.
const WAKE: &[u8] = b"\0smtp-plan-script-wake\n";

fn is_wake(stream: &TcpStream) -> bool {
    let mut head = [0u8; 1];
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    matches!(stream.peek(&mut head), Ok(n) if n > 0 && head[0] == 0)
}

fn accept(listener: &TcpListener, done: &AtomicBool, n: usize) -> Result<TcpStream, String> {
    let (stream, _) = listener.accept().map_err(|e| e.to_string())?;
    // Once the client has exited, a connection is either one it made before exiting (queued
    // while this thread was not scheduled yet: play it) or the wake-up from `finish`.
    if done.load(Ordering::SeqCst) && is_wake(&stream) {
        return Err(format!(
            "line {n}: the script waits for a connection, but the client made none"
        ));
    }
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    Ok(stream)
}

fn play(
    listener: &TcpListener,
    ops: &[(usize, Op)],
    certs: &Certs,
    done: &AtomicBool,
) -> Result<(), String> {
    let mut conn = Conn::Plain(accept(listener, done, 1)?);
    let mut pending = Vec::new();
    for (i, (n, op)) in ops.iter().enumerate() {
        let n = *n;
        let next_line =
            |conn: &mut Conn, pending: &mut Vec<u8>, want: &str| match read_line(conn, pending) {
                Got::Line(l) => Ok(l),
                Got::Eof => Err(format!(
                    "line {n}: want {want}, but the client closed the connection"
                )),
                Got::Timeout => Err(format!(
                    "line {n}: want {want}, but the client sent nothing for {PATIENCE:?}"
                )),
                Got::Failed(e) => Err(format!("line {n}: want {want}, but reading failed: {e}")),
            };
        match op {
            Op::Send(text) => {
                let _ = conn.write_all(format!("{text}\r\n").as_bytes());
                let _ = conn.flush();
            }
            Op::Raw(bytes) => {
                let _ = conn.write_all(bytes);
                let _ = conn.flush();
            }
            Op::Expect(want) => {
                let got = next_line(&mut conn, &mut pending, &format!("`{want}`"))?;
                if got != *want {
                    return Err(format!("line {n}: want `{want}`, the client sent `{got}`"));
                }
            }
            Op::ExpectMatch(re) => {
                let got = next_line(&mut conn, &mut pending, &format!("a line matching `{re}`"))?;
                if !regex::Regex::new(re).unwrap().is_match(&got) {
                    return Err(format!(
                        "line {n}: want a line matching `{re}`, the client sent `{got}`"
                    ));
                }
            }
            Op::Message => loop {
                let got = next_line(&mut conn, &mut pending, "the message and its `.`")?;
                if got == "." {
                    break;
                }
            },
            Op::Tls(kind, tls12) => {
                if !pending.is_empty() {
                    return Err(format!(
                        "line {n}: the client sent plaintext before the handshake"
                    ));
                }
                let Conn::Plain(tcp) = std::mem::replace(&mut conn, Conn::Gone) else {
                    return Err(format!("line {n}: the connection already uses TLS"));
                };
                let config = certs.server_config(*kind, *tls12);
                let mut server = rustls::ServerConnection::new(config).unwrap();
                let mut tcp = tcp;
                // The handshake fails when the client rejects the certificate: a normal end
                // of the connection for a must-fail case, if the script says nothing more.
                let mut failed = None;
                while server.is_handshaking() {
                    if let Err(e) = server.complete_io(&mut tcp) {
                        failed = Some(e);
                        break;
                    }
                }
                if let Some(e) = failed {
                    let more = ops
                        .get(i + 1..)
                        .unwrap_or_default()
                        .iter()
                        .take_while(|(_, op)| *op != Op::Accept)
                        .count();
                    if more > 0 {
                        return Err(format!("line {n}: the TLS handshake failed: {e}"));
                    }
                    let _ = wait_gone(&mut Conn::Plain(tcp));
                    pending.clear();
                    continue;
                }
                conn = Conn::Tls(Box::new(rustls::StreamOwned::new(server, tcp)));
            }
            Op::Close => {
                if let Conn::Tls(s) = &mut conn {
                    s.conn.send_close_notify();
                    let _ = s.flush();
                }
                if let Some(tcp) = conn.tcp() {
                    let _ = tcp.shutdown(std::net::Shutdown::Write);
                }
                // Wait for the client to go too, so that its view is an orderly close.
                let rest = wait_gone(&mut conn);
                conn = Conn::Gone;
                pending.clear();
                rest.map_err(|e| format!("line {n}: {e}"))?;
            }
            Op::Reset => {
                let tcp = match std::mem::replace(&mut conn, Conn::Gone) {
                    Conn::Plain(tcp) => Some(tcp),
                    Conn::Tls(s) => Some(s.sock),
                    Conn::Gone => None,
                };
                if let Some(tcp) = tcp {
                    // Closing with a zero linger time sends an RST.
                    let socket = tokio::net::TcpSocket::from_std_stream(tcp);
                    let _ = socket.set_zero_linger();
                    drop(socket);
                }
                pending.clear();
            }
            Op::WaitClose => {
                expect_silence(&mut conn, &mut pending).map_err(|e| format!("line {n}: {e}"))?;
                conn = Conn::Gone;
            }
            Op::Accept => {
                conn = Conn::Plain(accept(listener, done, n)?);
                pending.clear();
            }
        }
    }
    // The end of the script: the client must close without sending anything more.
    if matches!(conn, Conn::Gone) {
        return Ok(());
    }
    expect_silence(&mut conn, &mut pending).map_err(|e| format!("at the end of the script: {e}"))
}

/// The client must close the connection without sending another line.
fn expect_silence(conn: &mut Conn, pending: &mut Vec<u8>) -> Result<(), String> {
    match read_line(conn, pending) {
        Got::Eof => {
            if pending.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "the client sent `{}` and closed",
                    String::from_utf8_lossy(pending)
                ))
            }
        }
        Got::Line(l) => Err(format!("the script is over, but the client sent `{l}`")),
        Got::Timeout => Err(format!(
            "the client did not close the connection within {PATIENCE:?}"
        )),
        Got::Failed(e) => Err(format!("reading failed: {e}")),
    }
}

/// After the server closed (or a handshake failed): read and drop until the client is gone.
fn wait_gone(conn: &mut Conn) -> Result<(), String> {
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!(
                    "the client did not close the connection within {PATIENCE:?}"
                ));
            }
            Err(_) => return Ok(()),
        }
    }
}
