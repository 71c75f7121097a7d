//! The crate as a graph: each file a node, an edge where a file names something another
//! file defines (paths followed through `use` and `pub use`); and the circles in a graph.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;

use super::paths::{
    Module, Written, code_of, crate_paths, declared_modules, defines, module_path, rust_files, src,
    test_modules, uses,
};

/// The library: each module that has a file (test modules left out: tests may reach
/// anywhere; main.rs is the binary, a crate of its own) and its code without comments.
pub struct Crate {
    pub files: BTreeMap<Module, PathBuf>,
    pub code: BTreeMap<Module, String>,
    /// The modules each file declares, and the names its `use` lines bring in.
    children: BTreeMap<Module, BTreeSet<String>>,
    imports: BTreeMap<Module, Vec<(String, Written)>>,
}

impl Crate {
    /// The library in src/.
    pub fn read() -> Self {
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
        Self::of(files, &texts)
    }

    /// A crate of the given files (by module) and their texts.
    pub fn of(mut files: BTreeMap<Module, PathBuf>, texts: &BTreeMap<Module, String>) -> Self {
        let mut tests = Vec::new();
        for (module, text) in texts {
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

    pub fn code(&self, m: &Module) -> &str {
        self.code.get(m).map_or("", String::as_str)
    }

    pub fn children(&self, m: &Module) -> &BTreeSet<String> {
        static NONE: BTreeSet<String> = BTreeSet::new();
        self.children.get(m).unwrap_or(&NONE)
    }

    /// Where a path written in `from` starts, and the segments after that start; `None` for a
    /// path of another crate.
    pub fn start<'p>(&self, from: &Module, path: &'p [String]) -> Option<(Module, &'p [String])> {
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
    pub fn resolve(&self, from: &Module, path: &[String], depth: usize) -> Option<Module> {
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
    pub fn written_top(&self, from: &Module, path: &[String]) -> Option<String> {
        let (at, rest) = self.start(from, path)?;
        at.first().or_else(|| rest.first()).cloned()
    }

    /// Which files depend on which: an edge for every path that names something another file
    /// defines, with the path as written.
    pub fn file_graph(&self) -> BTreeMap<Module, BTreeMap<Module, String>> {
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

/// The strongly connected parts of a graph with more than one node: each is one or more
/// circles.
pub fn tangles<N: Ord + Clone>(graph: &BTreeMap<N, BTreeMap<N, String>>) -> Vec<BTreeSet<N>> {
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
pub fn circle<N: Ord + Clone>(
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
