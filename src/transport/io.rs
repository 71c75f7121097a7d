//! What a connection reads and writes, and the I/O of an enum of streams (a socket of either
//! kind, a stream in TLS or not): one delegation for both.

use tokio::io::{AsyncRead, AsyncWrite};

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

            // Vectored writes go through whole: without these, a TLS handshake's records
            // (ChangeCipherSpec and Finished) would leave in one `send` each.
            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                match self.get_mut().io() {
                    Ok(s) => {
                        tokio::io::AsyncWrite::poll_write_vectored(std::pin::Pin::new(s), cx, bufs)
                    }
                    Err(e) => std::task::Poll::Ready(Err(e)),
                }
            }

            fn is_write_vectored(&self) -> bool {
                true
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
