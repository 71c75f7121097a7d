//! `--html DIR`: a self-contained report page, `DIR/index.html` — an index of suites and
//! scenarios (status, duration, a filter), then per scenario the failure with its source line,
//! the redacted transcript step by step with the failing step highlighted, a timeline of each
//! step's latency and the TLS facts. Inline CSS, script and SVG only; its
//! Content-Security-Policy lets it load nothing. Every text is escaped, and all of it comes
//! from the results, which are already redacted.

mod assets;
mod escape;
mod timeline;

use std::fmt::Write as _;
use std::path::Path;

use escape::esc;

use crate::results::{Dir, Failure, Outcome, ScenarioResult, StepStatus, SuiteResult};

/// `pass`, `fail`, `error` or `skip`.
fn status(sc: &ScenarioResult) -> &'static str {
    match sc.outcome {
        Outcome::Passed => "pass",
        Outcome::Failed(_) => "fail",
        Outcome::Errored(_) => "error",
        Outcome::Skipped(_) => "skip",
    }
}

fn badge(status: &str) -> String {
    let word = match status {
        "pass" => "PASS",
        "fail" => "FAIL",
        "error" => "ERROR",
        "skip" => "SKIP",
        _ => "NOT RUN",
    };
    format!(r#"<span class="badge {status}">{word}</span>"#)
}

fn secs(d: std::time::Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// The failing line of the plan with its number and a caret under the column.
fn snippet(f: &Failure) -> String {
    let Some(line) = &f.source_line else {
        return String::new();
    };
    let num = f.span.line.to_string();
    let pad = " ".repeat(num.len());
    let col = usize::try_from(f.span.col.max(1)).unwrap_or(1);
    let caret = format!("{}^", " ".repeat(col - 1));
    format!(
        r#"<pre class="snippet">{pad} --&gt; {loc}
{num} | {line}
{pad} | <span class="caret">{caret}</span></pre>"#,
        loc = esc(&f.location),
        line = esc(line),
    )
}

fn failure_box(sc: &ScenarioResult, f: &Failure) -> String {
    // the typed failure kind of the results (as in the JSON report's `kind`)
    let what = if matches!(sc.outcome, Outcome::Errored(_)) {
        "error: could not run on"
    } else {
        "failure"
    };
    let kind = match f.kind.tls() {
        Some(t) => format!("tls · {} — {what}", t.word().replace('_', " ")),
        None => format!("{} — {what}", f.kind.word().replace('_', " ")),
    };
    let mut out = format!(
        r#"<div class="failure"><div class="kind">{}</div><div class="reason"><strong>{}</strong></div>"#,
        esc(&kind),
        esc(&f.headline())
    );
    if !f.details.is_empty() {
        let _ = write!(out, "<pre>{}</pre>", esc(&f.details.join("\n")));
    }
    out.push_str(&snippet(f));
    out.push_str("</div>");
    out
}

fn steps(sc: &ScenarioResult, id: usize) -> String {
    let mut out = String::from(r#"<h3>Conversation</h3>"#);
    let mut shown_to = 0;
    for (i, st) in sc.steps.iter().enumerate() {
        let (class, word) = match st.status {
            StepStatus::Passed => ("passed", "pass"),
            StepStatus::Failed => ("failed", "fail"),
            StepStatus::Errored => ("errored", "error"),
            StepStatus::NotRun => ("notrun", "notrun"),
        };
        let failing = matches!(st.status, StepStatus::Failed | StepStatus::Errored);
        let anchor = if failing {
            format!(r#" id="failing-step-{id}""#)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            r#"<div class="step {class}"{anchor}><div class="step-head">{} {}. {} <span class="where">line {} · {}</span></div>"#,
            badge(word),
            i + 1,
            esc(st.keyword),
            st.span.line,
            secs(st.duration)
        );
        // lines before this step's own (the connection) go with the first step
        let from = if i == 0 { 0 } else { st.lines.start };
        if let Some(lines) = sc.transcript.get(from.min(st.lines.end)..st.lines.end) {
            out.push_str(&transcript(lines));
        }
        shown_to = shown_to.max(st.lines.end);
        out.push_str("</div>");
    }
    // what came after the last step's lines (a closing note)
    if let Some(rest) = sc.transcript.get(shown_to..)
        && !rest.is_empty()
    {
        out.push_str(&transcript(rest));
    }
    out
}

fn transcript(lines: &[crate::results::TranscriptLine]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from("<pre>");
    for l in lines {
        let class = match l.dir {
            Dir::Client => "t-client",
            Dir::Server => "t-server",
            Dir::Info => "t-info",
        };
        let _ = writeln!(
            out,
            r#"<span class="{class}">{}</span>"#,
            esc(&l.to_string())
        );
    }
    out.push_str("</pre>");
    out
}

fn tls_table(sc: &ScenarioResult) -> String {
    if sc.tls.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h3>TLS</h3><table><tr><th>version</th><th>cipher</th><th>certificate</th><th>names</th><th>issuer</th><th>valid until</th><th>days left</th></tr>",
    );
    for t in &sc.tls {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            esc(&t.version),
            esc(&t.cipher)
        );
        match &t.cert {
            Some(c) => {
                let _ = write!(
                    out,
                    r#"<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="num">{}</td></tr>"#,
                    esc(&c.subject),
                    esc(&c.names.join(", ")),
                    esc(&c.issuer),
                    esc(&c.not_after),
                    c.days_left
                );
            }
            None => out.push_str(r#"<td colspan="5">no certificate</td></tr>"#),
        }
    }
    out.push_str("</table>");
    out
}

fn scenario_section(suite: &SuiteResult, sc: &ScenarioResult, id: usize) -> String {
    let st = status(sc);
    let full = format!("{} › {}", suite.name, sc.name);
    let mut out = format!(
        r#"<section class="scenario {st}" id="sc-{id}" data-name="{name}" data-status="{st}"><h2>{} {}</h2><div class="where">{} · {}{}</div>"#,
        badge(st),
        esc(&full),
        esc(&suite.path.display().to_string()),
        secs(sc.duration),
        if sc.tags.is_empty() {
            String::new()
        } else {
            format!(" · tags: {}", esc(&sc.tags.join(", ")))
        },
        name = esc(&full.to_lowercase()),
    );
    match &sc.outcome {
        Outcome::Skipped(reason) => {
            let _ = write!(out, "<p>Skipped: {}</p>", esc(reason));
        }
        outcome => {
            if let Some(f) = outcome.failure() {
                out.push_str(&failure_box(sc, f));
            }
            if let Some(svg) = timeline::render(sc) {
                out.push_str("<h3>Latency of each step</h3>");
                out.push_str(&svg);
            }
            out.push_str(&tls_table(sc));
            out.push_str(&steps(sc, id));
        }
    }
    out.push_str("</section>");
    out
}

/// The whole page.
pub fn render_html(suites: &[SuiteResult]) -> String {
    let all = || {
        suites
            .iter()
            .flat_map(|s| s.scenarios.iter().map(move |sc| (s, sc)))
    };
    let count = |st: &str| all().filter(|(_, sc)| status(sc) == st).count();
    let total = all().count();
    let mut page = String::new();
    let _ = write!(
        page,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>smtp-plan report</title><style>{}</style></head><body>
<h1>smtp-plan report</h1>
<div class="counts"><span>{total} scenario(s)</span><span style="color:var(--pass)">{} passed</span><span style="color:var(--fail)">{} failed</span><span style="color:var(--error)">{} errors</span><span style="color:var(--skip)">{} skipped</span></div>
<div class="controls"><input type="search" id="filter" placeholder="filter: suite › scenario (&gt; works too)" aria-label="filter">
<label><input type="checkbox" data-status="pass" checked> pass</label><label><input type="checkbox" data-status="fail" checked> fail</label><label><input type="checkbox" data-status="error" checked> error</label><label><input type="checkbox" data-status="skip" checked> skip</label>
<span class="where"> · <span id="shown">{total}</span> shown</span></div>
<table id="index"><tr><th>status</th><th>suite</th><th>scenario</th><th>duration</th><th>file</th></tr>"#,
        assets::STYLE,
        count("pass"),
        count("fail"),
        count("error"),
        count("skip"),
    );
    for (id, (suite, sc)) in all().enumerate() {
        let st = status(sc);
        let full = format!("{} › {}", suite.name, sc.name);
        let jump = match sc.outcome.failure() {
            Some(f) if f.step > 0 => format!(
                r##" · <a href="#failing-step-{id}">step {} ({})</a>"##,
                f.step,
                esc(f.keyword)
            ),
            _ => String::new(),
        };
        let _ = write!(
            page,
            r##"<tr data-name="{}" data-status="{st}"><td>{}</td><td>{}</td><td><a href="#sc-{id}">{}</a>{jump}</td><td class="num">{}</td><td class="where">{}</td></tr>"##,
            esc(&full.to_lowercase()),
            badge(st),
            esc(&suite.name),
            esc(&sc.name),
            secs(sc.duration),
            esc(&suite.path.display().to_string()),
        );
    }
    page.push_str("</table>\n");
    for (id, (suite, sc)) in all().enumerate() {
        page.push_str(&scenario_section(suite, sc, id));
        page.push('\n');
    }
    let _ = writeln!(page, "<script>{}</script></body></html>", assets::SCRIPT);
    page
}

/// Write `DIR/index.html`; DIR holds only this run's report (see [`super::owned_dir`]).
pub fn write_html(dir: &Path, suites: &[SuiteResult]) -> std::io::Result<()> {
    super::owned_dir::prepare(dir)?;
    super::atomic::write_atomic(&dir.join("index.html"), &render_html(suites))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert('x')</script> & "q""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
