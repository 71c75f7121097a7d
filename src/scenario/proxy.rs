//! Connection options of `target:` and `connect:` beyond where to (extensions): `proxy:` (a
//! PROXY protocol header claiming other addresses, as a load balancer sends) and `bind:` (the
//! local address to connect from).

use std::net::{IpAddr, SocketAddr};

use super::context::{Cx, get};
use super::node::Node;
use super::resolver::Resolver;
use crate::model::ProxyHeader;

pub(crate) const PROXY_KEYS: &[&str] = &["version", "source", "destination"];

impl Resolver<'_> {
    /// `proxy: {version: 1|2, source: IP:PORT, destination: IP:PORT}`.
    pub fn proxy(&self, cx: &mut Cx<'_>, node: &Node) -> Option<ProxyHeader> {
        let entries = cx.map(node, "`proxy`")?;
        cx.check_keys(entries, PROXY_KEYS, "in `proxy`");
        let before = cx.diags.len();
        let version = match get(entries, "version") {
            None => {
                cx.error(
                    node,
                    "`proxy` needs `version` (1 or 2)",
                    Some("e.g. `proxy: {version: 2, source: 127.0.0.5:4000, destination: 127.0.0.1:25}`".into()),
                );
                None
            }
            Some(n) => match self.text(cx, n, "`version`").as_deref().map(str::trim) {
                Some("1") => Some(1),
                Some("2") => Some(2),
                Some(other) => {
                    cx.error(
                        n,
                        format!("invalid PROXY protocol version `{other}`"),
                        Some("write 1 (the text header) or 2 (the binary one)".into()),
                    );
                    None
                }
                None => None,
            },
        };
        let mut address = |name: &str| -> Option<SocketAddr> {
            let Some(n) = get(entries, name) else {
                cx.error(
                    node,
                    format!("`proxy` needs `{name}` (IP:PORT)"),
                    Some(
                        "the addresses the header claims, like `127.0.0.5:4000` or `[::1]:25`"
                            .into(),
                    ),
                );
                return None;
            };
            let text = self.text(cx, n, &format!("`{name}`"))?;
            match text.trim().parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    cx.error(
                        n,
                        format!("invalid `{name}` `{text}`"),
                        Some("write an IP address and a port: `127.0.0.5:4000`, `[::1]:25`".into()),
                    );
                    None
                }
            }
        };
        let source = address("source");
        let destination = address("destination");
        if let (Some(s), Some(d)) = (source, destination)
            && s.is_ipv4() != d.is_ipv4()
        {
            cx.error(
                node,
                "`source` and `destination` must both be IPv4 or both IPv6",
                None,
            );
        }
        if cx.diags.len() != before {
            return None;
        }
        Some(ProxyHeader {
            version: version?,
            source: source?,
            destination: destination?,
        })
    }

    /// `bind: IP`: the local address to connect from.
    pub fn bind(&self, cx: &mut Cx<'_>, node: &Node) -> Option<IpAddr> {
        let text = self.text(cx, node, "`bind`")?;
        let ip = text
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>();
        match ip {
            Ok(ip) => Some(ip),
            Err(_) => {
                cx.error(
                    node,
                    format!("invalid `bind` address `{text}`"),
                    Some("write a local IP address, like `127.0.0.2` or `::1`".into()),
                );
                None
            }
        }
    }
}
