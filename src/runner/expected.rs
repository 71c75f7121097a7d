//! `expect: {fails: ...}`: a step that must fail a given way passes when it does, and fails
//! — with what happened instead — when it does not.

use super::run::{Run, StepEnd};
use super::tls_check::describe_tls;
use crate::model::{Action, ExpectedFailure, Step};
use crate::results::StepFailure;

/// `the certificate to be rejected as expired` / `... or the connection to be refused`.
fn describe(want: &[ExpectedFailure]) -> String {
    want.iter()
        .map(|f| f.describe())
        .collect::<Vec<_>>()
        .join(", or ")
}

impl Run<'_> {
    /// Turn the end of a step with `fails:` into its verdict; other steps' ends pass through.
    pub(super) fn expected_failure(&mut self, step: &Step, end: StepEnd) -> StepEnd {
        let want = &step.expect.fails;
        if want.is_empty() {
            return end;
        }
        let words = want
            .iter()
            .map(|f| f.word())
            .collect::<Vec<_>>()
            .join(" or ");
        let expected = format!("expected: the step to fail: {words}");
        match end {
            StepEnd::Fail(f) if want.iter().any(|w| f.kind.satisfies(*w)) => {
                self.session
                    .transcript
                    .info(&format!("failed as expected ({words}): {}", f.reason));
                // The connection is gone, or in a state no later step can build on.
                self.session
                    .drop_connection(format!("closed after the expected failure ({words})"));
                StepEnd::Pass
            }
            StepEnd::Fail(f) => {
                let mut details = vec![format!("it failed with: {}", f.reason)];
                details.extend(f.details.into_iter().filter(|d| *d != expected));
                details.push(expected);
                StepFailure::expectation(
                    format!("expected {}, but the step failed otherwise", describe(want)),
                    details,
                )
                .into()
            }
            StepEnd::Pass => {
                let happened = match &step.action {
                    Action::Connect(_) | Action::StartTls(_) => match self.session.tls_info() {
                        Some(info) => {
                            format!("the TLS handshake succeeded: {}", describe_tls(Some(info)))
                        }
                        None => "the connection was made".to_owned(),
                    },
                    _ => match self.session.last_reply() {
                        Some(r) => format!("the server replied: {}", r.wire_text(" / ")),
                        None => "the step passed".to_owned(),
                    },
                };
                self.session
                    .transcript
                    .info(&format!("expected failure did not happen: {happened}"));
                StepFailure::expectation(
                    format!("expected {}, but it did not happen", describe(want)),
                    vec![happened, expected],
                )
                .into()
            }
        }
    }
}
