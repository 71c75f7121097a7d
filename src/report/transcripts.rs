//! `--transcript-dir DIR`: one redacted transcript file per scenario,
//! `DIR/<suite>/<scenario>.txt` (names made file-safe, numbered when they clash). DIR holds
//! only this run's files (see [`super::owned_dir`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::results::SuiteResult;

/// Lowercase letters, digits, `-` and `_`; anything else becomes `-`; never empty.
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "unnamed".to_owned()
    } else {
        trimmed.chars().take(80).collect()
    }
}

pub fn write_transcripts(dir: &Path, suites: &[SuiteResult]) -> io::Result<()> {
    super::owned_dir::prepare(dir)?;
    let mut used_suites = BTreeSet::new();
    for suite in suites {
        let suite_dir = dir.join(unique(&mut used_suites, slug(&suite.name)));
        std::fs::create_dir_all(&suite_dir)?;
        let mut used = BTreeSet::new();
        for sc in &suite.scenarios {
            let mut text = String::new();
            let _ = writeln!(text, "# {} › {}", suite.name, sc.name);
            let _ = writeln!(text, "# file: {}", suite.path.display());
            if let Some(f) = sc.outcome.failure() {
                let _ = writeln!(text, "# {}", f.headline());
            }
            for line in &sc.transcript {
                let _ = writeln!(text, "{line}");
            }
            let name = unique(&mut used, slug(&sc.name));
            std::fs::write(suite_dir.join(format!("{name}.txt")), text)?;
        }
    }
    Ok(())
}

fn unique(used: &mut BTreeSet<String>, base: String) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Authenticated submission over STARTTLS"),
            "authenticated-submission-over-starttls"
        );
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("›››"), "unnamed");
        let mut used = BTreeSet::new();
        assert_eq!(unique(&mut used, "a".into()), "a");
        assert_eq!(unique(&mut used, "a".into()), "a-2");
    }
}
