//! `smtp-plan probe`: talk to a server, then write a plan that asserts what it said.

mod generalize;
mod plan;
mod session;
mod yaml;

pub use plan::{PlanMeta, TlsFacts, render_plan, tls_facts};
pub use session::{Login, Observation, ProbeError, ProbeOptions, ProbeTls, probe};
pub use yaml::{Yaml, escape_template, quote, render as render_yaml};
