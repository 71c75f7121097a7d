//! Reports read results; they never run anything.

mod console;
mod junit;

pub use console::{render_scenario, render_summary};
pub use junit::{render_junit, write_junit};
