//! The built-in server driven by the project's own client transport.

use std::time::Duration;

use super::{RunningServer, ServerConfig, ServerError, start};
use crate::protocol::{Capabilities, Limits, Reply, b64_encode, encode_data, plain_response};
use crate::transport::{Connection, TlsParams, TransportError};

const T: Duration = Duration::from_secs(5);
const USER: &str = "user1@contoso.com";
const PASS: &str = "P@$$w0rd";

fn config() -> ServerConfig {
    ServerConfig {
        users: vec![(USER.to_owned(), PASS.to_owned())],
        ..ServerConfig::default()
    }
}

async fn client(server: &RunningServer) -> Connection {
    let addr = server.smtp_addr();
    let (mut c, _) = Connection::connect(
        &addr.ip().to_string(),
        addr.port(),
        T,
        None,
        Limits::default(),
    )
    .await
    .unwrap();
    let greeting = c.read_reply(T).await.unwrap();
    assert_eq!(greeting.code.value(), 220);
    c
}

async fn cmd(c: &mut Connection, line: &str) -> Reply {
    c.send(format!("{line}\r\n").as_bytes(), T).await.unwrap();
    c.read_reply(T).await.unwrap()
}

/// `"250 2.1.0 Sender OK"` for a one-line reply.
async fn said(c: &mut Connection, line: &str) -> String {
    let r = cmd(c, line).await;
    format!("{} {}", r.code, r.text())
}

fn trust(server: &RunningServer) -> (tempfile::NamedTempFile, TlsParams) {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, server.ca_pem().as_bytes()).unwrap();
    let params = TlsParams {
        server_name: "localhost".into(),
        ca_files: vec![f.path().to_path_buf()],
        insecure: false,
        ..TlsParams::default()
    };
    (f, params)
}

#[tokio::test]
async fn the_seed_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerConfig {
        maildir: Some(dir.path().to_path_buf()),
        ..config()
    })
    .await
    .unwrap();
    let addr = server.smtp_addr();
    let (mut c, _) = Connection::connect("127.0.0.1", addr.port(), T, None, Limits::default())
        .await
        .unwrap();
    let greeting = c.read_reply(T).await.unwrap();
    assert!(
        greeting
            .text()
            .starts_with("localhost Microsoft ESMTP MAIL Service ready at "),
        "{greeting:?}"
    );

    let ehlo = cmd(&mut c, "ehlo smtp.contoso.com").await;
    assert_eq!(ehlo.code.value(), 250);
    assert_eq!(ehlo.lines[0], "localhost Hello [127.0.0.1]");
    let caps = Capabilities::parse(&ehlo);
    assert!(caps.has("STARTTLS") && caps.has_param("AUTH", "LOGIN"));
    assert_eq!(caps.params("SIZE"), ["37748736"]);
    assert_eq!(ehlo.lines.last().unwrap(), "SMTPUTF8");

    assert_eq!(
        said(&mut c, "STARTTLS").await,
        "220 2.0.0 SMTP server ready"
    );
    let (_ca, params) = trust(&server);
    let info = c.start_tls(&params, T).await.unwrap();
    let cert = info.cert.unwrap();
    assert_eq!(cert.issuer, "CN=smtp-plan serve CA");
    assert_eq!(cert.names, ["localhost", "127.0.0.1", "::1"]);

    // MAIL needs a fresh EHLO after TLS
    assert_eq!(
        said(&mut c, "mail from:user1@contoso.com").await,
        "503 5.5.2 Send hello first"
    );
    let ehlo = Capabilities::parse(&cmd(&mut c, "ehlo smtp.contoso.com").await);
    assert!(!ehlo.has("STARTTLS"));
    assert!(ehlo.has_param("AUTH", "PLAIN"));

    assert_eq!(said(&mut c, "AUTH LOGIN").await, "334 VXNlcm5hbWU6");
    assert_eq!(
        said(&mut c, &b64_encode(USER.as_bytes())).await,
        "334 UGFzc3dvcmQ6"
    );
    assert_eq!(
        said(&mut c, &b64_encode(PASS.as_bytes())).await,
        "235 2.7.0 Authentication successful"
    );
    assert_eq!(
        said(&mut c, "mail from:user1@contoso.com").await,
        "250 2.1.0 Sender OK"
    );
    assert_eq!(
        said(&mut c, "rcpt to:user2@contoso.com").await,
        "250 2.1.5 Recipient OK"
    );
    assert_eq!(
        said(&mut c, "data").await,
        "354 Start mail input; end with <CRLF>.<CRLF>"
    );
    let text = "subject: Test OpenSSL Mail-Enabled User\n\nTest from mail-enabled user\n.hidden\n";
    c.send(&encode_data(text), T).await.unwrap();
    let queued = c.read_reply(T).await.unwrap();
    assert_eq!(queued.code.value(), 250);
    let t = queued.text();
    let id = t
        .strip_prefix("2.6.0 <")
        .and_then(|r| {
            r.strip_suffix(
                "@localhost> [InternalId=1, Hostname=localhost] Queued mail for delivery",
            )
        })
        .unwrap_or_else(|| panic!("{t}"));
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));

    assert_eq!(
        said(&mut c, "QUIT").await,
        "221 2.0.0 Service closing transmission channel"
    );
    assert_eq!(
        c.wait_close(T).await.unwrap(),
        crate::transport::CloseSeen::Closed
    );

    let files: Vec<_> = std::fs::read_dir(dir.path().join("new"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].to_string_lossy().contains(id));
    let stored = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        stored.starts_with(
            "X-Envelope-From: <user1@contoso.com>\r\nX-Envelope-To: <user2@contoso.com>\r\nReceived: from smtp.contoso.com ([127.0.0.1]) by localhost (smtp-plan serve)\r\n with ESMTPSA id "
        ),
        "{stored}"
    );
    assert!(
        stored.ends_with(
            "\r\nsubject: Test OpenSSL Mail-Enabled User\r\n\r\nTest from mail-enabled user\r\n.hidden\r\n"
        ),
        "{stored}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    server.shutdown().await;
}

