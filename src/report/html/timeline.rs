//! Each step's latency as a picture: an inline SVG with one bar per step (command sent to
//! reply read), laid end to end on a time axis, coloured by status, with a tooltip.

use std::fmt::Write as _;

use super::escape::esc;
use crate::results::{ScenarioResult, StepStatus};

const WIDTH: f64 = 900.0;
const LABEL: f64 = 190.0;
const ROW: f64 = 18.0;

fn colour(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Passed => "#1a7f37",
        StepStatus::Failed => "#cf222e",
        StepStatus::Errored => "#bc4c00",
        StepStatus::NotRun => "#afb8c1",
    }
}

/// `None` when no step ran (nothing to draw).
pub fn render(sc: &ScenarioResult) -> Option<String> {
    let ran: Vec<_> = sc
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.status != StepStatus::NotRun)
        .collect();
    if ran.is_empty() {
        return None;
    }
    let total_ms: f64 = ran
        .iter()
        .map(|(_, s)| s.duration.as_secs_f64() * 1000.0)
        .sum::<f64>()
        .max(1.0);
    let scale = (WIDTH - LABEL - 70.0) / total_ms;
    let height = ROW * ran.len() as f64 + 24.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="timeline" role="img" viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg"><title>Step latencies of {}</title>"#,
        esc(&sc.name)
    );
    let mut start = 0.0;
    for (row, (i, step)) in ran.iter().enumerate() {
        let ms = step.duration.as_secs_f64() * 1000.0;
        let y = ROW * row as f64 + 4.0;
        let x = LABEL + start * scale;
        let w = (ms * scale).max(1.5);
        let label = format!("{}. {} (line {})", i + 1, step.keyword, step.span.line);
        let _ = write!(
            svg,
            r#"<text x="4" y="{ty:.1}">{label}</text><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"><title>{label}: {ms:.1} ms</title></rect><text x="{tx:.1}" y="{ty:.1}">{ms:.1} ms</text>"#,
            ty = y + ROW * 0.7,
            label = esc(&label),
            h = ROW - 5.0,
            c = colour(step.status),
            tx = x + w + 4.0,
        );
        start += ms;
    }
    let axis_y = ROW * ran.len() as f64 + 8.0;
    let _ = write!(
        svg,
        r##"<line x1="{LABEL}" y1="{axis_y:.1}" x2="{end:.1}" y2="{axis_y:.1}" stroke="#57606a"/><text x="{LABEL}" y="{ly:.1}">0</text><text x="{end:.1}" y="{ly:.1}" text-anchor="end">{total_ms:.1} ms</text></svg>"##,
        end = LABEL + total_ms * scale,
        ly = axis_y + 13.0,
    );
    Some(svg)
}
