//! `target:` (plan and scenario level), `connect:` and the TLS options of `starttls:`.
//! Their values are templates resolved at load time against the plan's variables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use super::context::{Cx, VarScope, get, keys};
use super::diagnostic::did_you_mean;
use super::files::{PemKind, relative_to};
use super::node::{Key, Node, Value};
use crate::model::{ConnectSpec, ProxyHeader, StartTls, Target, TlsMode, TlsOptions, TlsVersion};

/// `server_name` is an extension of the v1 format: the name used for SNI and the certificate
/// check when it differs from `host` (e.g. connecting to an IP address).
pub(crate) const TARGET_KEYS: &[&str] = &keys::<14>(&[
    &["host", "port", "tls", "timeout"],
    &TLS_OPTION_KEYS,
    &["proxy", "bind", "socket"],
]);

/// The TLS options, the same under `target:` and `starttls:`.
pub(crate) const TLS_OPTION_KEYS: [&str; 7] = [
    "ca_file",
    "insecure",
    "server_name",
    "client_cert",
    "client_key",
    "min_version",
    "pin_sha256",
];

pub(crate) const CONNECT_KEYS: &[&str] = &["host", "port", "tls", "proxy", "bind", "socket"];

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

/// Reads target-like values, resolving `${var}` against the plan's variables.
pub(crate) struct Resolver<'v> {
    pub vars: &'v BTreeMap<String, String>,
    pub names: BTreeSet<String>,
}

impl<'v> Resolver<'v> {
    pub fn new(vars: &'v BTreeMap<String, String>) -> Self {
        Self {
            vars,
            names: vars.keys().cloned().collect(),
        }
    }

    /// A scalar with its variables substituted.
    pub fn text(&self, cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<String> {
        let later = BTreeSet::new();
        let scope = VarScope {
            known: &self.names,
            later: &later,
            captures: false,
        };
        let template = cx.template_in(node, what, &scope)?;
        template.render(self.vars).ok()
    }

    /// A host name or an IP address (the model holds IPv6 without brackets); a URL, a host
    /// with a port, a space... are problems that say what to write.
    pub fn host(&self, cx: &mut Cx<'_>, node: &Node) -> Option<String> {
        let host = self.text(cx, node, "`host`")?;
        if let Some(path) = host.trim().strip_prefix("unix:") {
            cx.error(
                node,
                format!("invalid `host`: `{host}` is a Unix socket, not a host"),
                Some(format!(
                    "write `socket: {path}` instead of `host` (and no `port`)"
                )),
            );
            return None;
        }
        match crate::protocol::parse_host(&host) {
            Ok(host) => Some(host),
            Err(e) => {
                cx.error(node, format!("invalid `host`: {e}"), Some(e.plan_help()));
                None
            }
        }
    }

    pub fn port(&self, cx: &mut Cx<'_>, node: &Node) -> Option<u16> {
        let text = match &node.value {
            Value::Int(n) => n.to_string(),
            _ => self.text(cx, node, "`port`")?,
        };
        match crate::protocol::parse_port(&text) {
            Ok(port) => Some(port),
            Err(e) => {
                cx.error(node, e.to_string(), Some(e.plan_help()));
                None
            }
        }
    }

    pub fn tls(&self, cx: &mut Cx<'_>, node: &Node) -> Option<TlsMode> {
        let text = self.text(cx, node, "`tls`")?;
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Some(TlsMode::None),
            "implicit" => Some(TlsMode::Implicit),
            other => {
                let help = if other == "starttls" {
                    "STARTTLS is a step: keep `tls: none` and add `- starttls` after `ehlo`"
                        .to_owned()
                } else if let Some(close) = did_you_mean(other, ["none", "implicit"]) {
                    format!("did you mean `{close}`?")
                } else {
                    "use `none` (plain, or upgraded by a `starttls` step) or `implicit` (TLS from the start, usually port 465)".to_owned()
                };
                cx.error(node, format!("invalid `tls` mode `{text}`"), Some(help));
                None
            }
        }
    }

    pub fn timeout(&self, cx: &mut Cx<'_>, node: &Node) -> Option<Duration> {
        let duration = match &node.value {
            Value::Str(_) => {
                let text = self.text(cx, node, "`timeout`")?;
                cx.duration_text(node, &text, "`timeout`")?
            }
            _ => cx.duration(node, "`timeout`")?,
        };
        if duration.is_zero() {
            cx.error(node, "`timeout` must be more than zero", None);
            return None;
        }
        Some(duration)
    }

    /// A PEM file's path, relative to the plan file's directory unless absolute, checked now
    /// (under the file root, readable, holding what `kind` needs).
    pub fn pem_path(&self, cx: &mut Cx<'_>, node: &Node, kind: PemKind) -> Option<PathBuf> {
        let text = self.text(cx, node, kind.key())?;
        if text.trim().is_empty() {
            cx.error(node, format!("{} is empty", kind.key()), None);
            return None;
        }
        let path = relative_to(cx.path, &text);
        cx.check_pem_file(node, &path, kind);
        Some(path)
    }

    pub fn bool(&self, cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<bool> {
        if let Value::Str(_) = node.value {
            let text = self.text(cx, node, what)?;
            return match text.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => {
                    cx.error(
                        node,
                        format!("{what} must be `true` or `false`, found `{text}`"),
                        None,
                    );
                    None
                }
            };
        }
        cx.bool(node, what)
    }

