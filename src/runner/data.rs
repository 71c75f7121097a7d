//! The `data` step: DATA, then the message once the server said 354. A message file is streamed
//! from disk through dot-stuffing to the socket in bounded chunks, so memory does not grow with
//! the message; the transcript keeps its first lines and counts the rest while they pass.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use super::scenario::{Run, StepEnd, StepErr, got_detail};
use crate::protocol::{Command, DataEncoder, MimeAttachment, Reply, build_message};
use crate::scenario::{DataSpec, FilePart, MessageFile};

/// How many bytes are read from a message file, and written to the server, at a time.
const CHUNK: usize = 64 * 1024;

/// A message ready to send: text built in memory, or a file and the rendered text of its
/// references.
enum Body {
    /// The text, and whether it carries a secret in an encoded form (RFC 2047,
    /// quoted-printable) that masking by value cannot find in the wire text.
    Text(String, bool),
    File(Arc<MessageFile>, Vec<Piece>),
}

enum Piece {
    Bytes(std::ops::Range<u64>),
    Text(String),
}

impl Run<'_> {
    fn message(&mut self, spec: &DataSpec) -> Result<Body, StepErr> {
        match spec {
            DataSpec::Text(text) => Ok(Body::Text(self.render(text)?, false)),
            DataSpec::File(file) => {
                let pieces = file
                    .parts
                    .iter()
                    .map(|p| match p {
                        FilePart::Bytes(range) => Ok(Piece::Bytes(range.clone())),
                        FilePart::Template(t, _) => self.render(t).map(Piece::Text),
                    })
                    .collect::<Result<Vec<_>, StepErr>>()?;
                Ok(Body::File(Arc::clone(file), pieces))
            }
            DataSpec::Mime(mime) => {
                let headers = mime
                    .headers
                    .iter()
                    .map(|(name, value)| Ok((name.clone(), self.render(value)?)))
                    .collect::<Result<Vec<_>, StepErr>>()?;
                let body = match &mime.body {
                    Some(b) => self.render(b)?,
                    None => String::new(),
                };
                let attachments: Vec<MimeAttachment<'_>> = mime
                    .attachments
                    .iter()
                    .map(|a| MimeAttachment {
                        name: &a.name,
                        content_type: &a.content_type,
                        content: &a.content,
                    })
                    .collect();
                let r = &self.transcript.redactor;
                let secret = headers
                    .iter()
                    .map(|(_, v)| v)
                    .chain([&body])
                    .any(|t| r.redact(t) != *t);
                let text = build_message(
                    &headers,
                    &body,
                    &attachments,
                    &self.builtin("now"),
                    &self.builtin("message_id"),
                );
                Ok(Body::Text(text, secret))
            }
        }
    }

    /// The `data` step. `Ok(Err(end))` is a step that ended without a final reply to check.
    pub(super) async fn data(
        &mut self,
        spec: &DataSpec,
    ) -> Result<Result<Reply, StepEnd>, StepErr> {
        let body = self.message(spec)?;
        let file = match &body {
            // Opened before DATA: a file that is gone fails the step with nothing sent.
            Body::File(f, _) => Some(open_unchanged(f)?),
            Body::Text(..) => None,
        };
        let first = self.command(&Command::Data).await?;
        if first.code.is_positive() {
            // The contract's "354 then 250": a 2xx to DATA means no message was taken,
            // whatever `expect` says about the final reply.
            return Ok(Err(StepEnd::Fail(
                format!(
                    "expected 354 to DATA, got {}: the message was not sent",
                    first.code.value()
                ),
                vec![got_detail(&first)],
            )));
        }
        if !first.code.is_intermediate() {
            // DATA itself was refused: that reply is the one to check.
            return Ok(Ok(first));
        }
        let mut sink = Sink::new(self.timeout());
        match (body, file) {
            (Body::Text(text, secret), _) => {
                sink.hide = secret;
                let mut encoder = DataEncoder::new();
                for piece in text.as_bytes().chunks(CHUNK) {
                    encoder.push(piece, &mut sink.out);
                    self.flush(&mut sink, false).await?;
                }
                encoder.finish(&mut sink.out);
            }
            (Body::File(message, pieces), Some(mut file)) => {
                let mut encoder = DataEncoder::new();
                let mut chunk = vec![0u8; CHUNK];
                for piece in pieces {
                    match piece {
                        Piece::Text(text) => encoder.push(text.as_bytes(), &mut sink.out),
                        Piece::Bytes(range) => {
                            let mut left = range.end - range.start;
                            file.seek(SeekFrom::Start(range.start))
                                .map_err(|e| self.file_err(&message, &e))?;
                            while left > 0 {
                                let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                                let buf = chunk.get_mut(..want).unwrap_or_default();
                                let n = read_some(&mut file, buf)
                                    .map_err(|e| self.file_err(&message, &e))?;
                                if n == 0 {
                                    return Err(self.changed(&message));
                                }
                                encoder.push(buf.get(..n).unwrap_or_default(), &mut sink.out);
                                left -= n as u64;
                                self.flush(&mut sink, false).await?;
                            }
                        }
                    }
                }
                encoder.finish(&mut sink.out);
            }
            (Body::File(message, _), None) => return Err(self.changed(&message)),
        }
        self.flush(&mut sink, true).await?;
        sink.show(self);
        Ok(Ok(self.read().await?))
    }

    /// Write what the sink holds once it is a chunk (or `all` of it), recording the lines.
    async fn flush(&mut self, sink: &mut Sink, all: bool) -> Result<(), StepErr> {
        if sink.out.is_empty() || (!all && sink.out.len() < CHUNK) {
            return Ok(());
        }
        sink.lines.feed(&sink.out);
        let res = self.conn()?.send(&sink.out, sink.timeout).await;
        sink.out.clear();
        res.map_err(|e| self.transport_err(e))
    }

    fn file_err(&mut self, message: &MessageFile, e: &std::io::Error) -> StepErr {
        let reason = format!(
            "cannot read the message file `{}`: {e}",
            message.path.display()
        );
        self.transcript.info(&format!("error: {reason}"));
        (reason, Vec::new())
    }

    fn changed(&mut self, message: &MessageFile) -> StepErr {
        let reason = format!(
            "the message file `{}` changed since the plan was loaded",
            message.path.display()
        );
        self.transcript.info(&format!("error: {reason}"));
        (
            reason,
            vec!["load the plan again (run it again)".to_owned()],
        )
    }
}

