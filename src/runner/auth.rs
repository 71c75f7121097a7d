//! The `auth` step: the credentials rendered, `mechanism: auto` resolved, and the exchange
//! played by the session (which refuses credentials without TLS and masks every wire form of
//! the secret).

use super::run::{Run, StepErr};
use crate::model::{AuthMechanism, AuthSpec, Step};
use crate::redact::Secret;
use crate::results::{FailureKind, StepFailure};
use crate::session::{AuthEnd, Credentials};

impl Run<'_> {
    /// The `auth` step: the whole exchange; its final reply to check, or how it ended.
    pub(super) async fn auth(&mut self, spec: &AuthSpec, step: &Step) -> Result<AuthEnd, StepErr> {
        let user = self.render(&spec.username)?;
        let secret = Secret::new(match spec.credential.expose() {
            Some(t) => self.render(t)?,
            None => String::new(), // GSSAPI: the ticket stays in the Kerberos library
        });
        if !secret.expose().is_empty()
            && let Err(why) = crate::redact::check_secret_length(secret.expose())
        {
            // Known only now (a captured value): too short to be masked safely.
            let what = if spec.credential.is_token() {
                "token"
            } else {
                "password"
            };
            return Err(StepFailure::new(
                FailureKind::NotSent,
                format!("the {what} {why}: nothing was sent"),
                Vec::new(),
            ));
        }
        // Masked before anything else can show it (the choice below, a refusal).
        self.session.transcript.redactor.add_secret(secret.expose());
        let mech = match spec.mechanism {
            AuthMechanism::Named(m) => {
                self.session.note_unadvertised(m);
                m
            }
            AuthMechanism::Auto => {
                match self.session.choose_mechanism(spec.credential.is_token()) {
                    Ok(m) => m,
                    Err(f) => return Ok(AuthEnd::Failed(f)),
                }
            }
        };
        let service = match &spec.service {
            Some(t) => Some(self.render(t)?),
            None => None,
        };
        let challenge_expected = step.expect.codes.iter().any(|c| c.matches(334));
        self.session
            .authenticate(
                mech,
                &Credentials {
                    user,
                    secret,
                    service,
                },
                spec.initial_response,
                challenge_expected,
            )
            .await
    }
}
