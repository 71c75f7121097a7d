//! The words every part of the `doc` page uses: lists (`a, b and c`), inline code that
//! survives backticks, Markdown escapes, templates as the plan writes them, paths, trust.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::template::{Part, Template};

/// `a/b/../c` -> `a/c`, lexically (the path is only shown, never opened).
pub(super) fn normalize(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect()
}

/// How certificates are checked, as a clause starting with `; `.
pub(super) fn trust(insecure: bool, ca: Option<&PathBuf>, name: Option<&str>) -> String {
    if insecure {
        return "; certificates are not verified".to_owned();
    }
    let mut s = String::from("; certificates must be valid");
    if let Some(name) = name {
        let _ = write!(s, " for {}", code(name));
    }
    if let Some(ca) = ca {
        let _ = write!(
            s,
            " (the CA in {} is trusted too)",
            code(&normalize(ca).display().to_string())
        );
    }
    s
}

/// Where a password or token comes from: `the password from ${pw}`, or `a password written
/// in the plan (not shown)` when any of it is written literally.
pub(super) fn credential_words(what: &str, t: &Template) -> String {
    if t.parts().iter().all(|p| matches!(p, Part::Var { .. })) && !t.parts().is_empty() {
        format!("the {what} from {}", code(&tpl(t)))
    } else {
        format!("a {what} written in the plan (not shown)")
    }
}

/// A template as the plan means it: literal text and `${name}` references.
pub(super) fn tpl(t: &Template) -> String {
    t.parts()
        .iter()
        .map(|p| match p {
            Part::Lit(s) => s.clone(),
            // `doc` loads plans with `${env:NAME}` standing for itself (see `load_for_doc`).
            Part::Env { value, .. } => value.expose().to_owned(),
            Part::Var { name, .. } => format!("${{{name}}}"),
            Part::Func { func, args, .. } => format!("${{{}({})}}", func.name(), args.join(", ")),
        })
        .collect()
}

pub(super) fn join_with(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {word} {last}", rest.join(", ")),
    }
}

pub(super) fn and_list(items: &[String]) -> String {
    join_with(items, "and")
}

pub(super) fn or_list(items: &[String]) -> String {
    join_with(items, "or")
}

/// Inline code that survives backticks and line breaks in `s`.
pub(super) fn code(s: &str) -> String {
    let s = s.replace('\n', "\\n").replace('\r', "\\r");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    if longest == 0 {
        return format!("`{s}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {s} {fence}")
}

/// Text with Markdown's active characters escaped.
pub(super) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_code_and_escapes() {
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("x"), "`x`");
        assert_eq!(md("a_b *c* <d>"), r"a\_b \*c\* \<d\>");
    }

    #[test]
    fn lists_read_as_english() {
        let items = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(and_list(&items(&["a", "b", "c"])), "a, b and c");
        assert_eq!(or_list(&items(&["a"])), "a");
    }
}
