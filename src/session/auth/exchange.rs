//! The steps every SASL exchange is made of: `AUTH MECH [initial]`, one line each way with
//! the secret ones masked first, a challenge decoded, a cancel, and how the exchange ended.

use crate::protocol::{Command, Mechanism, Reply, SaslError, b64_decode};
use crate::results::StepFailure;
use crate::session::client::Session;

/// What [`Session::start`] got: the reply to the mechanism's first message, or the server's
/// reply to the AUTH command itself when that was no challenge (the first message was then not
/// sent).
pub(super) enum Started {
    Sent(Reply),
    Before(Reply),
}

/// How an AUTH exchange ended: a final reply (to check), or a failure found on the client
/// side (no TLS, a wrong SCRAM server signature, a malformed challenge) after which nothing
/// more of the exchange was sent.
#[derive(Debug)]
pub enum AuthEnd {
    Reply(Reply),
    Failed(StepFailure),
}

pub(super) fn is_challenge(reply: &Reply) -> bool {
    reply.code.value() == 334
}

impl Session {
    /// Send one SASL line. A line that carries a secret is masked in every output first.
    pub(super) async fn sasl_line(
        &mut self,
        line: String,
        secret: bool,
    ) -> Result<Reply, StepFailure> {
        if secret {
            self.transcript.redactor.add_exact(line.clone());
        }
        self.command(&Command::Raw(line)).await
    }

    /// `AUTH MECH [initial]`; `initial` is masked when `secret`.
    pub(super) async fn auth_command(
        &mut self,
        mech: Mechanism,
        initial: Option<String>,
        secret: bool,
    ) -> Result<Reply, StepFailure> {
        if secret && let Some(i) = &initial {
            self.transcript.redactor.add_exact(i.clone());
        }
        self.command(&Command::Auth {
            mechanism: mech.name().to_owned(),
            initial,
        })
        .await
    }

    /// Send `first` as the initial response, or after the server's empty 334.
    pub(super) async fn start(
        &mut self,
        mech: Mechanism,
        first: String,
        secret: bool,
        initial: bool,
    ) -> Result<Started, StepFailure> {
        if initial {
            let reply = self.auth_command(mech, Some(first), secret).await?;
            return Ok(Started::Sent(reply));
        }
        let reply = self.auth_command(mech, None, false).await?;
        if !is_challenge(&reply) {
            return Ok(Started::Before(reply));
        }
        Ok(Started::Sent(self.sasl_line(first, secret).await?))
    }

    /// Cancel the exchange (`*`), read the server's answer, and fail with `why`.
    pub(super) async fn cancel(&mut self, why: &SaslError) -> Result<AuthEnd, StepFailure> {
        let reason = why.to_string();
        self.transcript.info(&format!("cancelling AUTH: {reason}"));
        let reply = self.command(&Command::Raw("*".to_owned())).await?;
        Ok(AuthEnd::Failed(StepFailure::expectation(
            reason,
            vec![format!(
                "the server answered the cancel with: {}",
                reply.wire_text(" / ")
            )],
        )))
    }

    /// A 334 challenge's bytes; shown in the transcript when it is text.
    pub(super) fn challenge(&mut self, reply: &Reply) -> Result<Vec<u8>, SaslError> {
        let text = reply.text();
        let bytes = b64_decode(&text)
            .ok_or_else(|| SaslError(format!("the server's challenge is not base64: {text:?}")))?;
        if let Ok(decoded) = std::str::from_utf8(&bytes)
            && !decoded.is_empty()
        {
            self.transcript
                .info(&format!("challenge decodes to {decoded:?}"));
        }
        Ok(bytes)
    }
}
