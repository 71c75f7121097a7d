//! `mail_from:` and `rcpt_to:`: an address, or a mapping with raw `params` and the first-class
//! ESMTP parameters (extensions): SIZE (RFC 1870), BODY (RFC 6152, RFC 3030), SMTPUTF8
//! (RFC 6531) and the DSN parameters RET, ENVID, NOTIFY, ORCPT (RFC 3461). `rcpt_to` may also be
//! a list of recipients, each with its own `expect`.

use super::context::{Cx, VarScope, get};
use super::expect::{LoadedExpect, load_expect};
use super::node::{Key, Node, Value};
use crate::model::{Envelope, EsmtpParam, ParamValue, Recipient, Span};

/// Keys of `mail_from: {..}`.
pub(crate) const MAIL_KEYS: &[&str] = &[
    "address", "params", "size", "body", "smtputf8", "ret", "envid",
];
/// Keys of `rcpt_to: {..}`.
pub(crate) const RCPT_KEYS: &[&str] = &["address", "params", "notify", "orcpt"];
/// Keys of one item of `rcpt_to: [..]`.
pub(crate) const RECIPIENT_KEYS: &[&str] = &["address", "params", "notify", "orcpt", "expect"];
/// Every envelope key (for the schema's `envelope` mapping).
pub(crate) const ENVELOPE_KEYS: &[&str] = &[
    "address", "params", "size", "body", "smtputf8", "ret", "envid", "notify", "orcpt",
];

/// `mail_from: ..` or `rcpt_to: ..` (one address).
pub(crate) fn load_envelope(
    cx: &mut Cx<'_>,
    key: &Key,
    value: &Node,
    scope: &VarScope<'_>,
) -> Option<Envelope> {
    let mail = key.name == "mail_from";
    let keys = if mail { MAIL_KEYS } else { RCPT_KEYS };
    load_one(cx, key, value, scope, keys)
}

/// `rcpt_to: [a, {address: b, expect: 550}]`.
pub(crate) fn load_recipients(
    cx: &mut Cx<'_>,
    key: &Key,
    items: &[Node],
    scope: &VarScope<'_>,
) -> Option<Vec<Recipient>> {
    if items.is_empty() {
        cx.error_key(
            key,
            "`rcpt_to` lists no recipient",
            Some("write one address, or a list like `[a@example.com, b@example.com]`".into()),
        );
        return None;
    }
    let before = cx.diags.len();
    let mut out = Vec::new();
    for item in items {
        let span = Span {
            line: item.pos.line,
            col: item.pos.col,
        };
        let mut expect = None;
        if let Value::Map(entries) = &item.value
            && let Some((ekey, enode)) = entries.iter().find(|(k, _)| k.name == "expect")
        {
            if let Value::Map(inner) = &enode.value
                && let Some((ckey, _)) = inner.iter().find(|(k, _)| k.name == "capture")
            {
                cx.error_key(
                    ckey,
                    "`capture` is not available on one recipient's `expect`",
                    Some("capture from a single `rcpt_to: ADDRESS` step instead".into()),
                );
                continue;
            }
            if enode.value == Value::Null {
                cx.error_key(ekey, "`expect` needs a value", None);
                continue;
            }
            let LoadedExpect { expect: e, .. } = load_expect(cx, enode, scope);
            expect = e;
        }
        if let Value::Map(entries) = &item.value
            && get(entries, "address").is_none()
        {
            cx.check_keys(entries, RECIPIENT_KEYS, "in a recipient");
            cx.error(item, "a recipient needs `address`", None);
            continue;
        }
        if matches!(item.value, Value::Seq(_)) {
            cx.error(
                item,
                "a recipient must be an address or a mapping {address, expect, ..}, found a list",
                None,
            );
            continue;
        }
        if let Some(envelope) = load_one(cx, key, item, scope, RECIPIENT_KEYS) {
            out.push(Recipient {
                envelope,
                expect,
                span,
            });
        }
    }
    (cx.diags.len() == before).then_some(out)
}

fn load_one(
    cx: &mut Cx<'_>,
    key: &Key,
    value: &Node,
    scope: &VarScope<'_>,
    keys: &[&str],
) -> Option<Envelope> {
    let what = format!("`{}`", key.name);
    let (address_node, params, esmtp) = match &value.value {
        Value::Null => {
            let help = if key.name == "mail_from" {
                "write an address, or `\"\"` for the null sender `<>`"
            } else {
                "write an address, like `user@example.com`"
            };
            cx.error_key(key, format!("{what} needs an address"), Some(help.into()));
            return None;
        }
        Value::Map(entries) => {
            for (k, _) in entries {
                let name = k.name.as_str();
                if keys.contains(&name) {
                    continue;
                }
                if MAIL_KEYS.contains(&name) {
                    cx.error_key(
                        k,
                        format!("`{name}` is a MAIL FROM parameter: put it on `mail_from`"),
                        None,
                    );
                } else if RCPT_KEYS.contains(&name) {
                    cx.error_key(
                        k,
                        format!("`{name}` is a RCPT TO parameter: put it on `rcpt_to`"),
                        None,
                    );
                } else {
                    cx.unknown_key(k, keys, &format!("in {what}"));
                }
            }
            let Some(address) = get(entries, "address") else {
                cx.error_key(key, format!("{what} needs `address`"), None);
                return None;
            };
            let mut params = Vec::new();
            if let Some(list) = get(entries, "params").and_then(|n| cx.list(n, "`params`")) {
                for item in list {
                    if let Some(t) = cx.template_in(item, "a parameter", scope) {
                        params.push(t);
                    }
                }
            }
            let esmtp = load_esmtp(cx, entries, scope);
            (address, params, esmtp)
        }
        _ => (value, Vec::new(), Vec::new()),
    };
    let address = cx.template_in(address_node, &what, scope)?;
    let written = address_node.scalar_text(cx.source).unwrap_or_default();
    if written.starts_with('<') && written.ends_with('>') {
        cx.error(
            address_node,
            "write the address without `<` `>`",
            Some(format!(
                "smtp-plan adds them: `{} {}` is sent as `{}:{written}`",
                key.name,
                written.trim_start_matches('<').trim_end_matches('>'),
                if key.name == "mail_from" {
                    "MAIL FROM"
                } else {
                    "RCPT TO"
                }
            )),
        );
        return None;
    }
    Some(Envelope {
        address,
        params,
        esmtp,
    })
}

