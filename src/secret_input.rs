//! Secrets given on the command line — `--secret`, `--secret-file`, `--secrets-file`,
//! `--serve-user`, `--serve-users-file` (`serve --user`, `--users-file`) — and the ways to give
//! them that the process list does not show: an environment variable, a file, standard input.
//!
//! Values are held as [`Secret`] from the moment clap reads them (clap's parser for them never
//! fails, so clap never echoes one in an error); every problem names the flag and the name,
//! never the value. A value given in the command line itself is taken, with a warning: `ps`
//! shows it to every user of the machine.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::redact::Secret;
use crate::secrets_file::{parse_secrets, parse_users_text};
use crate::template::is_var_name;

/// The most a secret file (or standard input) may hold.
const MAX_BYTES: u64 = crate::files::MAX_SECRETS_BYTES;

/// clap's parser for a flag whose value may be secret: takes any text, fails never.
pub fn secret_arg(text: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(text))
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{flag}: {message} (the argument is not shown: it may hold a secret)")]
    Bad { flag: &'static str, message: String },
    #[error(
        "{flag} (the {nth} one): no environment variable of that name is set, or it is empty (the argument is not shown: it may be a secret written without `NAME=`)"
    )]
    NoEnv { flag: &'static str, nth: String },
    #[error("{flag} {}: {source}", .path.display())]
    Read {
        flag: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{flag} {} {source}", .path.display())]
    File {
        flag: &'static str,
        path: PathBuf,
        source: crate::files::FileError,
    },
    #[error("{flag} {}: larger than {MAX_BYTES} bytes", .path.display())]
    TooLarge { flag: &'static str, path: PathBuf },
    #[error("{flag} {}: not valid UTF-8", .path.display())]
    NotUtf8 { flag: &'static str, path: PathBuf },
    #[error(
        "{flag} {}:{line}: expected {expected} (the line is not shown: it may hold a secret)",
        .path.display()
    )]
    BadLine {
        flag: &'static str,
        path: PathBuf,
        line: usize,
        expected: &'static str,
    },
    #[error("{flag}: standard input is already read by {by}; give one of them another way")]
    StdinTwice {
        flag: &'static str,
        by: &'static str,
    },
}

/// Who read the process's standard input already (it can be read once per process).
static STDIN_TAKEN_BY: std::sync::Mutex<Option<&'static str>> = std::sync::Mutex::new(None);

/// Where `-` reads from, and who read it already (it can be read once).
pub struct StdinOnce {
    taken_by: Option<&'static str>,
    /// The process's standard input (shared by every `StdinOnce::default()`).
    process: bool,
    read: Box<dyn FnMut() -> std::io::Result<Vec<u8>>>,
}

impl Default for StdinOnce {
    fn default() -> Self {
        let mut this = Self::from_fn(|| {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_BYTES + 1)
                .read_to_end(&mut bytes)?;
            Ok(bytes)
        });
        this.process = true;
        this
    }
}

impl StdinOnce {
    /// Standard input replaced by `read` (for tests).
    pub fn from_fn(read: impl FnMut() -> std::io::Result<Vec<u8>> + 'static) -> Self {
        Self {
            taken_by: None,
            process: false,
            read: Box::new(read),
        }
    }

    fn take(&mut self, flag: &'static str) -> Result<String, InputError> {
        if self.process
            && let Ok(mut taken) = STDIN_TAKEN_BY.lock()
        {
            if let Some(by) = *taken {
                return Err(InputError::StdinTwice { flag, by });
            }
            *taken = Some(flag);
        }
        if let Some(by) = self.taken_by {
            return Err(InputError::StdinTwice { flag, by });
        }
        self.taken_by = Some(flag);
        let path = PathBuf::from("-");
        let bytes = (self.read)().map_err(|source| InputError::Read {
            flag,
            path: path.clone(),
            source,
        })?;
        checked_text(flag, &path, bytes)
    }
}

