//! TCP and TLS streams, STARTTLS upgrade, bounded reads with timeouts.
//! Knows SMTP only as far as reading a reply; nothing of plans or reports.

mod cert;
mod connection;
pub(crate) mod date;
mod error;
mod io;
pub(crate) mod lines;
pub(crate) mod socket;
pub(crate) mod stream;
mod tls;
mod tls_config;
mod tls_failure;
mod verify;

pub use cert::{CertInfo, TlsInfo, fingerprint, normalize_pin};
pub use connection::CloseSeen;
pub use connection::{ConnectOptions, Connection};
pub use error::{ConnectFailure, TransportError};
pub(crate) use tls::{NO_NAME, handshake};
pub use tls_config::{ClientCert, TlsParams, parse_pem_certificates, parse_pem_private_key};
pub(crate) use tls_config::{checked_ca_file, remember_ca_file};
pub use tls_failure::TlsFailure;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod unsolicited_tests;
