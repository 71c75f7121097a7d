//! Running one scenario: connect, play each step, check each reply, stop at the first failure.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::auth::AuthEnd;
use super::check::{check_reply, describe_expect};
use super::failure::{FailureKind, StepFailure};
use super::result::{Failure, Outcome, ScenarioResult, StepResult, StepStatus};
use super::target::TargetOverride;
use super::transcript::Transcript;
use crate::protocol::TlsVersion;
use crate::protocol::{Capabilities, Command, Limits, Reply};
use crate::redact::Redactor;
use crate::scenario::{Action, ConnectSpec, Expect, Origin, Plan, Scenario, Span, Step};
use crate::template::Template;
use crate::transport::{ClientCert, Connection, TlsInfo};

/// Command-line settings that apply to every scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `--target` (or the built-in server of `--serve`).
    pub target: Option<TargetOverride>,
    /// `--ca-file` (and the CA of `--serve`): trusted for every handshake, together with the
    /// plan's `ca_file`.
    pub ca_files: Vec<PathBuf>,
    /// `--insecure`: verify no certificate.
    pub insecure: bool,
    /// `--client-cert` / `--client-key`: presented when a plan names no client certificate.
    pub client_cert: Option<ClientCert>,
    /// `--tls-min-version`: the higher of this and the plan's `min_version` applies.
    pub min_version: Option<TlsVersion>,
    pub limits: Limits,
    /// `--bind`: the local address to connect from where a plan names none.
    pub bind: Option<std::net::IpAddr>,
}

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
    pub(super) conn: Option<Connection>,
    /// Host name of the open connection (for SNI and the name check).
    pub(super) host: String,
    pub(super) vars: BTreeMap<String, String>,
    pub(super) transcript: Transcript,
    pub(super) last_reply: Option<Reply>,
    pub(super) capabilities: Option<Capabilities>,
    /// Why the connection is gone, for a step that needs it.
    pub(super) closed_after: Option<String>,
    /// The connection QUIT was sent on, kept for an `expect_close` that checks the server
    /// closes it; no other step uses it.
    pub(super) after_quit: Option<Connection>,
    /// Variables captured so far (values redacted), in order.
    pub(super) captures: Vec<(String, String)>,
    /// Whether a later `mailbox` step looks for the sent message (`data` then records, and if
    /// need be adds, its Message-ID).
    pub(super) wants_message_id: bool,
    /// The Message-ID of the last message a `data` step sent, when `wants_message_id`.
    pub(super) sent_message_id: Option<String>,
    /// The running step's own `timeout:`, if it has one.
    step_timeout: Option<Duration>,
    /// The running step's `allow_plaintext: true`.
    pub(super) allow_plaintext: bool,
    /// The running step's index in the scenario.
    pub(super) step_index: usize,
    /// A message rendered ahead of its `data` step (for `size: message`): the step's index,
    /// the text and whether it carries an encoded secret.
    pub(super) prepared: Option<(usize, super::data::Message)>,
    /// Commands are being pipelined on purpose (a pipelined group): replies to earlier
    /// commands may be waiting when a command is sent, so the check for unsolicited bytes
    /// before each write is off. The `pipeline` step sets it for its group.
    pub(super) pipelining: bool,
    /// When the last bytes were written (or the connection opened): replies are timed from it.
    pub(super) sent_at: Option<Instant>,
    /// The latency of the last reply read during the running step.
    pub(super) step_latency: Option<Duration>,
    /// The certificate went unverified (`insecure`) on some handshake, and the transcript
    /// has said so.
    pub(super) said_insecure: bool,
    /// In an LMTP session (after LHLO): the recipients accepted in this transaction, each of
    /// which gets its own reply after the message. `None` in an SMTP session.
    pub(super) lmtp_recipients: Option<Vec<String>>,
    /// Every TLS session established so far, in order (for the reports' TLS facts).
    pub(super) tls_seen: Vec<TlsInfo>,
}

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
    let mut run = Run {
        plan,
        scenario,
        options,
        conn: None,
        host: String::new(),
        vars: plan
            .vars
            .iter()
            .chain(&scenario.vars)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        transcript: Transcript::new(Redactor::of_secrets(&plan.secret_values)),
        last_reply: None,
        capabilities: None,
        closed_after: None,
        after_quit: None,
        captures: Vec::new(),
        wants_message_id: super::mailbox::wants_message_id(scenario),
        sent_message_id: None,
        step_timeout: None,
        allow_plaintext: false,
        step_index: 0,
        prepared: None,
        pipelining: false,
        sent_at: None,
        step_latency: None,
        said_insecure: false,
        lmtp_recipients: None,
        tls_seen: Vec::new(),
    };
    super::builtins::set_scenario_builtins(&mut run.vars, &plan.name, &scenario.name);
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
            let first_line = run.transcript.lines.len();
            let end = run.step(step).await;
            result.duration = step_started.elapsed();
            result.latency = run.step_latency.take();
            result.lines = first_line..run.transcript.lines.len();
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
        && let Some(f) = run.leftover("after the last step")
    {
        result.status = StepStatus::Failed;
        result.lines.end = run.transcript.lines.len();
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
        run.transcript
            .info(&format!("{not_run} remaining step(s) not run"));
    }
    ScenarioResult {
        name: scenario.name.clone(),
        tags: scenario.tags.clone(),
        outcome,
        duration: started.elapsed(),
        steps,
        transcript: run.transcript.lines,
        captures: run.captures,
        tls: run.tls_seen,
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
        })
        .collect()
}

