//! `smtp-plan completions SHELL` and `smtp-plan man`: generated from the clap definitions, so
//! they follow every option as it is added. The caller hands in the command line's
//! definition (`Cli::command()`).

use clap::Args;

use super::process::say_bytes;
use super::{Exit, Outcome};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Completions for `shell` on stdout (`smtp-plan completions bash > /etc/bash_completion.d/smtp-plan`).
pub fn cmd_completions(args: &CompletionsArgs, mut cmd: clap::Command) -> Outcome {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "smtp-plan", &mut out);
    say_bytes(&out);
    Ok(Exit::Passed)
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's own page (`smtp-plan man run > smtp-plan-run.1`); default: the main page.
    pub command: Option<String>,
}

/// The man page (roff) on stdout: `smtp-plan man > smtp-plan.1`.
pub fn cmd_man(args: &ManArgs, top: clap::Command) -> Outcome {
    let page = match &args.command {
        None => top,
        Some(name) => {
            let Some(sub) = top.find_subcommand(name) else {
                let names: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
                return Err(anyhow::anyhow!(
                    "man {name:?}: no such command (one of: {})",
                    names.join(", ")
                )
                .into());
            };
            sub.clone().name(format!("smtp-plan-{name}"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| anyhow::anyhow!("could not render the man page: {e}"))?;
    say_bytes(&out);
    Ok(Exit::Passed)
}
