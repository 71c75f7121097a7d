use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Diagnostics, Plan};

/// What the command line adds to loading.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--var NAME=VALUE`, in order; they beat `vars:` in files.
    pub vars: BTreeMap<String, String>,
}

/// Load every plan under `paths` (files, or directories searched recursively for *.yaml and
/// *.yml, sorted). All problems of all files are collected; no plan is returned if any exists.
pub fn load_plans(paths: &[PathBuf], options: &LoadOptions) -> Result<Vec<Plan>, Diagnostics> {
    let _ = (paths, options);
    todo!("loader helper")
}
