//! A scenario's own `secrets:`: names of variables the scenario sees (its own `vars:`, the
//! plan's, an included file's, the command line's) or of values its steps capture, held secret
//! with every rule of the plan's `secrets:` — an unknown name, an empty value or one shorter
//! than a secret may be is a load error at its line and column, and the value (and every
//! variable made from it) is masked in every output of the plan, from the first step: where
//! the value appears, not only in this scenario.

use std::collections::BTreeSet;

use super::context::{Cx, Spot};
use super::diagnostic::{Diagnostic, did_you_mean};
use super::node::{Node, Value};
use super::secret_vars::{collect_texts, secret_help};
use super::vars::Vars;
use crate::model::BUILTIN_VARS;

/// What a scenario's `secrets:` gave the plan.
#[derive(Default)]
pub(super) struct ScenarioSecrets {
    /// The names listed (variables and captures), for the run: a value captured under one of
    /// them is secret from its capture on.
    pub names: BTreeSet<String>,
    /// The values to mask in the whole plan: the listed variables' values in this scenario
    /// and those of the variables made from them.
    pub values: Vec<String>,
    /// Problems with a listed variable's value (empty, too short), by name: the plan drops
    /// them for a name its own `secrets:` lists (reported there already).
    pub problems: Vec<(String, Diagnostic)>,
}

/// Where the scenario's variables are, to check its `secrets:` against them.
pub(super) struct SecretScope<'a> {
    /// The variables the scenario sees, resolved.
    pub vars: &'a Vars,
    /// Every name its steps may use: variables, captures and `tls.*`.
    pub known: &'a BTreeSet<String>,
    /// The scenario's own `vars:` node.
    pub own_vars: Option<&'a Node>,
    /// Where the values of the plan's (and included files') variables are written.
    pub plan_spots: &'a [(String, Spot)],
}

/// Load a scenario's `secrets:` node.
pub(super) fn load_scenario_secrets(
    cx: &mut Cx<'_>,
    node: &Node,
    scope: &SecretScope<'_>,
) -> ScenarioSecrets {
    let mut out = ScenarioSecrets::default();
    let Some(items) = cx.list(node, "`secrets`") else {
        mask_all(cx, scope);
        return out;
    };
    let known = || {
        scope
            .known
            .iter()
            .map(String::as_str)
            .filter(|n| !BUILTIN_VARS.contains(n))
    };
    for item in items {
        let Some(name) = cx.text(item, "a secret's name") else {
            mask_all(cx, scope);
            continue;
        };
        if !known().any(|k| k == name) {
            let help = match did_you_mean(&name, known()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "{}, define `{name}` under the scenario's (or the plan's) `vars:`, or capture it in a step of this scenario; a misspelled secret would be printed in clear",
                    secret_help(&name)
                ),
            };
            cx.error(
                item,
                format!("secret `{name}` is not a variable of this scenario"),
                Some(help),
            );
            continue;
        }
        out.names.insert(name.clone());
        variable(cx, item, &name, scope, &mut out);
    }
    out
}

/// The value of one listed variable (none for a capture) and those made from it.
fn variable(
    cx: &mut Cx<'_>,
    item: &Node,
    name: &str,
    scope: &SecretScope<'_>,
    out: &mut ScenarioSecrets,
) {
    let own = match scope.own_vars.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries.iter().find(|(k, _)| k.name == name),
        _ => None,
    };
    if let Some((_, value)) = own {
        if matches!(value.value, Value::Seq(_) | Value::Map(_)) {
            // Reported by `vars:`; which texts are secret is not known.
            mask_all(cx, scope);
            return;
        }
        cx.secret_spot(value);
    } else if let Some((_, spot)) = scope.plan_spots.iter().rev().find(|(n, _)| n == name) {
        cx.secret_spots.push(spot.clone());
    }
    let Some(value) = scope.vars.values.get(name) else {
        // A capture, or a variable whose value had a problem (reported already).
        return;
    };
    let at = own.map_or(item, |(_, v)| v);
    let problem = if value.is_empty() {
        if !cx.files.check_tls_files {
            return;
        }
        Some((
            format!("secret `{name}` is empty"),
            format!(
                "a CI system passes a secret it does not have as an empty string; {}",
                secret_help(name)
            ),
        ))
    } else if let Err(why) = crate::redact::check_secret_length(value) {
        // Not masked everywhere (it would mangle the output), but in quoted plan lines.
        cx.literal_secrets.push(value.clone());
        Some((
            format!("the value of secret `{name}` {why}"),
            format!(
                "give `{name}` a longer value; for a wrong-password test use a wrong value of {} or more characters",
                crate::redact::MIN_SECRET_CHARS
            ),
        ))
    } else {
        None
    };
    if let Some((message, help)) = problem {
        let before = cx.diags.len();
        cx.error(at, message, Some(help));
        for d in cx.diags.split_off(before) {
            out.problems.push((name.to_owned(), d));
        }
        return;
    }
    let made_from = scope
        .vars
        .deps
        .iter()
        .filter(|(_, from)| from.contains(name))
        .filter_map(|(var, _)| scope.vars.values.get(var));
    for v in std::iter::once(value).chain(made_from) {
        if crate::redact::check_secret_length(v).is_ok() && !out.values.contains(v) {
            out.values.push(v.clone());
        }
    }
}

/// Which values are secret is not known (`secrets:` is not a list of names, or a secret's
/// value is not a scalar): every text under the scenario's `vars:` is kept out of the load
/// errors. The plan does not load anyway.
fn mask_all(cx: &mut Cx<'_>, scope: &SecretScope<'_>) {
    if let Some(node) = scope.own_vars {
        collect_texts(node, &mut cx.secrets);
    }
    cx.secrets.extend(
        scope
            .plan_spots
            .iter()
            .filter_map(|(n, _)| scope.vars.values.get(n).cloned()),
    );
}
