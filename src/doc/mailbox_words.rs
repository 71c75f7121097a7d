//! A `mailbox` step in words: "Wait up to 10s for the message sent above in every folder of
//! `${user}` at IMAP `mail.example.com:993` ...: it must arrive in INBOX, with header
//! `DKIM-Signature` ...".

use super::words::{and_list, code, credential_words, normalize, tpl, trust};
use crate::duration::format_duration;
use crate::model::{
    ImapTls, MailboxExpect, MailboxSource, MailboxSpec, Presence, Target, TextExpect,
};

pub(super) fn mailbox_words(m: &MailboxSpec, target: &Target) -> String {
    let which = match &m.message_id {
        Some(t) => format!("the message with Message-ID {}", code(&tpl(t))),
        None => "the message sent above (by its Message-ID)".to_owned(),
    };
    let folders = if m.folders.is_empty() {
        "every folder".to_owned()
    } else {
        and_list(&m.folders.iter().map(|f| code(f)).collect::<Vec<_>>())
    };
    let place = match &m.source {
        MailboxSource::Maildir(dir) => {
            format!(
                "the Maildir {}",
                code(&normalize(dir).display().to_string())
            )
        }
        MailboxSource::Imap(imap) => {
            let host = imap.host.clone().unwrap_or_else(|| target.host.clone());
            let tls = imap.tls.describe();
            let o = imap.tls_options.clone().or(&target.tls_options);
            let insecure = o.is_insecure();
            let name = imap.tls_options.server_name.clone().unwrap_or(host.clone());
            let ca = o.ca_file.as_ref();
            let checks = if imap.tls == ImapTls::None {
                String::new()
            } else {
                trust(insecure, ca, Some(&name))
            };
            format!(
                "{} (logged in as {} with {}) at IMAP {} ({tls}{checks})",
                "the account",
                code(&tpl(&imap.username)),
                credential_words("password", imap.password.expose()),
                code(&format!("{host}:{}", imap.port_or_default())),
            )
        }
    };
    let e = &m.expect;
    if !e.arrives {
        return format!(
            "Watch {folders} of {place} for {} (every {}): {which} must not arrive.",
            format_duration(m.within),
            format_duration(m.poll)
        );
    }
    format!(
        "Wait up to {} (looking every {}) for {which} in {folders} of {place}: {}.",
        format_duration(m.within),
        format_duration(m.poll),
        expect_words(e)
    )
}

fn text_words(what: &str, t: &TextExpect) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = &t.equals {
        out.push(format!("{what} equal to {}", code(&tpl(v))));
    }
    if let Some(v) = &t.contains {
        out.push(format!("{what} containing {}", code(&tpl(v))));
    }
    if let Some(re) = &t.matches {
        out.push(format!("{what} matching {}", code(re.as_str())));
    }
    if let Some(re) = &t.not_matches {
        out.push(format!("{what} not matching {}", code(re.as_str())));
    }
    for (name, re) in &t.capture {
        out.push(format!(
            "{} taken from {what} with {}",
            code(&format!("${{{name}}}")),
            code(re.as_str())
        ));
    }
    out
}

fn expect_words(e: &MailboxExpect) -> String {
    let mut parts = vec![match &e.folder {
        Some(f) => format!("it must arrive in {}", code(f)),
        None => "it must arrive".to_owned(),
    }];
    for h in &e.headers {
        let name = code(&h.name);
        match h.presence {
            Presence::Absent => parts.push(format!("without header {name}")),
            Presence::Present if h.text.is_empty() => {
                parts.push(format!("with header {name}"));
            }
            _ => {}
        }
        if let Some(c) = h.count {
            parts.push(format!("with {c} {name} header(s)"));
        }
        parts.extend(text_words(&format!("header {name}"), &h.text));
    }
    if let Some(b) = &e.body {
        parts.extend(text_words("the body", b));
    }
    for a in &e.attachments {
        parts.push(format!("with an {a}"));
    }
    if let Some(s) = &e.structure {
        parts.push(format!("with the MIME structure {}", code(s)));
    }
    parts.join(", ")
}
