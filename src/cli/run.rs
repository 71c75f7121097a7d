//! `smtp-plan run`: options -> [`RunConfig`] (checked once) -> run -> reports.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::options::{SelectArgs, VarArgs, load, parse_tls_version, parse_users};
use super::process::{run_runtime, say};
use super::{Exit, Outcome, Problem};
use crate::protocol::TlsVersion;
use crate::report::{JunitOptions, NagiosStatus, ReportConfig};
use crate::runner::{RunOptions, Schedule, Selection, TargetOverride, run_plans};
use crate::scenario::LoadOptions;
use crate::transport::ClientCert;

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
    /// Connect from this local IP address where a plan names no `bind`.
    #[arg(long, value_name = "IP")]
    pub bind: Option<std::net::IpAddr>,
    /// Print each conversation (secrets redacted).
    #[arg(short, long)]
    pub verbose: bool,
    /// Start the built-in server on 127.0.0.1 for this run and point every scenario at it
    /// (its generated CA is trusted).
    #[arg(long, conflicts_with = "target")]
    pub serve: bool,
    /// A login the built-in server of --serve accepts (repeatable; `ps` shows it: prefer
    /// --serve-users-file).
    #[arg(long, value_name = "USER:PASSWORD", requires = "serve", value_parser = crate::secret_input::secret_arg)]
    pub serve_user: Vec<crate::redact::Secret>,
    /// Logins for --serve from a file of `USER:PASSWORD` lines (`-` reads standard input).
    #[arg(long, value_name = "FILE", requires = "serve")]
    pub serve_users_file: Option<PathBuf>,
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
    /// JUnit: valid against the plain junit-10.xsd (no `file` / `line` attributes, no
    /// `testsuites@skipped`), for consumers that validate.
    #[arg(long, requires = "junit")]
    pub junit_strict: bool,
    /// Write a JSON report with every step, request, reply, timing and capture (redacted).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write one redacted transcript per scenario under DIR/<suite>/<scenario>.txt.
    #[arg(long, value_name = "DIR")]
    pub transcript_dir: Option<PathBuf>,
    /// Write a self-contained HTML report, DIR/index.html (index, filter, transcripts,
    /// latency timeline, TLS facts; redacted).
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
    /// Print only failures and the summary line.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Write OpenMetrics text (per scenario: up, duration, certificate days left) here,
    /// atomically: point it into node_exporter's textfile directory as NAME.prom.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Be a Nagios plugin: print one status line (and a line per failure) and exit 0 OK,
    /// 1 WARNING (a certificate expires soon), 2 CRITICAL (a scenario failed), 3 UNKNOWN.
    #[arg(long, conflicts_with_all = ["verbose", "quiet"])]
    pub nagios: bool,
    /// With --nagios: WARNING when a certificate has fewer days left than this.
    #[arg(long, value_name = "DAYS", default_value_t = 14, requires = "nagios")]
    pub nagios_cert_warn: i64,
}

/// What `run` prints.
#[derive(Debug, Clone, Copy, Default)]
pub struct Console {
    pub verbose: bool,
    pub quiet: bool,
    /// `--nagios`: only the plugin output, with a WARNING below this many certificate days.
    pub nagios: Option<i64>,
}

/// `run`'s command line, checked: everything the run needs and nothing it must parse again.
#[derive(Debug)]
pub struct RunConfig {
    pub paths: Vec<PathBuf>,
    pub load: LoadOptions,
    pub selection: Selection,
    pub options: RunOptions,
    /// `--serve`: the logins of the built-in server this run starts.
    pub serve: Option<Vec<(String, String)>>,
    pub schedule: Schedule,
    pub console: Console,
    pub reports: ReportConfig,
}

impl RunConfig {
    pub fn from_args(args: RunArgs) -> anyhow::Result<Self> {
        let load = args.vars.load_options()?;
        let selection = args.select.selection()?;
        let options = run_options(&args)?;
        let serve_users = parse_users(
            &args.serve_user,
            args.serve_users_file.as_deref(),
            "--serve-user",
            "--serve-users-file",
        )?;
        Ok(Self {
            paths: args.paths,
            load,
            selection,
            options,
            serve: args.serve.then_some(serve_users),
            schedule: Schedule {
                jobs: usize::from(args.jobs),
                fail_fast: args.fail_fast,
                repeat: usize::from(args.repeat),
            },
            console: Console {
                verbose: args.verbose,
                quiet: args.quiet,
                nagios: args.nagios.then_some(args.nagios_cert_warn),
            },
            reports: ReportConfig {
                junit: args.junit,
                junit_options: JunitOptions {
                    per_step: args.junit_steps,
                    strict: args.junit_strict,
                },
                json: args.json,
                transcript_dir: args.transcript_dir,
                metrics: args.metrics,
                html: args.html,
            },
        })
    }
}

