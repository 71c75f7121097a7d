//! `data:` as a mapping (extensions): the message from a file (`{file, raw}`), or a structured
//! message (`{headers, body, attachments}`) that the runner builds as MIME.

use std::path::Path;
use std::sync::Arc;

use super::context::{Cx, VarScope, get};
use super::node::{Key, Node};
use crate::files::MAX_MESSAGE_BYTES;
use crate::model::{Attachment, DataSpec, MimeSpec};

pub(crate) const DATA_KEYS: &[&str] = &["file", "raw", "headers", "body", "attachments"];
pub(crate) const ATTACHMENT_KEYS: &[&str] = &["file", "content_type", "name"];

/// `data: {file: F, raw: B}` or `data: {headers: {..}, body: .., attachments: [..]}`.
pub(crate) fn load_data_map(
    cx: &mut Cx<'_>,
    key: &Key,
    entries: &[(Key, Node)],
    scope: &VarScope<'_>,
) -> Option<DataSpec> {
    cx.check_keys(entries, DATA_KEYS, "in `data`");
    if let Some(file) = get(entries, "file") {
        let mut ok = true;
        for (k, _) in entries {
            if ["headers", "body", "attachments"].contains(&k.name.as_str()) {
                cx.error_key(
                    k,
                    format!("`{}` cannot be combined with `file`", k.name),
                    Some("`file` is the whole message, headers included".into()),
                );
                ok = false;
            }
        }
        let raw = match get(entries, "raw") {
            Some(n) => cx.bool(n, "`raw`")?,
            None => false,
        };
        let message = super::message_file::load_message_file(cx, file, raw, scope)?;
        return ok.then_some(DataSpec::File(message));
    }
    if let Some((raw_key, _)) = entries.iter().find(|(k, _)| k.name == "raw") {
        cx.error_key(
            raw_key,
            "`raw` only applies to `file`",
            Some("`raw: true` sends a message file without `${..}` substitution".into()),
        );
        return None;
    }
    if !["headers", "body", "attachments"]
        .iter()
        .any(|k| get(entries, k).is_some())
    {
        cx.error_key(
            key,
            "`data` needs `file`, or `headers` and `body`",
            Some(
                "write `data: {file: message.eml}` or `data: {headers: {Subject: ..}, body: ..}`"
                    .into(),
            ),
        );
        return None;
    }
    let before = cx.diags.len();
    let mut spec = MimeSpec::default();
    if let Some(headers) = get(entries, "headers").and_then(|n| cx.map(n, "`headers`")) {
        for (name, value) in headers {
            if !valid_header_name(&name.name) {
                cx.error_key(
                    name,
                    format!("`{}` is not a valid header name", name.name),
                    Some("a header name is printable ASCII without spaces or `:`".into()),
                );
                continue;
            }
            if let Some(t) = cx.template_in(value, &format!("header `{}`", name.name), scope) {
                spec.headers.push((name.name.clone(), t));
            }
        }
    }
    if let Some(body) = get(entries, "body") {
        spec.body = cx.template_in(body, "`body`", scope);
    }
    if let Some(items) = get(entries, "attachments").and_then(|n| cx.list(n, "`attachments`")) {
        for item in items {
            if let Some(a) = load_attachment(cx, item) {
                spec.attachments.push(a);
            }
        }
    }
    (cx.diags.len() == before).then_some(DataSpec::Mime(spec))
}

fn valid_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

/// A file's bytes (relative to the file being loaded, under the file root), problems at `node`.
fn read_file(cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<(std::path::PathBuf, Vec<u8>)> {
    let text = cx.text(node, what)?;
    let file = cx.read_named_file(node, &text, what, MAX_MESSAGE_BYTES)?;
    Some((file.path, file.bytes))
}

fn load_attachment(cx: &mut Cx<'_>, node: &Node) -> Option<Attachment> {
    let entries = cx.map(node, "an attachment")?;
    cx.check_keys(entries, ATTACHMENT_KEYS, "in an attachment");
    let Some(file) = get(entries, "file") else {
        cx.error(
            node,
            "an attachment needs `file`",
            Some("e.g. `- {file: report.pdf, content_type: application/pdf}`".into()),
        );
        return None;
    };
    let content_type = match get(entries, "content_type") {
        Some(n) => {
            let ct = cx.text(n, "`content_type`")?;
            if !ct.contains('/') || ct.contains(char::is_whitespace) {
                cx.error(
                    n,
                    format!("invalid content type `{ct}`"),
                    Some("write a MIME type like `application/pdf`".into()),
                );
                return None;
            }
            Some(ct)
        }
        None => None,
    };
    let name = match get(entries, "name") {
        Some(n) => Some(cx.text(n, "`name`")?),
        None => None,
    };
    let (path, bytes) = read_file(cx, file, "the attachment")?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    Some(Attachment {
        content_type: content_type.unwrap_or_else(|| guess_content_type(&path).to_owned()),
        name: name.unwrap_or(file_name),
        content: Arc::from(bytes),
    })
}

/// A content type from the file extension, for the common cases.
fn guess_content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "htm" | "html" => "text/html",
        "csv" => "text/csv",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "eml" => "message/rfc822",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names() {
        assert!(valid_header_name("X-Test"));
        assert!(!valid_header_name("X Test"));
        assert!(!valid_header_name("X:"));
        assert!(!valid_header_name(""));
    }

    #[test]
    fn content_types_from_extensions() {
        assert_eq!(guess_content_type(Path::new("a/b.PDF")), "application/pdf");
        assert_eq!(
            guess_content_type(Path::new("x")),
            "application/octet-stream"
        );
    }
}
