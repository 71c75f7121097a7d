//! Client transport against scripted servers on 127.0.0.1.

use std::time::{Duration, Instant};

use rcgen::{Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::{Connection, TlsParams, TransportError};
use crate::protocol::{Limits, ReplyError};
use crate::server::cert::{ca_params, server_cert_params, server_tls_config};

const SHORT: Duration = Duration::from_millis(200);
const LONG: Duration = Duration::from_secs(5);

/// A listener whose first connection is handed to `script`.
async fn serve<F, Fut>(script: F) -> u16
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        script(s).await;
    });
    port
}

async fn connect(port: u16) -> Connection {
    Connection::connect("127.0.0.1", port, LONG, None, Limits::default())
        .await
        .unwrap()
        .0
}

/// Hold the socket open without writing, until the peer goes away.
async fn linger(mut s: impl tokio::io::AsyncRead + Unpin) {
    let mut b = [0u8; 64];
    while let Ok(n) = s.read(&mut b).await {
        if n == 0 {
            break;
        }
    }
}

#[tokio::test]
async fn reads_a_multi_line_reply() {
    let port = serve(|mut s| async move {
        s.write_all(b"250-mail.example Hello\r\n250-SIZE 100\n250 STARTTLS\r\n220 next\r\n")
            .await
            .unwrap();
        linger(s).await;
    })
    .await;
    let mut c = connect(port).await;
    let r = c.read_reply(LONG).await.unwrap();
    assert_eq!(r.code.value(), 250);
    assert_eq!(r.lines, ["mail.example Hello", "SIZE 100", "STARTTLS"]);
    assert_eq!(c.read_reply(LONG).await.unwrap().code.value(), 220);
    assert!(!c.is_tls());
}

