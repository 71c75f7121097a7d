//! Reading Rust source well enough to see its module paths: comments and inline test
//! modules dropped, `mod` declarations, `use` lines (groups opened, renames kept) and every
//! path that may name something of the crate. Not a parser: it reads this crate's style.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's code without comments and without its inline `#[cfg(test)] mod .. { }` (tests
/// may reach anywhere). Files that are test modules as a whole are skipped by the caller.
pub fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            let mut next = lines.peek().map(|l| l.trim_start()).unwrap_or_default();
            while next.starts_with("#[") {
                lines.next();
                next = lines.peek().map(|l| l.trim_start()).unwrap_or_default();
            }
            if next.starts_with("mod ") && next.trim_end().ends_with('{') {
                break;
            }
            continue;
        }
        let code = match t.find("//") {
            Some(i) => &t[..i],
            None => t,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// A module's path in the crate: `["runner", "io"]` for src/runner/io.rs; `[]` is the root.
pub type Module = Vec<String>;

pub fn show(m: &Module) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

/// The module a file holds: src/runner/io.rs -> `runner::io`, src/runner/mod.rs -> `runner`.
pub fn module_path(path: &Path) -> Module {
    let rel = path.strip_prefix(src()).unwrap().with_extension("");
    let mut m: Module = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(m.last().map(String::as_str), Some("mod" | "lib")) {
        m.pop();
    }
    m
}

pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len());
    &s[..end]
}

/// The names of the modules a file declares (`mod x;`, `pub(crate) mod x;`, `mod x {`).
pub fn declared_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let mut t = line.trim_start();
        if let Some(rest) = t.strip_prefix("pub") {
            t = match rest.strip_prefix('(') {
                Some(r) => r.split_once(')').map_or("", |(_, r)| r),
                None => rest,
            }
            .trim_start();
        }
        if let Some(rest) = t.strip_prefix("mod ") {
            let name = ident_at(rest.trim_start());
            if !name.is_empty() {
                out.insert(name.to_owned());
            }
        }
    }
    out
}

/// The modules a file declares under `#[cfg(test)]`: test modules as a whole.
pub fn test_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut after_cfg_test = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            after_cfg_test = true;
        } else if after_cfg_test && t.starts_with("#[") {
        } else {
            if after_cfg_test && t.trim_end().ends_with(';') {
                out.extend(declared_modules(t));
            }
            after_cfg_test = false;
        }
    }
    out
}

/// A path as written, its segments from the start (`["super", "run", "Run"]`), and the name
/// it is brought in as when a `use` renames it (`as Alias`).
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub segments: Vec<String>,
    pub alias: Option<String>,
}

/// The paths that start at byte `pos` of `s`, `use` groups opened (`a::{b, c::{d, e}}` is
/// three paths), and where they end.
pub fn expand(s: &str, mut pos: usize) -> (Vec<Written>, usize) {
    let rest = |p: usize| s.get(p..).unwrap_or("");
    let skip =
        |p: usize, chars: &[char]| p + (rest(p).len() - rest(p).trim_start_matches(chars).len());
    let mut segments: Vec<String> = Vec::new();
    loop {
        pos = skip(pos, &[' ', '\n', '\t', '\r']);
        if rest(pos).starts_with('{') {
            pos += 1;
            let mut out = Vec::new();
            loop {
                pos = skip(pos, &[' ', '\n', '\t', '\r', ',']);
                if rest(pos).is_empty() || rest(pos).starts_with('}') {
                    return (out, pos + 1);
                }
                let (inner, end) = expand(s, pos);
                for w in inner {
                    let mut full = segments.clone();
                    full.extend(w.segments);
                    out.push(Written {
                        segments: full,
                        alias: w.alias,
                    });
                }
                pos = if end > pos { end } else { pos + 1 };
            }
        }
        if rest(pos).starts_with('*') {
            segments.push("*".to_owned());
            return (
                vec![Written {
                    segments,
                    alias: None,
                }],
                pos + 1,
            );
        }
        let id = ident_at(rest(pos));
        if id.is_empty() {
            return (
                vec![Written {
                    segments,
                    alias: None,
                }],
                pos,
            );
        }
        segments.push(id.to_owned());
        pos += id.len();
        if rest(pos).starts_with("::") {
            pos += 2;
            continue;
        }
        let after = skip(pos, &[' ', '\n', '\t', '\r']);
        if let Some(a) = rest(after).strip_prefix("as ") {
            let alias = ident_at(a.trim_start());
            let end = s.len() - a.trim_start().len() + alias.len();
            return (
                vec![Written {
                    segments,
                    alias: Some(alias.to_owned()),
                }],
                end,
            );
        }
        return (
            vec![Written {
                segments,
                alias: None,
            }],
            pos,
        );
    }
}

/// Every path in `code` that may name something of this crate: those that start with
/// `crate::`, `super::` or `self::` (or `$crate::`), and those that start with a module the
/// file declares (`children`).
pub fn crate_paths(code: &str, children: &BTreeSet<String>) -> Vec<Written> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < code.len() {
        let c = code[pos..].chars().next().unwrap();
        let before = code[..pos].chars().last();
        let starts_path = is_ident_char(c)
            && !before.is_some_and(|b| is_ident_char(b) || b == ':' || b == '\'' || b == '"');
        if !starts_path {
            pos += c.len_utf8();
            continue;
        }
        let id = ident_at(&code[pos..]);
        let ours = matches!(id, "crate" | "super" | "self") || children.contains(id);
        if ours && code[pos + id.len()..].starts_with("::") {
            let (paths, end) = expand(code, pos);
            out.extend(paths);
            pos = end.max(pos + id.len());
        } else {
            pos += id.len();
        }
    }
    out
}

/// The paths of a file's `use` declarations (`pub use` and plain `use`; a child may name what
/// its parent imports), each with the name it brings in.
pub fn uses(code: &str) -> Vec<(String, Written)> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("use ") {
        let line_start = code[..i].rfind('\n').map_or(0, |n| n + 1);
        let lead = code[line_start..i].trim();
        let is_decl =
            lead.is_empty() || lead == "pub" || (lead.starts_with("pub(") && lead.ends_with(')'));
        if !is_decl {
            continue;
        }
        for w in expand(code, i + "use ".len()).0 {
            let name = match (&w.alias, w.segments.as_slice()) {
                (Some(a), _) => a.clone(),
                (None, [.., parent, last]) if last == "self" => parent.clone(),
                (None, [.., last]) => last.clone(),
                (None, []) => continue,
            };
            out.push((name, w));
        }
    }
    out
}

/// Whether `code` defines an item called `name` (not only imports it).
pub fn defines(code: &str, name: &str) -> bool {
    const KINDS: &[&str] = &[
        "struct ",
        "enum ",
        "fn ",
        "type ",
        "const ",
        "static ",
        "trait ",
        "union ",
        "mod ",
        "macro_rules! ",
    ];
    KINDS.iter().any(|kind| {
        let pattern = format!("{kind}{name}");
        code.match_indices(&pattern).any(|(i, _)| {
            let before = code[..i].chars().last();
            let after = code[i + pattern.len()..].chars().next();
            !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char)
        })
    })
}
