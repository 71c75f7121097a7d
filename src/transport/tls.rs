use std::path::PathBuf;
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::TransportError;
use super::date::{rfc3339, unix_now};
use super::tls_failure::{TlsFailure, describe_io};
use crate::duration::format_duration as human;
use crate::protocol::TlsVersion;

/// Why a handshake over a Unix socket cannot check the certificate without a `server_name`.
pub(crate) const NO_NAME: &str = "a Unix socket has no host name to check the server certificate against: give `server_name` (on the target or the `starttls` step), or `insecure: true`";

/// What the client needs for one TLS handshake.
#[derive(Debug, Clone, Default)]
pub struct TlsParams {
    /// SNI and the name the certificate must hold (a DNS name or an IP literal). Empty: the
    /// host the connection was made to.
    pub server_name: String,
    /// Extra trust anchors (PEM files, each may hold several certificates), all trusted
    /// together on top of the system roots.
    pub ca_files: Vec<PathBuf>,
    /// Skip certificate verification entirely.
    pub insecure: bool,
    /// A certificate (chain) and key to present when the server asks for one.
    pub client_cert: Option<ClientCert>,
    /// The oldest protocol version to offer; `None` = TLS 1.2 (rustls cannot go lower).
    pub min_version: Option<TlsVersion>,
    /// `pin_sha256`: SHA-256 fingerprints (as [`normalize_pin`] writes them); when given, the
    /// server's certificate must be one of these, and is then trusted whoever issued it (its
    /// name and dates are still checked).
    pub pins: Vec<String>,
}

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

/// A client certificate: PEM files for the chain (end entity first) and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    pub cert: PathBuf,
    pub key: PathBuf,
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

/// The cipher suites the client offers, by IANA name.
fn offered_suites(config: &ClientConfig, min_version: Option<TlsVersion>) -> Vec<String> {
    config
        .crypto_provider()
        .cipher_suites
        .iter()
        .filter(|s| {
            min_version != Some(TlsVersion::V1_3)
                || s.version().version == rustls::ProtocolVersion::TLSv1_3
        })
        .map(|s| {
            let s = s.suite();
            s.as_str().map_or_else(|| format!("{s:?}"), str::to_owned)
        })
        .collect()
}

/// The certificates of a PEM file (`ca_file`, `client_cert`): at least one.
pub fn parse_pem_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a valid PEM file ({e})"))?;
    if certs.is_empty() {
        return Err("no PEM certificate found in it".to_owned());
    }
    Ok(certs)
}

/// The private key of a PEM file (`client_key`).
pub fn parse_pem_private_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(bytes)
        .map_err(|e| format!("no usable PEM private key (PKCS#8, PKCS#1 or SEC1) in it ({e})"))
}

/// The TLS client handshake over `tcp`, with `params.server_name` (else `host`) as SNI and
/// the name to verify. Errors are worded for a mail administrator. Without either (a Unix
/// socket has no host name), only an `insecure` handshake goes ahead, with `localhost` as SNI.
pub(crate) async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    tcp: S,
    params: &TlsParams,
    host: &str,
    timeout: Duration,
) -> Result<(TlsStream<S>, TlsInfo), TransportError> {
    let name = if params.server_name.is_empty() {
        host
    } else {
        params.server_name.as_str()
    };
    let name = match (name.is_empty(), params.insecure) {
        (false, _) => name,
        (true, true) => "localhost",
        (true, false) => return Err(TransportError::tls(TlsFailure::Setup, NO_NAME)),
    };
    let (config, verifier) = super::tls_config::client_config(params)?;
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(name.to_owned()).map_err(|_| {
        TransportError::tls(
            TlsFailure::Setup,
            format!("{name:?} is not a valid server name"),
        )
    })?;
    let offered = offered_suites(&config, params.min_version);
    let connector = TlsConnector::from(config);
    let stream = match tokio::time::timeout(timeout, connector.connect(server_name, tcp)).await {
        Err(_) => {
            return Err(TransportError::tls(
                TlsFailure::Handshake,
                format!("no TLS handshake within {}", human(timeout)),
            ));
        }
        Ok(Err(e)) => {
            let (kind, message) =
                describe_io(&e, verifier.seen(), name, params.min_version, &offered);
            return Err(TransportError::tls(kind, message));
        }
        Ok(Ok(s)) => s,
    };
    let (_, conn) = stream.get_ref();
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| {
            let s = s.suite();
            s.as_str().map_or_else(|| format!("{s:?}"), str::to_owned)
        })
        .unwrap_or_default();
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|der| CertInfo::parse(der))
        .or_else(|| verifier.seen());
    Ok((
        stream,
        TlsInfo {
            version,
            cipher,
            cert,
        },
    ))
}
