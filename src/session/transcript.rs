//! Recording a conversation as it happens: every line redacted as it is recorded, DATA kept
//! short. The lines themselves are results ([`crate::results::TranscriptLine`]).

use crate::redact::Redactor;
use crate::results::{Dir, TranscriptLine};

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
///
/// Where it cuts (a long line, the lines past the last kept one, the end of a BDAT chunk) it
/// redacts with `context` bytes more on either side — the length of the longest form of a
/// secret — so a secret cut in two is masked in the part shown, never shown in part.
#[derive(Debug, Default)]
pub struct DataLines {
    /// Each line not yet shown (up to `MAX_DATA_LINE_BYTES + context` bytes), and whether
    /// more of it was left out.
    kept: Vec<(String, bool)>,
    /// The start of a line whose end has not been seen yet.
    partial: Vec<u8>,
    cut: bool,
    /// Lines past the kept ones.
    more: usize,
    /// Lines already put into the transcript by [`DataLines::flush`] (BDAT chunks share one
    /// budget of lines, so that a big message in many chunks keeps a small transcript).
    shown: usize,
    context: usize,
    /// The bytes right after the last line of the budget (up to `context`).
    after: Vec<u8>,
    /// The last `context` bytes of the lines shown (lines joined by CRLF).
    before: String,
}

impl DataLines {
    /// Lines to show, redacted with `context` bytes of what surrounds every cut.
    pub fn new(context: usize) -> Self {
        Self {
            context,
            ..Self::default()
        }
    }

    fn room(&self) -> bool {
        self.shown + self.kept.len() < MAX_DATA_LINES
    }

    pub fn feed(&mut self, mut wire: &[u8]) {
        let keep = MAX_DATA_LINE_BYTES + self.context;
        while self.room() && !wire.is_empty() {
            let (piece, rest, ended) = match memchr::memchr(b'\n', wire) {
                Some(i) => (
                    wire.get(..i).unwrap_or_default(),
                    wire.get(i + 1..).unwrap_or_default(),
                    true,
                ),
                None => (wire, &[][..], false),
            };
            let room = keep.saturating_sub(self.partial.len());
            self.partial
                .extend_from_slice(piece.get(..room.min(piece.len())).unwrap_or_default());
            self.cut |= piece.len() > room;
            if ended {
                let line = self.partial.strip_suffix(b"\r").unwrap_or(&self.partial);
                let text = String::from_utf8_lossy(line).into_owned();
                self.kept.push((text, std::mem::take(&mut self.cut)));
                self.partial.clear();
            }
            wire = rest;
        }
        if !self.room() {
            let room = self.context.saturating_sub(self.after.len());
            self.after
                .extend_from_slice(wire.get(..room.min(wire.len())).unwrap_or_default());
        }
        self.more += memchr::memchr_iter(b'\n', wire).count();
    }

    /// How many lines went by.
    pub fn count(&self) -> usize {
        self.shown + self.kept.len() + self.more
    }

    /// Into the transcript: the lines, and how many more were not shown. They are redacted
    /// together, so that a secret holding a line break is masked in both halves.
    pub fn record(mut self, transcript: &mut Transcript) {
        self.show(transcript, true);
    }

    /// [`DataLines::record`] at the end of a BDAT chunk: the lines so far, and how many more
    /// were not shown; later chunks get what is left of the budget. With secrets to mask, the
    /// lines a secret may still run on from (the last `context` bytes) wait for the next chunk.
    pub fn flush(&mut self, transcript: &mut Transcript) {
        self.show(transcript, false);
    }

    fn show(&mut self, transcript: &mut Transcript, last: bool) {
        // A last line without its end (a BDAT chunk may stop anywhere) is shown too.
        let waits = !last && self.context > 0;
        if !self.partial.is_empty() && self.room() && !waits {
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            self.kept.push((line, std::mem::take(&mut self.cut)));
            self.partial.clear();
        }
        if !self.room() {
            self.partial.clear();
        }
        // How many lines go now: all of them, unless what follows may still complete a secret.
        let mut n = self.kept.len();
        // Once the budget is spent and what follows it is at hand, nothing needs to wait.
        let after_ready = !self.room() && self.after.len() >= self.context;
        if waits && !after_ready {
            let mut tail = self.partial.len();
            while n > 0 && tail < self.context {
                n -= 1;
                tail += self.kept.get(n).map_or(0, |(t, _)| t.len() + 2);
            }
        }
        // Whether the budget of lines is spent (what follows is then in `after`).
        let full = !self.room();
        let rest = self.kept.split_off(n);
        let shown = std::mem::replace(&mut self.kept, rest);
        if !shown.is_empty() {
            self.show_lines(transcript, &shown, full);
        }
        if self.more > 0 && (last || self.kept.is_empty()) {
            transcript.info(&format!("... {} more message lines not shown", self.more));
            self.more = 0;
        }
    }

