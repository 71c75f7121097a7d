//! The report files one run writes, and writing them all.

use std::path::PathBuf;

use super::JunitOptions;
use crate::results::SuiteResult;
use crate::scenario::Diagnostics;

/// Which reports to write, and where (checked command-line options).
#[derive(Debug, Clone, Default)]
pub struct ReportConfig {
    /// `--junit FILE`.
    pub junit: Option<PathBuf>,
    pub junit_options: JunitOptions,
    /// `--json FILE`.
    pub json: Option<PathBuf>,
    /// `--transcript-dir DIR`.
    pub transcript_dir: Option<PathBuf>,
    /// `--metrics FILE`: OpenMetrics text for node_exporter's textfile collector.
    pub metrics: Option<PathBuf>,
    /// `--html DIR`: a self-contained page, `DIR/index.html`.
    pub html: Option<PathBuf>,
}

fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl ReportConfig {
    /// Write every report asked for; one error per report that could not be written (the
    /// others are still written).
    pub fn write(&self, suites: &[SuiteResult]) -> Vec<anyhow::Error> {
        let mut errors = Vec::new();
        let mut failed = |what: &str, path: &std::path::Path, e: std::io::Error| {
            errors.push(anyhow::anyhow!(
                "could not write the {what} {}: {e}",
                path.display()
            ));
        };
        if let Some(path) = &self.junit
            && let Err(e) = super::write_junit(path, suites, self.junit_options)
        {
            failed("JUnit report", path, e);
        }
        if let Some(path) = &self.json
            && let Err(e) = super::atomic::write_atomic(path, &super::render_json(suites))
        {
            failed("JSON report", path, e);
        }
        if let Some(dir) = &self.transcript_dir
            && let Err(e) = super::write_transcripts(dir, suites)
        {
            failed("transcripts in", dir, e);
        }
        if let Some(dir) = &self.html
            && let Err(e) = super::write_html(dir, suites)
        {
            failed("HTML report in", dir, e);
        }
        if let Some(path) = &self.metrics
            && let Err(e) = super::write_metrics(path, &super::render_metrics(suites, now_unix()))
        {
            failed("metrics", path, e);
        }
        errors
    }

    /// The plans did not load: the JUnit report still says so (one errored test case per
    /// broken file), and the metrics say `smtp_plan_plans_loaded 0`. The other reports have
    /// nothing to hold and are not written.
    pub fn write_load_errors(&self, diags: &Diagnostics) -> Vec<anyhow::Error> {
        let mut errors = Vec::new();
        if let Some(path) = &self.junit
            && let Err(e) = super::write_junit_load_errors(path, diags, self.junit_options)
        {
            errors.push(anyhow::anyhow!(
                "could not write the JUnit report {}: {e}",
                path.display()
            ));
        }
        if let Some(path) = &self.metrics
            && let Err(e) =
                super::write_metrics(path, &super::render_metrics_load_error(diags, now_unix()))
        {
            errors.push(anyhow::anyhow!(
                "could not write the metrics {}: {e}",
                path.display()
            ));
        }
        errors
    }
}
