//! Plan files -> [`Plan`]s: find the files, parse each into a spanned tree, and validate it
//! into the model, collecting every problem of every file.
//!
//! Why one file: the walk from plan files to `Plan`s (files, plan keys, secrets,
//! scenarios) in the order it happens; the parts that stand alone are beside it (target, step,
//! vars, reuse, expect, ...).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Diagnostics;
use super::context::{Cx, EnvLookup, get, is_yaml_path};
use super::diagnostic::{Diagnostic, did_you_mean};
use super::file_access::FileAccess;
use super::node::{Key, Node, Value, parse_yaml};
use super::options::LoadOptions;
use super::partial_target::PartialTarget;
use super::resolver::Resolver;
use super::reuse::{Library, load_groups, load_includes, with_cx};
use super::scenarios::{ScenarioContext, ScenarioDeps, ScenarioList};
use super::secret_vars::{
    check_empty_secrets, mask_vars_when_unsure, secret_env_hints, secret_help,
};
use super::stream::{Event, parse_streaming};
use super::vars::{Vars, command_line_vars, load_vars};
use crate::files::{FileRoot, MAX_PLAN_BYTES};
use crate::model::{Action, MailboxSource, Plan, Scenario, Step, Target, VarValues};
use crate::redact::Secret;
use crate::template::Template;

pub(crate) const PLAN_KEYS: &[&str] = &[
    "name",
    "include",
    "target",
    "vars",
    "secrets",
    "groups",
    "scenarios",
];
/// Directories nested deeper than this are not searched (and symlinked ones never are).
const MAX_DIR_DEPTH: usize = 32;

/// Load every plan under `paths` (files, or directories searched recursively for *.yaml and
/// *.yml, sorted). All problems of all files are collected; no plan is returned if any exists.
/// A file found in a directory that another plan of the run includes is shared definitions,
/// not a plan: it is loaded only where it is included.
pub fn load_plans(paths: &[PathBuf], options: &LoadOptions) -> Result<Vec<Plan>, Diagnostics> {
    let env = |name: &str| std::env::var(name).ok();
    load_plans_with_env(paths, options, &env)
}

