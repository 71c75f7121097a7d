//! Plan files -> [`Plan`]s: find the files, parse each into a spanned tree, and validate it
//! into the model, collecting every problem of every file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::context::{Cx, EnvLookup, VarScope, get};
use super::diagnostic::{Diagnostic, did_you_mean};
use super::expect::valid_var_name;
use super::node::{MAX_FILE_BYTES, Node, Value, parse_yaml};
use super::step::StepLoader;
use super::target::{PartialTarget, Resolver};
use super::tls_expect::TlsState;
use super::{Diagnostics, Plan, Scenario, Span, TlsMode};

/// What the command line adds to loading.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--var NAME=VALUE`, in order; they beat `vars:` in files. `--secret` and
    /// `--secrets-file` values are here too, their names in `secrets`.
    pub vars: BTreeMap<String, String>,
    /// Names whose values are secret in every plan (`--secret`, `--secrets-file`), whether or
    /// not a plan lists them in `secrets:`.
    pub secrets: BTreeSet<String>,
}

const PLAN_KEYS: &[&str] = &["name", "target", "vars", "secrets", "scenarios"];
const SCENARIO_KEYS: &[&str] = &["name", "tags", "target", "steps"];
/// Directories nested deeper than this are not searched (and symlinked ones never are).
const MAX_DIR_DEPTH: usize = 32;

/// Load every plan under `paths` (files, or directories searched recursively for *.yaml and
/// *.yml, sorted). All problems of all files are collected; no plan is returned if any exists.
pub fn load_plans(paths: &[PathBuf], options: &LoadOptions) -> Result<Vec<Plan>, Diagnostics> {
    let env = |name: &str| std::env::var(name).ok();
    load_plans_with_env(paths, options, &env)
}