fn checked_text(flag: &'static str, path: &Path, bytes: Vec<u8>) -> Result<String, InputError> {
    if bytes.len() as u64 > MAX_BYTES {
        return Err(InputError::TooLarge {
            flag,
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes).map_err(|_| InputError::NotUtf8 {
        flag,
        path: path.to_path_buf(),
    })
}

/// A file's text (`-` = standard input), bounded while reading.
fn read_text(flag: &'static str, path: &Path, stdin: &mut StdinOnce) -> Result<String, InputError> {
    if path == Path::new("-") {
        return stdin.take(flag);
    }
    let bytes = crate::files::read_file(path, MAX_BYTES).map_err(|source| InputError::File {
        flag,
        path: path.to_path_buf(),
        source,
    })?;
    checked_text(flag, path, bytes)
}

/// One value read whole from a file or standard input: a single line end at its end is not
/// part of it (as `echo "$PW" > file` writes one).
fn one_value(text: String) -> String {
    let trimmed = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t));
    match trimmed {
        Some(t) => t.to_owned(),
        None => text,
    }
}

/// `1st`, `2nd`, `3rd`, `4th`...
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Secret variables from the command line, in the order they take effect, and the warnings
/// to print.
#[derive(Debug, Default)]
pub struct GivenSecrets {
    /// From `--secrets-file` (`--var` beats these).
    pub from_file: Vec<(String, Secret)>,
    /// From `--secret-file` and `--secret`, in that order (these beat `--var`).
    pub values: Vec<(String, Secret)>,
    pub warnings: Vec<String>,
}

const ARGV_WARNING: &str = "is visible to every user of this machine (`ps`) while smtp-plan runs";

/// `--secrets-file FILE` (`-` = standard input), then `--secret-file NAME=PATH`, then each
/// `--secret`: `NAME` (the environment variable NAME), `NAME=-` (standard input) or
/// `NAME=VALUE` (taken, with a warning).
pub fn given_secrets(
    secrets_file: Option<&Path>,
    secret_files: &[String],
    secrets: &[Secret],
    env: &dyn Fn(&str) -> Option<String>,
    stdin: &mut StdinOnce,
) -> Result<GivenSecrets, InputError> {
    let mut out = GivenSecrets::default();
    if let Some(path) = secrets_file {
        let flag = "--secrets-file";
        let text = read_text(flag, path, stdin)?;
        let pairs = parse_secrets(&text).map_err(|line| InputError::BadLine {
            flag,
            path: path.to_path_buf(),
            line,
            expected: "NAME=VALUE with NAME of letters, digits, `_`, `.`, `-`",
        })?;
        out.from_file
            .extend(pairs.into_iter().map(|(n, v)| (n, Secret::new(v))));
    }
    for item in secret_files {
        let flag = "--secret-file";
        let Some((name, path)) = item
            .split_once('=')
            .filter(|(n, p)| is_var_name(n) && !p.is_empty())
        else {
            return Err(InputError::Bad {
                flag,
                message: "expected NAME=PATH".into(),
            });
        };
        let value = one_value(read_text(flag, Path::new(path), stdin)?);
        out.values.push((name.to_owned(), Secret::new(value)));
    }
    for (i, item) in secrets.iter().enumerate() {
        let flag = "--secret";
        let text = item.expose();
        let (name, value) = match text.split_once('=') {
            None if is_var_name(text) => {
                let value =
                    env(text)
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| InputError::NoEnv {
                            flag,
                            nth: ordinal(i + 1),
                        })?;
                (text.to_owned(), value)
            }
            Some((name, "-")) if is_var_name(name) => {
                (name.to_owned(), one_value(stdin.take(flag)?))
            }
            Some((name, value)) if is_var_name(name) => {
                out.warnings.push(format!(
                    "--secret {name}=...: the value {ARGV_WARNING}; give it as `--secret {name}` (from the environment variable {name}), `--secret {name}=-` (standard input), `--secret-file {name}=PATH` or `--secrets-file FILE`"
                ));
                (name.to_owned(), value.to_owned())
            }
            _ => {
                return Err(InputError::Bad {
                    flag,
                    message: "expected NAME (read from the environment variable NAME), NAME=- (read from standard input) or NAME=VALUE".into(),
                });
            }
        };
        out.values.push((name, Secret::new(value)));
    }
    Ok(out)
}

