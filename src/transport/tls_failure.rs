//! Why a TLS handshake failed, as a kind (for verdicts and expected failures) and in words a
//! mail administrator can act on.

use rustls::{AlertDescription, CertificateError, PeerIncompatible};

use super::cert::CertInfo;
use super::date::{rfc3339, ymd};
use crate::protocol::TlsVersion;

/// The kind of a TLS failure: what `expect: {fails: ...}` matches and the JSON report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The certificate is issued by a CA the client does not trust.
    Untrusted,
    /// The certificate is self-signed (its own issuer) and not trusted.
    SelfSigned,
    /// The certificate's validity ended.
    Expired,
    /// The certificate's validity has not begun.
    NotYetValid,
    /// The certificate does not hold the name the client checks.
    WrongName,
    /// No protocol version both sides speak.
    ProtocolVersion,
    /// No cipher suite both sides speak (the server's HandshakeFailure alert).
    NoSharedCipher,
    /// The certificate is not the one `pin_sha256` names.
    PinMismatch,
    /// The TLS settings could not be used: a `ca_file`, a client certificate or key.
    Setup,
    /// Any other handshake failure (alerts, malformed messages, a close, a timeout).
    Handshake,
}

impl TlsFailure {
    /// The kinds a plan may name in `expect: {fails: ...}`, in the order the format lists them.
    /// Not `pin_mismatch`, `setup` nor `handshake`: `fails: tls` covers those.
    pub const EXPECTABLE: [TlsFailure; 7] = [
        Self::Untrusted,
        Self::SelfSigned,
        Self::Expired,
        Self::NotYetValid,
        Self::WrongName,
        Self::ProtocolVersion,
        Self::NoSharedCipher,
    ];

    /// The word used in plans (`fails: expired`) and in the JSON report.
    pub fn word(self) -> &'static str {
        match self {
            Self::Untrusted => "untrusted",
            Self::SelfSigned => "self_signed",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongName => "wrong_name",
            Self::ProtocolVersion => "protocol_version",
            Self::NoSharedCipher => "no_shared_cipher",
            Self::PinMismatch => "pin_mismatch",
            Self::Setup => "setup",
            Self::Handshake => "handshake",
        }
    }

    /// In words, for messages: "(expected) the certificate to be rejected as expired".
    pub fn expected(self) -> &'static str {
        match self {
            Self::Untrusted => "the certificate to be rejected as not trusted",
            Self::SelfSigned => "the certificate to be rejected as self-signed",
            Self::Expired => "the certificate to be rejected as expired",
            Self::NotYetValid => "the certificate to be rejected as not valid yet",
            Self::WrongName => "the certificate to be rejected for the wrong name",
            Self::ProtocolVersion => "the TLS handshake to fail for want of a common version",
            Self::NoSharedCipher => "the TLS handshake to fail for want of a common cipher suite",
            Self::PinMismatch => "the certificate to be rejected as not the pinned one",
            Self::Setup => "the TLS settings to be unusable",
            Self::Handshake => "the TLS handshake to fail",
        }
    }

    /// A verification failure of the server's certificate (as opposed to the handshake).
    pub fn is_certificate(self) -> bool {
        matches!(
            self,
            Self::Untrusted
                | Self::SelfSigned
                | Self::Expired
                | Self::NotYetValid
                | Self::WrongName
                | Self::PinMismatch
        )
    }
}

pub(crate) const OLD_VERSIONS: &str = "the server only speaks TLS 1.0/1.1 (or older), which smtp-plan (rustls) cannot; TLS 1.2 or 1.3 is required";

/// The peer and we share no protocol version.
pub(crate) fn is_version_error(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
            | rustls::Error::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                    | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
                    | PeerIncompatible::Tls13RequiredForQuic
            )
    )
}

/// The I/O error of a failed handshake, with what the certificate showed, in words.
pub(crate) fn describe_io(
    e: &std::io::Error,
    cert: Option<CertInfo>,
    name: &str,
    min_version: Option<TlsVersion>,
    offered: &[String],
) -> (TlsFailure, String) {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) if min_version == Some(TlsVersion::V1_3) && is_version_error(tls) => (
            TlsFailure::ProtocolVersion,
            "the server does not offer TLS 1.3, and `min_version` is 1.3".to_owned(),
        ),
        Some(tls) => describe(tls, cert.as_ref(), name, offered),
        None if matches!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ) =>
        {
            (
                TlsFailure::Handshake,
                "the server closed the connection during the TLS handshake".to_owned(),
            )
        }
        None => (TlsFailure::Handshake, e.to_string()),
    }
}

/// How to trust exactly one certificate, for the messages about untrusted certificates.
fn trust_hint(cert: &CertInfo) -> String {
    format!(
        "to trust exactly this certificate, give it as `ca_file` or write `pin_sha256: {}`; or use insecure",
        cert.sha256
    )
}