/// [`load_plans`] with `${env:..}` looked up through `env` instead of the process environment
/// (`None` = unset), e.g. to render plans the same way on every machine.
pub fn load_plans_with_env(
    paths: &[PathBuf],
    options: &LoadOptions,
    env: EnvLookup<'_>,
) -> Result<Vec<Plan>, Diagnostics> {
    let mut problems = Vec::new();
    let cli = match command_line_vars(options, env) {
        Ok(vars) => vars,
        Err(d) => {
            problems.extend(d);
            options.vars.0.clone()
        }
    };
    let mut options = LoadOptions {
        vars: VarValues(cli),
        vars_files: Vec::new(),
        secrets: options.secrets.clone(),
        file_root: options.file_root.clone(),
        describe_only: options.describe_only,
    };
    let given_root = options.file_root.clone();
    // (file, found by a directory search, its result, the files it includes)
    let mut loaded = Vec::new();
    for path in paths {
        let files = match find_plan_files(path) {
            Ok(files) => files,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let searched = path.is_dir();
        options.file_root = Some(match &given_root {
            Some(root) => root.clone(),
            None if searched => path.clone(),
            None => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        });
        for file in files {
            match read_plan_file(&file) {
                Ok(text) => {
                    // Kept by the plan for its diagnostics: one copy of the text.
                    let text: Arc<str> = Arc::from(text);
                    let (result, included) = load_file_str(&file, &text, &options, env, STREAMED);
                    loaded.push((file, searched, result, included));
                }
                Err(d) => problems.push(d),
            }
        }
    }
    let included: Vec<PathBuf> = loaded.iter().flat_map(|l| l.3.iter().cloned()).collect();
    let mut plans = Vec::new();
    for (file, searched, result, _) in loaded {
        if searched
            && let Ok(canonical) = std::fs::canonicalize(&file)
            && included.contains(&canonical)
        {
            continue;
        }
        match result {
            Ok(plan) => plans.push(plan),
            Err(diags) => problems.extend(diags),
        }
    }
    // A problem in an included file is found by every plan that includes it: report it once.
    let mut unique: Vec<Diagnostic> = Vec::with_capacity(problems.len());
    for d in problems {
        if !unique.contains(&d) {
            unique.push(d);
        }
    }
    if unique.is_empty() {
        Ok(plans)
    } else {
        Err(Diagnostics(unique))
    }
}

/// Load one plan from text already in memory (`path` names it in diagnostics and is the base
/// for relative paths); `${env:..}` reads the process environment.
pub fn load_plan_str(path: &Path, text: &str, options: &LoadOptions) -> Result<Plan, Diagnostics> {
    let env = |name: &str| std::env::var(name).ok();
    load_str(path, text, options, &env).map_err(Diagnostics)
}

fn file_problem(path: &Path, message: String) -> Diagnostic {
    Diagnostic::without_position(path, message, None)
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
        } else if is_yaml_path(&path) && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn read_plan_file(path: &Path) -> Result<String, Diagnostic> {
    let bytes = crate::files::read_file(path, MAX_PLAN_BYTES)
        .map_err(|e| file_problem(path, format!("the plan `{}` {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| invalid_utf8(path, &e))
}

/// A plan that is not UTF-8: where the first bad byte is, as line and column.
fn invalid_utf8(path: &Path, e: &std::string::FromUtf8Error) -> Diagnostic {
    let bytes = e.as_bytes();
    let valid = bytes
        .get(..e.utf8_error().valid_up_to())
        .unwrap_or_default();
    let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
    let before = String::from_utf8_lossy(valid.get(line_start..).unwrap_or_default());
    let col = before.chars().count() + 1;
    let rest = bytes.get(line_start..).unwrap_or_default();
    let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let source_line = String::from_utf8_lossy(rest.get(..end).unwrap_or_default())
        .trim_end_matches('\r')
        .to_owned();
    Diagnostic {
        path: path.to_path_buf(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(col).unwrap_or(u32::MAX),
        width: 1,
        message: format!("`{}` is not valid UTF-8", path.display()),
        help: Some("a plan is UTF-8 text; the invalid byte is shown as \u{FFFD}".into()),
        source_line: Some(source_line),
    }
}

/// Load one plan from its text. `path` names it in diagnostics and is the base for relative
/// paths (`ca_file`, `include`, `data: {file}`); `env` looks up `${env:..}`. Problems come
/// back sorted by file (the plan first) and position.
pub(crate) fn load_str(
    path: &Path,
    text: &str,
    options: &LoadOptions,
    env: EnvLookup<'_>,
) -> Result<Plan, Vec<Diagnostic>> {
    load_file_str(path, &Arc::from(text), options, env, STREAMED).0
}

/// [`load_str`] in the given `ways` only (none: from the file's whole tree), for tests that
/// every way loads alike.
#[cfg(test)]
pub(crate) fn load_str_in(
    path: &Path,
    text: &str,
    options: &LoadOptions,
    env: EnvLookup<'_>,
    ways: &[Parse],
) -> Result<Plan, Vec<Diagnostic>> {
    load_file_str(path, &Arc::from(text), options, env, ways).0
}

/// How a plan file's scenarios are streamed (see `stream`), in the order they are tried; the
/// whole tree read by serde-saphyr is the last way, always taken when the others give up.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Parse {
    /// Straight from the parser's events (`fast_yaml`).
    Fast,
    /// Through serde-saphyr.
    Serde,
}

/// The ways of a run: the fast one, then serde-saphyr's stream, then the whole tree.
pub(crate) const STREAMED: &[Parse] = &[Parse::Fast, Parse::Serde];

/// [`load_str`], and the canonical paths of the files the plan includes; `ways` are tried
/// before the whole tree.
fn load_file_str(
    path: &Path,
    text: &Arc<str>,
    options: &LoadOptions,
    env: EnvLookup<'_>,
    ways: &[Parse],
) -> (Result<Plan, Vec<Diagnostic>>, Vec<PathBuf>) {
    let root_dir = options
        .file_root
        .clone()
        .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
    let root = FileRoot::new(&root_dir);
    let files = FileAccess {
        root: root.as_ref().ok().cloned(),
        check_tls_files: !options.describe_only,
    };
    let mut prelude = Vec::new();
    if let (Err(e), Some(given)) = (&root, &options.file_root) {
        prelude.push(file_problem(
            given,
            format!("the file root `{}` cannot be used: {e}", given.display()),
        ));
    }
    let cli = match command_line_vars(options, env) {
        Ok(vars) => vars,
        Err(d) => {
            prelude.extend(d);
            options.vars.0.clone()
        }
    };
    let fresh = || {
        let mut cx = Cx::new(path, text, env, &files);
        cx.diags.clone_from(&prelude);
        cx
    };
    let mut cx = fresh();
    let mut included = Vec::new();
    // The first way that reads the file gives the plan; what a way that gave up found is
    // thrown away, and the whole tree says it.
    let mut streamed = None;
    for how in ways {
        if let Some(plan) =
            load_streamed(&mut cx, text, *how, &cli, &options.secrets, &mut included)
        {
            streamed = Some(plan);
            break;
        }
        cx = fresh();
        included.clear();
    }
    let plan = match streamed {
        Some(plan) => plan,
        None => match parse_yaml(text) {
            Ok(root) => load_plan(&mut cx, text, &root, &cli, &options.secrets, &mut included),
            Err(e) => {
                let width = 1;
                cx.error_at(e.line, e.col, width, e.message, None);
                None
            }
        },
    };
    let result = match plan {
        Some(plan) if cx.diags.is_empty() => Ok(plan),
        _ => {
            let mut diags = std::mem::take(&mut cx.diags);
            super::context::redact_diagnostics(&mut diags, &cx);
            diags.sort_by(|a, b| {
                (a.path != path, &a.path, a.line, a.col).cmp(&(
                    b.path != path,
                    &b.path,
                    b.line,
                    b.col,
                ))
            });
            // A group used by several scenarios reports its problems once.
            diags.dedup();
            Err(diags)
        }
    };
    (result, included)
}

fn load_plan(
    cx: &mut Cx<'_>,
    source: &Arc<str>,
    root: &Node,
    cli: &BTreeMap<String, String>,
    cli_secrets: &BTreeSet<String>,
    included: &mut Vec<PathBuf>,
) -> Option<Plan> {
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
    let setup = plan_setup(cx, entries, cli, included);
    let mut list = ScenarioList::default();
    match get(entries, "scenarios") {
        Some(node) => list.load_all(cx, node, &setup.context(cli)),
        None => cx.error_at(
            1,
            1,
            1,
            "the plan has no `scenarios:`",
            Some(scenarios_help()),
        ),
    }
    plan_finish(cx, source, entries, setup, list, cli_secrets)
}

/// [`load_plan`] with the scenarios streamed from the text (see `stream`): `None` when the
/// file does not stream, and must be loaded from its whole tree.
fn load_streamed(
    cx: &mut Cx<'_>,
    source: &Arc<str>,
    how: Parse,
    cli: &BTreeMap<String, String>,
    cli_secrets: &BTreeSet<String>,
    included: &mut Vec<PathBuf>,
) -> Option<Option<Plan>> {
    let mut setup: Option<PlanSetup> = None;
    let mut list = ScenarioList::default();
    let text = cx.source;
    let mut on = |event: Event<'_>| match event {
        Event::Scenarios(before) => setup = Some(plan_setup(cx, before, cli, included)),
        Event::Scenario(item) => {
            if let Some(setup) = &setup {
                list.add(cx, &item, &setup.context(cli));
            }
        }
    };
    let entries = match how {
        Parse::Fast => super::fast_yaml::parse_streaming(text, &mut on),
        Parse::Serde => parse_streaming(text, &mut on),
    }?;
    let setup = setup?;
    Some(plan_finish(cx, source, &entries, setup, list, cli_secrets))
}

/// What the plan's keys before its scenarios give every scenario.
struct PlanSetup {
    lib: Library,
    vars: Vars,
    plan_target: PartialTarget,
    target: Arc<Target>,
    /// How many of `cx.var_spots` the plan and its includes wrote.
    plan_spots: usize,
}

impl PlanSetup {
    fn context<'a>(&'a self, cli: &'a BTreeMap<String, String>) -> ScenarioContext<'a> {
        ScenarioContext {
            lib: &self.lib,
            cli,
            vars: &self.vars,
            plan_target: &self.plan_target,
            target: &self.target,
            plan_spots: self.plan_spots,
        }
    }
}

/// Load the plan's `include:`, `vars:`, `target:` and `groups:`.
fn plan_setup(
    cx: &mut Cx<'_>,
    entries: &[(Key, Node)],
    cli: &BTreeMap<String, String>,
    included: &mut Vec<PathBuf>,
) -> PlanSetup {
    let mut lib = Library::default();
    let mut stack: Vec<PathBuf> = std::fs::canonicalize(cx.path).into_iter().collect();
    load_includes(cx, get(entries, "include"), cli, &mut lib, &mut stack);
    included.clone_from(&lib.included);
    let vars = load_vars(cx, get(entries, "vars"), cli, &lib.vars);
    let mut resolver = Resolver::new(&vars.values);
    // A variable whose value had a problem is still "defined": do not report every use of it.
    resolver.names.extend(vars.broken.iter().cloned());
    let plan_target = get(entries, "target")
        .map(|n| resolver.target(cx, n, "in `target`"))
        .unwrap_or_default()
        .or(&lib.target);
    load_groups(cx, get(entries, "groups"), None, &mut lib);
    PlanSetup {
        lib,
        vars,
        target: Arc::new(plan_target.clone().finish()),
        plan_target,
        plan_spots: cx.var_spots.len(),
    }
}

/// The plan from its keys (a streamed `scenarios:` is not among them) and its scenarios: its
/// name, secrets and what they mask.
fn plan_finish(
    cx: &mut Cx<'_>,
    source: &Arc<str>,
    entries: &[(Key, Node)],
    setup: PlanSetup,
    list: ScenarioList,
    cli_secrets: &BTreeSet<String>,
) -> Option<Plan> {
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
    let PlanSetup { lib, vars, .. } = setup;
    let ScenarioList {
        mut scenarios,
        var_names: scenario_names,
        deps: scenario_deps,
        secret_values: scenario_secrets,
        secret_problems,
        ..
    } = list;
    scenarios.shrink_to_fit();
    // `secrets:` may name a variable of the plan, of an included file or of any scenario.
    let mut values_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in vars
        .values
        .iter()
        .chain(scenarios.iter().flat_map(|s| s.vars.iter()))
    {
        values_of.entry(k.clone()).or_default().push(v.clone());
    }
    let mut defined: BTreeSet<String> = vars.broken.clone();
    defined.extend(scenario_names);
    let secrets = Secrets {
        values_of: &values_of,
        defined: &defined,
    };
    // `--secret` / `--secrets-file` names are secret whatever the plan says.
    let mut secret_names: BTreeSet<String> = cli_secrets.clone();
    if let Some(items) = get(entries, "secrets").and_then(|n| cx.list(n, "`secrets`")) {
        for item in items {
            secret_names.extend(secrets.check(cx, item));
        }
    }
    for (file, item) in &lib.secrets {
        let name = with_cx(cx, &lib.files, Some(*file), |fcx| secrets.check(fcx, item));
        secret_names.extend(name);
    }
    // Every variable (or capture) an `auth` step takes its password or token from is secret
    // in the whole plan, from its definition (or capture) on.
    secret_names.extend(credential_names(&scenarios));
    if cx.files.check_tls_files {
        check_empty_secrets(cx, entries, &secret_names, &values_of);
    }
    secret_env_hints(cx, entries, &secret_names);
    mask_vars_when_unsure(cx, entries, &secret_names);
    // Where the secret variables' values are written: problems there are not quoted.
    let spots: Vec<_> = cx
        .var_spots
        .iter()
        .filter(|(name, _)| secret_names.contains(name))
        .map(|(_, spot)| spot.clone())
        .collect();
    cx.secret_spots.extend(spots);
    super::context::hide_problems_in_secret_spots(cx);
    // A scenario's `secrets:` naming what the plan holds secret anyway: reported there. (After
    // the above: these problems are about a secret value, and never quote it.)
    cx.diags.extend(
        secret_problems
            .into_iter()
            .filter(|(name, _)| !secret_names.contains(name))
            .map(|(_, d)| d),
    );
    let mut secret_values = secret_values_of(cx, &secret_names, &values_of, &vars, &scenario_deps);
    for value in scenario_secrets {
        if !secret_values.contains(&value) {
            secret_values.push(value);
        }
    }
    literal_credentials(cx, &scenarios, &vars.values, &mut secret_values);
    cx.secrets.extend(secret_values.iter().cloned());
    // Names, tags and skip reasons are shown everywhere: a secret in them is masked at once.
    let redactor = crate::redact::Redactor::new(&secret_values);
    if !redactor.is_empty() {
        for sc in &mut scenarios {
            sc.name = redactor.redact(&sc.name);
            for tag in &mut sc.tags {
                *tag = redactor.redact(tag);
            }
            sc.skip = sc.skip.as_deref().map(|r| redactor.redact(r));
        }
    }
    Some(Plan {
        path: cx.path.to_path_buf(),
        source: Arc::clone(source),
        name: redactor.redact(&name?),
        vars: vars.values,
        secret_values: secret_values.into_iter().map(Secret::new).collect(),
        redactor: Arc::new(redactor),
        secret_names,
        scenarios,
    })
}

/// The password or token a step logs in with (`auth`, a `mailbox` step's IMAP account), and
/// what to call it.
fn credential_of(step: &Step) -> Option<(&'static str, &Template)> {
    match &step.action {
        Action::Auth(spec) if spec.credential.is_token() => {
            Some(("token", spec.credential.expose()?))
        }
        Action::Auth(spec) => Some(("password", spec.credential.expose()?)),
        Action::Mailbox(m) => match &m.source {
            MailboxSource::Imap(imap) => Some(("IMAP password", imap.password.expose())),
            MailboxSource::Maildir(_) => None,
        },
        _ => None,
    }
}

/// The names `auth` steps (and IMAP logins) take their passwords and tokens from.
fn credential_names(scenarios: &[Scenario]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for step in scenarios.iter().flat_map(|s| &s.steps) {
        if let Some((_, t)) = credential_of(step) {
            names.extend(t.vars().map(|(n, _)| n.to_owned()));
        }
    }
    names
}

/// The values of the secret names, and of every variable made from one of them
/// (`auth_line: "AUTH PLAIN ${base64_plain(user, password)}"` is as secret as `password`).
/// A value too short to be masked safely is a problem, reported where it is written.
fn secret_values_of(
    cx: &mut Cx<'_>,
    secret_names: &BTreeSet<String>,
    values_of: &BTreeMap<String, Vec<String>>,
    vars: &Vars,
    scenario_deps: &ScenarioDeps,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |value: &String| {
        // Too short a value is reported below, and masking it would mangle that report.
        let long = crate::redact::check_secret_length(value).is_ok();
        if long && !out.contains(value) {
            out.push(value.clone());
        }
    };
    for name in secret_names {
        for value in values_of.get(name).into_iter().flatten() {
            push(value);
        }
    }
    for (var, from) in &vars.deps {
        if from.iter().any(|f| secret_names.contains(f))
            && let Some(v) = vars.values.get(var)
        {
            push(v);
        }
    }
    for (from, value) in scenario_deps {
        if from.iter().any(|f| secret_names.contains(f)) {
            push(value);
        }
    }
    // Too short a secret: reported where its value is written (or by name).
    let mut reported = BTreeSet::new();
    for name in secret_names {
        for value in values_of.get(name).into_iter().flatten() {
            let Err(why) = crate::redact::check_secret_length(value) else {
                continue;
            };
            if value.is_empty() || !reported.insert(name.clone()) {
                continue;
            }
            // Not masked everywhere (it would mangle the output), but in quoted plan lines.
            cx.literal_secrets.push(value.clone());
            let message = format!("the value of secret `{name}` {why}");
            let help = Some(format!(
                "give `{name}` a longer value; for a wrong-password test use a wrong value of {} or more characters",
                crate::redact::MIN_SECRET_CHARS
            ));
            let spot = cx
                .var_spots
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s.clone());
            match spot {
                Some(s) if s.path == cx.path => cx.error_at(s.line, s.col, 1, message, help),
                Some(s) => {
                    let mut d = Diagnostic::without_position(&s.path, message, help);
                    (d.line, d.col) = (s.line, s.col);
                    cx.diags.push(d);
                }
                None => cx
                    .diags
                    .push(Diagnostic::without_position(cx.path, message, help)),
            }
        }
    }
    out
}

/// The password or token of every `auth` step (and IMAP login) that can be rendered before the
/// scenario runs (written literally, or made only from variables): secret from the start, in
/// every output.
fn literal_credentials(
    cx: &mut Cx<'_>,
    scenarios: &[Scenario],
    plan_vars: &VarValues,
    out: &mut Vec<String>,
) {
    for sc in scenarios {
        let mut vars = plan_vars.0.clone();
        vars.extend(sc.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        for step in &sc.steps {
            let Some((what, template)) = credential_of(step) else {
                continue;
            };
            let Ok(value) = template.render(&vars) else {
                continue;
            };
            if value.is_empty() || out.contains(&value) {
                continue;
            }
            let literal = template.vars().next().is_none();
            if let Err(why) = crate::redact::check_secret_length(&value) {
                if !literal {
                    // Reported at the variable it comes from.
                    continue;
                }
                cx.literal_secrets.push(value.clone());
                let message = format!("this `{}` step's {what} {why}", step.action.keyword());
                let help = Some(format!(
                    "for a wrong-{what} test use a wrong value of {} or more characters",
                    crate::redact::MIN_SECRET_CHARS
                ));
                match &step.origin {
                    None => cx.error_at(step.span.line, step.span.col, 1, message, help),
                    Some(o) => cx
                        .diags
                        .push(Diagnostic::without_position(&o.path, message, help)),
                }
                continue;
            }
            out.push(value);
        }
    }
}

fn scenarios_help() -> String {
    "a plan lists its scenarios: `scenarios: [{name: .., steps: [..]}]`".into()
}

/// Checks the names listed in `secrets:` and collects their values.
struct Secrets<'a> {
    /// Every value each variable name has (in the plan, or in some scenario).
    values_of: &'a BTreeMap<String, Vec<String>>,
    /// Names defined somewhere but without a value (their problem is already reported).
    defined: &'a BTreeSet<String>,
}

impl Secrets<'_> {
    /// One item of `secrets:`: it must name a variable. Returns the name when it is one.
    fn check(&self, cx: &mut Cx<'_>, item: &Node) -> Option<String> {
        let name = cx.text(item, "a secret's name")?;
        if self.values_of.contains_key(&name) || self.defined.contains(&name) {
            return Some(name);
        }
        let help = match did_you_mean(&name, self.values_of.keys().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "{}, or define `{name}` under `vars:`; a misspelled secret would be printed in clear",
                secret_help(&name)
            ),
        };
        cx.error(
            item,
            format!("secret `{name}` is not a variable"),
            Some(help),
        );
        None
    }
}
