//! The plan model, YAML loading with positions, and diagnostics.

mod context;
mod diagnostic;
mod duration;
mod expect;
mod load;
#[cfg(test)]
mod load_tests;
mod model;
mod node;
mod step;
mod target;
mod tls_expect;

pub use diagnostic::{Diagnostic, Diagnostics};
pub(crate) use load::find_plan_files;
pub use load::{LoadOptions, load_plan_str, load_plans, load_plans_with_env};
pub use model::*;
pub use tls_expect::TLS_VARS;
