//! The built-in server's side of SASL: every mechanism the client drives, sharing the protocol
//! code in `crate::protocol` (no second copy). Accounts are `--user NAME:PASSWORD`; for
//! XOAUTH2 and OAUTHBEARER the account's password is its bearer token.

use crate::protocol::{
    Mechanism, NtlmServer, ScramHash, ScramServer, b64_decode, b64_encode, cram_md5_response,
    parse_oauth, parse_plain, random_bytes,
};

/// The mechanisms advertised after `AUTH`, in this order (LOGIN and PLAIN first, as before).
pub(crate) const ADVERTISED: [Mechanism; 8] = [
    Mechanism::Login,
    Mechanism::Plain,
    Mechanism::CramMd5,
    Mechanism::ScramSha1,
    Mechanism::ScramSha256,
    Mechanism::XOAuth2,
    Mechanism::OAuthBearer,
    Mechanism::Ntlm,
];

/// The NetBIOS domain the NTLM challenge names.
const NTLM_DOMAIN: &str = "SMTPPLAN";

/// What the session answers next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SaslStep {
    /// `334 TEXT` (TEXT is already base64 where the mechanism wants it).
    Challenge(String),
    /// `235`: this account logged in.
    Success(String),
    /// `535`: wrong credentials.
    Failure,
    /// `501`: a response that is not base64 (or not what the mechanism allows).
    Malformed,
}

/// Where one exchange stands: the response the server waits for.
#[derive(Debug)]
pub(crate) enum Exchange {
    Plain,
    LoginUser,
    LoginPassword {
        user: String,
    },
    CramMd5 {
        challenge: String,
    },
    ScramFirst(ScramHash),
    ScramFinal(Box<ScramServer>),
    ScramDone {
        user: String,
    },
    OAuth {
        bearer: bool,
    },
    /// After the 334 error status: any response gets the 535.
    OAuthFailed,
    NtlmNegotiate(Box<NtlmServer>),
    NtlmAuthenticate(Box<NtlmServer>),
}

/// One exchange in progress, with the accounts to check against.
pub(crate) struct Sasl<'a> {
    pub(crate) users: &'a [(String, String)],
    pub(crate) hostname: &'a str,
}

