//! Why a mailbox could not be read.

/// Why a mailbox could not be read. Texts are worded for a mail administrator.
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("cannot connect to IMAP server {addr}: {reason}")]
    Connect {
        addr: String,
        reason: String,
        /// Nothing listens there.
        refused: bool,
        timed_out: bool,
    },
    #[error("IMAP: {0}")]
    Imap(String),
    #[error("IMAP login as {user} failed: {reason}")]
    Login { user: String, reason: String },
    #[error("{0}")]
    Tls(crate::transport::TransportError),
    #[error("IMAP: no answer to {what} within {after}")]
    Timeout { what: String, after: String },
    #[error("the message is {size} bytes, more than the {max} bytes smtp-plan reads")]
    TooBig { size: u64, max: usize },
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
}
