//! `pipeline:` (RFC 2920): the group's commands in one write, then each reply in order against
//! its own expectation; DATA, when last, gets its message after the 354.

use super::run::{Run, StepEnd, StepErr};
use crate::model::{Action, Expect, Step};
use crate::protocol::{Command, Reply};
use crate::results::{FailureKind, StepFailure};

/// One command of the group, with the expectation its reply is checked against.
struct Queued<'s> {
    command: Command,
    expect: &'s Expect,
    /// DATA: the message to send after the 354.
    message: Option<super::message::Message>,
}

impl Run<'_> {
    pub(super) async fn pipeline(
        &mut self,
        items: &[Step],
        step: &Step,
    ) -> Result<StepEnd, StepErr> {
        if let Some(end) =
            self.require_advertised(&["PIPELINING"], "a pipelined group", step.send_anyway)
        {
            return Ok(end);
        }
        let mut queued: Vec<Queued<'_>> = Vec::new();
        for item in items {
            let expect = &item.expect;
            let simple = |command| Queued {
                command,
                expect,
                message: None,
            };
            match &item.action {
                Action::MailFrom(env) => match self.envelope_with(env, step.send_anyway)? {
                    Ok((from, params)) => queued.push(simple(Command::Mail { from, params })),
                    Err(end) => return Ok(end),
                },
                Action::RcptTo(env) => match self.envelope_with(env, step.send_anyway)? {
                    Ok((to, params)) => queued.push(simple(Command::Rcpt { to, params })),
                    Err(end) => return Ok(end),
                },
                Action::RcptToMany(list) => {
                    for r in list {
                        match self.envelope_with(&r.envelope, step.send_anyway)? {
                            Ok((to, params)) => queued.push(Queued {
                                command: Command::Rcpt { to, params },
                                expect: r.expect.as_ref().unwrap_or(expect),
                                message: None,
                            }),
                            Err(end) => return Ok(end),
                        }
                    }
                }
                Action::Rset => queued.push(simple(Command::Rset)),
                Action::Noop => queued.push(simple(Command::Noop)),
                Action::Data(spec) => {
                    let message = match self.prepared.take() {
                        Some((index, message)) if index == self.step_index => message,
                        _ => self.message(spec)?,
                    };
                    queued.push(Queued {
                        command: Command::Data,
                        expect,
                        message: Some(message),
                    });
                }
                other => {
                    return Err(StepFailure::new(
                        FailureKind::Plan,
                        format!("`{}` cannot be pipelined", other.keyword()),
                        Vec::new(),
                    ));
                }
            }
        }
        let wire: String = queued.iter().map(|q| q.command.to_string()).collect();
        self.session.transcript.info(&format!(
            "pipelining {} commands in one write",
            queued.len()
        ));
        self.session.send_raw(&wire).await?;

        let total = queued.len();
        for (i, q) in queued.iter().enumerate() {
            let shown = q.command.to_string().trim_end().to_owned();
            let what = format!("pipelined command {} of {total} ({shown})", i + 1);
            let reply = match self.session.read().await {
                Ok(r) => r,
                Err(mut f) => {
                    f.reason = format!(
                        "the server answered {i} of the {total} pipelined commands; no reply to {shown}: {}",
                        f.reason
                    );
                    return Ok(f.into());
                }
            };
            let final_reply = match &q.message {
                // Every pipelined reply is in (DATA is last): a reply before the message is
                // unsolicited, as outside a pipeline.
                Some(message) if reply.code.is_intermediate() => self.send_message(message).await?,
                Some(_) if reply.code.is_positive() => {
                    return Ok(StepFailure::expectation(
                        format!(
                            "{what}: expected 354 to DATA, got {}: the message was not sent",
                            reply.code.value()
                        ),
                        vec![format!("got:      {}", reply.wire_text("\n          "))],
                    )
                    .into());
                }
                _ => reply,
            };
            match self.check_parts(&final_reply, q.expect, true) {
                StepEnd::Pass => {}
                StepEnd::Fail(mut f) if f.kind == FailureKind::Expectation => {
                    let details = &mut f.details;
                    if let Some(hint) = order_hint(&final_reply, &q.command, &queued) {
                        details.insert(0, hint);
                    }
                    let unread = total - i - 1;
                    if unread > 0 {
                        details.push(format!(
                            "{unread} later repl{} not read",
                            if unread == 1 { "y was" } else { "ies were" }
                        ));
                    }
                    f.reason = format!("{what}: {}", f.reason);
                    return Ok(f.into());
                }
                StepEnd::Fail(mut f) => {
                    f.reason = format!("{what}: {}", f.reason);
                    return Ok(f.into());
                }
            }
        }
        Ok(StepEnd::Pass)
    }
}

/// When a reply fits another command of the group better than its own (a 354 to anything but
/// DATA, a sender's enhanced code to RCPT, a recipient's to MAIL), say the server may have
/// answered out of order.
fn order_hint(reply: &Reply, command: &Command, group: &[Queued<'_>]) -> Option<String> {
    let has = |f: fn(&Command) -> bool| group.iter().any(|q| f(&q.command));
    let is_data = |c: &Command| matches!(c, Command::Data);
    let is_mail = |c: &Command| matches!(c, Command::Mail { .. });
    let is_rcpt = |c: &Command| matches!(c, Command::Rcpt { .. });
    let belongs = if reply.code.value() == 354 && !is_data(command) && has(is_data) {
        Some("DATA")
    } else {
        match reply.enhanced().map(|e| (e.subject, e.detail)) {
            Some((1, 0)) if is_rcpt(command) && has(is_mail) => {
                Some("MAIL FROM (x.1.0 is about the sender)")
            }
            Some((1, 5)) if is_mail(command) && has(is_rcpt) => {
                Some("RCPT TO (x.1.5 is about a recipient)")
            }
            _ => None,
        }
    }?;
    Some(format!(
        "this reply looks like the one to {belongs}: did the server answer out of order?"
    ))
}
