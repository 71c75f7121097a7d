//! The server-certificate check of every handshake: webpki's chain verification, plus the two
//! ways to trust exactly one certificate (`pin_sha256`, or the certificate itself given as
//! `ca_file`, which webpki refuses when it is marked as a CA), and a record of what the server
//! showed so that a failure can say it.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use super::cert::{CertInfo, fingerprint};
use super::tls_failure::PIN_MISMATCH;

/// What a verification trusts, shared by every handshake with the same TLS settings. The
/// `ca_file` certificates are tried first on their own; only when they do not verify the chain
/// are the system roots loaded (once per process) and the chain checked against both together
/// — the answer of checking against both at once, without reading the system store for a
/// server that a `ca_file` vouches for.
#[derive(Debug)]
pub(crate) struct Trust {
    pub provider: Arc<CryptoProvider>,
    /// The `ca_file`s alone; `None` without them.
    pub extra: Option<Arc<WebPkiServerVerifier>>,
    /// The certificates of the `ca_file`s: a server certificate equal to one of them is
    /// trusted as it is.
    pub exact: Vec<CertificateDer<'static>>,
    /// The system roots plus the `ca_file`s, built on first need; `None` = no anchor at all.
    pub full: OnceLock<Option<Arc<WebPkiServerVerifier>>>,
}

/// The system trust store, loaded once per process, on first need. Unreadable entries are
/// skipped.
fn native_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

impl Trust {
    fn full(&self) -> Option<&Arc<WebPkiServerVerifier>> {
        self.full
            .get_or_init(|| {
                let mut roots = rustls::RootCertStore::empty();
                roots.add_parsable_certificates(native_roots().iter().cloned());
                roots.add_parsable_certificates(self.exact.iter().cloned());
                if roots.is_empty() {
                    return None;
                }
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(&self.provider),
                )
                .build()
                .ok()
            })
            .as_ref()
    }

    /// The `ca_file`s alone, if any.
    fn verify_extra(&self, shown: &Shown<'_>) -> Option<Result<ServerCertVerified, rustls::Error>> {
        self.extra.as_ref().map(|v| shown.verify_by(v))
    }

    /// The system roots and the `ca_file`s together.
    fn verify_full(&self, shown: &Shown<'_>) -> Result<ServerCertVerified, rustls::Error> {
        match self.full() {
            Some(v) => shown.verify_by(v),
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }
}

/// What the server showed in one handshake, as `verify_server_cert` is given it.
struct Shown<'a> {
    end_entity: &'a CertificateDer<'a>,
    intermediates: &'a [CertificateDer<'a>],
    server_name: &'a ServerName<'a>,
    ocsp: &'a [u8],
    now: UnixTime,
}

impl Shown<'_> {
    fn verify_by(&self, v: &WebPkiServerVerifier) -> Result<ServerCertVerified, rustls::Error> {
        v.verify_server_cert(
            self.end_entity,
            self.intermediates,
            self.server_name,
            self.ocsp,
            self.now,
        )
    }
}

/// An issuer problem that a `ca_file` equal to the server's certificate overrides.
fn issuer_problem(r: &Result<ServerCertVerified, rustls::Error>) -> bool {
    matches!(
        r,
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::Other(_),
        ))
    )
}

/// Checks the server's certificate and remembers it. One per handshake (for `seen`); the
/// trust anchors are shared.
#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    pub trust: Arc<Trust>,
    pub insecure: bool,
    /// `pin_sha256` fingerprints (normalised).
    pub pins: Vec<String>,
    pub seen: Mutex<Option<CertificateDer<'static>>>,
}

impl RecordingVerifier {
    pub(crate) fn seen(&self) -> Option<CertInfo> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.as_ref().and_then(|der| CertInfo::parse(der))
    }
}

fn unix(secs: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// A certificate trusted as it is (pinned, or given as `ca_file`): only its dates and the
/// name are left to check.
fn check_exact(
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
    let (_, cert) = x509_parser::parse_x509_certificate(end_entity.as_ref())
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let time = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let not_before = cert.validity().not_before.timestamp();
    let not_after = cert.validity().not_after.timestamp();
    if time < not_before {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYetContext {
                time: now,
                not_before: unix(not_before),
            },
        ));
    }
    if time > not_after {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::ExpiredContext {
                time: now,
                not_after: unix(not_after),
            },
        ));
    }
    rustls::client::verify_server_name(&parsed, server_name)?;
    Ok(ServerCertVerified::assertion())
}

impl RecordingVerifier {
    /// The provider's signature algorithms, for the handshake signatures of TLS 1.2 and 1.3.
    fn algorithms(&self) -> &rustls::crypto::WebPkiSupportedAlgorithms {
        &self.trust.provider.signature_verification_algorithms
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(end_entity.clone().into_owned());
        if self.insecure {
            return Ok(ServerCertVerified::assertion());
        }
        if !self.pins.is_empty() {
            let got = fingerprint(end_entity.as_ref());
            if self.pins.contains(&got) {
                return check_exact(end_entity, server_name, now);
            }
            return Err(rustls::Error::General(format!(
                "{PIN_MISMATCH} has the SHA-256 fingerprint {got}, which is not the pinned {}",
                self.pins.join(" or ")
            )));
        }
        let is_exact = self
            .trust
            .exact
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref());
        let shown = Shown {
            end_entity,
            intermediates,
            server_name,
            ocsp: ocsp_response,
            now,
        };
        let extra = self.trust.verify_extra(&shown);
        match extra {
            Some(Ok(ok)) => return Ok(ok),
            Some(r) if is_exact && issuer_problem(&r) => {
                return check_exact(end_entity, server_name, now);
            }
            _ => {}
        }
        let verified = self.trust.verify_full(&shown);
        if is_exact && issuer_problem(&verified) {
            return check_exact(end_entity, server_name, now);
        }
        verified
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, self.algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, self.algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms().supported_schemes()
    }
}