/// The connection flags of `run`, checked: `--target`, `--ca-file`, `--insecure`,
/// `--client-cert` / `--client-key`, `--tls-min-version`.
fn run_options(args: &RunArgs) -> anyhow::Result<RunOptions> {
    let target = args
        .target
        .as_deref()
        .map(TargetOverride::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--target {e}"))?;
    if target.as_ref().is_some_and(|t| t.socket.is_some()) && args.bind.is_some() {
        anyhow::bail!(
            "--bind cannot go with --target unix:...: a Unix socket connection has no local IP address"
        );
    }
    let options = RunOptions {
        target,
        ca_files: args.ca_file.iter().cloned().collect(),
        insecure: args.insecure,
        client_cert: args
            .client_cert
            .clone()
            .zip(args.client_key.clone())
            .map(|(cert, key)| ClientCert { cert, key }),
        min_version: args.tls_min_version,
        bind: args.bind,
        ..RunOptions::default()
    };
    // Read and parse now, like the files a plan names: a wrong one stops the run before it
    // connects anywhere.
    let pem = |flag: &str, path: &std::path::Path, key: bool| -> anyhow::Result<()> {
        let bytes = crate::files::read_file(path, crate::files::MAX_PEM_BYTES)
            .map_err(|e| anyhow::anyhow!("{flag} {} {e}", path.display()))?;
        let parsed = if key {
            crate::transport::parse_pem_private_key(&bytes).map(drop)
        } else {
            crate::transport::parse_pem_certificates(&bytes).map(drop)
        };
        parsed.map_err(|e| anyhow::anyhow!("{flag} {} is not usable: {e}", path.display()))
    };
    for (flag, path, key) in [
        ("--ca-file", &args.ca_file, false),
        ("--client-cert", &args.client_cert, false),
        ("--client-key", &args.client_key, true),
    ] {
        if let Some(p) = path {
            pem(flag, p, key)?;
        }
    }
    Ok(options)
}

pub fn cmd_run(args: RunArgs) -> Outcome {
    let nagios = args.nagios;
    let outcome = RunConfig::from_args(args)
        .map_err(Problem::from)
        .and_then(run);
    match outcome {
        // A Nagios plugin says UNKNOWN (3) when it could not check anything, never 2.
        Err(problem) if nagios => {
            say(&crate::report::render_nagios_unknown(&problem.summary()));
            Ok(Exit::Nagios(NagiosStatus::Unknown))
        }
        other => other,
    }
}

fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The plans did not load (exit 2): CI still gets a JUnit report and an annotation per
/// problem, so a broken plan does not read as "no test results".
fn plan_error(
    reports: &ReportConfig,
    console: Console,
    diags: crate::scenario::Diagnostics,
) -> Problem {
    if in_github_actions() && console.nagios.is_none() {
        say(&crate::report::render_github_load_annotations(&diags));
    }
    let write_errors = reports.write_load_errors(&diags);
    Problem::Plan(diags, write_errors)
}

pub fn run(config: RunConfig) -> Outcome {
    let RunConfig {
        paths,
        load: load_options,
        selection,
        mut options,
        serve,
        schedule,
        console,
        reports,
    } = config;
    let plans = match load(&paths, &load_options) {
        Ok(plans) => selection.apply(plans),
        Err(Problem::Plan(diags, _)) => return Err(plan_error(&reports, console, diags)),
        Err(other) => return Err(other),
    };
    if plans.is_empty() {
        if selection.partition.is_some() {
            // an empty shard is normal when there are more shards than scenarios
            eprintln!("note: no scenario falls into this partition");
        } else {
            return Err(anyhow::anyhow!(
                "no scenario matches the selection (--tag / --skip-tag / --filter)"
            )
            .into());
        }
    }
    let total: usize = plans.iter().map(|p| p.scenarios.len()).sum::<usize>() * schedule.repeat;
    let rt = run_runtime(schedule.jobs)?;
    let suites = rt.block_on(async move {
        let served = match serve {
            Some(users) => {
                let (server, ca) = super::serve::start_for_run(users).await?;
                options.target = Some(TargetOverride {
                    host: server.smtp_addr().ip().to_string(),
                    socket: None,
                    port: Some(server.smtp_addr().port()),
                    tls_port: server.smtps_addr().map(|a| a.port()),
                });
                options.ca_files.push(ca.path().to_path_buf());
                Some((server, ca))
            }
            None => None,
        };
        let Console {
            verbose, nagios, ..
        } = console;
        let quiet = console.quiet || nagios.is_some();
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
                if nagios.is_none() && (!quiet || result.failed()) {
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
        anyhow::Ok(suites)
    })?;
    let any_failed = suites
        .iter()
        .any(|s| s.scenarios.iter().any(|r| r.failed()));
    let write_errors = reports.write(&suites);
    if let Some(warn_days) = console.nagios {
        if !write_errors.is_empty() {
            return Err(Problem::after_run(write_errors));
        }
        let (status, text) = crate::report::render_nagios(&suites, warn_days);
        say(&text);
        return Ok(Exit::Nagios(status));
    }
    if in_github_actions() {
        say(&crate::report::render_github_annotations(&suites));
    }
    say(&format!("{}\n", crate::report::render_summary(&suites)));
    if !write_errors.is_empty() {
        return Err(Problem::after_run(write_errors));
    }
    Ok(if any_failed {
        Exit::Failed
    } else {
        Exit::Passed
    })
}
