//! Reuse (extensions): `include:` files of shared definitions, named step `groups:`, and
//! `- use: GROUP` steps expanded where they are used.
//!
//! An included file may hold `include`, `vars`, `secrets`, `groups` and `target`; its problems
//! point into it, with its own path, and so do the failures of its groups' steps.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use super::context::is_yaml_path;
use super::context::{Cx, VarScope, get};
use super::diagnostic::did_you_mean;
use super::files::relative_to;
use super::node::{Key, Node, Value, parse_yaml};
use super::partial_target::PartialTarget;
use super::resolver::Resolver;
use super::secret_vars::mask_vars_when_unsure;
use super::step::StepLoader;
use super::tls_expect::TlsState;
use super::vars::{Vars, check_name, load_vars};
use crate::files::MAX_PLAN_BYTES;
use crate::model::{Origin, Step, Target, TlsMode};

/// The keys of an included file.
pub(crate) const INCLUDE_FILE_KEYS: &[&str] = &["include", "vars", "secrets", "groups", "target"];
/// Includes nested deeper than this are refused (a cycle is reported before that).
const MAX_INCLUDE_DEPTH: usize = 16;
/// A scenario may expand to at most this many steps (groups using groups twice, repeatedly,
/// grow exponentially).
pub(crate) const MAX_SCENARIO_STEPS: usize = 10_000;

/// A named group of steps: where it was defined and its (unloaded) list of steps.
#[derive(Debug, Clone)]
pub(crate) struct GroupDef {
    /// Index into [`Library::files`]; None = the plan file.
    pub file: Option<usize>,
    pub key: Key,
    pub steps: Node,
}

/// What the included files (and the plan's own `groups:`) bring.
#[derive(Debug, Default)]
pub(crate) struct Library {
    /// Every included file, in the order first included.
    pub files: Vec<Arc<Origin>>,
    /// Canonical paths of the included files.
    pub included: Vec<PathBuf>,
    /// Their variables (a later file's win), under the command line's.
    pub vars: Vars,
    /// Their `target:` defaults (a later file's keys win).
    pub target: PartialTarget,
    pub groups: BTreeMap<String, GroupDef>,
    /// `secrets:` items of included files, checked once every variable is known.
    pub secrets: Vec<(usize, Node)>,
}

impl Library {
    /// Where a group was defined, as `path:line:col`.
    fn place(&self, def: &GroupDef, main: &Cx<'_>) -> String {
        let path = def
            .file
            .and_then(|i| self.files.get(i))
            .map_or_else(|| main.path.to_path_buf(), |o| o.path.clone());
        format!(
            "{}:{}:{}",
            path.display(),
            def.key.pos.line,
            def.key.pos.col
        )
    }
}

