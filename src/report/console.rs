//! The console: one line per scenario, details for failures, the conversation with `-v`, and
//! a last line `N passed, N failed`.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::model::Plan;
use crate::results::{Outcome, ScenarioResult, SuiteResult};

fn paint(style: Style, text: &str, color: bool) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_owned()
    }
}

/// Seconds with two decimals: `0.12s`.
fn secs(d: std::time::Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// The plan line a failure points at, with a caret under its column (the snippet renderer
/// shared with load diagnostics; also in JUnit): no lines when the line is unknown.
pub(super) fn failure_snippet(
    f: &crate::results::Failure,
    gutter: &dyn Fn(&str) -> String,
    caret: &dyn Fn(&str) -> String,
) -> Vec<String> {
    match &f.source_line {
        Some(src) if f.span.line > 0 => {
            crate::snippet::render_snippet(f.span.line, src, f.span.col, 1, gutter, caret).into()
        }
        _ => Vec::new(),
    }
}

/// The block printed when a scenario finishes.
pub fn render_scenario(plan: &Plan, result: &ScenarioResult, verbose: bool, color: bool) -> String {
    let mut out = String::new();
    let (label, style) = match &result.outcome {
        Outcome::Passed => ("PASS ", AnsiColor::Green.on_default().bold()),
        Outcome::Failed(_) => ("FAIL ", AnsiColor::Red.on_default().bold()),
        Outcome::Errored(_) => ("ERROR", AnsiColor::Red.on_default().bold()),
        Outcome::Skipped(_) => ("SKIP ", AnsiColor::Yellow.on_default().bold()),
    };
    let _ = writeln!(
        out,
        "{} {} › {} ({})",
        paint(style, label, color),
        plan.name,
        result.name,
        secs(result.duration)
    );
    if let Outcome::Skipped(reason) = &result.outcome {
        let _ = writeln!(out, "      skipped: {reason}");
    }
    if let Some(f) = result.outcome.failure() {
        let dim = AnsiColor::BrightBlack.on_default();
        let _ = writeln!(
            out,
            "      {}",
            paint(Style::new().bold(), &f.reason, color)
        );
        let _ = writeln!(
            out,
            "      {}",
            paint(dim, &format!("--> {}", f.step_label()), color)
        );
        let plain = |t: &str| t.to_owned();
        let caret = |t: &str| paint(style, t, color);
        for line in failure_snippet(f, &plain, &caret) {
            let _ = writeln!(out, "       {line}");
        }
        for d in &f.details {
            for line in d.lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
    if verbose {
        for line in &result.transcript {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// The last line: `N passed, N failed` (errors count as failed), then `, N skipped` if any.
pub fn render_summary(suites: &[SuiteResult]) -> String {
    let all = || suites.iter().flat_map(|s| s.scenarios.iter());
    let passed = all().filter(|s| s.passed()).count();
    let failed = all().filter(|s| s.failed()).count();
    let skipped = all().filter(|s| s.skipped()).count();
    if skipped > 0 {
        format!("{passed} passed, {failed} failed, {skipped} skipped")
    } else {
        format!("{passed} passed, {failed} failed")
    }
}
