//! Executes plans: scenario -> steps -> results (plain data, reported afterwards).

mod builtins;
mod check;
mod result;
mod scenario;
mod transcript;

pub use check::{Mismatch, check_reply, describe_expect};
pub use result::{Failure, Outcome, ScenarioResult, StepResult, StepStatus, SuiteResult};
pub use scenario::{RunOptions, TargetOverride, run_plans, run_scenario};
pub use transcript::{Dir, Transcript, TranscriptLine};
