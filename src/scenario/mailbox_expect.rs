//! The `expect:` of a `mailbox` step: `arrives`, `folder`, `headers`, `body`, `attachments`,
//! `structure` (extension).

use super::context::{Cx, VarScope, get};
use super::expect::load_captures;
use super::node::{Node, Value};
use super::pattern::{load_regex, refuse_checks_nothing, refuse_empty};
use crate::model::{
    AttachmentExpect, CountRange, HeaderExpect, MailboxExpect, Presence, TextExpect,
};

pub(crate) const MAILBOX_EXPECT_KEYS: &[&str] = &[
    "arrives",
    "folder",
    "headers",
    "body",
    "attachments",
    "structure",
];
pub(crate) const HEADER_EXPECT_KEYS: &[&str] = &[
    "count",
    "equals",
    "contains",
    "matches",
    "not_matches",
    "capture",
];
pub(crate) const BODY_EXPECT_KEYS: &[&str] =
    &["equals", "contains", "matches", "not_matches", "capture"];
pub(crate) const MAILBOX_ATTACHMENT_KEYS: &[&str] = &["name", "content_type", "size"];
pub(crate) const COUNT_KEYS: &[&str] = &["min", "max"];

/// The expectation (None if it had problems, all reported) and the names it captures.
pub(crate) fn load_mailbox_expect(
    cx: &mut Cx<'_>,
    node: &Node,
    scope: &VarScope<'_>,
) -> (Option<MailboxExpect>, Vec<String>) {
    let Some(entries) = cx.map(node, "a `mailbox` step's `expect`") else {
        return (None, Vec::new());
    };
    let before = cx.diags.len();
    cx.check_keys(
        entries,
        MAILBOX_EXPECT_KEYS,
        "in a `mailbox` step's `expect`",
    );
    let mut expect = MailboxExpect::default();
    let mut captures = Vec::new();
    if let Some(n) = get(entries, "arrives") {
        expect.arrives = cx.bool(n, "`arrives`").unwrap_or(true);
    }
    if let Some(n) = get(entries, "folder") {
        expect.folder = cx.text(n, "`folder`");
    }
    if let Some(n) = get(entries, "headers")
        && !refuse_checks_nothing(
            cx,
            n,
            "headers",
            "name the headers to check, `headers: {DKIM-Signature: present}`, or leave the key out",
        )
        && let Some(headers) = cx.map(n, "`headers`")
    {
        for (name, value) in headers {
            if name.name.is_empty() || !name.name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
            {
                cx.error_key(
                    name,
                    format!("`{}` is not a valid header name", name.name),
                    Some("a header name is printable ASCII without spaces or `:`".into()),
                );
                continue;
            }
            if let Some(h) = load_header(cx, &name.name, value, scope, &mut captures) {
                expect.headers.push(h);
            }
        }
    }
    if let Some(n) = get(entries, "body")
        && !refuse_checks_nothing(
            cx,
            n,
            "body",
            "give `equals`, `contains`, `matches` or `not_matches`, or leave the key out",
        )
    {
        expect.body = load_text(cx, n, BODY_EXPECT_KEYS, "`body`", scope, &mut captures);
    }
    if let Some(n) = get(entries, "attachments")
        && !refuse_checks_nothing(
            cx,
            n,
            "attachments",
            "it does not mean \"no attachments\": for that, check `structure` (e.g. `structure: text/plain`)",
        )
        && let Some(items) = cx.list(n, "`attachments`")
    {
        for item in items {
            if let Some(a) = load_attachment(cx, item) {
                expect.attachments.push(a);
            }
        }
    }
    if let Some(n) = get(entries, "structure") {
        expect.structure = cx.text(n, "`structure`").map(|s| normalize_structure(&s));
    }
    if !expect.arrives {
        for (k, _) in entries.iter().filter(|(k, _)| k.name != "arrives") {
            cx.error_key(
                k,
                format!(
                    "`{}` cannot be checked on a message that must not arrive",
                    k.name
                ),
                Some(
                    "with `arrives: false` the step only checks that the message stays away".into(),
                ),
            );
        }
    }
    let ok = cx.diags.len() == before;
    (ok.then_some(expect), captures)
}

/// `structure:` as written, with the spaces after commas made uniform and types lowercased.
pub(crate) fn normalize_structure(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        out.push(c.to_ascii_lowercase());
        if c == ',' {
            out.push(' ');
        }
    }
    out
}

