//! JUnit XML (Jenkins junit-10 dialect) with quick-junit: one testsuite per plan file, one
//! testcase per scenario (or per step with `--junit-steps`); `<failure>` for an expectation,
//! `<error>` for a scenario that could not run, `<skipped>` for `skip:`; `<system-out>` holds
//! the redacted transcript.
//!
//! The default adds `testcase@file` and `testcase@line` (GitLab reads `file`; GitHub's JUnit
//! actions such as mikepenz/action-junit-report and dorny/test-reporter read `file` and `line`
//! to annotate the plan's line). `strict` leaves out what the plain junit-10.xsd rejects
//! (`testcase@file`, `testcase@line`, `testsuites@skipped`); the location stays in the message.

use std::io;
use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::results::{Failure, Outcome, ScenarioResult, StepStatus, SuiteResult, TranscriptLine};
use crate::scenario::Diagnostics;

#[derive(Debug, Clone, Copy, Default)]
pub struct JunitOptions {
    /// One test case per step instead of per scenario.
    pub per_step: bool,
    /// Valid against the plain junit-10.xsd: no `file` / `line` attributes, no
    /// `testsuites@skipped`.
    pub strict: bool,
}

/// `testcase@file` and `testcase@line`, unless strict.
fn set_location(tc: &mut TestCase, file: &str, line: Option<u32>, options: JunitOptions) {
    if options.strict {
        return;
    }
    tc.extra.insert("file".into(), file.into());
    if let Some(line) = line.filter(|l| *l > 0) {
        tc.extra.insert("line".into(), line.to_string().into());
    }
}

/// The file a failure points into: the plan, or the included file its step came from.
fn failure_file(suite: &SuiteResult, f: &Failure) -> String {
    f.origin
        .as_ref()
        .map_or(&suite.path, |o| &o.path)
        .display()
        .to_string()
}

fn non_success(kind: NonSuccessKind, f: &Failure) -> TestCaseStatus {
    let ty = match kind {
        NonSuccessKind::Error => "error",
        _ => "assertion",
    };
    let mut st = TestCaseStatus::non_success(kind);
    let mut body = f.headline();
    let plain = |t: &str| t.to_owned();
    for line in super::console::failure_snippet(f, &plain, &plain) {
        body.push('\n');
        body.push_str(&line);
    }
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

fn scenario_case(suite: &SuiteResult, sc: &ScenarioResult, options: JunitOptions) -> TestCase {
    let mut tc = TestCase::new(sc.name.as_str(), status(&sc.outcome));
    tc.set_classname(suite.name.as_str()).set_time(sc.duration);
    match sc.outcome.failure() {
        Some(f) => set_location(&mut tc, &failure_file(suite, f), Some(f.span.line), options),
        None => set_location(&mut tc, &suite.path.display().to_string(), None, options),
    }
    set_out(&mut tc, &sc.transcript);
    tc
}

fn step_cases(suite: &SuiteResult, sc: &ScenarioResult, options: JunitOptions) -> Vec<TestCase> {
    let class = format!("{} › {}", suite.name, sc.name);
    let file = suite.path.display().to_string();
    let case = |name: String, status: TestCaseStatus, time, lines: &[TranscriptLine], line| {
        let mut tc = TestCase::new(name, status);
        tc.set_classname(class.as_str()).set_time(time);
        set_location(&mut tc, &file, line, options);
        set_out(&mut tc, lines);
        tc
    };
    if let Outcome::Skipped(_) = sc.outcome {
        return vec![case(
            sc.name.clone(),
            status(&sc.outcome),
            sc.duration,
            &[],
            None,
        )];
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
            failure.map(|f| f.span.line),
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
        cases.push(case(name, status, st.duration, lines, Some(st.span.line)));
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
        // Every step's reply latency, as suite properties (junit-10.xsd has no test-case
        // properties): `latency_ms: SCENARIO › 3. ehlo` = `12.345`.
        for sc in &suite.scenarios {
            for (i, st) in sc.steps.iter().enumerate() {
                if let Some(latency) = st.latency {
                    ts.add_property((
                        format!("latency_ms: {} › {}. {}", sc.name, i + 1, st.keyword),
                        format!("{:.3}", latency.as_secs_f64() * 1000.0),
                    ));
                }
            }
        }
        for sc in &suite.scenarios {
            if options.per_step {
                ts.add_test_cases(step_cases(suite, sc, options));
            } else {
                ts.add_test_case(scenario_case(suite, sc, options));
            }
        }
        report.add_test_suite(ts);
    }
    finish(&report, options)
}

/// A plan error (nothing ran): one test suite per broken file holding one errored test case
/// whose message is the first problem at `file:line:col` and whose body lists them all. The
/// diagnostics are already redacted (a secret's value never reaches them).
pub fn render_junit_load_errors(
    diags: &Diagnostics,
    options: JunitOptions,
) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("smtp-plan");
    let mut files: Vec<&Path> = Vec::new();
    for d in &diags.0 {
        if !files.contains(&d.path.as_path()) {
            files.push(&d.path);
        }
    }
    for file in files {
        let mine: Vec<_> = diags.0.iter().filter(|d| d.path == file).cloned().collect();
        let Some(first) = mine.first() else {
            continue;
        };
        let shown = file.display().to_string();
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
        let at = if first.line > 0 {
            format!("{shown}:{}:{}", first.line, first.col)
        } else {
            shown.clone()
        };
        st.set_message(format!("{at}: {}", first.message))
            .set_type("plan error")
            .set_description(Diagnostics(mine.clone()).render(false));
        let mut tc = TestCase::new("load the plan", st);
        tc.set_classname(shown.as_str());
        set_location(&mut tc, &shown, Some(first.line), options);
        let mut ts = TestSuite::new(shown.as_str());
        ts.add_test_case(tc);
        report.add_test_suite(ts);
    }
    finish(&report, options)
}

/// Serialise; strict drops `testsuites@skipped`, which quick-junit always writes and the plain
/// junit-10.xsd does not allow.
fn finish(report: &Report, options: JunitOptions) -> Result<String, quick_junit::SerializeError> {
    let xml = report.to_string()?;
    if !options.strict {
        return Ok(xml);
    }
    let Some(start) = xml.find("<testsuites") else {
        return Ok(xml);
    };
    let end = xml
        .get(start..)
        .and_then(|t| t.find('>'))
        .map_or(xml.len(), |e| start + e);
    let (head, rest) = xml.split_at(end);
    let head = match head.get(start..).and_then(|t| t.find(" skipped=\"")) {
        Some(at) => {
            let attr_start = start + at;
            let value_end = head
                .get(attr_start + 10..)
                .and_then(|t| t.find('"'))
                .map_or(head.len(), |e| attr_start + 10 + e + 1);
            format!(
                "{}{}",
                head.get(..attr_start).unwrap_or_default(),
                head.get(value_end..).unwrap_or_default()
            )
        }
        None => head.to_owned(),
    };
    Ok(format!("{head}{rest}"))
}

/// Write the load-error report atomically.
pub fn write_junit_load_errors(
    path: &Path,
    diags: &Diagnostics,
    options: JunitOptions,
) -> io::Result<()> {
    let xml = render_junit_load_errors(diags, options).map_err(io::Error::other)?;
    super::atomic::write_atomic(path, &xml)
}

/// Write the report atomically.
pub fn write_junit(path: &Path, suites: &[SuiteResult], options: JunitOptions) -> io::Result<()> {
    let xml = render_junit(suites, options).map_err(io::Error::other)?;
    super::atomic::write_atomic(path, &xml)
}
