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
}

/// The most bytes of one message line that a transcript keeps.
const MAX_DATA_LINE_BYTES: usize = 4096;

/// The DATA payload's lines (dot-stuffed, as sent), seen chunk by chunk while it is written:
/// the first [`MAX_DATA_LINES`] are kept (each up to [`MAX_DATA_LINE_BYTES`]), the rest only
/// counted, so the transcript of a big message stays small and nothing decodes it whole.
#[derive(Debug, Default)]
pub struct DataLines {
    kept: Vec<String>,
    /// The start of a line whose end has not been seen yet.
    partial: Vec<u8>,
    cut: bool,
    /// Lines past the kept ones.
    more: usize,
    /// Lines already put into the transcript by [`DataLines::flush`] (BDAT chunks share one
    /// budget of lines, so that a big message in many chunks keeps a small transcript).
    shown: usize,
}

impl DataLines {
    fn room(&self) -> bool {
        self.shown + self.kept.len() < MAX_DATA_LINES
    }

    pub fn feed(&mut self, mut wire: &[u8]) {
        while self.room() && !wire.is_empty() {
            let (piece, rest, ended) = match memchr::memchr(b'\n', wire) {
                Some(i) => (
                    wire.get(..i).unwrap_or_default(),
                    wire.get(i + 1..).unwrap_or_default(),
                    true,
                ),
                None => (wire, &[][..], false),
            };
            let room = MAX_DATA_LINE_BYTES.saturating_sub(self.partial.len());
            self.partial
                .extend_from_slice(piece.get(..room.min(piece.len())).unwrap_or_default());
            self.cut |= piece.len() > room;
            if ended {
                let line = self.partial.strip_suffix(b"\r").unwrap_or(&self.partial);
                let mut text = String::from_utf8_lossy(line).into_owned();
                if std::mem::take(&mut self.cut) {
                    text.push_str(" [...]");
                }
                self.kept.push(text);
                self.partial.clear();
            }
            wire = rest;
        }
        self.more += memchr::memchr_iter(b'\n', wire).count();
    }

    /// How many lines went by.
    pub fn count(&self) -> usize {
        self.shown + self.kept.len() + self.more
    }

    /// Into the transcript: the kept lines, and how many more were not shown. They are
    /// redacted together, so that a secret holding a line break is masked in both halves.
    pub fn record(mut self, transcript: &mut Transcript) {
        self.flush(transcript);
    }

    /// [`DataLines::record`] at the end of a BDAT chunk: the lines so far, and how many more
    /// were not shown; later chunks get what is left of the budget.
    pub fn flush(&mut self, transcript: &mut Transcript) {
        // A last line without its end (a BDAT chunk may stop anywhere) is shown too.
        if !self.partial.is_empty() && self.room() {
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            self.kept.push(line);
        }
        self.partial.clear();
        self.cut = false;
        let text = transcript.redactor.redact(&self.kept.join("\r\n"));
        for line in text.split("\r\n").take(self.kept.len()) {
            transcript.lines.push(TranscriptLine {
                dir: Dir::Client,
                text: line.to_owned(),
            });
        }
        self.shown += self.kept.len();
        self.kept.clear();
        if self.more > 0 {
            transcript.info(&format!("... {} more message lines not shown", self.more));
        }
        self.more = 0;
    }
}

/// The lines of CRLF-terminated wire text, blank lines kept, without the final empty piece.
fn wire_lines(wire: &str) -> std::str::Split<'_, &'static str> {
    wire.strip_suffix("\r\n").unwrap_or(wire).split("\r\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn lines_of(chunks: &[&[u8]]) -> (Vec<String>, usize) {
        let mut d = DataLines::default();
        for c in chunks {
            d.feed(c);
        }
        let count = d.count();
        let mut t = Transcript::default();
        d.record(&mut t);
        (t.lines.iter().map(ToString::to_string).collect(), count)
    }

    #[test]
    fn lines_are_whole_across_chunks() {
        let (lines, count) = lines_of(&[b"Subj", b"ect: x\r", b"\n\r\n..dot\r\n.\r\n"]);
        assert_eq!(lines, ["C: Subject: x", "C:", "C: ..dot", "C: ."]);
        assert_eq!(count, 4);
    }

    #[test]
    fn many_lines_are_counted_not_kept() {
        let wire = "x\r\n".repeat(MAX_DATA_LINES + 50) + ".\r\n";
        let (chunk1, chunk2) = wire.as_bytes().split_at(7);
        let (lines, count) = lines_of(&[chunk1, chunk2]);
        assert_eq!(count, MAX_DATA_LINES + 51);
        assert_eq!(lines.len(), MAX_DATA_LINES + 1);
        assert_eq!(
            lines[MAX_DATA_LINES],
            "* ... 51 more message lines not shown"
        );
    }

    #[test]
    fn a_long_line_is_cut() {
        let long = vec![b'a'; MAX_DATA_LINE_BYTES * 3];
        let (lines, _) = lines_of(&[&long, &long, b"\r\n.\r\n"]);
        assert_eq!(
            lines[0].len(),
            "C: ".len() + MAX_DATA_LINE_BYTES + " [...]".len()
        );
        assert_eq!(lines[1], "C: .");
    }
}
