//! `pipeline: [..]` (RFC 2920, extension): a group of commands sent in one write, each with its
//! own expectation, checked in order.

use super::context::Cx;
use super::node::{Key, Node, Value};
use crate::model::{Action, Step};

/// The commands a pipelined group may hold; `data` only last.
pub(crate) const PIPELINE_ITEMS: &[&str] = &["mail_from", "rcpt_to", "data", "rset", "noop"];

/// A step as loaded (`None` if it had problems, all reported) and the names its `capture`
/// sets.
type Loaded = (Option<Step>, Vec<String>);

/// The items of `pipeline:`, each loaded as a step by `load_step` (the step loader, so each
/// has its own `expect`, default included: a pipeline holds steps, and a step may be a
/// pipeline), and the names their `capture`s set.
pub(crate) fn load_pipeline(
    cx: &mut Cx<'_>,
    key: &Key,
    value: &Node,
    load_step: &mut dyn FnMut(&mut Cx<'_>, &Node) -> Loaded,
) -> (Option<Action>, Vec<String>) {
    let Value::Seq(items) = &value.value else {
        cx.error(
            value,
            format!("`pipeline` takes a list of commands, found {}", value.kind()),
            Some("e.g. `pipeline: [{mail_from: a@example.com}, {rcpt_to: b@example.com}, {data: ..}]`".into()),
        );
        return (None, Vec::new());
    };
    if items.is_empty() {
        cx.error_key(key, "`pipeline` lists no command", None);
        return (None, Vec::new());
    }
    let before = cx.diags.len();
    let mut steps = Vec::new();
    let mut captures = Vec::new();
    let last = items.len() - 1;
    for (i, item) in items.iter().enumerate() {
        let (step, names) = load_step(cx, item);
        captures.extend(names);
        let Some(step) = step else { continue };
        let name = step.action.keyword();
        if !PIPELINE_ITEMS.contains(&name) || matches!(step.action, Action::Read) {
            cx.error(
                item,
                format!("`{name}` cannot be pipelined"),
                Some(
                    "a pipelined group holds `mail_from`, `rcpt_to`, `rset`, `noop` and, last, `data`"
                        .into(),
                ),
            );
            continue;
        }
        if matches!(step.action, Action::Data(_)) && i != last {
            cx.error(
                item,
                "`data` must be the last command of a pipelined group",
                Some("RFC 2920: the message cannot be sent before the server's 354".into()),
            );
            continue;
        }
        if step.retry.is_some() || step.timeout.is_some() || step.send_anyway {
            cx.error(
                item,
                "`retry`, `timeout` and `send_anyway` cannot be set on one command of a pipelined group",
                Some("`timeout` and `send_anyway` go on the `pipeline` step".into()),
            );
            continue;
        }
        steps.push(step);
    }
    let action = (cx.diags.len() == before).then_some(Action::Pipeline(steps));
    (action, captures)
}
