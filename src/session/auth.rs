//! AUTH on a session: every SASL mechanism the client has, driven over the connection, with
//! every wire form of the secret masked in the transcript before it is sent, and no
//! credentials on a connection without TLS unless allowed.

mod gssapi;
mod kerberos;

use super::client::Session;
use crate::protocol::{
    Command, Mechanism, Reply, SaslError, ScramClient, ScramHash, b64_decode, b64_encode,
    cram_md5_response, ntlm_authenticate, ntlm_negotiate, oauthbearer_response,
    parse_ntlm_challenge, plain_response, xoauth2_response,
};
use crate::redact::Secret;
use crate::results::{FailureKind, StepFailure};

/// How an AUTH exchange ended: a final reply (to check), or a failure found on the client
/// side (no TLS, a wrong SCRAM server signature, a malformed challenge) after which nothing
/// more of the exchange was sent.
#[derive(Debug)]
pub enum AuthEnd {
    Reply(Reply),
    Failed(StepFailure),
}

/// What [`Session::start`] got: the reply to the mechanism's first message, or the server's
/// reply to the AUTH command itself when that was no challenge (the first message was then not
/// sent).
pub(super) enum Started {
    Sent(Reply),
    Before(Reply),
}

/// The reply that ended an exchange before the client sent its `what` (the password, the
/// token, the proof of the password). A refusal is the server's answer, to be checked; a
/// success cannot be a login, since the server never had what it would check: it fails.
fn ended_before(mech: Mechanism, what: &str, reply: Reply) -> AuthEnd {
    if !reply.code.is_positive() {
        return AuthEnd::Reply(reply);
    }
    AuthEnd::Failed(StepFailure::expectation(
        format!(
            "{mech}: the server accepted the login before smtp-plan sent the {what}, so it cannot have checked it"
        ),
        vec![format!("got:      {}", reply.wire_text(" / "))],
    ))
}

/// Who logs in, with what: a password, or a token for XOAUTH2 / OAUTHBEARER; for GSSAPI no
/// secret (the Kerberos ticket comes from the environment), `user` the authorization identity
/// (empty: the ticket's principal).
#[derive(Debug)]
pub struct Credentials {
    pub user: String,
    pub secret: Secret,
    /// GSSAPI: the server's service name (`smtp@HOST` or `smtp/HOST@REALM`); None: `smtp@`
    /// the connection's host.
    pub service: Option<String>,
}

impl Session {
    /// Log in with `mech`: the whole exchange. `initial` says whether the first message goes
    /// with the AUTH command (the mechanism's usual way when `None`). The secret is masked in
    /// every form first. A 334 after the mechanism's last message is a challenge after the
    /// exchange was complete: the exchange is cancelled and fails, unless `challenge_expected`.
    pub async fn authenticate(
        &mut self,
        mech: Mechanism,
        login: &Credentials,
        initial: Option<bool>,
        challenge_expected: bool,
    ) -> Result<AuthEnd, StepFailure> {
        // The password or token is secret whether or not a plan lists it, in every form.
        self.transcript.redactor.add_secret(login.secret.expose());
        self.conn()?;
        if self.plaintext() && !self.allow_plaintext {
            let what = format!("credentials (AUTH {mech})");
            return Ok(AuthEnd::Failed(self.plaintext_refusal(&what)));
        }
        let end = match mech {
            Mechanism::Plain => self.plain(login, initial.unwrap_or(true)).await?,
            Mechanism::Login => self.login(login, initial.unwrap_or(false)).await?,
            Mechanism::CramMd5 => self.cram_md5(login).await?,
            Mechanism::ScramSha1 | Mechanism::ScramSha256 => {
                let hash = if mech == Mechanism::ScramSha1 {
                    ScramHash::Sha1
                } else {
                    ScramHash::Sha256
                };
                self.scram(mech, hash, login, initial.unwrap_or(true))
                    .await?
            }
            Mechanism::XOAuth2 | Mechanism::OAuthBearer => {
                self.oauth(mech, login, initial.unwrap_or(true)).await?
            }
            Mechanism::Ntlm => self.ntlm(login, initial.unwrap_or(true)).await?,
            Mechanism::Gssapi => {
                let service = match &login.service {
                    Some(s) => s.clone(),
                    None => format!("smtp@{}", self.host()),
                };
                self.gssapi(&login.user, &service, initial.unwrap_or(true))
                    .await?
            }
        };
        match end {
            AuthEnd::Reply(reply) if is_challenge(&reply) && !challenge_expected => {
                self.cancel(&SaslError(
                    "the server sent an unexpected SASL challenge after the exchange was complete"
                        .to_owned(),
                ))
                .await
            }
            other => Ok(other),
        }
    }

    /// The AUTH mechanisms the last EHLO advertised, as the server wrote them (not
    /// upper-cased: a secret it echoed there is masked only in the form it was sent); `None`
    /// when no EHLO was answered on this connection (since its last STARTTLS).
    pub fn offered_mechanisms(&self) -> Option<Vec<String>> {
        let caps = self.capabilities.as_ref()?;
        Some(caps.params("AUTH").into_iter().map(str::to_owned).collect())
    }

