//! What a `mailbox` step did, as plain data for the reports (the JSON report's `mailbox`
//! object): where it looked and for how long, the message it found, and each check with
//! whether it held. Every text in it is redacted before it is stored.

use std::time::Duration;

/// One `mailbox` step's search and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct MailboxReport {
    /// `imap` or `maildir`.
    pub source: &'static str,
    /// Where it looked: `bob@example.test at imap 127.0.0.1:993`, `the Maildir /var/mail/bob`.
    pub place: String,
    /// The Message-ID looked for, with its angle brackets.
    pub message_id: String,
    /// The folders searched, in the order first searched.
    pub folders: Vec<String>,
    /// `within` and `poll` of the step.
    pub within: Duration,
    pub poll: Duration,
    /// How many times it looked, and for how long in all.
    pub looks: u32,
    pub waited: Duration,
    /// false for `arrives: false`: the message must stay away.
    pub must_arrive: bool,
    /// The message found, if it came.
    pub found: Option<FoundMessage>,
    /// Each check of `expect:`, in the order of the plan (empty when nothing was checked).
    pub checks: Vec<MailboxCheck>,
}

/// The message the step found.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundMessage {
    pub folder: String,
    /// Its size in bytes, as delivered.
    pub size: usize,
    /// Its MIME tree: `multipart/mixed(text/plain, text/csv)`.
    pub structure: String,
    /// How many messages in the folder had this Message-ID (the first is checked).
    pub copies: usize,
}

/// One check of a `mailbox` step's `expect:`.
#[derive(Debug, Clone, PartialEq)]
pub struct MailboxCheck {
    /// What was checked: `folder`, `header DKIM-Signature`, `body`, `attachment 1`,
    /// `structure`.
    pub what: String,
    /// What it had to be, in the plan's terms (`present`, `contains "dkim=pass"`, ...).
    pub expected: Vec<String>,
    /// What the message has there (the folder, the header's values, ...), cut and redacted;
    /// empty when there is nothing (a missing header) or it is not shown (the body).
    pub actual: Vec<String>,
    /// Why it did not hold; empty when it held.
    pub failures: Vec<String>,
}

impl MailboxCheck {
    pub fn held(&self) -> bool {
        self.failures.is_empty()
    }
}
