//! The server's throw-away PKI: a CA ("smtp-plan serve CA") and a certificate for the
//! hostname, localhost, 127.0.0.1 and ::1, generated at every start; and the pieces it is made
//! of, which the tests make their own certificates and TLS servers with.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use super::ServerError;
use crate::transport::date::{unix_now, utc};

pub(crate) const CA_NAME: &str = "smtp-plan serve CA";

pub(crate) struct ServerPki {
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
}

fn tls_err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Tls(e.to_string())
}

/// Valid from yesterday (clock skew) for a year, in whole UTC days.
fn set_validity(params: &mut CertificateParams) -> Result<(), ServerError> {
    let now = unix_now();
    let day = |secs: i64| utc(secs).replace_time(time::Time::MIDNIGHT);
    params.not_before = day(now - 86_400);
    params.not_after = day(now + 365 * 86_400);
    Ok(())
}

fn common_name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// A CA certificate's parameters, named `cn`; its validity is the caller's. Public for the
/// tests, which make their certificates the same way.
pub fn ca_params(cn: &str) -> CertificateParams {
    let mut ca = CertificateParams::default();
    ca.distinguished_name = common_name(cn);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca
}

/// A TLS server certificate's parameters for `names` (the first is its common name too); its
/// validity is the caller's.
pub fn server_cert_params(names: &[&str]) -> Result<CertificateParams, rcgen::Error> {
    let mut leaf =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
    leaf.distinguished_name = common_name(names.first().copied().unwrap_or("localhost"));
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.use_authority_key_identifier_extension = true;
    Ok(leaf)
}

/// A TLS server configuration that presents `chain` (the leaf first) with `key`, speaking
/// `versions` (`rustls::DEFAULT_VERSIONS`: 1.2 and 1.3).
pub fn server_tls_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

pub(crate) fn generate(hostname: &str) -> Result<ServerPki, ServerError> {
    let ca_key = KeyPair::generate().map_err(tls_err)?;
    let mut ca = ca_params(CA_NAME);
    set_validity(&mut ca)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(tls_err)?;

    let mut names = vec![hostname];
    for extra in ["localhost", "127.0.0.1", "::1"] {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(extra)) {
            names.push(extra);
        }
    }
    let key = KeyPair::generate().map_err(tls_err)?;
    let mut leaf = server_cert_params(&names).map_err(tls_err)?;
    set_validity(&mut leaf)?;
    let cert = leaf
        .signed_by(&key, &Issuer::new(ca, ca_key))
        .map_err(tls_err)?;

    let config = server_tls_config(
        vec![cert.der().clone(), ca_cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        rustls::DEFAULT_VERSIONS,
    )
    .map_err(tls_err)?;
    Ok(ServerPki {
        ca_pem: ca_cert.pem(),
        acceptor: TlsAcceptor::from(config),
    })
}
