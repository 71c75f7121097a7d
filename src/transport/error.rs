use std::time::Duration;

use crate::protocol::ReplyError;

/// Why a conversation could not go on. Never "the server said 5xx": a reply is data.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("could not connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("no reply within {}", crate::duration::format_duration(*.after))]
    Timeout {
        after: Duration,
        partial: Vec<String>,
    },
    #[error("the server closed the connection")]
    Closed { partial: Vec<String> },
    #[error("the server sent a line longer than {max} bytes")]
    LineTooLong { max: usize },
    #[error(transparent)]
    Reply(#[from] ReplyError),
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The `ca_file` could not be read or holds no usable certificate.
    #[error("cannot use ca_file {}: {reason}", .path.display())]
    CaFile {
        path: std::path::PathBuf,
        reason: String,
    },
    /// The client certificate or its key could not be read or used.
    #[error("cannot use client certificate {}: {reason}", .path.display())]
    ClientCert {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error(
        "the server sent {bytes} bytes of plaintext after its 220 to STARTTLS (possible command injection); refusing to continue"
    )]
    PlaintextAfterStarttls { bytes: usize },
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
