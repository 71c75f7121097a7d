use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A SASL mechanism name as the plan and the server spell it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mechanism {
    Plain,
    Login,
    /// Any other name, uppercased; the runner says it cannot drive it yet.
    Other(String),
}

impl FromStr for Mechanism {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "PLAIN" => Mechanism::Plain,
            "LOGIN" => Mechanism::Login,
            other => Mechanism::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mechanism::Plain => f.write_str("PLAIN"),
            Mechanism::Login => f.write_str("LOGIN"),
            Mechanism::Other(s) => f.write_str(s),
        }
    }
}

pub fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim()).ok()
}

/// RFC 4616 PLAIN: base64 of `authzid NUL authcid NUL passwd` (authzid empty).
pub fn plain_response(username: &str, password: &str) -> String {
    let mut blob = Vec::with_capacity(username.len() + password.len() + 2);
    blob.push(0);
    blob.extend_from_slice(username.as_bytes());
    blob.push(0);
    blob.extend_from_slice(password.as_bytes());
    b64_encode(&blob)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_vector() {
        // RFC 4616 §4 example without authzid: "\0tim\0tanstaaftanstaaf"
        assert_eq!(
            plain_response("tim", "tanstaaftanstaaf"),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
        assert_eq!(
            b64_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap(),
            b"\0tim\0tanstaaftanstaaf"
        );
    }

    #[test]
    fn login_is_plain_base64() {
        assert_eq!(b64_encode(b"user1@contoso.com"), "dXNlcjFAY29udG9zby5jb20=");
        assert_eq!(
            String::from_utf8(b64_decode("VXNlcm5hbWU6").unwrap()).unwrap(),
            "Username:"
        );
        assert_eq!("login".parse::<Mechanism>().unwrap(), Mechanism::Login);
    }
}
