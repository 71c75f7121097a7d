//! The scenarios of a plan: each item of `scenarios:` loaded into a [`Scenario`] on top of
//! what the plan gives it (includes, groups, variables, target), and their names checked to
//! be unique. Items come one at a time, from a whole tree or streamed (see `stream`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::context::{Cx, get};
use super::diagnostic::Diagnostic;
use super::node::{Node, Value};
use super::partial_target::PartialTarget;
use super::resolver::Resolver;
use super::reuse::{Library, StepsLoader};
use super::scenario_secrets::{SecretScope, load_scenario_secrets};
use super::step::StepLoader;
use super::vars::{Vars, load_vars};
use crate::model::BUILTIN_VARS;
use crate::model::{Scenario, Span, Target, VarValues};

pub(crate) const SCENARIO_KEYS: &[&str] =
    &["name", "tags", "skip", "target", "vars", "secrets", "steps"];

/// What every scenario of a plan starts from.
pub(super) struct ScenarioContext<'a> {
    pub lib: &'a Library,
    pub cli: &'a BTreeMap<String, String>,
    pub vars: &'a Vars,
    pub plan_target: &'a PartialTarget,
    /// `plan_target` finished: the target of every scenario without one of its own.
    pub target: &'a Arc<Target>,
    /// How many of `cx.var_spots` the plan and its includes wrote (the scenarios' follow).
    pub plan_spots: usize,
}

/// What the variables of a scenario's `vars:` were made from, and their values.
pub(super) type ScenarioDeps = Vec<(BTreeSet<String>, String)>;

/// The scenarios of a plan loaded so far.
#[derive(Default)]
pub(super) struct ScenarioList {
    pub scenarios: Vec<Scenario>,
    /// The names of the scenarios' own variables.
    pub var_names: BTreeSet<String>,
    pub deps: ScenarioDeps,
    /// The values the scenarios' own `secrets:` hold secret, and the problems found with them
    /// (by name).
    pub secret_values: Vec<String>,
    pub secret_problems: Vec<(String, Diagnostic)>,
    /// Each scenario name and the line of its first use.
    seen: BTreeMap<String, u32>,
}

impl ScenarioList {
    /// Every item of `scenarios:` (a whole tree).
    pub fn load_all(&mut self, cx: &mut Cx<'_>, node: &Node, plan: &ScenarioContext<'_>) {
        let Some(items) = cx.list(node, "`scenarios`") else {
            return;
        };
        if items.is_empty() {
            cx.error(
                node,
                "the plan has no scenarios",
                Some("add at least one: `- name: .. steps: [..]`".into()),
            );
        }
        for item in items {
            self.add(cx, item, plan);
        }
    }

    /// One item of `scenarios:`; a name used before is reported here, at its second use.
    pub fn add(&mut self, cx: &mut Cx<'_>, item: &Node, plan: &ScenarioContext<'_>) {
        if let Some(scenario) = load_scenario(cx, item, plan, self) {
            self.scenarios.push(scenario);
        }
        let Value::Map(entries) = &item.value else {
            return;
        };
        let Some(name_node) = get(entries, "name") else {
            return;
        };
        let Some(name) = name_node.scalar_text(cx.source) else {
            return;
        };
        match self.seen.get(&name) {
            Some(first) => cx.error(
                name_node,
                format!("duplicate scenario name `{name}`"),
                Some(format!(
                    "first used on line {first}; scenario names must be unique in a file"
                )),
            ),
            None => {
                self.seen.insert(name, name_node.pos.line);
            }
        }
    }
}

fn load_scenario(
    cx: &mut Cx<'_>,
    node: &Node,
    plan: &ScenarioContext<'_>,
    list: &mut ScenarioList,
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
    let skip = get(entries, "skip").and_then(|n| load_skip(cx, n));
    // The scenario's own variables, on top of the plan's (the command line still wins).
    let vars_node = get(entries, "vars");
    let vars = load_vars(cx, vars_node, plan.cli, plan.vars);
    let own: BTreeSet<String> = match vars_node.map(|n| &n.value) {
        Some(Value::Map(e)) => e.iter().map(|(k, _)| k.name.clone()).collect(),
        _ => BTreeSet::new(),
    };
    list.var_names.extend(own.iter().cloned());
    let scenario_vars: BTreeMap<String, String> = vars
        .values
        .iter()
        .filter(|(k, _)| own.contains(*k) && !plan.cli.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // A scenario variable made from a secret is as secret as one of the plan's.
    for (name, value) in &scenario_vars {
        if let Some(from) = vars.deps.get(name) {
            list.deps.push((from.clone(), value.clone()));
        }
    }
    let mut resolver = Resolver::new(&vars.values);
    resolver.names.extend(vars.broken.iter().cloned());
    let target = match get(entries, "target") {
        Some(n) => {
            let own = resolver.target(cx, n, "in `target`");
            super::socket::check_merged(cx, n, &own, plan.plan_target);
            Arc::new(own.or(plan.plan_target).finish())
        }
        None => Arc::clone(plan.target),
    };

    let mut steps = Vec::new();
    let mut known = resolver.names.clone();
    match get(entries, "steps") {
        None => cx.error(node, "a scenario needs `steps`", None),
        Some(steps_node) => {
            if let Some(items) = cx.list(steps_node, "`steps`") {
                if items.is_empty() {
                    cx.error(steps_node, "a scenario needs at least one step", None);
                }
                known.extend(BUILTIN_VARS.iter().map(|b| (*b).to_owned()));
                let mut loader = StepsLoader::new(
                    plan.lib,
                    StepLoader {
                        resolver: &resolver,
                    },
                    known,
                    &target,
                );
                loader.load_list(cx, items, None);
                steps = loader.steps;
                known = loader.known;
                // Kept for the whole run: no spare capacity (a plan may hold 10,000 of these).
                steps.shrink_to_fit();
            }
        }
    }
    let secrets = get(entries, "secrets").map(|node| {
        // The plan's spots end where this scenario's own begin; earlier scenarios' are not it.
        let plan_spots = cx
            .var_spots
            .get(..plan.plan_spots)
            .unwrap_or_default()
            .to_vec();
        let scope = SecretScope {
            vars: &vars,
            known: &known,
            own_vars: vars_node,
            plan_spots: &plan_spots,
        };
        load_scenario_secrets(cx, node, &scope)
    });
    let secret_names = secrets.map(|s| {
        list.secret_values.extend(s.values);
        list.secret_problems.extend(s.problems);
        Box::new(s.names)
    });
    Some(Scenario {
        name: name?,
        secret_names,
        tags,
        target,
        steps,
        vars: VarValues(scenario_vars),
        skip,
        span: Span {
            line: node.pos.line,
            col: node.pos.col,
        },
    })
}

/// `skip: REASON`: the scenario is reported as skipped, with the reason.
fn load_skip(cx: &mut Cx<'_>, node: &Node) -> Option<String> {
    let help = || Some("give the reason: `skip: \"the relay is down until #123 is fixed\"`".into());
    match &node.value {
        Value::Str(reason) if !reason.trim().is_empty() => Some(reason.clone()),
        Value::Str(_) | Value::Null => {
            cx.error(node, "`skip` needs a reason", help());
            None
        }
        _ => {
            cx.error(
                node,
                format!("`skip` takes the reason as text, found {}", node.kind()),
                help(),
            );
            None
        }
    }
}
