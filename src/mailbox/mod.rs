//! Reading delivered mail: IMAP (async-imap over the project's TLS) and Maildir directories,
//! and the delivered message parsed (mail-parser). Every read is bounded in size and time.
//! Knows nothing of plans or reports.

mod bounded;
mod delivered;
mod error;
mod found;
mod imap;
mod maildir;

pub use delivered::{AttachmentInfo, Delivered, bracketed, parse_delivered, parse_message_id};
pub use error::MailboxError;
pub use found::{CLOCK_SLACK, Found, Looked, MAX_MESSAGE_BYTES};
pub use imap::{ImapBox, ImapLogin};
pub use maildir::Maildir;
