//! Running one scenario: connect, play each step, check each reply, stop at the first failure.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::auth::AuthEnd;
use super::check::{check_reply, describe_expect};
use super::result::{Failure, Outcome, ScenarioResult, StepResult, StepStatus};
use super::target::TargetOverride;
use super::transcript::Transcript;
use crate::protocol::{
    Capabilities, Command, Limits, MimeAttachment, Reply, build_message, encode_data,
};
use crate::redact::Redactor;
use crate::scenario::{
    Action, ConnectSpec, DataSpec, Expect, Origin, Plan, Scenario, Span, Step, Target, TlsMode,
    TlsOverride,
};
use crate::template::Template;
use crate::transport::{ClientCert, Connection, TlsVersion, TransportError};

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
}

/// How one step ended.
pub(super) enum StepEnd {
    Pass,
    /// An expectation did not hold.
    Fail(String, Vec<String>),
    /// The conversation could not go on.
    Error(String, Vec<String>),
}

pub(super) struct Run<'a> {
    plan: &'a Plan,
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
    after_quit: Option<Connection>,
    /// Variables captured so far (values redacted), in order.
    captures: Vec<(String, String)>,
    /// The running step's own `timeout:`, if it has one.
    step_timeout: Option<Duration>,
    /// The running step's `allow_plaintext: true`.
    allow_plaintext: bool,
    /// The running step was refused by the plaintext guard (a failure, not an error).
    refused: bool,
    /// The running step's index in the scenario.
    pub(super) step_index: usize,
    /// A message rendered ahead of its `data` step (for `size: message`): the step's index,
    /// the text and whether it carries an encoded secret.
    pub(super) prepared: Option<(usize, String, bool)>,
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
        step_timeout: None,
        allow_plaintext: false,
        refused: false,
        step_index: 0,
        prepared: None,
    };
    super::builtins::set_scenario_builtins(&mut run.vars, &plan.name, &scenario.name);
    let mut steps = not_run(scenario);

    let mut outcome = Outcome::Passed;
    let starts_with_connect = matches!(
        scenario.steps.first().map(|s| &s.action),
        Some(Action::Connect(_))
    );
    if !starts_with_connect
        && let Err((reason, details)) = run.connect(&ConnectSpec::default()).await
    {
        outcome = Outcome::Errored(run.failure(0, "connect", scenario.span, None, reason, details));
    }
    if outcome.failure().is_none() {
        for (index, (step, result)) in scenario.steps.iter().zip(steps.iter_mut()).enumerate() {
            let step_started = Instant::now();
            let first_line = run.transcript.lines.len();
            run.step_index = index;
            let end = run.step(step).await;
            result.duration = step_started.elapsed();
            result.lines = first_line..run.transcript.lines.len();
            let (status, reason, details) = match end {
                StepEnd::Pass => {
                    result.status = StepStatus::Passed;
                    continue;
                }
                StepEnd::Fail(reason, details) => (StepStatus::Failed, reason, details),
                StepEnd::Error(reason, details) => (StepStatus::Errored, reason, details),
            };
            result.status = status;
            let failure = run.failure(
                index + 1,
                step.action.keyword(),
                step.span,
                step.origin.as_ref(),
                reason,
                details,
            );
            outcome = if status == StepStatus::Errored {
                Outcome::Errored(failure)
            } else {
                Outcome::Failed(failure)
            };
            break;
        }
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
            lines: 0..0,
        })
        .collect()
}

/// The `got:` detail of a failure: the reply, its lines aligned under the first.
fn got_detail(reply: &Reply) -> String {
    format!("got:      {}", reply.wire_text("\n          "))
}

/// `Err` of the helpers below: a reason and detail lines.
pub(super) type StepErr = (String, Vec<String>);

