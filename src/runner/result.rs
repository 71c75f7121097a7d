use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::TranscriptLine;
use crate::model::{Origin, Span};
use crate::session::FailureKind;
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

/// Where and why a scenario stopped. All text is already redacted.
#[derive(Debug, Clone)]
pub struct Failure {
    /// 1-based step number; 0 = the connection opened before the first step.
    pub step: usize,
    /// The step's YAML key (`data`, `starttls`, ...), or `connect`.
    pub keyword: &'static str,
    /// `file:line:col` of the step (or of the scenario for step 0).
    pub location: String,
    pub span: Span,
    /// The file `span` points into when it is not the plan file (a step of an included group).
    pub origin: Option<Arc<Origin>>,
    /// What kind of problem it was (decides failure vs error).
    pub kind: FailureKind,
    /// One line: what went wrong.
    pub reason: String,
    /// Further lines: expected, got, the reply, the last reply before a drop.
    pub details: Vec<String>,
    /// The plan's line at `span` (redacted: it may hold a literal password), when known.
    pub source_line: Option<String>,
}

impl Failure {
    /// `step 7 (data) at scenarios/exchange.yaml:38:9`
    pub fn step_label(&self) -> String {
        if self.step == 0 {
            format!("connecting (scenario at {})", self.location)
        } else {
            format!("step {} ({}) at {}", self.step, self.keyword, self.location)
        }
    }

    /// `step 7 (data) at scenarios/exchange.yaml:38:9: expected code 250, got 554`
    pub fn headline(&self) -> String {
        format!("{}: {}", self.step_label(), self.reason)
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
    pub mailbox: Option<Box<super::MailboxReport>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Passed,
    Failed,
    Errored,
    NotRun,
}
