//! `doc` wording for the SMTP extension steps (ETRN, EXPN, HELP, several recipients, the
//! first-class ESMTP parameters, HELO fallback).

use super::asserts::expect_words;
use super::words::{code, tpl};
use crate::model::{Action, Chunking, DataSpec, Envelope, EsmtpParam, ParamValue, Step};

/// The sentence for an extension step; None for the other steps.
pub(super) fn step_words(step: &Step, expect: &str) -> Option<String> {
    Some(match &step.action {
        Action::Etrn(t) => format!("Send {}: {expect}.", code(&format!("ETRN {}", tpl(t)))),
        Action::Expn(t) => format!("Send {}: {expect}.", code(&format!("EXPN {}", tpl(t)))),
        Action::Help(None) => format!("Send {}: {expect}.", code("HELP")),
        Action::Help(Some(t)) => format!("Send {}: {expect}.", code(&format!("HELP {}", tpl(t)))),
        Action::EhloFallback(t) => format!(
            "Say {} (and {} if the server refuses EHLO with 5xx): {expect}.",
            code(&format!("EHLO {}", tpl(t))),
            code(&format!("HELO {}", tpl(t)))
        ),
        Action::RcptToMany(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    let own = r
                        .expect
                        .as_ref()
                        .map(|e| format!(" ({})", expect_words(e)))
                        .unwrap_or_default();
                    format!("{}{own}", code(&envelope("RCPT TO", &r.envelope)))
                })
                .collect();
            let who = if list.iter().any(|r| r.expect.is_some()) {
                "the others"
            } else {
                "each"
            };
            format!(
                "Send one RCPT TO per recipient: {}; {who}: {expect}.",
                items.join(", ")
            )
        }
        Action::Pipeline(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|item| {
                    let e = expect_words(&item.expect);
                    let what = match &item.action {
                        Action::MailFrom(e) => code(&envelope("MAIL FROM", e)),
                        Action::RcptTo(e) => code(&envelope("RCPT TO", e)),
                        Action::RcptToMany(list) => list
                            .iter()
                            .map(|r| code(&envelope("RCPT TO", &r.envelope)))
                            .collect::<Vec<_>>()
                            .join(", "),
                        Action::Data(_) => format!("{} with the message below", code("DATA")),
                        other => code(&other.keyword().to_ascii_uppercase()),
                    };
                    format!("{what} ({e})")
                })
                .collect();
            format!(
                "Pipeline (RFC 2920) in one write, each reply checked in order: {}.",
                parts.join("; ")
            )
        }
        Action::Bdat(b) => {
            let how = match &b.chunking {
                Chunking::Auto => "in chunks of 64 KiB".to_owned(),
                Chunking::Size(n) => format!("in chunks of {n} bytes"),
                Chunking::Sizes(s) => format!(
                    "in chunks of {} bytes and the rest",
                    s.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            format!(
                "Send the message below with {} {how}, {} on the last: {expect}.",
                code("BDAT"),
                code("LAST")
            )
        }
        Action::Xclient(attrs) | Action::Xforward(attrs) => {
            let verb = step.action.keyword().to_ascii_uppercase();
            let line: String = attrs
                .iter()
                .map(|a| format!(" {}={}", a.name, tpl(&a.value)))
                .collect();
            format!("Send {}: {expect}.", code(&format!("{verb}{line}")))
        }
        _ => return None,
    })
}

/// The message a step sends: its own (`data`), or that of a pipelined group's DATA.
pub(super) fn message_of(action: &Action) -> Option<&DataSpec> {
    match action {
        Action::Data(spec) => Some(spec),
        Action::Bdat(b) => Some(&b.message),
        Action::Pipeline(items) => items.iter().find_map(|i| message_of(&i.action)),
        _ => None,
    }
}

/// `MAIL FROM:<addr> SIZE=<size of the message> params`, as the plan writes it.
pub(super) fn envelope(verb: &str, e: &Envelope) -> String {
    let mut s = format!("{verb}:<{}>", tpl(&e.address));
    for p in &e.esmtp {
        s.push(' ');
        s.push_str(&param_words(p));
    }
    for p in &e.params {
        s.push(' ');
        s.push_str(&tpl(p));
    }
    s
}

fn param_words(p: &EsmtpParam) -> String {
    match &p.value {
        ParamValue::None => p.keyword.to_owned(),
        ParamValue::Fixed(v) => format!("{}={v}", p.keyword),
        ParamValue::Number(t) => format!("{}={}", p.keyword, tpl(t)),
        ParamValue::Xtext { prefix, value } => format!("{}={prefix}{}", p.keyword, tpl(value)),
        ParamValue::MessageSize => format!("{}=<the size of the message>", p.keyword),
    }
}
