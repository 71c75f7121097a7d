//! What a plan IS: plain data, built by the loader ([`crate::scenario`]) from YAML and read
//! by the runner, the reports and `doc`. No I/O, no YAML types.

mod debug;
mod expect;
mod mailbox;
mod plan;
mod span;
mod step;
mod target;

pub use crate::protocol::TlsVersion;
pub use expect::*;
pub use mailbox::*;
pub use plan::*;
pub use span::*;
pub use step::*;
pub use target::*;
