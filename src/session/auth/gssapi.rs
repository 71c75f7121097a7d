//! The `auth` step with `mechanism: GSSAPI` (RFC 4752): the Kerberos context's tokens in 334
//! exchanges until it is established (the server proves who it is: mutual authentication),
//! then the security-layer negotiation — "no security layer", and the authorization identity
//! (`username`, empty by default). Every token is masked in every output.

use super::kerberos::{Kerberos, TICKET_HINT};
use super::{AuthEnd, Started, is_challenge};
use crate::protocol::{
    Mechanism, Reply, SaslError, b64_encode, check_security_offer, security_layer_choice,
};
use crate::results::{FailureKind, StepFailure};
use crate::session::client::Session;

/// Context tokens a server may send before the exchange is given up (Kerberos needs one).
const MAX_ROUNDS: usize = 8;

impl Session {
    pub(super) async fn gssapi(
        &mut self,
        authzid: &str,
        service: &str,
        initial: bool,
    ) -> Result<AuthEnd, StepFailure> {
        let (mut krb, first) = match self.kerberos_start(service).await {
            Ok(started) => started,
            Err(failure) => return Err(failure),
        };
        self.transcript.info(&format!(
            "GSSAPI: Kerberos service ticket for `{service}` obtained"
        ));
        let first = b64_encode(&first);
        // Whether or not the first token went out, a success before the exchange is complete
        // fails below.
        let (Started::Sent(mut reply) | Started::Before(mut reply)) =
            self.start(Mechanism::Gssapi, first, true, initial).await?;
        let mut rounds = 0;
        loop {
            if !is_challenge(&reply) {
                if reply.code.is_positive() && !krb.is_complete() {
                    return Ok(AuthEnd::Failed(StepFailure::expectation(
                        "GSSAPI: the server accepted the login before the Kerberos exchange was complete, so it did not prove who it is (no mutual authentication)",
                        vec![format!("got:      {}", reply.wire_text(" / "))],
                    )));
                }
                return Ok(AuthEnd::Reply(reply));
            }
            rounds += 1;
            if rounds > MAX_ROUNDS {
                return self
                    .cancel(&SaslError(format!(
                        "GSSAPI: the server sent more than {MAX_ROUNDS} challenges"
                    )))
                    .await;
            }
            let token = match self.server_token(&reply) {
                Ok(t) => t,
                Err(e) => return self.cancel(&e).await,
            };
            if !krb.is_complete() {
                let answer = match krb.step(&token) {
                    Ok(a) => a.unwrap_or_default(),
                    Err(e) => return self.cancel(&SaslError(format!("GSSAPI: {e}"))).await,
                };
                let secret = !answer.is_empty();
                reply = self.sasl_line(b64_encode(&answer), secret).await?;
                continue;
            }
            // Established: the server's wrapped security-layer offer, and our choice.
            let choice = krb
                .unwrap(&token)
                .and_then(|offer| check_security_offer(&offer).map_err(|e| e.to_string()))
                .and_then(|()| krb.wrap(&security_layer_choice(authzid)));
            match choice {
                Ok(wrapped) => {
                    self.transcript.info(
                        "GSSAPI: the server is who it claims to be (mutual authentication); no security layer",
                    );
                    // The last message of the mechanism: a further 334 is the caller's
                    // "challenge after the exchange was complete".
                    let last = self.sasl_line(b64_encode(&wrapped), true).await?;
                    return Ok(AuthEnd::Reply(last));
                }
                Err(e) => return self.cancel(&SaslError(format!("GSSAPI: {e}"))).await,
            }
        }
    }

    /// Credentials and the first token, off the async threads (it may ask the KDC), within
    /// the step's timeout. A failure here sends nothing.
    async fn kerberos_start(&mut self, service: &str) -> Result<(Kerberos, Vec<u8>), StepFailure> {
        let timeout = self.timeout;
        let owned = service.to_owned();
        let task = tokio::task::spawn_blocking(move || Kerberos::start(&owned));
        let result = match tokio::time::timeout(timeout, task).await {
            Ok(Ok(r)) => r,
            Ok(Err(join)) => Err(format!("the Kerberos library failed: {join}")),
            Err(_) => Err(format!(
                "the Kerberos library did not answer within {} (is the KDC in KRB5_CONFIG reachable?)",
                crate::duration::format_duration(timeout)
            )),
        };
        result.map_err(|why| {
            let reason = format!("GSSAPI: {why}: nothing was sent");
            self.transcript.info(&reason);
            let mut help = Vec::new();
            if !reason.contains("KRB5CCNAME") && reason.contains("credentials") {
                help.push(TICKET_HINT.to_owned());
            }
            StepFailure::new(FailureKind::NotSent, reason, help)
        })
    }

    /// A 334's token, masked in the transcript already shown and in everything after.
    fn server_token(&mut self, reply: &Reply) -> Result<Vec<u8>, SaslError> {
        let text = reply.text();
        let text = text.trim();
        if !text.is_empty() {
            self.transcript.redactor.add_exact(text.to_owned());
            self.transcript.redact_last_reply_again();
        }
        if text.is_empty() {
            return Ok(Vec::new());
        }
        crate::protocol::b64_decode(text)
            .ok_or_else(|| SaslError("GSSAPI: the server's token is not base64".to_owned()))
    }
}
