//! A YAML document as a tree of nodes, each knowing where it was written.
//!
//! The loader does not deserialize plans straight into typed structs: serde stops at the first
//! problem, and we want every problem of a file at once. Instead the file becomes this small
//! spanned tree (one pass through serde-saphyr, with its budgets), and the loader walks it,
//! reporting each unknown key, wrong type or bad value where it is written.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, MessageFormatter as _, Spanned, UserMessageFormatter};

/// Files larger than this are refused before parsing.
#[allow(clippy::cast_possible_truncation)]
pub(crate) const MAX_FILE_BYTES: usize = crate::files::MAX_PLAN_BYTES as usize;

/// Where a node or key was written: 1-based line and (character) column, and its bytes in the
/// source when known. 16 bytes (a plan file is at most 8 MiB): a plan of 10,000 scenarios
/// has a quarter of a million of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: u32,
    pub col: u32,
    /// Byte offset and length in the file text; `start` is [`UNKNOWN`] when not known.
    start: u32,
    len: u32,
}

const UNKNOWN: u32 = u32::MAX;

impl Default for Pos {
    fn default() -> Self {
        Self::at(0, 0)
    }
}

impl Pos {
    /// A position whose bytes in the source are not known.
    pub fn at(line: u32, col: u32) -> Self {
        Self {
            line,
            col,
            start: UNKNOWN,
            len: 0,
        }
    }

    fn from_location(loc: Location) -> Self {
        let span = loc.span();
        let bytes = span.byte_offset().zip(span.byte_len());
        let at = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Self::from_parts(
            at(loc.line()),
            at(loc.column()),
            bytes.map(|(o, l)| (at(o), at(l))),
        )
    }

    /// A position from its 1-based line and column and, when known, its byte offset and
    /// length in the source.
    pub fn from_parts(line: usize, col: usize, bytes: Option<(usize, usize)>) -> Self {
        let bytes = bytes.and_then(|(o, l)| {
            let o = u32::try_from(o).ok().filter(|o| *o != UNKNOWN)?;
            let l = u32::try_from(l).ok()?;
            Some((o, l))
        });
        let (start, len) = bytes.unwrap_or((UNKNOWN, 0));
        Self {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
            start,
            len,
        }
    }

    /// The text this node spans in `source` (for a scalar: as written, quotes included).
    pub fn raw<'s>(&self, source: &'s str) -> Option<&'s str> {
        if self.start == UNKNOWN {
            return None;
        }
        let start = usize::try_from(self.start).ok()?;
        let len = usize::try_from(self.len).ok()?;
        source.get(start..start.checked_add(len)?)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// A mapping key (always read as text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub pos: Pos,
}

impl Node {
    /// What kind of value this is, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// A scalar's text: strings as they are; numbers and booleans as written in the file
    /// (so `2.10` stays `2.10` and `yes` stays `yes`). `None` for null, lists and mappings.
    pub fn scalar_text(&self, source: &str) -> Option<String> {
        let written = || {
            self.pos
                .raw(source)
                .filter(|r| !r.is_empty() && !r.starts_with('*'))
                .map(str::to_owned)
        };
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(written().unwrap_or_else(|| i.to_string())),
            Value::Float(f) => Some(written().unwrap_or_else(|| f.to_string())),
            Value::Bool(b) => Some(written().unwrap_or_else(|| b.to_string())),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            pos: Pos::from_location(spanned.referenced),
        })
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<String>::deserialize(deserializer)?;
        Ok(Key {
            name: spanned.value,
            pos: Pos::from_location(spanned.referenced),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        // No spare capacity: most lists and mappings of a plan hold one or two items, and a
        // plan of 10,000 scenarios has a hundred thousand of them.
        items.shrink_to_fit();
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        entries.shrink_to_fit();
        Ok(Value::Map(entries))
    }
}

/// A file that is not well-formed YAML (or that trips a budget): one problem, one position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// How deep a plan may nest, how many nodes and aliases it may have (far above any real plan).
/// A scenario of six steps is about 25 nodes: the node budget lets one file hold some 20,000
/// of them (a tree of about 50 MB at worst), the events budget follows it (a collection is
/// two events, a scalar one).
const MAX_DEPTH: usize = 32;
const MAX_NODES: usize = 500_000;
const MAX_EVENTS: usize = 1_250_000;
const MAX_ALIASES: usize = 1_000;

