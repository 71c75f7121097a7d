//! The command line's settings for a run: what applies to every scenario.

use std::path::PathBuf;

use super::target::TargetOverride;
use crate::protocol::Limits;
use crate::protocol::TlsVersion;
use crate::transport::ClientCert;

/// Command-line settings that apply to every scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `--target` (or the built-in server of `--serve`).
    pub target: Option<TargetOverride>,
    /// `--ca-file` (and the CA of `--serve`): trusted for every handshake, together with the
    /// plan's `ca_file`.
    pub ca_files: Vec<PathBuf>,
    /// `--insecure`: verify no certificate.
    pub insecure: bool,
    /// `--client-cert` / `--client-key`: presented when a plan names no client certificate.
    pub client_cert: Option<ClientCert>,
    /// `--tls-min-version`: the higher of this and the plan's `min_version` applies.
    pub min_version: Option<TlsVersion>,
    pub limits: Limits,
    /// `--bind`: the local address to connect from where a plan names none.
    pub bind: Option<std::net::IpAddr>,
}
