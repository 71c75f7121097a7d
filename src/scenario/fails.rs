//! `expect: {fails: KIND}`: an expected failure, and where each kind can happen; and where
//! `per_recipient` can be written.

use super::context::{Cx, list_names};
use super::diagnostic::did_you_mean;
use super::node::{Key, Node, Value};
use crate::model::{Action, Expect, ExpectedFailure};

/// `fails: expired` or `fails: [untrusted, expired]`.
pub(crate) fn load_fails(cx: &mut Cx<'_>, node: &Node) -> Vec<ExpectedFailure> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) if items.is_empty() => {
            cx.error(
                node,
                "an empty list of expected failures matches nothing",
                Some(format!("name at least one of {}", all_words())),
            );
            return Vec::new();
        }
        Value::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut out = Vec::new();
    for item in items {
        let Some(word) = cx.text(item, "an expected failure") else {
            continue;
        };
        match ExpectedFailure::parse(word.trim()) {
            Some(f) => out.push(f),
            None => {
                let words: Vec<&str> = ExpectedFailure::all().map(|f| f.word()).collect();
                let help = match did_you_mean(word.trim(), words.iter().copied()) {
                    Some(w) => format!("did you mean `{w}`?"),
                    None => format!("expected one of {}", all_words()),
                };
                cx.error(
                    item,
                    format!("unknown expected failure `{word}`"),
                    Some(help),
                );
            }
        }
    }
    out
}

fn all_words() -> String {
    let words: Vec<&str> = ExpectedFailure::all().map(|f| f.word()).collect();
    list_names(&words)
}

/// Whether `expect:` is a map holding `fails` (the only form a `connect` step may have).
pub(crate) fn is_fails_map(node: &Node) -> bool {
    matches!(&node.value, Value::Map(entries) if entries.iter().any(|(k, _)| k.name == "fails"))
}

/// Report an expected failure that the step can never produce: a TLS failure on a step that
/// does no handshake, a refused connection on a step that does not connect.
pub(crate) fn check_fails_fit(cx: &mut Cx<'_>, key: &Key, action: &Action, expect: &Expect) {
    let keyword = action.keyword();
    if !expect.per_recipient.is_empty() && !matches!(action, Action::Data(_)) {
        cx.error_key(
            key,
            format!("`per_recipient` applies to `data` steps only, not `{keyword}`"),
            Some("it checks the reply of each recipient after the message, in LMTP".into()),
        );
    }
    for f in &expect.fails {
        let tls = matches!(f, ExpectedFailure::Tls | ExpectedFailure::TlsKind(_));
        let problem = if tls && !matches!(action, Action::StartTls(_) | Action::Connect(_)) {
            Some((
                format!("`fails: {}` cannot happen on a `{keyword}` step", f.word()),
                "only `starttls` and `connect` (with `tls: implicit`) do a TLS handshake",
            ))
        } else if *f == ExpectedFailure::Refused && !matches!(action, Action::Connect(_)) {
            Some((
                format!("`fails: refused` cannot happen on a `{keyword}` step"),
                "only `connect` opens a connection; make it the scenario's first step",
            ))
        } else if matches!(action, Action::Sleep(_) | Action::ExpectClose) {
            Some((
                format!("`{keyword}` cannot have an expected failure"),
                "it reads no reply",
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            cx.error_key(key, message, Some(help.to_owned()));
        }
    }
}
