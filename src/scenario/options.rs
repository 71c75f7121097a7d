//! What the command line adds to loading.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::model::VarValues;

/// What the command line adds to loading.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--var NAME=VALUE` (and the values of `--secret` and `--secrets-file`); they beat
    /// `vars:` in files and `--vars-file`. `Debug` shows the names only.
    pub vars: VarValues,
    /// `--vars-file FILE`s (YAML mappings of names to values), in order; a later one wins.
    /// They beat `vars:` in files.
    pub vars_files: Vec<PathBuf>,
    /// Names whose values are secret in every plan (`--secret`, `--secrets-file`), whether or
    /// not a plan lists them in `secrets:`. Their values are in `vars`.
    pub secrets: BTreeSet<String>,
    /// `--file-root DIR`: the files a plan names must lie under it. Without it, the root is
    /// the directory of the plan (or the directory) named on the command line.
    pub file_root: Option<PathBuf>,
    /// Load to describe, not to run (`doc`): the `ca_file`, `client_cert` and `client_key` a
    /// plan names are not read, and an empty secret is no problem.
    pub describe_only: bool,
}
