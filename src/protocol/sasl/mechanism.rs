use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A SASL mechanism name as the plan and the server spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    Plain,
    Login,
    CramMd5,
    ScramSha1,
    ScramSha256,
    XOAuth2,
    OAuthBearer,
    Ntlm,
    /// RFC 4752 Kerberos V5 through GSS-API, with a ticket from the environment.
    Gssapi,
}

/// The mechanism name is not one smtp-plan knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SASL mechanism `{0}`")]
pub struct UnknownMechanism(pub String);

impl Mechanism {
    /// Every mechanism, strongest first: the order `mechanism: auto` picks in (the OAuth ones
    /// only when the plan gives a `token`, the others only when it gives a `password`; never
    /// GSSAPI, which takes neither).
    pub const ALL: [Mechanism; 9] = [
        Mechanism::OAuthBearer,
        Mechanism::XOAuth2,
        Mechanism::ScramSha256,
        Mechanism::ScramSha1,
        Mechanism::CramMd5,
        Mechanism::Ntlm,
        Mechanism::Plain,
        Mechanism::Login,
        Mechanism::Gssapi,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::ScramSha1 => "SCRAM-SHA-1",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
            Mechanism::Ntlm => "NTLM",
            Mechanism::Gssapi => "GSSAPI",
        }
    }

    /// Whether the credential is an OAuth 2.0 bearer token (`token:`) rather than a password.
    pub fn uses_token(self) -> bool {
        matches!(self, Mechanism::XOAuth2 | Mechanism::OAuthBearer)
    }

    /// Whether it logs in with a Kerberos ticket from the environment (no password, no token).
    pub fn uses_ticket(self) -> bool {
        self == Mechanism::Gssapi
    }
}

impl FromStr for Mechanism {
    type Err = UnknownMechanism;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.to_ascii_uppercase();
        Mechanism::ALL
            .into_iter()
            .find(|m| m.name() == upper)
            .ok_or(UnknownMechanism(upper))
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim()).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mechanism::ALL {
            assert_eq!(m.name().to_lowercase().parse::<Mechanism>().unwrap(), m);
        }
        assert!("DIGEST-MD5".parse::<Mechanism>().is_err());
    }

    #[test]
    fn login_is_plain_base64() {
        assert_eq!(b64_encode(b"user1@contoso.com"), "dXNlcjFAY29udG9zby5jb20=");
        assert_eq!(
            String::from_utf8(b64_decode("VXNlcm5hbWU6").unwrap()).unwrap(),
            "Username:"
        );
    }
}