/// The file, if it is still the one scanned at load time (same size and modification time).
fn open_unchanged(message: &MessageFile) -> Result<std::fs::File, StepErr> {
    let fail = |why: String| {
        (
            format!("the message file `{}` {why}", message.path.display()),
            Vec::new(),
        )
    };
    let file = crate::scenario::open_message_file(&message.path).map_err(|e| {
        fail(match e.kind() {
            std::io::ErrorKind::NotFound => "no longer exists".to_owned(),
            _ => format!("cannot be read: {e}"),
        })
    })?;
    let meta = file
        .metadata()
        .map_err(|e| fail(format!("cannot be read: {e}")))?;
    if meta.len() != message.len || meta.modified().ok() != message.modified {
        return Err(fail("changed since the plan was loaded".to_owned()));
    }
    Ok(file)
}

fn read_some(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// The wire bytes waiting to be written, and the transcript's view of them.
struct Sink {
    out: Vec<u8>,
    lines: super::transcript::DataLines,
    timeout: std::time::Duration,
    /// Show only the line count (the message would show a secret unmasked).
    hide: bool,
}

impl Sink {
    fn new(timeout: std::time::Duration) -> Self {
        Self {
            out: Vec::with_capacity(CHUNK + CHUNK / 8),
            lines: super::transcript::DataLines::default(),
            timeout,
            hide: false,
        }
    }

    fn show(self, run: &mut Run<'_>) {
        if self.hide {
            let count = self.lines.count();
            run.transcript.info(&format!(
                "the message ({count} lines) is not shown: MIME encoding would show a secret unmasked"
            ));
        } else {
            self.lines.record(&mut run.transcript);
        }
    }
}
