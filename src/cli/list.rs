//! `smtp-plan list`: suites, scenarios and tags after the selection; no network.

use std::path::PathBuf;

use clap::Args;

use super::options::{SelectArgs, VarArgs, load};
use super::process::say;
use super::{Exit, Outcome};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Plan files, or directories searched for *.yaml / *.yml.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub select: SelectArgs,
}

pub fn cmd_list(args: &ListArgs) -> Outcome {
    let selection = args.select.selection()?;
    let plans = selection.apply(load(&args.paths, &args.vars.load_options()?)?);
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
