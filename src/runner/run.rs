//! One scenario being played: the plan, its variables, the session it talks on, and what
//! steps leave for later steps; rendering templates and checking replies.

use std::collections::BTreeMap;

use super::message::Message;
use super::options::RunOptions;
use crate::model::{Plan, Scenario};
use crate::redact::Redactor;
use crate::results::{FailureKind, MailboxReport, StepFailure};
use crate::session::Session;
use crate::template::Template;

/// How one step ended.
pub(super) enum StepEnd {
    Pass,
    /// The step did not pass; the failure's kind says whether an expectation did not hold
    /// or the conversation could not go on.
    Fail(StepFailure),
}

impl From<StepFailure> for StepEnd {
    fn from(f: StepFailure) -> Self {
        StepEnd::Fail(f)
    }
}

/// `Err` of the helpers: the step cannot go on.
pub(super) type StepErr = StepFailure;

pub(super) struct Run<'a> {
    pub(super) plan: &'a Plan,
    pub(super) scenario: &'a Scenario,
    pub(super) options: &'a RunOptions,
    /// The client session: connection, transcript, last reply, capabilities.
    pub(super) session: Session,
    pub(super) vars: BTreeMap<String, String>,
    /// Variables captured so far (values redacted), in order.
    pub(super) captures: Vec<(String, String)>,
    /// Whether a later `mailbox` step looks for the sent message (`data` then records, and if
    /// need be adds, its Message-ID).
    pub(super) wants_message_id: bool,
    /// The Message-ID of the last message a `data` step sent, when `wants_message_id`.
    pub(super) sent_message_id: Option<String>,
    /// When that message was sent, if its Message-ID may be an older message's too (the plan
    /// wrote it, not made unique by `${uuid}`, `${message_id}` or smtp-plan): a copy delivered
    /// before then is not this run's.
    pub(super) sent_not_before: Option<std::time::SystemTime>,
    /// When the scenario began: a copy of a message whose Message-ID a `mailbox` step names
    /// (`message_id:`) delivered before then is not this run's.
    pub(super) started_at: std::time::SystemTime,
    /// The running step's index in the scenario.
    pub(super) step_index: usize,
    /// A message rendered ahead of its `data` step (for `size: message`): the step's index
    /// and the message.
    pub(super) prepared: Option<(usize, Message)>,
    /// In an LMTP session (after LHLO): the recipients accepted in this transaction, each of
    /// which gets its own reply after the message. `None` in an SMTP session.
    pub(super) lmtp_recipients: Option<Vec<String>>,
    /// What the running `mailbox` step looked for and checked, for its step result.
    pub(super) mailbox_seen: Option<Box<MailboxReport>>,
}

impl<'a> Run<'a> {
    pub(super) fn new(
        plan: &'a Plan,
        scenario: &'a Scenario,
        options: &'a RunOptions,
        wants_message_id: bool,
    ) -> Self {
        let mut vars: BTreeMap<String, String> = plan
            .vars
            .iter()
            .chain(&scenario.vars)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        super::builtins::set_scenario_builtins(&mut vars, &plan.name, &scenario.name);
        Run {
            plan,
            scenario,
            options,
            session: Session::new(
                Redactor::clone(&plan.redactor),
                scenario.target.timeout,
                options.limits,
            ),
            vars,
            captures: Vec::new(),
            wants_message_id,
            sent_message_id: None,
            sent_not_before: None,
            started_at: std::time::SystemTime::now(),
            step_index: 0,
            prepared: None,
            lmtp_recipients: None,
            mailbox_seen: None,
        }
    }
}

impl Run<'_> {
    /// Render a template; the output of a function applied to a secret (`${base64(password)}`)
    /// becomes a secret too, in every output.
    pub(super) fn render(&mut self, t: &Template) -> Result<String, StepErr> {
        for (name, _) in t.vars() {
            super::builtins::fill(&mut self.vars, name);
        }
        let (out, applied) = t
            .render_traced(&self.vars)
            .map_err(|e| StepFailure::new(FailureKind::Plan, e.to_string(), Vec::new()))?;
        for a in applied {
            let r = &self.session.transcript.redactor;
            if a.args.iter().any(|arg| r.redact(arg) != *arg) {
                self.session.transcript.redactor.add_secret(&a.output);
            }
        }
        Ok(out)
    }

    /// Store a captured value (from a reply or a delivered message) as `${name}`. A capture
    /// later used as a password or token is secret from here on.
    pub(super) fn capture(&mut self, name: String, value: String) {
        if self.is_secret_name(&name) {
            self.session.transcript.redactor.add_secret(&value);
            self.session.transcript.redact_last_reply_again();
        }
        self.session
            .transcript
            .info(&format!("captured {name} = {value}"));
        let shown = self.session.transcript.redactor.redact(&value);
        self.captures.push((name.clone(), shown));
        self.vars.insert(name, value);
    }

    /// Whether a value captured under `name` is secret: the plan holds the name secret (its
    /// `secrets:`, an `auth` password), or the scenario's own `secrets:` lists it.
    pub(super) fn is_secret_name(&self, name: &str) -> bool {
        self.plan.secret_names.contains(name)
            || self
                .scenario
                .secret_names
                .as_ref()
                .is_some_and(|names| names.contains(name))
    }

    /// A computed built-in variable (`now`, `message_id`) for this step.
    pub(super) fn builtin(&mut self, name: &str) -> String {
        super::builtins::fill(&mut self.vars, name);
        self.vars.get(name).cloned().unwrap_or_default()
    }

    /// Render a template that goes into a command line. A CR or LF inside a variable's value
    /// would split the command in two: that is an error naming the variable, never its value.
    pub(super) fn render_line(&mut self, t: &Template) -> Result<String, StepErr> {
        if let Some(name) = t.line_break_in(&self.vars) {
            return Err(StepFailure::new(
                FailureKind::Plan,
                format!(
                    "`${{{name}}}` holds a line break (CR or LF), which would end the command early and send the rest as another: nothing was sent"
                ),
                vec!["its value is not shown: it may be a secret".to_owned()],
            ));
        }
        self.render(t)
    }

    /// The failure of a step that would put a secret on an unencrypted connection.
    pub(super) fn refuse_plaintext(&mut self, what: &str) -> StepEnd {
        self.session.plaintext_refusal(what).into()
    }
}
