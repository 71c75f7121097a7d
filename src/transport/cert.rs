//! What a TLS session was and what the server showed: the negotiated version and cipher,
//! the server certificate summarised, and SHA-256 fingerprints (`pin_sha256`).

use sha2::{Digest, Sha256};

use super::date::{rfc3339, unix_now};

/// A SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` writes it: upper-case hex
/// pairs joined by `:`.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A fingerprint as written in a plan (hex, any case, `:` or nothing between pairs) in the
/// form of [`fingerprint`]; `None` if it is not 32 bytes of hex.
pub fn normalize_pin(text: &str) -> Option<String> {
    let hex: String = text.trim().chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let upper = hex.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..32)
        .filter_map(|i| upper.get(i * 2..i * 2 + 2))
        .collect();
    Some(pairs.join(":"))
}

/// What a finished handshake negotiated and what the server showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.3`, `TLSv1.2`.
    pub version: String,
    /// IANA name, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    pub cert: Option<CertInfo>,
}

/// The server's end-entity certificate, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// e.g. `CN=localhost`
    pub subject: String,
    /// The subject alternative names (DNS names and IPs), else the CN.
    pub names: Vec<String>,
    pub issuer: String,
    /// RFC 3339, UTC.
    pub not_after: String,
    /// not_after as seconds since the Unix epoch.
    pub not_after_unix: i64,
    /// Whole days until not_after (negative when expired).
    pub days_left: i64,
    /// SHA-256 fingerprint of the DER certificate (see [`fingerprint`]).
    pub sha256: String,
    /// Its own issuer (subject and issuer are the same name).
    pub self_signed: bool,
    /// Marked as a CA (basic constraints), as `openssl req -x509` does.
    pub is_ca: bool,
}

impl CertInfo {
    /// Summarise a DER certificate; `None` if x509-parser cannot read it.
    pub fn parse(der: &[u8]) -> Option<Self> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let mut names = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    x509_parser::extensions::GeneralName::DNSName(d) => names.push((*d).to_owned()),
                    x509_parser::extensions::GeneralName::IPAddress(ip) => {
                        if let Some(ip) = ip_from_bytes(ip) {
                            names.push(ip.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        if names.is_empty() {
            names.extend(
                cert.subject()
                    .iter_common_name()
                    .filter_map(|cn| cn.as_str().ok())
                    .map(str::to_owned),
            );
        }
        let not_after = cert.validity().not_after.timestamp();
        let is_ca = cert
            .basic_constraints()
            .ok()
            .flatten()
            .is_some_and(|bc| bc.value.ca);
        Some(Self {
            sha256: fingerprint(der),
            self_signed: cert.subject() == cert.issuer(),
            is_ca,
            subject: cert.subject().to_string(),
            names,
            issuer: cert.issuer().to_string(),
            not_after: rfc3339(not_after),
            not_after_unix: not_after,
            days_left: (not_after - unix_now()).div_euclid(86_400),
        })
    }
}

fn ip_from_bytes(b: &[u8]) -> Option<std::net::IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(b) {
        return Some(std::net::IpAddr::from(v4));
    }
    <[u8; 16]>::try_from(b).ok().map(std::net::IpAddr::from)
}
