//! The connection options a `connect` (or a scenario's first connection) uses: `bind` and the
//! PROXY protocol header, from the step, the target or the command line.

use std::net::IpAddr;

use crate::model::{ConnectSpec, Target};
use crate::protocol::proxy_header;
use crate::transport::ConnectOptions;

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
