//! The common plan file read straight from the YAML parser's events into the spanned tree,
//! without serde-saphyr's general machinery (a `Spanned` wrapper, budget and alias bookkeeping
//! and key fingerprints per node): loading 10,000 scenarios costs about a third less.
//!
//! It is the same parser (granit-parser, with the options serde-saphyr gives it) and the same
//! positions, and it reads only what it can type exactly as serde-saphyr does: plain scalars
//! that are clearly text, `true`/`false`-like words, `null`-like words and plain decimal
//! integers; quoted and block scalars. Anything else — a tag, an anchor or alias, a number in
//! any other form, a key that is not plain text, a key written twice, nesting or size near a
//! budget, a directive, a second document, a syntax error — gives `None`, and the file is read
//! by serde-saphyr, which reports it as it always has.

use std::borrow::Cow;

use serde_saphyr::granit_parser::{Event as Yaml, Parser, ScalarStyle, Span, StrInput};

use super::node::{Key, Node, Pos, Value};
use super::stream::{BEFORE_SCENARIOS, Event};

/// Far below serde-saphyr's budgets (32 levels, 500,000 nodes): near them, it decides.
const MAX_DEPTH: usize = 24;
const MAX_NODES: usize = 400_000;
/// Keys of one mapping checked for duplicates one by one; a larger mapping goes to serde-saphyr.
const MAX_KEYS: usize = 512;

struct Reader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    nodes: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Option<Self> {
        let mut reader = Self {
            parser: Parser::new_from_str(text),
            nodes: 0,
        };
        match reader.next()? {
            (Yaml::StreamStart, _) => {}
            _ => return None,
        }
        match reader.next()? {
            (Yaml::DocumentStart(_, None), _) => Some(reader),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<(Yaml<'a>, Span)> {
        self.parser.next_event()?.ok()
    }

    /// The end of the one document.
    fn end(&mut self) -> Option<()> {
        matches!(self.next()?.0, Yaml::DocumentEnd).then_some(())?;
        matches!(self.next()?.0, Yaml::StreamEnd).then_some(())
    }

    fn count(&mut self, depth: usize) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES && depth <= MAX_DEPTH).then_some(())
    }

    /// The node that starts with `event`, `depth` levels down.
    fn node(&mut self, event: Yaml<'a>, span: &Span, depth: usize) -> Option<Node> {
        self.count(depth)?;
        let value = match event {
            Yaml::Scalar(text, style, 0, None) => scalar(text, style)?,
            Yaml::SequenceStart(_, 0, None) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Yaml::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, &span, depth + 1)?);
                }
                items.shrink_to_fit();
                Value::Seq(items)
            }
            Yaml::MappingStart(_, 0, None) => {
                let mut entries: Vec<(Key, Node)> = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Yaml::MappingEnd) {
                        break;
                    }
                    let key = self.key(event, &span, &entries, depth + 1)?;
                    let (event, span) = self.next()?;
                    let value = self.node(event, &span, depth + 1)?;
                    entries.push((key, value));
                }
                entries.shrink_to_fit();
                Value::Map(entries)
            }
            _ => return None,
        };
        Some(Node {
            value,
            pos: pos(span),
        })
    }

    /// A mapping key: text, not written before in `entries`.
    fn key(
        &mut self,
        event: Yaml<'a>,
        span: &Span,
        entries: &[(Key, Node)],
        depth: usize,
    ) -> Option<Key> {
        self.count(depth)?;
        let Yaml::Scalar(text, style, 0, None) = event else {
            return None;
        };
        if style == ScalarStyle::Plain && !plain_text(&text) || text.starts_with('<') {
            return None;
        }
        if entries.len() >= MAX_KEYS || entries.iter().any(|(k, _)| k.name == *text) {
            return None;
        }
        Some(Key {
            name: text.into_owned(),
            pos: pos(span),
        })
    }
}

