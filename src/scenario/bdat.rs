//! `bdat:` (RFC 3030 CHUNKING, extension): a message like `data:`'s, sent in BDAT chunks whose
//! sizes are given (`chunk_size`, `chunks`) or automatic.

use super::context::{Cx, VarScope, get};
use super::message::load_data_map;
use super::node::{Key, Node, Value};
use crate::model::{Action, BdatSpec, Chunking, DataSpec};

/// Step keys that only a `bdat` step may have.
pub(crate) const BDAT_OPTIONS: &[&str] = &["chunk_size", "chunks"];
/// The automatic chunk size.
pub const AUTO_CHUNK: usize = 64 * 1024;
/// The largest chunk size a plan may ask for (a chunk is streamed in 64 KiB pieces whatever
/// its size).
const MAX_CHUNK: i128 = 32 * 1024 * 1024;

/// `bdat: TEXT` or `bdat: {file, raw}` / `{headers, body, attachments}`, with the step's
/// `chunk_size` or `chunks` (`entries` are the whole step's).
pub(crate) fn load_bdat(
    cx: &mut Cx<'_>,
    key: &Key,
    value: &Node,
    entries: &[(Key, Node)],
    scope: &VarScope<'_>,
) -> Option<Action> {
    let message = match &value.value {
        Value::Null => {
            cx.error_key(
                key,
                "step `bdat` needs a value",
                Some("write `- bdat: |` with the message on the following lines, indented".into()),
            );
            return None;
        }
        Value::Map(map) => load_data_map(cx, key, map, scope),
        _ => cx.template_in(value, "`bdat`", scope).map(DataSpec::Text),
    };
    let chunking = match (get(entries, "chunk_size"), get(entries, "chunks")) {
        (Some(_), Some(n)) => {
            cx.error(
                n,
                "`chunk_size` and `chunks` cannot both be given",
                Some(
                    "`chunk_size: N` cuts every chunk to N bytes; `chunks: [..]` lists the sizes"
                        .into(),
                ),
            );
            None
        }
        (Some(n), None) => chunk(cx, n, "`chunk_size`", 1).map(Chunking::Size),
        (None, Some(n)) => {
            let items = cx.list(n, "`chunks`")?;
            if items.is_empty() {
                cx.error(n, "`chunks` lists no size", None);
                return None;
            }
            let sizes: Vec<Option<usize>> = items
                .iter()
                .map(|i| chunk(cx, i, "chunk size", 0))
                .collect();
            sizes
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .map(Chunking::Sizes)
        }
        (None, None) => Some(Chunking::Auto),
    };
    Some(Action::Bdat(Box::new(BdatSpec {
        message: message?,
        chunking: chunking?,
    })))
}

fn chunk(cx: &mut Cx<'_>, node: &Node, what: &str, min: i128) -> Option<usize> {
    match &node.value {
        Value::Int(n) if (min..=MAX_CHUNK).contains(n) => usize::try_from(*n).ok(),
        _ => {
            let written = node
                .scalar_text(cx.source)
                .unwrap_or_else(|| node.kind().to_owned());
            cx.error(
                node,
                format!("invalid {what} `{written}`"),
                Some(format!(
                    "a number of bytes from {min} to {MAX_CHUNK}, like `1000`"
                )),
            );
            None
        }
    }
}
