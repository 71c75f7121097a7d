//! A conversation as the reports read it: redacted lines, each marked with who said it.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Sent by smtp-plan.
    Client,
    /// Received from the server.
    Server,
    /// A note from smtp-plan (TLS upgrade, a connection, a warning).
    Info,
}

/// One redacted transcript line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    pub dir: Dir,
    pub text: String,
}

impl fmt::Display for TranscriptLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.dir {
            Dir::Client => "C:",
            Dir::Server => "S:",
            Dir::Info => "*",
        };
        if self.text.is_empty() {
            f.write_str(mark)
        } else {
            write!(f, "{mark} {}", self.text)
        }
    }
}
