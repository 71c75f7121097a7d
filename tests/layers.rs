//! The house plan, checked: every path in src/ that names something of the crate points down
//! the layers (or across one), no two files depend on each other in a circle, and no source
//! file is long without saying why at its top. README.md's Development section draws the same
//! layers. How paths are read: layers/paths.rs; the graph and its circles: layers/graph.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "layers/graph.rs"]
mod graph;
#[path = "layers/paths.rs"]
mod paths;

use std::collections::{BTreeMap, BTreeSet};

use graph::{Crate, circle, tangles};
use paths::{code_of, crate_paths, defines, rust_files, show, src, uses};

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
const LONG: usize = 500;

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// Every top-level module's imports of other top-level modules, as written, with a file that
/// makes each.
fn module_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let krate = Crate::read();
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (m, code) in &krate.code {
        let Some(from) = m.first() else { continue }; // lib.rs declares the modules
        let edges = graph.entry(from.clone()).or_default();
        for w in crate_paths(code, krate.children(m)) {
            if let Some(to) = krate.written_top(m, &w.segments)
                && to != *from
                && krate.files.contains_key(&vec![to.clone()])
            {
                edges
                    .entry(to)
                    .or_insert_with(|| krate.files[m].display().to_string());
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
                wrong.push(format!("{}: `crate::{to}` has no layer", file));
                continue;
            };
            if high > low {
                wrong.push(format!(
                    "{}: `{from}` ({}) imports `{to}` ({}), a higher layer",
                    file, LAYERS[low].0, LAYERS[high].0
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
                    file
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_circles_between_modules() {
    let graph = module_graph();
    let found: Vec<String> = tangles(&graph)
        .iter()
        .map(|part| {
            let nodes = circle(&graph, part, part.iter().next().unwrap());
            let steps: Vec<String> = nodes
                .windows(2)
                .map(|w| format!("{} -> {} ({})", w[0], w[1], graph[&w[0]][&w[1]]))
                .collect();
            steps.join("\n    ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "top-level modules that import each other in a circle:\n    {}",
        found.join("\n    ")
    );
}

/// No circles between files, at every depth (runner::scenario -> runner::run ->
/// runner::scenario fails as much as runner -> report -> runner).
///
/// What counts: the nodes are the library's files (test modules left out). A file depends
/// on another when its code names something the other defines — every path that starts with
/// `crate::`, `super::`, `self::` or a module the file declares, in `use` lines and inline,
/// followed through `use` and `pub use` to the file that defines the item. So a parent that
/// re-exports its children's types (`pub use result::Failure;`) is a table of contents, not a
/// dependency: a child that names `super::Failure` depends on the sibling that defines it,
/// and the circle parent -> child -> parent appears only when the child really uses
/// something defined in the parent — then that piece moves down into a file of its own. A
/// `mod child;` line is no dependency either. There are no exemptions.
#[test]
fn no_circles_between_files() {
    let graph = Crate::read().file_graph();
    let mut found = Vec::new();
    for part in tangles(&graph) {
        let first = part.iter().next().unwrap();
        let nodes = circle(&graph, &part, first);
        let steps: Vec<String> = nodes
            .windows(2)
            .map(|w| {
                format!(
                    "{} -> {} (`{}`)",
                    show(&w[0]),
                    show(&w[1]),
                    graph[&w[0]][&w[1]]
                )
            })
            .collect();
        let all: Vec<String> = part.iter().map(show).collect();
        found.push(format!(
            "[{}]\n    {}",
            all.join(", "),
            steps.join("\n    ")
        ));
    }
    assert!(
        found.is_empty(),
        "files that depend on each other in a circle (move the shared piece down into a file of its own, or turn one dependency around):\n{}",
        found.join("\n")
    );
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
fn the_checker_sees_grouped_inline_and_renamed_paths() {
    let code = code_of(
        "use crate::{a::b, c::{d, e as f}, g};\nfn x() { crate::h::i(); super::j::K::new(); kid::L } // crate::no\n\
         #[cfg(test)]\nmod tests {\n use crate::t;\n}\n",
    );
    let children = BTreeSet::from(["kid".to_owned()]);
    let paths: Vec<String> = crate_paths(&code, &children)
        .iter()
        .map(|w| {
            w.segments.join("::")
                + w.alias
                    .as_deref()
                    .map(|a| format!(" as {a}"))
                    .as_deref()
                    .unwrap_or("")
        })
        .collect();
    assert_eq!(
        paths,
        [
            "crate::a::b",
            "crate::c::d",
            "crate::c::e as f",
            "crate::g",
            "crate::h::i",
            "super::j::K::new",
            "kid::L"
        ]
    );
    let names: Vec<String> = uses(&code).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["b", "d", "f", "g"]);
    assert!(defines("pub(crate) struct Kid;", "Kid") && !defines("struct Kids;", "Kid"));
}

#[test]
fn the_checker_finds_a_circle_and_names_its_paths() {
    let edge = |to: &str, via: &str| (to.to_owned(), via.to_owned());
    let graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::from([
        ("a".to_owned(), BTreeMap::from([edge("b", "super::b::X")])),
        ("b".to_owned(), BTreeMap::from([edge("c", "super::c::Y")])),
        (
            "c".to_owned(),
            BTreeMap::from([edge("a", "super::a::Z"), edge("d", "super::d::W")]),
        ),
        ("d".to_owned(), BTreeMap::new()),
    ]);
    let parts = tangles(&graph);
    assert_eq!(parts.len(), 1);
    assert_eq!(
        circle(&graph, &parts[0], &"a".to_owned()),
        ["a", "b", "c", "a"]
    );
}

/// The file graph on a small crate: a child naming its parent's re-export depends on the
/// sibling that defines it (no circle), a child using what its parent defines while the
/// parent uses the child is a circle, and a `#[cfg(test)]` module is no node.
#[test]
fn the_checker_follows_re_exports_to_the_defining_file() {
    let files = [
        (
            "a",
            "mod b;\nmod c;\n#[cfg(test)]\nmod t;\npub use b::Thing;\npub fn helper() { c::go() }\n",
        ),
        ("a::b", "pub struct Thing;\n"),
        (
            "a::c",
            "use super::{Thing, helper};\npub fn go() { helper() }\n",
        ),
        ("a::t", "use super::c::go;\n"),
        (
            "d",
            "use crate::a::Thing as T;\nfn f() { crate::a::helper() }\n",
        ),
    ];
    let module = |name: &str| -> Vec<String> { name.split("::").map(str::to_owned).collect() };
    let texts: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|(m, t)| (module(m), (*t).to_owned()))
        .collect();
    let paths = texts
        .keys()
        .map(|m| (m.clone(), std::path::PathBuf::from(m.join("/"))))
        .collect();
    let graph = Crate::of(paths, &texts).file_graph();
    let edges =
        |from: &str| -> Vec<String> { graph[&module(from)].keys().map(show).collect::<Vec<_>>() };
    assert_eq!(edges("a"), ["a::b", "a::c"]);
    assert_eq!(edges("a::c"), ["a", "a::b"]);
    assert_eq!(edges("d"), ["a", "a::b"]);
    assert!(!graph.contains_key(&module("a::t")));
    let parts = tangles(&graph);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].iter().map(show).collect::<Vec<_>>(), ["a", "a::c"]);
}