/// Run `f` with the context of `file` (None = `main`'s own file); its problems go to `main`.
pub(crate) fn with_cx<R>(
    main: &mut Cx<'_>,
    files: &[Arc<Origin>],
    file: Option<usize>,
    f: impl FnOnce(&mut Cx<'_>) -> R,
) -> R {
    match file.and_then(|i| files.get(i)) {
        Some(origin) => {
            let mut sub = Cx::new(&origin.path, &origin.source, main.env, main.files);
            let r = f(&mut sub);
            main.absorb(&mut sub);
            r
        }
        None => f(main),
    }
}

/// `include: [files]` (or one file) of the file `cx` is loading. `stack` holds the canonical
/// paths of the files being included (the plan first), to find cycles.
pub(crate) fn load_includes(
    cx: &mut Cx<'_>,
    node: Option<&Node>,
    cli: &BTreeMap<String, String>,
    lib: &mut Library,
    stack: &mut Vec<PathBuf>,
) {
    let Some(node) = node else {
        return;
    };
    let items: &[Node] = match &node.value {
        Value::Seq(items) => items,
        Value::Str(_) => std::slice::from_ref(node),
        _ => {
            cx.error(
                node,
                format!(
                    "`include` must be a file or a list of files, found {}",
                    node.kind()
                ),
                Some("e.g. `include: [common.yaml]`".into()),
            );
            return;
        }
    };
    for item in items {
        let Some(text) = cx.text(item, "an included file") else {
            continue;
        };
        let path = relative_to(cx.path, &text);
        if !is_yaml_path(&path) {
            cx.error(
                item,
                format!(
                    "included file `{}` is not a .yaml or .yml file",
                    path.display()
                ),
                Some("`include` takes YAML files of shared definitions".into()),
            );
            continue;
        }
        let Some(file) = cx.read_path(item, path.clone(), "included file", MAX_PLAN_BYTES) else {
            continue;
        };
        let canonical = file.canonical;
        if let Some(at) = stack.iter().position(|p| *p == canonical) {
            let chain: Vec<String> = stack
                .iter()
                .skip(at)
                .chain(std::iter::once(&canonical))
                .map(|p| {
                    p.file_name()
                        .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
                })
                .collect();
            cx.error(
                item,
                format!("include cycle: {}", chain.join(" → ")),
                Some("move what both files need into a third file that both include".into()),
            );
            continue;
        }
        if lib.included.contains(&canonical) {
            continue; // already included through another file: its definitions are in
        }
        if stack.len() > MAX_INCLUDE_DEPTH {
            cx.error(
                item,
                format!("includes are nested more than {MAX_INCLUDE_DEPTH} deep"),
                None,
            );
            continue;
        }
        let Ok(source) = String::from_utf8(file.bytes) else {
            cx.error(
                item,
                format!("included file `{}` is not valid UTF-8", path.display()),
                None,
            );
            continue;
        };
        let origin = Arc::new(Origin {
            path,
            source: Arc::from(source),
        });
        let index = lib.files.len();
        lib.files.push(Arc::clone(&origin));
        lib.included.push(canonical.clone());
        let mut fcx = Cx::new(&origin.path, &origin.source, cx.env, cx.files);
        match parse_yaml(&origin.source) {
            Ok(root) => {
                stack.push(canonical);
                load_included(&mut fcx, &root, index, cli, lib, stack);
                stack.pop();
            }
            Err(e) => fcx.error_at(e.line, e.col, 1, e.message, None),
        }
        cx.absorb(&mut fcx);
    }
}

/// The definitions of one included file, in its own context `cx`.
fn load_included(
    cx: &mut Cx<'_>,
    root: &Node,
    index: usize,
    cli: &BTreeMap<String, String>,
    lib: &mut Library,
    stack: &mut Vec<PathBuf>,
) {
    let entries = match &root.value {
        Value::Map(entries) => entries,
        Value::Null => return,
        _ => {
            cx.error(
                root,
                format!(
                    "an included file must be a mapping of shared definitions, found {}",
                    root.kind()
                ),
                Some("it may hold `include`, `vars`, `secrets`, `groups` and `target`".into()),
            );
            return;
        }
    };
    for (key, _) in entries {
        if INCLUDE_FILE_KEYS.contains(&key.name.as_str()) {
            continue;
        }
        if key.name == "scenarios" || key.name == "name" {
            cx.error_key(
                key,
                format!("an included file cannot have `{}`", key.name),
                Some(
                    "an included file shares `include`, `vars`, `secrets`, `groups` and `target`; scenarios belong in the plans that include it"
                        .into(),
                ),
            );
        } else {
            cx.unknown_key(key, INCLUDE_FILE_KEYS, "in an included file");
        }
    }
    load_includes(cx, get(entries, "include"), cli, lib, stack);
    lib.vars = load_vars(cx, get(entries, "vars"), cli, &lib.vars);
    if let Some(node) = get(entries, "target") {
        let mut resolver = Resolver::new(&lib.vars.values);
        resolver.names.extend(lib.vars.broken.iter().cloned());
        let target = resolver.target(cx, node, "in `target`");
        lib.target = target.or(&lib.target);
    }
    load_groups(cx, get(entries, "groups"), Some(index), lib);
    // A malformed `secrets:` or `vars:` here leaves the secret values unknown, as in a plan.
    let listed: BTreeSet<String> = match get(entries, "secrets").map(|n| &n.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|i| match &i.value {
                Value::Str(name) => Some(name.clone()),
                _ => None,
            })
            .collect(),
        _ => BTreeSet::new(),
    };
    mask_vars_when_unsure(cx, entries, &listed);
    if let Some(items) = get(entries, "secrets").and_then(|n| cx.list(n, "`secrets`")) {
        for item in items {
            lib.secrets.push((index, item.clone()));
        }
    }
}

/// `groups: {name: [steps]}` of the file `cx` is loading (`file`: its index, None = the plan).
pub(crate) fn load_groups(
    cx: &mut Cx<'_>,
    node: Option<&Node>,
    file: Option<usize>,
    lib: &mut Library,
) {
    let Some(entries) = node.and_then(|n| cx.map(n, "`groups`")) else {
        return;
    };
    for (key, steps) in entries {
        if !check_name(cx, key, "group") {
            continue;
        }
        if let Some(first) = lib.groups.get(&key.name) {
            let place = lib.place(first, cx);
            cx.error_key(
                key,
                format!("group `{}` is defined twice", key.name),
                Some(format!(
                    "first defined at {place}; group names must be unique"
                )),
            );
            continue;
        }
        match &steps.value {
            Value::Seq(items) if items.is_empty() => {
                cx.error(steps, format!("group `{}` has no steps", key.name), None);
                continue;
            }
            Value::Seq(_) => {}
            _ => {
                cx.error(
                    steps,
                    format!(
                        "group `{}` must be a list of steps, found {}",
                        key.name,
                        steps.kind()
                    ),
                    Some(format!(
                        "e.g. `{}: [{{expect: 220}}, {{ehlo: client.example.com}}]`",
                        key.name
                    )),
                );
                continue;
            }
        }
        lib.groups.insert(
            key.name.clone(),
            GroupDef {
                file,
                key: key.clone(),
                steps: steps.clone(),
            },
        );
    }
}

