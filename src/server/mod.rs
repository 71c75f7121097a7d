//! `smtp-plan serve`: the built-in reference SMTP server (Exchange-like replies).
//!
//! Loopback only. A fresh CA and server certificate are generated at every start
//! ([`RunningServer::ca_pem`]); STARTTLS on the plain port, implicit TLS on `tls_listen`.
//! Accepted messages go to a maildir or nowhere (see `maildir.rs` for the file format).

pub mod cert;
mod config;
mod connection;
mod listener;
mod maildir;
mod sasl;
mod session;
mod shared;

pub use config::{ServerConfig, ServerError};
pub use listener::{RunningServer, start};

#[cfg(test)]
mod tests;
