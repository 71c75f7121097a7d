//! What a client connection runs over before any TLS: a TCP stream, or a Unix domain socket
//! (LMTP servers usually listen on one).

use std::io;
use std::path::Path;

use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;

use super::error::ConnectFailure;
use super::io::{Io, delegate_io};

/// The longest path a Unix socket address holds (`sun_path` is 108 bytes with its NUL).
pub(crate) const MAX_SOCKET_PATH: usize = 107;

#[derive(Debug)]
pub(crate) enum Socket {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Socket {
    pub(crate) fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Socket::Tcp(s) => Some(s),
            #[cfg(unix)]
            Socket::Unix(_) => None,
        }
    }

    /// Bytes that reached the socket but not yet the reader, taken without waiting: one
    /// `recv` on the socket itself, whatever tokio's readiness says (which may not have seen
    /// them yet). It cannot block: tokio registers only non-blocking sockets (`connect` makes
    /// them so), and an empty socket answers `EAGAIN` (no bytes).
    #[cfg(unix)]
    pub(crate) fn take_ready(&self, max: usize) -> Vec<u8> {
        use std::io::Read;
        let sock = match self {
            Socket::Tcp(s) => socket2::SockRef::from(s),
            Socket::Unix(s) => socket2::SockRef::from(s),
        };
        let mut buf = vec![0u8; max];
        match (&*sock).read(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                buf
            }
            Err(_) => Vec::new(),
        }
    }

    #[cfg(not(unix))]
    pub(crate) fn take_ready(&self, _max: usize) -> Vec<u8> {
        Vec::new()
    }

    /// How many bytes wait to be read, looked at without taking them or waiting (0 if none).
    #[cfg(unix)]
    pub(crate) fn waiting(&self) -> usize {
        let mut probe = [std::mem::MaybeUninit::<u8>::uninit(); 512];
        let peeked = match self {
            Socket::Tcp(s) => socket2::SockRef::from(s).peek(&mut probe),
            Socket::Unix(s) => socket2::SockRef::from(s).peek(&mut probe),
        };
        peeked.unwrap_or(0)
    }

    #[cfg(not(unix))]
    pub(crate) fn waiting(&self) -> usize {
        0
    }
}

/// Connect to the Unix socket at `path` (no timeout here: the caller bounds it).
#[cfg(unix)]
pub(crate) async fn connect_unix(path: &Path) -> Result<Socket, (String, ConnectFailure)> {
    let len = path.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err((
            format!(
                "the path is {len} bytes long; a Unix socket path may have at most {MAX_SOCKET_PATH}"
            ),
            ConnectFailure::Other,
        ));
    }
    UnixStream::connect(path)
        .await
        .map(Socket::Unix)
        .map_err(|e| unix_reason(&e))
}

#[cfg(not(unix))]
pub(crate) async fn connect_unix(_path: &Path) -> Result<Socket, (String, ConnectFailure)> {
    Err((
        "Unix domain sockets exist only on Unix".to_owned(),
        ConnectFailure::Other,
    ))
}

/// Why connecting to a Unix socket failed, in a mail administrator's words.
#[cfg(unix)]
fn unix_reason(e: &io::Error) -> (String, ConnectFailure) {
    match e.kind() {
        io::ErrorKind::NotFound => (
            "no such socket (nothing listens at this path: is the server running, and is this its socket?)".to_owned(),
            ConnectFailure::Refused,
        ),
        io::ErrorKind::ConnectionRefused => (
            "connection refused (the path is not a socket, or nothing accepts on it)".to_owned(),
            ConnectFailure::Refused,
        ),
        io::ErrorKind::PermissionDenied => (
            "permission denied (this user may not use the socket or a directory above it)"
                .to_owned(),
            ConnectFailure::Other,
        ),
        io::ErrorKind::NotADirectory => (
            "a part of the path is not a directory".to_owned(),
            ConnectFailure::Other,
        ),
        _ => (e.to_string(), ConnectFailure::Other),
    }
}

impl Socket {
    fn io(&mut self) -> io::Result<&mut dyn Io> {
        match self {
            Socket::Tcp(s) => Ok(s),
            #[cfg(unix)]
            Socket::Unix(s) => Ok(s),
        }
    }
}

delegate_io!(impl<> for Socket);
