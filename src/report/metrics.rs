//! `--metrics FILE`: OpenMetrics text (which Prometheus' text parser also reads) for
//! node_exporter's textfile collector: per scenario whether it passed, how long it took and
//! how many days its server certificate has left. Written atomically (a temporary file, then a
//! rename) so the collector never reads half a file; it reads only `*.prom`, so the temporary
//! `*.prom.tmp` is never picked up.

use std::fmt::Write as _;
use std::path::Path;

use crate::results::{ScenarioResult, SuiteResult};
use crate::scenario::Diagnostics;

/// One series per scenario; a scenario run several times (`--repeat`) is up only if every run
/// passed, with the longest duration and the fewest days left.
struct Series {
    labels: String,
    up: Option<bool>,
    seconds: f64,
    days_left: Option<i64>,
}

/// A label value: `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', r#"\""#)
        .replace('\n', r"\n")
}

fn days_left(sc: &ScenarioResult) -> Option<i64> {
    sc.tls
        .iter()
        .filter_map(|t| t.cert.as_ref().map(|c| c.days_left))
        .min()
}

fn series(suites: &[SuiteResult]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for suite in suites {
        for sc in &suite.scenarios {
            let labels = format!(
                "suite=\"{}\",scenario=\"{}\",file=\"{}\"",
                label(&suite.name),
                label(&sc.name),
                label(&suite.path.display().to_string())
            );
            // skipped: no verdict, so no `up` sample (absent, not 0 or 1)
            let up = (!sc.skipped()).then(|| sc.passed());
            let seconds = sc.duration.as_secs_f64();
            let days = days_left(sc);
            match out.iter_mut().find(|s| s.labels == labels) {
                Some(s) => {
                    s.up = match (s.up, up) {
                        (Some(a), Some(b)) => Some(a && b),
                        (a, b) => a.or(b),
                    };
                    s.seconds = s.seconds.max(seconds);
                    s.days_left = match (s.days_left, days) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                None => out.push(Series {
                    labels,
                    up,
                    seconds,
                    days_left: days,
                }),
            }
        }
    }
    out
}

fn header(out: &mut String, name: &str, help: &str, unit: Option<&str>) {
    let _ = writeln!(out, "# TYPE {name} gauge");
    if let Some(unit) = unit {
        let _ = writeln!(out, "# UNIT {name} {unit}");
    }
    let _ = writeln!(out, "# HELP {name} {help}");
}

fn common(out: &mut String, loaded: bool, now_unix: f64) {
    header(
        out,
        "smtp_plan_plans_loaded",
        "1 if the plans loaded and ran, 0 if a plan error stopped the run.",
        None,
    );
    let _ = writeln!(out, "smtp_plan_plans_loaded {}", u8::from(loaded));
    header(
        out,
        "smtp_plan_last_run_timestamp_seconds",
        "When smtp-plan wrote this file (Unix time).",
        Some("seconds"),
    );
    let _ = writeln!(out, "smtp_plan_last_run_timestamp_seconds {now_unix:.3}");
}

/// The metrics of a finished run, at `now_unix` (seconds since the epoch).
pub fn render_metrics(suites: &[SuiteResult], now_unix: f64) -> String {
    let all = series(suites);
    let mut out = String::new();
    common(&mut out, true, now_unix);
    header(
        &mut out,
        "smtp_plan_scenario_up",
        "1 if the scenario passed on the last run, 0 if it failed or could not run (absent when skipped).",
        None,
    );
    for s in &all {
        if let Some(up) = s.up {
            let _ = writeln!(
                out,
                "smtp_plan_scenario_up{{{}}} {}",
                s.labels,
                u8::from(up)
            );
        }
    }
    header(
        &mut out,
        "smtp_plan_scenario_duration_seconds",
        "How long the scenario took on the last run.",
        Some("seconds"),
    );
    for s in &all {
        let _ = writeln!(
            out,
            "smtp_plan_scenario_duration_seconds{{{}}} {:.6}",
            s.labels, s.seconds
        );
    }
    header(
        &mut out,
        "smtp_plan_certificate_days_left",
        "Whole days until the server certificate the scenario saw expires (the soonest if several; negative when expired).",
        None,
    );
    for s in &all {
        if let Some(days) = s.days_left {
            let _ = writeln!(
                out,
                "smtp_plan_certificate_days_left{{{}}} {days}",
                s.labels
            );
        }
    }
    out.push_str("# EOF\n");
    out
}

/// The metrics of a run that a plan error stopped: `smtp_plan_plans_loaded 0`, so an alert can
/// fire on a broken plan as on a failing server.
pub fn render_metrics_load_error(_diags: &Diagnostics, now_unix: f64) -> String {
    let mut out = String::new();
    common(&mut out, false, now_unix);
    out.push_str("# EOF\n");
    out
}

/// Write atomically beside `path` (see the module comment).
pub fn write_metrics(path: &Path, text: &str) -> std::io::Result<()> {
    super::atomic::write_atomic(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }
}
