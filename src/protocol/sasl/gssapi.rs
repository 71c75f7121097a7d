//! RFC 4752 GSSAPI (Kerberos V5): the security-layer negotiation that ends the exchange, as
//! bytes. The Kerberos part itself (tickets, the AP-REQ/AP-REP tokens, wrap and unwrap) is
//! MIT's GSS-API library, reached through the `libgssapi` crate in runner/kerberos.rs — a
//! maintained safe binding; no Rust crate implements Kerberos itself well enough to trust
//! with a KDC. rsasl's GSSAPI is the same binding (an older libgssapi) under its framework.

use super::error::SaslError;

/// Security layer bit: "no security layer" (RFC 4752 §3.3).
const NO_SECURITY_LAYER: u8 = 0x01;

/// The server's offer after the context is established (unwrapped): which security layers
/// it supports and its largest buffer. smtp-plan needs "no security layer" (SMTP runs over
/// TLS, or `allow_plaintext` said so), so an offer without it is an error.
pub fn check_security_offer(unwrapped: &[u8]) -> Result<(), SaslError> {
    let [layers, _, _, _] = unwrapped else {
        return Err(SaslError::new(format!(
            "the server's GSSAPI security-layer offer has {} bytes (RFC 4752 §3.1: 4)",
            unwrapped.len()
        )));
    };
    if layers & NO_SECURITY_LAYER == 0 {
        return Err(SaslError::new(format!(
            "the server's GSSAPI offer (layers {layers:#04x}) does not allow \"no security layer\", the only one smtp-plan speaks"
        )));
    }
    Ok(())
}

/// The client's answer (before wrapping): "no security layer", a maximum buffer of 0, and the
/// authorization identity (empty: the ticket's principal).
pub fn security_layer_choice(authzid: &str) -> Vec<u8> {
    let mut answer = vec![NO_SECURITY_LAYER, 0, 0, 0];
    answer.extend_from_slice(authzid.as_bytes());
    answer
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn offer_must_allow_no_security_layer() {
        // Dovecot offers all three layers and a 64 KiB buffer.
        check_security_offer(&[0x07, 0x01, 0x00, 0x00]).unwrap();
        check_security_offer(&[0x01, 0x00, 0x00, 0x00]).unwrap();
        let e = check_security_offer(&[0x06, 0x01, 0x00, 0x00]).unwrap_err();
        assert!(e.to_string().contains("no security layer"), "{e}");
        let e = check_security_offer(&[0x01, 0x00]).unwrap_err();
        assert!(e.to_string().contains("2 bytes"), "{e}");
        assert!(check_security_offer(&[]).is_err());
    }

    #[test]
    fn choice_names_the_authzid() {
        assert_eq!(security_layer_choice(""), [1, 0, 0, 0]);
        assert_eq!(security_layer_choice("bob"), b"\x01\0\0\0bob");
    }
}
