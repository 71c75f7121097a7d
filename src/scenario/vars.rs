//! `vars:` at the plan, scenario and included-file level, `--vars-file`, and the built-in
//! variables a user variable may not shadow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::context::{Cx, EnvLookup, VarScope};
use super::diagnostic::Diagnostic;
use super::file_access::NO_FILES;
use super::node::{Key, Node, Value, parse_yaml};
use super::options::LoadOptions;
use crate::model::{BUILTIN_VARS, VarValues};
use crate::template::is_var_name;

/// Variables resolved so far, and the names whose value had a problem (already reported; they
/// still count as defined, so their uses are not reported again).
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    pub values: VarValues,
    pub broken: BTreeSet<String>,
    /// For each variable, every variable its value was made from (directly or not): a
    /// variable made from a secret is secret too.
    pub deps: BTreeMap<String, BTreeSet<String>>,
}

impl Vars {
    /// Every defined name, broken ones included.
    pub fn names(&self) -> BTreeSet<String> {
        self.values.keys().chain(&self.broken).cloned().collect()
    }
}

/// The help for a `vars:` name that is a built-in one.
const CHOOSE: &str = "choose another name";

/// A key that names something a plan refers to by `${..}` or `use:` (`what`: "variable",
/// "group"): letters, digits, `_`, `.` and `-`, else a problem at the key.
pub(crate) fn check_name(cx: &mut Cx<'_>, key: &Key, what: &str) -> bool {
    if is_var_name(&key.name) {
        return true;
    }
    cx.error_key(
        key,
        format!("`{}` is not a valid {what} name", key.name),
        Some("use letters, digits, `_`, `.` and `-`".into()),
    );
    false
}

/// A key that names a variable the plan sets (`vars:`, `--vars-file`, `capture:`): a valid
/// name that is not a built-in one (`uuid`, `scenario.name`, ...), else a problem at the key.
/// `instead` ends the help for a built-in name: "choose another name".
pub(crate) fn check_var_key(cx: &mut Cx<'_>, key: &Key, instead: &str) -> bool {
    if !check_name(cx, key, "variable") {
        return false;
    }
    if BUILTIN_VARS.contains(&key.name.as_str()) {
        cx.error_key(
            key,
            format!("`{}` is a built-in variable", key.name),
            Some(format!(
                "smtp-plan sets `${{{}}}` itself; {instead}",
                key.name
            )),
        );
        return false;
    }
    true
}

/// A variable's value that is a list or a mapping.
fn not_a_scalar(cx: &mut Cx<'_>, key: &Key, value: &Node) {
    cx.error(
        value,
        format!(
            "variable `{}` must be a string, a number or a boolean, found {}",
            key.name,
            value.kind()
        ),
        None,
    );
}

/// One `vars:` mapping resolved in order on top of `base` (a value may use `${env:..}`, the
/// variables of `base` and earlier ones of this mapping). Names in `cli` (`--var`,
/// `--vars-file`) are not evaluated: the command line wins.
pub(crate) fn load_vars(
    cx: &mut Cx<'_>,
    node: Option<&Node>,
    cli: &BTreeMap<String, String>,
    base: &Vars,
) -> Vars {
    let mut out = base.clone();
    for (name, value) in cli {
        out.broken.remove(name);
        out.deps.remove(name);
        out.values.insert(name.clone(), value.clone());
    }
    let Some(entries) = node.and_then(|n| cx.map(n, "`vars`")) else {
        return out;
    };
    let mut later: BTreeSet<String> = entries.iter().map(|(k, _)| k.name.clone()).collect();
    for (key, value) in entries {
        later.remove(&key.name);
        if !check_var_key(cx, key, CHOOSE) || cli.contains_key(&key.name) {
            continue;
        }
        out.broken.insert(key.name.clone());
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
                not_a_scalar(cx, key, value);
                continue;
            }
            _ => {}
        }
        let mut known = out.names();
        known.remove(&key.name);
        if base.values.contains_key(&key.name) || base.broken.contains(&key.name) {
            // Overriding an outer variable: the outer value may be used (`x: ${x}-more`).
            known.insert(key.name.clone());
        }
        let scope = VarScope {
            known: &known,
            later: &later,
            captures: false,
        };
        let what = format!("variable `{}`", key.name);
        if let Some(spot) = cx.spot(value) {
            cx.var_spots.push((key.name.clone(), spot));
        }
        if let Some(t) = cx.template_in(value, &what, &scope) {
            let mut from = BTreeSet::new();
            for (name, _) in t.vars() {
                from.insert(name.to_owned());
                from.extend(out.deps.get(name).into_iter().flatten().cloned());
            }
            out.deps.insert(key.name.clone(), from);
            match t.render(&out.values) {
                Ok(v) => {
                    out.broken.remove(&key.name);
                    out.values.insert(key.name.clone(), v);
                }
                Err(e) => cx.error(value, format!("{what}: {e}"), None),
            }
        }
    }
    out
}

