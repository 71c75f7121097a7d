//! The `mailbox` step: wait (polling, up to `within`) for the message an earlier `data` step
//! sent, in an IMAP account or a Maildir, then check it; or check that it stays away. Also the
//! `data` side: the Message-ID of the sent message is recorded (and added when it has none).

use std::time::{Duration, Instant, SystemTime};

use super::builtins::uuid_v4;
use super::mailbox_check::CheckedMessage;
use super::run::{Run, StepEnd, StepErr};
use crate::duration::format_duration;
use crate::mailbox::{
    ImapBox, ImapLogin, Looked, MailboxError, Maildir, bracketed, parse_delivered, parse_message_id,
};
use crate::model::{Action, ImapSpec, ImapTls, MailboxSource, MailboxSpec, Scenario, TlsOptions};
use crate::redact::Secret;
use crate::results::{FailureKind, FoundMessage, MailboxReport, StepFailure};

/// Where the step looks.
enum Source {
    Imap(ImapBox),
    Maildir(Maildir),
}

impl Source {
    async fn folders(&mut self) -> Result<Vec<String>, MailboxError> {
        match self {
            Source::Imap(b) => b.folders().await,
            Source::Maildir(m) => m.folders().await,
        }
    }

    async fn find(
        &mut self,
        folder: &str,
        id: &str,
        not_before: Option<SystemTime>,
    ) -> Result<Looked, MailboxError> {
        match self {
            Source::Imap(b) => b.find(folder, id, not_before).await,
            Source::Maildir(m) => m.find(folder, id, not_before).await,
        }
    }

    async fn close(self) {
        if let Source::Imap(b) = self {
            b.logout().await;
        }
    }
}

/// Whether a scenario has a `mailbox` step that looks for the message a `data` step sent (then
/// `data` records its Message-ID, adding one when the message has none).
pub(super) fn wants_message_id(scenario: &Scenario) -> bool {
    scenario
        .steps
        .iter()
        .any(|s| matches!(&s.action, Action::Mailbox(m) if m.message_id.is_none()))
}

