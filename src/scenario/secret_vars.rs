//! Secret variables that cannot work: an empty value (the way CI passes a secret it does not
//! have) is a load error naming the variable, and the help for a secret that is missing points
//! at `--secret` / `--secrets-file`, never at a default written in the plan.

use std::collections::{BTreeMap, BTreeSet};

use super::context::{Cx, get};
use super::diagnostic::Diagnostic;
use super::node::{Key, Node, Value};

/// How to give a secret its value.
pub(crate) fn secret_help(name: &str) -> String {
    format!(
        "pass it with `--secret {name}=VALUE` or in a `--secrets-file` (a default written in the plan would not be secret)"
    )
}

/// Report each secret whose value is empty: at its entry under the plan's `vars:` when it has
/// one, else at its item in `secrets:`, else (a name given only on the command line) without a
/// position.
pub(crate) fn check_empty_secrets(
    cx: &mut Cx<'_>,
    plan: &[(Key, Node)],
    names: &BTreeSet<String>,
    values_of: &BTreeMap<String, Vec<String>>,
) {
    let vars = get(plan, "vars").and_then(|n| match &n.value {
        Value::Map(entries) => Some(entries.as_slice()),
        _ => None,
    });
    let listed = get(plan, "secrets").and_then(|n| match &n.value {
        Value::Seq(items) => Some(items.as_slice()),
        _ => None,
    });
    for name in names {
        let empty = values_of
            .get(name)
            .is_some_and(|values| values.iter().any(String::is_empty));
        if !empty {
            continue;
        }
        let message = format!("secret `{name}` is empty");
        let help = Some(format!(
            "a CI system passes a secret it does not have as an empty string; {}",
            secret_help(name)
        ));
        let entry = vars.and_then(|e| e.iter().find(|(k, _)| k.name == *name));
        let item = listed.and_then(|items| {
            items
                .iter()
                .find(|i| matches!(&i.value, Value::Str(s) if s == name))
        });
        match (entry, item) {
            (Some((_, value)), _) => cx.error(value, message, help),
            (None, Some(item)) => cx.error(item, message, help),
            (None, None) => cx
                .diags
                .push(Diagnostic::without_position(cx.path, message, help)),
        }
    }
}

/// A secret variable of the plan's `vars:` whose `${env:..}` is unset: the help says how to
/// pass a secret instead of suggesting a default.
pub(crate) fn secret_env_hints(cx: &mut Cx<'_>, plan: &[(Key, Node)], names: &BTreeSet<String>) {
    let Some(Value::Map(entries)) = get(plan, "vars").map(|n| &n.value) else {
        return;
    };
    for (key, value) in entries {
        if !names.contains(&key.name) {
            continue;
        }
        for d in &mut cx.diags {
            let on_value = d.path == cx.path && d.line == value.pos.line;
            if on_value && d.message.starts_with("environment variable `") {
                if let Some((head, _)) = d.message.split_once(" (give a default") {
                    d.message = head.to_owned();
                }
                d.help = Some(format!(
                    "`{}` is a secret: set the environment variable, or {}",
                    key.name,
                    secret_help(&key.name)
                ));
            }
        }
    }
}

/// When the plan's `secrets:` is not a list of names, its `vars:` not a mapping, or a secret's
/// value not a scalar, which values are secret is not known: every text under `vars:` is then
/// kept out of the load errors (their quoted lines and messages). The plan does not load
/// anyway, so masking a value that was not secret costs nothing.
pub(crate) fn mask_vars_when_unsure(
    cx: &mut Cx<'_>,
    plan: &[(Key, Node)],
    names: &BTreeSet<String>,
) {
    let names_ok = get(plan, "secrets").is_none_or(|n| match &n.value {
        Value::Seq(items) => items.iter().all(|i| matches!(i.value, Value::Str(_))),
        _ => false,
    });
    let vars = get(plan, "vars");
    let values_ok = match vars.map(|n| &n.value) {
        None | Some(Value::Null) => true,
        Some(Value::Map(entries)) => entries
            .iter()
            .filter(|(k, _)| names.contains(&k.name))
            .all(|(_, v)| !matches!(v.value, Value::Seq(_) | Value::Map(_))),
        Some(_) => false,
    };
    if names_ok && values_ok {
        return;
    }
    if let Some(node) = vars {
        collect_texts(node, &mut cx.secrets);
    }
}

pub(crate) fn collect_texts(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Str(s) => out.push(s.clone()),
        Value::Seq(items) => items.iter().for_each(|n| collect_texts(n, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, n)| collect_texts(n, out)),
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
    }
}
