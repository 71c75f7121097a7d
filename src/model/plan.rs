//! A plan and its scenarios: the top of the model.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use super::span::Span;
use super::step::Step;
use super::target::Target;
use crate::redact::Secret;

/// Variable values by name. `Debug` shows the names only: a value may be a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VarValues(pub BTreeMap<String, String>);

impl std::fmt::Debug for VarValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl std::ops::Deref for VarValues {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for VarValues {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl From<BTreeMap<String, String>> for VarValues {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }
}

impl<'a> IntoIterator for &'a VarValues {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// One loaded plan file = one JUnit test suite. Its `Debug` shows no secret in any form: the
/// variables show their names only, the file text its size, a password or token `***`, and
/// what is left (a secret written literally in a `send:`, a name or a regex) is masked by the
/// plan's own [`Redactor`](crate::redact::Redactor) (see `model::debug`).
#[derive(Clone)]
pub struct Plan {
    /// The path as the user gave it (or as found under a directory they gave).
    pub path: PathBuf,
    /// The whole file text, for diagnostics.
    pub source: Arc<str>,
    /// `name:` or the file stem.
    pub name: String,
    /// Resolved plan variables: `vars:` with `${env:..}` and `${var}` references
    /// substituted, then overridden by `--var`.
    pub vars: VarValues,
    /// Every secret value known at load: of the variables named in `secrets:`, `--secret`
    /// and `--secrets-file`, of every variable an `auth` step takes its password or token
    /// from, of every variable made from one of those, and every password and token an `auth`
    /// step has before it runs. Empty values are left out. Redacted in every output.
    pub secret_values: Vec<Secret>,
    /// Masks `secret_values` in every form; built once at load (a 200 KB secret makes it
    /// costly), copied into each scenario's transcript.
    pub redactor: Arc<crate::redact::Redactor>,
    /// The names whose values are secret, captures included: a value captured under one of
    /// these names is masked from its capture on.
    pub secret_names: BTreeSet<String>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub tags: Vec<String>,
    /// The plan's `target:` merged with the scenario's own `target:` (scenario keys win); one
    /// value shared by every scenario without a `target:` of its own.
    pub target: Arc<Target>,
    pub steps: Vec<Step>,
    /// The scenario's own `vars:`, resolved; they override the plan's variables (extension).
    pub vars: VarValues,
    /// `skip: REASON`: reported as skipped (never as passed), not run.
    pub skip: Option<String>,
    /// The names the scenario's own `secrets:` lists (None: it has none). Their values are in
    /// the plan's secrets already; a value captured under one is secret from its capture on.
    pub secret_names: Option<Box<std::collections::BTreeSet<String>>>,
    /// Where `- name:` of this scenario starts.
    pub span: Span,
}
