//! `${name}`, `${env:NAME}`, `${env:NAME:-default}` and `$${` (a literal `${`).
//!
//! Parsing happens at load time. `${env:..}` is resolved while parsing (through a lookup the
//! caller gives), so a template holds only literal text and variable references, and a missing
//! environment variable is a load error at its position.
//!
//! `${func(a, b)}` applies a [`Func`] to variables (`${base64(user)}`,
//! `${base64_decode(challenge)}`, `${base64_plain(user, password)}`); function names and the
//! number of arguments are checked while parsing, the argument variables by the loader like any
//! other reference. The runner treats the output of a function applied to a secret as a secret.

use std::collections::BTreeMap;
use std::fmt;

use crate::protocol::{b64_decode, b64_encode, plain_response};
use crate::redact::Secret;

mod scan;

pub use scan::{EnvRef, env_refs, is_var_name};
use scan::{Token, env_ref, scan};

/// A parsed string with `${var}` references.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    /// `${env:NAME}` (or `${env:NAME:-default}`), resolved while parsing. The value may be a
    /// secret (a password from the CI environment): its `Debug` is masked, and a line break
    /// in it is caught like one in a variable's value.
    Env {
        name: String,
        value: Secret,
    },
    /// `${name}` and where it started (byte offset of `$` in the source string).
    Var {
        name: String,
        offset: usize,
    },
    /// `${func(arg, ..)}`: a function of variables, and where it started.
    Func {
        func: Func,
        args: Vec<String>,
        offset: usize,
    },
}

/// A template whose value is a secret (an `auth` password or token, an IMAP password): its
/// `Debug` shows `***` whatever the template holds (a password written literally, an
/// environment variable's value), and it has no `Display`. The template is reachable only
/// through [`SecretTemplate::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretTemplate(Template);

impl SecretTemplate {
    pub fn new(template: Template) -> Self {
        Self(template)
    }

    /// The template itself, to render for the wire or to see which variables it uses.
    pub fn expose(&self) -> &Template {
        &self.0
    }
}

impl fmt::Debug for SecretTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::redact::MASK)
    }
}

/// A template function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `base64(x)`: x in base64.
    Base64,
    /// `base64_decode(x)`: x decoded from base64 (invalid UTF-8 shown as U+FFFD).
    Base64Decode,
    /// `base64_plain(user, password)`: the AUTH PLAIN message, `base64(\0user\0password)`.
    Base64Plain,
}

impl Func {
    pub const ALL: [Func; 3] = [Func::Base64, Func::Base64Decode, Func::Base64Plain];

    pub fn name(self) -> &'static str {
        match self {
            Func::Base64 => "base64",
            Func::Base64Decode => "base64_decode",
            Func::Base64Plain => "base64_plain",
        }
    }

    fn params(self) -> &'static [&'static str] {
        match self {
            Func::Base64 | Func::Base64Decode => &["value"],
            Func::Base64Plain => &["user", "password"],
        }
    }

    fn signature(self) -> String {
        format!("{}({})", self.name(), self.params().join(", "))
    }

    fn apply(self, args: &[&str]) -> Result<String, RenderError> {
        let arg = |i: usize| args.get(i).copied().unwrap_or_default();
        Ok(match self {
            Func::Base64 => b64_encode(arg(0).as_bytes()),
            Func::Base64Decode => match b64_decode(arg(0)) {
                Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                None => return Err(RenderError::NotBase64 { func: self.name() }),
            },
            Func::Base64Plain => plain_response(arg(0), arg(1)),
        })
    }
}

/// One function application made while rendering: the argument values and the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub args: Vec<String>,
    pub output: String,
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

