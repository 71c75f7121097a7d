//! `${name}`, `${env:NAME}`, `${env:NAME:-default}` and `$${` (a literal `${`).
//!
//! Parsing happens at load time. `${env:..}` is resolved while parsing (through a lookup the
//! caller gives), so a template holds only literal text and variable references, and a missing
//! environment variable is a load error at its position.

use std::collections::BTreeMap;
use std::fmt;

/// A parsed string with `${var}` references.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    /// `${name}` and where it started (byte offset of `$` in the source string).
    Var {
        name: String,
        offset: usize,
    },
}

/// A problem in a template string; `offset` is the byte offset of the `$` that starts it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

/// Rendering referenced a variable that has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undefined variable `{name}`")]
pub struct UndefinedVar {
    pub name: String,
}

impl Template {
    /// A template of plain text (no substitution).
    pub fn literal(text: impl Into<String>) -> Self {
        Self {
            parts: vec![Part::Lit(text.into())],
        }
    }

    /// Parse `text`; `env` looks up environment variables (`None` = unset).
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        let mut pos = 0usize;
        while let Some(i) = rest.find('$') {
            lit.push_str(rest.get(..i).unwrap_or_default());
            let at = pos + i;
            let tail = rest.get(i..).unwrap_or_default();
            if let Some(after) = tail.strip_prefix("$${") {
                lit.push_str("${");
                let used = tail.len() - after.len();
                pos = at + used;
                rest = after;
            } else if let Some(after) = tail.strip_prefix("${") {
                let Some(end) = after.find('}') else {
                    return Err(TemplateError {
                        offset: at,
                        message: "unclosed `${`: add `}` (or write `$${` for a literal `${`)"
                            .into(),
                    });
                };
                let inner = after.get(..end).unwrap_or_default();
                if let Some(env_ref) = inner.strip_prefix("env:") {
                    let (name, default) = match env_ref.split_once(":-") {
                        Some((n, d)) => (n, Some(d)),
                        None => (env_ref, None),
                    };
                    check_name(name, at, "environment variable")?;
                    match env(name).or_else(|| default.map(str::to_owned)) {
                        Some(v) => lit.push_str(&v),
                        None => {
                            return Err(TemplateError {
                                offset: at,
                                message: format!(
                                    "environment variable `{name}` is not set (give a default with `${{env:{name}:-...}}`)"
                                ),
                            });
                        }
                    }
                } else {
                    check_name(inner, at, "variable")?;
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Var {
                        name: inner.to_owned(),
                        offset: at,
                    });
                }
                let used = 2 + end + 1;
                pos = at + used;
                rest = tail.get(used..).unwrap_or_default();
            } else {
                lit.push('$');
                pos = at + 1;
                rest = tail.get(1..).unwrap_or_default();
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Self { parts })
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The variables this template references, with their byte offsets.
    pub fn vars(&self) -> impl Iterator<Item = (&str, usize)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, offset } => Some((name.as_str(), *offset)),
            Part::Lit(_) => None,
        })
    }

    /// Substitute every `${name}` from `vars`.
    pub fn render(&self, vars: &BTreeMap<String, String>) -> Result<String, UndefinedVar> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Var { name, .. } => match vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => return Err(UndefinedVar { name: name.clone() }),
                },
            }
        }
        Ok(out)
    }
}

impl fmt::Display for Template {
    /// The template as written (with `${name}` references, env already resolved).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            match p {
                Part::Lit(s) => f.write_str(&s.replace("${", "$${"))?,
                Part::Var { name, .. } => write!(f, "${{{name}}}")?,
            }
        }
        Ok(())
    }
}

fn check_name(name: &str, offset: usize, what: &str) -> Result<(), TemplateError> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(TemplateError {
            offset,
            message: format!(
                "`{name}` is not a valid {what} name (letters, digits, `_`, `.`, `-`)"
            ),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "HOST").then(|| "mx.example".to_owned())
    }

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn substitutes_vars_and_env() {
        let t = Template::parse("a ${user} at ${env:HOST} ${env:NOPE:-dflt}", &env).unwrap();
        assert_eq!(
            t.render(&vars(&[("user", "bob")])).unwrap(),
            "a bob at mx.example dflt"
        );
        assert_eq!(t.vars().collect::<Vec<_>>(), vec![("user", 2)]);
    }

    #[test]
    fn literal_dollar_forms() {
        let t = Template::parse("$${x} costs $5 and P@$$w0rd", &env).unwrap();
        assert_eq!(
            t.render(&BTreeMap::new()).unwrap(),
            "${x} costs $5 and P@$$w0rd"
        );
    }

    #[test]
    fn errors_point_at_the_dollar() {
        let e = Template::parse("ab ${env:MISSING}", &env).unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(e.message.contains("MISSING"));
        let e = Template::parse("x ${open", &env).unwrap_err();
        assert_eq!(e.offset, 2);
        let e = Template::parse("${bad name}", &env).unwrap_err();
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn undefined_at_render() {
        let t = Template::parse("${who}", &env).unwrap();
        assert_eq!(t.render(&BTreeMap::new()).unwrap_err().name, "who");
    }
}
