//! The connection options a `connect` (or a scenario's first connection) uses: `bind` and the
//! PROXY protocol header, from the step, the target or the command line; and whether it goes
//! to a Unix socket instead of a host.

use std::net::IpAddr;
use std::path::PathBuf;

use super::target::TargetOverride;
use crate::model::{ConnectSpec, Target};
use crate::protocol::proxy_header;
use crate::transport::ConnectOptions;

/// The Unix socket a connection goes to, if it goes to one: `--target unix:PATH`, else the
/// step's `socket`, else the target's unless the step names a host or port.
pub(super) fn unix_socket(
    spec: &ConnectSpec,
    target: &Target,
    cli: Option<&TargetOverride>,
) -> Option<PathBuf> {
    if let Some(o) = cli {
        return o.socket.clone();
    }
    if spec.socket.is_some() || spec.host.is_some() || spec.port.is_some() {
        return spec.socket.clone();
    }
    target.socket.clone()
}

/// Over a Unix socket, a `bind` or `proxy` the plan asks for cannot apply: why, if one does.
pub(super) fn not_for_socket(spec: &ConnectSpec, target: &Target) -> Option<String> {
    let what = if spec.bind.or(target.bind).is_some() {
        "`bind` (a local IP address to connect from)"
    } else if spec.proxy.or(target.proxy).is_some() {
        "`proxy` (a PROXY protocol header claiming TCP addresses)"
    } else {
        return None;
    };
    Some(format!(
        "this connection goes to a Unix socket, where {what} cannot apply; nothing was sent"
    ))
}

/// The options, and the transcript notes that say what they do.
pub(super) fn connect_options(
    spec: &ConnectSpec,
    target: &Target,
    cli_bind: Option<IpAddr>,
) -> (ConnectOptions, Vec<String>) {
    let mut notes = Vec::new();
    let bind = spec.bind.or(target.bind).or(cli_bind);
    let preamble = spec.proxy.or(target.proxy).and_then(|p| {
        let header = proxy_header(p.version, p.source, p.destination)?;
        let family = if p.source.is_ipv4() { "TCP4" } else { "TCP6" };
        notes.push(format!(
            "PROXY protocol v{} header first: {family} {} -> {} ({} bytes)",
            p.version,
            p.source,
            p.destination,
            header.len()
        ));
        Some(header)
    });
    (ConnectOptions { bind, preamble }, notes)
}