/// `--vars-file` files (in order, a later one wins) under `--var`: the variables the command
/// line sets. Problems point into the files; `--var` naming a built-in is one too.
pub(crate) fn command_line_vars(
    options: &LoadOptions,
    env: EnvLookup<'_>,
) -> Result<BTreeMap<String, String>, Vec<Diagnostic>> {
    let mut vars = BTreeMap::new();
    let mut problems = Vec::new();
    for path in &options.vars_files {
        match load_vars_file(path, env) {
            Ok(v) => vars.extend(v),
            Err(d) => problems.extend(d),
        }
    }
    for (name, value) in &options.vars {
        if BUILTIN_VARS.contains(&name.as_str()) {
            problems.push(Diagnostic::without_position(
                Path::new("--var"),
                format!("`--var {name}=..`: `{name}` is a built-in variable"),
                Some(format!(
                    "smtp-plan sets `${{{name}}}` itself; choose another name"
                )),
            ));
        }
        vars.insert(name.clone(), value.clone());
    }
    if problems.is_empty() {
        Ok(vars)
    } else {
        Err(problems)
    }
}

/// A `--vars-file`: a YAML mapping of names to scalars, taken literally (no `${..}`).
fn load_vars_file(
    path: &Path,
    env: EnvLookup<'_>,
) -> Result<BTreeMap<String, String>, Vec<Diagnostic>> {
    let text = read_text(path, "--vars-file").map_err(|d| vec![d])?;
    let mut cx = Cx::new(path, &text, env, &NO_FILES);
    let mut vars = BTreeMap::new();
    match parse_yaml(&text) {
        Err(e) => cx.error_at(e.line, e.col, 1, e.message, None),
        Ok(root) => match &root.value {
            Value::Null => {}
            Value::Map(entries) => {
                for (key, value) in entries {
                    if !check_var_key(&mut cx, key, CHOOSE) {
                        continue;
                    }
                    match value.scalar_text(&text) {
                        Some(v) => {
                            vars.insert(key.name.clone(), v);
                        }
                        None => not_a_scalar(&mut cx, key, value),
                    }
                }
            }
            _ => cx.error(
                &root,
                format!(
                    "a vars file must be a mapping of names to values, found {}",
                    root.kind()
                ),
                Some("e.g. `user: alice@example.com`".into()),
            ),
        },
    }
    if cx.diags.is_empty() {
        Ok(vars)
    } else {
        Err(cx.diags)
    }
}

/// A UTF-8 text file of at most [`crate::files::MAX_PLAN_BYTES`], or a problem naming `what`
/// and the path (read through the bounded reader: a FIFO or a device is refused).
pub(crate) fn read_text(path: &Path, what: &str) -> Result<String, Diagnostic> {
    let problem = |message: String| Diagnostic::without_position(path, message, None);
    let bytes = crate::files::read_file(path, crate::files::MAX_PLAN_BYTES)
        .map_err(|e| problem(format!("{what} `{}` {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| problem(format!("{what} `{}` is not valid UTF-8", path.display())))
}
