//! Structured messages (`data: {headers, body, attachments}`) as MIME text, built with
//! `mail-builder`. `Date` and `Message-ID` are added when the headers lack them.

use mail_builder::MessageBuilder;
use mail_builder::headers::HeaderType;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;

/// A file attached to a message.
#[derive(Debug, Clone, Copy)]
pub struct MimeAttachment<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

/// Headers whose value is an address list: written as given (never RFC 2047-encoded whole).
const ADDRESS_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "sender",
    "date",
    "message-id",
];

/// The message as text with CRLF line ends. `headers` are written in order (non-ASCII text
/// is RFC 2047-encoded, except in address headers); `date` and `message_id` fill in
/// `Date` and `Message-ID` when missing. With attachments the body is `multipart/mixed`.
pub fn build_message(
    headers: &[(String, String)],
    body: &str,
    attachments: &[MimeAttachment<'_>],
    date: &str,
    message_id: &str,
) -> String {
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut builder = MessageBuilder::new();
    if !has("Date") {
        builder = builder.header("Date", HeaderType::Raw(Raw::new(date.to_owned())));
    }
    if !has("Message-ID") {
        builder = builder.header(
            "Message-ID",
            HeaderType::Raw(Raw::new(message_id.to_owned())),
        );
    }
    for (name, value) in headers {
        let value = if ADDRESS_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            HeaderType::Raw(Raw::new(value.clone()))
        } else {
            HeaderType::Text(Text::new(value.clone()))
        };
        // mail-builder recognises its own spellings; ours are passed as written.
        builder = builder.header(canonical_name(name), value);
    }
    builder = builder.text_body(body.to_owned());
    for a in attachments {
        builder = builder.attachment(
            a.content_type.to_owned(),
            a.name.to_owned(),
            a.content.to_vec(),
        );
    }
    let mut out = Vec::new();
    builder.serialize(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `date` -> `Date`, `message-id` -> `Message-ID`: so mail-builder does not add its own.
fn canonical_name(name: &str) -> String {
    if name.eq_ignore_ascii_case("Date") {
        "Date".to_owned()
    } else if name.eq_ignore_ascii_case("Message-ID") {
        "Message-ID".to_owned()
    } else if name.eq_ignore_ascii_case("MIME-Version") {
        "MIME-Version".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn adds_date_and_message_id_when_missing() {
        let m = build_message(
            &headers(&[("Subject", "hi"), ("From", "a@b.test")]),
            "body\n",
            &[],
            "Fri, 1 Jan 2021 00:00:00 +0000",
            "<x@smtp-plan>",
        );
        assert!(
            m.contains("Date: Fri, 1 Jan 2021 00:00:00 +0000\r\n"),
            "{m}"
        );
        assert!(m.contains("Message-ID: <x@smtp-plan>\r\n"), "{m}");
        assert!(m.contains("Subject: hi\r\n"), "{m}");
        assert!(m.contains("From: a@b.test\r\n"), "{m}");
        assert!(m.contains("\r\n\r\nbody"), "{m}");
        assert_eq!(m.matches("Date:").count(), 1, "{m}");
    }

    #[test]
    fn keeps_given_date_and_message_id() {
        let m = build_message(
            &headers(&[
                ("date", "Mon, 3 Mar 2025 11:06:40 +0000"),
                ("message-id", "<mine@x>"),
            ]),
            "b",
            &[],
            "Fri, 1 Jan 2021 00:00:00 +0000",
            "<x@smtp-plan>",
        );
        assert_eq!(m.matches("Date:").count(), 1, "{m}");
        assert!(m.contains("Date: Mon, 3 Mar 2025 11:06:40 +0000"), "{m}");
        assert!(m.contains("Message-ID: <mine@x>"), "{m}");
        assert!(!m.contains("smtp-plan>"), "{m}");
    }

    #[test]
    fn attachments_make_a_multipart_message() {
        let pdf = b"%PDF-1.4 fake";
        let m = build_message(
            &headers(&[("Subject", "Grüße")]),
            "see attached",
            &[MimeAttachment {
                name: "x.pdf",
                content_type: "application/pdf",
                content: pdf,
            }],
            "d",
            "<m@smtp-plan>",
        );
        assert!(m.contains("multipart/mixed"), "{m}");
        assert!(m.contains("application/pdf"), "{m}");
        assert!(m.contains("x.pdf"), "{m}");
        assert!(m.contains("Subject: =?utf-8?"), "{m}");
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(pdf);
        assert!(m.contains(&b64), "{m}");
    }
}
