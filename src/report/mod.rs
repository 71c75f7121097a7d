//! Reports read results; they never run anything.

mod atomic;
mod console;
mod github;
mod html;
mod json;
mod junit;
mod metrics;
mod nagios;
mod outputs;
mod owned_dir;
mod transcripts;

pub use atomic::write_atomic;
pub use console::{render_scenario, render_summary};
pub use github::{render_github_annotations, render_github_load_annotations};
pub use html::{render_html, write_html};
pub use json::render_json;
pub use junit::{
    JunitOptions, render_junit, render_junit_load_errors, write_junit, write_junit_load_errors,
};
pub use metrics::{render_metrics, render_metrics_load_error, write_metrics};
pub use nagios::{NagiosStatus, render_nagios, render_nagios_unknown};
pub use outputs::ReportConfig;
pub use transcripts::{slug, write_transcripts};
