//! Loading: YAML with positions -> the plan [`crate::model`]; templates, includes, checks and
//! diagnostics.

mod bdat;
mod context;
mod diagnostic;
mod envelope;
mod expect;
mod fails;
mod fast_yaml;
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
mod partial_target;
mod pattern;
mod pipeline;
mod proxy;
mod resolver;
mod reuse;
#[cfg(test)]
mod reuse_tests;
mod scenario_secrets;
mod scenarios;
mod schema;
mod secret_vars;
mod socket;
mod step;
mod step_options;
mod stream;
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
    /// million YAML nodes: a scenario (its target shared), a step and a node stay small
    /// (benches/compare.sh measures loading).
    #[test]
    fn steps_and_nodes_stay_small() {
        let sizes = (
            size_of::<crate::model::Step>(),
            size_of::<super::node::Node>(),
            size_of::<super::node::Key>(),
            size_of::<crate::model::Scenario>(),
        );
        assert!(
            sizes.0 <= 160 && sizes.1 <= 48 && sizes.2 <= 40 && sizes.3 <= 144,
            "{sizes:?}"
        );
    }

    /// A `ca_file` is read and checked at load; the handshakes that trust it use what was
    /// read then, and every scenario without a `target:` of its own shares the plan's.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_ca_file_is_read_once_and_a_target_shared() {
        let dir = tempfile::tempdir().unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["ca.test".to_owned()]).unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, cert.cert.pem()).unwrap();
        let plan = dir.path().join("p.yaml");
        let text = "target: {host: 127.0.0.1, ca_file: ca.pem}\nscenarios:\n  - {name: a, steps: [quit]}\n  - {name: b, steps: [quit]}\n  - {name: c, target: {port: 2525}, steps: [quit]}\n";
        let loaded = super::load_plan_str(&plan, text, &super::LoadOptions::default()).unwrap();
        let read = crate::transport::checked_ca_file(&dir.path().join("ca.pem")).unwrap();
        assert_eq!(read, vec![cert.cert.der().clone()]);
        let [a, b, c] = &loaded.scenarios[..] else {
            panic!("{:?}", loaded.scenarios)
        };
        assert!(std::sync::Arc::ptr_eq(&a.target, &b.target));
        assert!(!std::sync::Arc::ptr_eq(&a.target, &c.target));
        assert_eq!((a.target.port, c.target.port), (25, 2525));
    }
}
