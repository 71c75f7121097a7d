//! The `data` step: DATA, the message once the server said 354, and the final reply — or, in
//! an LMTP session (after LHLO), one final reply per accepted recipient (RFC 2033 §4.2).

use super::failure::StepFailure;
use super::scenario::{Run, StepEnd, StepErr, got_detail};
use crate::protocol::{Command, MimeAttachment, Reply, build_message, encode_data};
use crate::scenario::{DataSpec, Expect};

impl Run<'_> {
    /// The text of a `data` step's message, and whether it carries a secret in an encoded form
    /// (RFC 2047, quoted-printable) that masking by value cannot find in the wire text.
    /// When a `mailbox` step looks for it later, its Message-ID is recorded (and added).
    pub(super) fn message(&mut self, spec: &DataSpec) -> Result<(String, bool), StepErr> {
        let (text, secret) = self.build_message(spec)?;
        if self.wants_message_id {
            return Ok((self.record_message_id(text), secret));
        }
        Ok((text, secret))
    }

    fn build_message(&mut self, spec: &DataSpec) -> Result<(String, bool), StepErr> {
        match spec {
            DataSpec::Text(text) => Ok((self.render(text)?, false)),
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
                let var = |name: &str| self.vars.get(name).cloned().unwrap_or_default();
                let text = build_message(
                    &headers,
                    &body,
                    &attachments,
                    &var("now"),
                    &var("message_id"),
                );
                Ok((text, secret))
            }
        }
    }

    /// DATA, then the message once the server said 354, then the final reply (or replies)
    /// checked against `expect`.
    pub(super) async fn data(
        &mut self,
        spec: &DataSpec,
        expect: &Expect,
    ) -> Result<StepEnd, StepErr> {
        let (text, secret) = match self.prepared.take() {
            Some((index, text, secret)) if index == self.step_index => (text, secret),
            _ => self.message(spec)?,
        };
        // A message holding a secret is refused before DATA is sent, as a command would be.
        let holds_secret = secret || self.transcript.redactor.finds_secret(&text);
        if holds_secret && !self.allow_plaintext && self.plaintext() {
            return Ok(self.refuse_plaintext("a message that holds a secret"));
        }
        let first = self.command(&Command::Data).await?;
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
                self.write_message(&text, secret).await?;
                self.lmtp_replies(&recipients, expect).await
            }
            _ => {
                let reply = self.send_message(&text, secret).await?;
                Ok(self.check_parts(&reply, expect, true))
            }
        }
    }

    /// The message after a 354, dot-stuffed, then its final reply.
    pub(super) async fn send_message(
        &mut self,
        text: &str,
        secret: bool,
    ) -> Result<Reply, StepErr> {
        self.write_message(text, secret).await?;
        self.read().await
    }

    /// The message after a 354, dot-stuffed and shown (unless it holds a secret in a form
    /// masking cannot find).
    async fn write_message(&mut self, text: &str, secret: bool) -> Result<(), StepErr> {
        let wire = encode_data(text);
        if secret {
            let lines = wire.split(|&b| b == b'\n').count().saturating_sub(1);
            self.transcript.info(&format!(
                "the message ({lines} lines) is not shown: MIME encoding would show a secret unmasked"
            ));
        } else {
            self.transcript.data(&wire);
        }
        // An unsolicited line after 354 would be read as the reply to the message.
        self.send_bytes(&wire, "the message", false).await
    }

    /// LMTP: one reply per accepted recipient, in RCPT order. Every reply is read before any
    /// is checked, so that the conversation stays in step whatever they say.
    async fn lmtp_replies(
        &mut self,
        recipients: &[String],
        expect: &Expect,
    ) -> Result<StepEnd, StepErr> {
        let n = recipients.len();
        self.transcript.info(&format!(
            "LMTP: reading one reply per accepted recipient ({n})"
        ));
        if !expect.per_recipient.is_empty() && expect.per_recipient.len() != n {
            // Still read the replies, so that a later QUIT gets its own.
            for _ in 0..n {
                self.read().await?;
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
            replies.push(self.read().await?);
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
