//! A small YAML emitter for the plans `probe` writes: block mappings and sequences, flow lists
//! of scalars, comments, and scalars quoted so that the loader reads back exactly the text
//! given. Conservative by design: a string is written plain only when it cannot be mistaken
//! for anything else; otherwise single-quoted, or double-quoted with escapes when it holds
//! control characters.

use std::fmt::Write as _;

/// One YAML value (or a comment line inside a mapping or sequence).
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    /// A string, quoted as needed.
    Str(String),
    /// A scalar written as is: numbers, booleans, durations like `10s`.
    Raw(String),
    /// A block sequence (`- item` lines).
    List(Vec<Yaml>),
    /// A flow sequence of scalars: `[a, b]`.
    Flow(Vec<Yaml>),
    /// A block mapping, in order.
    Map(Vec<(String, Yaml)>),
    /// A flow mapping of scalars: `{a: 1, b: x}`.
    FlowMap(Vec<(String, Yaml)>),
    /// `# text` on its own line, inside a mapping or a sequence.
    Comment(String),
}

impl Yaml {
    pub fn str(s: impl Into<String>) -> Self {
        Yaml::Str(s.into())
    }

    /// A string the loader reads as a template: a literal `${` is written `$${`.
    pub fn template_literal(s: &str) -> Self {
        Yaml::Str(escape_template(s))
    }

    pub fn int(n: impl Into<i64>) -> Self {
        Yaml::Raw(n.into().to_string())
    }

    fn is_block(&self) -> bool {
        match self {
            Yaml::List(items) => !items.is_empty(),
            Yaml::Map(entries) => !entries.is_empty(),
            _ => false,
        }
    }
}

/// `${` -> `$${`, so that template substitution gives back `s` itself.
pub fn escape_template(s: &str) -> String {
    s.replace("${", "$${")
}

/// Words a YAML 1.1 or 1.2 reader may take for a boolean or null.
const RESERVED: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
];

/// `s` as a YAML scalar that reads back as exactly the string `s`.
pub fn quote(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_owned();
    }
    if s.chars().any(char::is_control) {
        return double_quoted(s);
    }
    format!("'{}'", s.replace('\'', "''"))
}