/// The first-class parameters of an envelope mapping, in a fixed order.
fn load_esmtp(cx: &mut Cx<'_>, entries: &[(Key, Node)], scope: &VarScope<'_>) -> Vec<EsmtpParam> {
    let mut out = Vec::new();
    if let Some(n) = get(entries, "size") {
        let value = match &n.value {
            Value::Int(i) if *i >= 0 => Some(ParamValue::Fixed(i.to_string())),
            Value::Str(s) if s.eq_ignore_ascii_case("message") => Some(ParamValue::MessageSize),
            Value::Str(s) if s.contains("${") => {
                cx.template_in(n, "`size`", scope).map(ParamValue::Number)
            }
            _ => {
                cx.error(
                    n,
                    "`size` must be a number of bytes or `message`",
                    Some("`size: message` sends the size of the message of the next `data` or `bdat` step".into()),
                );
                None
            }
        };
        if let Some(value) = value {
            out.push(EsmtpParam {
                keyword: "SIZE",
                value,
                needs: &["SIZE"],
            });
        }
    }
    if let Some(n) = get(entries, "body")
        && let Some(text) = cx.text(n, "`body`")
    {
        let needs: Option<&'static [&'static str]> = match text.to_ascii_uppercase().as_str() {
            "7BIT" | "8BITMIME" => Some(&["8BITMIME"]),
            "BINARYMIME" => Some(&["BINARYMIME", "CHUNKING"]),
            _ => None,
        };
        match needs {
            Some(needs) => out.push(EsmtpParam {
                keyword: "BODY",
                value: ParamValue::Fixed(text.to_ascii_uppercase()),
                needs,
            }),
            None => cx.error(
                n,
                format!("invalid `body` `{text}`"),
                Some("write 7BIT, 8BITMIME or BINARYMIME".into()),
            ),
        }
    }
    if let Some(n) = get(entries, "smtputf8")
        && cx.bool(n, "`smtputf8`") == Some(true)
    {
        out.push(EsmtpParam {
            keyword: "SMTPUTF8",
            value: ParamValue::None,
            needs: &["SMTPUTF8"],
        });
    }
    if let Some(n) = get(entries, "ret")
        && let Some(text) = cx.text(n, "`ret`")
    {
        let upper = text.to_ascii_uppercase();
        if upper == "FULL" || upper == "HDRS" {
            out.push(EsmtpParam {
                keyword: "RET",
                value: ParamValue::Fixed(upper),
                needs: &["DSN"],
            });
        } else {
            cx.error(
                n,
                format!("invalid `ret` `{text}`"),
                Some("write FULL (the whole message in a bounce) or HDRS (its headers)".into()),
            );
        }
    }
    if let Some(n) = get(entries, "envid")
        && let Some(value) = cx.template_in(n, "`envid`", scope)
    {
        out.push(EsmtpParam {
            keyword: "ENVID",
            value: ParamValue::Xtext { prefix: "", value },
            needs: &["DSN"],
        });
    }
    if let Some(n) = get(entries, "notify")
        && let Some(value) = load_notify(cx, n)
    {
        out.push(EsmtpParam {
            keyword: "NOTIFY",
            value: ParamValue::Fixed(value),
            needs: &["DSN"],
        });
    }
    if let Some(n) = get(entries, "orcpt")
        && let Some(value) = cx.template_in(n, "`orcpt`", scope)
    {
        out.push(EsmtpParam {
            keyword: "ORCPT",
            value: ParamValue::Xtext {
                prefix: "rfc822;",
                value,
            },
            needs: &["DSN"],
        });
    }
    out
}

/// `notify: NEVER`, `notify: [SUCCESS, FAILURE]` or `notify: "SUCCESS,DELAY"`.
fn load_notify(cx: &mut Cx<'_>, node: &Node) -> Option<String> {
    let words: Vec<(String, &Node)> = match &node.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| cx.text(i, "a `notify` item").map(|t| (t, i)))
            .collect(),
        _ => cx
            .text(node, "`notify`")?
            .split(',')
            .map(|w| (w.trim().to_owned(), node))
            .collect(),
    };
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for (word, at) in &words {
        let upper = word.to_ascii_uppercase();
        if !["NEVER", "SUCCESS", "FAILURE", "DELAY"].contains(&upper.as_str()) {
            cx.error(
                at,
                format!("invalid `notify` value `{word}`"),
                Some("write NEVER, or any of SUCCESS, FAILURE, DELAY".into()),
            );
            ok = false;
        } else if !out.contains(&upper) {
            out.push(upper);
        }
    }
    if ok && out.len() > 1 && out.iter().any(|w| w == "NEVER") {
        cx.error(
            node,
            "`notify: NEVER` cannot be combined with other values",
            Some("RFC 3461: NEVER, or any of SUCCESS, FAILURE, DELAY".into()),
        );
        return None;
    }
    if out.is_empty() && ok {
        cx.error(node, "`notify` lists nothing", None);
        return None;
    }
    ok.then(|| out.join(","))
}
