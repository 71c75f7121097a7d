//! GitHub Actions annotations (`::error file=..,line=..::..`) for failed scenarios, printed when
//! `GITHUB_ACTIONS=true`, so failures show on the plan's line in the pull request.

use std::fmt::Write as _;

use crate::results::{Outcome, SuiteResult};
use crate::scenario::Diagnostics;

/// Workflow commands escape `%`, CR and LF in messages, and also `:` and `,` in properties.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render_github_annotations(suites: &[SuiteResult]) -> String {
    let mut out = String::new();
    for suite in suites {
        for sc in &suite.scenarios {
            let (Outcome::Failed(f) | Outcome::Errored(f)) = &sc.outcome else {
                continue;
            };
            let mut message = f.reason.clone();
            for d in &f.details {
                message.push('\n');
                message.push_str(d);
            }
            let _ = writeln!(
                out,
                "::error file={},line={},col={},title={}::{}",
                // a step of a group from an included file points into that file
                escape_property(
                    &f.origin
                        .as_ref()
                        .map_or(&suite.path, |o| &o.path)
                        .display()
                        .to_string()
                ),
                f.span.line.max(1),
                f.span.col.max(1),
                escape_property(&format!("{} › {}: {}", suite.name, sc.name, f.step_label())),
                escape_data(&message),
            );
        }
    }
    out
}

/// One `::error` per problem of a plan that did not load (the messages are already redacted).
pub fn render_github_load_annotations(diags: &Diagnostics) -> String {
    let mut out = String::new();
    for d in &diags.0 {
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            escape_property(&d.path.display().to_string()),
            d.line.max(1),
            d.col.max(1),
            escape_property("smtp-plan: the plan does not load"),
            escape_data(&message),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x, y: z"), "x%2C y%3A z");
    }
}
