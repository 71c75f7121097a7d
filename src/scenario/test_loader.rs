//! What the loader's unit tests share: a plan text loaded as a file, its problems one line
//! each, a plan of one scenario, and a certificate for the `ca_file`s the loader reads.

use std::path::{Path, PathBuf};

use super::load::load_str;
use super::options::LoadOptions;
use super::{Diagnostic, Diagnostics};
use crate::model::Plan;

/// Loads texts as the file `path`, with `env` as the environment.
pub(super) struct TestLoader {
    pub path: PathBuf,
    /// Problems name their file relative to this directory; `None`: they name no file.
    pub files_under: Option<PathBuf>,
    pub env: fn(&str) -> Option<String>,
}

impl TestLoader {
    pub fn load_with(&self, text: &str, options: &LoadOptions) -> Result<Plan, Vec<Diagnostic>> {
        load_str(&self.path, text, options, &self.env)
    }

    /// The plan, or a panic that shows every problem.
    pub fn load(&self, text: &str) -> Plan {
        match self.load_with(text, &LoadOptions::default()) {
            Ok(plan) => plan,
            Err(d) => panic!("{}", Diagnostics(d).render(false)),
        }
    }

    /// Every problem as `[file:]line:col message | help`.
    pub fn problems_with(&self, text: &str, options: &LoadOptions) -> Vec<String> {
        match self.load_with(text, options) {
            Ok(_) => panic!("expected problems"),
            Err(d) => d.iter().map(|d| self.line(d)).collect(),
        }
    }

    pub fn problems(&self, text: &str) -> Vec<String> {
        self.problems_with(text, &LoadOptions::default())
    }

    fn line(&self, d: &Diagnostic) -> String {
        let file = match &self.files_under {
            Some(dir) => format!("{}:", d.path.strip_prefix(dir).unwrap_or(&d.path).display()),
            None => String::new(),
        };
        let help = d
            .help
            .as_ref()
            .map(|h| format!(" | {h}"))
            .unwrap_or_default();
        format!("{file}{}:{} {}{help}", d.line, d.col, d.message)
    }
}

/// A plan with one scenario `s` (its other keys `extra`, indented by four) whose steps are
/// `steps` (indented as list items); the plan's `${user}` is bob.
pub(super) fn one_scenario(extra: &str, steps: &str) -> String {
    format!("vars:\n  user: bob\nscenarios:\n  - name: s\n{extra}    steps:\n{steps}")
}

/// A self-signed certificate for `load.test` and its key (PEM), for the `ca_file`s,
/// `client_cert`s and `client_key`s the loader reads and checks.
pub(super) fn test_cert_and_key_pem() -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["load.test".to_owned()]).unwrap();
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

/// Write `files` (name, text) under `dir`, making the directories they need.
pub(super) fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}