/// A budget breach in words, with the limit.
fn budget_words(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Depth { .. } => format!("the file is nested deeper than {MAX_DEPTH} levels"),
        B::Nodes { .. } => {
            format!("the file has more than {MAX_NODES} nodes (values, lists and mappings)")
        }
        B::Events { .. } => format!("the file has more than {MAX_EVENTS} YAML events"),
        B::Aliases { .. } => format!("the file has more than {MAX_ALIASES} aliases (`*name`)"),
        B::Anchors { .. } => format!("the file has more than {MAX_ALIASES} anchors (`&name`)"),
        B::Documents { .. } => "the file holds more than one YAML document (`---`)".to_owned(),
        B::ScalarBytes { .. } => format!(
            "the file's values hold more than {} in all",
            crate::files::bytes_in_words(MAX_FILE_BYTES as u64)
        ),
        _ => "the file is too large or too complex for a plan (aliases expand too far)".to_owned(),
    }
}

/// A problem about a control character (`\u{7}` in the message) is reported by the parser at
/// the start of its scalar: the column of the character itself on that line, if it is there.
fn control_column(text: &str, line: u32, col: u32, message: &str) -> Option<u32> {
    let start = message.find("\\u{")?;
    let rest = message.get(start + 3..)?;
    let hex = rest.get(..rest.find('}')?)?;
    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    let source = crate::snippet::nth_line(text, line)?;
    let from = usize::try_from(col.saturating_sub(1)).ok()?;
    let at = source.chars().skip(from).position(|x| x == c)?;
    u32::try_from(from + at + 1).ok()
}

/// Parse one YAML document into a tree, with limits against alias bombs, deep nesting and
/// huge inputs. A plan is small: these limits are far above any real plan.
pub(crate) fn parse_yaml(text: &str) -> Result<Node, YamlError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(YamlError {
            line: 0,
            col: 0,
            message: format!(
                "the file is too large ({} bytes; a plan may have at most {} bytes)",
                text.len(),
                MAX_FILE_BYTES
            ),
        });
    }
    serde_saphyr::from_str_with_options::<Node>(text, yaml_options())
        .map_err(|err| yaml_error(text, err))
}

/// How every plan file is parsed: the budgets above.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_documents: 1,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ALIASES,
            max_nodes: MAX_NODES,
            max_events: MAX_EVENTS,
            max_total_scalar_bytes: MAX_FILE_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_replay_stack_depth: 16,
            max_alias_expansions_per_anchor: 1_000,
        },
    }
}

/// A parse error of `text` as one problem at one position, in words.
fn yaml_error(text: &str, err: serde_saphyr::Error) -> YamlError {
    let err = err.without_snippet();
    let (line, col) = err.location().map_or((0, 0), |loc| {
        (
            u32::try_from(loc.line()).unwrap_or(u32::MAX),
            u32::try_from(loc.column()).unwrap_or(u32::MAX),
        )
    });
    let message: String = match &err {
        serde_saphyr::Error::Budget { breach, .. } => budget_words(breach),
        _ => UserMessageFormatter
            .format_message(err)
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    };
    let col = control_column(text, line, col, &message).unwrap_or(col);
    YamlError { line, col, message }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_their_written_text_and_position() {
        let src = "a: 2.10\nb: yes\nc: \"q\"\nd:\n  - x\n";
        let node = parse_yaml(src).unwrap();
        let Value::Map(entries) = &node.value else {
            panic!("map")
        };
        assert_eq!(entries[0].1.scalar_text(src).unwrap(), "2.10");
        assert_eq!(entries[1].1.scalar_text(src).unwrap(), "yes");
        assert_eq!(entries[2].1.pos.raw(src).unwrap(), "\"q\"");
        assert_eq!((entries[3].0.pos.line, entries[3].0.pos.col), (4, 1));
        let Value::Seq(items) = &entries[3].1.value else {
            panic!("seq")
        };
        assert_eq!((items[0].pos.line, items[0].pos.col), (5, 5));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = parse_yaml("a: [1, 2\n").unwrap_err();
        assert_eq!((e.line, e.col), (1, 4));
        assert!(e.message.contains("unclosed"), "{}", e.message);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse_yaml(&src).is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let src = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_yaml(&src).is_err());
    }
}