impl Run<'_> {
    pub(super) fn timeout(&self) -> Duration {
        self.step_timeout.unwrap_or(self.scenario.target.timeout)
    }

    fn failure(
        &self,
        step: usize,
        keyword: &'static str,
        span: Span,
        origin: Option<&std::sync::Arc<Origin>>,
        reason: String,
        details: Vec<String>,
    ) -> Failure {
        let r = &self.transcript.redactor;
        let path = origin.map_or(&self.plan.path, |o| &o.path);
        let source = origin.map_or(&*self.plan.source, |o| &*o.source);
        let source_line = span
            .line
            .checked_sub(1)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| source.lines().nth(i))
            .map(|l| r.redact(l));
        Failure {
            step,
            keyword,
            location: format!("{}:{}:{}", path.display(), span.line, span.col),
            span,
            origin: origin.cloned(),
            reason: r.redact(&reason),
            details: details.iter().map(|d| r.redact(d)).collect(),
            source_line,
        }
    }

    /// Render a template; the output of a function applied to a secret (`${base64(password)}`)
    /// becomes a secret too, in every output.
    pub(super) fn render(&mut self, t: &Template) -> Result<String, StepErr> {
        let (out, applied) = t
            .render_traced(&self.vars)
            .map_err(|e| (e.to_string(), Vec::new()))?;
        for a in applied {
            let r = &self.transcript.redactor;
            if a.args.iter().any(|arg| r.redact(arg) != *arg) {
                self.transcript.redactor.add_secret(&a.output);
            }
        }
        Ok(out)
    }

    /// Render a template that goes into a command line. A CR or LF inside a variable's value
    /// would split the command in two: that is an error naming the variable, never its value.
    pub(super) fn render_line(&mut self, t: &Template) -> Result<String, StepErr> {
        if let Some(name) = t.line_break_in(&self.vars) {
            return Err((
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

    /// The last reply, as a detail line for errors.
    fn last_reply_detail(&self) -> Vec<String> {
        match &self.last_reply {
            Some(r) => vec![format!("last reply: {}", r.wire_text(" / "))],
            None => vec!["no reply had been received".to_owned()],
        }
    }

    fn transport_err(&mut self, e: TransportError) -> StepErr {
        let mut details = Vec::new();
        match &e {
            TransportError::Timeout { partial, .. } | TransportError::Closed { partial }
                if !partial.is_empty() =>
            {
                details.push(format!("partial reply: {}", partial.join(" / ")));
            }
            _ => {}
        }
        details.extend(self.last_reply_detail());
        if matches!(e, TransportError::Closed { .. }) {
            self.conn = None;
            self.closed_after = Some("the server closed it".to_owned());
        }
        self.transcript.info(&format!("error: {e}"));
        (e.to_string(), details)
    }

    async fn connect(&mut self, spec: &ConnectSpec) -> Result<(), StepErr> {
        self.conn = None;
        self.after_quit = None;
        self.capabilities = None;
        let target: &Target = &self.scenario.target;
        let tls = spec.tls.unwrap_or(target.tls);
        let mut host = spec.host.clone().unwrap_or_else(|| target.host.clone());
        let mut port = spec.port.unwrap_or(target.port);
        if let Some(o) = &self.options.target {
            host = o.host.clone();
            port = match tls {
                TlsMode::Implicit => o.tls_port.or(o.port).unwrap_or(port),
                TlsMode::None => o.port.unwrap_or(port),
            };
        }
        self.host = host.clone();
        let params = (tls == TlsMode::Implicit).then(|| self.tls_params(&TlsOverride::default()));
        let shown = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let how = if params.is_some() {
            " with implicit TLS"
        } else {
            ""
        };
        self.transcript.info(&format!("connecting to {shown}{how}"));
        match Connection::connect(
            &host,
            port,
            self.timeout(),
            params.as_ref(),
            self.options.limits,
        )
        .await
        {
            Ok((conn, info)) => {
                self.conn = Some(conn);
                self.closed_after = None;
                self.clear_tls_vars();
                if let Some(info) = info {
                    self.note_tls(&info);
                    self.set_tls_vars(Some(&info));
                }
                Ok(())
            }
            Err(e) => {
                self.transcript.info(&format!("error: {e}"));
                Err((e.to_string(), Vec::new()))
            }
        }
    }

    pub(super) fn conn(&mut self) -> Result<&mut Connection, StepErr> {
        let why = self.closed_after.clone();
        self.conn.as_mut().ok_or_else(|| {
            (
                format!(
                    "no open connection ({}); add a `connect` step to open a new one",
                    why.as_deref().unwrap_or("it was closed")
                ),
                Vec::new(),
            )
        })
    }

    pub(super) async fn send_raw(&mut self, wire: &str) -> Result<(), StepErr> {
        // No connection: nothing is sent, so the transcript shows no `C:` line.
        self.conn()?;
        // Whatever the command, a secret in it never goes out without TLS unless the step
        // says `allow_plaintext: true`.
        if !self.allow_plaintext && self.plaintext() && self.transcript.redactor.finds_secret(wire)
        {
            self.refused = true;
            return Err(self.plaintext_refusal("a command that holds a secret"));
        }
        self.transcript.client(wire);
        let timeout = self.timeout();
        let res = self.conn()?.send(wire.as_bytes(), timeout).await;
        res.map_err(|e| self.transport_err(e))
    }

    pub(super) async fn read(&mut self) -> Result<Reply, StepErr> {
        let timeout = self.timeout();
        let res = self.conn()?.read_reply(timeout).await;
        match res {
            Ok(reply) => {
                self.transcript.server_reply(reply.wire_lines().collect());
                self.last_reply = Some(reply.clone());
                Ok(reply)
            }
            Err(e) => Err(self.transport_err(e)),
        }
    }

    pub(super) async fn command(&mut self, cmd: &Command) -> Result<Reply, StepErr> {
        self.send_raw(&cmd.to_string()).await?;
        self.read().await
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
            Err((reason, d)) => return StepEnd::Error(reason, d),
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
        let mut tls_detail = None;
        if with_tls && let Some(want) = &expect.tls {
            match self.tls_mismatches(want) {
                Ok(None) => {}
                Ok(Some(m)) => {
                    mismatches.extend(m.bad);
                    tls_detail = Some((m.want, m.got));
                }
                Err((reason, d)) => return StepEnd::Error(reason, d),
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
        StepEnd::Fail(reason, details)
    }

    /// Play a step; with `retry:`, play it again (after the interval) while it fails.
    async fn step(&mut self, step: &Step) -> StepEnd {
        self.step_timeout = step.timeout;
        let mut attempt = 0u32;
        loop {
            super::builtins::set_step_builtins(&mut self.vars);
            self.allow_plaintext = step.allow_plaintext;
            self.refused = false;
            let end = match self.play(step).await {
                Ok(end) => end,
                Err((reason, details)) if self.refused => StepEnd::Fail(reason, details),
                Err((reason, details)) => StepEnd::Error(reason, details),
            };
            // An expectation that did not hold is retried; so is a `connect` that could not
            // connect. Other errors leave the conversation in an unknown state: never retried.
            let retryable = match &end {
                StepEnd::Pass => false,
                StepEnd::Fail(..) => true,
                StepEnd::Error(..) => matches!(step.action, Action::Connect(_)),
            };
            match step.retry {
                Some(retry) if retryable && attempt < retry.count => {
                    attempt += 1;
                    self.transcript.info(&format!(
                        "retry {attempt}/{} in {}",
                        retry.count,
                        crate::transport::human_duration(retry.interval)
                    ));
                    tokio::time::sleep(retry.interval).await;
                }
                _ => return end,
            }
        }
    }

    /// The text of a `data` step's message, and whether it carries a secret in an encoded form
    /// (RFC 2047, quoted-printable) that masking by value cannot find in the wire text.
    pub(super) fn message(&mut self, spec: &DataSpec) -> Result<(String, bool), StepErr> {
        match spec {
            DataSpec::Text(text) => Ok((self.render(text)?, false)),
            DataSpec::Mime(mime) => {
                let headers = mime
                    .headers
                    .iter()
                    .map(|(name, value)| Ok((name.clone(), self.render(value)?)))
                    .collect::<Result<Vec<_>, StepErr>>()?;
                let body = match &mime.body {
                    Some(b) => self.render(b)?,
                    None => String::new(),
                };
                let attachments: Vec<MimeAttachment<'_>> = mime
                    .attachments
                    .iter()
                    .map(|a| MimeAttachment {
                        name: &a.name,
                        content_type: &a.content_type,
                        content: &a.content,
                    })
                    .collect();
                let r = &self.transcript.redactor;
                let secret = headers
                    .iter()
                    .map(|(_, v)| v)
                    .chain([&body])
                    .any(|t| r.redact(t) != *t);
                let var = |name: &str| self.vars.get(name).cloned().unwrap_or_default();
                let text = build_message(
                    &headers,
                    &body,
                    &attachments,
                    &var("now"),
                    &var("message_id"),
                );
                Ok((text, secret))
            }
        }
    }

    /// The `data` step: DATA, then the message once the server said 354. `Ok(Err(end))` is a
    /// step that ended without a final reply to check.
    async fn data(&mut self, spec: &DataSpec) -> Result<Result<Reply, StepEnd>, StepErr> {
        let (text, secret) = match self.prepared.take() {
            Some((index, text, secret)) if index == self.step_index => (text, secret),
            _ => self.message(spec)?,
        };
        // A message holding a secret is refused before DATA is sent, as a command would be.
        let holds_secret = secret || self.transcript.redactor.finds_secret(&text);
        if holds_secret && !self.allow_plaintext && self.plaintext() {
            return Ok(Err(self.refuse_plaintext("a message that holds a secret")));
        }
        let first = self.command(&Command::Data).await?;
        if first.code.is_positive() {
            // The contract's "354 then 250": a 2xx to DATA means no message was taken,
            // whatever `expect` says about the final reply.
            return Ok(Err(StepEnd::Fail(
                format!(
                    "expected 354 to DATA, got {}: the message was not sent",
                    first.code.value()
                ),
                vec![got_detail(&first)],
            )));
        }
        if !first.code.is_intermediate() {
            // DATA itself was refused: that reply is the one to check.
            return Ok(Ok(first));
        }
        Ok(Ok(self.send_message(&text, secret).await?))
    }

    /// The message after a 354, dot-stuffed, then its final reply.
    pub(super) async fn send_message(
        &mut self,
        text: &str,
        secret: bool,
    ) -> Result<Reply, StepErr> {
        let wire = encode_data(text);
        if secret {
            let lines = wire.split(|&b| b == b'\n').count().saturating_sub(1);
            self.transcript.info(&format!(
                "the message ({lines} lines) is not shown: MIME encoding would show a secret unmasked"
            ));
        } else {
            self.transcript.data(&wire);
        }
        let timeout = self.timeout();
        let res = self.conn()?.send(&wire, timeout).await;
        res.map_err(|e| self.transport_err(e))?;
        self.read().await
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
                let cmd = if matches!(step.action, Action::Lhlo(_)) {
                    Command::Lhlo(name)
                } else {
                    Command::Ehlo(name)
                };
                let reply = self.command(&cmd).await?;
                self.capabilities = reply
                    .code
                    .is_positive()
                    .then(|| Capabilities::parse(&reply));
                reply
            }
            Action::Helo(name) => {
                let name = self.render_line(name)?;
                if let Some(end) =
                    self.plaintext_guard(step, &name, "a host name that holds a secret")
                {
                    return Ok(end);
                }
                self.command(&Command::Helo(name)).await?
            }
            Action::StartTls(over) => return self.starttls(over, step).await,
            Action::Auth(spec) => match self.auth(spec, step.allow_plaintext).await? {
                AuthEnd::Reply(reply) => reply,
                AuthEnd::End(end) => return Ok(end),
            },
            Action::MailFrom(env) => {
                let (from, params) = match self.envelope_with(env, step.send_anyway)? {
                    Ok(x) => x,
                    Err(end) => return Ok(end),
                };
                self.command(&Command::Mail { from, params }).await?
            }
            Action::RcptTo(env) => {
                let (to, params) = match self.envelope_with(env, step.send_anyway)? {
                    Ok(x) => x,
                    Err(end) => return Ok(end),
                };
                self.command(&Command::Rcpt { to, params }).await?
            }
            Action::RcptToMany(list) => return self.recipients(list, step).await,
            Action::Pipeline(items) => return self.pipeline(items, step).await,
            Action::EhloFallback(name) => self.ehlo_fallback(name).await?,
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
            Action::Data(spec) => match self.data(spec).await? {
                Ok(reply) => reply,
                Err(end) => return Ok(end),
            },
            Action::Rset => self.command(&Command::Rset).await?,
            Action::Noop => self.command(&Command::Noop).await?,
            Action::Quit => {
                let reply = self.command(&Command::Quit).await?;
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
                    crate::transport::human_duration(*d)
                ));
                tokio::time::sleep(*d).await;
                return Ok(StepEnd::Pass);
            }
            Action::ExpectClose => return self.expect_close().await,
            Action::Connect(spec) => {
                return Ok(match self.connect(spec).await {
                    Ok(()) => StepEnd::Pass,
                    Err((r, d)) => StepEnd::Error(r, d),
                });
            }
        };
        Ok(self.check(&reply, expect))
    }

    async fn expect_close(&mut self) -> Result<StepEnd, StepErr> {
        let timeout = self.timeout();
        if self.conn.is_none() {
            // `- quit` then `- expect_close`: the server must close the connection QUIT went on.
            self.conn = self.after_quit.take();
        }
        let res = self.conn()?.wait_close(timeout).await;
        match res {
            Ok(None) => {
                self.transcript.info("the server closed the connection");
                self.conn = None;
                self.closed_after = Some("the server closed it".to_owned());
                Ok(StepEnd::Pass)
            }
            Ok(Some(line)) => {
                self.transcript.push(super::Dir::Server, &line);
                Ok(StepEnd::Fail(
                    "expected the server to close the connection, but it sent a line".to_owned(),
                    vec![format!("got: {line}")],
                ))
            }
            Err(TransportError::Timeout { after, .. }) => Ok(StepEnd::Fail(
                format!(
                    "expected the server to close the connection, but it stayed open for {}",
                    crate::transport::human_duration(after)
                ),
                Vec::new(),
            )),
            Err(e) => Err(self.transport_err(e)),
        }
    }
}
