//! `socket: PATH` on `target:` and `connect:` (extension): a Unix domain socket to connect to
//! instead of `host` and `port`, as LMTP servers usually listen on.

use std::path::PathBuf;

use super::context::Cx;
use super::files::relative_to;
use super::node::{Key, Node};
use super::partial_target::PartialTarget;
use super::resolver::Resolver;
use crate::transport::socket::MAX_SOCKET_PATH;

/// Keys that cannot go beside `socket` in one map, and why.
const NOT_WITH_SOCKET: &[(&str, &str)] = &[
    (
        "host",
        "a Unix socket has no host and port: give `socket` or `host`/`port`, not both",
    ),
    (
        "port",
        "a Unix socket has no host and port: give `socket` or `host`/`port`, not both",
    ),
    (
        "bind",
        "`bind` chooses a local IP address for a TCP connection; a Unix socket has none",
    ),
    (
        "proxy",
        "a PROXY protocol header claims TCP addresses; a Unix socket connection has none",
    ),
];

impl Resolver<'_> {
    /// `socket: PATH`, relative to the plan file's directory unless absolute. Not a file the
    /// plan reads (so not confined to the file root): a place to connect to, like a host.
    pub fn socket(&self, cx: &mut Cx<'_>, node: &Node, entries: &[(Key, Node)]) -> Option<PathBuf> {
        for (key, _) in entries {
            if let Some((name, why)) = NOT_WITH_SOCKET.iter().find(|(n, _)| *n == key.name) {
                cx.error_key(
                    key,
                    format!("`{name}` cannot go with `socket`"),
                    Some((*why).to_owned()),
                );
            }
        }
        let text = self.text(cx, node, "`socket`")?;
        if text.trim().is_empty() {
            cx.error(
                node,
                "`socket` is empty",
                Some("write the path of the server's Unix socket, like `/run/dovecot/lmtp`".into()),
            );
            return None;
        }
        let path = relative_to(cx.path, &text);
        let len = path.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            cx.error(
                node,
                format!(
                    "the socket path `{}` is {len} bytes long; a Unix socket path may have at most {MAX_SOCKET_PATH}",
                    path.display()
                ),
                Some("use a shorter path (a symbolic link to the socket's directory works)".into()),
            );
            return None;
        }
        Some(path)
    }
}

/// A scenario's `target:` that names a `socket` while the plan's target has `bind` or `proxy`
/// (or the other way round): those cannot apply. Problems inside one map are found where it is
/// read; this is the check across the two levels.
pub(crate) fn check_merged(
    cx: &mut Cx<'_>,
    node: &Node,
    own: &PartialTarget,
    plan: &PartialTarget,
) {
    let uses_plan_socket = own.socket.is_none() && own.host.is_none() && own.port.is_none();
    let socket = own.socket.is_some() || (uses_plan_socket && plan.socket.is_some());
    if !socket {
        return;
    }
    for (name, own_has, plan_has) in [
        ("bind", own.bind.is_some(), plan.bind.is_some()),
        ("proxy", own.proxy.is_some(), plan.proxy.is_some()),
    ] {
        // Beside `socket` in one map: said where that map was read.
        let same_map = (own_has && own.socket.is_some()) || (plan_has && plan.socket.is_some());
        if (own_has || plan_has) && !same_map {
            let why = NOT_WITH_SOCKET
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, w)| (*w).to_owned());
            cx.error(
                node,
                format!(
                    "this target connects to a Unix socket, but `{name}` applies to it (from the {} target)",
                    if own_has { "scenario's" } else { "plan's" }
                ),
                why,
            );
        }
    }
}
