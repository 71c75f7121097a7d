//! The runner's side of the connection: connecting, sending (never on top of bytes the server
//! sent unasked), reading replies, and turning transport errors into typed step failures.

use super::failure::{FailureKind, StepFailure};
use super::scenario::{Run, StepEnd, StepErr};
use crate::protocol::{Command, Reply};
use crate::scenario::{ConnectSpec, Target, TlsMode, TlsOptions};
use crate::transport::{CloseSeen, Connection, TransportError};

/// At most this much of what the server sent unasked is shown.
const SHOWN_UNSOLICITED: usize = 200;

/// Unsolicited bytes as text for a message: lines joined by ` / `, cut to a readable length.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let joined = text
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    match joined.char_indices().nth(SHOWN_UNSOLICITED) {
        Some((cut, _)) => format!("{}…", joined.get(..cut).unwrap_or_default()),
        None => joined,
    }
}

/// The command's verb as a reader knows it: `MAIL FROM`, `RCPT TO`, `EHLO`, `the message`.
fn verb(wire: &str) -> String {
    let upper = wire.trim_end().to_ascii_uppercase();
    for two in ["MAIL FROM", "RCPT TO"] {
        if upper.starts_with(two) {
            return two.to_owned();
        }
    }
    let first = upper.split_whitespace().next().unwrap_or_default();
    if first.is_empty() || first.len() > 12 {
        "the next line".to_owned()
    } else {
        first.to_owned()
    }
}

