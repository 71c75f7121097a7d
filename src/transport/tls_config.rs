//! The TLS client configuration: built once per distinct TLS settings per process and shared by
//! every handshake with those settings (the CA files and the client certificate are read and
//! parsed once), with the system trust store loaded only when a verification needs it (see
//! [`Trust`]). Each handshake gets its own verifier (a cheap clone of the shared configuration),
//! which records the certificate the server showed so that a failure can describe it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::ServerCertVerifier;
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::error::TransportError;
use super::tls_failure::TlsFailure;
use super::verify::{RecordingVerifier, Trust};
use crate::protocol::TlsVersion;

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
    /// `pin_sha256`: SHA-256 fingerprints (as [`normalize_pin`](super::normalize_pin) writes them); when given, the
    /// server's certificate must be one of these, and is then trusted whoever issued it (its
    /// name and dates are still checked).
    pub pins: Vec<String>,
}

/// A client certificate: PEM files for the chain (end entity first) and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    pub cert: PathBuf,
    pub key: PathBuf,
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

/// Everything of `TlsParams` that shapes the configuration (the server name does not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ConfigKey {
    ca_files: Vec<PathBuf>,
    insecure: bool,
    client_cert: Option<(PathBuf, PathBuf)>,
    min_version: Option<TlsVersion>,
    pins: Vec<String>,
}

impl ConfigKey {
    fn of(params: &TlsParams) -> Self {
        Self {
            ca_files: params.ca_files.clone(),
            insecure: params.insecure,
            client_cert: params
                .client_cert
                .as_ref()
                .map(|c| (c.cert.clone(), c.key.clone())),
            min_version: params.min_version,
            pins: params.pins.clone(),
        }
    }
}

/// The shared part of a configuration.
#[derive(Debug)]
struct Shared {
    config: ClientConfig,
    trust: Arc<Trust>,
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())))
}

/// A PEM file's bytes, read through the bounded reader.
fn read_pem(path: &Path) -> Result<Vec<u8>, String> {
    crate::files::read_file(path, crate::files::MAX_PEM_BYTES).map_err(|e| e.to_string())
}

/// The certificates of the `ca_file`s the loader has read and checked (it checks them so that
/// nothing is sent when one is wrong), by path as the plan resolved it: the handshake uses
/// them instead of reading and parsing each file a second time. Public certificates only.
fn checked_ca_files() -> &'static Mutex<HashMap<PathBuf, Vec<CertificateDer<'static>>>> {
    static CHECKED: OnceLock<Mutex<HashMap<PathBuf, Vec<CertificateDer<'static>>>>> =
        OnceLock::new();
    CHECKED.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The certificates of the CA file at `path` if the loader has checked it.
pub(crate) fn checked_ca_file(path: &Path) -> Option<Vec<CertificateDer<'static>>> {
    let checked = checked_ca_files().lock().unwrap_or_else(|e| e.into_inner());
    checked.get(path).cloned()
}

/// Remember the certificates of the CA file at `path`, read and checked by the loader.
pub(crate) fn remember_ca_file(path: &Path, certs: Vec<CertificateDer<'static>>) {
    let mut checked = checked_ca_files().lock().unwrap_or_else(|e| e.into_inner());
    checked.insert(path.to_path_buf(), certs);
}

fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    if let Some(certs) = checked_ca_file(path) {
        return Ok(certs);
    }
    let fail = |reason: String| TransportError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    parse_pem_certificates(&read_pem(path).map_err(fail)?).map_err(fail)
}

fn load_client_cert(
    cc: &ClientCert,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TransportError> {
    let fail = |path: &Path, reason: String| TransportError::ClientCert {
        path: path.to_path_buf(),
        reason,
    };
    let chain = read_pem(&cc.cert)
        .and_then(|b| parse_pem_certificates(&b))
        .map_err(|e| fail(&cc.cert, e))?;
    let key = read_pem(&cc.key)
        .and_then(|b| parse_pem_private_key(&b))
        .map_err(|e| fail(&cc.key, e))?;
    Ok((chain, key))
}

fn build(params: &TlsParams) -> Result<Shared, TransportError> {
    let provider = provider();
    let mut exact = Vec::new();
    let mut extra = None;
    if !params.insecure && !params.ca_files.is_empty() {
        let mut roots = RootCertStore::empty();
        for path in &params.ca_files {
            let certs = load_ca_file(path)?;
            exact.extend(certs.iter().cloned());
            let (_, rejected) = roots.add_parsable_certificates(certs);
            if rejected > 0 {
                return Err(TransportError::CaFile {
                    path: path.clone(),
                    reason: format!(
                        "{rejected} certificate(s) in it could not be used as trust anchors"
                    ),
                });
            }
        }
        extra = Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|e| {
                    TransportError::tls(
                        TlsFailure::Setup,
                        format!("cannot set up verification: {e}"),
                    )
                })?,
        );
    }
    let trust = Arc::new(Trust {
        provider: Arc::clone(&provider),
        extra,
        exact,
        full: OnceLock::new(),
    });
    let versions: &[&'static rustls::SupportedProtocolVersion] = match params.min_version {
        Some(TlsVersion::V1_3) => &[&rustls::version::TLS13],
        Some(TlsVersion::V1_2) | None => rustls::DEFAULT_VERSIONS,
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| TransportError::tls(TlsFailure::Setup, e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier(&trust, params));
    let mut config = match &params.client_cert {
        None => builder.with_no_client_auth(),
        Some(cc) => {
            let (chain, key) = load_client_cert(cc)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TransportError::ClientCert {
                    path: cc.key.clone(),
                    reason: format!("the key does not fit the certificate or is unusable ({e})"),
                })?
        }
    };
    // Every handshake is a full one: a scenario tests what the server shows, not a session it
    // remembers (the session tickets a server sends are read and dropped).
    config.resumption = Resumption::disabled();
    Ok(Shared { config, trust })
}

fn verifier(trust: &Arc<Trust>, params: &TlsParams) -> Arc<RecordingVerifier> {
    Arc::new(RecordingVerifier {
        trust: Arc::clone(trust),
        insecure: params.insecure,
        pins: params.pins.clone(),
        seen: Mutex::new(None),
    })
}

/// The configuration for one handshake with `params`, and its verifier. The shared part is
/// built on first use of these settings; a failure to build it (an unreadable CA file) is not
/// remembered, so it is reported again the next time.
pub(crate) fn client_config(
    params: &TlsParams,
) -> Result<(Arc<ClientConfig>, Arc<RecordingVerifier>), TransportError> {
    static CACHE: OnceLock<Mutex<HashMap<ConfigKey, Arc<Shared>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = ConfigKey::of(params);
    let cached = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    let shared = match cached {
        Some(s) => s,
        None => {
            let built = Arc::new(build(params)?);
            cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(key)
                .or_insert(built)
                .clone()
        }
    };
    let verifier = verifier(&shared.trust, params);
    let mut config = shared.config.clone();
    config
        .dangerous()
        .set_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>);
    Ok((Arc::new(config), verifier))
}

impl RecordingVerifier {
    /// Whether a verification with these settings has needed the system roots so far.
    #[cfg(test)]
    pub(crate) fn used_system_roots(&self) -> bool {
        self.trust.full.get().is_some()
    }

    /// Whether both come from one shared configuration.
    #[cfg(test)]
    pub(crate) fn shares_settings_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.trust, &other.trust)
    }
}
