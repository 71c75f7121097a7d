//! A `target:` as written, every key optional, and the defaults it is finished with.

use std::path::PathBuf;
use std::time::Duration;

use crate::model::{ProxyHeader, Target, TlsMode, TlsOptions};

const DEFAULT_HOST: &str = "localhost";
const DEFAULT_PORT: u16 = 25;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `target:` as written: every key optional, so a scenario's keys can win one by one.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PartialTarget {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<TlsMode>,
    pub timeout: Option<Duration>,
    pub tls_options: TlsOptions,
    pub proxy: Option<ProxyHeader>,
    pub bind: Option<std::net::IpAddr>,
    pub socket: Option<PathBuf>,
}

impl PartialTarget {
    /// These keys, and `base`'s where these are missing. Where to connect goes as a whole:
    /// a `host` or `port` here drops `base`'s `socket`.
    pub fn or(self, base: &PartialTarget) -> PartialTarget {
        let socket = if self.host.is_some() || self.port.is_some() {
            self.socket
        } else {
            self.socket.or_else(|| base.socket.clone())
        };
        PartialTarget {
            socket,
            host: self.host.or_else(|| base.host.clone()),
            port: self.port.or(base.port),
            tls: self.tls.or(base.tls),
            timeout: self.timeout.or(base.timeout),
            tls_options: self.tls_options.or(&base.tls_options),
            proxy: self.proxy.or(base.proxy),
            bind: self.bind.or(base.bind),
        }
    }

    pub fn finish(self) -> Target {
        Target {
            host: self.host.unwrap_or_else(|| DEFAULT_HOST.to_owned()),
            port: self.port.unwrap_or(DEFAULT_PORT),
            tls: self.tls.unwrap_or_default(),
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            tls_options: self.tls_options,
            proxy: self.proxy,
            bind: self.bind,
            socket: self.socket,
        }
    }
}
