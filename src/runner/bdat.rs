//! `bdat:` (RFC 3030): the message in BDAT chunks, each chunk's reply read before the next.
//!
//! The message is streamed as `data`'s is: a message file is read from disk and its line ends
//! normalised in pieces of at most 64 KiB, whatever the chunk sizes, so memory does not grow
//! with the message or its chunks. Its size is counted first (one pass through a file), so that
//! every `BDAT n` says its byte count before the bytes go.

use super::message::{CHUNK, Message, PieceReader, open_unchanged};
use super::run::{Run, StepEnd, StepErr};
use crate::model::{BdatSpec, Chunking, Step};
use crate::protocol::{Command, DataEncoder};
use crate::results::{FailureKind, StepFailure};
use crate::scenario::AUTO_CHUNK;
use crate::session::DataLines;

impl Run<'_> {
    pub(super) async fn bdat(&mut self, spec: &BdatSpec, step: &Step) -> Result<StepEnd, StepErr> {
        if let Some(end) = self.require_advertised(&["CHUNKING"], "BDAT", step.send_anyway) {
            return Ok(end);
        }
        let message = match self.prepared.take() {
            Some((index, message)) if index == self.step_index => message,
            _ => self.message(&spec.message)?,
        };
        if let Some(end) = self.refuse_secret_message(&message)? {
            return Ok(end);
        }
        let secret = matches!(message, Message::Text { secret: true, .. });
        let len = self.message_size(&message)?;
        let plan_failure = |e: String| StepFailure::new(FailureKind::Plan, e, Vec::new());
        let len = usize::try_from(len).map_err(|e| plan_failure(e.to_string()))?;
        let chunks = ChunkSizes::new(len, &spec.chunking).map_err(plan_failure)?;
        let total = chunks.count();
        self.session.transcript.info(&format!(
            "the message is {len} bytes, sent in {total} BDAT chunk{}",
            if total == 1 { "" } else { "s" }
        ));
        if secret {
            self.session
                .transcript
                .info("the message is not shown: MIME encoding would show a secret unmasked");
        }
        let mut file = match &message {
            Message::File { file, .. } => {
                Some(open_unchanged(file).map_err(|e| self.file_failure(file, &e))?)
            }
            Message::Text { .. } => None,
        };
        let mut stream = Encoded::new(&message, file.as_mut());
        let mut piece = Vec::with_capacity(CHUNK);
        // Each chunk's first lines, within one budget for the whole message (a line that a
        // secret may still run on into the next chunk waits for it: see `DataLines::flush`).
        let mut lines = DataLines::new(self.session.transcript.redactor.longest_form());
        for i in 0..total {
            let size = chunks.size(i);
            let last = i + 1 == total;
            let command = Command::Bdat { size, last };
            let shown = command.to_string().trim_end().to_owned();
            self.session.conn()?;
            self.session.transcript.client(&command.to_string());
            // The command and the chunk's first piece in one write; the check for unsolicited
            // bytes runs before it and before each further piece of the chunk.
            let mut wire = command.to_string().into_bytes();
            let mut left = size;
            let mut first = true;
            loop {
                piece.clear();
                let got = stream
                    .take(left.min(CHUNK), &mut piece)
                    .map_err(|e| match &message {
                        Message::File { file, .. } => self.file_failure(file, &e),
                        Message::Text { .. } => {
                            StepFailure::new(FailureKind::Io, e.to_string(), vec![])
                        }
                    })?;
                left -= got;
                if !secret {
                    lines.feed(&piece);
                }
                if first {
                    wire.extend_from_slice(&piece);
                    self.session
                        .send_bytes(&wire, &format!("`{shown}`"), false)
                        .await?;
                    first = false;
                } else if !piece.is_empty() {
                    // A reply before the chunk's end would be taken for the chunk's.
                    self.session
                        .send_bytes(&piece, &format!("the rest of `{shown}`"), false)
                        .await?;
                }
                if left == 0 || got == 0 {
                    break;
                }
            }
            if left > 0 {
                // The message became shorter than it was counted (a file changed while sent).
                let reason = format!("the message ended {left} bytes short of `{shown}`");
                self.session.transcript.info(&format!("error: {reason}"));
                return Err(StepFailure::new(FailureKind::Io, reason, Vec::new()));
            }
            if !secret {
                lines.flush(&mut self.session.transcript);
            }
            let what = format!("chunk {} of {total} ({shown})", i + 1);
            let reply = self.session.read().await.map_err(|mut f| {
                f.reason = format!("{what}: {}", f.reason);
                f
            })?;
            if !last && reply.code.is_positive() {
                continue;
            }
            // The final reply, or a refused chunk that ends the transfer: the step's
            // expectation decides (so `expect: 552` tests a refused chunk).
            if !last {
                self.session.transcript.info(&format!(
                    "{what} was refused: the remaining {} chunk(s) are not sent",
                    total - i - 1
                ));
            }
            return Ok(match self.check_parts(&reply, &step.expect, true) {
                StepEnd::Pass => StepEnd::Pass,
                StepEnd::Fail(mut f) => {
                    f.reason = format!("{what}: {}", f.reason);
                    StepEnd::Fail(f)
                }
            });
        }
        Ok(StepEnd::Pass)
    }
}

