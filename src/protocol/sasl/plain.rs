//! RFC 4616 PLAIN.
//!
//! Written here: it is a NUL-joined string in base64 (the `base64` crate). rsasl's PLAIN would
//! add nothing but its framework; the password is sent as the UTF-8 bytes the plan gives,
//! which is what servers compare (Dovecot does not SASLprep PLAIN; tests/saslprep.rs).

use super::mechanism::b64_encode;

/// Base64 of `authzid NUL authcid NUL passwd` (authzid empty).
pub fn plain_response(username: &str, password: &str) -> String {
    let mut blob = Vec::with_capacity(username.len() + password.len() + 2);
    blob.push(0);
    blob.extend_from_slice(username.as_bytes());
    blob.push(0);
    blob.extend_from_slice(password.as_bytes());
    b64_encode(&blob)
}

/// The server side: `(authcid, passwd)` from a decoded PLAIN message, if it is well formed and
/// its authzid is empty or the user itself.
pub fn parse_plain(decoded: &str) -> Option<(String, String)> {
    let mut parts = decoded.split('\0');
    let (authz, user, pass) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = parts.next().is_none() && (authz.is_empty() || authz == user);
    ok.then(|| (user.to_owned(), pass.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::mechanism::b64_decode;
    use super::*;

    #[test]
    fn rfc4616_vector() {
        // RFC 4616 §4 example without authzid: "\0tim\0tanstaaftanstaaf"
        assert_eq!(
            plain_response("tim", "tanstaaftanstaaf"),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
        assert_eq!(
            b64_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm").unwrap(),
            b"\0tim\0tanstaaftanstaaf"
        );
        assert_eq!(
            parse_plain("\0tim\0tanstaaftanstaaf"),
            Some(("tim".into(), "tanstaaftanstaaf".into()))
        );
        assert_eq!(parse_plain("Ursel\0Kurt\0xipj3plmq"), None);
        assert_eq!(parse_plain("\0tim"), None);
    }
}
