//! `smtp-plan schema`: the JSON Schema of the plan format.

use anyhow::Context as _;

use super::process::say;
use super::{Exit, Outcome};

pub fn cmd_schema() -> Outcome {
    let schema = crate::scenario::plan_schema().map_err(anyhow::Error::msg)?;
    let text = serde_json::to_string_pretty(&schema).context("could not write the schema")?;
    say(&format!("{text}\n"));
    Ok(Exit::Passed)
}
