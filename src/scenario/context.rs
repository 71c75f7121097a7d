//! The state of loading one file: its text, where problems go, and helpers that read nodes
//! into plain values, reporting (not returning) every problem at its position.
//!
//! Why one file: `Cx` is one type whose methods (reading nodes into values, reporting
//! problems at positions, masking secrets in diagnostics) share its state; tests follow.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use super::diagnostic::{Diagnostic, did_you_mean};
use super::file_access::FileAccess;
use super::node::{Key, Node, Pos, Value};
use crate::duration::{DURATION_HELP, DurationError, parse_duration};
use crate::template::Template;

/// Looks up an environment variable (`None` = unset).
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub(crate) struct Cx<'a> {
    pub path: &'a Path,
    pub source: &'a str,
    pub env: EnvLookup<'a>,
    /// Where the files the plan names must lie, and which are checked.
    pub files: &'a FileAccess,
    pub diags: Vec<Diagnostic>,
    /// Values of secret variables, which no diagnostic may show; applied by
    /// [`redact_diagnostics`] once the plan is read.
    pub secrets: Vec<String>,
    /// Passwords and tokens written literally in `auth` steps, masked in quoted source lines
    /// (messages never quote them).
    pub literal_secrets: Vec<String>,
    /// Where secret values are written (an `auth` password or token, the value of a secret
    /// variable): a problem found inside one is reported without its message, which could
    /// quote part of the value.
    pub secret_spots: Vec<Spot>,
    /// Where each variable's value is written, by name: those that turn out secret become
    /// `secret_spots` once the plan's secret names are known.
    pub var_spots: Vec<(String, Spot)>,
}

/// Where a scalar is written: its file, first and last line, first column, and raw text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spot {
    pub path: std::path::PathBuf,
    pub line: u32,
    pub col: u32,
    pub last_line: u32,
    pub raw: String,
}

impl Spot {
    fn holds(&self, d: &Diagnostic) -> bool {
        if d.path != self.path || !(self.line..=self.last_line).contains(&d.line) {
            return false;
        }
        let width = u32::try_from(self.raw.chars().count()).unwrap_or(u32::MAX);
        let end = self.col.saturating_add(width);
        match (d.line == self.line, d.line == self.last_line) {
            (true, true) => (self.col..end).contains(&d.col),
            (true, false) => d.col >= self.col,
            _ => true,
        }
    }
}

/// Which `${name}` references may appear in a template, and how to help when one is unknown.
pub(crate) struct VarScope<'a> {
    pub known: &'a BTreeSet<String>,
    /// Names defined further down in `vars:` (only while resolving `vars:`).
    pub later: &'a BTreeSet<String>,
    /// Whether values captured by earlier steps can be used here.
    pub captures: bool,
}

impl<'a> Cx<'a> {
    pub fn new(path: &'a Path, source: &'a str, env: EnvLookup<'a>, files: &'a FileAccess) -> Self {
        Self {
            path,
            source,
            env,
            files,
            diags: Vec::new(),
            secrets: Vec::new(),
            literal_secrets: Vec::new(),
            secret_spots: Vec::new(),
            var_spots: Vec::new(),
        }
    }

    /// Take over what loading another file (an include) found.
    pub fn absorb(&mut self, sub: &mut Cx<'_>) {
        self.diags.append(&mut sub.diags);
        self.secrets.append(&mut sub.secrets);
        self.literal_secrets.append(&mut sub.literal_secrets);
        self.secret_spots.append(&mut sub.secret_spots);
        self.var_spots.append(&mut sub.var_spots);
    }

    /// Where `node` is written, when it is a scalar with a known text.
    pub fn spot(&self, node: &Node) -> Option<Spot> {
        let raw = node.pos.raw(self.source)?.to_owned();
        let lines = u32::try_from(raw.matches('\n').count()).ok()?;
        Some(Spot {
            path: self.path.to_path_buf(),
            line: node.pos.line,
            col: node.pos.col,
            last_line: node.pos.line.checked_add(lines)?,
            raw,
        })
    }

    /// Mark `node` as the text of a secret value (see [`Cx::secret_spots`]).
    pub fn secret_spot(&mut self, node: &Node) {
        if let Some(spot) = self.spot(node) {
            self.secret_spots.push(spot);
        }
    }

