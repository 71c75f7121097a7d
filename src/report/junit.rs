//! JUnit XML (Jenkins junit-10 dialect) with quick-junit: one testsuite per plan file, one
//! testcase per scenario; `<failure>` for an expectation, `<error>` for a scenario that could not
//! run; `<system-out>` holds the redacted transcript.

use std::io;
use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::runner::{Outcome, SuiteResult};

pub fn render_junit(suites: &[SuiteResult]) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("smtp-plan");
    for suite in suites {
        let mut ts = TestSuite::new(suite.name.as_str());
        ts.set_time(suite.duration);
        for sc in &suite.scenarios {
            let status = match &sc.outcome {
                Outcome::Passed => TestCaseStatus::success(),
                Outcome::Skipped(reason) => {
                    let mut st = TestCaseStatus::skipped();
                    st.set_message(reason.as_str());
                    st
                }
                Outcome::Failed(f) | Outcome::Errored(f) => {
                    let (kind, ty) = match sc.outcome {
                        Outcome::Errored(_) => (NonSuccessKind::Error, "error"),
                        _ => (NonSuccessKind::Failure, "assertion"),
                    };
                    let mut st = TestCaseStatus::non_success(kind);
                    let mut body = f.headline();
                    for d in &f.details {
                        body.push('\n');
                        body.push_str(d);
                    }
                    st.set_message(f.headline())
                        .set_type(ty)
                        .set_description(body);
                    st
                }
            };
            let mut tc = TestCase::new(sc.name.as_str(), status);
            tc.set_classname(suite.name.as_str()).set_time(sc.duration);
            tc.extra
                .insert("file".into(), suite.path.display().to_string().into());
            let transcript: Vec<String> = sc.transcript.iter().map(ToString::to_string).collect();
            if !transcript.is_empty() {
                tc.set_system_out(transcript.join("\n") + "\n");
            }
            ts.add_test_case(tc);
        }
        report.add_test_suite(ts);
    }
    report.to_string()
}

/// Write the report atomically (a temporary file beside it, then a rename).
pub fn write_junit(path: &Path, suites: &[SuiteResult]) -> io::Result<()> {
    let xml = render_junit(suites).map_err(io::Error::other)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, xml)?;
    std::fs::rename(&tmp, path)
}
