//! Options shared by several commands (variables, secrets, selection) and the value parsers
//! of flags, each turned into the checked value the lower layers take.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use crate::model::Plan;
use crate::protocol::TlsVersion;
use crate::redact::Secret;
use crate::runner::{Partition, Selection};
use crate::scenario::{LoadOptions, load_plans};
use crate::secret_input::{StdinOnce, given_secrets, given_users, secret_arg};

use super::Problem;

/// The variables a command line gives plans (`run`, `check`, `list`).
#[derive(Debug, Args)]
pub struct VarArgs {
    /// Set a variable (repeatable; beats `vars:` in files).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Read variables from a YAML mapping (repeatable; beats `vars:`, loses to --var).
    #[arg(long = "vars-file", value_name = "FILE")]
    pub vars_files: Vec<PathBuf>,
    /// The directory the files a plan names (includes, message files, attachments, client
    /// certificate and key) must lie under [default: the directory of each plan named, or the
    /// directory named].
    #[arg(long, value_name = "DIR")]
    pub file_root: Option<PathBuf>,
}

/// Variables whose values are secret in every plan.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// Set a secret variable, never printed (repeatable): `NAME` reads the environment
    /// variable NAME, `NAME=-` standard input; `NAME=VALUE` works but `ps` shows it (a warning).
    #[arg(long = "secret", value_name = "NAME[=-|=VALUE]", value_parser = secret_arg)]
    pub secrets: Vec<Secret>,
    /// Set a secret variable to a file's content (without its final line end; repeatable).
    #[arg(long = "secret-file", value_name = "NAME=PATH")]
    pub secret_files: Vec<String>,
    /// Read secret variables from a file of `NAME=VALUE` lines (`#` comments, blank lines);
    /// `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub secrets_file: Option<PathBuf>,
}

impl VarArgs {
    /// `--vars-file`, `--var`, `--secrets-file`, `--secret-file` and `--secret` as load
    /// options: the secrets file first, then `--var`, then `--secret-file` and `--secret` (a
    /// later value for the same name wins). Warnings (a secret value in the command line) go
    /// to stderr.
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        let mut options = LoadOptions {
            vars_files: self.vars_files.clone(),
            file_root: self.file_root.clone(),
            ..LoadOptions::default()
        };
        let env = |name: &str| std::env::var(name).ok();
        let given = given_secrets(
            self.secrets.secrets_file.as_deref(),
            &self.secrets.secret_files,
            &self.secrets.secrets,
            &env,
            &mut StdinOnce::default(),
        )?;
        for warning in &given.warnings {
            eprintln!("warning: {warning}");
        }
        for (name, value) in given.from_file {
            options.secrets.insert(name.clone());
            options.vars.insert(name, value.expose().to_owned());
        }
        options.vars.extend(parse_vars(&self.vars)?);
        for (name, value) in given.values {
            options.secrets.insert(name.clone());
            options.vars.insert(name, value.expose().to_owned());
        }
        Ok(options)
    }
}

/// Which scenarios to run (shared by `run` and `list`).
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Run only scenarios with this tag (repeatable: any of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Leave out scenarios with this tag (repeatable).
    #[arg(long = "skip-tag", value_name = "TAG")]
    pub skip_tags: Vec<String>,
    /// Run only scenarios whose "suite › scenario" name contains TEXT (case-insensitive;
    /// repeatable: any of them).
    #[arg(long = "filter", value_name = "TEXT")]
    pub filters: Vec<String>,
    /// Run only shard K of N: `hash:K/N` (stable as plans change; the default kind) or
    /// `count:K/N` (round robin).
    #[arg(long, value_name = "[hash:|count:]K/N")]
    pub partition: Option<String>,
}