fn load_header(
    cx: &mut Cx<'_>,
    name: &str,
    value: &Node,
    scope: &VarScope<'_>,
    captures: &mut Vec<String>,
) -> Option<HeaderExpect> {
    let what = format!("header `{name}`");
    match &value.value {
        Value::Str(s) if s == "present" || s == "absent" => Some(HeaderExpect {
            name: name.to_owned(),
            presence: if s == "present" {
                Presence::Present
            } else {
                Presence::Absent
            },
            count: None,
            text: TextExpect::default(),
        }),
        Value::Map(entries) => {
            let count = get(entries, "count").and_then(|n| load_count(cx, n));
            let text = load_text(cx, value, HEADER_EXPECT_KEYS, &what, scope, captures)?;
            // A check of the value needs the header; `count` alone says how many it may have.
            let presence = if text.is_empty() {
                Presence::Any
            } else {
                Presence::Present
            };
            // `{}` or `count: {min: 0}` alone hold for any number of the header.
            let only_count = entries.iter().all(|(k, _)| k.name == "count");
            let any_number = match (get(entries, "count"), count) {
                (None, _) => true,
                (Some(_), Some(c)) => c.min == 0 && c.max.is_none(),
                (Some(_), None) => false, // already reported
            };
            if only_count && any_number {
                cx.error(
                    value,
                    format!("{what} checks nothing: it holds whether the header is there or not"),
                    Some(format!(
                        "write `{name}: present`, `absent`, a `count` or a check on its value"
                    )),
                );
                return None;
            }
            if count.is_some_and(|c| c.max == Some(0)) && !text.is_empty() {
                cx.error(
                    value,
                    format!("{what} cannot have `count: 0` and checks on its value"),
                    None,
                );
                return None;
            }
            Some(HeaderExpect {
                name: name.to_owned(),
                presence,
                count,
                text,
            })
        }
        _ => {
            cx.error(
                value,
                format!(
                    "{what} must be `present`, `absent` or a mapping {{count, equals, contains, matches, not_matches, capture}}"
                ),
                Some(format!(
                    "e.g. `{name}: present` or `{name}: {{contains: 'pass'}}`"
                )),
            );
            None
        }
    }
}

/// `{equals, contains, matches, not_matches, capture}` (and the keys of `allowed` others).
fn load_text(
    cx: &mut Cx<'_>,
    node: &Node,
    allowed: &[&str],
    what: &str,
    scope: &VarScope<'_>,
    captures: &mut Vec<String>,
) -> Option<TextExpect> {
    let entries = cx.map(node, what)?;
    cx.check_keys(entries, allowed, &format!("in {what}"));
    let mut t = TextExpect::default();
    if let Some(n) = get(entries, "equals") {
        t.equals = cx.template_in(n, "`equals`", scope);
    }
    if let Some(n) = get(entries, "contains")
        && !refuse_empty(cx, n, "contains")
    {
        t.contains = cx.template_in(n, "`contains`", scope);
    }
    if let Some(n) = get(entries, "matches")
        && !refuse_empty(cx, n, "matches")
    {
        t.matches = load_regex(cx, n, "`matches`");
    }
    if let Some(n) = get(entries, "not_matches")
        && !refuse_empty(cx, n, "not_matches")
    {
        t.not_matches = load_regex(cx, n, "`not_matches`");
    }
    if let Some(n) = get(entries, "capture") {
        t.capture = load_captures(cx, n, captures);
    }
    Some(t)
}

/// `count: 2` or `count: {min: 1, max: 3}`.
fn load_count(cx: &mut Cx<'_>, node: &Node) -> Option<CountRange> {
    let number = |cx: &mut Cx<'_>, n: &Node, what: &str| match &n.value {
        Value::Int(i) if *i >= 0 => usize::try_from(*i).ok(),
        _ => {
            cx.error(
                n,
                format!(
                    "{what} must be a number of headers (0 or more), found {}",
                    n.kind()
                ),
                None,
            );
            None
        }
    };
    match &node.value {
        Value::Map(entries) => {
            cx.check_keys(entries, COUNT_KEYS, "in `count`");
            let min = match get(entries, "min") {
                Some(n) => number(cx, n, "`min`")?,
                None => 0,
            };
            let max = match get(entries, "max") {
                Some(n) => Some(number(cx, n, "`max`")?),
                None => None,
            };
            if max.is_some_and(|m| m < min) {
                cx.error(node, "`max` is less than `min`", None);
                return None;
            }
            Some(CountRange { min, max })
        }
        _ => number(cx, node, "`count`").map(|n| CountRange {
            min: n,
            max: Some(n),
        }),
    }
}

fn load_attachment(cx: &mut Cx<'_>, node: &Node) -> Option<AttachmentExpect> {
    let entries = cx.map(node, "an attachment")?;
    cx.check_keys(entries, MAILBOX_ATTACHMENT_KEYS, "in an attachment");
    let mut a = AttachmentExpect {
        name: get(entries, "name").and_then(|n| cx.text(n, "`name`")),
        content_type: None,
        size: None,
    };
    if let Some(n) = get(entries, "content_type") {
        let t = cx.text(n, "`content_type`")?;
        let t = t.trim().to_ascii_lowercase();
        if !t.contains('/') || t.contains(char::is_whitespace) || t.contains(';') {
            cx.error(
                n,
                format!("invalid content type `{t}`"),
                Some("write `type/subtype`, like `application/pdf`, without parameters".into()),
            );
            return None;
        }
        a.content_type = Some(t);
    }
    if let Some(n) = get(entries, "size") {
        match &n.value {
            Value::Int(i) if *i >= 0 => a.size = u64::try_from(*i).ok(),
            _ => {
                cx.error(
                    n,
                    format!("`size` must be a number of bytes, found {}", n.kind()),
                    None,
                );
                return None;
            }
        }
    }
    if a == AttachmentExpect::default() {
        cx.error(
            node,
            "an expected attachment needs `name`, `content_type` or `size`",
            None,
        );
        return None;
    }
    Some(a)
}