/// `(user, password)` pairs for the built-in server.
pub type Logins = Vec<(String, Secret)>;

/// Logins for the built-in server: `users_file` (`USER:PASSWORD` lines, `-` = standard input),
/// then each `USER:PASSWORD` of `flag` (taken, with a warning), and the warnings to print.
pub fn given_users(
    flag: &'static str,
    file_flag: &'static str,
    users: &[Secret],
    users_file: Option<&Path>,
    stdin: &mut StdinOnce,
) -> Result<(Logins, Vec<String>), InputError> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    if let Some(path) = users_file {
        let text = read_text(file_flag, path, stdin)?;
        let pairs = parse_users_text(&text).map_err(|line| InputError::BadLine {
            flag: file_flag,
            path: path.to_path_buf(),
            line,
            expected: "USER:PASSWORD",
        })?;
        out.extend(pairs.into_iter().map(|(u, p)| (u, Secret::new(p))));
    }
    for item in users {
        let Some((user, password)) = item.expose().split_once(':').filter(|(u, _)| !u.is_empty())
        else {
            return Err(InputError::Bad {
                flag,
                message: "expected USER:PASSWORD".into(),
            });
        };
        warnings.push(format!(
            "{flag} {user}:...: the password {ARGV_WARNING}; give it in a file of USER:PASSWORD lines with `{file_flag} FILE` (`-` reads standard input)"
        ));
        out.push((user.to_owned(), Secret::new(password)));
    }
    Ok((out, warnings))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn stdin(text: &'static str) -> StdinOnce {
        StdinOnce::from_fn(move || Ok(text.as_bytes().to_vec()))
    }

    fn env(name: &str) -> Option<String> {
        (name == "PW").then(|| "from-env-pw".to_owned())
    }

    fn values(g: &GivenSecrets) -> Vec<(String, String)> {
        g.from_file
            .iter()
            .chain(&g.values)
            .map(|(n, v)| (n.clone(), v.expose().to_owned()))
            .collect()
    }

    #[test]
    fn every_way_of_giving_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file-pw\n").unwrap();
        let files = vec![format!("F={}", file.display())];
        let args = [
            Secret::new("PW"),
            Secret::new("S=-"),
            Secret::new("A=in-argv-pw"),
        ];
        let g = given_secrets(None, &files, &args, &env, &mut stdin("from-stdin\r\n")).unwrap();
        assert_eq!(
            values(&g),
            [
                ("F".into(), "from-file-pw".into()),
                ("PW".into(), "from-env-pw".into()),
                ("S".into(), "from-stdin".into()),
                ("A".into(), "in-argv-pw".into()),
            ]
        );
        assert_eq!(g.warnings.len(), 1);
        assert!(g.warnings[0].contains("--secret A=..."), "{:?}", g.warnings);
        assert!(!g.warnings[0].contains("in-argv-pw"));
        assert!(!format!("{g:?}").contains("pw\""), "{g:?}");
    }

    #[test]
    fn problems_never_show_the_value() {
        let e = given_secrets(
            None,
            &[],
            &[Secret::new("bad name=hunter22")],
            &env,
            &mut stdin(""),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("hunter22"), "{e}");
        let e = given_secrets(None, &[], &[Secret::new("UNSET")], &env, &mut stdin(""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("(the 1st one): no environment variable"), "{e}");
        assert!(!e.contains("UNSET"), "{e}");
        let twice = [Secret::new("A=-"), Secret::new("B=-")];
        let e = given_secrets(None, &[], &twice, &env, &mut stdin("x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("already read by --secret"), "{e}");
        let (users, warnings) = given_users(
            "--user",
            "--users-file",
            &[Secret::new("u@x:p4ssw0rd-argv")],
            Some(Path::new("-")),
            &mut stdin("# logins\nv@x:from-stdin-pw\n"),
        )
        .unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].1.expose(), "from-stdin-pw");
        assert!(!warnings[0].contains("p4ssw0rd"), "{warnings:?}");
        let e = given_users(
            "--user",
            "--users-file",
            &[Secret::new("nocolon-secret")],
            None,
            &mut stdin(""),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("nocolon"), "{e}");
    }
}
