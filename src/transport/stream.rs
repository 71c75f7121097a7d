//! A stream (TCP, or a Unix socket for the client) that may have been upgraded to TLS, for the
//! client and the server alike.

use std::io;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

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

/// What a connection reads and writes: TCP, a Unix socket, or TLS over either.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin {}

impl<S: AsyncRead + AsyncWrite + Unpin + ?Sized> Io for S {}

/// `AsyncRead` and `AsyncWrite` for an enum of streams, each call going to the stream in use:
/// the type's `fn io(&mut self) -> io::Result<&mut dyn Io>` (an error: there is none, and
/// every call but a shutdown fails with it).
macro_rules! delegate_io {
    (impl<$($g:ident: $bound:path),*> for $ty:ty) => {
        impl<$($g: $bound),*> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                match self.get_mut().io() {
                    Ok(s) => tokio::io::AsyncRead::poll_read(std::pin::Pin::new(s), cx, buf),
                    Err(e) => std::task::Poll::Ready(Err(e)),
                }
            }
        }

        impl<$($g: $bound),*> tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                match self.get_mut().io() {
                    Ok(s) => tokio::io::AsyncWrite::poll_write(std::pin::Pin::new(s), cx, buf),
                    Err(e) => std::task::Poll::Ready(Err(e)),
                }
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                match self.get_mut().io() {
                    Ok(s) => tokio::io::AsyncWrite::poll_flush(std::pin::Pin::new(s), cx),
                    Err(e) => std::task::Poll::Ready(Err(e)),
                }
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                match self.get_mut().io() {
                    Ok(s) => tokio::io::AsyncWrite::poll_shutdown(std::pin::Pin::new(s), cx),
                    Err(_) => std::task::Poll::Ready(Ok(())),
                }
            }
        }
    };
}
pub(crate) use delegate_io;

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
