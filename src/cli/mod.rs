//! The command line: clap options -> a checked configuration -> run. One file per command;
//! `main` only calls [`main_entry`], the one place that prints a command's errors.

mod check;
mod doc;
mod exit;
mod list;
mod options;
mod probe;
mod process;
mod run;
mod schema;
mod serve;
mod shell;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand, ValueEnum};

use process::say;

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
    /// When to colour output: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(
        long,
        value_enum,
        global = true,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: Color,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl From<Color> for anstream::ColorChoice {
    fn from(c: Color) -> Self {
        match c {
            Color::Auto => Self::Auto,
            Color::Always => Self::Always,
            Color::Never => Self::Never,
        }
    }
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run plans against their servers and report.
    Run(Box<RunArgs>),
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
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff) to stdout: `smtp-plan man > smtp-plan.1`.
    Man(shell::ManArgs),
}

/// Parse the command line, run, print the problem if any, and map to an exit status.
pub fn main_entry() -> ExitCode {
    // A panic's message may hold data of the plan, a secret too: say where, never what.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        eprintln!(
            "smtp-plan panicked{at}: a bug in smtp-plan, please report it (its message is not \
             shown: it may hold a secret)"
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A Nagios check must say UNKNOWN (3), not clap's usual 2, for a wrong command line.
        Err(e) if e.use_stderr() && std::env::args().any(|a| a == "--nagios") => {
            let first = e.to_string();
            let first = first.lines().next().unwrap_or_default();
            say(&crate::report::render_nagios_unknown(
                first.trim_start_matches("error: "),
            ));
            return Exit::Nagios(crate::report::NagiosStatus::Unknown).into();
        }
        Err(e) => e.exit(),
    };
    anstream::ColorChoice::from(cli.color).write_global();
    let outcome = match cli.command {
        Cmd::Check(args) => check::cmd_check(&args),
        Cmd::Schema => schema::cmd_schema(),
        Cmd::Run(args) => run::cmd_run(*args),
        Cmd::Serve(args) => serve::cmd_serve(args),
        Cmd::List(args) => list::cmd_list(&args),
        Cmd::Probe(args) => probe::cmd_probe(args),
        Cmd::Doc(args) => doc::cmd_doc(&args),
        Cmd::Completions(args) => shell::cmd_completions(&args, Cli::command()),
        Cmd::Man(args) => shell::cmd_man(&args, Cli::command()),
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