fn pos(span: &Span) -> Pos {
    let bytes = span.start.byte_offset().zip(span.end.byte_offset());
    Pos::from_parts(
        span.start.line(),
        span.start.col() + 1,
        bytes.map(|(start, end)| (start, end.saturating_sub(start))),
    )
}

/// A scalar's value, typed as serde-saphyr types it (`None` when that is not plain to see).
fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::Str(text.into_owned()));
    }
    let t = &*text;
    if matches!(t, "~" | "null" | "Null" | "NULL") {
        return Some(Value::Null);
    }
    let word = |words: &[&str]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    if word(&["true", "yes", "y", "on"]) {
        return Some(Value::Bool(true));
    }
    if word(&["false", "no", "n", "off"]) {
        return Some(Value::Bool(false));
    }
    let first = *t.as_bytes().first()?;
    if first.is_ascii_digit() {
        if t.bytes().all(|b| b.is_ascii_digit()) {
            if first == b'0' && t.len() > 1 {
                return None;
            }
            return t.parse::<u64>().ok().map(|n| Value::Int(n.into()));
        }
        return digits_text(t).then(|| Value::Str(text.into_owned()));
    }
    plain_text(t).then(|| Value::Str(text.into_owned()))
}

/// A plain scalar that is text in every YAML reading: it starts with none of a number's
/// characters (`+`, `-`, `.`, a digit) and is no `null`, boolean or non-number word.
fn plain_text(t: &str) -> bool {
    let Some(first) = t.chars().next() else {
        return false;
    };
    let word = |words: &[&str]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    !(first.is_ascii_digit()
        || matches!(first, '+' | '-' | '.' | '~' | ' ' | '\t')
        || t.ends_with([' ', '\t'])
        || word(&[
            "null", "true", "false", "yes", "no", "y", "n", "on", "off", "inf", "infinity", "nan",
        ]))
}

/// A plain scalar that starts with a digit and is text, not a number in any form (`10s`,
/// `127.0.0.1`): no `_`, `:` or sign after the start, no radix prefix, and not a float.
fn digits_text(t: &str) -> bool {
    let radix = t.len() > 1
        && matches!(
            t.as_bytes().get(1),
            Some(b'x' | b'o' | b'b' | b'X' | b'O' | b'B')
        );
    !(radix || t.contains(['_', ':', '+', '-', ' ', '\t']) || t.parse::<f64>().is_ok())
}

/// [`super::stream::parse_streaming`] from the events: `None` when the file is not of the
/// common kind this reads, or does not stream.
pub(crate) fn parse_streaming(
    text: &str,
    on: &mut dyn FnMut(Event<'_>),
) -> Option<Vec<(Key, Node)>> {
    let mut reader = Reader::new(text)?;
    let (Yaml::MappingStart(_, 0, None), _) = reader.next()? else {
        return None;
    };
    reader.count(0)?;
    let mut entries: Vec<(Key, Node)> = Vec::new();
    let mut streamed = false;
    loop {
        let (event, span) = reader.next()?;
        if matches!(event, Yaml::MappingEnd) {
            break;
        }
        let key = reader.key(event, &span, &entries, 1)?;
        if BEFORE_SCENARIOS.contains(&key.name.as_str()) && streamed {
            return None;
        }
        if key.name == "scenarios" {
            reader.count(1)?;
            let (Yaml::SequenceStart(_, 0, None), _) = reader.next()? else {
                return None;
            };
            let mut first = true;
            loop {
                let (event, span) = reader.next()?;
                if matches!(event, Yaml::SequenceEnd) {
                    break;
                }
                let item = reader.node(event, &span, 2)?;
                if first {
                    on(Event::Scenarios(&entries));
                    first = false;
                }
                on(Event::Scenario(item));
            }
            if first {
                return None;
            }
            streamed = true;
            continue;
        }
        let (event, span) = reader.next()?;
        let value = reader.node(event, &span, 1)?;
        entries.push((key, value));
    }
    reader.end()?;
    streamed.then_some(())?;
    entries.shrink_to_fit();
    Some(entries)
}