impl SelectArgs {
    pub fn selection(&self) -> anyhow::Result<Selection> {
        Ok(Selection {
            tags: self.tags.clone(),
            skip_tags: self.skip_tags.clone(),
            filters: self.filters.clone(),
            partition: self
                .partition
                .as_deref()
                .map(Partition::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--partition: {e}"))?,
        })
    }
}

/// Load plans; their diagnostics are the problem when they do not load. A `--var` that sets
/// a variable a plan holds secret (`secrets:`, an `auth` password) is warned about like
/// `--secret NAME=VALUE`: `ps` shows its value.
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Result<Vec<Plan>, Problem> {
    let plans = load_plans(paths, options).map_err(Problem::from)?;
    for name in options.vars.keys() {
        if options.secrets.contains(name) {
            continue;
        }
        let secret_in = |p: &&Plan| {
            p.secret_names.contains(name)
                || p.scenarios.iter().any(|s| {
                    s.secret_names
                        .as_ref()
                        .is_some_and(|names| names.contains(name))
                })
        };
        if let Some(plan) = plans.iter().find(secret_in) {
            eprintln!(
                "warning: --var {name}=...: `{name}` is a secret in {}, and its value is visible to every user of this machine (`ps`) while smtp-plan runs; give it as `--secret {name}` (from the environment variable {name}), `--secret {name}=-` (standard input), `--secret-file {name}=PATH` or `--secrets-file FILE`",
                plan.path.display()
            );
        }
    }
    Ok(plans)
}

/// `NAME=VALUE` pairs, in order (a later one wins).
pub fn parse_vars(items: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    for item in items {
        let Some((name, value)) = item.split_once('=') else {
            bail!("--var {item:?}: expected NAME=VALUE");
        };
        if name.is_empty() {
            bail!("--var {item:?}: the name is empty");
        }
        vars.insert(name.to_owned(), value.to_owned());
    }
    Ok(vars)
}

/// A duration on the command line, written as in plans: `500ms`, `2s`, `1.5s`, `1m`, `1h`,
/// `1d` (at most a day).
pub fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    use crate::duration::{DURATION_HELP, DurationError};
    crate::duration::parse_duration(text).map_err(|e| match e {
        DurationError::TooLong { .. } => format!("{text:?} {e}"),
        DurationError::NoUnit => {
            format!("{text:?} needs a unit: did you mean `{}s`?", text.trim())
        }
        DurationError::Invalid => format!("{text:?} {e}; {DURATION_HELP}"),
    })
}

pub fn parse_tls_version(text: &str) -> Result<TlsVersion, String> {
    TlsVersion::parse(text).ok_or_else(|| {
        format!("{text:?}: expected 1.2 or 1.3 (smtp-plan cannot speak TLS 1.0 or 1.1)")
    })
}

/// Logins for the built-in server: a file of `USER:PASSWORD` lines (`-` = standard input),
/// then `USER:PASSWORD` items of `flag` (a warning each: `ps` shows them).
pub fn parse_users(
    items: &[Secret],
    file: Option<&std::path::Path>,
    flag: &'static str,
    file_flag: &'static str,
) -> anyhow::Result<Vec<(String, String)>> {
    let (users, warnings) = given_users(flag, file_flag, items, file, &mut StdinOnce::default())?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    Ok(users
        .into_iter()
        .map(|(u, p)| (u, p.expose().to_owned()))
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn vars() {
        let v = parse_vars(&["a=1".into(), "b=x=y".into(), "a=2".into()]).unwrap();
        assert_eq!(v.get("a").unwrap(), "2");
        assert_eq!(v.get("b").unwrap(), "x=y");
        assert!(parse_vars(&["nope".into()]).is_err());
    }

    #[test]
    fn duration_flags_read_like_plan_durations() {
        assert_eq!(
            parse_duration_arg("50ms"),
            Ok(std::time::Duration::from_millis(50))
        );
        assert_eq!(
            parse_duration_arg("2s"),
            Ok(std::time::Duration::from_secs(2))
        );
        assert_eq!(
            parse_duration_arg("1m"),
            Ok(std::time::Duration::from_secs(60))
        );
        assert_eq!(
            parse_duration_arg("1.5s"),
            Ok(std::time::Duration::from_millis(1500))
        );
        assert_eq!(
            parse_duration_arg("1d"),
            Ok(std::time::Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_duration_arg("50"),
            Err("\"50\" needs a unit: did you mean `50s`?".to_owned())
        );
        assert_eq!(
            parse_duration_arg("999999999999999999m"),
            Err("\"999999999999999999m\" is longer than 1d, the most allowed".to_owned())
        );
    }
}
