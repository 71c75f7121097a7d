//! A delivered message, parsed with mail-parser into what a `mailbox` step checks: its headers
//! (in order, unfolded), its text body, its attachments and its MIME structure.

use mail_parser::{HeaderValue, Message, MessageParser, MessagePart, MimeHeaders as _, PartType};

/// An attachment as the message carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// The file name (Content-Disposition `filename`, else Content-Type `name`), if any.
    pub name: Option<String>,
    /// `type/subtype`, lowercase.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
}

impl std::fmt::Display for AttachmentInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, {} bytes)",
            self.name.as_deref().unwrap_or("(no name)"),
            self.content_type,
            self.size
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Delivered {
    /// The top-level header fields in order: the name as written, the value unfolded (RFC 2047
    /// words decoded in unstructured fields such as Subject, and in every field mail-parser
    /// does not know, such as X-Spam-Status or a token in X-Whatever).
    pub headers: Vec<(String, String)>,
    /// The first text body, decoded (an HTML-only message: its text); empty when none.
    pub body: String,
    pub attachments: Vec<AttachmentInfo>,
    /// e.g. `multipart/mixed(text/plain, application/pdf)`.
    pub structure: String,
    /// Size of the raw message in bytes.
    pub size: usize,
}

impl Delivered {
    /// The values of every field called `name` (case-insensitive), top first.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The Message-ID of a message (or of its header block), with angle brackets.
pub fn parse_message_id(raw: &[u8]) -> Option<String> {
    let message = MessageParser::new().parse_headers(raw)?;
    message.message_id().map(bracketed)
}

/// Parse a delivered message. A message mail-parser cannot read at all gives an empty result
/// with only its size (its checks then fail with what is missing).
pub fn parse_delivered(raw: &[u8]) -> Delivered {
    let Some(message) = parser().parse(raw) else {
        return Delivered {
            size: raw.len(),
            ..Delivered::default()
        };
    };
    let root = message.root_part();
    let block = header_block_end(raw);
    let headers = root
        .headers()
        .iter()
        .filter(|h| usize::try_from(h.offset_field).is_ok_and(|at| at < block))
        .map(|h| {
            let start = usize::try_from(h.offset_start).unwrap_or(usize::MAX);
            let end = usize::try_from(h.offset_end).unwrap_or(usize::MAX);
            let written = raw
                .get(start..end)
                .map(|b| unfold(&String::from_utf8_lossy(b)))
                .unwrap_or_default();
            let value = match (&h.value, written.contains("=?")) {
                (HeaderValue::Text(t), true) => t.to_string(),
                _ => written,
            };
            (h.name.as_str().to_owned(), value)
        })
        .collect();
    let attachments = message
        .attachments()
        .map(|part| AttachmentInfo {
            name: part.attachment_name().map(str::to_owned),
            content_type: content_type(part),
            size: u64::try_from(part.contents().len()).unwrap_or(u64::MAX),
        })
        .collect();
    Delivered {
        headers,
        body: message
            .body_text(0)
            .map(|b| b.into_owned())
            .unwrap_or_default(),
        attachments,
        structure: structure(&message, 0, 0),
        size: raw.len(),
    }
}

/// Where the header block ends: at the empty line, or at the first line that is neither a
/// field (`Name: value`) nor its continuation. mail-parser reads on past such a line, but a
/// server (Postfix, a DKIM verifier) takes it as the start of the body: a "header" after it is
/// body text, and a header check must not find it.
fn header_block_end(raw: &[u8]) -> usize {
    let mut at = 0;
    while at < raw.len() {
        let rest = raw.get(at..).unwrap_or_default();
        let len = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let line = rest.get(..len).unwrap_or_default();
        let text = line
            .strip_suffix(b"\n")
            .map_or(line, |l| l.strip_suffix(b"\r").unwrap_or(l));
        let continuation = matches!(text.first(), Some(b' ' | b'\t')) && at > 0;
        let field = text.iter().position(|&b| b == b':').is_some_and(|colon| {
            colon > 0
                && text
                    .get(..colon)
                    .is_some_and(|name| name.iter().all(|b| (33..=126).contains(b)))
        });
        if text.is_empty() || !(continuation || field) {
            return at;
        }
        at += len;
    }
    raw.len()
}

/// mail-parser's own choice of parser for each field it knows (what it does when given no
/// map), and for every other field the text parser, so that encoded words in X-Spam-Status or
/// a token in an X- header are decoded: its default keeps them raw.
fn parser() -> MessageParser {
    use mail_parser::HeaderName as H;
    let mut p = MessageParser::new()
        .with_mime_headers()
        .with_date_headers()
        .with_address_headers()
        .with_message_ids()
        .header_text(H::Subject)
        .header_text(H::Comments)
        .header_id(H::ReturnPath)
        .header_id(H::ContentId)
        .header_comma_separated(H::Keywords)
        .header_comma_separated(H::ContentLanguage)
        .header_received(H::Received)
        .header_raw(H::MimeVersion);
    for list in [
        H::ListArchive,
        H::ListHelp,
        H::ListId,
        H::ListOwner,
        H::ListPost,
        H::ListSubscribe,
        H::ListUnsubscribe,
    ] {
        p = p.header_address(list);
    }
    p.default_header_text()
}

/// A header value as written, its line breaks removed (RFC 5322 unfolding) and trimmed.
fn unfold(text: &str) -> String {
    text.replace("\r\n", "").replace('\n', "").trim().to_owned()
}

fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => match part.body {
            PartType::Message(_) => "message/rfc822".to_owned(),
            PartType::Multipart(_) => "multipart/mixed".to_owned(),
            _ => "text/plain".to_owned(),
        },
    }
}

