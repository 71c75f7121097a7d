//! `smtp-plan probe` on the command line: options -> [`ProbeOptions`] -> plan file.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};

use super::process::runtime;
use super::{Exit, Outcome, Problem};
use crate::probe::{Login, PlanMeta, ProbeOptions, ProbeTls, probe, render_plan};
use crate::protocol::Mechanism;
use crate::redact::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsArg {
    /// STARTTLS when the server offers it
    Auto,
    /// never STARTTLS
    None,
    /// the server must offer STARTTLS
    Starttls,
    /// TLS from the first byte (port 465 by default)
    Implicit,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The server: HOST, HOST:PORT, [V6]:PORT (port 25, or 465 with --tls implicit).
    #[arg(value_name = "HOST[:PORT]")]
    pub server: String,
    /// How to connect.
    #[arg(long, value_enum, default_value = "auto")]
    pub tls: TlsArg,
    /// Trust this CA (PEM) in addition to the system roots; written into the plan.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify the server certificate; written into the plan.
    #[arg(long)]
    pub insecure: bool,
    /// The name for SNI and the certificate check (default: the host).
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
    /// The EHLO name.
    #[arg(long, value_name = "NAME", default_value = "probe.smtp-plan.test")]
    pub ehlo: String,
    /// How long to wait for each reply (e.g. 10s, 1m; at most 1d).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = super::options::parse_duration_arg)]
    pub timeout: Duration,
    /// Log in as this user (needs --password-env).
    #[arg(long, value_name = "USER", requires = "password_env")]
    pub user: Option<String>,
    /// The environment variable holding the password; the plan reads it from there too.
    #[arg(long, value_name = "VAR", requires = "user")]
    pub password_env: Option<String>,
    /// Try only this AUTH mechanism (default: every advertised one that works with a
    /// password: SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, NTLM, PLAIN, LOGIN).
    #[arg(long, value_name = "MECHANISM", requires = "user")]
    pub mechanism: Option<String>,
    /// The sender of the MAIL FROM checks (no message is ever sent).
    #[arg(long, value_name = "ADDR", default_value = "probe@example.com")]
    pub mail_from: String,
    /// Also check RCPT TO for this recipient (no message is ever sent).
    #[arg(long, value_name = "ADDR")]
    pub rcpt: Option<String>,
    /// Skip the MAIL FROM / RCPT TO checks.
    #[arg(long, conflicts_with = "rcpt")]
    pub no_mail: bool,
    /// The plan's name (default: "SMTP behaviour of HOST:PORT").
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Name this JSON Schema in a yaml-language-server `$schema` comment (a URL, or a path
    /// as the editor resolves it: relative to the plan's directory). None by default.
    #[arg(long, value_name = "URL|PATH")]
    pub schema: Option<String>,
    /// Write the plan here instead of to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A word for the shell, single-quoted when it needs to be.
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@=+,[]".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command line that reproduces this probe (it holds no secret: only the variable name).
fn command_line(a: &ProbeArgs) -> String {
    let mut w = vec![
        "smtp-plan".to_owned(),
        "probe".to_owned(),
        shell_word(&a.server),
    ];
    let mut opt = |flag: &str, value: Option<String>| {
        w.push(flag.to_owned());
        if let Some(v) = value {
            w.push(shell_word(&v));
        }
    };
    if a.tls != TlsArg::Auto {
        let v = a.tls.to_possible_value().map(|v| v.get_name().to_owned());
        opt("--tls", v);
    }
    if let Some(ca) = &a.ca_file {
        opt("--ca-file", Some(ca.to_string_lossy().into_owned()));
    }
    if a.insecure {
        opt("--insecure", None);
    }
    if let Some(n) = &a.server_name {
        opt("--server-name", Some(n.clone()));
    }
    opt("--ehlo", Some(a.ehlo.clone()));
    if let (Some(u), Some(v)) = (&a.user, &a.password_env) {
        opt("--user", Some(u.clone()));
        opt("--password-env", Some(v.clone()));
    }
    if let Some(m) = &a.mechanism {
        opt("--mechanism", Some(m.clone()));
    }
    if a.no_mail {
        opt("--no-mail", None);
    } else {
        opt("--mail-from", Some(a.mail_from.clone()));
    }
    if let Some(r) = &a.rcpt {
        opt("--rcpt", Some(r.clone()));
    }
    w.join(" ")
}

fn options(a: &ProbeArgs) -> anyhow::Result<ProbeOptions> {
    let target = crate::runner::TargetOverride::parse(&a.server).map_err(anyhow::Error::msg)?;
    let tls = match a.tls {
        TlsArg::Auto => ProbeTls::Auto,
        TlsArg::None => ProbeTls::None,
        TlsArg::Starttls => ProbeTls::StartTls,
        TlsArg::Implicit => ProbeTls::Implicit,
    };
    if tls == ProbeTls::None && a.user.is_some() {
        bail!(
            "--user with --tls none: refusing to send the password over a connection without TLS; use --tls auto, starttls or implicit"
        );
    }
    let port = target
        .port
        .unwrap_or(if tls == ProbeTls::Implicit { 465 } else { 25 });
    let ca_file = match &a.ca_file {
        Some(ca) if !ca.is_file() => bail!("--ca-file {}: no such file", ca.display()),
        Some(ca) => Some(std::path::absolute(ca).context("--ca-file")?),
        None => None,
    };
    if a.timeout.is_zero() {
        bail!("--timeout must be more than zero");
    }
    let login = match (&a.user, &a.password_env) {
        (Some(user), Some(var)) => {
            if !crate::template::is_var_name(var) {
                bail!(
                    "--password-env {var:?}: not a valid variable name (letters, digits, `_`, `.`, `-`)"
                );
            }
            let Ok(password) = std::env::var(var) else {
                bail!("--password-env {var}: the environment variable is not set");
            };
            let names = || {
                Mechanism::ALL
                    .into_iter()
                    .filter(|m| !m.uses_token())
                    .map(Mechanism::name)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mechanism = match a.mechanism.as_deref().map(str::parse::<Mechanism>) {
                None => None,
                Some(Ok(m)) if m.uses_token() => bail!(
                    "--mechanism {m}: it needs a token, and probe logs in with a password (one of {})",
                    names()
                ),
                Some(Ok(m)) => Some(m),
                Some(Err(_)) => bail!("--mechanism: one of {}", names()),
            };
            Some(Login {
                user: user.clone(),
                password: Secret::new(password),
                password_env: var.clone(),
                mechanism,
            })
        }
        _ => None,
    };
    Ok(ProbeOptions {
        host: target.host,
        port,
        tls,
        ca_file,
        insecure: a.insecure,
        server_name: a.server_name.clone(),
        ehlo: a.ehlo.clone(),
        timeout: a.timeout,
        login,
        mail_from: (!a.no_mail).then(|| a.mail_from.clone()),
        rcpt: a.rcpt.clone(),
    })
}

/// Probe, write the plan, say where it went. Exit 1 when the server could not be probed or
/// the plan could not be written after it was.
pub fn cmd_probe(a: ProbeArgs) -> Outcome {
    let o = options(&a)?;
    let shown = crate::protocol::HostPort::new(&o.host, o.port).to_string();
    let meta = PlanMeta {
        name: a
            .name
            .clone()
            .unwrap_or_else(|| format!("SMTP behaviour of {shown}")),
        schema: a.schema.clone(),
        command: command_line(&a),
    };
    let observed = match runtime()?.block_on(probe(&o)) {
        Ok(obs) => obs,
        Err(e) => {
            let tls_failed = matches!(e.kind(), Some(crate::results::FailureKind::Tls(_)));
            let help = if tls_failed && o.ca_file.is_none() && !o.insecure {
                vec![
                    "trust the server's CA with --ca-file FILE, or skip verification with --insecure"
                        .to_owned(),
                ]
            } else {
                Vec::new()
            };
            return Err(Problem::Errors {
                exit: Exit::Failed,
                errors: vec![anyhow::anyhow!(
                    "probing {shown}: {}",
                    redacted(&o, &e.to_string())
                )],
                help,
            });
        }
    };
    let text = render_plan(&o, &observed, &meta);
    let scenarios = observed.conversations.len();
    let written = match &a.output {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("could not write {}", path.display()))
            .map(|()| {
                eprintln!(
                    "smtp-plan probe: {scenarios} scenario(s) from {shown} written to {}",
                    path.display()
                );
            }),
        None => {
            let mut out = std::io::stdout();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("could not write the plan to stdout")
        }
    };
    // The server was talked to: a plan that cannot be written is a failed run, not a usage error.
    written.map_err(|e| Problem::after_run(vec![e]))?;
    Ok(Exit::Passed)
}

/// `text` with every form of the probe's password masked (an error may quote a reply).
fn redacted(o: &ProbeOptions, text: &str) -> String {
    match &o.login {
        Some(l) => crate::redact::Redactor::new([l.password.expose()]).redact(text),
        None => text.to_owned(),
    }
}