    /// Put `shown` into the transcript, redacted with what was shown before it and what
    /// follows it (the lines that wait, the partial line, or the bytes past the budget).
    fn show_lines(&mut self, transcript: &mut Transcript, shown: &[(String, bool)], full: bool) {
        let text: Vec<&str> = shown.iter().map(|(t, _)| t.as_str()).collect();
        let text = text.join("\r\n");
        let mut next: Vec<&str> = self.kept.iter().map(|(t, _)| t.as_str()).collect();
        let partial = String::from_utf8_lossy(&self.partial);
        let after = String::from_utf8_lossy(&self.after);
        next.push(if full { &after } else { &partial });
        let next = format!("\r\n{}", next.join("\r\n"));
        let before = if self.before.is_empty() {
            String::new()
        } else {
            format!("{}\r\n", self.before)
        };
        let masked = transcript.redactor.redact_part(&before, &text, &next);
        let lines: Vec<&str> = masked.split("\r\n").take(shown.len()).collect();
        let whole = lines.len() == shown.len();
        for (i, line) in lines.into_iter().enumerate() {
            let was_cut = whole && shown.get(i).is_some_and(|(_, cut)| *cut);
            transcript.lines.push(TranscriptLine {
                dir: Dir::Client,
                text: cut_line(line, was_cut),
            });
        }
        self.shown += shown.len();
        let mut seen = format!("{before}{text}");
        let mut from = seen.len().saturating_sub(self.context);
        while !seen.is_char_boundary(from) {
            from -= 1;
        }
        self.before = seen.split_off(from);
    }
}

/// A message line as shown: at most [`MAX_DATA_LINE_BYTES`], ` [...]` where it was cut.
fn cut_line(line: &str, was_cut: bool) -> String {
    if line.len() <= MAX_DATA_LINE_BYTES && !was_cut {
        return line.to_owned();
    }
    let mut end = MAX_DATA_LINE_BYTES.min(line.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} [...]", line.get(..end).unwrap_or_default())
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

    /// Where the transcript cuts a message (a long line, the lines past the last kept one, a
    /// BDAT chunk's end), a secret cut in two shows no part.
    #[test]
    fn a_secret_cut_by_the_transcript_shows_no_part() {
        let secret = "Cut-S3cret-".repeat(1000) + "end";
        let redactor = Redactor::new([secret.as_str(), "two-line\r\nsecret"]);
        let show = |chunks: &[&[u8]]| {
            let mut t = Transcript::new(redactor.clone());
            let mut d = DataLines::new(redactor.longest_form());
            for c in chunks {
                d.feed(c);
                d.flush(&mut t);
            }
            d.record(&mut t);
            t.lines.iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        // A long line cut in the secret.
        let x = "x".repeat(MAX_DATA_LINE_BYTES - 100);
        let lines = show(&[format!("{x}{secret} tail\r\n.\r\n").as_bytes()]);
        assert!(lines[0].ends_with("xx*** tail"), "{}", &lines[0][4000..]);
        // Longer than the line and its context: cut, and still masked.
        let y = "y".repeat(500_000);
        let lines = show(&[format!("{}{secret}{y}\r\n", &x[..3900]).as_bytes()]);
        assert!(lines[0].contains("xx***yy") && lines[0].ends_with("y [...]"));
        assert!(!lines[0].contains("Cut-S3"), "{}", &lines[0][3900..]);
        // The last kept line is the first line of a two-line secret.
        let wire = "x\r\n".repeat(MAX_DATA_LINES - 1) + "two-line\r\nsecret\r\n.\r\n";
        assert_eq!(show(&[wire.as_bytes()])[MAX_DATA_LINES - 1], "C: ***");
        // BDAT chunks that end inside the secret, and between the lines of one.
        let message = format!("a {secret} b\r\n");
        let (one, two) = message.as_bytes().split_at(2000);
        assert_eq!(show(&[one, two]), ["C: a *** b"]);
        let message = b"first\r\ntwo-line\r\nsecret\r\nlast\r\n";
        let (one, two) = message.split_at(17);
        assert_eq!(show(&[one, two]), ["C: first", "C: ***", "C: last"]);
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
