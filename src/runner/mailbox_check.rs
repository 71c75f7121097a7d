//! Checking a delivered message against a `mailbox` step's `expect:`: the folder, headers,
//! body, attachments and MIME structure. Every part that does not hold is listed.

use regex::Regex;

use super::scenario::StepErr;
use crate::mailbox::Delivered;
use crate::scenario::{MailboxExpect, Presence, TextExpect};
use crate::template::Template;

/// Header values and body lines quoted in a failure are cut to this many characters.
const MAX_QUOTED: usize = 300;
/// At most this many body lines are quoted in a failure.
const MAX_BODY_LINES: usize = 10;

/// What the check found: one line per part that did not hold, lines showing what the message
/// has, and the captured values (used only when everything held).
#[derive(Debug, Default)]
pub(super) struct CheckedMessage {
    pub mismatches: Vec<String>,
    pub details: Vec<String>,
    pub captures: Vec<(String, String)>,
}

type Render<'a> = dyn FnMut(&Template) -> Result<String, StepErr> + 'a;

fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_QUOTED {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(MAX_QUOTED).collect();
    s.push_str("...");
    s
}

pub(super) fn check_delivered(
    d: &Delivered,
    folder: &str,
    expect: &MailboxExpect,
    render: &mut Render<'_>,
) -> Result<CheckedMessage, StepErr> {
    let mut out = CheckedMessage::default();
    if let Some(want) = &expect.folder {
        let same = if want.eq_ignore_ascii_case("INBOX") {
            folder.eq_ignore_ascii_case("INBOX")
        } else {
            want == folder
        };
        if !same {
            out.mismatches
                .push(format!("the message arrived in {folder}, expected {want}"));
        }
    }
    for h in &expect.headers {
        let values = d.header_values(&h.name);
        let before = out.mismatches.len();
        match h.presence {
            Presence::Present if values.is_empty() => {
                out.mismatches.push(format!("header {} is missing", h.name));
            }
            Presence::Absent if !values.is_empty() => {
                out.mismatches
                    .push(format!("header {} is present, expected absent", h.name));
            }
            _ => {}
        }
        if let Some(count) = h.count
            && !count.holds(values.len())
        {
            out.mismatches.push(format!(
                "expected {count} {} header(s), got {}",
                h.name,
                values.len()
            ));
        }
        if !values.is_empty() && !h.text.is_empty() {
            let joined = values.join("\n");
            check_text(
                &format!("header {}", h.name),
                &joined,
                &h.text,
                render,
                &mut out,
            )?;
        }
        if out.mismatches.len() != before {
            for v in &values {
                out.details.push(format!("{}: {}", h.name, cut(v)));
            }
        }
    }
    if let Some(body) = &expect.body {
        let before = out.mismatches.len();
        check_text("the body", &d.body, body, render, &mut out)?;
        if out.mismatches.len() != before {
            let lines: Vec<&str> = d.body.lines().collect();
            for l in lines.iter().take(MAX_BODY_LINES) {
                out.details.push(format!("body: {}", cut(l)));
            }
            if lines.len() > MAX_BODY_LINES {
                out.details.push(format!(
                    "body: ... {} more lines",
                    lines.len() - MAX_BODY_LINES
                ));
            }
            if lines.is_empty() {
                out.details.push("body: (empty)".to_owned());
            }
        }
    }
    let mut used = vec![false; d.attachments.len()];
    let mut attachments_bad = false;
    for want in &expect.attachments {
        let hit = d.attachments.iter().enumerate().position(|(i, a)| {
            !used.get(i).copied().unwrap_or(true)
                && want
                    .name
                    .as_ref()
                    .is_none_or(|n| a.name.as_ref() == Some(n))
                && want
                    .content_type
                    .as_ref()
                    .is_none_or(|t| *t == a.content_type)
                && want.size.is_none_or(|s| s == a.size)
        });
        match hit.and_then(|i| used.get_mut(i)) {
            Some(slot) => *slot = true,
            None => {
                attachments_bad = true;
                out.mismatches.push(format!("the message has no {want}"));
            }
        }
    }
    if attachments_bad {
        if d.attachments.is_empty() {
            out.details.push("attachments: none".to_owned());
        }
        for a in &d.attachments {
            out.details.push(format!("attachment: {a}"));
        }
    }
    if let Some(want) = &expect.structure
        && *want != d.structure
    {
        out.mismatches.push(format!(
            "the MIME structure is {}, expected {want}",
            d.structure
        ));
    }
    Ok(out)
}

fn check_text(
    what: &str,
    text: &str,
    t: &TextExpect,
    render: &mut Render<'_>,
    out: &mut CheckedMessage,
) -> Result<(), StepErr> {
    if let Some(want) = &t.equals {
        let want = render(want)?;
        if text != want {
            out.mismatches
                .push(format!("{what} is {:?}, expected {want:?}", cut(text)));
        }
    }
    if let Some(want) = &t.contains {
        let want = render(want)?;
        if !text.contains(&want) {
            out.mismatches
                .push(format!("{what} does not contain {want:?}"));
        }
    }
    if let Some(re) = &t.matches
        && !re.is_match(text)
    {
        out.mismatches.push(format!("{what} does not match /{re}/"));
    }
    if let Some(re) = &t.not_matches
        && re.is_match(text)
    {
        out.mismatches
            .push(format!("{what} matches /{re}/, which it must not"));
    }
    for (name, re) in &t.capture {
        match captured(re, text) {
            Some(v) => out.captures.push((name.clone(), v)),
            None => out
                .mismatches
                .push(format!("{what} does not match /{re}/ (capture `{name}`)")),
        }
    }
    Ok(())
}

/// The first group of the first match, or the whole match.
fn captured(re: &Regex, text: &str) -> Option<String> {
    let c = re.captures(text)?;
    c.get(1).or_else(|| c.get(0)).map(|m| m.as_str().to_owned())
}
