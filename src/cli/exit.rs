//! How a command ends: an [`Exit`] status, or a [`Problem`] that `main` prints (the one place
//! that writes errors to stderr) before it exits with the problem's status.

use std::process::ExitCode;

use crate::scenario::Diagnostics;

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

/// Why a command did not end well, for `main` to print.
#[derive(Debug)]
pub enum Problem {
    /// The plans did not load (exit 2): their diagnostics, rustc style.
    Plan(Diagnostics),
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
            Self::Plan(_) => Exit::Usage,
            Self::Errors { exit, .. } => *exit,
        }
    }

    /// The text printed on stderr.
    pub fn render(&self, color: bool) -> String {
        match self {
            Self::Plan(diags) => diags.render(color),
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
        Self::Plan(d)
    }
}

/// What every command returns.
pub type Outcome = Result<Exit, Problem>;