fn seconds(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// A mailbox that could not be read: the step could not run on (JUnit `<error>`).
fn mailbox_err(e: &MailboxError) -> StepEnd {
    let kind = match e {
        MailboxError::Connect { refused: true, .. } => FailureKind::Refused,
        MailboxError::Connect {
            timed_out: true, ..
        }
        | MailboxError::Timeout { .. } => FailureKind::Timeout,
        MailboxError::Connect { .. } => FailureKind::Connect,
        MailboxError::Tls(t) => FailureKind::of(t),
        MailboxError::TooBig { .. } => FailureKind::Protocol,
        MailboxError::Imap(_) | MailboxError::Login { .. } | MailboxError::Io { .. } => {
            FailureKind::Io
        }
    };
    StepFailure::new(kind, e.to_string(), Vec::new()).into()
}

impl Run<'_> {
    /// A `data` message about to be sent: remember its Message-ID; without one, add
    /// `Message-ID: <UUID@smtp-plan>` at the top (a header block is made if it has none).
    pub(super) fn record_message_id(&mut self, text: String) -> String {
        if let Some(id) = parse_message_id(text.as_bytes()) {
            // Unique to this run only when made of a value drawn for it.
            let drawn = |name: &str| self.vars.get(name).is_some_and(|v| id.contains(v.as_str()));
            let unique = drawn("uuid") || drawn("message_id");
            self.sent_not_before = (!unique).then(SystemTime::now);
            self.sent_message_id = Some(id);
            return text;
        }
        let id = format!("<{}@smtp-plan>", uuid_v4());
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let first = text.lines().next().unwrap_or_default();
        let has_headers = first.split_once(':').is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic())
        });
        self.session.transcript.info(&format!(
            "the message has no Message-ID: adding Message-ID: {id} for the mailbox step"
        ));
        self.sent_message_id = Some(id.clone());
        self.sent_not_before = None;
        if has_headers {
            format!("Message-ID: {id}{eol}{text}")
        } else {
            format!("Message-ID: {id}{eol}{eol}{text}")
        }
    }

    pub(super) async fn mailbox(
        &mut self,
        spec: &MailboxSpec,
        allow_plaintext: bool,
    ) -> Result<StepEnd, StepErr> {
        // A copy delivered before the message was sent (or, for a Message-ID the step names,
        // before the scenario began) is an older message's: left aside.
        let (id, not_before) = match &spec.message_id {
            Some(t) => {
                let id = bracketed(&self.render(t)?);
                let not_before = if self.sent_message_id.as_ref() == Some(&id) {
                    self.sent_not_before
                } else {
                    Some(self.started_at)
                };
                (id, not_before)
            }
            None => match &self.sent_message_id {
                Some(id) => (id.clone(), self.sent_not_before),
                None => {
                    return Ok(StepFailure::new(
                        FailureKind::Plan,
                        "no message was sent before this step (its `data` step did not run), so there is no Message-ID to look for",
                        Vec::new(),
                    )
                    .into());
                }
            },
        };
        let kind = match &spec.source {
            MailboxSource::Maildir(_) => "maildir",
            MailboxSource::Imap(_) => "imap",
        };
        let (mut source, place) = match &spec.source {
            MailboxSource::Maildir(dir) => (
                Source::Maildir(Maildir::new(dir.clone())),
                format!("the Maildir {}", dir.display()),
            ),
            MailboxSource::Imap(imap) => match self.open_imap(imap, allow_plaintext).await? {
                Ok(pair) => pair,
                Err(end) => return Ok(end),
            },
        };
        let where_ = if spec.folders.is_empty() {
            "every folder".to_owned()
        } else {
            spec.folders.join(", ")
        };
        self.session.transcript.info(&format!(
            "looking for Message-ID {id} in {where_} of {place}, every {} for up to {}",
            format_duration(spec.poll),
            format_duration(spec.within)
        ));
        let started = Instant::now();
        let deadline = started + spec.within;
        let mut looks = 0u32;
        let mut searched: Vec<String> = Vec::new();
        let mut earlier = 0;
        let found = loop {
            looks += 1;
            let folders = if spec.folders.is_empty() {
                match source.folders().await {
                    Ok(f) => f,
                    Err(e) => {
                        source.close().await;
                        return Ok(mailbox_err(&e));
                    }
                }
            } else {
                spec.folders.clone()
            };
            let mut hit = None;
            let mut earlier_now = 0;
            for folder in &folders {
                if !searched.contains(folder) {
                    searched.push(folder.clone());
                }
                match source.find(folder, &id, not_before).await {
                    Ok(Looked {
                        found: Some(f),
                        earlier,
                    }) => {
                        earlier_now += earlier;
                        hit = Some(f);
                        break;
                    }
                    Ok(Looked {
                        found: None,
                        earlier,
                    }) => earlier_now += earlier,
                    Err(e) => {
                        source.close().await;
                        return Ok(mailbox_err(&e));
                    }
                }
            }
            earlier = earlier.max(earlier_now);
            if hit.is_some() {
                break hit;
            }
            let now = Instant::now();
            if now >= deadline {
                break None;
            }
            tokio::time::sleep(spec.poll.min(deadline - now)).await;
        };
        let elapsed = started.elapsed();
        let missing_maildir = match &source {
            Source::Maildir(m) if !m.exists().await => Some(m.root().display().to_string()),
            _ => None,
        };
        source.close().await;
        let mut report = MailboxReport {
            source: kind,
            place: place.clone(),
            message_id: id.clone(),
            folders: searched.clone(),
            within: spec.within,
            poll: spec.poll,
            looks,
            waited: elapsed,
            must_arrive: spec.expect.arrives,
            found: None,
            checks: Vec::new(),
        };
        let searched = if searched.is_empty() {
            "no folder (there was none)".to_owned()
        } else {
            searched.join(", ")
        };
        let looked = format!(
            "looked {looks} time(s) over {} in {searched} of {place}",
            seconds(elapsed)
        );
        let left_aside = (earlier > 0).then(|| {
            format!(
                "{earlier} message(s) with this Message-ID delivered before this run sent it were left aside (give each run's message its own Message-ID, e.g. <${{uuid}}@host>)"
            )
        });
        if let Some(text) = &left_aside {
            self.session.transcript.info(text);
        }
        let Some(found) = found else {
            self.session.transcript.info(&format!(
                "no message with Message-ID {id} within {}",
                format_duration(spec.within)
            ));
            let nowhere = report.folders.is_empty();
            self.keep_report(report);
            if !spec.expect.arrives && !nowhere {
                return Ok(StepEnd::Pass);
            }
            let mut details = vec![format!("Message-ID: {id}"), looked];
            details.extend(left_aside);
            if !spec.expect.arrives {
                if let Some(dir) = missing_maildir {
                    details.push(format!("the Maildir {dir} does not exist"));
                }
                return Ok(StepFailure::expectation(
                    "there was no folder to look in, so it cannot be told that the message did not arrive",
                    details,
                )
                .into());
            }
            if let Some(dir) = missing_maildir {
                details.push(format!("the Maildir {dir} does not exist (yet)"));
            }
            return Ok(StepFailure::expectation(
                format!(
                    "the message did not arrive within {}",
                    format_duration(spec.within)
                ),
                details,
            )
            .into());
        };
        let delivered = parse_delivered(&found.raw);
        self.session.transcript.info(&format!(
            "found in {} after {}: {} bytes, {}",
            found.folder,
            seconds(elapsed),
            delivered.size,
            delivered.structure
        ));
        if found.copies > 1 {
            self.session.transcript.info(&format!(
                "{} messages in {} have this Message-ID; checking the first",
                found.copies, found.folder
            ));
        }
        // Checked before anything of the message is shown: a value it captures under a secret
        // name must be masked in the message and in the checks' quotes already.
        let checked = if spec.expect.arrives {
            self.check_message(&delivered, &found.folder, spec)?
        } else {
            CheckedMessage::default()
        };
        self.show_delivered(&found.raw, &delivered);
        report.found = Some(FoundMessage {
            folder: found.folder.clone(),
            size: delivered.size,
            structure: delivered.structure.clone(),
            copies: found.copies,
        });
        if !spec.expect.arrives {
            self.keep_report(report);
            return Ok(StepFailure::expectation(
                format!(
                    "the message arrived in {} after {}, but it must not arrive",
                    found.folder,
                    seconds(elapsed)
                ),
                vec![format!("Message-ID: {id}")],
            )
            .into());
        }
        let CheckedMessage {
            mismatches,
            details,
            captures,
            checks,
        } = checked;
        report.checks = checks;
        self.keep_report(report);
        if mismatches.is_empty() {
            for (name, value) in captures {
                self.capture(name, value);
            }
            return Ok(StepEnd::Pass);
        }
        let mut mismatches = mismatches.into_iter();
        let reason = mismatches.next().unwrap_or_default();
        let mut all: Vec<String> = mismatches.collect();
        all.extend(details);
        all.push(format!(
            "got:      Message-ID {id} in {} ({} bytes, {})",
            found.folder, delivered.size, delivered.structure
        ));
        Ok(StepFailure::expectation(reason, all).into())
    }

    /// Log in to the IMAP account; `Ok(Err(end))` when the step ends before that.
    async fn open_imap(
        &mut self,
        imap: &ImapSpec,
        allow_plaintext: bool,
    ) -> Result<Result<(Source, String), StepEnd>, StepErr> {
        let username = self.render(&imap.username)?;
        let password = Secret::new(self.render(imap.password.expose())?);
        self.session
            .transcript
            .redactor
            .add_secret(password.expose());
        let host = imap
            .host
            .clone()
            .unwrap_or_else(|| self.scenario.target.host.clone());
        let port = imap.port_or_default();
        let shown = crate::protocol::HostPort::new(&host, port).to_string();
        if imap.tls == ImapTls::None && !allow_plaintext {
            let reason = "refusing to send the IMAP password over a connection without TLS (`tls: none`): nothing was sent".to_owned();
            self.session.transcript.info(&reason);
            return Ok(Err(StepFailure::new(
                FailureKind::NotSent,
                reason,
                vec!["use `tls: starttls` or `implicit`, or allow it for a test with `allow_plaintext: true`".to_owned()],
            )
            .into()));
        }
        let over = TlsOptions {
            server_name: Some(
                imap.tls_options
                    .server_name
                    .clone()
                    .unwrap_or_else(|| host.clone()),
            ),
            ..imap.tls_options.clone()
        };
        let mut params = self.tls_params(&over, &host);
        params.client_cert = None;
        let insecure = params.insecure;
        self.session.transcript.info(&format!(
            "IMAP: connecting to {shown} ({}) as {username}",
            imap.tls.describe()
        ));
        let login = ImapLogin {
            host: &host,
            port,
            tls: imap.tls,
            params,
            timeout: self.session.timeout,
            username: &username,
            password: &password,
        };
        match ImapBox::open(login).await {
            Ok((session, info)) => {
                if let Some(info) = info {
                    self.session.note_tls(&info, insecure);
                }
                self.session.transcript.info("IMAP: logged in");
                Ok(Ok((
                    Source::Imap(session),
                    format!("{username} at imap {shown}"),
                )))
            }
            Err(e) => {
                self.session.transcript.info(&format!("error: {e}"));
                Ok(Err(mailbox_err(&e)))
            }
        }
    }
}
