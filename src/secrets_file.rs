//! `--secrets-file FILE`: secret variables as `NAME=VALUE` lines.
//!
//! Format: one `NAME=VALUE` per line; blank lines and lines starting with `#` are skipped;
//! the value is everything after the first `=`, verbatim (spaces kept), except that one pair of
//! matching surrounding quotes (`"..."` or `'...'`) is removed; a trailing CR is dropped. No
//! escapes, no `${}` substitution. Errors name the file and the line number, never the line.

use std::path::{Path, PathBuf};

use crate::files::{FileError, MAX_SECRETS_BYTES};

#[derive(Debug, thiserror::Error)]
pub enum SecretsFileError {
    /// Missing, not a regular file, too large (more than [`MAX_SECRETS_BYTES`]), unreadable.
    #[error("--secrets-file {} {source}", .path.display())]
    Read { path: PathBuf, source: FileError },
    #[error("--secrets-file {}: not valid UTF-8", .path.display())]
    NotUtf8 { path: PathBuf },
    #[error(
        "--secrets-file {}:{line}: expected NAME=VALUE with NAME of letters, digits, `_`, `.`, `-` (the line is not shown: it may hold a secret)",
        .path.display()
    )]
    BadLine { path: PathBuf, line: usize },
}

/// Read the file: `(name, value)` pairs in file order.
pub fn load_secrets_file(path: &Path) -> Result<Vec<(String, String)>, SecretsFileError> {
    let read = |source| SecretsFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = crate::files::read_file(path, MAX_SECRETS_BYTES).map_err(read)?;
    let text = String::from_utf8(bytes).map_err(|_| SecretsFileError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    parse_secrets(&text).map_err(|line| SecretsFileError::BadLine {
        path: path.to_path_buf(),
        line,
    })
}

/// Parse the text; `Err` is the 1-based number of the first bad line.
pub fn parse_secrets(text: &str) -> Result<Vec<(String, String)>, usize> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((name, value)) = trimmed.split_once('=') else {
            return Err(i + 1);
        };
        let name = name.trim_end();
        if !crate::template::is_var_name(name) {
            return Err(i + 1);
        }
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q)?.strip_suffix(*q))
            .unwrap_or(value);
        out.push((name.to_owned(), unquoted.to_owned()));
    }
    Ok(out)
}

/// `USER:PASSWORD` lines (blank lines and `#` comments skipped; the password is everything
/// after the first `:`, verbatim); `Err` is the 1-based number of the first bad line.
pub fn parse_users_text(text: &str) -> Result<Vec<(String, String)>, usize> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match line.split_once(':') {
            Some((user, password)) if !user.trim().is_empty() => {
                out.push((user.trim().to_owned(), password.to_owned()));
            }
            _ => return Err(i + 1),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_quotes() {
        let text = "# creds\n\nSMTP_PASSWORD=P@ss=w0rd \r\n  token = \"a b\"\nempty=\nq='x'\n";
        assert_eq!(
            parse_secrets(text).unwrap(),
            vec![
                ("SMTP_PASSWORD".into(), "P@ss=w0rd ".into()),
                ("token".into(), " \"a b\"".into()),
                ("empty".into(), String::new()),
                ("q".into(), "x".into()),
            ]
        );
    }

    #[test]
    fn bad_lines_are_numbered_not_shown() {
        assert_eq!(parse_secrets("a=1\nhunter2\n"), Err(2));
        assert_eq!(parse_secrets("=x"), Err(1));
        assert_eq!(parse_secrets("bad name=x"), Err(1));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.env");
        std::fs::write(&path, "ok=1\nTopSecretValue\n").unwrap();
        let e = load_secrets_file(&path).unwrap_err().to_string();
        assert!(e.contains(":2: expected NAME=VALUE"), "{e}");
        assert!(!e.contains("TopSecretValue"), "{e}");
    }
}
