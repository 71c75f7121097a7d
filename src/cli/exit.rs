//! How a command ends: an [`Exit`] status, or a [`Problem`] that `main` prints (the one place
//! that writes errors to stderr) before it exits with the problem's status.

use std::process::ExitCode;

use crate::report::NagiosStatus;
use crate::scenario::Diagnostics;

/// Exit status: 0 all passed, 1 a scenario failed or could not run, 2 nothing was run; with
/// `--nagios` the plugin codes instead (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Passed,
    Failed,
    Usage,
    Nagios(NagiosStatus),
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(match e {
            Exit::Passed => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Nagios(status) => status as u8,
        })
    }
}

/// Why a command did not end well, for `main` to print.
#[derive(Debug)]
pub enum Problem {
    /// The plans did not load (exit 2): their diagnostics, rustc style, then any errors met
    /// while reporting them (a JUnit file that could not be written).
    Plan(Diagnostics, Vec<anyhow::Error>),
    /// Errors printed as `error: ...` each, then `help: ...` lines, then exit with `exit`.
    Errors {
        exit: Exit,
        errors: Vec<anyhow::Error>,
        help: Vec<String>,
    },
}

impl Problem {
    /// Exit 1: something ran (a server was talked to) and then this went wrong.
    pub fn after_run(errors: Vec<anyhow::Error>) -> Self {
        Self::Errors {
            exit: Exit::Failed,
            errors,
            help: Vec::new(),
        }
    }

    /// The status `main` exits with.
    pub fn exit(&self) -> Exit {
        match self {
            Self::Plan(..) => Exit::Usage,
            Self::Errors { exit, .. } => *exit,
        }
    }

    /// One line: the first problem (for a Nagios status line).
    pub fn summary(&self) -> String {
        match self {
            Self::Plan(diags, _) => match diags.0.first() {
                Some(d) if d.line > 0 => format!(
                    "plan error: {}:{}:{}: {}",
                    d.path.display(),
                    d.line,
                    d.col,
                    d.message
                ),
                Some(d) => format!("plan error: {}: {}", d.path.display(), d.message),
                None => "plan error".to_owned(),
            },
            Self::Errors { errors, .. } => errors
                .first()
                .map_or_else(|| "error".to_owned(), |e| format!("{e:#}")),
        }
    }

    /// The text printed on stderr.
    pub fn render(&self, color: bool) -> String {
        match self {
            Self::Plan(diags, errors) => {
                let mut out = diags.render(color);
                for e in errors {
                    out.push_str(&format!("error: {e:#}\n"));
                }
                out
            }
            Self::Errors { errors, help, .. } => {
                let mut out = String::new();
                for e in errors {
                    out.push_str(&format!("error: {e:#}\n"));
                }
                for h in help {
                    out.push_str(&format!("help: {h}\n"));
                }
                out
            }
        }
    }
}

/// A usage error (exit 2): nothing was run.
impl From<anyhow::Error> for Problem {
    fn from(e: anyhow::Error) -> Self {
        Self::Errors {
            exit: Exit::Usage,
            errors: vec![e],
            help: Vec::new(),
        }
    }
}

impl From<Diagnostics> for Problem {
    fn from(d: Diagnostics) -> Self {
        Self::Plan(d, Vec::new())
    }
}

/// What every command returns.
pub type Outcome = Result<Exit, Problem>;