    /// The line to quote under a problem. Only YAML files are quoted: a problem in a file that
    /// is not (a message file, or whatever a path pointed at) never shows its contents.
    fn source_line(&self, line: u32) -> Option<String> {
        if !is_yaml_path(self.path) {
            return None;
        }
        crate::snippet::nth_line(self.source, line).map(str::to_owned)
    }

    /// Report a problem at a line and column, underlining `width` characters.
    pub fn error_at(
        &mut self,
        line: u32,
        col: u32,
        width: usize,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.diags.push(Diagnostic {
            path: self.path.to_path_buf(),
            line,
            col,
            width: u32::try_from(width.max(1)).unwrap_or(1),
            message: crate::snippet::bound_message(&message.into()),
            help: help.map(|h| crate::snippet::bound_message(&h)),
            source_line: self.source_line(line),
        });
    }

    /// Report a problem about a whole node.
    pub fn error(&mut self, node: &Node, message: impl Into<String>, help: Option<String>) {
        let width = self.width(node.pos);
        self.error_at(node.pos.line, node.pos.col, width, message, help);
    }

    /// Report a problem about a mapping key.
    pub fn error_key(&mut self, key: &Key, message: impl Into<String>, help: Option<String>) {
        let width = key.name.chars().count();
        self.error_at(key.pos.line, key.pos.col, width, message, help);
    }

    /// How many characters to underline for a node: its text if on one line, else 1.
    fn width(&self, pos: Pos) -> usize {
        match pos.raw(self.source) {
            Some(raw) if !raw.contains('\n') && !raw.starts_with(['[', '{']) => raw.chars().count(),
            _ => 1,
        }
    }

