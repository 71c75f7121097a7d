//! Regular expressions in a plan (`matches`, `capture`, `cipher`, ...): compiled at load, so
//! a bad one is a load error pointing at the character it trips on.

use regex::Regex;

use super::context::Cx;
use super::node::{Node, Value};

/// `''` as `contains`, `matches` or `not_matches` is a check that cannot tell one text from
/// another: the first two hold for every text (a PASS that proves nothing), the last for none.
/// A load error; true when `node` is such an empty text.
pub(crate) fn refuse_empty(cx: &mut Cx<'_>, node: &Node, key: &str) -> bool {
    if !matches!(&node.value, Value::Str(s) if s.is_empty()) {
        return false;
    }
    let what = if key == "not_matches" {
        "it matches every text, so this check always fails"
    } else {
        "it holds for every text, so this check can never fail"
    };
    cx.error(
        node,
        format!("`{key}` is empty: {what}"),
        Some("write the text (or regex) to look for, or leave the key out".into()),
    );
    true
}

/// An empty list or mapping as `key` (`lacks: []`, `attachments: []`, `body: {}`) checks
/// nothing, so it holds for every reply or message: a load error (it reads like a check — "no
/// attachments", "lacks nothing" — that it is not). True when `node` is such an empty value.
pub(crate) fn refuse_checks_nothing(cx: &mut Cx<'_>, node: &Node, key: &str, hint: &str) -> bool {
    let empty = match &node.value {
        Value::Seq(items) => items.is_empty(),
        Value::Map(entries) => entries.is_empty(),
        _ => false,
    };
    if empty {
        cx.error(
            node,
            format!("`{key}` is empty: it checks nothing, so it can never fail"),
            Some(hint.to_owned()),
        );
    }
    empty
}

/// Compile a regex now, so a bad one is a load error at its position.
pub(crate) fn load_regex(cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<Regex> {
    let pattern = cx.text(node, what)?;
    match Regex::new(&pattern) {
        Ok(re) => Some(re),
        Err(err) => {
            let text = err.to_string();
            let reason = text
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("error: "))
                .unwrap_or(&text)
                .to_owned();
            let message = format!("invalid regex in {what}: {reason}");
            match regex_error_offset(&pattern, &text) {
                Some((offset, width)) => {
                    cx.error_in_text(node, &pattern, offset, width, message, None);
                }
                None => cx.error(node, message, None),
            }
            None
        }
    }
}

/// The regex crate prints the pattern and a caret line under it (both indented 4 spaces);
/// turn that caret into a byte offset and width in the pattern (one-line patterns only).
fn regex_error_offset(pattern: &str, error: &str) -> Option<(usize, usize)> {
    if pattern.contains('\n') {
        return None;
    }
    let mut lines = error.lines();
    lines.find(|l| l.strip_prefix("    ") == Some(pattern))?;
    let carets = lines.next()?.strip_prefix("    ")?;
    let start = carets.find('^')?;
    let width = carets
        .get(start..)?
        .chars()
        .take_while(|c| *c == '^')
        .count();
    let offset = pattern.char_indices().nth(start).map(|(i, _)| i)?;
    Some((offset, width))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn regex_caret_becomes_an_offset() {
        let pattern = String::from("ab(c");
        let err = Regex::new(&pattern).unwrap_err().to_string();
        assert_eq!(regex_error_offset("ab(c", &err), Some((2, 1)));
    }
}