/// [`load_plans`] with `${env:..}` looked up through `env` instead of the process environment
/// (`None` = unset), e.g. to render plans the same way on every machine.
pub fn load_plans_with_env(
    paths: &[PathBuf],
    options: &LoadOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Plan>, Diagnostics> {
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let files = match find_plan_files(path) {
            Ok(files) => files,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        for file in files {
            match read_plan_file(&file) {
                Ok(text) => match load_str(&file, &text, options, env) {
                    Ok(plan) => plans.push(plan),
                    Err(diags) => problems.extend(diags),
                },
                Err(d) => problems.push(d),
            }
        }
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(Diagnostics(problems))
    }
}

/// Load one plan from text already in memory (`path` names it in diagnostics and is the base
/// for relative `ca_file`s); `${env:..}` reads the process environment.
pub fn load_plan_str(path: &Path, text: &str, options: &LoadOptions) -> Result<Plan, Diagnostics> {
    let env = |name: &str| std::env::var(name).ok();
    load_str(path, text, options, &env).map_err(Diagnostics)
}

fn file_problem(path: &Path, message: String) -> Diagnostic {
    Diagnostic {
        path: path.to_path_buf(),
        line: 0,
        col: 0,
        width: 1,
        message,
        help: None,
        source_line: None,
    }
}

/// `path` itself if it is a file; every *.yaml / *.yml below it (sorted) if a directory.
pub(crate) fn find_plan_files(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| {
        let message = match e.kind() {
            std::io::ErrorKind::NotFound => format!("`{}` does not exist", path.display()),
            _ => format!("cannot read `{}`: {e}", path.display()),
        };
        file_problem(path, message)
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    walk(path, 0, &mut files)
        .map_err(|e| file_problem(path, format!("cannot search `{}`: {e}", path.display())))?;
    files.sort();
    if files.is_empty() {
        return Err(file_problem(
            path,
            format!("no *.yaml or *.yml files under `{}`", path.display()),
        ));
    }
    Ok(files)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if depth > MAX_DIR_DEPTH {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let kind = entry.file_type()?;
        if hidden {
            continue;
        }
        if kind.is_dir() {
            walk(&path, depth + 1, out)?;
        } else if is_yaml(&path) && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "yaml" || e == "yml")
}

fn read_plan_file(path: &Path) -> Result<String, Diagnostic> {
    let cannot =
        |e: std::io::Error| file_problem(path, format!("cannot read `{}`: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(file_problem(
            path,
            format!(
                "`{}` is too large ({size} bytes; a plan may have at most {MAX_FILE_BYTES} bytes)",
                path.display()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    String::from_utf8(bytes)
        .map_err(|_| file_problem(path, format!("`{}` is not valid UTF-8", path.display())))
}

/// Load one plan from its text. `path` names it in diagnostics and is the base for relative
/// paths (`ca_file`); `env` looks up `${env:..}`. Problems come back sorted by position.
pub(crate) fn load_str(
    path: &Path,
    text: &str,
    options: &LoadOptions,
    env: EnvLookup<'_>,
) -> Result<Plan, Vec<Diagnostic>> {
    let mut cx = Cx::new(path, text, env);
    let plan = match parse_yaml(text) {
        Ok(root) => load_plan(&mut cx, &root, options),
        Err(e) => {
            let width = 1;
            cx.error_at(e.line, e.col, width, e.message, None);
            None
        }
    };
    match plan {
        Some(plan) if cx.diags.is_empty() => Ok(plan),
        _ => {
            let mut diags = cx.diags;
            diags.sort_by_key(|d| (d.line, d.col));
            Err(diags)
        }
    }
}

fn load_plan(cx: &mut Cx<'_>, root: &Node, options: &LoadOptions) -> Option<Plan> {
    let entries = match &root.value {
        Value::Map(entries) => entries,
        Value::Null => {
            cx.error_at(1, 1, 1, "the plan file is empty", Some(scenarios_help()));
            return None;
        }
        _ => {
            cx.error(
                root,
                format!(
                    "a plan must be a mapping with `scenarios:`, found {}",
                    root.kind()
                ),
                Some(scenarios_help()),
            );
            return None;
        }
    };
    cx.check_keys(entries, PLAN_KEYS, "in the plan");

    let name = match get(entries, "name") {
        Some(node) => cx.text(node, "`name`"),
        None => Some(
            cx.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
    };
    let (vars, broken, deps) = load_vars(cx, get(entries, "vars"), options);
    let mut secret_values = load_secrets(cx, get(entries, "secrets"), &vars, &broken, &deps);
    for name in &options.secrets {
        if let Some(v) = vars.get(name)
            && !v.is_empty()
            && !secret_values.contains(v)
        {
            secret_values.push(v.clone());
        }
    }
    let mut resolver = Resolver::new(&vars);
    // A variable whose value had a problem is still "defined": do not report every use of it.
    resolver.names.extend(broken);
    let plan_target = get(entries, "target")
        .map(|n| resolver.target(cx, n, "in `target`"))
        .unwrap_or_default();
    let scenarios = match get(entries, "scenarios") {
        Some(node) => load_scenarios(cx, node, &resolver, &plan_target),
        None => {
            cx.error_at(
                1,
                1,
                1,
                "the plan has no `scenarios:`",
                Some(scenarios_help()),
            );
            Vec::new()
        }
    };
    Some(Plan {
        path: cx.path.to_path_buf(),
        source: Arc::from(cx.source),
        name: name?,
        vars,
        secret_values,
        scenarios,
    })
}

fn scenarios_help() -> String {
    "a plan lists its scenarios: `scenarios: [{name: .., steps: [..]}]`".into()
}

/// `vars:` resolved in order (a value may use `${env:..}` and earlier variables), then
/// overridden and extended by `--var`. A file value overridden by `--var` is not evaluated,
/// so `--var password=..` works even when `${env:SMTP_PASSWORD}` is unset.
/// Also returns the names whose value had a problem (already reported), and for each
/// variable every variable its value was made from (directly or not).
fn load_vars(
    cx: &mut Cx<'_>,
    node: Option<&Node>,
    options: &LoadOptions,
) -> (BTreeMap<String, String>, BTreeSet<String>, Deps) {
    let mut resolved: BTreeMap<String, String> = options.vars.clone();
    let mut broken = BTreeSet::new();
    let mut deps = Deps::new();
    let Some(entries) = node.and_then(|n| cx.map(n, "`vars`")) else {
        return (resolved, broken, deps);
    };
    let mut later: BTreeSet<String> = entries.iter().map(|(k, _)| k.name.clone()).collect();
    for (key, value) in entries {
        later.remove(&key.name);
        if !valid_var_name(&key.name) {
            cx.error_key(
                key,
                format!("`{}` is not a valid variable name", key.name),
                Some("use letters, digits, `_`, `.` and `-`".into()),
            );
            continue;
        }
        if options.vars.contains_key(&key.name) {
            continue;
        }
        broken.insert(key.name.clone());
        match &value.value {
            Value::Null => {
                cx.error(
                    value,
                    format!("variable `{}` has no value", key.name),
                    Some(format!("write `{}: \"\"` for an empty value", key.name)),
                );
                continue;
            }
            Value::Seq(_) | Value::Map(_) => {
                cx.error(
                    value,
                    format!(
                        "variable `{}` must be a string, a number or a boolean, found {}",
                        key.name,
                        value.kind()
                    ),
                    None,
                );
                continue;
            }
            _ => {}
        }
        let known: BTreeSet<String> = resolved.keys().chain(&broken).cloned().collect();
        let scope = VarScope {
            known: &known,
            later: &later,
            captures: false,
        };
        let what = format!("variable `{}`", key.name);
        if let Some(t) = cx.template_in(value, &what, &scope) {
            let mut from = BTreeSet::new();
            for (name, _) in t.vars() {
                from.insert(name.to_owned());
                from.extend(deps.get(name).into_iter().flatten().cloned());
            }
            deps.insert(key.name.clone(), from);
            match t.render(&resolved) {
                Ok(v) => {
                    broken.remove(&key.name);
                    resolved.insert(key.name.clone(), v);
                }
                Err(e) => cx.error(value, format!("{what}: {e}"), None),
            }
        }
    }
    (resolved, broken, deps)
}

/// Variable -> the variables its value was made from.
type Deps = BTreeMap<String, BTreeSet<String>>;

/// `secrets: [names]`: each must be a variable; their non-empty values are returned, and the
/// values of every variable made from one of them (`auth_line: "AUTH PLAIN ${base64_plain(
/// user, password)}"` is as secret as `password`).
fn load_secrets(
    cx: &mut Cx<'_>,
    node: Option<&Node>,
    vars: &BTreeMap<String, String>,
    broken: &BTreeSet<String>,
    deps: &Deps,
) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    let Some(items) = node.and_then(|n| cx.list(n, "`secrets`")) else {
        return values;
    };
    let names: BTreeSet<String> = items
        .iter()
        .filter_map(|i| i.scalar_text(cx.source))
        .collect();
    for (var, from) in deps {
        if from.iter().any(|f| names.contains(f))
            && let Some(value) = vars.get(var)
            && !value.is_empty()
            && !values.contains(value)
        {
            values.push(value.clone());
        }
    }
    for item in items {
        let Some(name) = cx.text(item, "a secret's name") else {
            continue;
        };
        match vars.get(&name) {
            Some(value) => {
                if !value.is_empty() && !values.contains(value) {
                    values.push(value.clone());
                }
            }
            None if broken.contains(&name) => {}
            None => {
                let help = match did_you_mean(&name, vars.keys().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!(
                        "define `{name}` under `vars:` or pass `--var {name}=VALUE`; a misspelled secret would be printed in clear"
                    ),
                };
                cx.error(
                    item,
                    format!("secret `{name}` is not a variable"),
                    Some(help),
                );
            }
        }
    }
    values
}

fn load_scenarios(
    cx: &mut Cx<'_>,
    node: &Node,
    resolver: &Resolver<'_>,
    plan_target: &PartialTarget,
) -> Vec<Scenario> {
    let Some(items) = cx.list(node, "`scenarios`") else {
        return Vec::new();
    };
    if items.is_empty() {
        cx.error(
            node,
            "the plan has no scenarios",
            Some("add at least one: `- name: .. steps: [..]`".into()),
        );
    }
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut out = Vec::new();
    for item in items {
        let Some(scenario) = load_scenario(cx, item, resolver, plan_target) else {
            continue;
        };
        out.push(scenario);
    }
    // Duplicate names, reported at the second use.
    for item in items {
        let Value::Map(entries) = &item.value else {
            continue;
        };
        let Some(name_node) = get(entries, "name") else {
            continue;
        };
        let Some(name) = name_node.scalar_text(cx.source) else {
            continue;
        };
        match seen.get(&name) {
            Some(first) => cx.error(
                name_node,
                format!("duplicate scenario name `{name}`"),
                Some(format!(
                    "first used on line {first}; scenario names must be unique in a file"
                )),
            ),
            None => {
                seen.insert(name, name_node.pos.line);
            }
        }
    }
    out
}

fn load_scenario(
    cx: &mut Cx<'_>,
    node: &Node,
    resolver: &Resolver<'_>,
    plan_target: &PartialTarget,
) -> Option<Scenario> {
    let entries = cx.map(node, "a scenario")?;
    cx.check_keys(entries, SCENARIO_KEYS, "in a scenario");
    let name = match get(entries, "name") {
        Some(n) => cx.text(n, "a scenario's `name`"),
        None => {
            cx.error(node, "a scenario needs a `name`", None);
            None
        }
    };
    let mut tags = Vec::new();
    if let Some(list) = get(entries, "tags").and_then(|n| cx.list(n, "`tags`")) {
        for item in list {
            if let Some(tag) = cx.text(item, "a tag") {
                tags.push(tag);
            }
        }
    }
    let target = match get(entries, "target") {
        Some(n) => resolver.target(cx, n, "in `target`").or(plan_target),
        None => plan_target.clone(),
    }
    .finish();

    let mut steps = Vec::new();
    match get(entries, "steps") {
        None => cx.error(node, "a scenario needs `steps`", None),
        Some(steps_node) => {
            if let Some(items) = cx.list(steps_node, "`steps`") {
                if items.is_empty() {
                    cx.error(steps_node, "a scenario needs at least one step", None);
                }
                let loader = StepLoader { resolver };
                let later = BTreeSet::new();
                let mut known = resolver.names.clone();
                // Whether the connection a step runs on uses TLS: `${tls.*}` and `tls:`
                // expectations need it.
                let mut tls = TlsState::new(target.tls == TlsMode::Implicit);
                for item in items {
                    tls.define_vars(&mut known);
                    let scope = VarScope {
                        known: &known,
                        later: &later,
                        captures: true,
                    };
                    let loaded = loader.load(cx, item, &scope);
                    known.extend(loaded.captures);
                    if let Some(step) = loaded.step {
                        tls.check_step(cx, &step);
                        tls.after(&step, &target);
                        steps.push(step);
                    } else {
                        tls.after_broken(item);
                    }
                }
            }
        }
    }
    Some(Scenario {
        name: name?,
        tags,
        target,
        steps,
        skip: None,
        span: Span {
            line: node.pos.line,
            col: node.pos.col,
        },
    })
}
