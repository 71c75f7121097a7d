//! TCP and TLS streams, STARTTLS upgrade, bounded reads with timeouts.
//! Knows SMTP only as far as reading a reply; nothing of plans or reports.

mod connection;
pub(crate) mod date;
mod error;
pub(crate) mod lines;
pub(crate) mod stream;
mod tls;

pub use connection::{ConnectOptions, Connection};
pub use error::{TransportError, human as human_duration};
pub use tls::{CertInfo, ClientCert, TlsInfo, TlsParams, TlsVersion};

#[cfg(test)]
mod tests;