/// Loads a scenario's steps, expanding `- use: GROUP` in place.
pub(crate) struct StepsLoader<'a, 'r, 'v> {
    pub lib: &'a Library,
    pub loader: StepLoader<'r, 'v>,
    /// Variables defined so far (grows with each `capture`).
    pub known: BTreeSet<String>,
    /// The groups being expanded, outermost first.
    pub stack: Vec<String>,
    pub steps: Vec<Step>,
    too_many: bool,
    /// Whether the connection each step runs on uses TLS: `${tls.*}` and `tls:` expectations
    /// need it.
    tls: TlsState,
    /// The scenario's target (its `tls:` mode decides what a `connect` opens).
    target: Target,
}

impl<'a, 'r, 'v> StepsLoader<'a, 'r, 'v> {
    pub fn new(
        lib: &'a Library,
        loader: StepLoader<'r, 'v>,
        known: BTreeSet<String>,
        target: &Target,
    ) -> Self {
        Self {
            lib,
            loader,
            known,
            stack: Vec::new(),
            steps: Vec::new(),
            too_many: false,
            tls: TlsState::new(target.tls == TlsMode::Implicit),
            target: target.clone(),
        }
    }

    /// Load `items`, written in `file` (None = the plan file).
    pub fn load_list(&mut self, main: &mut Cx<'_>, items: &[Node], file: Option<usize>) {
        for item in items {
            self.load_item(main, item, file);
        }
    }

    fn load_item(&mut self, main: &mut Cx<'_>, item: &Node, file: Option<usize>) {
        if let Value::Map(entries) = &item.value
            && let Some((key, value)) = entries.iter().find(|(k, _)| k.name == "use")
        {
            self.use_group(main, entries, key, value, file);
            return;
        }
        if self.steps.len() >= MAX_SCENARIO_STEPS {
            if !self.too_many {
                self.too_many = true;
                with_cx(main, &self.lib.files, file, |cx| {
                    cx.error(
                        item,
                        format!("the scenario has more than {MAX_SCENARIO_STEPS} steps"),
                        Some("check for groups that use other groups many times".into()),
                    );
                });
            }
            return;
        }
        let later = BTreeSet::new();
        self.tls.define_vars(&mut self.known);
        let scope = VarScope {
            known: &self.known,
            later: &later,
            captures: true,
        };
        let loader = &self.loader;
        let tls = &self.tls;
        let sent_before = self
            .steps
            .iter()
            .any(|s| matches!(s.action, crate::model::Action::Data(_)));
        let loaded = with_cx(main, &self.lib.files, file, |cx| {
            let loaded = loader.load(cx, item, &scope);
            if let Some(step) = &loaded.step {
                tls.check_step(cx, step);
                super::mailbox::check_sent_before(cx, step, sent_before);
            }
            loaded
        });
        self.known.extend(loaded.captures);
        if let Some(mut step) = loaded.step {
            self.tls.after(&step, &self.target);
            step.origin = file.and_then(|i| self.lib.files.get(i)).cloned();
            self.steps.push(step);
        } else {
            self.tls.after_broken(item);
        }
    }

    fn use_group(
        &mut self,
        main: &mut Cx<'_>,
        entries: &[(Key, Node)],
        key: &Key,
        value: &Node,
        file: Option<usize>,
    ) {
        let lib = self.lib;
        let stack = &self.stack;
        let found = with_cx(main, &lib.files, file, |cx| {
            for (other, _) in entries.iter().filter(|(k, _)| k.name != "use") {
                cx.error_key(
                    other,
                    format!("`use` stands alone: `{}` cannot go with it", other.name),
                    Some(format!(
                        "put `{}` on the steps of the group instead",
                        other.name
                    )),
                );
            }
            if value.value == Value::Null {
                cx.error_key(
                    key,
                    "`use` needs the name of a group",
                    Some("write `- use: GROUP`, with the group defined under `groups:`".into()),
                );
                return None;
            }
            let name = cx.text(value, "a group name")?;
            let Some(def) = lib.groups.get(&name) else {
                let help = match did_you_mean(&name, lib.groups.keys().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None if lib.groups.is_empty() => {
                        "no groups are defined: define them under `groups:` in the plan or in an included file".into()
                    }
                    None => format!(
                        "groups are {}",
                        lib.groups
                            .keys()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                cx.error(value, format!("unknown group `{name}`"), Some(help));
                return None;
            };
            if stack.contains(&name) {
                let chain: Vec<&str> = stack
                    .iter()
                    .skip_while(|g| **g != name)
                    .map(String::as_str)
                    .chain(std::iter::once(name.as_str()))
                    .collect();
                cx.error(
                    value,
                    format!("group `{name}` uses itself: {}", chain.join(" → ")),
                    Some("a group cannot use itself, directly or through other groups".into()),
                );
                return None;
            }
            Some((name, def))
        });
        let Some((name, def)) = found else {
            return;
        };
        if let Value::Seq(items) = &def.steps.value {
            self.stack.push(name);
            self.load_list(main, items, def.file);
            self.stack.pop();
        }
    }
}
