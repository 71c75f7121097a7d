//! Executes plans: scenario -> steps -> results (plain data, reported afterwards).

mod auth;
mod bdat;
mod builtins;
mod check;
mod connect_options;
mod data;
mod expected;
mod extensions;
mod failure;
mod io;
mod mailbox;
mod mailbox_check;
mod mailbox_report;
mod pipeline;
mod result;
mod scenario;
mod schedule;
mod starttls;
mod target;
mod tls_check;
mod transcript;
mod xclient;

pub use check::{Mismatch, check_reply, describe_expect};
pub use failure::FailureKind;
pub use mailbox_report::{FoundMessage, MailboxCheck, MailboxReport};
pub use result::{Failure, Outcome, ScenarioResult, StepResult, StepStatus, SuiteResult};
pub use scenario::{RunOptions, run_scenario};
pub use schedule::{Partition, Schedule, Selection, run_plans};
pub use target::TargetOverride;
pub use tls_check::{check_tls, describe_tls, describe_tls_expect, tls_vars};
pub use transcript::{Dir, Transcript, TranscriptLine};