    /// Note in the transcript that `mech` is tried although the last EHLO did not offer it.
    pub fn note_unadvertised(&mut self, mech: Mechanism) {
        let Some(offered) = self.offered_mechanisms() else {
            return;
        };
        if offered.iter().any(|o| o.eq_ignore_ascii_case(mech.name())) {
            return;
        }
        let offered = if offered.is_empty() {
            "none".to_owned()
        } else {
            offered.join(" ")
        };
        self.transcript.info(&format!(
            "note: the server did not advertise AUTH {mech} (it offers: {offered}); trying anyway"
        ));
    }

    /// `mechanism: auto`: the first of [`Mechanism::ALL`] (strongest first) that the last
    /// EHLO advertised and that fits the credential (a token, or a password).
    pub fn choose_mechanism(&mut self, token: bool) -> Result<Mechanism, StepFailure> {
        let Some(offered) = self.offered_mechanisms() else {
            return Err(StepFailure::new(
                FailureKind::NotSent,
                "`mechanism: auto` needs the server's capabilities, but no EHLO was answered on this connection (since its last STARTTLS)",
                vec!["add an `ehlo` step before `auth`".to_owned()],
            ));
        };
        let chosen = Mechanism::ALL
            .into_iter()
            .filter(|m| !m.uses_ticket() && m.uses_token() == token)
            .find(|m| offered.iter().any(|o| o.eq_ignore_ascii_case(m.name())));
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
                let kind = if token {
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
                ))
            }
        }
    }

    /// Send one SASL line. A line that carries a secret is masked in every output first.
    async fn sasl_line(&mut self, line: String, secret: bool) -> Result<Reply, StepFailure> {
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
    async fn start(
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
    async fn cancel(&mut self, why: &SaslError) -> Result<AuthEnd, StepFailure> {
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

    async fn plain(&mut self, login: &Credentials, initial: bool) -> Result<AuthEnd, StepFailure> {
        let blob = plain_response(&login.user, login.secret.expose());
        match self.start(Mechanism::Plain, blob, true, initial).await? {
            Started::Sent(reply) => Ok(AuthEnd::Reply(reply)),
            Started::Before(reply) => Ok(ended_before(Mechanism::Plain, "password", reply)),
        }
    }

    async fn login(&mut self, login: &Credentials, initial: bool) -> Result<AuthEnd, StepFailure> {
        let user = b64_encode(login.user.as_bytes());
        let reply = if initial {
            self.auth_command(Mechanism::Login, Some(user), false)
                .await?
        } else {
            let first = self.auth_command(Mechanism::Login, None, false).await?;
            if !is_challenge(&first) {
                return Ok(ended_before(Mechanism::Login, "password", first));
            }
            let _ = self.challenge(&first);
            self.sasl_line(user, false).await?
        };
        if !is_challenge(&reply) {
            return Ok(ended_before(Mechanism::Login, "password", reply));
        }
        let _ = self.challenge(&reply);
        let password = b64_encode(login.secret.expose().as_bytes());
        Ok(AuthEnd::Reply(self.sasl_line(password, true).await?))
    }

    async fn cram_md5(&mut self, login: &Credentials) -> Result<AuthEnd, StepFailure> {
        let first = self.auth_command(Mechanism::CramMd5, None, false).await?;
        if !is_challenge(&first) {
            return Ok(ended_before(
                Mechanism::CramMd5,
                "digest of the password",
                first,
            ));
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
        login: &Credentials,
        initial: bool,
    ) -> Result<AuthEnd, StepFailure> {
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
        // The client-first message holds no proof: a reply that is no challenge, to it or to
        // AUTH, comes before the proof of the password.
        let (Started::Sent(reply) | Started::Before(reply)) =
            self.start(mech, first, false, initial).await?;
        if !is_challenge(&reply) {
            return Ok(ended_before(mech, "proof of the password", reply));
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
                return Ok(AuthEnd::Failed(StepFailure::expectation(
                    format!(
                        "{mech}: the server accepted the login without sending its signature (server-final message), so it did not prove it knows the password"
                    ),
                    vec![format!("got:      {}", reply.wire_text(" / "))],
                )));
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
        login: &Credentials,
        initial: bool,
    ) -> Result<AuthEnd, StepFailure> {
        let raw = if mech == Mechanism::XOAuth2 {
            xoauth2_response(&login.user, login.secret.expose())
        } else {
            let port = self.conn()?.peer_addr().map_or(0, |a| a.port());
            let host = self.host().to_owned();
            oauthbearer_response(&login.user, login.secret.expose(), &host, port)
        };
        self.transcript.redactor.add_exact(raw.clone());
        let reply = match self
            .start(mech, b64_encode(raw.as_bytes()), true, initial)
            .await?
        {
            Started::Sent(reply) => reply,
            Started::Before(reply) => return Ok(ended_before(mech, "token", reply)),
        };
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

    async fn ntlm(&mut self, login: &Credentials, initial: bool) -> Result<AuthEnd, StepFailure> {
        let negotiate = b64_encode(&ntlm_negotiate());
        // The negotiate message holds no credential: the password's response comes third.
        let (Started::Sent(reply) | Started::Before(reply)) = self
            .start(Mechanism::Ntlm, negotiate, false, initial)
            .await?;
        if !is_challenge(&reply) {
            return Ok(ended_before(
                Mechanism::Ntlm,
                "response to its challenge",
                reply,
            ));
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
