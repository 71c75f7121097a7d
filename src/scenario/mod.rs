//! Loading: YAML with positions -> the plan [`crate::model`]; templates, includes, checks and
//! diagnostics.

mod bdat;
mod context;
mod diagnostic;
mod envelope;
mod expect;
mod fails;
mod file_access;
mod files;
mod load;
#[cfg(test)]
mod load_tests;
mod mailbox;
mod mailbox_expect;
mod message;
mod message_file;
mod node;
mod options;
mod pattern;
mod pipeline;
mod proxy;
mod reuse;
#[cfg(test)]
mod reuse_tests;
mod schema;
mod secret_vars;
mod socket;
mod step;
mod step_options;
mod target;
#[cfg(test)]
mod test_loader;
mod tls_expect;
mod vars;
#[cfg(test)]
mod vars_tests;
mod xclient;

pub use bdat::AUTO_CHUNK;
pub use diagnostic::{Diagnostic, Diagnostics};
pub(crate) use load::find_plan_files;
pub use load::{load_plan_str, load_plans, load_plans_with_env};
pub use message_file::{open_message_file, preview_message_file};
pub use options::LoadOptions;
pub use schema::plan_schema;

#[cfg(test)]
mod tests {
    /// A plan may hold 10,000 scenarios of several steps each, and one file a quarter of a
    /// million YAML nodes: a step and a node stay small (benches/compare.sh measures loading).
    #[test]
    fn steps_and_nodes_stay_small() {
        let sizes = (
            size_of::<crate::model::Step>(),
            size_of::<super::node::Node>(),
            size_of::<super::node::Key>(),
        );
        assert!(
            sizes.0 <= 160 && sizes.1 <= 48 && sizes.2 <= 40,
            "{sizes:?}"
        );
    }
}