impl Sasl<'_> {
    fn password(&self, user: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
    }

    fn check(&self, user: String, password: &str) -> SaslStep {
        if self.password(&user) == Some(password) {
            SaslStep::Success(user)
        } else {
            SaslStep::Failure
        }
    }

    /// `AUTH MECH`: the first state, and what to answer when there is no initial response.
    /// None: the mechanism is not offered.
    pub(crate) fn start(&self, mechanism: &str) -> Option<(Exchange, SaslStep)> {
        let mech: Mechanism = mechanism.parse().ok()?;
        if !ADVERTISED.contains(&mech) {
            return None; // GSSAPI: no Kerberos acceptor here.
        }
        let empty = || SaslStep::Challenge(String::new());
        Some(match mech {
            Mechanism::Plain => (Exchange::Plain, empty()),
            Mechanism::Login => (
                Exchange::LoginUser,
                SaslStep::Challenge(b64_encode(b"Username:")),
            ),
            Mechanism::CramMd5 => {
                let nonce = random_bytes(8).ok()?;
                let n = u64::from_le_bytes(nonce.try_into().ok()?);
                let secs = crate::transport::date::unix_now();
                let challenge = format!("<{n}.{secs}@{}>", self.hostname);
                let text = b64_encode(challenge.as_bytes());
                (Exchange::CramMd5 { challenge }, SaslStep::Challenge(text))
            }
            Mechanism::ScramSha1 => (Exchange::ScramFirst(ScramHash::Sha1), empty()),
            Mechanism::ScramSha256 => (Exchange::ScramFirst(ScramHash::Sha256), empty()),
            Mechanism::XOAuth2 => (Exchange::OAuth { bearer: false }, empty()),
            Mechanism::OAuthBearer => (Exchange::OAuth { bearer: true }, empty()),
            // Exchange's words (MS-SMTPNTLM §3.2.5.1.1.1).
            Mechanism::Ntlm => (
                Exchange::NtlmNegotiate(Box::new(NtlmServer::new().ok()?)),
                SaslStep::Challenge("NTLM supported".to_owned()),
            ),
            Mechanism::Gssapi => return None,
        })
    }

    /// A response line (base64, or empty) in state `state`: the next state, if any, and the
    /// answer.
    pub(crate) fn respond(&self, state: Exchange, line: &str) -> (Option<Exchange>, SaslStep) {
        let line = line.trim();
        let decoded = if line.is_empty() || line == "=" {
            Some(Vec::new())
        } else {
            b64_decode(line)
        };
        let Some(bytes) = decoded else {
            return (None, SaslStep::Malformed);
        };
        let text = String::from_utf8(bytes.clone()).ok();
        let done = |step| (None, step);
        match state {
            Exchange::Plain => match text.as_deref().and_then(parse_plain) {
                Some((user, pass)) => done(self.check(user, &pass)),
                None => done(SaslStep::Failure),
            },
            Exchange::LoginUser => match text {
                Some(user) => (
                    Some(Exchange::LoginPassword { user }),
                    SaslStep::Challenge(b64_encode(b"Password:")),
                ),
                None => done(SaslStep::Failure),
            },
            Exchange::LoginPassword { user } => match text {
                Some(pass) => done(self.check(user, &pass)),
                None => done(SaslStep::Failure),
            },
            Exchange::CramMd5 { challenge } => {
                let Some((user, _)) = text.as_deref().and_then(|t| t.rsplit_once(' ')) else {
                    return done(SaslStep::Failure);
                };
                let want = self
                    .password(user)
                    .map(|p| cram_md5_response(user, p, challenge.as_bytes()));
                if want.is_some() && want == text {
                    done(SaslStep::Success(user.to_owned()))
                } else {
                    done(SaslStep::Failure)
                }
            }
            Exchange::ScramFirst(hash) => match text.map(|t| ScramServer::start(hash, &t)) {
                Some(Ok(server)) => {
                    let first = b64_encode(server.server_first().as_bytes());
                    (
                        Some(Exchange::ScramFinal(Box::new(server))),
                        SaslStep::Challenge(first),
                    )
                }
                _ => done(SaslStep::Failure),
            },
            Exchange::ScramFinal(server) => {
                let password = self.password(server.user());
                match text.map(|t| server.finish(&t, password)) {
                    Some(Ok(server_final)) => (
                        Some(Exchange::ScramDone {
                            user: server.user().to_owned(),
                        }),
                        SaslStep::Challenge(b64_encode(server_final.as_bytes())),
                    ),
                    _ => done(SaslStep::Failure),
                }
            }
            Exchange::ScramDone { user } => done(SaslStep::Success(user)),
            Exchange::OAuth { bearer } => {
                let parsed = text.as_deref().and_then(|t| parse_oauth(t, bearer));
                match parsed {
                    Some(r) if self.password(&r.user) == Some(r.token.as_str()) => {
                        done(SaslStep::Success(r.user))
                    }
                    _ => {
                        // RFC 7628 §3.2.2 (and Google's XOAUTH2): the error as a JSON status
                        // in a 334; the client's next response gets the failure.
                        let status = if bearer {
                            r#"{"status":"invalid_token","scope":"smtp","openid-configuration":"https://localhost/.well-known/openid-configuration"}"#
                        } else {
                            r#"{"status":"401","schemes":"Bearer","scope":"smtp"}"#
                        };
                        (
                            Some(Exchange::OAuthFailed),
                            SaslStep::Challenge(b64_encode(status.as_bytes())),
                        )
                    }
                }
            }
            Exchange::OAuthFailed => done(SaslStep::Failure),
            Exchange::NtlmNegotiate(server) => {
                let computer = self
                    .hostname
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_uppercase();
                match server.challenge(&bytes, NTLM_DOMAIN, &computer) {
                    Ok(msg) => (
                        Some(Exchange::NtlmAuthenticate(server)),
                        SaslStep::Challenge(b64_encode(&msg)),
                    ),
                    Err(_) => done(SaslStep::Malformed),
                }
            }
            Exchange::NtlmAuthenticate(server) => {
                let lookup = |user: &str, domain: &str| {
                    let with_domain = format!("{domain}\\{user}");
                    self.users
                        .iter()
                        .find(|(u, _)| {
                            u.eq_ignore_ascii_case(user)
                                || (!domain.is_empty() && u.eq_ignore_ascii_case(&with_domain))
                        })
                        .map(|(u, p)| (u.clone(), p.clone()))
                };
                match server.verify(&bytes, &lookup) {
                    Some(user) => done(SaslStep::Success(user)),
                    None => done(SaslStep::Failure),
                }
            }
        }
    }
}
