//! Command-line options -> a validated configuration -> run. `main` only calls [`main_entry`].

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};

use crate::runner::{RunOptions, TargetOverride, run_plans};
use crate::scenario::{LoadOptions, Plan, load_plans};

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
        /// Set a variable (repeatable; beats `vars:` in files).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// Read variables from a YAML mapping (repeatable; beats `vars:`, loses to --var).
        #[arg(long = "vars-file", value_name = "FILE")]
        vars_files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the plan format (schemas/smtp-plan.schema.json).
    Schema,
    /// Run the built-in reference SMTP server on loopback (Exchange-like replies).
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Plan files, or directories searched for *.yaml / *.yml.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Set a variable (repeatable; beats `vars:` in files).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a YAML mapping (repeatable; beats `vars:`, loses to --var).
    #[arg(long = "vars-file", value_name = "FILE")]
    pub vars_files: Vec<PathBuf>,
    /// Connect every scenario here instead of its target.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub target: Option<String>,
    /// Trust this CA (PEM) in addition to the system roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify server certificates.
    #[arg(long)]
    pub insecure: bool,
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
}

/// Parse the command line, run, print the one error if any, and map to an exit status.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Check {
            paths,
            vars,
            vars_files,
        } => cmd_check(&paths, &vars, vars_files),
        Cmd::Schema => cmd_schema(),
        Cmd::Run(args) => cmd_run(args),
        Cmd::Serve(args) => cmd_serve(args),
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

fn load(
    paths: &[PathBuf],
    vars: BTreeMap<String, String>,
    vars_files: Vec<PathBuf>,
) -> Result<Vec<Plan>, Exit> {
    match load_plans(paths, &LoadOptions { vars, vars_files }) {
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
    println!("{text}");
    Ok(Exit::Passed)
}

fn cmd_check(paths: &[PathBuf], vars: &[String], vars_files: Vec<PathBuf>) -> anyhow::Result<Exit> {
    let plans = match load(paths, parse_vars(vars)?, vars_files) {
        Ok(p) => p,
        Err(exit) => return Ok(exit),
    };
    let scenarios: usize = plans.iter().map(|p| p.scenarios.len()).sum();
    println!("ok: {} plan file(s), {scenarios} scenario(s)", plans.len());
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
fn parse_target(text: &str) -> anyhow::Result<TargetOverride> {
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

fn cmd_run(args: RunArgs) -> anyhow::Result<Exit> {
    let vars = parse_vars(&args.vars)?;
    let mut options = RunOptions {
        target: args.target.as_deref().map(parse_target).transpose()?,
        ca_file: args.ca_file.clone(),
        insecure: args.insecure,
        ..RunOptions::default()
    };
    if let Some(ca) = &args.ca_file
        && !ca.is_file()
    {
        bail!("--ca-file {}: no such file", ca.display());
    }
    let serve_users = parse_users(&args.serve_user, "--serve-user")?;
    let plans = match load(&args.paths, vars, args.vars_files.clone()) {
        Ok(p) => p,
        Err(exit) => return Ok(exit),
    };
    let rt = runtime()?;
    rt.block_on(async move {
        let served = if args.serve {
            let (server, ca) = start_serve(serve_users).await?;
            options.target = Some(TargetOverride {
                host: server.smtp_addr().ip().to_string(),
                port: Some(server.smtp_addr().port()),
                tls_port: server.smtps_addr().map(|a| a.port()),
            });
            options.ca_file = Some(ca.path().to_path_buf());
            Some((server, ca))
        } else {
            None
        };
        let verbose = args.verbose;
        let suites = run_plans(&plans, &options, &mut |plan, result| {
            let mut out = anstream::stdout();
            let _ = write!(
                out,
                "{}",
                crate::report::render_scenario(plan, result, verbose, true)
            );
            let _ = out.flush();
        })
        .await;
        if let Some((server, _ca)) = served {
            server.shutdown().await;
        }
        let summary = crate::report::render_summary(&suites);
        let any_failed = suites
            .iter()
            .any(|s| s.scenarios.iter().any(|r| r.failed()));
        let mut exit = if !any_failed {
            Exit::Passed
        } else {
            Exit::Failed
        };
        if let Some(path) = &args.junit
            && let Err(e) = crate::report::write_junit(path, &suites)
        {
            eprintln!(
                "error: could not write the JUnit report {}: {e}",
                path.display()
            );
            exit = Exit::Failed;
        }
        println!("{summary}");
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
        println!(
            "smtp-plan serve: SMTP with STARTTLS on {}",
            server.smtp_addr()
        );
        if let Some(a) = server.smtps_addr() {
            println!("smtp-plan serve: implicit TLS on {a}");
        }
        if let Some(path) = &args.write_ca {
            println!(
                "smtp-plan serve: CA certificate written to {}",
                path.display()
            );
        }
        let _ = std::io::stdout().flush();
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
}
