//! The house plan, checked: every path in src/ that names something of the crate points down
//! the layers (or across one), no two files depend on each other in a circle, and no source
//! file is long without saying why at its top. README.md's Development section draws the same
//! layers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
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
const LONG: usize = 500;

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

/// A module's path in the crate: `["runner", "io"]` for src/runner/io.rs; `[]` is the root.
type Module = Vec<String>;

fn show(m: &Module) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

/// The module a file holds: src/runner/io.rs -> `runner::io`, src/runner/mod.rs -> `runner`.
fn module_path(path: &Path) -> Module {
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

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len());
    &s[..end]
}

/// The names of the modules a file declares (`mod x;`, `pub(crate) mod x;`, `mod x {`).
fn declared_modules(code: &str) -> BTreeSet<String> {
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
fn test_modules(text: &str) -> BTreeSet<String> {
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
struct Written {
    segments: Vec<String>,
    alias: Option<String>,
}

/// The paths that start at byte `pos` of `s`, `use` groups opened (`a::{b, c::{d, e}}` is
/// three paths), and where they end.
fn expand(s: &str, mut pos: usize) -> (Vec<Written>, usize) {
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
fn crate_paths(code: &str, children: &BTreeSet<String>) -> Vec<Written> {
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
fn uses(code: &str) -> Vec<(String, Written)> {
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
fn defines(code: &str, name: &str) -> bool {
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

/// The library: each module that has a file (test modules left out: tests may reach
/// anywhere; main.rs is the binary, a crate of its own) and its code without comments.
struct Crate {
    files: BTreeMap<Module, PathBuf>,
    code: BTreeMap<Module, String>,
    /// The modules each file declares, and the names its `use` lines bring in.
    children: BTreeMap<Module, BTreeSet<String>>,
    imports: BTreeMap<Module, Vec<(String, Written)>>,
}

impl Crate {
    fn read() -> Self {
        let mut paths = Vec::new();
        rust_files(&src(), &mut paths);
        let mut texts = BTreeMap::new();
        let mut files = BTreeMap::new();
        for path in paths {
            if path == src().join("main.rs") {
                continue;
            }
            let module = module_path(&path);
            texts.insert(module.clone(), std::fs::read_to_string(&path).unwrap());
            files.insert(module, path);
        }
        let mut tests = Vec::new();
        for (module, text) in &texts {
            for name in test_modules(text) {
                let mut m = module.clone();
                m.push(name);
                tests.push(m);
            }
        }
        files.retain(|m, _| !tests.iter().any(|t| m.starts_with(t)));
        let code: BTreeMap<Module, String> = files
            .keys()
            .map(|m| (m.clone(), code_of(&texts[m])))
            .collect();
        let children = code
            .iter()
            .map(|(m, c)| (m.clone(), declared_modules(c)))
            .collect();
        let imports = code.iter().map(|(m, c)| (m.clone(), uses(c))).collect();
        Self {
            files,
            code,
            children,
            imports,
        }
    }

    fn code(&self, m: &Module) -> &str {
        self.code.get(m).map_or("", String::as_str)
    }

    fn children(&self, m: &Module) -> &BTreeSet<String> {
        static NONE: BTreeSet<String> = BTreeSet::new();
        self.children.get(m).unwrap_or(&NONE)
    }

    /// Where a path written in `from` starts, and the segments after that start; `None` for a
    /// path of another crate.
    fn start<'p>(&self, from: &Module, path: &'p [String]) -> Option<(Module, &'p [String])> {
        let (first, rest) = path.split_first()?;
        match first.as_str() {
            "crate" | "$crate" => Some((Vec::new(), rest)),
            "self" => Some((from.clone(), rest)),
            "super" => {
                let mut at = from.clone();
                let mut rest = path;
                while let Some(("super", tail)) = rest.split_first().map(|(s, t)| (s.as_str(), t)) {
                    at.pop();
                    rest = tail;
                }
                Some((at, rest))
            }
            _ if self.children(from).contains(first) => Some((from.clone(), path)),
            _ => None,
        }
    }

    /// The module whose file defines what `path` (written in `from`) names: modules are
    /// walked down, and an item that a module only imports (`use`, `pub use`) is followed to
    /// where it is defined. `None` for another crate's item.
    fn resolve(&self, from: &Module, path: &[String], depth: usize) -> Option<Module> {
        let (mut at, mut rest) = self.start(from, path)?;
        while let Some((seg, tail)) = rest.split_first() {
            let mut child = at.clone();
            child.push(seg.clone());
            if self.files.contains_key(&child) {
                at = child;
                rest = tail;
                continue;
            }
            if seg == "self" || seg == "*" || depth > 8 || defines(self.code(&at), seg) {
                break;
            }
            let imports = self.imports.get(&at).map_or(&[][..], Vec::as_slice);
            if let Some((_, w)) = imports.iter().find(|(name, _)| name == seg) {
                return self.resolve(&at, &w.segments, depth + 1);
            }
            for (_, glob) in imports.iter().filter(|(name, _)| name == "*") {
                let mut via = glob.segments.clone();
                via.pop();
                if let Some(m) = self.resolve(&at, &via, depth + 1)
                    && defines(self.code(&m), seg)
                {
                    return Some(m);
                }
            }
            break;
        }
        Some(at)
    }

    /// The written path's top-level module, before any `use` is followed
    /// (`crate::runner::Failure` is an import of `runner` even if runner only re-exports it).
    fn written_top(&self, from: &Module, path: &[String]) -> Option<String> {
        let (at, rest) = self.start(from, path)?;
        at.first().or_else(|| rest.first()).cloned()
    }

    /// Which files depend on which: an edge for every path that names something another file
    /// defines, with the path as written.
    fn file_graph(&self) -> BTreeMap<Module, BTreeMap<Module, String>> {
        let mut graph: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
        for (m, code) in &self.code {
            let edges = graph.entry(m.clone()).or_default();
            for w in crate_paths(code, self.children(m)) {
                if let Some(to) = self.resolve(m, &w.segments, 0)
                    && to != *m
                    && !to.is_empty()
                {
                    edges.entry(to).or_insert_with(|| w.segments.join("::"));
                }
            }
        }
        graph
    }
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// Every top-level module's imports of other top-level modules, as written, with a file that
/// makes each.
fn module_graph() -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let krate = Crate::read();
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for (m, code) in &krate.code {
        let Some(from) = m.first() else { continue }; // lib.rs declares the modules
        let edges = graph.entry(from.clone()).or_default();
        for w in crate_paths(code, krate.children(m)) {
            if let Some(to) = krate.written_top(m, &w.segments)
                && to != *from
                && krate.files.contains_key(&vec![to.clone()])
            {
                edges.entry(to).or_insert_with(|| krate.files[m].clone());
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

/// The strongly connected parts of a graph with more than one node: each is one or more
/// circles.
fn tangles<N: Ord + Clone>(graph: &BTreeMap<N, BTreeMap<N, String>>) -> Vec<BTreeSet<N>> {
    let reach = |from: &N| -> BTreeSet<N> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for next in graph.get(&n).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&N, BTreeSet<N>> = graph.keys().map(|n| (n, reach(n))).collect();
    let mut out: Vec<BTreeSet<N>> = Vec::new();
    for (n, r) in &reached {
        if !r.contains(*n) || out.iter().any(|t| t.contains(*n)) {
            continue;
        }
        let part: BTreeSet<N> = r
            .iter()
            .filter(|m| reached.get(m).is_some_and(|back| back.contains(*n)))
            .cloned()
            .collect();
        out.push(part);
    }
    out
}

/// The shortest circle through `start` inside `part`, as its nodes (start repeated at the end).
fn circle<N: Ord + Clone>(
    graph: &BTreeMap<N, BTreeMap<N, String>>,
    part: &BTreeSet<N>,
    start: &N,
) -> Vec<N> {
    let mut came_from: BTreeMap<N, N> = BTreeMap::new();
    let mut todo = VecDeque::from([start.clone()]);
    while let Some(n) = todo.pop_front() {
        for next in graph.get(&n).into_iter().flat_map(|e| e.keys()) {
            if !part.contains(next) || came_from.contains_key(next) {
                continue;
            }
            came_from.insert(next.clone(), n.clone());
            if next == start {
                let mut path = vec![start.clone()];
                let mut at = n.clone();
                while at != *start {
                    path.push(at.clone());
                    at = came_from[&at].clone();
                }
                path.push(start.clone());
                path.reverse();
                return path;
            }
            todo.push_back(next.clone());
        }
    }
    vec![start.clone()]
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
