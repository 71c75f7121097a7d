//! A plan, its scenarios and where they connect: the top of the model.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::Step;
use crate::protocol::TlsVersion;
use crate::redact::Secret;

/// A 1-based position in a plan file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Span {
    pub line: u32,
    pub col: u32,
}

/// Variable values by name. `Debug` shows the names only: a value may be a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VarValues(pub BTreeMap<String, String>);

impl std::fmt::Debug for VarValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl std::ops::Deref for VarValues {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for VarValues {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl From<BTreeMap<String, String>> for VarValues {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }
}

impl<'a> IntoIterator for &'a VarValues {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// One loaded plan file = one JUnit test suite. Its `Debug` shows no secret in any form: the
/// variables show their names only, the file text its size, a password or token `***`, and
/// what is left (a secret written literally in a `send:`, a name or a regex) is masked by the
/// plan's own [`Redactor`](crate::redact::Redactor) (see `model::debug`).
#[derive(Clone)]
pub struct Plan {
    /// The path as the user gave it (or as found under a directory they gave).
    pub path: PathBuf,
    /// The whole file text, for diagnostics.
    pub source: Arc<str>,
    /// `name:` or the file stem.
    pub name: String,
    /// Resolved plan variables: `vars:` with `${env:..}` and `${var}` references
    /// substituted, then overridden by `--var`.
    pub vars: VarValues,
    /// Every secret value known at load: of the variables named in `secrets:`, `--secret`
    /// and `--secrets-file`, of every variable an `auth` step takes its password or token
    /// from, of every variable made from one of those, and every password and token an `auth`
    /// step has before it runs. Empty values are left out. Redacted in every output.
    pub secret_values: Vec<Secret>,
    /// Masks `secret_values` in every form; built once at load (a 200 KB secret makes it
    /// costly), copied into each scenario's transcript.
    pub redactor: Arc<crate::redact::Redactor>,
    /// The names whose values are secret, captures included: a value captured under one of
    /// these names is masked from its capture on.
    pub secret_names: BTreeSet<String>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub tags: Vec<String>,
    /// The plan's `target:` merged with the scenario's own `target:` (scenario keys win).
    pub target: Target,
    pub steps: Vec<Step>,
    /// The scenario's own `vars:`, resolved; they override the plan's variables (extension).
    pub vars: VarValues,
    /// `skip: REASON`: reported as skipped (never as passed), not run.
    pub skip: Option<String>,
    /// Where `- name:` of this scenario starts.
    pub span: Span,
}

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
