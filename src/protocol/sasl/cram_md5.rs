//! RFC 2195 CRAM-MD5: `user SP hex(HMAC-MD5(password, challenge))`.
//!
//! Written here on RustCrypto's `hmac` + `md-5` (crypto.rs): one HMAC. rsasl has no CRAM-MD5
//! client at all (its 2.x mechanisms are PLAIN, LOGIN, SCRAM, OAUTHBEARER, XOAUTH2, GSSAPI,
//! ANONYMOUS, EXTERNAL). Checked with the RFC 2195 vector and against Dovecot.

use super::crypto::{hex, hmac_md5};

/// The response text (before base64) to a decoded challenge.
pub fn cram_md5_response(username: &str, password: &str, challenge: &[u8]) -> String {
    format!(
        "{username} {}",
        hex(&hmac_md5(password.as_bytes(), &[challenge]))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2195_vector() {
        assert_eq!(
            cram_md5_response(
                "tim",
                "tanstaaftanstaaf",
                b"<1896.697170952@postoffice.reston.mci.net>"
            ),
            "tim b913a602c7eda7a495b4e6e7334d3890"
        );
    }
}
