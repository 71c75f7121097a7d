use std::time::Duration;

use super::{TlsInfo, TlsParams, TransportError};
use crate::protocol::{Limits, Reply};

/// One SMTP connection, plain or TLS, with a read buffer. Every read has a timeout and the
/// size bounds of `Limits`.
pub struct Connection {}

impl Connection {
    /// TCP connect (host name, IPv4 or IPv6 literal) within `timeout`; with `tls: Some`, the
    /// TLS handshake follows at once (implicit TLS).
    pub async fn connect(
        host: &str,
        port: u16,
        timeout: Duration,
        tls: Option<&TlsParams>,
        limits: Limits,
    ) -> Result<(Self, Option<TlsInfo>), TransportError> {
        let _ = (host, port, timeout, tls, limits);
        todo!()
    }

    /// Write all of `bytes` within `timeout`.
    pub async fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), TransportError> {
        let _ = (bytes, timeout);
        todo!()
    }

    /// Read one complete reply (multi-line aware) within `timeout` for the whole reply.
    pub async fn read_reply(&mut self, timeout: Duration) -> Result<Reply, TransportError> {
        let _ = timeout;
        todo!()
    }

    /// Upgrade to TLS after a 220 to STARTTLS. Fails if the server already sent more bytes.
    pub async fn start_tls(
        &mut self,
        params: &TlsParams,
        timeout: Duration,
    ) -> Result<TlsInfo, TransportError> {
        let _ = (params, timeout);
        todo!()
    }

    /// Wait for the server to close. `Ok(None)` on EOF (or reset); `Ok(Some(line))` if it
    /// sent a line instead; `Err(Timeout)` if it stayed open and silent.
    pub async fn wait_close(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<String>, TransportError> {
        let _ = timeout;
        todo!()
    }

    pub fn is_tls(&self) -> bool {
        todo!()
    }
}
