//! The PROXY protocol header (HAProxy, versions 1 and 2): what a load balancer sends before
//! the first byte of SMTP, claiming the client's and the server's addresses.

use std::net::SocketAddr;

/// The 12-byte signature that starts every version 2 header.
const V2_SIGNATURE: [u8; 12] = [
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
];

/// The header claiming a TCP connection from `source` to `destination`, in version 1 (text)
/// or 2 (binary). None when the two addresses are of different families (the protocol has
/// no such form) or the version is neither.
pub fn proxy_header(version: u8, source: SocketAddr, destination: SocketAddr) -> Option<Vec<u8>> {
    match (version, source, destination) {
        (1, SocketAddr::V4(s), SocketAddr::V4(d)) => Some(
            format!(
                "PROXY TCP4 {} {} {} {}\r\n",
                s.ip(),
                d.ip(),
                s.port(),
                d.port()
            )
            .into_bytes(),
        ),
        (1, SocketAddr::V6(s), SocketAddr::V6(d)) => Some(
            format!(
                "PROXY TCP6 {} {} {} {}\r\n",
                s.ip(),
                d.ip(),
                s.port(),
                d.port()
            )
            .into_bytes(),
        ),
        // TCP over IPv4: 12 bytes of addresses and ports
        (2, SocketAddr::V4(s), SocketAddr::V4(d)) => Some(v2(
            0x11,
            &s.ip().octets(),
            &d.ip().octets(),
            (s.port(), d.port()),
        )),
        // TCP over IPv6: 36 bytes
        (2, SocketAddr::V6(s), SocketAddr::V6(d)) => Some(v2(
            0x21,
            &s.ip().octets(),
            &d.ip().octets(),
            (s.port(), d.port()),
        )),
        _ => None,
    }
}

/// A version 2 header, command PROXY: the address `family` byte, then the source and
/// destination addresses and ports.
fn v2(family: u8, source: &[u8], destination: &[u8], ports: (u16, u16)) -> Vec<u8> {
    let len = u8::try_from(source.len() + destination.len() + 4).unwrap_or(u8::MAX);
    let mut out = V2_SIGNATURE.to_vec();
    // version 2, command PROXY; the family; the length of what follows
    out.extend_from_slice(&[0x21, family, 0x00, len]);
    out.extend_from_slice(source);
    out.extend_from_slice(destination);
    out.extend_from_slice(&ports.0.to_be_bytes());
    out.extend_from_slice(&ports.1.to_be_bytes());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn version_1_is_one_text_line() {
        assert_eq!(
            proxy_header(1, addr("127.0.0.5:4000"), addr("127.0.0.1:25")).unwrap(),
            b"PROXY TCP4 127.0.0.5 127.0.0.1 4000 25\r\n"
        );
        assert_eq!(
            proxy_header(1, addr("[::1]:4000"), addr("[::1]:25")).unwrap(),
            b"PROXY TCP6 ::1 ::1 4000 25\r\n"
        );
    }

    #[test]
    fn version_2_is_the_binary_form_of_the_spec() {
        let h = proxy_header(2, addr("127.0.0.5:4000"), addr("127.0.0.1:25")).unwrap();
        assert_eq!(
            h,
            [
                0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // sig
                0x21, 0x11, 0x00, 0x0C, // v2 PROXY, TCP4, length 12
                127, 0, 0, 5, 127, 0, 0, 1, // addresses
                0x0F, 0xA0, 0x00, 0x19, // ports 4000, 25
            ]
        );
        let h6 = proxy_header(2, addr("[::1]:1"), addr("[::2]:2")).unwrap();
        assert_eq!(h6.len(), 16 + 36);
        assert_eq!(h6.get(13), Some(&0x21));
    }

    #[test]
    fn mixed_families_and_unknown_versions_have_no_header() {
        assert!(proxy_header(1, addr("127.0.0.1:1"), addr("[::1]:2")).is_none());
        assert!(proxy_header(3, addr("127.0.0.1:1"), addr("127.0.0.1:2")).is_none());
    }
}
