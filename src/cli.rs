//! Command-line options -> a validated configuration -> run. `main` only calls [`main_entry`].

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};

use crate::runner::{Partition, RunOptions, Schedule, Selection, TargetOverride, run_plans};
use crate::scenario::LoadOptions as PlanOptions;
use crate::scenario::{Plan, load_plans};
use crate::transport::{ClientCert, TlsVersion};

/// Exit status: 0 all passed, 1 a scenario failed or could not run, 2 nothing was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Passed = 0,
    Failed = 1,
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "smtp-plan",
    version,
    about = "Turn SMTP conversations into regression tests"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run plans against their servers and report.
    Run(RunArgs),
    /// Load and validate plans only; no network.
    Check {
        /// Plan files, or directories searched for *.yaml / *.yml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        vars: VarArgs,
    },
    /// Print the JSON Schema of the plan format (schemas/smtp-plan.schema.json).
    Schema,
    /// Run the built-in reference SMTP server on loopback (Exchange-like replies).
    Serve(ServeArgs),
    /// List suites, scenarios and tags (after --tag / --filter / --partition); no network.
    List {
        /// Plan files, or directories searched for *.yaml / *.yml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Talk to a server and write a plan that asserts what it does today.
    Probe(crate::probe::ProbeArgs),
    /// Render plans as a Markdown page a mail admin can read.
    Doc(crate::doc::DocArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Plan files, or directories searched for *.yaml / *.yml.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Connect every scenario here instead of its target.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub target: Option<String>,
    /// Trust this CA (PEM) in addition to the system roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify server certificates.
    #[arg(long)]
    pub insecure: bool,
    /// Present this client certificate (PEM) when a plan names none.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The private key (PEM) of --client-cert.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// The oldest TLS version to accept: 1.2 or 1.3 (the higher of this and a plan's
    /// `min_version` applies).
    #[arg(long, value_name = "VERSION", value_parser = parse_tls_version)]
    pub tls_min_version: Option<TlsVersion>,
    /// Print each conversation (secrets redacted).
    #[arg(short, long)]
    pub verbose: bool,
    /// Start the built-in server on 127.0.0.1 for this run and point every scenario at it
    /// (its generated CA is trusted).
    #[arg(long, conflicts_with = "target")]
    pub serve: bool,
    /// A login the built-in server of --serve accepts (repeatable).
    #[arg(long, value_name = "USER:PASSWORD", requires = "serve")]
    pub serve_user: Vec<String>,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Run up to N scenarios at once (output and reports keep plan order).
    #[arg(short, long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: u16,
    /// Start no new scenario after the first failure (the rest are reported as skipped).
    #[arg(long)]
    pub fail_fast: bool,
    /// Run every selected scenario N times (each run is its own test case).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=10000))]
    pub repeat: u16,
    /// JUnit: one test case per step instead of per scenario.
    #[arg(long, requires = "junit")]
    pub junit_steps: bool,
    /// Write a JSON report with every step, request, reply, timing and capture (redacted).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write one redacted transcript per scenario under DIR/<suite>/<scenario>.txt.
    #[arg(long, value_name = "DIR")]
    pub transcript_dir: Option<PathBuf>,
    /// Print only failures and the summary line.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
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
    fn selection(&self) -> anyhow::Result<Selection> {
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

/// Variables whose values are secret in every plan.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// Set a secret variable: like --var, and its value is never printed (repeatable).
    #[arg(long = "secret", value_name = "NAME=VALUE")]
    pub secrets: Vec<String>,
    /// Read secret variables from a file of `NAME=VALUE` lines (`#` comments, blank lines).
    #[arg(long, value_name = "FILE")]
    pub secrets_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Plain SMTP with STARTTLS (loopback only).
    #[arg(long, default_value = "127.0.0.1:2525")]
    pub listen: SocketAddr,
    /// Implicit TLS (loopback only).
    #[arg(long, value_name = "ADDR")]
    pub tls_listen: Option<SocketAddr>,
    /// The name the server greets with and puts in its certificate.
    #[arg(long, default_value = "localhost")]
    pub hostname: String,
    /// A login the server accepts (repeatable).
    #[arg(long = "user", value_name = "USER:PASSWORD")]
    pub users: Vec<String>,
    /// Accept mail without AUTH (by default MAIL FROM needs a login: 530 5.7.57).
    #[arg(long)]
    pub allow_anonymous: bool,
    /// Write each accepted message into this Maildir (new/); otherwise mail is discarded.
    #[arg(long, value_name = "DIR")]
    pub maildir: Option<PathBuf>,
    /// Write the generated CA certificate (PEM) here, for clients to trust.
    #[arg(long, value_name = "FILE")]
    pub write_ca: Option<PathBuf>,
    /// Wait this long before every reply (e.g. 50ms), like a server across a WAN.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub reply_delay: Option<std::time::Duration>,
}

/// A duration on the command line, written as in plans: `500ms`, `2s`, `1.5s`, `1m`, `1h`.
fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    use crate::scenario::DurationError;
    crate::scenario::parse_duration(text).map_err(|e| match e {
        DurationError::TooLong => format!("{text:?} is too long"),
        DurationError::NoUnit | DurationError::Invalid => {
            format!("expected a duration like 50ms or 2s, got {text:?}")
        }
    })
}

/// Print to stdout; a closed pipe (`smtp-plan run ... | head`) is not an error worth a panic.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Parse the command line, run, print the one error if any, and map to an exit status.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Check { paths, vars } => cmd_check(&paths, &vars),
        Cmd::Schema => cmd_schema(),
        Cmd::Run(args) => cmd_run(args),
        Cmd::Serve(args) => cmd_serve(args),
        Cmd::List {
            paths,
            vars,
            select,
        } => cmd_list(&paths, &vars, &select),
        Cmd::Probe(args) => crate::probe::cmd_probe(args),
        Cmd::Doc(args) => crate::doc::cmd_doc(&args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            let mut err = anstream::stderr();
            let _ = writeln!(err, "error: {e:#}");
            Exit::Usage.into()
        }
    }
}

