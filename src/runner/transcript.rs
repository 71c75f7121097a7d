use std::fmt;

use crate::redact::Redactor;

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

/// Collects the conversation, redacting every line as it is recorded.
#[derive(Default)]
pub struct Transcript {
    pub lines: Vec<TranscriptLine>,
    pub redactor: Redactor,
    /// Where the last reply starts in `lines`, and its lines as received (they may hold a
    /// value captured only once the reply is checked).
    last_reply: (usize, Vec<String>),
}

/// The most lines of one DATA payload that a transcript keeps.
const MAX_DATA_LINES: usize = 200;

impl Transcript {
    pub fn new(redactor: Redactor) -> Self {
        Self {
            lines: Vec::new(),
            redactor,
            last_reply: (0, Vec::new()),
        }
    }

    pub fn push(&mut self, dir: Dir, text: &str) {
        let text = self.redactor.redact(text);
        self.lines.push(TranscriptLine { dir, text });
    }

    /// Redact the last reply's lines again, with what the redactor knows now (a secret just
    /// captured from that very reply).
    pub fn redact_last_reply_again(&mut self) {
        let (start, raw) = &self.last_reply;
        let shown = self.redactor.redact_lines(raw, 4);
        for (line, text) in self.lines.iter_mut().skip(*start).zip(shown) {
            line.text = text;
        }
    }

    /// The lines of one reply, redacted together: a secret the server split across two lines
    /// is masked in both.
    pub fn server_reply(&mut self, lines: Vec<String>) {
        self.last_reply = (self.lines.len(), lines.clone());
        for text in self.redactor.redact_lines(&lines, 4) {
            self.lines.push(TranscriptLine {
                dir: Dir::Server,
                text,
            });
        }
    }

    pub fn client(&mut self, wire: &str) {
        for line in wire_lines(wire) {
            self.push(Dir::Client, line);
        }
    }

    pub fn info(&mut self, text: &str) {
        self.push(Dir::Info, text);
    }

    /// The DATA payload as sent (dot-stuffed), bounded. It is redacted whole before it is
    /// split into lines, so that a secret holding a line break is masked in both halves.
    pub fn data(&mut self, wire: &[u8]) {
        let text = self.redactor.redact(&String::from_utf8_lossy(wire));
        let mut lines = wire_lines(&text);
        for line in lines.by_ref().take(MAX_DATA_LINES) {
            self.lines.push(TranscriptLine {
                dir: Dir::Client,
                text: line.to_owned(),
            });
        }
        let rest = lines.count();
        if rest > 0 {
            self.info(&format!("... {rest} more message lines not shown"));
        }
    }
}

/// The lines of CRLF-terminated wire text, blank lines kept, without the final empty piece.
fn wire_lines(wire: &str) -> std::str::Split<'_, &'static str> {
    wire.strip_suffix("\r\n").unwrap_or(wire).split("\r\n")
}
