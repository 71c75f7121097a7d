//! A message found in a folder, as raw bytes, and the most smtp-plan reads of one.

/// The largest delivered message smtp-plan reads (the same bound as a message file).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// A message found in a folder.
#[derive(Debug, Clone)]
pub struct Found {
    pub folder: String,
    pub raw: Vec<u8>,
    /// How many messages in this folder have the Message-ID (the first one is `raw`).
    pub copies: usize,
}