/// Plain only when nothing in YAML could read it differently: starts with a letter, holds only
/// letters, digits, single spaces and `_ . / @ + -`, and is not a boolean or null word.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '/' | '@' | '+' | '-')
        })
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One line of comment text: control characters become spaces.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn inline(value: &Yaml) -> String {
    match value {
        Yaml::Str(s) => quote(s),
        Yaml::Raw(s) => s.clone(),
        Yaml::Flow(items) | Yaml::List(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter(|i| !matches!(i, Yaml::Comment(_)))
                .map(inline)
                .collect();
            format!("[{}]", parts.join(", "))
        }
        Yaml::FlowMap(entries) | Yaml::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .filter(|(_, v)| !matches!(v, Yaml::Comment(_)))
                .map(|(k, v)| format!("{}: {}", quote(k), inline(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        // A comment has no inline form; callers place it on its own line.
        Yaml::Comment(_) => String::new(),
    }
}

/// The document for `root` (a mapping), each line ending in `\n`.
pub fn render(root: &Yaml) -> String {
    let mut out = String::new();
    write_value_block(&mut out, root, 0);
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A block value starting on a fresh line at `indent`.
fn write_value_block(out: &mut String, value: &Yaml, indent: usize) {
    match value {
        Yaml::Map(entries) => write_map(out, entries, indent, None),
        Yaml::List(items) => write_list(out, items, indent),
        Yaml::Comment(c) => {
            pad(out, indent);
            let _ = writeln!(out, "# {}", comment_text(c));
        }
        other => {
            pad(out, indent);
            let _ = writeln!(out, "{}", inline(other));
        }
    }
}

/// A mapping at `indent`; with `first_prefix`, its first line starts with that text instead of
/// the indentation (the `- ` of a list item).
fn write_map(
    out: &mut String,
    entries: &[(String, Yaml)],
    indent: usize,
    first_prefix: Option<&str>,
) {
    let mut prefix = first_prefix;
    for (key, value) in entries {
        match prefix.take() {
            Some(p) => out.push_str(p),
            None => pad(out, indent),
        }
        if let Yaml::Comment(c) = value {
            let _ = writeln!(out, "# {}", comment_text(c));
            continue;
        }
        out.push_str(&quote(key));
        out.push(':');
        if value.is_block() {
            out.push('\n');
            write_value_block(out, value, indent + 2);
        } else {
            let text = inline(value);
            if text.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, " {text}");
            }
        }
    }
}

fn write_list(out: &mut String, items: &[Yaml], indent: usize) {
    for item in items {
        match item {
            Yaml::Comment(c) => {
                pad(out, indent);
                let _ = writeln!(out, "# {}", comment_text(c));
            }
            Yaml::Map(entries) if !entries.is_empty() => {
                let mut prefix = " ".repeat(indent);
                prefix.push_str("- ");
                // Comments cannot open a list item; put them before the dash.
                let leading = entries
                    .iter()
                    .take_while(|(_, v)| matches!(v, Yaml::Comment(_)))
                    .count();
                for (_, c) in entries.iter().take(leading) {
                    write_value_block(out, c, indent);
                }
                write_map(
                    out,
                    entries.get(leading..).unwrap_or_default(),
                    indent + 2,
                    Some(&prefix),
                );
            }
            Yaml::List(inner) if !inner.is_empty() => {
                pad(out, indent);
                out.push_str("-\n");
                write_list(out, inner, indent + 2);
            }
            other => {
                pad(out, indent);
                let _ = writeln!(out, "- {}", inline(other));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::scenario::{LoadOptions, load_plan_str};

    /// Load a plan whose `vars:` holds `value` (written by the emitter) and return what the
    /// loader made of it.
    fn round_trip_var(value: &str) -> String {
        let doc = Yaml::Map(vec![
            (
                "vars".into(),
                Yaml::Map(vec![("v".into(), Yaml::template_literal(value))]),
            ),
            (
                "scenarios".into(),
                Yaml::List(vec![Yaml::Map(vec![
                    ("name".into(), Yaml::str(value)),
                    ("steps".into(), Yaml::List(vec![Yaml::Raw("quit".into())])),
                ])]),
            ),
        ]);
        let text = render(&doc);
        let plan = load_plan_str(
            std::path::Path::new("t.yaml"),
            &text,
            &LoadOptions::default(),
        )
        .unwrap_or_else(|d| panic!("{text}\n{}", d.render(false)));
        let name = &plan.scenarios.first().unwrap().name;
        assert_eq!(name, value, "scenario name of\n{text}");
        plan.vars.get("v").unwrap().clone()
    }

    #[test]
    fn plain_when_safe() {
        assert_eq!(quote("mail.example.test"), "mail.example.test");
        assert_eq!(quote("AUTH LOGIN"), "AUTH LOGIN");
        assert_eq!(quote("alice@example.test"), "alice@example.test");
    }

    #[test]
    fn quotes_what_yaml_would_misread() {
        assert_eq!(quote("a: b"), "'a: b'");
        assert_eq!(quote("x #y"), "'x #y'");
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(quote("*alias"), "'*alias'");
        assert_eq!(quote("&anchor"), "'&anchor'");
        assert_eq!(quote("!tag"), "'!tag'");
        assert_eq!(quote("yes"), "'yes'");
        assert_eq!(quote("Null"), "'Null'");
        assert_eq!(quote("250"), "'250'");
        assert_eq!(quote("1.5"), "'1.5'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("-x"), "'-x'");
        assert_eq!(quote("a\tb"), "\"a\\tb\"");
        assert_eq!(quote("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(quote(r"^a\.b"), r"'^a\.b'");
    }

    #[test]
    fn template_dollar_brace_is_escaped() {
        assert_eq!(escape_template("cost ${x}"), "cost $${x}");
        assert_eq!(escape_template("$${x}"), "$$${x}");
        assert_eq!(escape_template("$5"), "$5");
    }

    #[test]
    fn every_tricky_string_reads_back_unchanged() {
        for s in [
            "a: b",
            "key:",
            "x #y",
            "#start",
            "it's",
            "\"dq\"",
            "'sq'",
            "*alias",
            "&anchor",
            "!tag",
            "%directive",
            "@at",
            "`tick",
            "|block",
            ">fold",
            "[x]",
            "{y}",
            "a, b",
            "? q",
            "- dash",
            "${user}",
            "$${literal}",
            "price $5 ${",
            "true",
            "NO",
            "~",
            "0x1F",
            "1e3",
            "  lead",
            "trail ",
            "tab\there",
            "bell\u{7}",
            "back\\slash",
            "ünïcödé ✓",
            "localhost Microsoft ESMTP MAIL Service ready at",
        ] {
            assert_eq!(round_trip_var(s), s, "{s:?}");
        }
    }

    #[test]
    fn layout() {
        let doc = Yaml::Map(vec![
            ("name".into(), Yaml::str("probe: x")),
            (
                "target".into(),
                Yaml::Map(vec![
                    ("host".into(), Yaml::str("127.0.0.1")),
                    ("port".into(), Yaml::int(25)),
                ]),
            ),
            ("secrets".into(), Yaml::Flow(vec![Yaml::str("password")])),
            (
                "scenarios".into(),
                Yaml::List(vec![
                    Yaml::Comment("first".into()),
                    Yaml::Map(vec![
                        ("name".into(), Yaml::str("a")),
                        (
                            "steps".into(),
                            Yaml::List(vec![
                                Yaml::Map(vec![("expect".into(), Yaml::int(220))]),
                                Yaml::Map(vec![
                                    ("_".into(), Yaml::Comment("TLS: TLSv1.3".into())),
                                    (
                                        "starttls".into(),
                                        Yaml::FlowMap(vec![("expect".into(), Yaml::int(220))]),
                                    ),
                                ]),
                                Yaml::Raw("quit".into()),
                            ]),
                        ),
                    ]),
                ]),
            ),
        ]);
        let want = "\
name: 'probe: x'
target:
  host: '127.0.0.1'
  port: 25
secrets: [password]
scenarios:
  # first
  - name: a
    steps:
      - expect: 220
      # TLS: TLSv1.3
      - starttls: {expect: 220}
      - quit
";
        assert_eq!(render(&doc), want);
    }
}
