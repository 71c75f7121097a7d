//! A stream (TCP, or a Unix socket for the client) that may have been upgraded to TLS, for the
//! client and the server alike.

use std::io;

use tokio::net::TcpStream;

use super::io::{Io, delegate_io};
use super::socket::Socket;

/// `T` is `tokio_rustls::client::TlsStream<P>` or its server twin; `P` what runs under it.
#[derive(Debug)]
pub(crate) enum Stream<T, P = TcpStream> {
    Plain(P),
    Tls(Box<T>),
    /// The TCP stream was handed to a TLS handshake that failed: nothing more can be done.
    Gone,
}

impl<T, P> Stream<T, P> {
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl Stream<tokio_rustls::client::TlsStream<Socket>, Socket> {
    /// The TCP socket underneath (none for a Unix socket).
    pub(crate) fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(s) => s.tcp(),
            Stream::Tls(s) => s.get_ref().0.tcp(),
            Stream::Gone => None,
        }
    }
}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the connection is unusable after a failed TLS handshake",
    )
}

impl<T: Io, P: Io> Stream<T, P> {
    fn io(&mut self) -> io::Result<&mut dyn Io> {
        match self {
            Stream::Plain(s) => Ok(s),
            Stream::Tls(s) => Ok(&mut **s),
            Stream::Gone => Err(gone()),
        }
    }
}

delegate_io!(impl<T: Io, P: Io> for Stream<T, P>);
