//! JUnit XML (Jenkins junit-10 dialect) with quick-junit: one testsuite per plan file, one
//! testcase per scenario (or per step with `--junit-steps`); `<failure>` for an expectation,
//! `<error>` for a scenario that could not run, `<skipped>` for `skip:`; `<system-out>` holds
//! the redacted transcript.

use std::io;
use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::runner::{Failure, Outcome, ScenarioResult, StepStatus, SuiteResult, TranscriptLine};

#[derive(Debug, Clone, Copy, Default)]
pub struct JunitOptions {
    /// One test case per step instead of per scenario.
    pub per_step: bool,
}

fn non_success(kind: NonSuccessKind, f: &Failure) -> TestCaseStatus {
    let ty = match kind {
        NonSuccessKind::Error => "error",
        _ => "assertion",
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

fn skipped(reason: &str) -> TestCaseStatus {
    let mut st = TestCaseStatus::skipped();
    st.set_message(reason);
    st
}

fn status(outcome: &Outcome) -> TestCaseStatus {
    match outcome {
        Outcome::Passed => TestCaseStatus::success(),
        Outcome::Skipped(reason) => skipped(reason),
        Outcome::Failed(f) => non_success(NonSuccessKind::Failure, f),
        Outcome::Errored(f) => non_success(NonSuccessKind::Error, f),
    }
}

fn set_out(tc: &mut TestCase, lines: &[TranscriptLine]) {
    if !lines.is_empty() {
        let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
        tc.set_system_out(text.join("\n") + "\n");
    }
}

fn scenario_case(suite: &SuiteResult, sc: &ScenarioResult) -> TestCase {
    let mut tc = TestCase::new(sc.name.as_str(), status(&sc.outcome));
    tc.set_classname(suite.name.as_str()).set_time(sc.duration);
    tc.extra
        .insert("file".into(), suite.path.display().to_string().into());
    set_out(&mut tc, &sc.transcript);
    tc
}

fn step_cases(suite: &SuiteResult, sc: &ScenarioResult) -> Vec<TestCase> {
    let class = format!("{} › {}", suite.name, sc.name);
    let file = suite.path.display().to_string();
    let case = |name: String, status: TestCaseStatus, time, lines: &[TranscriptLine]| {
        let mut tc = TestCase::new(name, status);
        tc.set_classname(class.as_str()).set_time(time);
        tc.extra.insert("file".into(), file.as_str().into());
        set_out(&mut tc, lines);
        tc
    };
    if let Outcome::Skipped(_) = sc.outcome {
        return vec![case(sc.name.clone(), status(&sc.outcome), sc.duration, &[])];
    }
    let mut cases = Vec::with_capacity(sc.steps.len() + 1);
    let failure = sc.outcome.failure();
    if failure.is_some_and(|f| f.step == 0) {
        // the connection before the first step failed
        cases.push(case(
            "0. connect".to_owned(),
            status(&sc.outcome),
            sc.duration,
            &sc.transcript,
        ));
    }
    for (i, st) in sc.steps.iter().enumerate() {
        let name = format!("{}. {} (line {})", i + 1, st.keyword, st.span.line);
        let lines = sc.transcript.get(st.lines.clone()).unwrap_or_default();
        let status = match (st.status, failure) {
            (StepStatus::Passed, _) => TestCaseStatus::success(),
            (StepStatus::Failed, Some(f)) => non_success(NonSuccessKind::Failure, f),
            (StepStatus::Errored, Some(f)) => non_success(NonSuccessKind::Error, f),
            (StepStatus::Failed | StepStatus::Errored, None) => {
                TestCaseStatus::non_success(NonSuccessKind::Error)
            }
            (StepStatus::NotRun, _) => skipped("not run: an earlier step failed"),
        };
        cases.push(case(name, status, st.duration, lines));
    }
    cases
}

pub fn render_junit(
    suites: &[SuiteResult],
    options: JunitOptions,
) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("smtp-plan");
    for suite in suites {
        let mut ts = TestSuite::new(suite.name.as_str());
        ts.set_time(suite.duration);
        for sc in &suite.scenarios {
            if options.per_step {
                ts.add_test_cases(step_cases(suite, sc));
            } else {
                ts.add_test_case(scenario_case(suite, sc));
            }
        }
        report.add_test_suite(ts);
    }
    report.to_string()
}

/// Write the report atomically.
pub fn write_junit(path: &Path, suites: &[SuiteResult], options: JunitOptions) -> io::Result<()> {
    let xml = render_junit(suites, options).map_err(io::Error::other)?;
    super::write_atomic(path, &xml)
}
