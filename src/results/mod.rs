//! The results of a run, as plain data: suites, scenarios and steps with their outcomes,
//! typed failures, the redacted transcripts, what `mailbox` steps found, the TLS sessions
//! seen. The session and the runner write them; the reports read them and nothing above
//! them (never the runner). Nothing here does I/O or runs anything.

mod failure;
mod mailbox;
mod suite;
mod transcript;

pub use failure::{Failure, FailureKind, StepFailure};
pub use mailbox::{FoundMessage, MailboxCheck, MailboxReport};
pub use suite::{Outcome, ScenarioResult, StepResult, StepStatus, SuiteResult};
pub use transcript::{Dir, TranscriptLine};
