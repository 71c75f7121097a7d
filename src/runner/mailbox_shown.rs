//! What a `mailbox` step shows of the message it found: checked before anything of it is
//! shown (a value it captures under a secret name is masked from the start), the message in
//! the transcript, and the report kept for the step result — every text redacted.

use super::mailbox_check::{CheckedMessage, check_delivered};
use super::run::{Run, StepErr};
use crate::mailbox::Delivered;
use crate::model::MailboxSpec;
use crate::results::{Dir, MailboxReport};

/// The most lines of a delivered message a transcript shows (as for DATA).
const MAX_SHOWN_LINES: usize = 200;

impl Run<'_> {
    /// Check the delivered message against the step's `expect:`. A value it captures under a
    /// name that is secret (an `auth` step logs in with it, a `secrets:` lists it) is a secret
    /// from here on — also when the step fails — and the check is made again so that what it
    /// quotes is masked with it.
    pub(super) fn check_message(
        &mut self,
        delivered: &Delivered,
        folder: &str,
        spec: &MailboxSpec,
    ) -> Result<CheckedMessage, StepErr> {
        let check = |run: &mut Self| {
            let redactor = run.session.transcript.redactor.clone();
            let mut render = |t: &crate::template::Template| run.render(t);
            check_delivered(delivered, folder, &spec.expect, &mut render, &redactor)
        };
        let checked = check(self)?;
        let mut more = false;
        for (name, value) in &checked.captures {
            if self.is_secret_name(name) && !self.session.transcript.redactor.knows(value) {
                self.session.transcript.redactor.add_secret(value);
                more = true;
            }
        }
        if more { check(self) } else { Ok(checked) }
    }

    /// The delivered message in the transcript as `S:` lines, bounded like DATA; not at all
    /// when its decoded text holds a secret (its encoding could show it unmasked).
    pub(super) fn show_delivered(&mut self, raw: &[u8], d: &Delivered) {
        let text = String::from_utf8_lossy(raw);
        let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
        let count = text.split('\n').count();
        let r = &self.session.transcript.redactor;
        let decoded_secret = d
            .headers
            .iter()
            .map(|(_, v)| v.as_str())
            .chain([d.body.as_str()])
            .any(|t| r.redact(t) != t);
        if decoded_secret {
            self.session.transcript.info(&format!(
                "the delivered message ({count} lines) is not shown: it holds a secret"
            ));
            return;
        }
        for line in lines.by_ref().take(MAX_SHOWN_LINES) {
            self.session.transcript.push(Dir::Server, line);
        }
        let rest = lines.count();
        if rest > 0 {
            self.session
                .transcript
                .info(&format!("... {rest} more message lines not shown"));
        }
    }

    /// Keep what the step did for its step result, every text redacted.
    pub(super) fn keep_report(&mut self, mut report: MailboxReport) {
        let r = &self.session.transcript.redactor;
        let all = |texts: &mut Vec<String>| {
            for t in texts.iter_mut() {
                *t = r.redact(t);
            }
        };
        report.place = r.redact(&report.place);
        report.message_id = r.redact(&report.message_id);
        all(&mut report.folders);
        if let Some(found) = &mut report.found {
            found.folder = r.redact(&found.folder);
        }
        for check in &mut report.checks {
            check.what = r.redact(&check.what);
            all(&mut check.expected);
            all(&mut check.actual);
            all(&mut check.failures);
        }
        self.mailbox_seen = Some(Box::new(report));
    }
}
