//! The TLS client configuration: built once per distinct TLS settings per process and shared by
//! every handshake with those settings (the CA files and the client certificate are read once),
//! and the system trust store loaded only when a verification needs it, once.
//!
//! Each handshake still gets a verifier of its own (a cheap clone of the shared configuration),
//! which records the certificate the server showed so that a failure can describe it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::TransportError;
use super::tls::{CertInfo, ClientCert, TlsParams, TlsVersion};

/// Everything of `TlsParams` that shapes the configuration (the server name does not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ConfigKey {
    ca_files: Vec<PathBuf>,
    insecure: bool,
    client_cert: Option<(PathBuf, PathBuf)>,
    min_version: Option<TlsVersion>,
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
        }
    }
}

/// The shared part of a configuration: the rustls config and the trust anchors.
#[derive(Debug)]
struct Shared {
    config: ClientConfig,
    trust: Arc<Trust>,
}

/// What a verification trusts. The extra CA files are tried first on their own; only when they
/// do not verify the chain are the system roots loaded (once per process) and the chain checked
/// against both together — the same answer as checking against both at once, without reading
/// the system store for a server that a `ca_file` vouches for.
#[derive(Debug)]
struct Trust {
    provider: Arc<CryptoProvider>,
    /// The CA files alone; `None` without CA files.
    extra: Option<Arc<WebPkiServerVerifier>>,
    extra_certs: Vec<CertificateDer<'static>>,
    /// The system roots plus the CA files, built on first need; `None` = no anchor at all.
    full: OnceLock<Option<Arc<WebPkiServerVerifier>>>,
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())))
}

/// The system trust store, loaded once per process, on first need. Unreadable entries are
/// skipped.
fn native_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

fn verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|e| format!("cannot set up verification: {e}"))
}

impl Trust {
    fn full(&self) -> Option<&Arc<WebPkiServerVerifier>> {
        self.full
            .get_or_init(|| {
                let mut roots = RootCertStore::empty();
                roots.add_parsable_certificates(native_roots().iter().cloned());
                roots.add_parsable_certificates(self.extra_certs.iter().cloned());
                if roots.is_empty() {
                    return None;
                }
                verifier(roots, &self.provider).ok()
            })
            .as_ref()
    }

    fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(extra) = &self.extra
            && let Ok(ok) =
                extra.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            return Ok(ok);
        }
        match self.full() {
            Some(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }
}

fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let fail = |reason: String| TransportError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("not a valid PEM file ({e})")))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificate found in it".to_owned()));
    }
    Ok(certs)
}

fn load_client_cert(
    cc: &ClientCert,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TransportError> {
    let fail = |path: &Path, reason: String| TransportError::ClientCert {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(&cc.cert).map_err(|e| fail(&cc.cert, e.to_string()))?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&cc.cert, format!("not a valid PEM file ({e})")))?;
    if chain.is_empty() {
        return Err(fail(&cc.cert, "no PEM certificate found in it".to_owned()));
    }
    let bytes = std::fs::read(&cc.key).map_err(|e| fail(&cc.key, e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        fail(
            &cc.key,
            format!("no usable PEM private key (PKCS#8, PKCS#1 or SEC1) in it ({e})"),
        )
    })?;
    Ok((chain, key))
}

/// Checks the chain (unless `insecure`) and remembers the end-entity certificate, so that a
/// failure can say what the server showed. One per handshake.
#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    trust: Arc<Trust>,
    insecure: bool,
    seen: Mutex<Option<CertificateDer<'static>>>,
}

impl RecordingVerifier {
    pub(crate) fn seen(&self) -> Option<CertInfo> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.as_ref().and_then(|der| CertInfo::parse(der))
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
        self.trust
            .verify(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.trust.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.trust.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn build(params: &TlsParams) -> Result<Shared, TransportError> {
    let provider = provider();
    let mut extra_certs = Vec::new();
    let mut extra = None;
    if !params.insecure && !params.ca_files.is_empty() {
        let mut roots = RootCertStore::empty();
        for path in &params.ca_files {
            let certs = load_ca_file(path)?;
            let (_, rejected) = roots.add_parsable_certificates(certs.iter().cloned());
            if rejected > 0 {
                return Err(TransportError::CaFile {
                    path: path.clone(),
                    reason: format!(
                        "{rejected} certificate(s) in it could not be used as trust anchors"
                    ),
                });
            }
            extra_certs.extend(certs);
        }
        extra = Some(verifier(roots, &provider).map_err(TransportError::Tls)?);
    }
    let trust = Arc::new(Trust {
        provider: Arc::clone(&provider),
        extra,
        extra_certs,
        full: OnceLock::new(),
    });
    let versions: &[&'static rustls::SupportedProtocolVersion] = match params.min_version {
        Some(TlsVersion::V1_3) => &[&rustls::version::TLS13],
        Some(TlsVersion::V1_2) | None => rustls::DEFAULT_VERSIONS,
    };
    let placeholder = Arc::new(RecordingVerifier {
        trust: Arc::clone(&trust),
        insecure: params.insecure,
        seen: Mutex::new(None),
    });
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| TransportError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(placeholder);
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
    // Every handshake is a full one: a scenario tests what the server shows, not a session
    // it remembers (the session tickets a server sends are read and dropped).
    config.resumption = Resumption::disabled();
    Ok(Shared { config, trust })
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
    let verifier = Arc::new(RecordingVerifier {
        trust: Arc::clone(&shared.trust),
        insecure: params.insecure,
        seen: Mutex::new(None),
    });
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
