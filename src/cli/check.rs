//! `smtp-plan check`: load and validate plans only; no network.

use std::path::PathBuf;

use clap::Args;

use super::options::{VarArgs, load};
use super::process::say;
use super::{Exit, Outcome};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Plan files, or directories searched for *.yaml / *.yml.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
}

pub fn cmd_check(args: &CheckArgs) -> Outcome {
    let plans = load(&args.paths, &args.vars.load_options()?)?;
    let scenarios: usize = plans.iter().map(|p| p.scenarios.len()).sum();
    say(&format!(
        "ok: {} plan file(s), {scenarios} scenario(s)\n",
        plans.len()
    ));
    Ok(Exit::Passed)
}
