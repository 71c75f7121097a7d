//! `smtp-plan doc`: plans rendered as a Markdown page (see [`crate::doc`]).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::options::VarArgs;
use super::{Exit, Outcome};
use crate::doc::{load_for_doc, render_markdown};

#[derive(Debug, Args)]
pub struct DocArgs {
    /// Plan files, or directories searched for *.yaml / *.yml.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write the page here instead of to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Variables as for `run` (`--var`, `--vars-file`, `--secret`, `--secrets-file`); secret
    /// values are never shown.
    #[command(flatten)]
    pub vars: VarArgs,
}

pub fn cmd_doc(args: &DocArgs) -> Outcome {
    let plans = load_for_doc(&args.paths, args.vars.load_options()?)?;
    let shown: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
    let page = render_markdown(&plans, &format!("smtp-plan doc {}", shown.join(" ")));
    match &args.output {
        Some(path) => std::fs::write(path, &page)
            .with_context(|| format!("could not write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout();
            out.write_all(page.as_bytes())
                .and_then(|()| out.flush())
                .context("could not write to stdout")?;
        }
    }
    Ok(Exit::Passed)
}
