//! TCP and TLS streams, STARTTLS upgrade, bounded reads with timeouts.
//! Knows SMTP only as far as reading a reply; nothing of plans or reports.

mod connection;
pub(crate) mod date;
mod error;
pub(crate) mod lines;
pub(crate) mod stream;
mod tls;

pub use connection::Connection;
pub use error::TransportError;
pub use tls::{
    CertInfo, ClientCert, TlsInfo, TlsParams, TlsVersion, parse_pem_certificates,
    parse_pem_private_key,
};

#[cfg(test)]
mod tests;
