//! `--nagios`: one status line (and one line per failed scenario) in the Nagios plugin format,
//! and the plugin exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
//!
//! - OK: every scenario that ran passed, and no certificate has fewer than the warning days left.
//! - WARNING: every scenario passed, but a certificate has fewer days left than the threshold.
//! - CRITICAL: a scenario failed or could not run.
//! - UNKNOWN: nothing could be checked: a plan error, a wrong command line, no scenario
//!   selected, or a report that could not be written.

use std::fmt::Write as _;

use crate::results::SuiteResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NagiosStatus {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl NagiosStatus {
    pub fn word(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// The plugin output has `|` as the performance-data separator: keep it out of the text.
fn text(s: &str) -> String {
    s.replace('|', "/").replace(['\n', '\r'], " ")
}

/// The status and the plugin output of a finished run. `warn_days`: a certificate with fewer
/// days left makes an otherwise passing run a WARNING.
pub fn render_nagios(suites: &[SuiteResult], warn_days: i64) -> (NagiosStatus, String) {
    let all = || {
        suites
            .iter()
            .flat_map(|s| s.scenarios.iter().map(move |sc| (s, sc)))
    };
    let ran = all().filter(|(_, sc)| !sc.skipped()).count();
    let failed: Vec<_> = all().filter(|(_, sc)| sc.failed()).collect();
    let skipped = all().filter(|(_, sc)| sc.skipped()).count();
    let seconds: f64 = suites.iter().map(|s| s.duration.as_secs_f64()).sum();
    let soonest = all()
        .flat_map(|(s, sc)| {
            sc.tls
                .iter()
                .filter_map(move |t| t.cert.as_ref().map(|c| (s, sc, c)))
        })
        .min_by_key(|(_, _, c)| c.days_left);
    let (status, summary) = if let Some((suite, sc)) = failed.first() {
        let why = sc
            .outcome
            .failure()
            .map(|f| f.headline())
            .unwrap_or_default();
        (
            NagiosStatus::Critical,
            format!(
                "{} of {ran} scenario(s) failed: {} › {}: {why}",
                failed.len(),
                suite.name,
                sc.name
            ),
        )
    } else if let Some((suite, sc, cert)) = soonest.filter(|(_, _, c)| c.days_left < warn_days) {
        (
            NagiosStatus::Warning,
            format!(
                "{ran} of {ran} scenario(s) passed; the certificate {} expires in {} day(s) ({}; {} › {})",
                cert.subject, cert.days_left, cert.not_after, suite.name, sc.name
            ),
        )
    } else if ran == 0 {
        (
            NagiosStatus::Unknown,
            "no scenario ran (all skipped)".to_owned(),
        )
    } else {
        (
            NagiosStatus::Ok,
            format!("{ran} of {ran} scenario(s) passed"),
        )
    };
    let mut out = format!("SMTP-PLAN {} - {}", status.word(), text(&summary));
    let _ = write!(
        out,
        " | passed={};;;0 failed={};;;0 skipped={skipped};;;0 time={seconds:.3}s;;;0",
        ran - failed.len(),
        failed.len()
    );
    if let Some((_, _, c)) = soonest {
        let _ = write!(out, " cert_days_left={};{warn_days};;", c.days_left);
    }
    out.push('\n');
    for (suite, sc) in &failed {
        if let Some(f) = sc.outcome.failure() {
            let _ = writeln!(
                out,
                "FAIL {} › {}: {}",
                text(&suite.name),
                text(&sc.name),
                text(&f.headline())
            );
        }
    }
    (status, out)
}

/// UNKNOWN with a reason (a plan error, a wrong command line).
pub fn render_nagios_unknown(reason: &str) -> String {
    format!("SMTP-PLAN UNKNOWN - {}\n", text(reason.trim()))
}
