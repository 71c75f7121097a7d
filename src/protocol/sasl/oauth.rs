//! OAuth 2.0 bearer tokens over SASL: Google's XOAUTH2 and RFC 7628 OAUTHBEARER.
//!
//! Written here: each is one formatted string (and, for the built-in server, its parse).
//! rsasl has both, but behind its callback framework and with serde_json for the error
//! status, which the runner only shows; its server side would still need our token store.

/// XOAUTH2 before base64: `user=U ^A auth=Bearer T ^A ^A`.
pub fn xoauth2_response(username: &str, token: &str) -> String {
    format!("user={username}\x01auth=Bearer {token}\x01\x01")
}

/// OAUTHBEARER before base64 (RFC 7628 §3.1): the GS2 header with the authzid, then
/// `host`, `port` and `auth` key-value pairs, each ended by ^A, and a final ^A.
pub fn oauthbearer_response(username: &str, token: &str, host: &str, port: u16) -> String {
    let user = username.replace('=', "=3D").replace(',', "=2C");
    format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
}

/// What a server reads from either message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthResponse {
    /// `user=` (XOAUTH2) or the GS2 `a=` authzid (OAUTHBEARER); may be empty for OAUTHBEARER.
    pub user: String,
    pub token: String,
}

/// Parse a decoded XOAUTH2 (`oauthbearer = false`) or OAUTHBEARER message.
pub fn parse_oauth(decoded: &str, oauthbearer: bool) -> Option<OAuthResponse> {
    let body = decoded.strip_suffix("\x01\x01")?;
    let (mut user, pairs) = if oauthbearer {
        let (gs2, rest) = decoded.split_once('\x01')?;
        let mut fields = gs2.split(',');
        let flag = fields.next()?;
        if flag != "n" && flag != "y" {
            return None;
        }
        let authzid = fields.next()?;
        let user = match authzid.strip_prefix("a=") {
            Some(a) => a.replace("=2C", ",").replace("=3D", "="),
            None if authzid.is_empty() => String::new(),
            None => return None,
        };
        (Some(user), rest.strip_suffix("\x01\x01")?)
    } else {
        (None, body)
    };
    let mut token = None;
    for pair in pairs.split('\x01') {
        let (key, value) = pair.split_once('=')?;
        match key {
            "user" if !oauthbearer => user = Some(value.to_owned()),
            "auth" => {
                let (scheme, t) = value.split_once(' ')?;
                if !scheme.eq_ignore_ascii_case("Bearer") {
                    return None;
                }
                token = Some(t.to_owned());
            }
            _ => {}
        }
    }
    Some(OAuthResponse {
        user: user?,
        token: token?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::mechanism::b64_encode;
    use super::*;

    #[test]
    fn google_xoauth2_example() {
        // https://developers.google.com/gmail/imap/xoauth2-protocol
        let raw = xoauth2_response(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
        );
        assert_eq!(
            b64_encode(raw.as_bytes()),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
        let parsed = parse_oauth(&raw, false).unwrap();
        assert_eq!(parsed.user, "someuser@example.com");
        assert_eq!(
            parsed.token,
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
        );
    }

    #[test]
    fn rfc7628_example() {
        // RFC 7628 §4.1
        let raw = oauthbearer_response(
            "user@example.com",
            "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==",
            "server.example.com",
            143,
        );
        assert_eq!(
            raw,
            "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01"
        );
        assert_eq!(
            b64_encode(raw.as_bytes()),
            "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2c9PQEB"
        );
        let parsed = parse_oauth(&raw, true).unwrap();
        assert_eq!(parsed.user, "user@example.com");
        assert_eq!(parsed.token, "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==");
        assert_eq!(parse_oauth("n,,\x01auth=Basic x\x01\x01", true), None);
        assert_eq!(parse_oauth("user=a\x01auth=Bearer t", false), None);
    }
}
