//! The report files one run writes, and writing them all.

use std::path::PathBuf;

use super::JunitOptions;
use crate::runner::SuiteResult;

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
            && let Err(e) = super::write_atomic(path, &super::render_json(suites))
        {
            failed("JSON report", path, e);
        }
        if let Some(dir) = &self.transcript_dir
            && let Err(e) = super::write_transcripts(dir, suites)
        {
            failed("transcripts in", dir, e);
        }
        errors
    }
}
