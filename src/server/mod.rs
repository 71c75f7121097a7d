//! `smtp-plan serve`: the built-in reference SMTP server (Exchange-like replies).
//! (stub until the server lands)
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub tls_listen: Option<SocketAddr>,
    pub hostname: String,
    pub users: Vec<(String, String)>,
    pub require_auth: bool,
    pub maildir: Option<PathBuf>,
    pub max_message_bytes: usize,
    pub timeout: Duration,
}
impl Default for ServerConfig {
    fn default() -> Self {
        todo!()
    }
}
pub struct RunningServer;
impl RunningServer {
    pub fn smtp_addr(&self) -> SocketAddr {
        todo!()
    }
    pub fn smtps_addr(&self) -> Option<SocketAddr> {
        todo!()
    }
    pub fn ca_pem(&self) -> &str {
        todo!()
    }
    pub async fn shutdown(self) {}
}
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct ServerError;
pub async fn start(_c: ServerConfig) -> Result<RunningServer, ServerError> {
    todo!()
}
