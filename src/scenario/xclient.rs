//! `xclient:` and `xforward:` (Postfix's XCLIENT / XFORWARD extensions): the attributes to
//! claim, each a template, sent xtext-encoded.

use super::context::{Cx, VarScope};
use super::node::{Key, Node, Value};
use crate::model::{Action, XAttr};

/// XCLIENT attributes (YAML key, wire name).
pub(crate) const XCLIENT_KEYS: &[&str] = &[
    "name",
    "reverse_name",
    "addr",
    "port",
    "proto",
    "helo",
    "login",
    "destaddr",
    "destport",
];
/// XFORWARD attributes.
pub(crate) const XFORWARD_KEYS: &[&str] =
    &["name", "addr", "port", "proto", "helo", "ident", "source"];

/// `xclient: {addr: .., name: ..}` / `xforward: {..}`.
pub(crate) fn load_xattrs(
    cx: &mut Cx<'_>,
    key: &Key,
    value: &Node,
    scope: &VarScope<'_>,
) -> Option<Action> {
    let xclient = key.name == "xclient";
    let keys = if xclient { XCLIENT_KEYS } else { XFORWARD_KEYS };
    let Value::Map(entries) = &value.value else {
        cx.error(
            value,
            format!(
                "`{}` takes a mapping of attributes like {{addr: 127.0.0.2, name: client.example.com}}, found {}",
                key.name,
                value.kind()
            ),
            Some(format!("attributes: {}", keys.join(", "))),
        );
        return None;
    };
    if entries.is_empty() {
        cx.error_key(key, format!("`{}` lists no attribute", key.name), None);
        return None;
    }
    let before = cx.diags.len();
    cx.check_keys(entries, keys, &format!("in `{}`", key.name));
    let mut attrs = Vec::new();
    for (k, node) in entries {
        if !keys.contains(&k.name.as_str()) {
            continue;
        }
        if let Some(t) = cx.template_in(node, &format!("`{}`", k.name), scope) {
            attrs.push(XAttr {
                name: k.name.to_ascii_uppercase(),
                value: t,
            });
        }
    }
    if cx.diags.len() != before {
        return None;
    }
    Some(if xclient {
        Action::Xclient(attrs)
    } else {
        Action::Xforward(attrs)
    })
}
