//! The one source-snippet renderer: a source line under a gutter with a caret under the
//! problem, as load diagnostics, console failures and JUnit reports show it.
//!
//! The line is shown through a bounded window around the caret (a 5 MB one-line plan prints a
//! line of at most 200 characters, not 5 MB), control characters are shown escaped
//! (`\u{7}`, `\t` stays a tab) with the caret still under the character it points at.
//!
//! annotate-snippets was the declared candidate; it is not used: the window, the escaping and
//! the one-`*`-per-character redaction of quoted lines need exact control of every column.

/// How many characters of the line are shown at most (the caret's neighbourhood).
pub const WINDOW: usize = 200;

/// The `n`th line (1-based) of `source`, without its line end. A line ends at LF, CRLF or a
/// bare CR, as YAML counts lines.
pub fn nth_line(source: &str, n: u32) -> Option<&str> {
    let index = usize::try_from(n.checked_sub(1)?).ok()?;
    let mut rest = source;
    for _ in 0..index {
        let end = rest.find(['\n', '\r'])?;
        let skip = if rest.get(end..end + 2) == Some("\r\n") {
            2
        } else {
            1
        };
        rest = rest.get(end + skip..)?;
    }
    let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    rest.get(..end)
}

/// A character as shown in a snippet: control characters escaped, a tab kept.
fn shown(c: char) -> String {
    if c == '\t' || !c.is_control() {
        c.to_string()
    } else {
        c.escape_unicode().to_string()
    }
}

/// The part of `line` to show, and where the caret goes in it: `(text, caret column (0-based,
/// in shown characters), caret width)`. `col` is 1-based in characters of `line`.
pub fn window(line: &str, col: u32, width: u32) -> (String, usize, usize) {
    let chars: Vec<char> = line.trim_end().chars().collect();
    let col = usize::try_from(col.max(1) - 1).unwrap_or(0);
    let width = usize::try_from(width.max(1)).unwrap_or(1);
    // Keep the caret's start in view, with some text before it.
    let start = if chars.len() <= WINDOW {
        0
    } else {
        col.saturating_sub(WINDOW / 3)
            .min(chars.len().saturating_sub(WINDOW))
    };
    let end = (start + WINDOW).min(chars.len());
    let mut text = String::new();
    let mut caret = 0;
    let mut caret_width = 0;
    if start > 0 {
        text.push('…');
    }
    for (i, c) in chars.iter().enumerate().take(end).skip(start) {
        let piece = shown(*c);
        let n = piece.chars().count();
        if i < col {
            caret += n;
        } else if i < col + width {
            caret_width += n;
        }
        text.push_str(&piece);
    }
    if start > 0 {
        caret += 1;
    }
    if end < chars.len() {
        text.push('…');
    }
    // A caret past the end (a problem at the line end) points just after it.
    if col >= chars.len() {
        caret = text.chars().count() + col.saturating_sub(chars.len());
    }
    (text, caret, caret_width.max(1))
}

/// The three snippet lines (`  |`, `N | text`, `  | ^^^`) without their left margin: `paint`
/// colours the gutter (`|` and the number) and the carets. Tabs before the caret are kept so
/// that it lines up with the text above.
pub fn render_snippet(
    number: u32,
    line: &str,
    col: u32,
    width: u32,
    gutter: &dyn Fn(&str) -> String,
    carets: &dyn Fn(&str) -> String,
) -> [String; 3] {
    let (text, caret, caret_width) = window(line, col, width);
    let num = number.to_string();
    let pad = " ".repeat(num.len());
    let bar = gutter("|");
    let indent: String = text
        .chars()
        .chain(std::iter::repeat(' '))
        .take(caret)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    [
        format!("{pad} {bar}"),
        format!("{} {bar} {text}", gutter(&num)),
        format!("{pad} {bar} {indent}{}", carets(&"^".repeat(caret_width))),
    ]
}

/// `text` (a message) with every `quoted` part longer than 80 characters cut to its first 60
/// (`…` marks the cut), and the whole at most 1,000 characters: a message quoting a 5 MB key
/// stays a line.
pub fn bound_message(text: &str) -> String {
    const QUOTE: usize = 80;
    const KEEP: usize = 60;
    const ALL: usize = 1_000;
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 && part.chars().count() > QUOTE {
            out.extend(part.chars().take(KEEP));
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    if out.chars().count() > ALL {
        out = out.chars().take(ALL).collect();
        out.push('…');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn plain(s: &str) -> String {
        s.to_owned()
    }

    #[test]
    fn lines_end_at_lf_crlf_or_a_bare_cr() {
        let src = "a\nb\r\nc\rd";
        assert_eq!(nth_line(src, 1), Some("a"));
        assert_eq!(nth_line(src, 2), Some("b"));
        assert_eq!(nth_line(src, 3), Some("c"));
        assert_eq!(nth_line(src, 4), Some("d"));
        assert_eq!(nth_line(src, 5), None);
        assert_eq!(nth_line(src, 0), None);
    }

    #[test]
    fn a_short_line_is_shown_whole() {
        let [a, b, c] = render_snippet(12, "  - ehol: x", 5, 4, &plain, &plain);
        assert_eq!(a, "   |");
        assert_eq!(b, "12 |   - ehol: x");
        assert_eq!(c, "   |     ^^^^");
    }

    #[test]
    fn a_huge_line_is_shown_through_a_window_around_the_caret() {
        let line = format!("{}ehol{}", "a".repeat(3_000_000), "b".repeat(3_000_000));
        let [_, b, c] = render_snippet(1, &line, 3_000_001, 4, &plain, &plain);
        assert!(b.chars().count() < WINDOW + 10, "{}", b.len());
        assert!(b.contains("ehol") && b.contains('…'));
        let at = c.find('^').unwrap();
        let under: String = b.chars().skip(at).take(4).collect();
        assert_eq!(under, "ehol", "{b}\n{c}");
    }

    #[test]
    fn control_characters_are_escaped_and_the_caret_follows() {
        let [_, b, c] = render_snippet(2, "  - name: x\u{7}y", 12, 1, &plain, &plain);
        assert_eq!(b, "2 |   - name: x\\u{7}y");
        let at = c.find('^').unwrap();
        assert_eq!(b.get(at..at + 6), Some("\\u{7}y"));
        assert_eq!(c.matches('^').count(), 5, "the caret covers the escape");
    }

    #[test]
    fn long_quotes_in_messages_are_cut() {
        let key = "a".repeat(5_000_000);
        let m = bound_message(&format!("unknown step `{key}` here"));
        assert_eq!(m, format!("unknown step `{}…` here", "a".repeat(60)));
        assert_eq!(bound_message("short `x` y"), "short `x` y");
        assert!(bound_message(&"b".repeat(5000)).chars().count() <= 1001);
    }

    #[test]
    fn tabs_line_up() {
        let [_, _, c] = render_snippet(1, "\tkey: v", 2, 3, &plain, &plain);
        assert_eq!(c, "  | \t^^^");
    }
}