#[tokio::test]
async fn anonymous_mail_and_wrong_password() {
    let server = start(config()).await.unwrap();
    let mut c = client(&server).await;
    assert_eq!(
        said(&mut c, "MAIL FROM:<a@b>").await,
        "503 5.5.2 Send hello first"
    );
    cmd(&mut c, "EHLO me").await;
    assert_eq!(
        said(&mut c, "MAIL FROM:<a@b>").await,
        "530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM"
    );
    let wrong = plain_response(USER, "nope");
    assert_eq!(
        said(&mut c, &format!("AUTH PLAIN {wrong}")).await,
        "535 5.7.3 Authentication unsuccessful"
    );
    // PLAIN without an initial response: an empty 334 challenge
    let r = cmd(&mut c, "AUTH PLAIN").await;
    assert_eq!((r.code.value(), r.text()), (334, String::new()));
    assert_eq!(
        said(&mut c, &plain_response(USER, PASS)).await,
        "235 2.7.0 Authentication successful"
    );
    assert_eq!(
        said(&mut c, "AUTH LOGIN").await,
        "503 5.5.2 Already authenticated"
    );
    assert_eq!(said(&mut c, "MAIL FROM:<a@b>").await, "250 2.1.0 Sender OK");
    assert_eq!(
        said(&mut c, "MAIL FROM:<a@b>").await,
        "503 5.5.2 Sender already specified"
    );
    assert_eq!(said(&mut c, "DATA").await, "503 5.5.2 Need rcpt command");
    assert_eq!(said(&mut c, "RSET").await, "250 2.0.0 Resetting");
    assert_eq!(
        said(&mut c, "RCPT TO:<c@d>").await,
        "503 5.5.2 Need mail command"
    );
    assert_eq!(said(&mut c, "DATA").await, "503 5.5.2 Need mail command");
    server.shutdown().await;
}

