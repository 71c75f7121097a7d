//! A message found in a folder, as raw bytes, and the most smtp-plan reads of one.

use std::time::{Duration, SystemTime};

/// The largest delivered message smtp-plan reads (the same bound as a message file).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// How much earlier than the message was sent a copy may have been delivered and still be
/// taken for it: IMAP's INTERNALDATE has whole seconds, and the server's clock may be a little
/// behind this machine's.
pub const CLOCK_SLACK: Duration = Duration::from_secs(2);

/// A message found in a folder.
#[derive(Debug, Clone)]
pub struct Found {
    pub folder: String,
    pub raw: Vec<u8>,
    /// How many messages in this folder have the Message-ID (the first one is `raw`); copies
    /// delivered before `not_before` are not counted.
    pub copies: usize,
}

/// What one look in a folder found: the message, and how many copies with its Message-ID
/// were left aside because they were delivered before this run sent it.
#[derive(Debug, Clone, Default)]
pub struct Looked {
    pub found: Option<Found>,
    pub earlier: usize,
}

/// Whether a copy delivered at `delivered` is older than the message looked for: delivered
/// before `not_before` (when the message was sent), by more than [`CLOCK_SLACK`].
pub fn delivered_earlier(delivered: SystemTime, not_before: Option<SystemTime>) -> bool {
    not_before.is_some_and(|sent| delivered + CLOCK_SLACK < sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_earlier_only_past_the_slack() {
        let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        assert!(delivered_earlier(at(999_997), Some(sent)));
        assert!(!delivered_earlier(at(999_998), Some(sent)));
        assert!(!delivered_earlier(at(1_000_005), Some(sent)));
        assert!(!delivered_earlier(at(0), None));
    }
}
