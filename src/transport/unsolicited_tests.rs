//! `Connection::unsolicited`: bytes the server sent that no command asked for are seen
//! without waiting — in the read buffer, and on the socket itself (plain and TLS) — and stay
//! there for the next read. The server thread and the test synchronise over channels: the
//! stray bytes are written only after the client has read the greeting, and looked for only
//! after the write returned (on loopback the bytes are then in the client's socket).

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::tests::{acceptor, pki};
use super::{Connection, TlsParams};
use crate::protocol::Limits;

const LONG: Duration = Duration::from_secs(5);

/// Greet, wait for `go`, write a stray line, say `written`, then hold the connection open.
async fn stray<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    go: oneshot::Receiver<()>,
    written: oneshot::Sender<()>,
) {
    s.write_all(b"220 hi\r\n").await.unwrap();
    s.flush().await.unwrap();
    go.await.unwrap();
    s.write_all(b"250 stray\r\n").await.unwrap();
    s.flush().await.unwrap();
    written.send(()).unwrap();
    let mut b = [0u8; 64];
    while let Ok(n) = s.read(&mut b).await {
        if n == 0 {
            break;
        }
    }
}

/// A server on 127.0.0.1 whose one connection, opened by `open` (as it is, or in TLS), plays
/// `stray`; and the two ends of the test's side of the channels.
struct Stray {
    port: u16,
    go: oneshot::Sender<()>,
    written: oneshot::Receiver<()>,
    server: JoinHandle<()>,
}

impl Stray {
    async fn serve<S, F, Fut>(open: F) -> Self
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
        F: FnOnce(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = S> + Send,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (go, go_rx) = oneshot::channel();
        let (written_tx, written) = oneshot::channel();
        let server = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            stray(open(s).await, go_rx, written_tx).await;
        });
        Self {
            port,
            go,
            written,
            server,
        }
    }

    async fn check(self, mut c: Connection) {
        assert_eq!(c.read_reply(LONG).await.unwrap().code.value(), 220);
        assert!(c.unsolicited().is_empty(), "nothing is due yet");
        self.go.send(()).unwrap();
        self.written.await.unwrap();
        assert_eq!(c.unsolicited(), b"250 stray\r\n");
        // Looked at, not lost: the next read gets it.
        assert_eq!(c.read_reply(LONG).await.unwrap().text(), "stray");
        assert!(c.unsolicited().is_empty());
        // The server holds the connection until the client closes it.
        drop(c);
        self.server.await.unwrap();
    }
}

#[tokio::test]
async fn stray_bytes_on_a_plain_socket_are_seen_without_waiting() {
    let stray = Stray::serve(|s| async { s }).await;
    let (c, _) = Connection::connect("127.0.0.1", stray.port, LONG, None, Limits::default())
        .await
        .unwrap();
    stray.check(c).await;
}

#[tokio::test]
async fn stray_bytes_inside_tls_are_seen_without_waiting() {
    let acceptor = acceptor(&pki(&["localhost"], false, true));
    let stray = Stray::serve(|s| async move { acceptor.accept(s).await.unwrap() }).await;
    let params = TlsParams {
        insecure: true,
        ..TlsParams::default()
    };
    let (c, info) = Connection::connect(
        "127.0.0.1",
        stray.port,
        LONG,
        Some(&params),
        Limits::default(),
    )
    .await
    .unwrap();
    assert_eq!(info.unwrap().version, "TLSv1.3");
    stray.check(c).await;
}