/// A rustls error, with what the certificate showed, in words.
pub(crate) fn describe(
    e: &rustls::Error,
    cert: Option<&CertInfo>,
    name: &str,
    offered: &[String],
) -> (TlsFailure, String) {
    let subject = cert.map_or_else(
        || "the certificate".to_owned(),
        |c| format!("certificate {}", c.subject),
    );
    let cert_names = |fallback: &[String]| -> String {
        let names = cert
            .map(|c| c.names.clone())
            .unwrap_or_else(|| fallback.to_vec());
        if names.is_empty() {
            "no names".to_owned()
        } else {
            names.join(", ")
        }
    };
    let ce = match e {
        rustls::Error::InvalidCertificate(ce) => ce,
        rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
        | rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13) => {
            return (TlsFailure::ProtocolVersion, OLD_VERSIONS.to_owned());
        }
        rustls::Error::AlertReceived(AlertDescription::HandshakeFailure) => {
            return (
                TlsFailure::NoSharedCipher,
                format!(
                    "the server aborted the handshake with the alert HandshakeFailure: no cipher suite (or key exchange group) was shared; smtp-plan offers {}",
                    offered.join(", ")
                ),
            );
        }
        rustls::Error::AlertReceived(alert) => {
            return (
                TlsFailure::Handshake,
                format!("the server aborted the handshake with the alert {alert:?}"),
            );
        }
        rustls::Error::InvalidMessage(m) => {
            return (
                TlsFailure::Handshake,
                format!("the server did not answer in TLS ({m:?}); is this a plaintext port?"),
            );
        }
        rustls::Error::General(text) if text.starts_with(PIN_MISMATCH) => {
            return (
                TlsFailure::PinMismatch,
                format!(
                    "{subject} {}",
                    text.trim_start_matches(PIN_MISMATCH).trim_start()
                ),
            );
        }
        other => return (TlsFailure::Handshake, other.to_string()),
    };
    match ce {
        CertificateError::ExpiredContext { time, not_after } => {
            let at = i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX);
            let now = i64::try_from(time.as_secs()).unwrap_or(i64::MAX);
            (
                TlsFailure::Expired,
                format!(
                    "{subject} expired on {} ({} days ago)",
                    ymd(at),
                    (now - at).div_euclid(86_400)
                ),
            )
        }
        CertificateError::Expired => (
            TlsFailure::Expired,
            match cert.and_then(|c| c.not_after.get(..10)) {
                Some(day) => format!("{subject} expired on {day}"),
                None => format!("{subject} has expired"),
            },
        ),
        CertificateError::NotValidYetContext { not_before, .. } => (
            TlsFailure::NotYetValid,
            format!(
                "{subject} is not valid before {}",
                rfc3339(i64::try_from(not_before.as_secs()).unwrap_or(i64::MAX))
            ),
        ),
        CertificateError::NotValidYet => (
            TlsFailure::NotYetValid,
            format!("{subject} is not valid yet"),
        ),
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let presented: Vec<String> = presented.iter().map(|p| clean_presented(p)).collect();
            (
                TlsFailure::WrongName,
                format!(
                    "{subject} is not valid for {:?}; it holds: {}",
                    expected.to_str(),
                    cert_names(&presented)
                ),
            )
        }
        CertificateError::NotValidForName => (
            TlsFailure::WrongName,
            format!(
                "{subject} is not valid for {name:?}; it holds: {}",
                cert_names(&[])
            ),
        ),
        CertificateError::UnknownIssuer
        | CertificateError::BadSignature
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. }
        | CertificateError::Other(_) => untrusted(ce, cert, &subject),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => (
            TlsFailure::Untrusted,
            format!("{subject} is not meant for a TLS server (extended key usage)"),
        ),
        CertificateError::Revoked => (TlsFailure::Untrusted, format!("{subject} has been revoked")),
        CertificateError::BadEncoding => (
            TlsFailure::Handshake,
            "the server's certificate is not valid DER".to_owned(),
        ),
        other => (
            TlsFailure::Untrusted,
            format!("{subject} was rejected: {other:?}"),
        ),
    }
}

/// The prefix of the `rustls::Error::General` the verifier raises for a pin mismatch.
pub(crate) const PIN_MISMATCH: &str = "pin mismatch:";

/// A certificate whose issuer is not trusted: self-signed (with or without the CA flag, the
/// way `openssl req -x509` makes one), issued by an unknown CA, or with a bad signature.
fn untrusted(
    ce: &CertificateError,
    cert: Option<&CertInfo>,
    subject: &str,
) -> (TlsFailure, String) {
    let unknown = matches!(ce, CertificateError::UnknownIssuer);
    match cert {
        // A trust anchor of the same name but another key also ends up here.
        Some(c) if c.self_signed => (
            TlsFailure::SelfSigned,
            format!(
                "self-signed certificate {}{}, not issued by a trusted CA; {}",
                c.subject,
                if c.is_ca { " (marked as a CA)" } else { "" },
                trust_hint(c)
            ),
        ),
        Some(c) if unknown => (
            TlsFailure::Untrusted,
            format!(
                "certificate {} is issued by {}, which is not trusted (use ca_file or insecure)",
                c.subject, c.issuer
            ),
        ),
        Some(c) if matches!(ce, CertificateError::Other(_)) => (
            TlsFailure::Untrusted,
            format!("certificate {} was rejected: {ce:?}", c.subject),
        ),
        Some(c) => (
            TlsFailure::Untrusted,
            format!(
                "certificate {} is issued by {}, but its signature does not verify with the trusted certificate of that name",
                c.subject, c.issuer
            ),
        ),
        None if unknown => (
            TlsFailure::Untrusted,
            "the certificate's issuer is not trusted (use ca_file or insecure)".to_owned(),
        ),
        None => (
            TlsFailure::Untrusted,
            format!("{subject} was rejected: {ce:?}"),
        ),
    }
}

/// webpki writes presented names as `DnsName("x")` / `IpAddress(1.2.3.4)`.
fn clean_presented(p: &str) -> String {
    let inner = p
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(p);
    inner.trim_matches('"').to_owned()
}