    /// The entries of a mapping, or a problem if the node is something else.
    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Key, Node)]> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            _ => {
                self.error(
                    node,
                    format!("{what} must be a mapping, found {}", node.kind()),
                    None,
                );
                None
            }
        }
    }

    /// The items of a list, or a problem if the node is something else.
    pub fn list<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.error(
                    node,
                    format!("{what} must be a list, found {}", node.kind()),
                    None,
                );
                None
            }
        }
    }

    /// Report every key of `entries` that is not in `allowed`, with a "did you mean".
    pub fn check_keys(&mut self, entries: &[(Key, Node)], allowed: &[&str], place: &str) {
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                self.unknown_key(key, allowed, place);
            }
        }
    }

    pub fn unknown_key(&mut self, key: &Key, allowed: &[&str], place: &str) {
        let help = match did_you_mean(&key.name, allowed.iter().copied()) {
            Some(known) => format!("did you mean `{known}`?"),
            None => format!("expected one of {}", list_names(allowed)),
        };
        self.error_key(
            key,
            format!("unknown key `{}` {place}", key.name),
            Some(help),
        );
    }

    /// A scalar as text (numbers and booleans as written), or a problem.
    pub fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = node.scalar_text(self.source);
        if text.is_none() {
            self.error(
                node,
                format!("{what} must be a string, found {}", node.kind()),
                None,
            );
        }
        text
    }

    pub fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(
                    node,
                    format!("{what} must be `true` or `false`, found {}", node.kind()),
                    None,
                );
                None
            }
        }
    }

    /// A duration like `500ms`, `10s`, `1.5s`, `2m`, `1h`.
    pub fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(_) | Value::Float(_) => {
                let number = node.scalar_text(self.source).unwrap_or_default();
                self.error(
                    node,
                    format!("{what} needs a unit: `{number}` is ambiguous"),
                    Some(format!("did you mean `{number}s`?")),
                );
                return None;
            }
            _ => {
                self.error(
                    node,
                    format!(
                        "{what} must be a duration like `10s`, found {}",
                        node.kind()
                    ),
                    None,
                );
                return None;
            }
        };
        self.duration_text(node, &text, what)
    }

    /// A duration written as text (possibly after template substitution).
    pub fn duration_text(&mut self, node: &Node, text: &str, what: &str) -> Option<Duration> {
        match parse_duration(text) {
            Ok(d) => Some(d),
            Err(DurationError::NoUnit) => {
                self.error(
                    node,
                    format!("{what} needs a unit: `{text}` is ambiguous"),
                    Some(format!("did you mean `{}s`?", text.trim())),
                );
                None
            }
            Err(DurationError::Invalid) => {
                self.error(
                    node,
                    format!("invalid duration `{text}` for {what}"),
                    Some(DURATION_HELP.into()),
                );
                None
            }
            Err(e @ DurationError::TooLong { .. }) => {
                self.error(node, format!("{what} `{text}` {e}"), None);
                None
            }
        }
    }

    /// Parse a scalar as a template (`${env:..}` resolved now); problems at their `$`.
    pub fn template(&mut self, node: &Node, what: &str) -> Option<(Template, String)> {
        let text = self.text(node, what)?;
        match Template::parse(&text, self.env) {
            Ok(t) => Some((t, text)),
            Err(e) => {
                let width = ref_width(&text, e.offset);
                self.error_in_text(node, &text, e.offset, width, e.message, None);
                None
            }
        }
    }

    /// A template whose `${name}` references must all be in `scope`.
    pub fn template_in(
        &mut self,
        node: &Node,
        what: &str,
        scope: &VarScope<'_>,
    ) -> Option<Template> {
        let (template, text) = self.template(node, what)?;
        let mut ok = true;
        for (name, offset) in template.vars() {
            if scope.known.contains(name) {
                continue;
            }
            ok = false;
            let help = if crate::model::TLS_VARS.contains(&name) {
                format!(
                    "`{name}` is set by a TLS handshake: use it after a `starttls` step or on a `tls: implicit` connection"
                )
            } else if scope.later.contains(name) {
                format!(
                    "`{name}` is defined further down in `vars:`; variables are resolved in order, so move it up"
                )
            } else if crate::model::BUILTIN_VARS.contains(&name) {
                format!(
                    "`{name}` is a built-in variable, set when the scenario runs: steps can use it, `vars:` and `target:` cannot"
                )
            } else if let Some(close) = did_you_mean(name, scope.known.iter().map(String::as_str)) {
                format!("did you mean `{close}`?")
            } else if scope.captures {
                format!(
                    "define it under `vars:`, pass `--var {name}=VALUE`, or `capture` it in an earlier step"
                )
            } else {
                format!("define it under `vars:` or pass `--var {name}=VALUE`")
            };
            let width = ref_width(&text, offset);
            self.error_in_text(
                node,
                &text,
                offset,
                width,
                format!("undefined variable `{name}`"),
                Some(help),
            );
        }
        ok.then_some(template)
    }

    /// Report a problem at a byte offset inside a scalar's value.
    pub fn error_in_text(
        &mut self,
        node: &Node,
        value: &str,
        offset: usize,
        width: usize,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let raw = node.pos.raw(self.source);
        match locate_in_scalar(node.pos, raw, value, offset)
            .or_else(|| locate_reference(node.pos, raw, value, offset))
        {
            Some((line, col)) => self.error_at(line, col, width, message, help),
            None => self.error(node, message, help),
        }
    }
}

/// The characters of a `${...}` reference starting at `offset` (to its `}`), or 2 for `${`.
fn ref_width(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or_default();
    let line = rest.split('\n').next().unwrap_or_default();
    match line.find('}') {
        Some(end) => line.get(..=end).map_or(1, |s| s.chars().count()),
        None => 2,
    }
}

/// Map a byte offset in a scalar's value to a line and column in the file, when the value is
/// written verbatim: a one-line plain or quoted scalar without escapes, or a literal block
/// (`|`). Anything else (folding, escapes, aliases) gives `None`: point at the scalar.
fn locate_in_scalar(pos: Pos, raw: Option<&str>, value: &str, offset: usize) -> Option<(u32, u32)> {
    let raw = raw?;
    let chars = |s: &str| u32::try_from(s.chars().count()).ok();
    if !raw.contains('\n') {
        let inner = match raw.chars().next() {
            Some(q @ ('"' | '\'')) if raw.len() >= 2 && raw.ends_with(q) => {
                raw.get(1..raw.len() - 1)?
            }
            _ => raw,
        };
        if inner != value {
            return None;
        }
        let quote = u32::from(inner.len() != raw.len());
        return Some((pos.line, pos.col + quote + chars(value.get(..offset)?)?));
    }
    // A literal block: the span starts at the first content character; each later line is
    // the block's indentation followed by the value's line.
    let indent = " ".repeat(usize::try_from(pos.col.checked_sub(1)?).ok()?);
    let mut raw_lines = raw.split('\n');
    let mut start = 0usize;
    for (i, line) in value.split('\n').enumerate() {
        let raw_line = raw_lines.next()?;
        let matches = if i == 0 {
            raw_line == line
        } else {
            raw_line.trim_end() == format!("{indent}{line}").trim_end()
                || (line.is_empty() && raw_line.trim().is_empty())
        };
        if !matches {
            return None;
        }
        let end = start + line.len();
        if offset >= start && offset < end {
            let line_no = pos.line.checked_add(u32::try_from(i).ok()?)?;
            return Some((line_no, pos.col + chars(line.get(..offset - start)?)?));
        }
        start = end + 1;
    }
    None
}

