//! Where and how a scenario connects: host and port (or a Unix socket), TLS mode and
//! options, PROXY header, bind address, timeout.

use std::path::PathBuf;
use std::time::Duration;

use crate::protocol::TlsVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    #[default]
    None,
    Implicit,
}

/// Where and how to connect. Fully resolved at load time (variables substituted).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Host name, IPv4 literal or IPv6 literal (without brackets). Default "localhost".
    pub host: String,
    /// Default 25.
    pub port: u16,
    pub tls: TlsMode,
    /// Per-reply timeout. Default 10s.
    pub timeout: Duration,
    pub tls_options: TlsOptions,
    /// `proxy:` (extension): a PROXY protocol header sent first on every connection.
    pub proxy: Option<ProxyHeader>,
    /// `bind:` (extension): the local address to connect from.
    pub bind: Option<std::net::IpAddr>,
    /// `socket:` (extension): connect to this Unix domain socket instead of `host`/`port`
    /// (resolved relative to the plan file's directory).
    pub socket: Option<PathBuf>,
}

/// `proxy: {version, source, destination}`: what a load balancer in front of the server would
/// claim about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyHeader {
    pub version: u8,
    pub source: std::net::SocketAddr,
    pub destination: std::net::SocketAddr,
}

/// TLS settings, every one optional so that one layer can stand over another
/// ([`TlsOptions::or`]): a scenario's `target:` over the plan's, a `starttls:` step's or an
/// `imap:` check's over the target's. The command line's own go on top at the handshake.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsOptions {
    /// Extra trust anchor, already resolved relative to the plan file's directory.
    pub ca_file: Option<PathBuf>,
    /// Do not verify the server certificate (default false).
    pub insecure: Option<bool>,
    /// Name for SNI and the certificate name check; default: the target host.
    pub server_name: Option<String>,
    /// A client certificate (PEM) and its key, both resolved like `ca_file`; the loader makes
    /// sure they come together.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// The oldest TLS version to accept.
    pub min_version: Option<TlsVersion>,
    /// `pin_sha256`: the server certificate must have one of these SHA-256 fingerprints
    /// (normalised, see `transport::normalize_pin`), and is then trusted as it is.
    pub pin_sha256: Option<Vec<String>>,
}

impl TlsOptions {
    /// These settings, and `base`'s where these have none. A client certificate and its key
    /// come as a pair from one layer.
    pub fn or(self, base: &TlsOptions) -> TlsOptions {
        let (client_cert, client_key) = if self.client_cert.is_some() || self.client_key.is_some() {
            (self.client_cert, self.client_key)
        } else {
            (base.client_cert.clone(), base.client_key.clone())
        };
        TlsOptions {
            ca_file: self.ca_file.or_else(|| base.ca_file.clone()),
            insecure: self.insecure.or(base.insecure),
            server_name: self.server_name.or_else(|| base.server_name.clone()),
            client_cert,
            client_key,
            min_version: self.min_version.or(base.min_version),
            pin_sha256: self.pin_sha256.or_else(|| base.pin_sha256.clone()),
        }
    }

    /// Whether certificate verification is off.
    pub fn is_insecure(&self) -> bool {
        self.insecure.unwrap_or(false)
    }

    /// The pinned fingerprints (none unless `pin_sha256` was given).
    pub fn pins(&self) -> &[String] {
        self.pin_sha256.as_deref().unwrap_or_default()
    }
}
