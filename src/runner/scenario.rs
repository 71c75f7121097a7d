//! Running one scenario: connect, play each step, check each reply, stop at the first failure.

use std::time::{Duration, Instant};

use super::options::RunOptions;
use super::run::{Run, StepEnd, StepErr};
use crate::model::{Action, ConnectSpec, Expect, Origin, Plan, Scenario, Span, Step};
use crate::protocol::{Command, Reply};
use crate::results::{Failure, Outcome, ScenarioResult, StepFailure, StepResult, StepStatus};
use crate::session::AuthEnd;

pub async fn run_scenario(
    plan: &Plan,
    scenario: &Scenario,
    options: &RunOptions,
) -> ScenarioResult {
    let started = Instant::now();
    if let Some(reason) = &scenario.skip {
        return ScenarioResult {
            name: scenario.name.clone(),
            tags: scenario.tags.clone(),
            outcome: Outcome::Skipped(reason.clone()),
            duration: Duration::ZERO,
            steps: not_run(scenario),
            transcript: Vec::new(),
            captures: Vec::new(),
            tls: Vec::new(),
        };
    }
    let mut run = Run::new(
        plan,
        scenario,
        options,
        super::mailbox::wants_message_id(scenario),
    );
    let mut steps = not_run(scenario);

    let mut outcome = Outcome::Passed;
    let starts_with_connect = matches!(
        scenario.steps.first().map(|s| &s.action),
        Some(Action::Connect(_))
    );
    if !starts_with_connect && let Err(f) = run.connect(&ConnectSpec::default()).await {
        outcome = run.outcome(0, "connect", scenario.span, None, f);
    }
    let mut last_played = None;
    if outcome.failure().is_none() {
        for (index, (step, result)) in scenario.steps.iter().zip(steps.iter_mut()).enumerate() {
            run.step_index = index;
            let step_started = Instant::now();
            let first_line = run.session.transcript.lines.len();
            let end = run.step(step).await;
            result.duration = step_started.elapsed();
            result.latency = run.session.take_latency();
            result.mailbox = run.mailbox_seen.take();
            result.lines = first_line..run.session.transcript.lines.len();
            last_played = Some(index);
            let failure = match end {
                StepEnd::Pass => {
                    result.status = StepStatus::Passed;
                    continue;
                }
                StepEnd::Fail(f) => f,
            };
            result.status = if failure.kind.is_error() {
                StepStatus::Errored
            } else {
                StepStatus::Failed
            };
            outcome = run.outcome(
                index + 1,
                step.action.keyword(),
                step.span,
                step.origin.as_ref(),
                failure,
            );
            break;
        }
    }
    // Bytes the server sent after the last reply, when none was due.
    if outcome.failure().is_none()
        && let Some(index) = last_played
        && let Some((step, result)) = scenario.steps.get(index).zip(steps.get_mut(index))
        && let Some(f) = run.session.leftover("after the last step")
    {
        result.status = StepStatus::Failed;
        result.lines.end = run.session.transcript.lines.len();
        outcome = run.outcome(
            index + 1,
            step.action.keyword(),
            step.span,
            step.origin.as_ref(),
            f,
        );
    }
    let not_run = steps
        .iter()
        .filter(|s| s.status == StepStatus::NotRun)
        .count();
    if not_run > 0 && outcome.failure().is_some() {
        run.session
            .transcript
            .info(&format!("{not_run} remaining step(s) not run"));
    }
    let (transcript, tls) = run.session.finish();
    ScenarioResult {
        name: scenario.name.clone(),
        tags: scenario.tags.clone(),
        outcome,
        duration: started.elapsed(),
        steps,
        transcript,
        captures: run.captures,
        tls,
    }
}

/// Every step of `scenario`, not run yet.
fn not_run(scenario: &Scenario) -> Vec<StepResult> {
    scenario
        .steps
        .iter()
        .map(|s| StepResult {
            keyword: s.action.keyword(),
            span: s.span,
            status: StepStatus::NotRun,
            duration: Duration::ZERO,
            latency: None,
            lines: 0..0,
            mailbox: None,
        })
        .collect()
}

