//! The one scanner of template text (`${..}`, `$${`, plain text), the one rule for a variable
//! name, and the environment references of a whole file (for `doc`).

/// The one rule for a variable name, of the plan or of the environment: letters, digits, `_`,
/// `.` and `-`, at least one.
pub fn is_var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A piece of template text, as [`scan`] meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// Literal text (`$${` already turned into `${`).
    Text(&'a str),
    /// `${inner}`, and the byte offset of its `$`.
    Ref { inner: &'a str, offset: usize },
    /// A `${` with no `}` after it; nothing follows.
    Unclosed { offset: usize },
}

/// The one scanner of `${..}`, `$${` and plain text, for templates and for [`env_refs`].
pub(super) fn scan(text: &str) -> impl Iterator<Item = Token<'_>> {
    let mut pos = 0usize;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let rest = text.get(pos..).unwrap_or_default();
        if rest.is_empty() {
            done = true;
            return None;
        }
        let Some(i) = rest.find('$') else {
            pos = text.len();
            return Some(Token::Text(rest));
        };
        if i > 0 {
            pos += i;
            return Some(Token::Text(rest.get(..i).unwrap_or_default()));
        }
        if rest.starts_with("$${") {
            pos += 3;
            Some(Token::Text("${"))
        } else if let Some(after) = rest.strip_prefix("${") {
            let offset = pos;
            let Some(end) = after.find('}') else {
                done = true;
                return Some(Token::Unclosed { offset });
            };
            pos += 2 + end + 1;
            Some(Token::Ref {
                inner: after.get(..end).unwrap_or_default(),
                offset,
            })
        } else {
            pos += 1;
            Some(Token::Text("$"))
        }
    })
}

/// `env:NAME` or `env:NAME:-default` (the inside of `${..}`): the name and the default.
pub(super) fn env_ref(inner: &str) -> Option<(&str, Option<&str>)> {
    let env_ref = inner.strip_prefix("env:")?;
    Some(match env_ref.split_once(":-") {
        Some((n, d)) => (n, Some(d)),
        None => (env_ref, None),
    })
}

/// A `${env:NAME}` or `${env:NAME:-default}` in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRef {
    pub name: String,
    pub default: Option<String>,
}

/// Every environment reference in `text` (a whole plan file, say), in order, first use of
/// each name only; the scan stops at a `${` that is never closed.
pub fn env_refs(text: &str) -> Vec<EnvRef> {
    let mut out: Vec<EnvRef> = Vec::new();
    for token in scan(text) {
        let Token::Ref { inner, .. } = token else {
            continue;
        };
        let Some((name, default)) = env_ref(inner) else {
            continue;
        };
        if is_var_name(name) && !out.iter().any(|r| r.name == name) {
            out.push(EnvRef {
                name: name.to_owned(),
                default: default.map(str::to_owned),
            });
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn env_references_in_a_whole_file() {
        let refs = env_refs("a: ${env:A:-x y}\nb: ${env:B}\nc: $${env:C}\nd: ${env:A}\n");
        assert_eq!(
            refs,
            vec![
                EnvRef {
                    name: "A".into(),
                    default: Some("x y".into())
                },
                EnvRef {
                    name: "B".into(),
                    default: None
                },
            ]
        );
    }

    #[test]
    fn the_scanner_splits_text_references_and_escapes() {
        let tokens: Vec<Token<'_>> = scan("a$b$${x}${y}z${open").collect();
        assert_eq!(
            tokens,
            vec![
                Token::Text("a"),
                Token::Text("$"),
                Token::Text("b"),
                Token::Text("${"),
                Token::Text("x}"),
                Token::Ref {
                    inner: "y",
                    offset: 8
                },
                Token::Text("z"),
                Token::Unclosed { offset: 13 },
            ]
        );
    }

    #[test]
    fn one_name_rule() {
        assert!(is_var_name("a.b-c_D9"));
        assert!(!is_var_name(""));
        assert!(!is_var_name("a b"));
        assert!(!is_var_name("ä"));
    }
}