#[tokio::test]
async fn silence_times_out_within_the_bound() {
    let port = serve(|mut s| async move {
        s.write_all(b"250-partial\r\n250-unfinish").await.unwrap();
        linger(s).await;
    })
    .await;
    let mut c = connect(port).await;
    let start = Instant::now();
    let err = c.read_reply(SHORT).await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    match err {
        TransportError::Timeout { after, partial } => {
            assert_eq!(after, SHORT);
            assert_eq!(partial, ["250-partial", "250-unfinish"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.wait_close(SHORT).await.unwrap_err().to_string(),
        "no reply within 200ms"
    );
}

#[tokio::test]
async fn an_endless_line_is_refused() {
    let port = serve(|mut s| async move {
        let _ = s.write_all(&vec![b'2'; 1 << 20]).await;
        linger(s).await;
    })
    .await;
    let mut c = connect(port).await;
    let err = c.read_reply(LONG).await.unwrap_err();
    assert!(
        matches!(err, TransportError::LineTooLong { max: 8192 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn close_mid_reply_keeps_the_partial_lines() {
    let port = serve(|mut s| async move {
        s.write_all(b"250-first\r\n250-sec").await.unwrap();
    })
    .await;
    let mut c = connect(port).await;
    match c.read_reply(LONG).await.unwrap_err() {
        TransportError::Closed { partial } => assert_eq!(partial, ["250-first", "250-sec"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.wait_close(SHORT).await.unwrap(),
        crate::transport::CloseSeen::Closed
    );
}

#[tokio::test]
async fn garbage_is_malformed_and_bytes_are_lossy() {
    let port = serve(|mut s| async move {
        s.write_all(b"250 caf\xe9\r\nHTTP/1.1 400 Bad Request\r\n")
            .await
            .unwrap();
        linger(s).await;
    })
    .await;
    let mut c = connect(port).await;
    assert_eq!(c.read_reply(LONG).await.unwrap().lines, ["caf\u{fffd}"]);
    let err = c.read_reply(LONG).await.unwrap_err();
    assert!(
        matches!(err, TransportError::Reply(ReplyError::Malformed { ref line }) if line == "HTTP/1.1 400 Bad Request"),
        "{err:?}"
    );
}

#[tokio::test]
async fn connect_errors_read_well() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = Connection::connect("127.0.0.1", port, LONG, None, Limits::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("could not connect to 127.0.0.1:{port}: connection refused")
    );
    let err = Connection::connect("no-such-host.invalid", 25, LONG, None, Limits::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not connect to no-such-host.invalid:25: no address for host"),
        "{err}"
    );
}

#[tokio::test]
async fn connects_to_ipv6_literals() {
    let Ok(listener) = TcpListener::bind("[::1]:0").await else {
        return; // no IPv6 on this machine
    };
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(b"220 v6\r\n").await.unwrap();
        linger(s).await;
    });
    let (mut c, _) = Connection::connect("::1", port, LONG, None, Limits::default())
        .await
        .unwrap();
    assert_eq!(c.read_reply(LONG).await.unwrap().lines, ["v6"]);
}

#[tokio::test]
async fn plaintext_after_starttls_is_refused() {
    let port = serve(|mut s| async move {
        let mut b = [0u8; 64];
        let _ = s.read(&mut b).await;
        s.write_all(b"220 2.0.0 go ahead\r\nMAIL FROM:<evil@example>\r\n")
            .await
            .unwrap();
        linger(s).await;
    })
    .await;
    let mut c = connect(port).await;
    c.send(b"STARTTLS\r\n", LONG).await.unwrap();
    assert_eq!(c.read_reply(LONG).await.unwrap().code.value(), 220);
    let err = c.start_tls(&TlsParams::default(), LONG).await.unwrap_err();
    assert!(
        matches!(err, TransportError::PlaintextAfterStarttls { bytes: 26 }),
        "{err:?}"
    );
}

// ---- TLS -------------------------------------------------------------------------------

pub(super) struct Pki {
    ca_pem: String,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

/// A CA ("Test CA") and a leaf for `names`, optionally expired, or a self-signed leaf.
pub(super) fn pki(names: &[&str], expired: bool, self_signed: bool) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params("Test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = server_cert_params(names).unwrap();
    if expired {
        leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = if self_signed {
        leaf.use_authority_key_identifier_extension = false;
        leaf.self_signed(&key).unwrap()
    } else {
        leaf.signed_by(&key, &Issuer::new(ca, ca_key)).unwrap()
    };
    Pki {
        ca_pem: ca_cert.pem(),
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

pub(super) fn acceptor(pki: &Pki) -> TlsAcceptor {
    let config = server_tls_config(
        vec![pki.cert.clone()],
        pki.key.clone_key(),
        rustls::DEFAULT_VERSIONS,
    );
    TlsAcceptor::from(config.unwrap())
}

/// An implicit-TLS server that greets with 220 once the handshake is done.
async fn tls_server(pki: &Pki) -> u16 {
    let acceptor = acceptor(pki);
    serve(|s| async move {
        if let Ok(mut tls) = acceptor.accept(s).await {
            let _ = tls.write_all(b"220 tls ready\r\n").await;
            linger(tls).await;
        }
    })
    .await
}

fn ca_file(pki: &Pki) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, pki.ca_pem.as_bytes()).unwrap();
    f
}

async fn tls_error(port: u16, params: TlsParams) -> String {
    match Connection::connect("127.0.0.1", port, LONG, Some(&params), Limits::default()).await {
        Err(TransportError::Tls { message, .. }) => message,
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("handshake succeeded"),
    }
}

#[tokio::test]
async fn starttls_with_a_trusted_ca() {
    let pki = pki(&["localhost", "127.0.0.1"], false, false);
    let acceptor = acceptor(&pki);
    let port = serve(|mut s| async move {
        s.write_all(b"220 plain\r\n").await.unwrap();
        let mut b = [0u8; 64];
        let n = s.read(&mut b).await.unwrap();
        assert_eq!(&b[..n], b"STARTTLS\r\n");
        s.write_all(b"220 2.0.0 SMTP server ready\r\n")
            .await
            .unwrap();
        let mut tls = acceptor.accept(s).await.unwrap();
        let n = tls.read(&mut b).await.unwrap();
        assert_eq!(&b[..n], b"NOOP\r\n");
        tls.write_all(b"250 2.0.0 OK\r\n").await.unwrap();
        linger(tls).await;
    })
    .await;
    let ca = ca_file(&pki);
    let mut c = connect(port).await;
    c.read_reply(LONG).await.unwrap();
    c.send(b"STARTTLS\r\n", LONG).await.unwrap();
    assert_eq!(c.read_reply(LONG).await.unwrap().code.value(), 220);
    let params = TlsParams {
        server_name: String::new(), // the connect host, an IP: no SNI, IP SAN checked
        ca_files: vec![ca.path().to_path_buf()],
        insecure: false,
        ..TlsParams::default()
    };
    let info = c.start_tls(&params, LONG).await.unwrap();
    assert!(c.is_tls());
    assert_eq!(info.version, "TLSv1.3");
    assert!(info.cipher.starts_with("TLS13_"), "{}", info.cipher);
    let cert = info.cert.unwrap();
    assert_eq!(cert.subject, "CN=localhost");
    assert_eq!(cert.issuer, "CN=Test CA");
    assert_eq!(cert.names, ["localhost", "127.0.0.1"]);
    assert!(cert.days_left > 300, "{cert:?}");
    c.send(b"NOOP\r\n", LONG).await.unwrap();
    assert_eq!(c.read_reply(LONG).await.unwrap().text(), "2.0.0 OK");
    let again = c.start_tls(&params, LONG).await.unwrap_err();
    assert_eq!(
        again.to_string(),
        "TLS handshake failed: the connection already uses TLS"
    );
}

/// A `ca_file` that vouches for the server: the system trust store is not read for it, and
/// handshakes with the same settings share one configuration; a server it does not vouch for
/// is checked against the system roots too (and still refused).
#[tokio::test]
async fn the_system_store_is_read_only_when_a_ca_file_does_not_verify() {
    let trusted = pki(&["localhost", "127.0.0.1"], false, false);
    let ca = ca_file(&trusted);
    let params = TlsParams {
        ca_files: vec![ca.path().to_path_buf()],
        ..TlsParams::default()
    };
    for _ in 0..2 {
        let port = tls_server(&trusted).await;
        let (_conn, info) =
            Connection::connect("127.0.0.1", port, LONG, Some(&params), Limits::default())
                .await
                .unwrap();
        assert_eq!(info.unwrap().cert.unwrap().subject, "CN=localhost");
    }
    let (_, first) = super::tls_config::client_config(&params).unwrap();
    let (_, second) = super::tls_config::client_config(&params).unwrap();
    assert!(first.shares_settings_with(&second));
    assert!(!first.used_system_roots());

    let other = pki(&["localhost", "127.0.0.1"], false, false);
    let port = tls_server(&other).await;
    let reason = tls_error(port, params.clone()).await;
    assert!(reason.contains("is issued by CN=Test CA"), "{reason}");
    let (_, third) = super::tls_config::client_config(&params).unwrap();
    assert!(third.used_system_roots());
}

#[tokio::test]
async fn untrusted_issuer_and_self_signed() {
    let issued = pki(&["localhost"], false, false);
    let port = tls_server(&issued).await;
    let params = TlsParams {
        server_name: "localhost".into(),
        ..TlsParams::default()
    };
    assert_eq!(
        tls_error(port, params.clone()).await,
        "certificate CN=localhost is issued by CN=Test CA, which is not trusted (use ca_file or insecure)"
    );
    let own = pki(&["localhost"], false, true);
    let port = tls_server(&own).await;
    assert_eq!(
        tls_error(port, params.clone()).await,
        format!(
            "self-signed certificate CN=localhost, not issued by a trusted CA; to trust exactly this certificate, give it as `ca_file` or write `pin_sha256: {}`; or use insecure",
            crate::transport::fingerprint(own.cert.as_ref())
        )
    );
    // insecure accepts it and still reports the certificate
    let port = tls_server(&own).await;
    let insecure = TlsParams {
        insecure: true,
        ..params
    };
    let (mut c, info) =
        Connection::connect("127.0.0.1", port, LONG, Some(&insecure), Limits::default())
            .await
            .unwrap();
    assert_eq!(info.unwrap().cert.unwrap().subject, "CN=localhost");
    assert_eq!(c.read_reply(LONG).await.unwrap().lines, ["tls ready"]);
    assert!(c.is_tls());
}

#[tokio::test]
async fn wrong_name_lists_both_sides() {
    let pki = pki(&["localhost", "127.0.0.1"], false, false);
    let ca = ca_file(&pki);
    let port = tls_server(&pki).await;
    let params = TlsParams {
        server_name: "mail.example.com".into(),
        ca_files: vec![ca.path().to_path_buf()],
        insecure: false,
        ..TlsParams::default()
    };
    assert_eq!(
        tls_error(port, params).await,
        "certificate CN=localhost is not valid for \"mail.example.com\"; it holds: localhost, 127.0.0.1"
    );
}

#[tokio::test]
async fn expired_certificate() {
    let pki = pki(&["localhost"], true, false);
    let ca = ca_file(&pki);
    let port = tls_server(&pki).await;
    let params = TlsParams {
        server_name: "localhost".into(),
        ca_files: vec![ca.path().to_path_buf()],
        insecure: false,
        ..TlsParams::default()
    };
    let reason = tls_error(port, params).await;
    assert!(
        reason.starts_with("certificate CN=localhost expired on 2021-01-01 ("),
        "{reason}"
    );
}

#[tokio::test]
async fn old_tls_versions_are_named() {
    // A TLS 1.0-only server answers a modern ClientHello with a protocol_version alert.
    let port = serve(|mut s| async move {
        let mut b = [0u8; 2048];
        let _ = s.read(&mut b).await;
        let _ = s
            .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
            .await;
        linger(s).await;
    })
    .await;
    let reason = tls_error(port, TlsParams::default()).await;
    assert!(reason.contains("TLS 1.0/1.1"), "{reason}");
}

#[tokio::test]
async fn plaintext_port_and_bad_ca_file() {
    let port = serve(|mut s| async move {
        let _ = s.write_all(b"220 plain ESMTP\r\n").await;
        linger(s).await;
    })
    .await;
    let reason = tls_error(port, TlsParams::default()).await;
    assert!(reason.contains("plaintext port"), "{reason}");

    let params = TlsParams {
        ca_files: vec!["/nonexistent/ca.pem".into()],
        ..TlsParams::default()
    };
    let err = Connection::connect("127.0.0.1", port, LONG, Some(&params), Limits::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot use ca_file /nonexistent/ca.pem: "),
        "{err}"
    );
}