/// Map a `${...}` reference at `offset` in a scalar's value to its line and column in the file
/// when the scalar is not written verbatim (escapes in a quoted string, a folded block): the
/// reference's own text is written as it is, so find the same occurrence of it in the source.
/// `None` when the reference is not found as often in the source as in the value.
fn locate_reference(pos: Pos, raw: Option<&str>, value: &str, offset: usize) -> Option<(u32, u32)> {
    let raw = raw?;
    let rest = value.get(offset..)?;
    if !rest.starts_with("${") {
        return None;
    }
    let line = rest.split('\n').next()?;
    let reference = line.get(..=line.find('}')?)?;
    let nth = value.get(..offset)?.matches(reference).count();
    if raw.matches(reference).count() != value.matches(reference).count() {
        return None;
    }
    let (at, _) = raw.match_indices(reference).nth(nth)?;
    let before = raw.get(..at)?;
    let chars = |s: &str| u32::try_from(s.chars().count()).ok();
    match before.rfind('\n') {
        None => Some((pos.line, pos.col.checked_add(chars(before)?)?)),
        Some(nl) => {
            let lines = u32::try_from(before.matches('\n').count()).ok()?;
            let col = chars(before.get(nl + 1..)?)?.checked_add(1)?;
            Some((pos.line.checked_add(lines)?, col))
        }
    }
}

/// Mask secret values in the diagnostics: those of `cx.secrets` as `***` in messages and help;
/// those and `cx.literal_secrets` (also the short ones) in the quoted source line with one `*`
/// per character, so that the caret still points at the right column.
pub(crate) fn redact_diagnostics(diags: &mut [Diagnostic], cx: &Cx<'_>) {
    let long = |v: &&String| crate::redact::check_secret_length(v).is_ok();
    let everywhere = crate::redact::Redactor::new(cx.secrets.iter().filter(long));
    // In the quoted line a secret too short to be masked everywhere is masked too: the
    // line is shown because of a problem there, often that very secret.
    let mut in_source = everywhere.clone();
    for s in &cx.literal_secrets {
        in_source.add_secret(s);
    }
    for d in diags {
        d.message = everywhere.redact(&d.message);
        d.help = d.help.as_deref().map(|h| everywhere.redact(h));
        d.source_line = d.source_line.as_deref().map(|l| {
            let l = mask_spots(l, d, &cx.secret_spots);
            in_source.redact_keep_width(&l)
        });
    }
}

/// Whether `path` names a YAML file (`.yaml` or `.yml`).
pub(crate) fn is_yaml_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "yaml" || e == "yml")
}

/// A problem found inside a secret value (a broken template) is reported without its
/// message, which could quote part of the value. Call once every problem is in.
pub(crate) fn hide_problems_in_secret_spots(cx: &mut Cx<'_>) {
    // A value that is one `${name}` (or `${env:NAME}`) reference holds no literal to quote.
    let spots: Vec<&Spot> = cx
        .secret_spots
        .iter()
        .filter(|s| !is_pure_reference(s.raw.trim_matches(['\'', '"'])))
        .collect();
    for d in &mut cx.diags {
        if spots.iter().any(|s| s.holds(d)) {
            d.message = "this secret value is not a valid template (the problem is not shown: it could quote the value)".to_owned();
            d.help = Some(
                "a literal `$` followed by `{` is written `$${`; `${name}` must name a defined variable"
                    .to_owned(),
            );
        }
    }
}