impl Run<'_> {
    /// The outcome of a scenario that stopped at `step` (0 = the first connection).
    fn outcome(
        &self,
        step: usize,
        keyword: &'static str,
        span: Span,
        origin: Option<&std::sync::Arc<Origin>>,
        f: StepFailure,
    ) -> Outcome {
        let r = &self.session.transcript.redactor;
        let path = origin.map_or(&self.plan.path, |o| &o.path);
        let source = origin.map_or(&*self.plan.source, |o| &*o.source);
        let source_line = crate::snippet::nth_line(source, span.line).map(|l| r.redact(l));
        let failure = Failure {
            step,
            keyword,
            location: format!("{}:{}:{}", path.display(), span.line, span.col),
            span,
            origin: origin.cloned(),
            kind: f.kind,
            reason: r.redact(&f.reason),
            details: f.details.iter().map(|d| r.redact(d)).collect(),
            source_line,
        };
        if f.kind.is_error() {
            Outcome::Errored(failure)
        } else {
            Outcome::Failed(failure)
        }
    }

    /// `Some` failure when `text` holds a secret (in any form) and would go over a connection
    /// without TLS, unless the step says `allow_plaintext: true`.
    fn plaintext_guard(&mut self, step: &Step, text: &str, what: &str) -> Option<StepEnd> {
        (!step.allow_plaintext
            && self.session.plaintext()
            && self.session.transcript.redactor.finds_secret(text))
        .then(|| self.refuse_plaintext(what))
    }

    /// Check `reply` against the step's expectation, including its `tls:` part against the
    /// connection as it is now; store captures.
    fn check(&mut self, reply: &Reply, expect: &Expect) -> StepEnd {
        self.check_parts(reply, expect, true)
    }

    /// Play a step; with `retry:`, play it again (after the interval) while it fails.
    async fn step(&mut self, step: &Step) -> StepEnd {
        self.session.timeout = step.timeout.unwrap_or(self.scenario.target.timeout);
        let mut attempt = 0u32;
        loop {
            super::builtins::new_step(&mut self.vars);
            self.session.allow_plaintext = step.allow_plaintext;
            let end = match self.play(step).await {
                Ok(end) => end,
                Err(f) => StepEnd::Fail(f),
            };
            let end = self.expected_failure(step, end);
            // An expectation that did not hold is retried; so is a `connect` that could not
            // connect. Other errors leave the conversation in an unknown state: never retried.
            let retryable = match &end {
                StepEnd::Pass => false,
                StepEnd::Fail(f) => !f.kind.is_error() || matches!(step.action, Action::Connect(_)),
            };
            match step.retry {
                Some(retry) if retryable && attempt < retry.count => {
                    attempt += 1;
                    self.session.transcript.info(&format!(
                        "retry {attempt}/{} in {}",
                        retry.count,
                        crate::duration::format_duration(retry.interval)
                    ));
                    tokio::time::sleep(retry.interval).await;
                }
                _ => return end,
            }
        }
    }

    async fn play(&mut self, step: &Step) -> Result<StepEnd, StepErr> {
        let expect = &step.expect;
        let reply = match &step.action {
            Action::Read => self.session.read().await?,
            Action::Send(line) => {
                let line = self.render_line(line)?;
                if let Some(end) = self.plaintext_guard(step, &line, "a line that holds a secret") {
                    return Ok(end);
                }
                self.session.command(&Command::Raw(line)).await?
            }
            Action::Ehlo(name) | Action::Lhlo(name) => {
                let name = self.render_line(name)?;
                if let Some(end) =
                    self.plaintext_guard(step, &name, "a host name that holds a secret")
                {
                    return Ok(end);
                }
                let lhlo = matches!(step.action, Action::Lhlo(_));
                let reply = self.session.hello(name, lhlo).await?;
                self.lmtp_recipients = lhlo.then(Vec::new);
                reply
            }
            Action::Helo(name) => {
                let name = self.render_line(name)?;
                if let Some(end) =
                    self.plaintext_guard(step, &name, "a host name that holds a secret")
                {
                    return Ok(end);
                }
                self.lmtp_recipients = None;
                self.session.command(&Command::Helo(name)).await?
            }
            Action::StartTls(over) => return self.starttls(over, step).await,
            Action::Auth(spec) => match self.auth(spec, step).await? {
                AuthEnd::Reply(reply) => reply,
                AuthEnd::Failed(f) => return Ok(f.into()),
            },
            Action::MailFrom(env) => {
                let (from, params) = match self.envelope_with(env, step.send_anyway)? {
                    Ok(x) => x,
                    Err(end) => return Ok(end),
                };
                if let Some(r) = self.lmtp_recipients.as_mut() {
                    r.clear();
                }
                self.session
                    .command(&Command::Mail { from, params })
                    .await?
            }
            Action::RcptTo(env) => {
                let (to, params) = match self.envelope_with(env, step.send_anyway)? {
                    Ok(x) => x,
                    Err(end) => return Ok(end),
                };
                let reply = self
                    .session
                    .command(&Command::Rcpt {
                        to: to.clone(),
                        params,
                    })
                    .await?;
                if reply.code.is_positive()
                    && let Some(r) = self.lmtp_recipients.as_mut()
                {
                    r.push(to);
                }
                reply
            }
            Action::RcptToMany(list) => return self.recipients(list, step).await,
            Action::Pipeline(items) => return self.pipeline(items, step).await,
            Action::Bdat(spec) => return self.bdat(spec, step).await,
            Action::Xclient(attrs) => return self.xattrs("XCLIENT", attrs, step).await,
            Action::Xforward(attrs) => return self.xattrs("XFORWARD", attrs, step).await,
            Action::EhloFallback(name) => {
                self.lmtp_recipients = None;
                self.ehlo_fallback(name).await?
            }
            Action::Etrn(domain) => {
                if let Some(end) = self.require_advertised(&["ETRN"], "ETRN", step.send_anyway) {
                    return Ok(end);
                }
                let domain = self.render_line(domain)?;
                self.session.command(&Command::Etrn(domain)).await?
            }
            Action::Expn(list) => {
                let list = self.render_line(list)?;
                self.session.command(&Command::Expn(list)).await?
            }
            Action::Help(topic) => {
                let topic = topic.as_ref().map(|t| self.render_line(t)).transpose()?;
                self.session.command(&Command::Help(topic)).await?
            }
            Action::Data(spec) => return self.data(spec, expect).await,
            Action::Rset => {
                if let Some(r) = self.lmtp_recipients.as_mut() {
                    r.clear();
                }
                self.session.command(&Command::Rset).await?
            }
            Action::Noop => self.session.command(&Command::Noop).await?,
            Action::Quit => {
                let reply = self.session.command(&Command::Quit).await?;
                if let Some(f) = self.session.leftover("after the reply to QUIT") {
                    return Ok(f.into());
                }
                self.session.quit_answered();
                reply
            }
            Action::Vrfy(x) => {
                let x = self.render_line(x)?;
                if let Some(end) =
                    self.plaintext_guard(step, &x, "a VRFY argument that holds a secret")
                {
                    return Ok(end);
                }
                self.session.command(&Command::Vrfy(x)).await?
            }
            Action::Sleep(d) => {
                self.session.transcript.info(&format!(
                    "sleeping {}",
                    crate::duration::format_duration(*d)
                ));
                tokio::time::sleep(*d).await;
                return Ok(StepEnd::Pass);
            }
            Action::ExpectClose => return self.expect_close().await,
            Action::Mailbox(spec) => return self.mailbox(spec, step.allow_plaintext).await,
            Action::Connect(spec) => {
                return Ok(match self.connect(spec).await {
                    Ok(()) => StepEnd::Pass,
                    Err(f) => f.into(),
                });
            }
        };
        if !expect.fails.is_empty() {
            // A reply where a failure was expected: `expected_failure` says so.
            return Ok(StepEnd::Pass);
        }
        Ok(self.check(&reply, expect))
    }
}
