//! Checking a delivered message against a `mailbox` step's `expect:`: the folder, headers,
//! body, attachments and MIME structure. Every part that does not hold is listed.

use regex::Regex;

use crate::mailbox::Delivered;
use crate::model::{MailboxExpect, Presence, TextExpect};
use crate::redact::Redactor;
use crate::results::{MailboxCheck, StepFailure};
use crate::template::Template;

/// Header values and body lines quoted in a failure are cut to this many characters.
const MAX_QUOTED: usize = 300;
/// At most this many body lines are quoted in a failure.
const MAX_BODY_LINES: usize = 10;

/// What the check found: one line per part that did not hold, lines showing what the message
/// has, the captured values (used only when everything held), and each check with its outcome
/// (for the reports).
#[derive(Debug, Default)]
pub(super) struct CheckedMessage {
    pub mismatches: Vec<String>,
    pub details: Vec<String>,
    pub captures: Vec<(String, String)>,
    pub checks: Vec<MailboxCheck>,
}

impl CheckedMessage {
    /// Record one check: its mismatches are those found since `before`.
    fn check(&mut self, what: String, expected: Vec<String>, actual: Vec<String>, before: usize) {
        let failures = self.mismatches.get(before..).unwrap_or_default().to_vec();
        self.checks.push(MailboxCheck {
            what,
            expected,
            actual,
            failures,
        });
    }
}

type Render<'a> = dyn FnMut(&Template) -> Result<String, StepFailure> + 'a;

/// `text` as quoted in a failure: redacted first (a secret cut short would not be found any
/// more), then cut to [`MAX_QUOTED`] characters.
fn cut(redactor: &Redactor, text: &str) -> String {
    let text = redactor.redact(text);
    if text.chars().count() <= MAX_QUOTED {
        return text;
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
    redactor: &Redactor,
) -> Result<CheckedMessage, StepFailure> {
    let mut out = CheckedMessage::default();
    if let Some(want) = &expect.folder {
        let before = out.mismatches.len();
        let same = if want.eq_ignore_ascii_case("INBOX") {
            folder.eq_ignore_ascii_case("INBOX")
        } else {
            want == folder
        };
        if !same {
            out.mismatches
                .push(format!("the message arrived in {folder}, expected {want}"));
        }
        out.check(
            "folder".to_owned(),
            vec![want.clone()],
            vec![folder.to_owned()],
            before,
        );
    }
    for h in &expect.headers {
        let values = d.header_values(&h.name);
        let before = out.mismatches.len();
        let mut expected = Vec::new();
        match h.presence {
            Presence::Present => expected.push("present".to_owned()),
            Presence::Absent => expected.push("absent".to_owned()),
            Presence::Any => {}
        }
        if let Some(count) = h.count {
            expected.push(format!("count {count}"));
        }
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
                redactor,
                &mut out,
                &mut expected,
            )?;
        }
        if out.mismatches.len() != before {
            for v in &values {
                out.details
                    .push(format!("{}: {}", h.name, cut(redactor, v)));
            }
        }
        let actual = values.iter().map(|v| cut(redactor, v)).collect();
        out.check(format!("header {}", h.name), expected, actual, before);
    }
    if let Some(body) = &expect.body {
        let before = out.mismatches.len();
        let mut expected = Vec::new();
        check_text(
            "the body",
            &d.body,
            body,
            render,
            redactor,
            &mut out,
            &mut expected,
        )?;
        // The body itself is not repeated: a failure quotes its first lines.
        out.check("body".to_owned(), expected, Vec::new(), before);
        if out.mismatches.len() != before {
            // Redacted whole: a secret with a line break is masked on both lines.
            let body = redactor.redact(&d.body);
            let lines: Vec<&str> = body.lines().collect();
            for l in lines.iter().take(MAX_BODY_LINES) {
                out.details.push(format!("body: {}", cut(redactor, l)));
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
    for (n, want) in expect.attachments.iter().enumerate() {
        let before = out.mismatches.len();
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
        let actual = match hit.and_then(|i| used.get_mut(i).zip(d.attachments.get(i))) {
            Some((slot, found)) => {
                *slot = true;
                vec![found.to_string()]
            }
            None => {
                attachments_bad = true;
                out.mismatches.push(format!("the message has no {want}"));
                Vec::new()
            }
        };
        out.check(
            format!("attachment {}", n + 1),
            vec![want.to_string()],
            actual,
            before,
        );
    }
    if attachments_bad {
        if d.attachments.is_empty() {
            out.details.push("attachments: none".to_owned());
        }
        for a in &d.attachments {
            out.details.push(format!("attachment: {a}"));
        }
    }
    if let Some(want) = &expect.structure {
        let before = out.mismatches.len();
        if *want != d.structure {
            out.mismatches.push(format!(
                "the MIME structure is {}, expected {want}",
                d.structure
            ));
        }
        out.check(
            "structure".to_owned(),
            vec![want.clone()],
            vec![d.structure.clone()],
            before,
        );
    }
    Ok(out)
}

/// Check `text`; each check is described in `expected` (as the plan says it).
fn check_text(
    what: &str,
    text: &str,
    t: &TextExpect,
    render: &mut Render<'_>,
    redactor: &Redactor,
    out: &mut CheckedMessage,
    expected: &mut Vec<String>,
) -> Result<(), StepFailure> {
    if let Some(want) = &t.equals {
        let want = render(want)?;
        expected.push(format!("equals {want:?}"));
        if text != want {
            out.mismatches.push(format!(
                "{what} is {:?}, expected {want:?}",
                cut(redactor, text)
            ));
        }
    }
    if let Some(want) = &t.contains {
        let want = render(want)?;
        expected.push(format!("contains {want:?}"));
        if want.is_empty() {
            out.mismatches.push(format!(
                "`contains` for {what} is empty (its variables have no value): it would hold for every text"
            ));
        } else if !text.contains(&want) {
            out.mismatches
                .push(format!("{what} does not contain {want:?}"));
        }
    }
    if let Some(re) = &t.matches {
        expected.push(format!("matches /{re}/"));
        if !re.is_match(text) {
            out.mismatches.push(format!("{what} does not match /{re}/"));
        }
    }
    if let Some(re) = &t.not_matches {
        expected.push(format!("does not match /{re}/"));
        if re.is_match(text) {
            out.mismatches
                .push(format!("{what} matches /{re}/, which it must not"));
        }
    }
    for (name, re) in &t.capture {
        expected.push(format!("captures {name} with /{re}/"));
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

#[cfg(test)]
mod tests;
