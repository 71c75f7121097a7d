//! `--json FILE`: every suite, scenario and step with its timing, transcript (the requests and
//! replies), failure and captures. Everything in it is already redacted.

use serde::Serialize;

use crate::results::{Dir, MailboxReport, Outcome, ScenarioResult, StepStatus, SuiteResult};

// One record per JSON object: they look alike (names, strings, durations), but each is its own.
#[derive(Serialize)]
struct Report<'a> {
    /// The format of this file; bumped on incompatible changes.
    version: u32,
    passed: usize,
    failed: usize,
    skipped: usize,
    suites: Vec<Suite<'a>>,
}

#[derive(Serialize)]
struct Suite<'a> {
    name: &'a str,
    file: String,
    duration_ms: f64,
    scenarios: Vec<Scenario<'a>>,
}

#[derive(Serialize)]
struct Scenario<'a> {
    name: &'a str,
    tags: &'a [String],
    /// passed | failed | error | skipped
    status: &'static str,
    duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<Failure<'a>>,
    captures: Vec<Capture<'a>>,
    /// Every TLS session established, in order.
    tls: Vec<Tls<'a>>,
    steps: Vec<Step<'a>>,
}

#[derive(Serialize)]
struct Tls<'a> {
    version: &'a str,
    cipher: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<Cert<'a>>,
}

#[derive(Serialize)]
struct Cert<'a> {
    subject: &'a str,
    names: &'a [String],
    issuer: &'a str,
    not_after: &'a str,
    days_left: i64,
}

#[derive(Serialize)]
struct Failure<'a> {
    /// What kind of problem it was: expectation, unsolicited, not_sent, refused, connect,
    /// timeout, closed, reset, protocol, tls, io, plan, lost.
    kind: &'static str,
    /// For `kind: tls`: untrusted, self_signed, expired, not_yet_valid, wrong_name,
    /// protocol_version, no_shared_cipher, pin_mismatch, setup, handshake.
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_failure: Option<&'static str>,
    step: usize,
    keyword: &'a str,
    location: &'a str,
    line: u32,
    column: u32,
    reason: &'a str,
    details: &'a [String],
}

#[derive(Serialize)]
struct Capture<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct Step<'a> {
    index: usize,
    keyword: &'a str,
    line: u32,
    column: u32,
    /// passed | failed | error | not_run
    status: &'static str,
    duration_ms: f64,
    /// From the command written (or the connection opened) to its reply read; absent for a
    /// step that read no reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<f64>,
    /// A `mailbox` step that looked: where, for what, how long, what it found and checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    mailbox: Option<Mailbox<'a>>,
    transcript: Vec<Line<'a>>,
}

#[derive(Serialize)]
struct Mailbox<'a> {
    /// imap | maildir
    source: &'static str,
    place: &'a str,
    message_id: &'a str,
    folders: &'a [String],
    within_ms: f64,
    poll_ms: f64,
    looks: u32,
    waited_ms: f64,
    /// false for `arrives: false`
    must_arrive: bool,
    arrived: bool,
    found: Option<Found<'a>>,
    checks: Vec<Check<'a>>,
}

#[derive(Serialize)]
struct Found<'a> {
    folder: &'a str,
    size: usize,
    structure: &'a str,
    copies: usize,
}

#[derive(Serialize)]
struct Check<'a> {
    what: &'a str,
    expected: &'a [String],
    actual: &'a [String],
    held: bool,
    failures: &'a [String],
}

fn mailbox(m: &MailboxReport) -> Mailbox<'_> {
    Mailbox {
        source: m.source,
        place: &m.place,
        message_id: &m.message_id,
        folders: &m.folders,
        within_ms: ms(m.within),
        poll_ms: ms(m.poll),
        looks: m.looks,
        waited_ms: ms(m.waited),
        must_arrive: m.must_arrive,
        arrived: m.found.is_some(),
        found: m.found.as_ref().map(|f| Found {
            folder: &f.folder,
            size: f.size,
            structure: &f.structure,
            copies: f.copies,
        }),
        checks: m
            .checks
            .iter()
            .map(|c| Check {
                what: &c.what,
                expected: &c.expected,
                actual: &c.actual,
                held: c.held(),
                failures: &c.failures,
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct Line<'a> {
    /// client | server | info
    dir: &'static str,
    text: &'a str,
}

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn scenario(sc: &ScenarioResult) -> Scenario<'_> {
    let (status, failure, skip_reason) = match &sc.outcome {
        Outcome::Passed => ("passed", None, None),
        Outcome::Failed(f) => ("failed", Some(f), None),
        Outcome::Errored(f) => ("error", Some(f), None),
        Outcome::Skipped(r) => ("skipped", None, Some(r.as_str())),
    };
    Scenario {
        name: &sc.name,
        tags: &sc.tags,
        status,
        duration_ms: ms(sc.duration),
        skip_reason,
        failure: failure.map(|f| Failure {
            kind: f.kind.word(),
            tls_failure: f.kind.tls().map(|t| t.word()),
            step: f.step,
            keyword: f.keyword,
            location: &f.location,
            line: f.span.line,
            column: f.span.col,
            reason: &f.reason,
            details: &f.details,
        }),
        captures: sc
            .captures
            .iter()
            .map(|(name, value)| Capture { name, value })
            .collect(),
        tls: sc
            .tls
            .iter()
            .map(|t| Tls {
                version: &t.version,
                cipher: &t.cipher,
                certificate: t.cert.as_ref().map(|c| Cert {
                    subject: &c.subject,
                    names: &c.names,
                    issuer: &c.issuer,
                    not_after: &c.not_after,
                    days_left: c.days_left,
                }),
            })
            .collect(),
        steps: sc
            .steps
            .iter()
            .enumerate()
            .map(|(i, st)| Step {
                index: i + 1,
                keyword: st.keyword,
                line: st.span.line,
                column: st.span.col,
                status: match st.status {
                    StepStatus::Passed => "passed",
                    StepStatus::Failed => "failed",
                    StepStatus::Errored => "error",
                    StepStatus::NotRun => "not_run",
                },
                duration_ms: ms(st.duration),
                latency_ms: st.latency.map(ms),
                mailbox: st.mailbox.as_deref().map(mailbox),
                transcript: sc
                    .transcript
                    .get(st.lines.clone())
                    .unwrap_or_default()
                    .iter()
                    .map(|l| Line {
                        dir: match l.dir {
                            Dir::Client => "client",
                            Dir::Server => "server",
                            Dir::Info => "info",
                        },
                        text: &l.text,
                    })
                    .collect(),
            })
            .collect(),
    }
}

pub fn render_json(suites: &[SuiteResult]) -> String {
    let all = || suites.iter().flat_map(|s| s.scenarios.iter());
    let report = Report {
        version: 1,
        passed: all().filter(|s| s.passed()).count(),
        failed: all().filter(|s| s.failed()).count(),
        skipped: all().filter(|s| s.skipped()).count(),
        suites: suites
            .iter()
            .map(|s| Suite {
                name: &s.name,
                file: s.path.display().to_string(),
                duration_ms: ms(s.duration),
                scenarios: s.scenarios.iter().map(scenario).collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
