//! The SMTP extension steps: several recipients in one step, ETRN / EXPN / HELP, HELO
//! fallback, the first-class ESMTP parameters of MAIL FROM / RCPT TO, and the check that the
//! server advertised what a step uses.

use super::run::{Run, StepEnd, StepErr};
use crate::model::{Action, Envelope, ParamValue, Recipient, Step};
use crate::protocol::{Capabilities, Command, Reply, xtext};
use crate::results::{FailureKind, StepFailure};
use crate::template::Template;

impl Run<'_> {
    /// None when every extension in `needs` was advertised by the last EHLO (or `send_anyway`
    /// says to send regardless); otherwise the failed step, before anything is sent.
    pub(super) fn require_advertised(
        &mut self,
        needs: &[&str],
        what: &str,
        send_anyway: bool,
    ) -> Option<StepEnd> {
        let missing: Vec<&str> = match &self.session.capabilities {
            Some(caps) => needs.iter().copied().filter(|k| !caps.has(k)).collect(),
            None => needs.to_vec(),
        };
        if missing.is_empty() {
            return None;
        }
        let list = missing.join(" and ");
        if send_anyway {
            self.session.transcript.info(&format!(
                "sending {what} although the server did not advertise {list} (send_anyway)"
            ));
            return None;
        }
        let Some(caps) = &self.session.capabilities else {
            return Some(
                StepFailure::new(
                    FailureKind::NotSent,
                    format!(
                        "{what} needs the {list} extension, but no EHLO reply is known on this connection: nothing was sent"
                    ),
                    vec!["say `ehlo` first, or add `send_anyway: true` to the step".to_owned()],
                )
                .into(),
            );
        };
        let listed: Vec<&str> = caps.iter().map(|c| c.keyword.as_str()).collect();
        Some(StepEnd::Fail(StepFailure::new(
            FailureKind::NotSent,
            format!(
                "the server did not advertise {list} in its EHLO reply, which {what} needs: nothing was sent"
            ),
            vec![
                format!(
                    "EHLO listed: {}",
                    if listed.is_empty() {
                        "no extensions".to_owned()
                    } else {
                        listed.join(", ")
                    }
                ),
                "add `send_anyway: true` to the step to send it anyway".to_owned(),
            ],
        )))
    }

    /// The address and the parameters of an envelope (first-class ones first, then `params`),
    /// or the step's end when an extension it uses was not advertised.
    pub(super) fn envelope_with(
        &mut self,
        env: &Envelope,
        send_anyway: bool,
    ) -> Result<Result<(String, Vec<String>), StepEnd>, StepErr> {
        let address = self.render_line(&env.address)?;
        let mut params = Vec::with_capacity(env.esmtp.len() + env.params.len());
        for p in &env.esmtp {
            let value = match &p.value {
                ParamValue::None => None,
                ParamValue::Fixed(v) => Some(v.clone()),
                ParamValue::Number(t) => {
                    let v = self.render_line(t)?;
                    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(StepFailure::new(
                            FailureKind::Plan,
                            format!("{} must be a number of bytes, got {v:?}", p.keyword),
                            Vec::new(),
                        ));
                    }
                    Some(v)
                }
                ParamValue::Xtext { prefix, value } => {
                    let v = self.render_line(value)?;
                    Some(format!("{prefix}{}", xtext(&v)))
                }
                ParamValue::MessageSize => Some(self.next_message_size()?.to_string()),
            };
            let param = match value {
                Some(v) => format!("{}={v}", p.keyword),
                None => p.keyword.to_owned(),
            };
            if let Some(end) = self.require_advertised(p.needs, &param, send_anyway) {
                return Ok(Err(end));
            }
            params.push(param);
        }
        for p in &env.params {
            params.push(self.render_line(p)?);
        }
        Ok(Ok((address, params)))
    }

    /// `size: message`: the size of the message of the scenario's next `data` step, rendered
    /// now and kept, so that the `data` step sends exactly what was counted.
    fn next_message_size(&mut self) -> Result<u64, StepErr> {
        let scenario = self.scenario;
        // The next `data` step, or the `data` of a pipelined group (this step's included).
        let next = scenario
            .steps
            .iter()
            .enumerate()
            .skip(self.step_index)
            .find_map(|(i, s)| match &s.action {
                Action::Data(spec) if i > self.step_index => Some((i, spec)),
                Action::Bdat(b) if i > self.step_index => Some((i, &b.message)),
                Action::Pipeline(items) => items.iter().find_map(|item| match &item.action {
                    Action::Data(spec) => Some((i, spec)),
                    _ => None,
                }),
                _ => None,
            });
        let Some((index, spec)) = next else {
            return Err(StepFailure::new(
                FailureKind::Plan,
                "`size: message` needs a `data` or `bdat` step later in the scenario",
                Vec::new(),
            ));
        };
        let message = self.message(spec)?;
        let size = self.message_size(&message)?;
        self.session.transcript.info(&format!(
            "the message of step {} is {size} bytes",
            index + 1
        ));
        self.prepared = Some((index, message));
        Ok(size)
    }

    /// `rcpt_to: [..]`: one RCPT TO per recipient, each reply checked; stops at the first
    /// recipient whose reply does not match.
    pub(super) async fn recipients(
        &mut self,
        list: &[Recipient],
        step: &Step,
    ) -> Result<StepEnd, StepErr> {
        let total = list.len();
        for (i, r) in list.iter().enumerate() {
            let (to, params) = match self.envelope_with(&r.envelope, step.send_anyway)? {
                Ok(x) => x,
                Err(end) => return Ok(label(end, i, total, "")),
            };
            let reply = self
                .session
                .command(&Command::Rcpt {
                    to: to.clone(),
                    params,
                })
                .await
                .map_err(|mut f| {
                    f.reason = label_text(&f.reason, i, total, &to);
                    f
                })?;
            if reply.code.is_positive()
                && let Some(r) = self.lmtp_recipients.as_mut()
            {
                r.push(to.clone());
            }
            let expect = r.expect.as_ref().unwrap_or(&step.expect);
            match self.check_parts(&reply, expect, true) {
                StepEnd::Pass => {}
                end => return Ok(label(end, i, total, &to)),
            }
        }
        Ok(StepEnd::Pass)
    }

    /// `ehlo: {name, helo_fallback: true}`: EHLO; on a 5xx, HELO like a client would.
    pub(super) async fn ehlo_fallback(&mut self, name: &Template) -> Result<Reply, StepErr> {
        let name = self.render_line(name)?;
        let reply = self.session.command(&Command::Ehlo(name.clone())).await?;
        if reply.code.is_positive() {
            self.session.capabilities = Some(Capabilities::parse(&reply));
            return Ok(reply);
        }
        if reply.code.value() / 100 != 5 {
            self.session.capabilities = None;
            return Ok(reply);
        }
        self.session.transcript.info(&format!(
            "EHLO refused with {}: falling back to HELO (helo_fallback)",
            reply.code.value()
        ));
        let helo = self.session.command(&Command::Helo(name)).await?;
        // HELO lists no extensions: every later check of one finds it missing.
        self.session.capabilities = helo.code.is_positive().then(Capabilities::default);
        Ok(helo)
    }
}

fn label_text(reason: &str, i: usize, total: usize, to: &str) -> String {
    let who = if to.is_empty() {
        String::new()
    } else {
        format!(" <{to}>")
    };
    format!("recipient {} of {total}{who}: {reason}", i + 1)
}

fn label(end: StepEnd, i: usize, total: usize, to: &str) -> StepEnd {
    match end {
        StepEnd::Pass => StepEnd::Pass,
        StepEnd::Fail(mut f) => {
            f.reason = label_text(&f.reason, i, total, to);
            StepEnd::Fail(f)
        }
    }
}