    pub fn target(&self, cx: &mut Cx<'_>, node: &Node, place: &str) -> PartialTarget {
        let mut out = PartialTarget::default();
        let Some(entries) = cx.map(node, "`target`") else {
            return out;
        };
        cx.check_keys(entries, TARGET_KEYS, place);
        let field = |name: &str| get(entries, name);
        out.host = field("host").and_then(|n| self.host(cx, n));
        out.port = field("port").and_then(|n| self.port(cx, n));
        out.tls = field("tls").and_then(|n| self.tls(cx, n));
        out.timeout = field("timeout").and_then(|n| self.timeout(cx, n));
        out.tls_options = self.tls_options(cx, entries);
        out.proxy = field("proxy").and_then(|n| self.proxy(cx, n));
        out.bind = field("bind").and_then(|n| self.bind(cx, n));
        out.socket = field("socket").and_then(|n| self.socket(cx, n, entries));
        out
    }

    /// `pin_sha256: FINGERPRINT` or a list of them: SHA-256 of the certificate, in hex, with
    /// or without `:` between the pairs.
    pub fn pins(&self, cx: &mut Cx<'_>, node: &Node) -> Vec<String> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let mut out = Vec::new();
        for item in items {
            let Some(text) = self.text(cx, item, "`pin_sha256`") else {
                continue;
            };
            match crate::transport::normalize_pin(&text) {
                Some(pin) => out.push(pin),
                None => cx.error(
                    item,
                    format!("`{text}` is not a SHA-256 fingerprint"),
                    Some("write the 64 hex digits (pairs may be joined by `:`), as `openssl x509 -noout -fingerprint -sha256 -in cert.pem` prints them".into()),
                ),
            }
        }
        out
    }

    /// `client_cert` and `client_key`: both or neither.
    fn client_pair(
        &self,
        cx: &mut Cx<'_>,
        entries: &[(Key, Node)],
    ) -> (Option<PathBuf>, Option<PathBuf>) {
        let cert =
            get(entries, "client_cert").and_then(|n| self.pem_path(cx, n, PemKind::ClientCert));
        let key = get(entries, "client_key").and_then(|n| self.pem_path(cx, n, PemKind::ClientKey));
        let alone = |name: &str, other: &str| {
            entries
                .iter()
                .find(|(k, _)| k.name == name)
                .filter(|_| get(entries, other).is_none())
                .map(|(k, _)| k.clone())
        };
        if let Some(k) = alone("client_cert", "client_key") {
            cx.error_key(
                &k,
                "`client_cert` needs `client_key`",
                Some("give the certificate's private key (PEM) as `client_key` beside it".into()),
            );
        }
        if let Some(k) = alone("client_key", "client_cert") {
            cx.error_key(
                &k,
                "`client_key` needs `client_cert`",
                Some("give the certificate (PEM) as `client_cert` beside it".into()),
            );
        }
        (cert, key)
    }

    /// `min_version: "1.2"` or `"1.3"` (also `TLSv1.3`).
    pub fn min_version(&self, cx: &mut Cx<'_>, node: &Node) -> Option<TlsVersion> {
        let text = self.text(cx, node, "`min_version`")?;
        let version = TlsVersion::parse(&text);
        if version.is_none() {
            let old = matches!(
                text.trim()
                    .trim_start_matches(['T', 'L', 'S', 'v', 't', 'l', 's', ' ']),
                "1" | "1.0" | "1.1"
            );
            let help = if old {
                "smtp-plan speaks TLS 1.2 and 1.3 only, so it never accepts an older version anyway"
            } else {
                "write \"1.2\" or \"1.3\""
            };
            cx.error(
                node,
                format!("invalid `min_version` `{text}`"),
                Some(help.into()),
            );
        }
        version
    }

    /// `connect: {host, port, tls}`.
    pub fn connect(&self, cx: &mut Cx<'_>, entries: &[(Key, Node)]) -> ConnectSpec {
        cx.check_keys(entries, CONNECT_KEYS, "in `connect`");
        let field = |name: &str| get(entries, name);
        ConnectSpec {
            host: field("host").and_then(|n| self.host(cx, n)),
            port: field("port").and_then(|n| self.port(cx, n)),
            tls: field("tls").and_then(|n| self.tls(cx, n)),
            proxy: field("proxy").and_then(|n| self.proxy(cx, n)),
            bind: field("bind").and_then(|n| self.bind(cx, n)),
            socket: field("socket").and_then(|n| self.socket(cx, n, entries)),
        }
    }

    /// `ca_file, insecure, server_name, client_cert, client_key, min_version, pin_sha256` of a
    /// `target:`, a `starttls:` step or an `imap:` check (keys already checked).
    pub fn tls_options(&self, cx: &mut Cx<'_>, entries: &[(Key, Node)]) -> TlsOptions {
        let field = |name: &str| get(entries, name);
        let (client_cert, client_key) = self.client_pair(cx, entries);
        TlsOptions {
            ca_file: field("ca_file").and_then(|n| self.pem_path(cx, n, PemKind::Ca)),
            insecure: field("insecure").and_then(|n| self.bool(cx, n, "`insecure`")),
            server_name: field("server_name").and_then(|n| self.text(cx, n, "`server_name`")),
            client_cert,
            client_key,
            min_version: field("min_version").and_then(|n| self.min_version(cx, n)),
            pin_sha256: field("pin_sha256").map(|n| self.pins(cx, n)),
        }
    }

    /// `starttls: {.. the TLS options .., required}` (keys already checked). An empty
    /// `pin_sha256` here leaves the target's pins in force.
    pub fn starttls(&self, cx: &mut Cx<'_>, entries: &[(Key, Node)]) -> StartTls {
        let mut options = self.tls_options(cx, entries);
        options.pin_sha256 = options.pin_sha256.filter(|pins| !pins.is_empty());
        StartTls {
            options,
            required: get(entries, "required").and_then(|n| self.bool(cx, n, "`required`")),
        }
    }
}
