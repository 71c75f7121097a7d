//! `smtp-plan probe`: talk to a server (on the client session the runner uses too), then write
//! a plan that asserts what it said.

mod conversation;
mod generalize;
mod observation;
mod plan;
mod summary;
mod yaml;

pub use conversation::{Login, ProbeError, ProbeOptions, ProbeTls, probe};
pub use observation::Observation;
pub use plan::{TlsFacts, render_plan, tls_facts};
pub use summary::PlanMeta;
pub use yaml::{Yaml, escape_template, quote, render as render_yaml};
