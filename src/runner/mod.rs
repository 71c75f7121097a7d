//! Executes plans: scenario -> steps -> results (plain data, reported afterwards).

mod check;
mod result;
mod scenario;
mod schedule;
mod transcript;

pub use check::{Mismatch, check_reply, describe_expect};
pub use result::{Failure, Outcome, ScenarioResult, StepResult, StepStatus, SuiteResult};
pub use scenario::{RunOptions, TargetOverride, run_scenario};
pub use schedule::{Partition, Schedule, Selection, run_plans};
pub use transcript::{Dir, Transcript, TranscriptLine};
