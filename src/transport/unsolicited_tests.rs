//! `Connection::unsolicited`: bytes the server sent that no command asked for are seen
//! without waiting — in the read buffer, and on the socket itself (plain and TLS) — and stay
//! there for the next read. The server thread and the test synchronise over channels: the
//! stray bytes are written only after the client has read the greeting, and looked for only
//! after the write returned (on loopback the bytes are then in the client's socket).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

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

async fn check(mut c: Connection, go: oneshot::Sender<()>, written: oneshot::Receiver<()>) {
    assert_eq!(c.read_reply(LONG).await.unwrap().code.value(), 220);
    assert!(c.unsolicited().is_empty(), "nothing is due yet");
    go.send(()).unwrap();
    written.await.unwrap();
    assert_eq!(c.unsolicited(), b"250 stray\r\n");
    // Looked at, not lost: the next read gets it.
    assert_eq!(c.read_reply(LONG).await.unwrap().text(), "stray");
    assert!(c.unsolicited().is_empty());
}

#[tokio::test]
async fn stray_bytes_on_a_plain_socket_are_seen_without_waiting() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (go_tx, go_rx) = oneshot::channel();
    let (written_tx, written_rx) = oneshot::channel();
    let server = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        stray(s, go_rx, written_tx).await;
    });
    let (c, _) = Connection::connect("127.0.0.1", port, LONG, None, Limits::default())
        .await
        .unwrap();
    check(c, go_tx, written_rx).await;
    server.await.unwrap();
}

#[tokio::test]
async fn stray_bytes_inside_tls_are_seen_without_waiting() {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (go_tx, go_rx) = oneshot::channel();
    let (written_tx, written_rx) = oneshot::channel();
    let server = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(s).await.unwrap();
        stray(tls, go_rx, written_tx).await;
    });
    let params = TlsParams {
        insecure: true,
        ..TlsParams::default()
    };
    let (c, info) = Connection::connect("127.0.0.1", port, LONG, Some(&params), Limits::default())
        .await
        .unwrap();
    assert_eq!(info.unwrap().version, "TLSv1.3");
    check(c, go_tx, written_rx).await;
    server.await.unwrap();
}
