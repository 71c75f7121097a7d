//! Reading delivered mail: IMAP (async-imap over the project's TLS) and Maildir directories,
//! and the delivered message parsed (mail-parser). Every read is bounded in size and time.
//! Knows nothing of plans or reports.

mod bounded;
mod delivered;
mod imap;
mod maildir;

pub use delivered::{AttachmentInfo, Delivered, parse_delivered, parse_message_id};
pub use imap::{ImapBox, ImapLogin};
pub use maildir::Maildir;

/// The largest delivered message smtp-plan reads (the same bound as a message file).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

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

/// A message found in a folder.
#[derive(Debug, Clone)]
pub struct Found {
    pub folder: String,
    pub raw: Vec<u8>,
    /// How many messages in this folder have the Message-ID (the first one is `raw`).
    pub copies: usize,
}

/// `<id@host>` with the angle brackets, however it was given.
pub fn bracketed(id: &str) -> String {
    let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{bare}>")
}
