//! The certificates a scripted server presents after `tls KIND`: made once per test process,
//! with fixed validity dates so that transcripts are stable. The case CA (`ca.pem`) is what
//! `smtp-plan run` is given with `--ca-file`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{CertificateParams, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use smtp_plan::server::cert;

/// Which certificate the server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// Issued by the case CA for localhost and 127.0.0.1, valid 2020-01-01 to 2099-01-01.
    Ok,
    /// Issued by the case CA, valid 2020-01-01 to 2021-01-01.
    Expired,
    /// Issued by the case CA for wrong.example.test only.
    WrongName,
    /// Self-signed, not a CA (an end-entity certificate signed by its own key).
    SelfSigned,
    /// Self-signed and marked as a CA, the way `openssl req -x509` makes one.
    CaSelfSigned,
    /// Issued by another CA, which the client does not trust.
    Untrusted,
    /// Issued by the case CA, valid 2098-01-01 to 2099-01-01.
    NotYetValid,
}

impl CertKind {
    pub const ALL: [CertKind; 7] = [
        CertKind::Ok,
        CertKind::Expired,
        CertKind::WrongName,
        CertKind::SelfSigned,
        CertKind::CaSelfSigned,
        CertKind::Untrusted,
        CertKind::NotYetValid,
    ];

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.word() == word)
    }

    pub fn word(self) -> &'static str {
        match self {
            CertKind::Ok => "ok",
            CertKind::Expired => "expired",
            CertKind::WrongName => "wrong-name",
            CertKind::SelfSigned => "self-signed",
            CertKind::CaSelfSigned => "ca-self-signed",
            CertKind::Untrusted => "untrusted",
            CertKind::NotYetValid => "not-yet-valid",
        }
    }
}

struct Chain {
    certs: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
    pem: String,
}

/// Every certificate of the scripted servers, and the case CA as a file.
pub struct Certs {
    chains: Vec<(CertKind, Chain)>,
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

/// A CA named `cn`, valid 2020-01-01 to 2099-01-01.
fn ca_params(cn: &str) -> CertificateParams {
    let mut ca = cert::ca_params(cn);
    ca.not_before = rcgen::date_time_ymd(2020, 1, 1);
    ca.not_after = rcgen::date_time_ymd(2099, 1, 1);
    ca
}

/// A server certificate for `names`, valid from 2020-01-01 to `until`-01-01.
fn leaf_params(names: &[&str], until: i32) -> CertificateParams {
    let mut leaf = cert::server_cert_params(names).unwrap();
    leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(until, 1, 1);
    leaf
}

impl Certs {
    pub fn generate() -> Arc<Self> {
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params("smtp-plan case CA").self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params("smtp-plan case CA"), ca_key);
        let other_key = KeyPair::generate().unwrap();
        let other_cert = ca_params("untrusted case CA")
            .self_signed(&other_key)
            .unwrap();
        let other = Issuer::new(ca_params("untrusted case CA"), other_key);

        let good = ["localhost", "127.0.0.1"];
        let mut chains = Vec::new();
        for kind in CertKind::ALL {
            let key = KeyPair::generate().unwrap();
            let (cert, extra) = match kind {
                CertKind::Ok => (
                    leaf_params(&good, 2099).signed_by(&key, &issuer).unwrap(),
                    Some(ca_cert.der().clone()),
                ),
                CertKind::Expired => (
                    leaf_params(&good, 2021).signed_by(&key, &issuer).unwrap(),
                    Some(ca_cert.der().clone()),
                ),
                CertKind::WrongName => (
                    leaf_params(&["wrong.example.test"], 2099)
                        .signed_by(&key, &issuer)
                        .unwrap(),
                    Some(ca_cert.der().clone()),
                ),
                CertKind::SelfSigned => {
                    let mut p = leaf_params(&good, 2099);
                    p.use_authority_key_identifier_extension = false;
                    (p.self_signed(&key).unwrap(), None)
                }
                CertKind::CaSelfSigned => {
                    let mut p = ca_params("localhost");
                    p.subject_alt_names = leaf_params(&good, 2099).subject_alt_names;
                    (p.self_signed(&key).unwrap(), None)
                }
                CertKind::NotYetValid => {
                    let mut p = leaf_params(&good, 2099);
                    p.not_before = rcgen::date_time_ymd(2098, 1, 1);
                    (
                        p.signed_by(&key, &issuer).unwrap(),
                        Some(ca_cert.der().clone()),
                    )
                }
                CertKind::Untrusted => (
                    leaf_params(&good, 2099).signed_by(&key, &other).unwrap(),
                    Some(other_cert.der().clone()),
                ),
            };
            let mut certs = vec![cert.der().clone()];
            certs.extend(extra);
            chains.push((
                kind,
                Chain {
                    certs,
                    key: key.serialize_der(),
                    pem: cert.pem(),
                },
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        for (kind, chain) in &chains {
            std::fs::write(dir.path().join(format!("{}.pem", kind.word())), &chain.pem).unwrap();
        }
        Arc::new(Self {
            chains,
            ca_file,
            _dir: dir,
        })
    }

    fn chain(&self, kind: CertKind) -> &Chain {
        &self.chains.iter().find(|(k, _)| *k == kind).unwrap().1
    }

    /// The directory holding `ca.pem` and `KIND.pem` (each server certificate, leaf only).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// The SHA-256 fingerprint of the leaf of `kind`, in lower-case hex.
    pub fn sha256(&self, kind: CertKind) -> String {
        let digest = Sha256::digest(self.chain(kind).certs[0].as_ref());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The same as smtp-plan shows it: upper-case pairs joined by `:`.
    pub fn sha256_shown(&self, kind: CertKind) -> String {
        let digest = Sha256::digest(self.chain(kind).certs[0].as_ref());
        digest
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    pub fn server_config(&self, kind: CertKind, tls12_only: bool) -> Arc<rustls::ServerConfig> {
        let chain = self.chain(kind);
        let versions = if tls12_only {
            &[&rustls::version::TLS12][..]
        } else {
            rustls::DEFAULT_VERSIONS
        };
        cert::server_tls_config(
            chain.certs.clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(chain.key.clone())),
            versions,
        )
        .unwrap()
    }
}
