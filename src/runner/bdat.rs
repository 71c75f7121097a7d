//! `bdat:` (RFC 3030): the message in BDAT chunks, each chunk's reply read before the next.

use super::failure::{FailureKind, StepFailure};
use super::scenario::{Run, StepEnd, StepErr};
use crate::protocol::Command;
use crate::scenario::{AUTO_CHUNK, BdatSpec, Chunking, Step};

impl Run<'_> {
    pub(super) async fn bdat(&mut self, spec: &BdatSpec, step: &Step) -> Result<StepEnd, StepErr> {
        if let Some(end) = self.require_advertised(&["CHUNKING"], "BDAT", step.send_anyway) {
            return Ok(end);
        }
        let message = match self.prepared.take() {
            Some((index, message)) if index == self.step_index => message,
            _ => self.message(&spec.message)?,
        };
        // BDAT sends the message as it is, in the chunks the plan asks for: held in memory.
        let (bytes, secret) = self.message_bytes(&message)?;
        let sizes = chunk_sizes(bytes.len(), &spec.chunking)
            .map_err(|e| StepFailure::new(FailureKind::Plan, e, Vec::new()))?;
        let total = sizes.len();
        self.transcript.info(&format!(
            "the message is {} bytes, sent in {total} BDAT chunk{}",
            bytes.len(),
            if total == 1 { "" } else { "s" }
        ));
        if secret {
            self.transcript
                .info("the message is not shown: MIME encoding would show a secret unmasked");
        }
        let mut offset = 0;
        for (i, size) in sizes.iter().copied().enumerate() {
            let last = i + 1 == total;
            let command = Command::Bdat { size, last };
            let chunk = bytes.get(offset..offset + size).unwrap_or_default();
            offset += size;
            let shown = command.to_string().trim_end().to_owned();
            self.conn()?;
            self.transcript.client(&command.to_string());
            if !secret && !chunk.is_empty() {
                // A secret the chunk cuts in two is masked in both chunks.
                let context = self.transcript.redactor.longest_form();
                let mut lines = super::transcript::DataLines::new(context);
                let start = offset - size;
                lines.preceded_by(
                    bytes
                        .get(start.saturating_sub(context)..start)
                        .unwrap_or_default(),
                );
                lines.feed(chunk);
                let after = bytes.get(offset..(offset + context).min(bytes.len()));
                lines.record_followed_by(&mut self.transcript, after.unwrap_or_default());
            }
            let mut wire = command.to_string().into_bytes();
            wire.extend_from_slice(chunk);
            // One write per chunk; the check for unsolicited bytes runs before it.
            self.send_bytes(&wire, &format!("`{shown}`"), false).await?;
            let what = format!("chunk {} of {total} ({shown})", i + 1);
            let reply = self.read().await.map_err(|mut f| {
                f.reason = format!("{what}: {}", f.reason);
                f
            })?;
            if !last && reply.code.is_positive() {
                continue;
            }
            // The final reply, or a refused chunk that ends the transfer: the step's
            // expectation decides (so `expect: 552` tests a refused chunk).
            if !last {
                self.transcript.info(&format!(
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

/// The chunk sizes for a message of `len` bytes; the last one is sent with LAST.
pub(crate) fn chunk_sizes(len: usize, chunking: &Chunking) -> Result<Vec<usize>, String> {
    let every = |n: usize| -> Vec<usize> {
        if len == 0 {
            return vec![0];
        }
        let mut out = vec![n; len / n];
        if !len.is_multiple_of(n) {
            out.push(len % n);
        }
        out
    };
    match chunking {
        Chunking::Auto => Ok(every(AUTO_CHUNK)),
        Chunking::Size(n) => Ok(every((*n).max(1))),
        Chunking::Sizes(sizes) => {
            let given: usize = sizes.iter().sum();
            if given > len {
                return Err(format!(
                    "`chunks` add up to {given} bytes, but the message has only {len}"
                ));
            }
            let mut out = sizes.clone();
            if given < len || out.is_empty() {
                out.push(len - given);
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_cover_the_message() {
        assert_eq!(chunk_sizes(10, &Chunking::Size(4)).unwrap(), [4, 4, 2]);
        assert_eq!(chunk_sizes(8, &Chunking::Size(4)).unwrap(), [4, 4]);
        assert_eq!(chunk_sizes(0, &Chunking::Auto).unwrap(), [0]);
        assert_eq!(chunk_sizes(100, &Chunking::Auto).unwrap(), [100]);
        assert_eq!(
            chunk_sizes(10, &Chunking::Sizes(vec![3, 3])).unwrap(),
            [3, 3, 4]
        );
        assert_eq!(
            chunk_sizes(10, &Chunking::Sizes(vec![4, 6])).unwrap(),
            [4, 6]
        );
        assert!(chunk_sizes(5, &Chunking::Sizes(vec![4, 6])).is_err());
    }
}
