//! The house plan, checked: every `crate::` path in src/ points down the layers (or across
//! one, without a circle), and no source file is long without saying why at its top.
//! README.md's Development section draws the same layers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first, and the top-level modules of each. An import may point to the
/// same layer or a lower one; within a layer the modules must not import each other in a
/// circle.
///
/// The results of a run (`results`: suites, scenarios, steps, typed failures, transcript
/// lines, what `mailbox` steps found) are plain data with a layer of their own, *below* the
/// session and the runner that write them: a producer imports what it produces, so the
/// arrow points down. Results read only the model (spans, expected failures) and transport
/// (TLS session facts, error kinds). The reports read results, and see [`READS_ONLY`].
const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["duration", "files", "snippet"]),
    ("protocol", &["protocol"]),
    ("transport", &["transport"]),
    ("model", &["model", "redact", "template"]),
    ("loader", &["scenario", "secrets_file", "secret_input"]),
    ("results", &["results"]),
    ("session", &["session"]),
    ("runner", &["runner", "mailbox"]),
    ("reports", &["report"]),
    ("tools", &["server", "probe", "doc"]),
    ("cli", &["cli"]),
];

/// Modules that may import nothing above a given layer, although they sit higher: the
/// reports read the results (and what the results are made of, and the loader's
/// diagnostics), never the session or the runner: a report is written from what a run
/// left, not from how it ran.
const READS_ONLY: &[(&str, &str)] = &[("report", "results")];

/// Past this many lines a file says at its top why it is not split.
const LONG: usize = 550;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

/// The top-level module a file belongs to (`src/runner/io.rs` -> `runner`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// A file's code without comments and without its inline `#[cfg(test)] mod .. { }` (tests
/// may reach anywhere). Files that are test modules as a whole are skipped by the caller.
fn code_of(text: &str) -> String {
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

/// The first path segment after every `crate::` in `code`, groups (`crate::{a::b, c}`) opened.
fn crate_refs(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // e.g. `mycrate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' | ',' if depth == 1 => {
                        let name = ident(&group[item_start..j]);
                        if !name.is_empty() {
                            out.insert(name);
                        }
                        item_start = j + 1;
                        if c == '}' {
                            break;
                        }
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// Every top-level module's imports of other top-level modules, with a file that makes each.
fn module_graph() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with("tests.rs") || name == "lib.rs" || name == "main.rs" {
            continue;
        }
        let from = module_of(&path);
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        let edges = graph.entry(from.clone()).or_default();
        for to in crate_refs(&code) {
            if to != from {
                edges.entry(to).or_insert_with(|| path.clone());
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    let graph = module_graph();
    let missing: Vec<&String> = graph.keys().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        missing.is_empty(),
        "modules with no layer in tests/layers.rs: {missing:?}"
    );
}

#[test]
fn imports_point_down_the_layers() {
    let mut wrong = Vec::new();
    for (from, edges) in module_graph() {
        let Some(low) = layer_of(&from) else { continue };
        for (to, file) in edges {
            let Some(high) = layer_of(&to) else {
                wrong.push(format!("{}: `crate::{to}` has no layer", file.display()));
                continue;
            };
            if high > low {
                wrong.push(format!(
                    "{}: `{from}` ({}) imports `{to}` ({}), a higher layer",
                    file.display(),
                    LAYERS[low].0,
                    LAYERS[high].0
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn reports_read_only_results() {
    let graph = module_graph();
    let mut wrong = Vec::new();
    for (module, ceiling) in READS_ONLY {
        let top = LAYERS.iter().position(|(name, _)| name == ceiling).unwrap();
        for (to, file) in graph.get(*module).into_iter().flatten() {
            if layer_of(to).is_none_or(|l| l > top) {
                wrong.push(format!(
                    "{}: `{module}` imports `{to}`; it may read only `{ceiling}` and the layers below",
                    file.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_circles_between_modules() {
    let graph = module_graph();
    // depth-first search for a back edge
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeMap<String, PathBuf>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut circle = path[i..].to_vec();
            circle.push(m.to_owned());
            return Some(circle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for next in graph.get(m).into_iter().flat_map(|e| e.keys()) {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(circle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "modules import each other in a circle: {}",
                circle.join(" -> ")
            );
        }
    }
}

#[test]
fn long_files_say_why_at_their_top() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut silent = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = text.lines().count();
        if lines <= LONG {
            continue;
        }
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        if !header.contains("Why one file:") {
            silent.push(format!("{} ({lines} lines)", path.display()));
        }
    }
    assert!(
        silent.is_empty(),
        "split these files, or say at their top (`//! Why one file: ...`) why not:\n{}",
        silent.join("\n")
    );
}

#[test]
fn the_checker_sees_grouped_and_inline_paths() {
    let code = code_of(
        "use crate::{a::b, c::{d, e}, f};\nfn x() { crate::g::h(); } // crate::no\n\
         #[cfg(test)]\nmod tests {\n use crate::t;\n}\n",
    );
    let refs: Vec<String> = crate_refs(&code).into_iter().collect();
    assert_eq!(refs, ["a", "c", "f", "g"]);
}