fn load(paths: &[PathBuf], options: &PlanOptions) -> Result<Vec<Plan>, Exit> {
    match load_plans(paths, options) {
        Ok(plans) => Ok(plans),
        Err(diags) => {
            let mut err = anstream::stderr();
            let _ = write!(err, "{}", diags.render(true));
            Err(Exit::Usage)
        }
    }
}

fn cmd_schema() -> anyhow::Result<Exit> {
    let schema = crate::scenario::plan_schema().map_err(anyhow::Error::msg)?;
    let text = serde_json::to_string_pretty(&schema).context("could not write the schema")?;
    say(&format!("{text}\n"));
    Ok(Exit::Passed)
}

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
}

/// `--vars-file`, `--var`, `--secrets-file` and `--secret` as load options: the secrets file
/// first, then `--var`, then `--secret` (a later value for the same name wins).
fn load_options(args: &VarArgs) -> anyhow::Result<PlanOptions> {
    let (vars, secrets) = (&args.vars, &args.secrets);
    let mut options = PlanOptions {
        vars_files: args.vars_files.clone(),
        ..PlanOptions::default()
    };
    if let Some(path) = &secrets.secrets_file {
        for (name, value) in crate::secrets_file::load_secrets_file(path)? {
            options.secrets.insert(name.clone());
            options.vars.insert(name, value);
        }
    }
    options.vars.extend(parse_vars(vars)?);
    for item in &secrets.secrets {
        let Some((name, value)) = item.split_once('=').filter(|(n, _)| !n.is_empty()) else {
            bail!(
                "--secret: expected NAME=VALUE (the argument is not shown: it may hold a secret)"
            );
        };
        options.secrets.insert(name.to_owned());
        options.vars.insert(name.to_owned(), value.to_owned());
    }
    Ok(options)
}

fn cmd_check(paths: &[PathBuf], vars: &VarArgs) -> anyhow::Result<Exit> {
    let plans = match load(paths, &load_options(vars)?) {
        Ok(p) => p,
        Err(exit) => return Ok(exit),
    };
    let scenarios: usize = plans.iter().map(|p| p.scenarios.len()).sum();
    say(&format!(
        "ok: {} plan file(s), {scenarios} scenario(s)\n",
        plans.len()
    ));
    Ok(Exit::Passed)
}

/// `NAME=VALUE` pairs, in order (a later one wins).
fn parse_vars(items: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
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

/// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT`, or a bare IPv6 literal.
pub(crate) fn parse_target(text: &str) -> anyhow::Result<TargetOverride> {
    let bad =
        || anyhow::anyhow!("--target {text:?}: expected HOST or HOST:PORT (IPv6 as [::1]:25)");
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(bad)?;
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or_else(bad)?)),
        }
    } else if text.matches(':').count() > 1 {
        (text, None)
    } else {
        match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?),
        None => None,
    };
    Ok(TargetOverride {
        host: host.to_owned(),
        port,
        tls_port: None,
    })
}

fn parse_tls_version(text: &str) -> Result<TlsVersion, String> {
    TlsVersion::parse(text).ok_or_else(|| {
        format!("{text:?}: expected 1.2 or 1.3 (smtp-plan cannot speak TLS 1.0 or 1.1)")
    })
}

