use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::client::TlsStream;

use super::error::ConnectFailure;
use super::lines::{LineReader, ReadLine};
use super::socket::{self, Socket};
use super::stream::Stream;
use super::{TlsFailure, TlsInfo, TlsParams, TransportError, tls};
use crate::duration::format_duration as human;
use crate::protocol::{Limits, Reply, ReplyParser};

/// One SMTP connection, plain or TLS, with a read buffer. Every read has a timeout and the
/// size bounds of `Limits`.
pub struct Connection {
    stream: Stream<TlsStream<Socket>, Socket>,
    reader: LineReader,
    limits: Limits,
    /// The host as given to `connect`: the default TLS server name (empty for a Unix socket).
    host: String,
    /// The address connected to; None for a Unix socket.
    peer: Option<SocketAddr>,
    tls: Option<TlsInfo>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("peer", &self.peer)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn connect_reason(e: &io::Error) -> (String, ConnectFailure) {
    let other = |text: &str| (text.to_owned(), ConnectFailure::Other);
    match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            ("connection refused".to_owned(), ConnectFailure::Refused)
        }
        io::ErrorKind::TimedOut => ("timed out".to_owned(), ConnectFailure::TimedOut),
        io::ErrorKind::ConnectionReset => other("connection reset"),
        io::ErrorKind::HostUnreachable => other("host unreachable"),
        io::ErrorKind::NetworkUnreachable => other("network unreachable"),
        _ => (e.to_string(), ConnectFailure::Other),
    }
}

/// How to open a connection beyond where to: the local address to bind, and bytes to send
/// before anything else (a PROXY protocol header), before TLS too.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub bind: Option<IpAddr>,
    pub preamble: Option<Vec<u8>>,
}

/// What [`Connection::wait_close`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseSeen {
    /// The server closed the connection in order.
    Closed,
    /// The server reset it (TCP RST).
    Reset,
    /// The server sent a line instead.
    Line(String),
}

/// How much [`Connection::unsolicited`] takes from the socket at once: enough to show what came.
const UNSOLICITED_PEEK: usize = 4096;

impl Connection {
    /// TCP connect (host name, IPv4 or IPv6 literal) within `timeout`; with `tls: Some`, the
    /// TLS handshake follows at once (implicit TLS), within its own `timeout`.
    pub async fn connect(
        host: &str,
        port: u16,
        timeout: Duration,
        tls: Option<&TlsParams>,
        limits: Limits,
    ) -> Result<(Self, Option<TlsInfo>), TransportError> {
        Self::connect_with(host, port, timeout, tls, limits, &ConnectOptions::default()).await
    }