#[tokio::test]
async fn other_commands_and_sasl_edges() {
    let server = start(config()).await.unwrap();
    let mut c = client(&server).await;
    assert_eq!(
        said(&mut c, "HELO me").await,
        "250 localhost Hello [127.0.0.1]"
    );
    assert_eq!(
        said(&mut c, "LHLO me").await,
        "500 5.3.3 Unrecognized command"
    );
    assert_eq!(
        said(&mut c, "XYZZY").await,
        "500 5.3.3 Unrecognized command"
    );
    assert_eq!(
        said(&mut c, "MAIL TO:<x>").await,
        "501 5.5.4 Invalid arguments"
    );
    assert_eq!(said(&mut c, "NOOP").await, "250 2.0.0 OK");
    assert_eq!(
        said(&mut c, "VRFY postmaster").await,
        "252 2.1.5 Cannot VRFY user"
    );
    assert_eq!(
        said(&mut c, "AUTH DIGEST-MD5").await,
        "504 5.7.4 Unrecognized authentication type"
    );
    cmd(&mut c, "AUTH LOGIN").await;
    assert_eq!(
        said(&mut c, "*").await,
        "501 5.0.0 Authentication cancelled"
    );
    cmd(&mut c, "AUTH LOGIN").await;
    assert_eq!(
        said(&mut c, "!!!").await,
        "501 5.5.2 Cannot Decode response"
    );
    // AUTH LOGIN with the username as initial response
    assert_eq!(
        said(
            &mut c,
            &format!("AUTH LOGIN {}", b64_encode(USER.as_bytes()))
        )
        .await,
        "334 UGFzc3dvcmQ6"
    );
    assert_eq!(
        said(&mut c, &b64_encode(PASS.as_bytes())).await,
        "235 2.7.0 Authentication successful"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn message_size_is_enforced() {
    let server = start(ServerConfig {
        max_message_bytes: 100,
        require_auth: false,
        ..config()
    })
    .await
    .unwrap();
    let mut c = client(&server).await;
    cmd(&mut c, "EHLO me").await;
    assert_eq!(
        said(&mut c, "MAIL FROM:<a@b> SIZE=1000").await,
        "552 5.3.4 Message size exceeds fixed maximum message size"
    );
    cmd(&mut c, "MAIL FROM:<a@b>").await;
    cmd(&mut c, "RCPT TO:<c@d>").await;
    cmd(&mut c, "DATA").await;
    c.send(&encode_data(&"x".repeat(500)), T).await.unwrap();
    let r = c.read_reply(T).await.unwrap();
    assert_eq!(
        format!("{} {}", r.code, r.text()),
        "552 5.3.4 Message size exceeds fixed maximum message size"
    );
    // the transaction is over; a small message goes through
    cmd(&mut c, "MAIL FROM:<a@b>").await;
    cmd(&mut c, "RCPT TO:<c@d>").await;
    cmd(&mut c, "DATA").await;
    c.send(&encode_data("hi"), T).await.unwrap();
    assert_eq!(c.read_reply(T).await.unwrap().code.value(), 250);
    server.shutdown().await;
}

#[tokio::test]
async fn implicit_tls_port() {
    let server = start(ServerConfig {
        tls_listen: Some("127.0.0.1:0".parse().unwrap()),
        ..config()
    })
    .await
    .unwrap();
    let addr = server.smtps_addr().unwrap();
    let (_ca, params) = trust(&server);
    let (mut c, info) = Connection::connect(
        "127.0.0.1",
        addr.port(),
        T,
        Some(&params),
        Limits::default(),
    )
    .await
    .unwrap();
    assert_eq!(info.unwrap().version, "TLSv1.3");
    assert_eq!(c.read_reply(T).await.unwrap().code.value(), 220);
    let ehlo = Capabilities::parse(&cmd(&mut c, "EHLO me").await);
    assert!(!ehlo.has("STARTTLS") && ehlo.has("AUTH"));
    assert_eq!(said(&mut c, "STARTTLS").await, "503 5.5.2 Already in TLS");
    server.shutdown().await;
}

#[tokio::test]
async fn only_loopback_is_bound() {
    let err = start(ServerConfig {
        listen: "0.0.0.0:2525".parse().unwrap(),
        ..config()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, ServerError::NotLoopback { .. }));
    assert_eq!(
        err.to_string(),
        "refusing to listen on 0.0.0.0:2525: the built-in server only binds loopback addresses (127.0.0.0/8, ::1)"
    );
    let err = start(ServerConfig {
        tls_listen: Some("[::]:0".parse().unwrap()),
        ..config()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, ServerError::NotLoopback { .. }));
    let err = start(ServerConfig {
        hostname: "bad\r\nname".into(),
        ..config()
    })
    .await
    .unwrap_err();
    assert!(matches!(err, ServerError::Hostname(_)));
}

#[tokio::test]
async fn idle_timeout_long_lines_and_too_many_errors() {
    let server = start(ServerConfig {
        timeout: Duration::from_millis(200),
        ..config()
    })
    .await
    .unwrap();
    let mut c = client(&server).await;
    let r = c.read_reply(T).await.unwrap();
    assert_eq!(
        format!("{} {}", r.code, r.text()),
        "421 4.4.1 Connection timed out"
    );
    assert_eq!(
        c.wait_close(T).await.unwrap(),
        crate::transport::CloseSeen::Closed
    );

    let mut c = client(&server).await;
    c.send(&vec![b'A'; 100_000], T).await.unwrap();
    let r = c.read_reply(T).await.unwrap();
    assert_eq!(
        format!("{} {}", r.code, r.text()),
        "500 5.5.6 Line too long"
    );
    assert_eq!(
        c.wait_close(T).await.unwrap(),
        crate::transport::CloseSeen::Closed
    );

    let mut c = client(&server).await;
    for _ in 0..9 {
        assert_eq!(cmd(&mut c, "BOGUS").await.code.value(), 500);
    }
    assert_eq!(
        said(&mut c, "BOGUS").await,
        "421 4.7.0 Too many errors on this connection, closing transmission channel"
    );
    assert_eq!(
        c.wait_close(T).await.unwrap(),
        crate::transport::CloseSeen::Closed
    );
    // the server is still there
    let mut c = client(&server).await;
    assert_eq!(said(&mut c, "NOOP").await, "250 2.0.0 OK");
    server.shutdown().await;
}

#[tokio::test]
async fn plaintext_pipelined_after_starttls_is_discarded() {
    let server = start(config()).await.unwrap();
    let mut c = client(&server).await;
    cmd(&mut c, "EHLO me").await;
    c.send(b"STARTTLS\r\nAUTH LOGIN\r\n", T).await.unwrap();
    assert_eq!(c.read_reply(T).await.unwrap().code.value(), 220);
    let (_ca, params) = trust(&server);
    c.start_tls(&params, T).await.unwrap();
    // Had the injected AUTH been acted upon, this would not be a plain 250.
    assert_eq!(said(&mut c, "NOOP").await, "250 2.0.0 OK");
    let ehlo = cmd(&mut c, "EHLO me").await;
    assert_eq!(ehlo.code.value(), 250);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_open_connections() {
    let server = start(config()).await.unwrap();
    let mut c = client(&server).await;
    server.shutdown().await;
    let r = c.read_reply(T).await;
    assert!(matches!(r, Err(TransportError::Closed { .. })), "{r:?}");
}