/// The MIME tree of `message` from part `id`, as `type/sub(child, child)`; bounded in depth.
fn structure(message: &Message<'_>, id: u32, depth: usize) -> String {
    let Some(part) = message.part(id) else {
        return String::new();
    };
    let ct = content_type(part);
    if depth > 20 {
        return ct;
    }
    match &part.body {
        PartType::Multipart(children) => {
            let inner: Vec<String> = children
                .iter()
                .map(|c| structure(message, *c, depth + 1))
                .collect();
            format!("{ct}({})", inner.join(", "))
        }
        PartType::Message(nested) => format!("{ct}({})", structure(nested, 0, depth + 1)),
        _ => ct,
    }
}

/// `<id@host>` with the angle brackets, however it was given.
pub fn bracketed(id: &str) -> String {
    let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{bare}>")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const MIXED: &str = "Return-Path: <alice@example.test>\r\nReceived: from a by b\r\n\tid 1;\r\n Mon, 1 Jan 2024\r\nReceived: from c by d\r\nMessage-ID: <x1@smtp-plan>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello =C3=A4\r\n--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n";

    #[test]
    fn headers_body_attachments_and_structure() {
        let d = parse_delivered(MIXED.as_bytes());
        assert_eq!(d.header_values("received").len(), 2);
        assert_eq!(
            d.header_values("Received")[0],
            "from a by b\tid 1; Mon, 1 Jan 2024"
        );
        assert_eq!(d.header_values("subject"), vec!["Grüße"]);
        assert_eq!(d.header_values("Return-Path"), vec!["<alice@example.test>"]);
        assert_eq!(d.body.trim_end(), "Hello ä");
        assert_eq!(
            d.attachments,
            vec![AttachmentInfo {
                name: Some("r.pdf".into()),
                content_type: "application/pdf".into(),
                size: 9,
            }]
        );
        assert_eq!(d.structure, "multipart/mixed(text/plain, application/pdf)");
    }

    #[test]
    fn encoded_words_are_decoded_in_fields_mail_parser_does_not_know() {
        let raw = "X-Token: =?utf-8?B?VMO2a+KCrG4=?=\r\nX-Spam-Status: =?us-ascii?Q?Yes,_score=3D7.3?=\r\nX-Plain: a=?b\r\nMessage-ID: <t@x>\r\n\r\nbody\r\n";
        let d = parse_delivered(raw.as_bytes());
        assert_eq!(d.header_values("x-token"), vec!["Tök€n"]);
        assert_eq!(d.header_values("X-Spam-Status"), vec!["Yes, score=7.3"]);
        assert_eq!(d.header_values("X-Plain"), vec!["a=?b"]);
    }

    #[test]
    fn message_id_with_brackets() {
        assert_eq!(
            parse_message_id(b"Subject: x\r\nMessage-Id: <a.b@c>\r\n\r\nbody").as_deref(),
            Some("<a.b@c>")
        );
        assert_eq!(parse_message_id(b"Subject: x\r\n\r\n"), None);
    }

    #[test]
    fn a_field_after_a_line_that_is_no_header_is_body_text() {
        let d = parse_delivered(
            b"Message-ID: <a@b>\r\nSubject: x\r\n folded\r\nthis line is body text\r\nDKIM-Signature: v=1\r\n\r\nbody\r\n",
        );
        assert_eq!(d.header_values("Subject"), vec!["x folded"]);
        assert!(
            d.header_values("DKIM-Signature").is_empty(),
            "{:?}",
            d.headers
        );
        // A well-formed message keeps every field, up to the empty line only.
        let d = parse_delivered(b"A: 1\nB: 2\n\nC: 3\n");
        assert_eq!(d.headers.len(), 2, "{:?}", d.headers);
        assert_eq!(header_block_end(b"A: 1\r\n\r\nC: 3"), 6);
        assert_eq!(header_block_end(b"A: 1"), 4);
        assert_eq!(header_block_end(b"no header\r\n"), 0);
    }

    #[test]
    fn a_plain_message_is_text_plain() {
        let d = parse_delivered(b"Subject: hi\r\n\r\nbody\r\n");
        assert_eq!(d.structure, "text/plain");
        assert!(d.attachments.is_empty());
        assert_eq!(d.body, "body\r\n");
    }
}
