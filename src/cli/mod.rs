//! The command line: clap options -> a checked configuration -> run. One file per command;
//! `main` only calls [`main_entry`], the one place that prints a command's errors.

mod check;
mod doc;
mod exit;
mod list;
mod options;
mod probe;
mod run;
mod schema;
mod serve;

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

pub use check::CheckArgs;
pub use doc::DocArgs;
pub use exit::{Exit, Outcome, Problem};
pub use list::ListArgs;
pub use options::{SecretArgs, SelectArgs, VarArgs};
pub use probe::{ProbeArgs, TlsArg};
pub use run::{Console, RunArgs, RunConfig};
pub use serve::ServeArgs;

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
    Check(CheckArgs),
    /// Print the JSON Schema of the plan format (schemas/smtp-plan.schema.json).
    Schema,
    /// Run the built-in reference SMTP server on loopback (Exchange-like replies).
    Serve(ServeArgs),
    /// List suites, scenarios and tags (after --tag / --filter / --partition); no network.
    List(ListArgs),
    /// Talk to a server and write a plan that asserts what it does today.
    Probe(ProbeArgs),
    /// Render plans as a Markdown page a mail admin can read.
    Doc(DocArgs),
}

/// Parse the command line, run, print the problem if any, and map to an exit status.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Cmd::Check(args) => check::cmd_check(&args),
        Cmd::Schema => schema::cmd_schema(),
        Cmd::Run(args) => run::cmd_run(args),
        Cmd::Serve(args) => serve::cmd_serve(args),
        Cmd::List(args) => list::cmd_list(&args),
        Cmd::Probe(args) => probe::cmd_probe(args),
        Cmd::Doc(args) => doc::cmd_doc(&args),
    };
    match outcome {
        Ok(exit) => exit.into(),
        Err(problem) => {
            let mut err = anstream::stderr();
            let _ = write!(err, "{}", problem.render(true));
            let _ = err.flush();
            problem.exit().into()
        }
    }
}

/// Print to stdout; a closed pipe (`smtp-plan run ... | head`) is not an error worth a panic.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}
