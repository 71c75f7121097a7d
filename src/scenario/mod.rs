//! The plan model, YAML loading with positions, and diagnostics.

mod diagnostic;
mod load;
mod model;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use load::{LoadOptions, load_plans};
pub use model::*;
