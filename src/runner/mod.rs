//! Executes plans: scenario -> steps -> results ([`crate::results`]: plain data, reported
//! afterwards).

mod auth;
mod bdat;
mod builtins;
mod check;
mod connect_options;
mod data;
mod expected;
mod extensions;
mod io;
mod mailbox;
mod mailbox_check;
mod mailbox_shown;
mod message;
mod options;
mod pipeline;
mod run;
mod scenario;
mod schedule;
mod starttls;
mod target;
mod tls_check;
mod verdict;
mod xclient;

pub use check::{Mismatch, check_reply, describe_expect};
pub use options::RunOptions;
pub use scenario::run_scenario;
pub use schedule::{Partition, Schedule, Selection, run_plans};
pub use target::TargetOverride;
pub use tls_check::{check_tls, describe_tls, describe_tls_expect, tls_vars};
