use std::fmt::{self, Write as _};
use std::path::PathBuf;

use anstyle::{AnsiColor, Style};

/// One problem in a plan file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based; 0 when the problem has no position (a missing file, an unreadable one).
    pub line: u32,
    /// 1-based, in characters.
    pub col: u32,
    /// How many characters the caret underlines (at least 1).
    pub width: u32,
    pub message: String,
    /// e.g. "did you mean `ehlo`?"
    pub help: Option<String>,
    /// The source line the problem is on (without its line end), when known.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A problem with a whole file (missing, unreadable, too large): no line, no caret.
    pub(crate) fn without_position(
        path: &std::path::Path,
        message: String,
        help: Option<String>,
    ) -> Self {
        Self {
            path: path.to_path_buf(),
            line: 0,
            col: 0,
            width: 1,
            message,
            help,
            source_line: None,
        }
    }
}

/// Every problem found while loading, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// rustc-style text: `error: MSG`, `  --> file:line:col`, the source line, a caret, help.
    /// One block per problem, a blank line between blocks, and a summary line last.
    pub fn render(&self, color: bool) -> String {
        let styles = Styles::new(color);
        let mut out = String::new();
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            render_diagnostic(&mut out, d, &styles);
        }
        if !self.0.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{}: {}",
            styles.error.render_text("error"),
            styles.bold.render_text(&format!(
                "could not load {} plan file(s): {} problem(s)",
                self.file_count(),
                self.0.len()
            ))
        );
        out
    }

    /// How many distinct files have at least one problem.
    pub fn file_count(&self) -> usize {
        let mut seen: Vec<&PathBuf> = Vec::new();
        for d in &self.0 {
            if !seen.contains(&&d.path) {
                seen.push(&d.path);
            }
        }
        seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

struct Styles {
    error: Style,
    bold: Style,
    gutter: Style,
    help: Style,
}

impl Styles {
    fn new(color: bool) -> Self {
        if color {
            Self {
                error: AnsiColor::BrightRed.on_default().bold(),
                bold: Style::new().bold(),
                gutter: AnsiColor::BrightBlue.on_default().bold(),
                help: AnsiColor::BrightCyan.on_default().bold(),
            }
        } else {
            Self {
                error: Style::new(),
                bold: Style::new(),
                gutter: Style::new(),
                help: Style::new(),
            }
        }
    }
}

trait RenderText {
    fn render_text(&self, text: &str) -> String;
}

impl RenderText for Style {
    fn render_text(&self, text: &str) -> String {
        if *self == Style::new() {
            text.to_owned()
        } else {
            format!("{}{text}{}", self.render(), self.render_reset())
        }
    }
}

fn render_diagnostic(out: &mut String, d: &Diagnostic, s: &Styles) {
    let _ = writeln!(
        out,
        "{}: {}",
        s.error.render_text("error"),
        s.bold.render_text(&d.message)
    );
    let number = if d.line > 0 {
        d.line.to_string()
    } else {
        String::new()
    };
    let pad = " ".repeat(number.len().max(1));
    let location = if d.line > 0 {
        format!("{}:{}:{}", d.path.display(), d.line, d.col)
    } else {
        d.path.display().to_string()
    };
    let _ = writeln!(out, "{pad}{} {location}", s.gutter.render_text("-->"));
    if let (Some(source), true) = (&d.source_line, d.line > 0) {
        let gutter = |t: &str| s.gutter.render_text(t);
        let caret = |t: &str| s.error.render_text(t);
        for line in crate::snippet::render_snippet(d.line, source, d.col, d.width, &gutter, &caret)
        {
            let _ = writeln!(out, "{line}");
        }
    }
    if let Some(help) = &d.help {
        let _ = writeln!(
            out,
            "{pad} {} {}: {help}",
            s.gutter.render_text("="),
            s.help.render_text("help")
        );
    }
}

/// The known word closest to `typed` (case-insensitive optimal string alignment distance),
/// if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    typed: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // No key or name is this long: nothing is close (and the distance would cost O(n) each).
    if typed.len() > 100 {
        return None;
    }
    let typed_lower = typed.to_lowercase();
    let limit = (typed_lower.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| {
            let k_lower = k.to_lowercase();
            // `mail` -> `mail_from`, `rcpt` -> `rcpt_to`: an abbreviation counts as one edit.
            let distance = if typed_lower.len() >= 3 && k_lower.starts_with(&typed_lower) {
                1
            } else {
                edit_distance(&typed_lower, &k_lower)
            };
            (distance, k)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance where swapping two neighbours counts as one edit (`ehol` -> `ehlo`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let far = usize::MAX / 2;
    let mut before_prev: Vec<usize> = vec![far; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let at = |row: &Vec<usize>, k: usize| row.get(k).copied().unwrap_or(far);
            let mut best = (at(&prev, j + 1) + 1)
                .min(at(&cur, j) + 1)
                .min(at(&prev, j) + usize::from(ca != cb));
            let swapped =
                i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) && ca != cb;
            if swapped {
                best = best.min(at(&before_prev, j - 1) + 1);
            }
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = best;
            }
        }
        before_prev = std::mem::replace(&mut prev, cur);
    }
    prev.last().copied().unwrap_or(far)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn diag() -> Diagnostic {
        Diagnostic {
            path: PathBuf::from("scenarios/broken.yaml"),
            line: 12,
            col: 9,
            width: 4,
            message: "unknown key `ehol` in a step".into(),
            help: Some("did you mean `ehlo`?".into()),
            source_line: Some("      - ehol: smtp.contoso.com".into()),
        }
    }

    #[test]
    fn renders_like_rustc() {
        let text = Diagnostics(vec![diag()]).render(false);
        assert_eq!(
            text,
            "error: unknown key `ehol` in a step
  --> scenarios/broken.yaml:12:9
   |
12 |       - ehol: smtp.contoso.com
   |         ^^^^
   = help: did you mean `ehlo`?

error: could not load 1 plan file(s): 1 problem(s)
"
        );
        let colored = Diagnostics(vec![diag()]).render(true);
        assert!(colored.contains("\u{1b}["));
    }

    #[test]
    fn renders_a_problem_without_position() {
        let mut d = diag();
        d.line = 0;
        d.col = 0;
        d.source_line = None;
        d.help = None;
        d.message = "cannot read `x.yaml`: not found".into();
        d.path = PathBuf::from("x.yaml");
        let two = Diagnostics(vec![d, diag()]).render(false);
        assert!(two.starts_with("error: cannot read `x.yaml`: not found\n --> x.yaml\n\nerror:"));
        assert!(two.ends_with("error: could not load 2 plan file(s): 2 problem(s)\n"));
    }

    #[test]
    fn suggests_close_words() {
        let steps = ["ehlo", "helo", "mail_from", "rcpt_to", "expect"];
        assert_eq!(did_you_mean("ehol", steps), Some("ehlo"));
        assert_eq!(did_you_mean("mail_form", steps), Some("mail_from"));
        assert_eq!(did_you_mean("EHLO", steps), Some("ehlo"));
        assert_eq!(did_you_mean("rcpt", steps), Some("rcpt_to"));
        assert_eq!(did_you_mean("rc", steps), None);
        assert_eq!(did_you_mean("xyz", steps), None);
        assert_eq!(
            did_you_mean("capabilites", ["code", "capabilities", "capture"]),
            Some("capabilities")
        );
    }
}
