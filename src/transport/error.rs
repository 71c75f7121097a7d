use std::time::Duration;

use super::tls_failure::TlsFailure;
use crate::duration::format_duration as human;
use crate::protocol::ReplyError;

/// Why a TCP connection could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// Nothing listens there (an RST to the SYN).
    Refused,
    /// No answer within the timeout.
    TimedOut,
    /// No address for the name, unreachable, or anything else.
    Other,
}

/// Why a conversation could not go on. Never "the server said 5xx": a reply is data.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("could not connect to {addr}: {reason}")]
    Connect {
        addr: String,
        reason: String,
        kind: ConnectFailure,
    },
    #[error("{}", timeout_text(*.after, .partial))]
    Timeout {
        after: Duration,
        partial: Vec<String>,
    },
    #[error("the server closed the connection")]
    Closed { partial: Vec<String> },
    #[error("the server reset the connection (TCP RST)")]
    Reset { partial: Vec<String> },
    #[error("the server sent a line longer than {max} bytes")]
    LineTooLong { max: usize },
    #[error(transparent)]
    Reply(#[from] ReplyError),
    #[error("TLS handshake failed: {message}")]
    Tls { kind: TlsFailure, message: String },
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

impl TransportError {
    pub fn tls(kind: TlsFailure, message: impl Into<String>) -> Self {
        Self::Tls {
            kind,
            message: message.into(),
        }
    }
}

/// One sentence for a timeout, whether nothing or part of a reply had come.
fn timeout_text(after: Duration, partial: &[String]) -> String {
    if partial.is_empty() {
        format!("no reply within {}", human(after))
    } else {
        format!(
            "the reply did not complete within {}; received so far: {}",
            human(after),
            partial.join(" / ")
        )
    }
}