fn parse_users(items: &[String], flag: &str) -> anyhow::Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|u| {
            u.split_once(':')
                .filter(|(name, _)| !name.is_empty())
                .map(|(n, p)| (n.to_owned(), p.to_owned()))
                .ok_or_else(|| anyhow::anyhow!("{flag}: expected USER:PASSWORD"))
        })
        .collect()
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// The runtime of `run`: with `--jobs` above 1 on a machine with several cores, one worker
/// thread per core (at most one per job), so that TLS handshakes and message encoding of
/// scenarios running at once use the cores; otherwise one thread (no thread start-up cost).
fn run_runtime(jobs: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = jobs.min(cores);
    if threads <= 1 {
        return runtime();
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

fn cmd_list(paths: &[PathBuf], vars: &VarArgs, select: &SelectArgs) -> anyhow::Result<Exit> {
    let selection = select.selection()?;
    let plans = match load(paths, &load_options(vars)?) {
        Ok(p) => selection.apply(p),
        Err(exit) => return Ok(exit),
    };
    let mut out = String::new();
    for plan in &plans {
        out.push_str(&format!("{} ({})\n", plan.name, plan.path.display()));
        for sc in &plan.scenarios {
            let tags = if sc.tags.is_empty() {
                String::new()
            } else {
                format!("  [{}]", sc.tags.join(", "))
            };
            let skip = sc
                .skip
                .as_deref()
                .map(|r| format!("  (skip: {r})"))
                .unwrap_or_default();
            out.push_str(&format!("  {}{tags}{skip}\n", sc.name));
        }
    }
    let count: usize = plans.iter().map(|p| p.scenarios.len()).sum();
    out.push_str(&format!(
        "{count} scenario(s) in {} plan file(s)\n",
        plans.len()
    ));
    say(&out);
    Ok(Exit::Passed)
}

/// The connection flags of `run`, checked: `--target`, `--ca-file`, `--insecure`,
/// `--client-cert` / `--client-key`, `--tls-min-version`.
fn run_options(args: &RunArgs) -> anyhow::Result<RunOptions> {
    let options = RunOptions {
        target: args.target.as_deref().map(parse_target).transpose()?,
        ca_files: args.ca_file.iter().cloned().collect(),
        insecure: args.insecure,
        client_cert: args
            .client_cert
            .clone()
            .zip(args.client_key.clone())
            .map(|(cert, key)| ClientCert { cert, key }),
        min_version: args.tls_min_version,
        ..RunOptions::default()
    };
    if let Some(ca) = &args.ca_file
        && !ca.is_file()
    {
        bail!("--ca-file {}: no such file", ca.display());
    }
    for (flag, path) in [
        ("--client-cert", &args.client_cert),
        ("--client-key", &args.client_key),
    ] {
        if let Some(p) = path
            && !p.is_file()
        {
            bail!("{flag} {}: no such file", p.display());
        }
    }
    Ok(options)
}

/// Write the reports `run` was asked for; false if one could not be written (said on stderr).
fn write_reports(args: &RunArgs, suites: &[crate::runner::SuiteResult]) -> bool {
    let mut ok = true;
    let mut write_failed = |what: &str, path: &std::path::Path, e: std::io::Error| {
        eprintln!("error: could not write the {what} {}: {e}", path.display());
        ok = false;
    };
    if let Some(path) = &args.junit {
        let opts = crate::report::JunitOptions {
            per_step: args.junit_steps,
        };
        if let Err(e) = crate::report::write_junit(path, suites, opts) {
            write_failed("JUnit report", path, e);
        }
    }
    if let Some(path) = &args.json
        && let Err(e) = crate::report::write_atomic(path, &crate::report::render_json(suites))
    {
        write_failed("JSON report", path, e);
    }
    if let Some(dir) = &args.transcript_dir
        && let Err(e) = crate::report::write_transcripts(dir, suites)
    {
        write_failed("transcripts in", dir, e);
    }
    ok
}

fn cmd_run(args: RunArgs) -> anyhow::Result<Exit> {
    let load_opts = load_options(&args.vars)?;
    let selection = args.select.selection()?;
    let mut options = run_options(&args)?;
    let serve_users = parse_users(&args.serve_user, "--serve-user")?;
    let plans = match load(&args.paths, &load_opts) {
        Ok(p) => selection.apply(p),
        Err(exit) => return Ok(exit),
    };
    if plans.is_empty() {
        if selection.partition.is_some() {
            // an empty shard is normal when there are more shards than scenarios
            eprintln!("note: no scenario falls into this partition");
        } else {
            eprintln!("error: no scenario matches the selection (--tag / --skip-tag / --filter)");
            return Ok(Exit::Usage);
        }
    }
    let schedule = Schedule {
        jobs: usize::from(args.jobs),
        fail_fast: args.fail_fast,
        repeat: usize::from(args.repeat),
    };
    let total: usize = plans.iter().map(|p| p.scenarios.len()).sum::<usize>() * schedule.repeat;
    let rt = run_runtime(schedule.jobs)?;
    rt.block_on(async move {
        let served = if args.serve {
            let (server, ca) = start_serve(serve_users).await?;
            options.target = Some(TargetOverride {
                host: server.smtp_addr().ip().to_string(),
                port: Some(server.smtp_addr().port()),
                tls_port: server.smtps_addr().map(|a| a.port()),
            });
            options.ca_files.push(ca.path().to_path_buf());
            Some((server, ca))
        } else {
            None
        };
        let (verbose, quiet) = (args.verbose, args.quiet);
        let progress = !quiet && total > 1 && std::io::stderr().is_terminal();
        let mut done = 0usize;
        let suites = run_plans(
            Arc::new(plans),
            Arc::new(options),
            schedule,
            &mut |plan, result| {
                done += 1;
                if progress {
                    let _ = write!(std::io::stderr(), "\r\x1b[K");
                }
                if !quiet || result.failed() {
                    let mut out = anstream::stdout();
                    let _ = write!(
                        out,
                        "{}",
                        crate::report::render_scenario(plan, result, verbose, true)
                    );
                    let _ = out.flush();
                }
                if progress && done < total {
                    let _ = write!(std::io::stderr(), "[{done}/{total}] running...");
                    let _ = std::io::stderr().flush();
                }
            },
        )
        .await;
        if let Some((server, _ca)) = served {
            server.shutdown().await;
        }
        let any_failed = suites
            .iter()
            .any(|s| s.scenarios.iter().any(|r| r.failed()));
        let written = write_reports(&args, &suites);
        let exit = if any_failed || !written {
            Exit::Failed
        } else {
            Exit::Passed
        };
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            say(&crate::report::render_github_annotations(&suites));
        }
        say(&format!("{}\n", crate::report::render_summary(&suites)));
        Ok(exit)
    })
}

/// A file holding the built-in server's CA, removed when dropped.
struct TempCa(PathBuf);

impl TempCa {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn start_serve(
    users: Vec<(String, String)>,
) -> anyhow::Result<(crate::server::RunningServer, TempCa)> {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = crate::server::ServerConfig {
        listen: loopback,
        tls_listen: Some(loopback),
        users,
        ..crate::server::ServerConfig::default()
    };
    let server = crate::server::start(config)
        .await
        .context("could not start the built-in server")?;
    let path = std::env::temp_dir().join(format!("smtp-plan-serve-ca-{}.pem", std::process::id()));
    std::fs::write(&path, server.ca_pem())
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok((server, TempCa(path)))
}

fn cmd_serve(args: ServeArgs) -> anyhow::Result<Exit> {
    let users = parse_users(&args.users, "--user")?;
    let config = crate::server::ServerConfig {
        listen: args.listen,
        tls_listen: args.tls_listen,
        hostname: args.hostname,
        users,
        require_auth: !args.allow_anonymous,
        maildir: args.maildir,
        reply_delay: args.reply_delay.unwrap_or_default(),
        ..crate::server::ServerConfig::default()
    };
    let rt = runtime()?;
    rt.block_on(async move {
        let server = crate::server::start(config)
            .await
            .context("could not start the server")?;
        if let Some(path) = &args.write_ca {
            std::fs::write(path, server.ca_pem())
                .with_context(|| format!("could not write {}", path.display()))?;
        }
        say(&format!(
            "smtp-plan serve: SMTP with STARTTLS on {}\n",
            server.smtp_addr()
        ));
        if let Some(a) = server.smtps_addr() {
            say(&format!("smtp-plan serve: implicit TLS on {a}\n"));
        }
        if let Some(path) = &args.write_ca {
            say(&format!(
                "smtp-plan serve: CA certificate written to {}\n",
                path.display()
            ));
        }
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        server.shutdown().await;
        Ok(Exit::Passed)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = parse_target("127.0.0.1:2525").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", Some(2525)));
        let t = parse_target("[::1]:25").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(25)));
        let t = parse_target("::1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", None));
        let t = parse_target("mail.example").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("mail.example", None));
        assert!(parse_target("host:0").is_err());
        assert!(parse_target("host:x").is_err());
        assert!(parse_target(":25").is_err());
    }

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
            parse_duration_arg("50"),
            Err("expected a duration like 50ms or 2s, got \"50\"".to_owned())
        );
        assert_eq!(
            parse_duration_arg("999999999999999999m"),
            Err("\"999999999999999999m\" is too long".to_owned())
        );
    }
}