    /// [`connect`](Self::connect), from `options.bind` (when given) and with `options.preamble`
    /// written first.
    pub async fn connect_with(
        host: &str,
        port: u16,
        timeout: Duration,
        tls: Option<&TlsParams>,
        limits: Limits,
        options: &ConnectOptions,
    ) -> Result<(Self, Option<TlsInfo>), TransportError> {
        let shown = crate::protocol::HostPort::new(host, port);
        let bare = shown.bare_host();
        let addr_text = shown.to_string();
        let fail = |reason: String, kind: ConnectFailure| TransportError::Connect {
            addr: addr_text.clone(),
            reason,
            kind,
        };
        let deadline = Instant::now() + timeout;
        let timed_out = || {
            fail(
                format!("timed out after {}", human(timeout)),
                ConnectFailure::TimedOut,
            )
        };
        let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => match timeout_at(deadline, tokio::net::lookup_host((bare, port))).await {
                Err(_) => return Err(timed_out()),
                Ok(Err(e)) => {
                    return Err(fail(
                        format!("no address for host {bare:?} ({e})"),
                        ConnectFailure::Other,
                    ));
                }
                Ok(Ok(found)) => found.collect(),
            },
        };
        let mut last_error = None;
        let mut connected = None;
        for addr in &addrs {
            let attempt = async {
                match options.bind {
                    None => TcpStream::connect(addr).await,
                    Some(ip) => {
                        let socket = if ip.is_ipv4() {
                            tokio::net::TcpSocket::new_v4()?
                        } else {
                            tokio::net::TcpSocket::new_v6()?
                        };
                        socket.bind(SocketAddr::new(ip, 0)).map_err(|e| {
                            io::Error::new(e.kind(), format!("cannot bind to {ip}: {e}"))
                        })?;
                        socket.connect(*addr).await
                    }
                }
            };
            match timeout_at(deadline, attempt).await {
                Err(_) => return Err(timed_out()),
                Ok(Ok(s)) => {
                    connected = Some(s);
                    break;
                }
                Ok(Err(e)) => last_error = Some(e),
            }
        }
        let tcp = match (connected, last_error) {
            (Some(s), _) => s,
            (None, Some(e)) => {
                let (reason, kind) = connect_reason(&e);
                return Err(fail(reason, kind));
            }
            (None, None) => {
                return Err(fail(
                    format!("no address for host {bare:?}"),
                    ConnectFailure::Other,
                ));
            }
        };
        let peer = tcp.peer_addr()?;
        // Small writes are whole commands; do not let Nagle hold them back.
        let _ = tcp.set_nodelay(true);
        let mut conn = Self {
            stream: Stream::Plain(Socket::Tcp(tcp)),
            reader: LineReader::new(),
            limits,
            host: bare.to_owned(),
            peer: Some(peer),
            tls: None,
        };
        if let Some(preamble) = &options.preamble {
            conn.send(preamble, timeout).await?;
        }
        let info = match tls {
            Some(params) => Some(conn.upgrade(params, timeout).await?),
            None => None,
        };
        Ok((conn, info))
    }

    /// Connect to the Unix domain socket at `path` within `timeout`; with `tls: Some`, the TLS
    /// handshake follows (its `server_name` is the only name there is to verify).
    pub async fn connect_unix(
        path: &Path,
        timeout: Duration,
        tls: Option<&TlsParams>,
        limits: Limits,
    ) -> Result<(Self, Option<TlsInfo>), TransportError> {
        let fail = |reason: String, kind: ConnectFailure| TransportError::Connect {
            addr: format!("unix:{}", path.display()),
            reason,
            kind,
        };
        let socket = match tokio::time::timeout(timeout, socket::connect_unix(path)).await {
            Err(_) => {
                return Err(fail(
                    format!("timed out after {}", human(timeout)),
                    ConnectFailure::TimedOut,
                ));
            }
            Ok(Err((reason, kind))) => return Err(fail(reason, kind)),
            Ok(Ok(s)) => s,
        };
        let mut conn = Self {
            stream: Stream::Plain(socket),
            reader: LineReader::new(),
            limits,
            host: String::new(),
            peer: None,
            tls: None,
        };
        let info = match tls {
            Some(params) => Some(conn.upgrade(params, timeout).await?),
            None => None,
        };
        Ok((conn, info))
    }

    /// Write all of `bytes` within `timeout`.
    pub async fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        let stream = &mut self.stream;
        let write = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        match tokio::time::timeout(timeout, write).await {
            Err(_) => Err(TransportError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("could not send within {}", human(timeout)),
            ))),
            Ok(Err(e)) if super::lines::is_reset(&e) => Err(TransportError::Reset {
                partial: Vec::new(),
            }),
            Ok(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => Err(TransportError::Closed {
                partial: Vec::new(),
            }),
            Ok(Err(e)) => Err(e.into()),
            Ok(Ok(())) => {
                self.ack_quickly();
                Ok(())
            }
        }
    }

    /// Acknowledge what the server sends next at once (Linux `TCP_QUICKACK`), for the reply to
    /// the command just written.
    ///
    /// Without it, a TLS 1.3 conversation with Postfix stalls ~40 ms on the first command after
    /// the handshake: the server sends its session tickets, our next command goes out before
    /// they arrive (so it does not acknowledge them), and the server's TCP stack (Nagle) holds
    /// its reply back until our delayed ACK of the tickets, 40 ms later. Writing a command puts
    /// Linux back into delayed-ACK mode, hence after every write; it costs one `setsockopt`.
    /// Measured by `benches/compare.sh` ("EHLO after STARTTLS"): 40–50 ms in 2 of 3
    /// conversations before, under 1 ms after; Exim and the built-in server never stalled.
    fn ack_quickly(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(tcp) = self.stream.tcp() {
            let _ = socket2::SockRef::from(tcp).set_tcp_quickack(true);
        }
    }

    /// Read one complete reply (multi-line aware) within `timeout` for the whole reply.
    pub async fn read_reply(&mut self, timeout: Duration) -> Result<Reply, TransportError> {
        let deadline = Instant::now() + timeout;
        let mut parser = ReplyParser::new(self.limits);
        loop {
            let read = self
                .reader
                .read_line(&mut self.stream, self.limits.max_line);
            match timeout_at(deadline, read).await {
                Err(_) => {
                    let mut partial = parser.partial();
                    if !self.reader.pending().is_empty() {
                        partial.push(lossy(self.reader.pending()));
                    }
                    return Err(TransportError::Timeout {
                        after: timeout,
                        partial,
                    });
                }
                Ok(Err(e)) => return Err(e.into()),
                Ok(Ok(ReadLine::TooLong)) => {
                    return Err(TransportError::LineTooLong {
                        max: self.limits.max_line,
                    });
                }
                Ok(Ok(end @ (ReadLine::Eof(_) | ReadLine::Reset(_)))) => {
                    let reset = matches!(end, ReadLine::Reset(_));
                    let (ReadLine::Eof(rest) | ReadLine::Reset(rest)) = end else {
                        continue;
                    };
                    let mut partial = parser.partial();
                    if !rest.is_empty() {
                        partial.push(lossy(&rest));
                    }
                    return Err(if reset {
                        TransportError::Reset { partial }
                    } else {
                        TransportError::Closed { partial }
                    });
                }
                Ok(Ok(ReadLine::Line(line))) => {
                    if let Some(reply) = parser.push(&lossy(&line))? {
                        return Ok(reply);
                    }
                }
            }
        }
    }

    /// Upgrade to TLS after a 220 to STARTTLS. Fails if the server already sent more bytes.
    /// An empty `params.server_name` means the host given to `connect`.
    pub async fn start_tls(
        &mut self,
        params: &TlsParams,
        timeout: Duration,
    ) -> Result<TlsInfo, TransportError> {
        let buffered = self.reader.buffered();
        if buffered > 0 {
            return Err(TransportError::PlaintextAfterStarttls { bytes: buffered });
        }
        if let Stream::Plain(socket) = &self.stream {
            // Best effort: bytes that reached the socket but not yet our buffer.
            let n = socket.waiting();
            if n > 0 {
                return Err(TransportError::PlaintextAfterStarttls { bytes: n });
            }
        }
        self.upgrade(params, timeout).await
    }

    async fn upgrade(
        &mut self,
        params: &TlsParams,
        timeout: Duration,
    ) -> Result<TlsInfo, TransportError> {
        let tcp = match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Plain(tcp) => tcp,
            other => {
                let already = other.is_tls();
                self.stream = other;
                return Err(TransportError::tls(
                    TlsFailure::Handshake,
                    if already {
                        "the connection already uses TLS"
                    } else {
                        "the connection is unusable after a failed TLS handshake"
                    },
                ));
            }
        };
        let (tls, info) = tls::handshake(tcp, params, &self.host, timeout).await?;
        self.stream = Stream::Tls(Box::new(tls));
        self.tls = Some(info.clone());
        Ok(info)
    }

    /// Wait for the server to close (in order or by a reset), or see the line it sent
    /// instead; `Err(Timeout)` if it stayed open and silent.
    pub async fn wait_close(&mut self, timeout: Duration) -> Result<CloseSeen, TransportError> {
        let read = self
            .reader
            .read_line(&mut self.stream, self.limits.max_line);
        match tokio::time::timeout(timeout, read).await {
            Err(_) => Err(TransportError::Timeout {
                after: timeout,
                partial: Vec::new(),
            }),
            Ok(Err(e)) => Err(e.into()),
            Ok(Ok(ReadLine::TooLong)) => Err(TransportError::LineTooLong {
                max: self.limits.max_line,
            }),
            Ok(Ok(ReadLine::Eof(rest))) if rest.is_empty() => Ok(CloseSeen::Closed),
            Ok(Ok(ReadLine::Reset(rest))) if rest.is_empty() => Ok(CloseSeen::Reset),
            Ok(Ok(ReadLine::Eof(rest) | ReadLine::Reset(rest) | ReadLine::Line(rest))) => {
                Ok(CloseSeen::Line(lossy(&rest)))
            }
        }
    }

    /// Bytes the server sent that no command has asked for yet: what is buffered, and what has
    /// already reached the socket, looked at without waiting. Empty when there are none. The
    /// bytes stay buffered (a later read sees them).
    pub fn unsolicited(&mut self) -> Vec<u8> {
        match &mut self.stream {
            Stream::Plain(socket) => {
                let ready = socket.take_ready(UNSOLICITED_PEEK);
                self.reader.push(&ready);
            }
            Stream::Tls(tls) => {
                let (socket, conn) = tls.get_mut();
                let raw = socket.take_ready(UNSOLICITED_PEEK);
                if !raw.is_empty() {
                    let mut rest: &[u8] = &raw;
                    while !rest.is_empty() {
                        match conn.read_tls(&mut rest) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                    }
                    // A TLS alert or a broken record: the next read reports it.
                    let _ = conn.process_new_packets();
                }
                let mut plain = vec![0u8; UNSOLICITED_PEEK];
                if let Ok(n) = std::io::Read::read(&mut conn.reader(), &mut plain) {
                    plain.truncate(n);
                    self.reader.push(&plain);
                }
            }
            Stream::Gone => {}
        }
        self.reader.pending().to_vec()
    }

    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// What the last TLS handshake (implicit or STARTTLS) negotiated.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// The address actually connected to; None for a Unix socket.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }
}
