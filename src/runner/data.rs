//! The `data` step: DATA, the message once the server said 354, and the final reply — or, in
//! an LMTP session (after LHLO), one final reply per accepted recipient (RFC 2033 §4.2).
//!
//! A message file is streamed from disk through dot-stuffing to the socket in bounded chunks,
//! so memory does not grow with the message; the transcript keeps its first lines and counts
//! the rest while they pass.

use std::sync::Arc;

use super::message::{CHUNK, Message, Piece, PieceReader, open_unchanged};
use super::run::{Run, StepEnd, StepErr, got_detail};
use crate::model::{DataSpec, Expect, FilePart, MessageFile};
use crate::protocol::{Command, DataEncoder, MimeAttachment, Reply, build_message};
use crate::results::{FailureKind, StepFailure};
use crate::session::DataLines;

impl Run<'_> {
    /// A `data` step's message: built (MIME) or rendered (text, a file's references) now.
    /// When a `mailbox` step looks for it later, its Message-ID is recorded (and added).
    pub(super) fn message(&mut self, spec: &DataSpec) -> Result<Message, StepErr> {
        let message = self.build_message(spec)?;
        if !self.wants_message_id {
            return Ok(message);
        }
        let mut message = match message {
            Message::Text { text, secret } => {
                return Ok(Message::Text {
                    text: self.record_message_id(text),
                    secret,
                });
            }
            file => file,
        };
        // A file: its header section is at the start, in the first chunk (or most of it).
        let head = self.message_head(&message)?;
        let with = self.record_message_id(head.clone());
        if let Some(added) = with.strip_suffix(head.as_str())
            && !added.is_empty()
            && let Message::File { pieces, .. } = &mut message
        {
            pieces.insert(0, Piece::Text(added.to_owned()));
        }
        Ok(message)
    }

    /// The first chunk of a message file, as text.
    fn message_head(&mut self, message: &Message) -> Result<String, StepErr> {
        let Message::File { file, .. } = message else {
            return Ok(String::new());
        };
        let mut head = Vec::new();
        let read = open_unchanged(file).and_then(|mut handle| {
            PieceReader::new(message, Some(&mut handle)).next_piece(&mut head)
        });
        read.map_err(|e| self.file_failure(file, &e))?;
        Ok(String::from_utf8_lossy(&head).into_owned())
    }

    fn build_message(&mut self, spec: &DataSpec) -> Result<Message, StepErr> {
        match spec {
            DataSpec::Text(text) => Ok(Message::Text {
                text: self.render(text)?,
                secret: false,
            }),
            DataSpec::File(file) => {
                let pieces = file
                    .parts
                    .iter()
                    .map(|p| match p {
                        FilePart::Bytes(range) => Ok(Piece::Bytes(range.clone())),
                        FilePart::Template(t, _) => self.render(t).map(Piece::Text),
                    })
                    .collect::<Result<Vec<_>, StepErr>>()?;
                Ok(Message::File {
                    file: Arc::clone(file),
                    pieces,
                })
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
                let r = &self.session.transcript.redactor;
                let secret = headers
                    .iter()
                    .map(|(_, v)| v)
                    .chain([&body])
                    .any(|t| r.redact(t) != *t);
                let (now, id) = (self.builtin("now"), self.builtin("message_id"));
                let text = build_message(&headers, &body, &attachments, &now, &id);
                Ok(Message::Text { text, secret })
            }
        }
    }

    /// The size of `message` as BDAT sends it and SIZE counts it (CRLF line ends, no
    /// dot-stuffing); a file is read through once to count.
    pub(super) fn message_size(&mut self, message: &Message) -> Result<u64, StepErr> {
        let mut file = match message {
            Message::File { file, .. } => {
                Some(open_unchanged(file).map_err(|e| self.file_failure(file, &e))?)
            }
            Message::Text { .. } => None,
        };
        let mut encoder = DataEncoder::without_dot_stuffing();
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 8);
        let mut size = 0u64;
        let counted = message.for_each_piece(file.as_mut(), &mut |piece| {
            encoder.push(piece, &mut out);
            size += out.len() as u64;
            out.clear();
            Ok(())
        });
        if let (Err(e), Message::File { file, .. }) = (counted, message) {
            return Err(self.file_failure(file, &e));
        }
        encoder.finish(&mut out);
        Ok(size + out.len() as u64)
    }

    pub(super) fn file_failure(&mut self, file: &MessageFile, e: &std::io::Error) -> StepFailure {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no longer exists".to_owned(),
            std::io::ErrorKind::Other => e.to_string(),
            _ => format!("cannot be read: {e}"),
        };
        let reason = format!("the message file `{}` {why}", file.path.display());
        self.session.transcript.info(&format!("error: {reason}"));
        StepFailure::new(FailureKind::Io, reason, Vec::new())
    }

    /// A message holding a secret is refused before DATA or BDAT is sent, as a command would
    /// be, on a connection without TLS unless the plan allows plaintext.
    pub(super) fn refuse_secret_message(
        &mut self,
        message: &Message,
    ) -> Result<Option<StepEnd>, StepErr> {
        if self.session.allow_plaintext || !self.session.plaintext() {
            return Ok(None);
        }
        match (
            message.holds_secret(&self.session.transcript.redactor),
            message,
        ) {
            (Ok(true), _) => Ok(Some(self.refuse_plaintext("a message that holds a secret"))),
            (Err(e), Message::File { file, .. }) => Err(self.file_failure(file, &e)),
            _ => Ok(None),
        }
    }

    /// DATA, then the message once the server said 354, then the final reply (or replies)
    /// checked against `expect`.
    pub(super) async fn data(
        &mut self,
        spec: &DataSpec,
        expect: &Expect,
    ) -> Result<StepEnd, StepErr> {
        let message = match self.prepared.take() {
            Some((index, message)) if index == self.step_index => message,
            _ => self.message(spec)?,
        };
        if let Some(end) = self.refuse_secret_message(&message)? {
            return Ok(end);
        }
        if let Message::File { file, .. } = &message {
            // Checked before DATA: a file that is gone or changed fails with nothing sent.
            open_unchanged(file).map_err(|e| self.file_failure(file, &e))?;
        }
        let first = self.session.command(&Command::Data).await?;
        if first.code.is_positive() {
            // The contract's "354 then 250": a 2xx to DATA means no message was taken,
            // whatever `expect` says about the final reply.
            return Ok(StepFailure::expectation(
                format!(
                    "expected 354 to DATA, got {}: the message was not sent",
                    first.code.value()
                ),
                vec![got_detail(&first)],
            )
            .into());
        }
        if !first.code.is_intermediate() {
            // DATA itself was refused: that reply is the one to check.
            return Ok(self.check_parts(&first, expect, true));
        }
        // LMTP: the transaction's recipients, and a fresh transaction after it.
        let recipients = self.lmtp_recipients.as_mut().map(std::mem::take);
        match recipients {
            Some(recipients) if !recipients.is_empty() => {
                self.write_message(&message).await?;
                self.lmtp_replies(&recipients, expect).await
            }
            _ => {
                let reply = self.send_message(&message).await?;
                Ok(self.check_parts(&reply, expect, true))
            }
        }
    }

    /// The message after a 354, dot-stuffed, then its final reply.
    pub(super) async fn send_message(&mut self, message: &Message) -> Result<Reply, StepErr> {
        self.write_message(message).await?;
        self.session.read().await
    }

    /// The message after a 354: dot-stuffed and written in chunks, a file read as it goes;
    /// shown (unless it holds a secret in a form masking cannot find) as its first lines.
    async fn write_message(&mut self, message: &Message) -> Result<(), StepErr> {
        let mut file = match message {
            Message::File { file, .. } => {
                Some(open_unchanged(file).map_err(|e| self.file_failure(file, &e))?)
            }
            Message::Text { .. } => None,
        };
        let mut encoder = DataEncoder::new();
        let mut lines = DataLines::new(self.session.transcript.redactor.longest_form());
        let mut out: Vec<u8> = Vec::with_capacity(CHUNK + CHUNK / 8);
        let mut first = true;
        // Reading is synchronous and bounded (one chunk); writing awaits between chunks.
        let mut pending: Vec<u8> = Vec::new();
        let mut reader = PieceReader::new(message, file.as_mut());
        loop {
            let more = reader.next_piece(&mut pending).map_err(|e| match message {
                Message::File { file, .. } => self.file_failure(file, &e),
                Message::Text { .. } => StepFailure::new(FailureKind::Io, e.to_string(), vec![]),
            })?;
            if more {
                encoder.push(&pending, &mut out);
                pending.clear();
            } else {
                encoder.finish(&mut out);
            }
            if out.len() >= CHUNK || (!more && !out.is_empty()) {
                lines.feed(&out);
                // An unsolicited line after 354 would be read as the reply to the message, and
                // a reply before its end (the server took only a part) as its acceptance:
                // checked before every piece.
                let what = if first {
                    "the message"
                } else {
                    "the rest of the message"
                };
                self.session.send_bytes(&out, what, false).await?;
                first = false;
                out.clear();
            }
            if !more {
                break;
            }
        }
        if matches!(message, Message::Text { secret: true, .. }) {
            let count = lines.count();
            self.session.transcript.info(&format!(
                "the message ({count} lines) is not shown: MIME encoding would show a secret unmasked"
            ));
        } else {
            lines.record(&mut self.session.transcript);
        }
        Ok(())
    }

    /// LMTP: one reply per accepted recipient, in RCPT order. Every reply is read before any
    /// is checked, so that the conversation stays in step whatever they say.
    async fn lmtp_replies(
        &mut self,
        recipients: &[String],
        expect: &Expect,
    ) -> Result<StepEnd, StepErr> {
        let n = recipients.len();
        self.session.transcript.info(&format!(
            "LMTP: reading one reply per accepted recipient ({n})"
        ));
        if !expect.per_recipient.is_empty() && expect.per_recipient.len() != n {
            // Still read the replies, so that a later QUIT gets its own.
            for _ in 0..n {
                self.session.read().await?;
            }
            return Ok(StepFailure::expectation(
                format!(
                    "`per_recipient` lists {} expectation(s), but {n} recipient(s) were accepted",
                    expect.per_recipient.len()
                ),
                recipients
                    .iter()
                    .map(|r| format!("recipient: {r}"))
                    .collect(),
            )
            .into());
        }
        let mut replies = Vec::with_capacity(n);
        for _ in 0..n {
            replies.push(self.session.read().await?);
        }
        for (i, (reply, rcpt)) in replies.iter().zip(recipients).enumerate() {
            let want = expect.per_recipient.get(i).unwrap_or(expect);
            if let StepEnd::Fail(mut f) = self.check_parts(reply, want, true) {
                f.reason = format!("recipient {} of {n} ({rcpt}): {}", i + 1, f.reason);
                return Ok(f.into());
            }
        }
        Ok(StepEnd::Pass)
    }
}
