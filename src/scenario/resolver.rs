//! Reading target-like values with `${var}` resolved against the plan's variables; the
//! values themselves are read in target.rs, proxy.rs and socket.rs.

use std::collections::{BTreeMap, BTreeSet};

use super::context::{Cx, VarScope};
use super::node::Node;

/// Reads target-like values, resolving `${var}` against the plan's variables.
pub(crate) struct Resolver<'v> {
    pub vars: &'v BTreeMap<String, String>,
    pub names: BTreeSet<String>,
}

impl<'v> Resolver<'v> {
    pub fn new(vars: &'v BTreeMap<String, String>) -> Self {
        Self {
            vars,
            names: vars.keys().cloned().collect(),
        }
    }

    /// A scalar with its variables substituted.
    pub fn text(&self, cx: &mut Cx<'_>, node: &Node, what: &str) -> Option<String> {
        let later = BTreeSet::new();
        let scope = VarScope {
            known: &self.names,
            later: &later,
            captures: false,
        };
        let template = cx.template_in(node, what, &scope)?;
        template.render(self.vars).ok()
    }
}
