//! The `auth` step: every SASL mechanism driven from the client side, `mechanism: auto`, the
//! refusal to send credentials without TLS, and redaction of every wire form of a secret.

use super::failure::{FailureKind, StepFailure};
use super::scenario::{Run, StepEnd, StepErr};
use crate::protocol::{
    Command, Mechanism, Reply, SaslError, ScramClient, ScramHash, b64_decode, b64_encode,
    cram_md5_response, ntlm_authenticate, ntlm_negotiate, oauthbearer_response,
    parse_ntlm_challenge, plain_response, xoauth2_response,
};
use crate::redact::Secret;
use crate::scenario::{AuthMechanism, AuthSpec, Credential, Step};

/// How an `auth` step ended: a final reply to check against the expectation, or a failure
/// found on the client side (no TLS, a wrong SCRAM server signature, a malformed challenge).
pub(super) enum AuthEnd {
    Reply(Reply),
    End(StepEnd),
}

/// The credentials of one `auth` step, rendered.
struct Login {
    user: String,
    secret: Secret,
}

impl Run<'_> {
    /// Whether the open connection is encrypted (no connection counts as encrypted here:
    /// the step then fails on the missing connection instead).
    pub(super) fn plaintext(&mut self) -> bool {
        self.conn.as_ref().is_some_and(|c| !c.is_tls())
    }

    /// The failure of a step that would put credentials on an unencrypted connection.
    pub(super) fn refuse_plaintext(&mut self, what: &str) -> StepEnd {
        self.plaintext_refusal(what).into()
    }

    /// The failure of [`Run::refuse_plaintext`], noted in the transcript.
    pub(super) fn plaintext_refusal(&mut self, what: &str) -> StepFailure {
        let reason =
            format!("refusing to send {what} over a connection without TLS: nothing was sent");
        self.transcript.info(&reason);
        StepFailure::new(
            FailureKind::NotSent,
            reason,
            vec![
                "add a `starttls` step (and EHLO again) before it, or connect with `tls: implicit`"
                    .to_owned(),
                "for a negative test that must send it in plaintext, add `allow_plaintext: true` to the step"
                    .to_owned(),
            ],
        )
    }

    /// The `auth` step: the whole exchange; its final reply to check, or how it ended. A 334
    /// after the mechanism's last message is a challenge after the exchange was complete:
    /// the exchange is cancelled and the step fails (unless the plan expects a 334).
    pub(super) async fn auth(&mut self, spec: &AuthSpec, step: &Step) -> Result<AuthEnd, StepErr> {
        let end = self.auth_exchange(spec, step.allow_plaintext).await?;
        match end {
            AuthEnd::Reply(reply)
                if is_challenge(&reply) && !step.expect.codes.iter().any(|c| c.matches(334)) =>
            {
                self.cancel(&SaslError(
                    "the server sent an unexpected SASL challenge after the exchange was complete"
                        .to_owned(),
                ))
                .await
            }
            other => Ok(other),
        }
    }

    async fn auth_exchange(
        &mut self,
        spec: &AuthSpec,
        allow_plaintext: bool,
    ) -> Result<AuthEnd, StepErr> {
        let user = self.render(&spec.username)?;
        let secret = Secret::new(self.render(spec.credential.template())?);
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
        // The password or token is secret whether or not the plan lists it, in every form.
        self.transcript.redactor.add_secret(secret.expose());
        let mech = match spec.mechanism {
            AuthMechanism::Named(m) => {
                self.note_unadvertised(m);
                m
            }
            AuthMechanism::Auto => match self.choose(&spec.credential) {
                Ok(m) => m,
                Err(end) => return Ok(AuthEnd::End(end)),
            },
        };
        self.conn()?;
        if self.plaintext() && !allow_plaintext {
            let what = format!("credentials (AUTH {mech})");
            return Ok(AuthEnd::End(self.refuse_plaintext(&what)));
        }
        let login = Login { user, secret };
        let initial = spec.initial_response;
        match mech {
            Mechanism::Plain => self.plain(&login, initial.unwrap_or(true)).await,
            Mechanism::Login => self.login(&login, initial.unwrap_or(false)).await,
            Mechanism::CramMd5 => self.cram_md5(&login).await,
            Mechanism::ScramSha1 | Mechanism::ScramSha256 => {
                let hash = if mech == Mechanism::ScramSha1 {
                    ScramHash::Sha1
                } else {
                    ScramHash::Sha256
                };
                self.scram(mech, hash, &login, initial.unwrap_or(true))
                    .await
            }
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => {
                self.oauth(mech, &login, initial.unwrap_or(true)).await
            }
            Mechanism::Ntlm => self.ntlm(&login, initial.unwrap_or(true)).await,
        }
    }

    fn note_unadvertised(&mut self, mech: Mechanism) {
        if let Some(caps) = &self.capabilities
            && !caps.has_param("AUTH", mech.name())
        {
            let offered = caps.params("AUTH");
            let offered = if offered.is_empty() {
                "none".to_owned()
            } else {
                offered.join(" ")
            };
            self.transcript.info(&format!(
                "note: the server did not advertise AUTH {mech} (it offers: {offered}); trying anyway"
            ));
        }
    }

    /// `mechanism: auto`: the first of [`Mechanism::ALL`] (strongest first) that the last
    /// EHLO advertised and that fits the credential (token or password).
    fn choose(&mut self, credential: &Credential) -> Result<Mechanism, StepEnd> {
        let Some(caps) = &self.capabilities else {
            return Err(StepFailure::new(
                FailureKind::NotSent,
                "`mechanism: auto` needs the server's capabilities, but no EHLO was answered on this connection (since its last STARTTLS)",
                vec!["add an `ehlo` step before `auth`".to_owned()],
            )
            .into());
        };
        let offered: Vec<String> = caps
            .params("AUTH")
            .iter()
            .map(|p| p.to_ascii_uppercase())
            .collect();
        let chosen = Mechanism::ALL
            .into_iter()
            .filter(|m| m.uses_token() == credential.is_token())
            .find(|m| offered.iter().any(|o| o == m.name()));
        let shown = if offered.is_empty() {
            "none".to_owned()
        } else {
            offered.join(" ")
        };
        match chosen {
            Some(m) => {
                self.transcript.info(&format!(
                    "mechanism auto chose AUTH {m} (the server offers: {shown})"
                ));
                Ok(m)
            }
            None => {
                let kind = if credential.is_token() {
                    "a token (XOAUTH2, OAUTHBEARER)"
                } else {
                    "a password"
                };
                Err(StepFailure::new(
                    FailureKind::NotSent,
                    format!(
                        "`mechanism: auto` found no mechanism for {kind} among those the server offers: {shown}"
                    ),
                    Vec::new(),
                )
                .into())
            }
        }
    }

    /// Send one SASL line. A line that carries a secret is masked in every output first.
    async fn sasl_line(&mut self, line: String, secret: bool) -> Result<Reply, StepErr> {
        if secret {
            self.transcript.redactor.add_exact(line.clone());
        }
        self.command(&Command::Raw(line)).await
    }

    /// `AUTH MECH [initial]`; `initial` is masked when `secret`.
    async fn auth_command(
        &mut self,
        mech: Mechanism,
        initial: Option<String>,
        secret: bool,
    ) -> Result<Reply, StepErr> {
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
    async fn start(
        &mut self,
        mech: Mechanism,
        first: String,
        secret: bool,
        initial: bool,
    ) -> Result<Reply, StepErr> {
        if initial {
            return self.auth_command(mech, Some(first), secret).await;
        }
        let reply = self.auth_command(mech, None, false).await?;
        if !is_challenge(&reply) {
            return Ok(reply);
        }
        self.sasl_line(first, secret).await
    }

    /// Cancel the exchange (`*`), read the server's answer, and fail with `why`.
    async fn cancel(&mut self, why: &SaslError) -> Result<AuthEnd, StepErr> {
        let reason = why.to_string();
        self.transcript.info(&format!("cancelling AUTH: {reason}"));
        let reply = self.command(&Command::Raw("*".to_owned())).await?;
        Ok(AuthEnd::End(
            StepFailure::expectation(
                reason,
                vec![format!(
                    "the server answered the cancel with: {}",
                    reply.wire_text(" / ")
                )],
            )
            .into(),
        ))
    }

    /// A 334 challenge's bytes; shown in the transcript when it is text.
    fn challenge(&mut self, reply: &Reply) -> Result<Vec<u8>, SaslError> {
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

    async fn plain(&mut self, login: &Login, initial: bool) -> Result<AuthEnd, StepErr> {
        let blob = plain_response(&login.user, login.secret.expose());
        let reply = self.start(Mechanism::Plain, blob, true, initial).await?;
        Ok(AuthEnd::Reply(reply))
    }

    async fn login(&mut self, login: &Login, initial: bool) -> Result<AuthEnd, StepErr> {
        let user = b64_encode(login.user.as_bytes());
        let reply = if initial {
            self.auth_command(Mechanism::Login, Some(user), false)
                .await?
        } else {
            let first = self.auth_command(Mechanism::Login, None, false).await?;
            if !is_challenge(&first) {
                return Ok(AuthEnd::Reply(first));
            }
            let _ = self.challenge(&first);
            self.sasl_line(user, false).await?
        };
        if !is_challenge(&reply) {
            return Ok(AuthEnd::Reply(reply));
        }
        let _ = self.challenge(&reply);
        let password = b64_encode(login.secret.expose().as_bytes());
        Ok(AuthEnd::Reply(self.sasl_line(password, true).await?))
    }

    async fn cram_md5(&mut self, login: &Login) -> Result<AuthEnd, StepErr> {
        let first = self.auth_command(Mechanism::CramMd5, None, false).await?;
        if !is_challenge(&first) {
            return Ok(AuthEnd::Reply(first));
        }
        let challenge = match self.challenge(&first) {
            Ok(c) => c,
            Err(e) => return self.cancel(&e).await,
        };
        let response = cram_md5_response(&login.user, login.secret.expose(), &challenge);
        if let Some((_, digest)) = response.rsplit_once(' ') {
            self.transcript.redactor.add_exact(digest.to_owned());
        }
        let line = b64_encode(response.as_bytes());
        Ok(AuthEnd::Reply(self.sasl_line(line, true).await?))
    }

    async fn scram(
        &mut self,
        mech: Mechanism,
        hash: ScramHash,
        login: &Login,
        initial: bool,
    ) -> Result<AuthEnd, StepErr> {
        // SASLprep may refuse the user name or password: say so before anything is sent.
        let mut client = ScramClient::new(hash, &login.user)
            .and_then(|c| ScramClient::check_password(login.secret.expose()).map(|()| c))
            .map_err(|e| {
                StepFailure::new(
                    FailureKind::NotSent,
                    format!("{mech}: {e}: nothing was sent"),
                    Vec::new(),
                )
            })?;
        let first = b64_encode(client.client_first().as_bytes());
        let reply = self.start(mech, first, false, initial).await?;
        if !is_challenge(&reply) {
            return Ok(AuthEnd::Reply(reply));
        }
        let server_first = match self
            .challenge(&reply)
            .and_then(|b| String::from_utf8(b).map_err(|_| SaslError("not UTF-8".into())))
            .and_then(|s| client.client_final(&s, login.secret.expose()))
        {
            Ok(f) => f,
            Err(e) => return self.cancel(&e).await,
        };
        if let Some((_, proof)) = server_first.rsplit_once(",p=") {
            self.transcript.redactor.add_exact(proof.to_owned());
        }
        self.transcript.redactor.add_exact(server_first.clone());
        let reply = self
            .sasl_line(b64_encode(server_first.as_bytes()), true)
            .await?;
        if !is_challenge(&reply) {
            if reply.code.is_positive() {
                // Success without the server-final message: the server never proved that it
                // knows the password.
                return Ok(AuthEnd::End(
                    StepFailure::expectation(
                        format!(
                            "{mech}: the server accepted the login without sending its signature (server-final message), so it did not prove it knows the password"
                        ),
                        vec![format!("got:      {}", reply.wire_text(" / "))],
                    )
                    .into(),
                ));
            }
            return Ok(AuthEnd::Reply(reply));
        }
        let verified = self
            .challenge(&reply)
            .and_then(|b| String::from_utf8(b).map_err(|_| SaslError("not UTF-8".into())))
            .and_then(|s| client.verify_server_final(&s));
        match verified {
            Ok(()) => {
                self.transcript
                    .info(&format!("{mech}: the server signature is valid"));
                Ok(AuthEnd::Reply(self.sasl_line(String::new(), false).await?))
            }
            Err(e) => self.cancel(&SaslError(format!("{mech}: {e}"))).await,
        }
    }

    async fn oauth(
        &mut self,
        mech: Mechanism,
        login: &Login,
        initial: bool,
    ) -> Result<AuthEnd, StepErr> {
        let raw = if mech == Mechanism::XOAuth2 {
            xoauth2_response(&login.user, login.secret.expose())
        } else {
            let port = self.conn()?.peer_addr().port();
            oauthbearer_response(&login.user, login.secret.expose(), &self.host, port)
        };
        self.transcript.redactor.add_exact(raw.clone());
        let reply = self
            .start(mech, b64_encode(raw.as_bytes()), true, initial)
            .await?;
        if !is_challenge(&reply) {
            return Ok(AuthEnd::Reply(reply));
        }
        // RFC 7628 §3.2.2 / XOAUTH2: an error is a 334 with a JSON status; the client
        // answers with a dummy response (^A for OAUTHBEARER, empty for XOAUTH2) to get the
        // final reply.
        let _ = self.challenge(&reply);
        let dummy = if mech == Mechanism::XOAuth2 {
            String::new()
        } else {
            b64_encode(b"\x01")
        };
        Ok(AuthEnd::Reply(self.sasl_line(dummy, false).await?))
    }

    async fn ntlm(&mut self, login: &Login, initial: bool) -> Result<AuthEnd, StepErr> {
        let negotiate = b64_encode(&ntlm_negotiate());
        let reply = self
            .start(Mechanism::Ntlm, negotiate, false, initial)
            .await?;
        if !is_challenge(&reply) {
            return Ok(AuthEnd::Reply(reply));
        }
        let authenticate = b64_decode(&reply.text())
            .ok_or_else(|| SaslError("the NTLM challenge is not base64".into()))
            .and_then(|b| parse_ntlm_challenge(&b))
            .and_then(|c| ntlm_authenticate(&c, &login.user, login.secret.expose()));
        match authenticate {
            Ok(msg) => Ok(AuthEnd::Reply(
                self.sasl_line(b64_encode(&msg), true).await?,
            )),
            Err(e) => self.cancel(&e).await,
        }
    }
}

fn is_challenge(reply: &Reply) -> bool {
    reply.code.value() == 334
}
