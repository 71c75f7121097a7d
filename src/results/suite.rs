//! A run's outcome: one suite per plan file, one scenario per JUnit test case, its steps.

use std::path::PathBuf;
use std::time::Duration;

use super::{Failure, MailboxReport, TranscriptLine};
use crate::model::Span;
use crate::transport::TlsInfo;

/// One plan file's results (one JUnit test suite).
#[derive(Debug, Clone)]
pub struct SuiteResult {
    pub name: String,
    pub path: PathBuf,
    pub scenarios: Vec<ScenarioResult>,
    pub duration: Duration,
}

#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub name: String,
    pub tags: Vec<String>,
    pub outcome: Outcome,
    pub duration: Duration,
    pub steps: Vec<StepResult>,
    /// The conversation, already redacted.
    pub transcript: Vec<TranscriptLine>,
    /// `capture:` results in order (values redacted).
    pub captures: Vec<(String, String)>,
    /// Every TLS session the scenario established (STARTTLS or implicit), in order: version,
    /// cipher and the server certificate's names, issuer and days left.
    pub tls: Vec<TlsInfo>,
}

impl ScenarioResult {
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Passed)
    }

    pub fn skipped(&self) -> bool {
        matches!(self.outcome, Outcome::Skipped(_))
    }

    /// Failed or errored.
    pub fn failed(&self) -> bool {
        self.outcome.failure().is_some()
    }
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Passed,
    /// An expectation did not hold (JUnit `<failure>`).
    Failed(Failure),
    /// The scenario could not run on: I/O, timeout, TLS, a dropped connection (JUnit `<error>`).
    Errored(Failure),
    /// Not run, with the reason (`skip:` in the plan).
    Skipped(String),
}

impl Outcome {
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Passed | Outcome::Skipped(_) => None,
            Outcome::Failed(f) | Outcome::Errored(f) => Some(f),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StepResult {
    pub keyword: &'static str,
    pub span: Span,
    pub status: StepStatus,
    pub duration: Duration,
    /// How long the step's (last) reply took to come after its command was written (or the
    /// connection opened); None when the step read no reply.
    pub latency: Option<Duration>,
    /// The transcript lines this step produced (indices into `ScenarioResult::transcript`).
    pub lines: std::ops::Range<usize>,
    /// A `mailbox` step's search and checks (redacted), once it has looked.
    pub mailbox: Option<Box<MailboxReport>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Passed,
    Failed,
    Errored,
    NotRun,
}