/// The message as BDAT sends it (CRLF line ends, no dot-stuffing), produced a piece at a time.
struct Encoded<'a> {
    reader: PieceReader<'a>,
    encoder: DataEncoder,
    /// Encoded bytes not taken yet, from `at`.
    ready: Vec<u8>,
    at: usize,
    raw: Vec<u8>,
    done: bool,
}

impl<'a> Encoded<'a> {
    fn new(message: &'a Message, file: Option<&'a mut std::fs::File>) -> Self {
        Self {
            reader: PieceReader::new(message, file),
            encoder: DataEncoder::without_dot_stuffing(),
            ready: Vec::with_capacity(CHUNK + CHUNK / 8),
            at: 0,
            raw: Vec::with_capacity(CHUNK),
            done: false,
        }
    }

    /// Append up to `n` of the next bytes to `out`; how many (0 only at the end).
    fn take(&mut self, n: usize, out: &mut Vec<u8>) -> std::io::Result<usize> {
        while self.at >= self.ready.len() && !self.done {
            self.ready.clear();
            self.at = 0;
            self.raw.clear();
            if self.reader.next_piece(&mut self.raw)? {
                self.encoder.push(&self.raw, &mut self.ready);
            } else {
                self.encoder.finish(&mut self.ready);
                self.done = true;
            }
        }
        let rest = self.ready.get(self.at..).unwrap_or_default();
        let given = rest.get(..n.min(rest.len())).unwrap_or_default();
        out.extend_from_slice(given);
        self.at += given.len();
        Ok(given.len())
    }
}

/// The chunk sizes for a message of `len` bytes, computed one at a time (a large message in
/// small chunks is no list of sizes in memory); the last one is sent with LAST.
#[derive(Debug)]
pub(crate) struct ChunkSizes<'a> {
    len: usize,
    /// The sizes `chunks:` lists, then what is left of the message; or none: `every` bytes.
    listed: &'a [usize],
    every: usize,
    count: usize,
}

impl<'a> ChunkSizes<'a> {
    pub(crate) fn new(len: usize, chunking: &'a Chunking) -> Result<Self, String> {
        let every = |n: usize| Self {
            len,
            listed: &[],
            every: n,
            count: len.div_ceil(n).max(1),
        };
        match chunking {
            Chunking::Auto => Ok(every(AUTO_CHUNK)),
            Chunking::Size(n) => Ok(every((*n).max(1))),
            Chunking::Sizes(sizes) => {
                let given = sizes.iter().try_fold(0usize, |a, b| a.checked_add(*b));
                let given = given.filter(|g| *g <= len).ok_or_else(|| {
                    format!(
                        "`chunks` add up to {} bytes, but the message has only {len}",
                        sizes.iter().map(|s| *s as u128).sum::<u128>()
                    )
                })?;
                let rest = usize::from(given < len || sizes.is_empty());
                Ok(Self {
                    len,
                    listed: sizes,
                    every: 0,
                    count: sizes.len() + rest,
                })
            }
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The size of chunk `i` (0-based, below [`ChunkSizes::count`]).
    pub(crate) fn size(&self, i: usize) -> usize {
        if self.every > 0 {
            let start = i.saturating_mul(self.every);
            return self.every.min(self.len.saturating_sub(start));
        }
        match self.listed.get(i) {
            Some(n) => *n,
            None => self.len - self.listed.iter().sum::<usize>(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sizes(len: usize, chunking: &Chunking) -> Result<Vec<usize>, String> {
        let c = ChunkSizes::new(len, chunking)?;
        Ok((0..c.count()).map(|i| c.size(i)).collect())
    }

    #[test]
    fn chunk_sizes_cover_the_message() {
        assert_eq!(sizes(10, &Chunking::Size(4)).unwrap(), [4, 4, 2]);
        assert_eq!(sizes(8, &Chunking::Size(4)).unwrap(), [4, 4]);
        assert_eq!(sizes(0, &Chunking::Auto).unwrap(), [0]);
        assert_eq!(sizes(100, &Chunking::Auto).unwrap(), [100]);
        assert_eq!(
            sizes(AUTO_CHUNK * 2 + 1, &Chunking::Auto).unwrap(),
            [AUTO_CHUNK, AUTO_CHUNK, 1]
        );
        assert_eq!(sizes(10, &Chunking::Sizes(vec![3, 3])).unwrap(), [3, 3, 4]);
        assert_eq!(sizes(10, &Chunking::Sizes(vec![4, 6])).unwrap(), [4, 6]);
        assert!(sizes(5, &Chunking::Sizes(vec![4, 6])).is_err());
        assert!(sizes(5, &Chunking::Sizes(vec![usize::MAX, 6])).is_err());
        // 100 MB in 1-byte chunks: counted, not listed.
        let many = ChunkSizes::new(100 << 20, &Chunking::Size(1)).unwrap();
        assert_eq!((many.count(), many.size(100 << 19)), (100 << 20, 1));
    }
}
