//! The verdict on a reply: a step's `expect:` checked against it (codes, text, captures,
//! `within`, and the `tls:` expectation against the open connection), as one failure that
//! lists every mismatch.

use super::check::{Mismatch, check_reply, describe_expect};
use super::run::{Run, StepEnd, StepErr};
use super::tls_check::{check_tls, describe_tls, describe_tls_expect};
use crate::model::{Expect, TlsExpect};
use crate::protocol::Reply;
use crate::results::StepFailure;

/// A `tls:` expectation that did not hold.
pub(super) struct TlsMismatch {
    pub bad: Vec<Mismatch>,
    /// The expectation, described.
    pub want: String,
    /// The connection's TLS, described.
    pub got: String,
}

/// The `got:` detail of a failure: the reply, its lines aligned under the first.
pub(super) fn got_detail(reply: &Reply) -> String {
    format!("got:      {}", reply.wire_text("\n          "))
}

impl Run<'_> {
    /// Check the open connection against a `tls:` expectation: `None` if it holds, otherwise
    /// the mismatches and the expectation and the connection described.
    pub(super) fn tls_mismatches(
        &mut self,
        want: &TlsExpect,
    ) -> Result<Option<TlsMismatch>, StepErr> {
        let names = want
            .names_include
            .iter()
            .map(|t| self.render(t))
            .collect::<Result<Vec<_>, _>>()?;
        let info = self.session.tls_info();
        let bad = check_tls(info, want, &names, crate::transport::date::unix_now());
        Ok((!bad.is_empty()).then(|| TlsMismatch {
            bad,
            want: describe_tls_expect(want, &names),
            got: describe_tls(info),
        }))
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
                    self.capture(name, value);
                }
                Vec::new()
            }
            Err(mismatches) => mismatches,
        };
        if let (Some(within), Some(latency)) = (expect.within, self.session.latency())
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
}
