//! smtp-plan: declarative SMTP conversation tests.
//!
//! Data flows one way: YAML -> [`scenario`] (the loader) -> [`model`] -> [`runner`] ->
//! [`results`] -> [`report`].

pub mod cli;
pub mod doc;
pub mod duration;
pub mod files;
pub mod mailbox;
pub mod model;
pub mod probe;
pub mod protocol;
pub mod redact;
pub mod report;
pub mod results;
pub mod runner;
pub mod scenario;
pub mod secret_input;
pub mod secrets_file;
pub mod server;
pub mod session;
pub mod snippet;
pub mod template;
pub mod transport;