/// Rendering failed: a variable has no value, or a function could not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Undefined(#[from] UndefinedVar),
    /// The value is not shown: it may be a secret.
    #[error("`{func}`: the value is not valid base64")]
    NotBase64 { func: &'static str },
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
        for token in scan(text) {
            let (inner, at) = match token {
                Token::Text(t) => {
                    lit.push_str(t);
                    continue;
                }
                Token::Unclosed { offset } => {
                    return Err(TemplateError {
                        offset,
                        message: "unclosed `${`: add `}` (or write `$${` for a literal `${`)"
                            .into(),
                    });
                }
                Token::Ref { inner, offset } => (inner, offset),
            };
            if let Some((name, default)) = env_ref(inner) {
                check_name(name, at, "environment variable")?;
                // As in the shell's `${NAME:-default}`: an empty value takes the default
                // too (CI systems pass an unset secret or variable as an empty string).
                let value = env(name).filter(|v| default.is_none() || !v.is_empty());
                match value.or_else(|| default.map(str::to_owned)) {
                    Some(v) => {
                        if !lit.is_empty() {
                            parts.push(Part::Lit(std::mem::take(&mut lit)));
                        }
                        if !v.is_empty() {
                            parts.push(Part::Env {
                                name: name.to_owned(),
                                value: Secret::new(v),
                            });
                        }
                    }
                    None => {
                        return Err(TemplateError {
                            offset: at,
                            message: format!(
                                "environment variable `{name}` is not set (give a default with `${{env:{name}:-...}}`)"
                            ),
                        });
                    }
                }
                continue;
            }
            let part = match inner.split_once('(') {
                Some((name, args)) => parse_func(name, args, at)?,
                None => {
                    check_name(inner, at, "variable")?;
                    Part::Var {
                        name: inner.to_owned(),
                        offset: at,
                    }
                }
            };
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            parts.push(part);
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Self { parts })
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The variables this template references (function arguments too), with the byte
    /// offsets of their `${`.
    pub fn vars(&self) -> impl Iterator<Item = (&str, usize)> {
        self.parts.iter().flat_map(|p| {
            let refs: Vec<(&str, usize)> = match p {
                Part::Var { name, offset } => vec![(name.as_str(), *offset)],
                Part::Func { args, offset, .. } => {
                    args.iter().map(|a| (a.as_str(), *offset)).collect()
                }
                Part::Lit(_) | Part::Env { .. } => Vec::new(),
            };
            refs
        })
    }

    /// The first `${..}` whose value holds a CR or LF, as written (`x`, `base64_decode(c)`,
    /// `env:NAME`): in a command line it would end the command early and start another.
    pub fn line_break_in(&self, vars: &BTreeMap<String, String>) -> Option<String> {
        let breaks = |v: &str| v.contains(['\r', '\n']);
        self.parts.iter().find_map(|p| match p {
            Part::Lit(_) => None,
            Part::Env { name, value } => breaks(value.expose()).then(|| format!("env:{name}")),
            Part::Var { name, .. } => vars
                .get(name)
                .is_some_and(|v| breaks(v))
                .then(|| name.clone()),
            Part::Func { func, args, .. } => {
                let values: Vec<&str> = args
                    .iter()
                    .map(|a| vars.get(a).map_or("", String::as_str))
                    .collect();
                func.apply(&values)
                    .is_ok_and(|v| breaks(&v))
                    .then(|| format!("{}({})", func.name(), args.join(", ")))
            }
        })
    }

    /// Substitute every `${name}` from `vars` and apply every function.
    pub fn render(&self, vars: &BTreeMap<String, String>) -> Result<String, RenderError> {
        self.render_traced(vars).map(|(out, _)| out)
    }

    /// Like [`Template::render`], also returning every function application (so that the
    /// caller can treat a function of a secret as a secret).
    pub fn render_traced(
        &self,
        vars: &BTreeMap<String, String>,
    ) -> Result<(String, Vec<Applied>), RenderError> {
        let lookup = |name: &String| {
            vars.get(name)
                .map(String::as_str)
                .ok_or_else(|| UndefinedVar { name: name.clone() })
        };
        let mut out = String::new();
        let mut applied = Vec::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Env { value, .. } => out.push_str(value.expose()),
                Part::Var { name, .. } => out.push_str(lookup(name)?),
                Part::Func { func, args, .. } => {
                    let values = args.iter().map(lookup).collect::<Result<Vec<_>, _>>()?;
                    let output = func.apply(&values)?;
                    out.push_str(&output);
                    applied.push(Applied {
                        args: values.into_iter().map(str::to_owned).collect(),
                        output,
                    });
                }
            }
        }
        Ok((out, applied))
    }
}

/// `name(a, b)` after `${`: `args` is the text after `(`.
fn parse_func(name: &str, args: &str, offset: usize) -> Result<Part, TemplateError> {
    let err = |message: String| TemplateError { offset, message };
    let known = || {
        Func::ALL
            .iter()
            .map(|f| format!("`{}`", f.signature()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let func = Func::ALL
        .into_iter()
        .find(|f| f.name() == name.trim())
        .ok_or_else(|| {
            err(format!(
                "unknown function `{}`: functions are {}",
                name.trim(),
                known()
            ))
        })?;
    let Some(args) = args.strip_suffix(')') else {
        return Err(err(format!(
            "`{}` needs a closing `)`: write `${{{}}}`",
            func.name(),
            func.signature()
        )));
    };
    let args: Vec<String> = if args.trim().is_empty() {
        Vec::new()
    } else {
        args.split(',').map(|a| a.trim().to_owned()).collect()
    };
    if args.len() != func.params().len() {
        return Err(err(format!(
            "`{}` takes {} argument(s), found {}: write `${{{}}}`",
            func.name(),
            func.params().len(),
            args.len(),
            func.signature()
        )));
    }
    for a in &args {
        check_name(a, offset, "variable")?;
    }
    Ok(Part::Func { func, args, offset })
}

impl fmt::Display for Template {
    /// The template as written: `${name}` and `${env:NAME}` references, never their values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            match p {
                Part::Lit(s) => f.write_str(&s.replace("${", "$${"))?,
                Part::Env { name, .. } => write!(f, "${{env:{name}}}")?,
                Part::Var { name, .. } => write!(f, "${{{name}}}")?,
                Part::Func { func, args, .. } => {
                    write!(f, "${{{}({})}}", func.name(), args.join(", "))?;
                }
            }
        }
        Ok(())
    }
}

fn check_name(name: &str, offset: usize, what: &str) -> Result<(), TemplateError> {
    if is_var_name(name) {
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
mod tests;
