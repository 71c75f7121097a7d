//! `xclient:` / `xforward:` (Postfix): the extension and every attribute must have been
//! advertised; after XCLIENT the reply is the server's new greeting, so EHLO is needed again.

use super::run::{Run, StepEnd, StepErr};
use crate::model::{Step, XAttr};
use crate::protocol::{Command, xtext};
use crate::results::{FailureKind, StepFailure};

impl Run<'_> {
    pub(super) async fn xattrs(
        &mut self,
        verb: &str,
        attrs: &[XAttr],
        step: &Step,
    ) -> Result<StepEnd, StepErr> {
        if let Some(end) = self.require_advertised(&[verb], verb, step.send_anyway) {
            return Ok(end);
        }
        if let Some(caps) = &self.session.capabilities
            && caps.has(verb)
        {
            let listed = caps.params(verb);
            let missing: Vec<&str> = attrs
                .iter()
                .map(|a| a.name.as_str())
                .filter(|n| !listed.iter().any(|l| l.eq_ignore_ascii_case(n)))
                .collect();
            if !missing.is_empty() {
                let what = format!(
                    "the server's {verb} does not accept the attribute{} {} (it lists: {})",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    listed.join(" ")
                );
                if step.send_anyway {
                    self.session
                        .transcript
                        .info(&format!("{what}; sending it anyway (send_anyway)"));
                } else {
                    return Ok(StepEnd::Fail(StepFailure::new(
                        FailureKind::NotSent,
                        format!("{what}: nothing was sent"),
                        vec!["add `send_anyway: true` to the step to send it anyway".to_owned()],
                    )));
                }
            }
        }
        let mut line = verb.to_owned();
        for a in attrs {
            let value = self.render_line(&a.value)?;
            line.push_str(&format!(" {}={}", a.name, xtext(&value)));
        }
        let reply = self.session.command(&Command::Raw(line)).await?;
        if verb == "XCLIENT" && reply.code.value() == 220 {
            self.session.capabilities = None;
            self.session.transcript.info(
                "XCLIENT accepted: that was the server's new greeting; its EHLO reply is needed again",
            );
        }
        Ok(self.check_parts(&reply, &step.expect, true))
    }
}
