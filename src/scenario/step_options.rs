//! Keys any step may carry besides its action and `expect`: `retry:` and `timeout:`
//! (extensions).

use std::time::Duration;

use super::context::{Cx, get, list_names};
use super::node::{Key, Node, Value};
use crate::model::Retry;

pub(crate) const STEP_OPTIONS: &[&str] = &["retry", "timeout"];
pub(crate) const RETRY_KEYS: &[&str] = &["count", "interval"];
/// Steps that may be retried: re-sending the command (or re-connecting) is harmless.
pub(crate) const RETRYABLE: &[&str] = &[
    "send",
    "ehlo",
    "helo",
    "lhlo",
    "noop",
    "rset",
    "vrfy",
    "etrn",
    "expn",
    "help",
    "mail_from",
    "rcpt_to",
    "connect",
];
pub(crate) const MAX_RETRIES: u32 = 100;
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// `retry:` and `timeout:` of a step whose action is `action` (its YAML key; `expect` for a
/// bare read; None if the action had problems).
pub(crate) fn load_step_options(
    cx: &mut Cx<'_>,
    entries: &[&(Key, Node)],
    action: Option<&str>,
) -> (Option<Retry>, Option<Duration>) {
    let mut retry = None;
    let mut timeout = None;
    for (key, value) in entries.iter().map(|e| (&e.0, &e.1)) {
        match key.name.as_str() {
            "retry" => {
                if let Some(action) = action
                    && !RETRYABLE.contains(&action)
                {
                    cx.error_key(
                        key,
                        format!("`{action}` cannot be retried"),
                        Some(format!(
                            "`retry` re-sends one command and checks its reply again; it works on {}",
                            list_names(RETRYABLE)
                        )),
                    );
                    continue;
                }
                retry = load_retry(cx, value);
            }
            "timeout" => {
                if action == Some("sleep") {
                    cx.error_key(
                        key,
                        "`sleep` reads no reply, so it cannot have `timeout`",
                        Some("the sleep lasts exactly its duration".into()),
                    );
                    continue;
                }
                timeout = cx.duration(value, "`timeout`");
                if timeout.is_some_and(|t| t.is_zero()) {
                    cx.error(value, "`timeout` must be more than zero", None);
                    timeout = None;
                }
            }
            _ => {}
        }
    }
    (retry, timeout)
}

/// `retry: N` or `retry: {count: N, interval: D}` (interval default 1s).
fn load_retry(cx: &mut Cx<'_>, node: &Node) -> Option<Retry> {
    let (count_node, interval) = match &node.value {
        Value::Map(entries) => {
            cx.check_keys(entries, RETRY_KEYS, "in `retry`");
            let interval = match get(entries, "interval") {
                Some(n) => cx.duration(n, "`interval`")?,
                None => DEFAULT_INTERVAL,
            };
            let Some(count) = get(entries, "count") else {
                cx.error(
                    node,
                    "`retry` needs `count`",
                    Some("e.g. `retry: {count: 3, interval: 500ms}`".into()),
                );
                return None;
            };
            (count, interval)
        }
        _ => (node, DEFAULT_INTERVAL),
    };
    let count = match &count_node.value {
        Value::Int(n) => u32::try_from(*n)
            .ok()
            .filter(|n| (1..=MAX_RETRIES).contains(n)),
        _ => None,
    };
    if count.is_none() {
        let written = count_node
            .scalar_text(cx.source)
            .unwrap_or_else(|| count_node.kind().to_owned());
        cx.error(
            count_node,
            format!("invalid retry count `{written}`"),
            Some(format!(
                "a count of retries after the first attempt, from 1 to {MAX_RETRIES}; e.g. `retry: {{count: 3, interval: 500ms}}`"
            )),
        );
    }
    Some(Retry {
        count: count?,
        interval,
    })
}