/// The `got:` detail of a failure: the reply, its lines aligned under the first.
pub(super) fn got_detail(reply: &Reply) -> String {
    format!("got:      {}", reply.wire_text("\n          "))
}

impl Run<'_> {
    pub(super) fn timeout(&self) -> Duration {
        self.step_timeout.unwrap_or(self.scenario.target.timeout)
    }

    /// The outcome of a scenario that stopped at `step` (0 = the first connection).
    fn outcome(
        &self,
        step: usize,
        keyword: &'static str,
        span: Span,
        origin: Option<&std::sync::Arc<Origin>>,
        f: StepFailure,
    ) -> Outcome {
        let r = &self.transcript.redactor;
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
            let r = &self.transcript.redactor;
            if a.args.iter().any(|arg| r.redact(arg) != *arg) {
                self.transcript.redactor.add_secret(&a.output);
            }
        }
        Ok(out)
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

    /// `Some` failure when `text` holds a secret (in any form) and would go over a connection
    /// without TLS, unless the step says `allow_plaintext: true`.
    fn plaintext_guard(&mut self, step: &Step, text: &str, what: &str) -> Option<StepEnd> {
        (!step.allow_plaintext && self.plaintext() && self.transcript.redactor.finds_secret(text))
            .then(|| self.refuse_plaintext(what))
    }

    /// Check `reply` against the step's expectation, including its `tls:` part against the
    /// connection as it is now; store captures.
    fn check(&mut self, reply: &Reply, expect: &Expect) -> StepEnd {
        self.check_parts(reply, expect, true)
    }

    pub(super) fn check_parts(
        &mut self,
        reply: &Reply,
        expect: &Expect,
        with_tls: bool,
    ) -> StepEnd {
        let contains = match expect.contains.as_ref().map(|t| self.render(t)).transpose() {
            Ok(c) => c,
            Err(f) => return f.into(),
        };
        let mut mismatches = match check_reply(reply, expect, contains.as_deref()) {
            Ok(captured) => {
                for (name, value) in captured {
                    // A capture later used as a password or token is secret from here on.
                    if self.plan.secret_names.contains(&name) {
                        self.transcript.redactor.add_secret(&value);
                        self.transcript.redact_last_reply_again();
                    }
                    self.transcript.info(&format!("captured {name} = {value}"));
                    let shown = self.transcript.redactor.redact(&value);
                    self.captures.push((name.clone(), shown));
                    self.vars.insert(name, value);
                }
                Vec::new()
            }
            Err(mismatches) => mismatches,
        };
        if let (Some(within), Some(latency)) = (expect.within, self.step_latency)
            && latency > within
        {
            mismatches.push(super::check::Mismatch(format!(
                "the reply came after {}, expected within {}",
                crate::duration::format_duration(latency),
                crate::duration::format_duration(within)
            )));
        }
        let mut tls_detail = None;
        if with_tls && let Some(want) = &expect.tls {
            match self.tls_mismatches(want) {
                Ok(None) => {}
                Ok(Some(m)) => {
                    mismatches.extend(m.bad);
                    tls_detail = Some((m.want, m.got));
                }
                Err(f) => return f.into(),
            }
        }
        if mismatches.is_empty() {
            return StepEnd::Pass;
        }
        let reason = mismatches.first().map_or_else(String::new, |m| m.0.clone());
        let mut details: Vec<String> = mismatches.iter().skip(1).map(|m| m.0.clone()).collect();
        details.push(format!("expected: {}", describe_expect(expect)));
        details.push(got_detail(reply));
        if let Some((want, got)) = tls_detail {
            details.push(format!("expected TLS: {want}"));
            details.push(format!("got TLS:      {got}"));
        }
        StepFailure::expectation(reason, details).into()
    }

    /// Play a step; with `retry:`, play it again (after the interval) while it fails.
    async fn step(&mut self, step: &Step) -> StepEnd {
        self.step_timeout = step.timeout;
        let mut attempt = 0u32;
        loop {
            super::builtins::new_step(&mut self.vars);
            self.allow_plaintext = step.allow_plaintext;
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
                    self.transcript.info(&format!(
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
            Action::Read => self.read().await?,
            Action::Send(line) => {
                let line = self.render_line(line)?;
                if let Some(end) = self.plaintext_guard(step, &line, "a line that holds a secret") {
                    return Ok(end);
                }
                self.command(&Command::Raw(line)).await?
            }
            Action::Ehlo(name) | Action::Lhlo(name) => {
                let name = self.render_line(name)?;
                if let Some(end) =
                    self.plaintext_guard(step, &name, "a host name that holds a secret")
                {
                    return Ok(end);
                }
                let lhlo = matches!(step.action, Action::Lhlo(_));
                let cmd = if lhlo {
                    Command::Lhlo(name)
                } else {
                    Command::Ehlo(name)
                };
                let reply = self.command(&cmd).await?;
                self.capabilities = reply
                    .code
                    .is_positive()
                    .then(|| Capabilities::parse(&reply));
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
                self.command(&Command::Helo(name)).await?
            }
            Action::StartTls(over) => return self.starttls(over, step).await,
            Action::Auth(spec) => match self.auth(spec, step).await? {
                AuthEnd::Reply(reply) => reply,
                AuthEnd::End(end) => return Ok(end),
            },
            Action::MailFrom(env) => {
                let (from, params) = match self.envelope_with(env, step.send_anyway)? {
                    Ok(x) => x,
                    Err(end) => return Ok(end),
                };
                if let Some(r) = self.lmtp_recipients.as_mut() {
                    r.clear();
                }
                self.command(&Command::Mail { from, params }).await?
            }
            Action::RcptTo(env) => {
                let (to, params) = match self.envelope_with(env, step.send_anyway)? {
                    Ok(x) => x,
                    Err(end) => return Ok(end),
                };
                let reply = self
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
            Action::Pipeline(items) => {
                self.pipelining = true;
                let end = self.pipeline(items, step).await;
                self.pipelining = false;
                return end;
            }
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
                self.command(&Command::Etrn(domain)).await?
            }
            Action::Expn(list) => {
                let list = self.render_line(list)?;
                self.command(&Command::Expn(list)).await?
            }
            Action::Help(topic) => {
                let topic = topic.as_ref().map(|t| self.render_line(t)).transpose()?;
                self.command(&Command::Help(topic)).await?
            }
            Action::Data(spec) => return self.data(spec, expect).await,
            Action::Rset => {
                if let Some(r) = self.lmtp_recipients.as_mut() {
                    r.clear();
                }
                self.command(&Command::Rset).await?
            }
            Action::Noop => self.command(&Command::Noop).await?,
            Action::Quit => {
                let reply = self.command(&Command::Quit).await?;
                if let Some(f) = self.leftover("after the reply to QUIT") {
                    return Ok(f.into());
                }
                self.after_quit = self.conn.take();
                self.closed_after = Some("closed after QUIT".to_owned());
                reply
            }
            Action::Vrfy(x) => {
                let x = self.render_line(x)?;
                if let Some(end) =
                    self.plaintext_guard(step, &x, "a VRFY argument that holds a secret")
                {
                    return Ok(end);
                }
                self.command(&Command::Vrfy(x)).await?
            }
            Action::Sleep(d) => {
                self.transcript.info(&format!(
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