impl Run<'_> {
    /// The last reply, as a detail line for errors.
    fn last_reply_detail(&self) -> Vec<String> {
        match &self.last_reply {
            Some(r) => vec![format!("last reply: {}", r.wire_text(" / "))],
            None => vec!["no reply had been received".to_owned()],
        }
    }

    pub(super) fn transport_err(&mut self, e: TransportError) -> StepErr {
        let mut details = Vec::new();
        match &e {
            TransportError::Closed { partial } | TransportError::Reset { partial }
                if !partial.is_empty() =>
            {
                details.push(format!("partial reply: {}", partial.join(" / ")));
            }
            _ => {}
        }
        // A timeout's own sentence says what came of the reply; before it, the last one.
        match (&e, &self.last_reply) {
            (TransportError::Timeout { partial, .. }, None) if !partial.is_empty() => {}
            _ => details.extend(self.last_reply_detail()),
        }
        if matches!(
            e,
            TransportError::Closed { .. } | TransportError::Reset { .. }
        ) {
            self.conn = None;
            self.closed_after = Some(if matches!(e, TransportError::Reset { .. }) {
                "the server reset it".to_owned()
            } else {
                "the server closed it".to_owned()
            });
        }
        self.transcript.info(&format!("error: {e}"));
        StepFailure::new(FailureKind::of(&e), e.to_string(), details)
    }

    pub(super) async fn connect(&mut self, spec: &ConnectSpec) -> Result<(), StepErr> {
        self.conn = None;
        self.after_quit = None;
        self.capabilities = None;
        self.lmtp_recipients = None;
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
        let params = (tls == TlsMode::Implicit).then(|| self.tls_params(&TlsOptions::default()));
        let shown = crate::protocol::HostPort::new(&host, port);
        let how = if params.is_some() {
            " with implicit TLS"
        } else {
            ""
        };
        let (connect_options, notes) =
            super::connect_options::connect_options(spec, target, self.options.bind);
        let from = match connect_options.bind {
            Some(ip) => format!(" from {ip}"),
            None => String::new(),
        };
        self.transcript
            .info(&format!("connecting to {shown}{how}{from}"));
        for note in notes {
            self.transcript.info(&note);
        }
        match Connection::connect_with(
            &host,
            port,
            self.timeout(),
            params.as_ref(),
            self.options.limits,
            &connect_options,
        )
        .await
        {
            Ok((conn, info)) => {
                self.sent_at = Some(std::time::Instant::now());
                self.conn = Some(conn);
                self.closed_after = None;
                self.clear_tls_vars();
                if let Some(info) = info {
                    self.note_tls(&info, params.as_ref().is_some_and(|p| p.insecure));
                    self.set_tls_vars(Some(&info));
                }
                Ok(())
            }
            Err(e) => {
                self.transcript.info(&format!("error: {e}"));
                let mut details = Vec::new();
                if let Some(p) = params
                    .as_ref()
                    .filter(|_| matches!(e, TransportError::Tls { .. }))
                {
                    details.extend(self.tls_failure_details(p));
                }
                Err(StepFailure::new(
                    FailureKind::of(&e),
                    e.to_string(),
                    details,
                ))
            }
        }
    }

    pub(super) fn conn(&mut self) -> Result<&mut Connection, StepErr> {
        let why = self.closed_after.clone();
        self.conn.as_mut().ok_or_else(|| {
            StepFailure::new(
                FailureKind::Closed,
                format!(
                    "no open connection ({}); add a `connect` step to open a new one",
                    why.as_deref().unwrap_or("it was closed")
                ),
                Vec::new(),
            )
        })
    }

    /// Bytes the server sent that no command asked for, as a failure: shown in the transcript,
    /// with `when` saying where they came ("before `MAIL FROM` was sent").
    fn unsolicited_failure(&mut self, bytes: &[u8], when: &str, why: &str) -> StepFailure {
        let text = String::from_utf8_lossy(bytes).into_owned();
        for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
            if !line.is_empty() {
                self.transcript.push(super::Dir::Server, line);
            }
        }
        let reason = format!("the server sent `{}` {when}", shown(bytes));
        self.transcript.info(&reason);
        StepFailure::new(FailureKind::Unsolicited, reason, vec![why.to_owned()])
    }

    /// Whatever the server sent after its last reply when no reply is due, as a failure.
    pub(super) fn leftover(&mut self, when: &str) -> Option<StepFailure> {
        let conn = self.conn.as_mut()?;
        let bytes = conn.unsolicited();
        (!bytes.is_empty()).then(|| {
            self.unsolicited_failure(
                &bytes,
                when,
                "no reply was due: the server sent more than was asked for",
            )
        })
    }

    /// Write `wire`. Unless commands are pipelined on purpose, bytes that arrived before it
    /// (a reply to nothing, or a second reply to the last command) fail the step first.
    pub(super) async fn send_raw(&mut self, wire: &str) -> Result<(), StepErr> {
        self.send_bytes(wire.as_bytes(), &format!("`{}`", verb(wire)), true)
            .await
    }

    /// Write bytes (`what` names them for a message); `show` puts them in the transcript as
    /// client lines (the message of DATA is shown by its caller).
    pub(super) async fn send_bytes(
        &mut self,
        bytes: &[u8],
        what: &str,
        show: bool,
    ) -> Result<(), StepErr> {
        // No connection: nothing is sent, so the transcript shows no `C:` line.
        self.conn()?;
        // Whatever the command, a secret in it never goes out without TLS unless the step
        // says `allow_plaintext: true`.
        if show
            && !self.allow_plaintext
            && self.plaintext()
            && self
                .transcript
                .redactor
                .finds_secret(&String::from_utf8_lossy(bytes))
        {
            return Err(self.plaintext_refusal("a command that holds a secret"));
        }
        if !self.pipelining {
            let stray = self.conn()?.unsolicited();
            if !stray.is_empty() {
                return Err(self.unsolicited_failure(
                    &stray,
                    &format!("before {what} was sent"),
                    "it would be taken as the reply to the command; smtp-plan stops here",
                ));
            }
        }
        if show {
            self.transcript.client(&String::from_utf8_lossy(bytes));
        }
        let timeout = self.timeout();
        let res = self.conn()?.send(bytes, timeout).await;
        self.sent_at = Some(std::time::Instant::now());
        res.map_err(|e| self.transport_err(e))
    }

    pub(super) async fn read(&mut self) -> Result<Reply, StepErr> {
        let timeout = self.timeout();
        let res = self.conn()?.read_reply(timeout).await;
        match res {
            Ok(reply) => {
                self.step_latency = self.sent_at.map(|t| t.elapsed());
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

    pub(super) async fn expect_close(&mut self) -> Result<StepEnd, StepErr> {
        let timeout = self.timeout();
        if self.conn.is_none() {
            // `- quit` then `- expect_close`: the server must close the connection QUIT went on.
            self.conn = self.after_quit.take();
        }
        let res = self.conn()?.wait_close(timeout).await;
        match res {
            Ok(seen @ (CloseSeen::Closed | CloseSeen::Reset)) => {
                let how = if seen == CloseSeen::Reset {
                    "reset"
                } else {
                    "closed"
                };
                self.transcript
                    .info(&format!("the server {how} the connection"));
                self.conn = None;
                self.closed_after = Some(format!("the server {how} it"));
                Ok(StepEnd::Pass)
            }
            Ok(CloseSeen::Line(line)) => {
                self.transcript.push(super::Dir::Server, &line);
                Ok(StepFailure::expectation(
                    "expected the server to close the connection, but it sent a line",
                    vec![format!("got: {line}")],
                )
                .into())
            }
            Err(TransportError::Timeout { after, .. }) => Ok(StepFailure::expectation(
                format!(
                    "expected the server to close the connection, but it stayed open for {}",
                    crate::duration::format_duration(after)
                ),
                Vec::new(),
            )
            .into()),
            Err(e) => Err(self.transport_err(e)),
        }
    }
}