/// `line` (the source line of `d`) with the secret values written on it replaced by one `*`
/// per character, quotes kept; a value that is only a `${name}` reference is shown.
fn mask_spots(line: &str, d: &Diagnostic, spots: &[Spot]) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    for spot in spots {
        if spot.path != d.path || spot.line != d.line || spot.last_line != spot.line {
            continue;
        }
        let inner = spot.raw.trim_matches(['\'', '"']);
        if is_pure_reference(inner) {
            continue;
        }
        let start = usize::try_from(spot.col).unwrap_or(1).saturating_sub(1);
        let n = spot.raw.chars().count();
        let quoted = spot.raw.starts_with(['\'', '"']);
        let (from, to) = if quoted && n >= 2 {
            (start + 1, start + n - 1)
        } else {
            (start, start + n)
        };
        for c in chars.iter_mut().take(to).skip(from) {
            *c = '*';
        }
    }
    chars.into_iter().collect()
}

/// Whether `text` is one `${name}` and nothing else.
pub(crate) fn is_pure_reference(text: &str) -> bool {
    text.strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .is_some_and(|inner| !inner.contains(['$', '{', '}']))
}

/// Look up a key in a mapping.
pub(crate) fn get<'n>(entries: &'n [(Key, Node)], name: &str) -> Option<&'n Node> {
    entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
}

/// The lists of keys one after the other, as one list of `N` keys (checked when building).
// Evaluated while compiling: an index out of bounds, or a wrong `N`, fails the build.
#[allow(clippy::indexing_slicing)]
pub(crate) const fn keys<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut part, mut n) = (0, 0);
    while part < parts.len() {
        let mut i = 0;
        while i < parts[part].len() {
            out[n] = parts[part][i];
            (i, n) = (i + 1, n + 1);
        }
        part += 1;
    }
    assert!(n == N, "N is not the number of keys");
    out
}

/// `a`, `b` or `c` as "`a`, `b`, `c`".
pub(crate) fn list_names(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pos(line: u32, col: u32) -> Pos {
        Pos::at(line, col)
    }

    #[test]
    fn locates_offsets_in_plain_and_quoted_scalars() {
        assert_eq!(
            locate_in_scalar(pos(3, 10), Some("a ${x}"), "a ${x}", 2),
            Some((3, 12))
        );
        assert_eq!(
            locate_in_scalar(pos(3, 10), Some("\"a ${x}\""), "a ${x}", 2),
            Some((3, 13))
        );
        assert_eq!(
            locate_in_scalar(pos(3, 10), Some("'é ${x}'"), "é ${x}", 3),
            Some((3, 13))
        );
        // An escape changes the text: point at the scalar instead.
        assert_eq!(
            locate_in_scalar(pos(3, 10), Some("\"\\t${x}\""), "\t${x}", 1),
            None
        );
    }

    #[test]
    fn locates_references_in_escaped_and_folded_scalars() {
        // "A\tB ${x}" at 5:15: the value has a tab where the source has `\t`.
        let value = "A\tB ${x}";
        assert_eq!(
            locate_reference(pos(5, 15), Some("\"A\\tB ${x}\""), value, 4),
            Some((5, 21))
        );
        // 'it''s ${x} ${x}': the second reference.
        let value = "it's ${x} ${x}";
        assert_eq!(
            locate_reference(pos(6, 15), Some("'it''s ${x} ${x}'"), value, 10),
            Some((6, 27))
        );
        // A folded block starting at 12:11; the reference is on its second line.
        let value = "folded text ${x}";
        assert_eq!(
            locate_reference(pos(12, 11), Some("folded\n          text ${x}"), value, 12),
            Some((13, 16))
        );
        // Not a reference, or not found as written: point at the scalar.
        assert_eq!(locate_reference(pos(1, 1), Some("\"a\""), "a", 0), None);
        assert_eq!(
            locate_reference(pos(1, 1), Some("\"\\x24{x}\""), "${x}", 0),
            None
        );
    }

    #[test]
    fn locates_offsets_in_literal_blocks() {
        let raw = "Subject: hi\n\n  body ${who}\n";
        let value = "Subject: hi\n\nbody ${who}\n";
        let offset = value.find('$').unwrap();
        assert_eq!(
            locate_in_scalar(pos(5, 3), Some(raw), value, offset),
            Some((7, 8))
        );
    }
}
