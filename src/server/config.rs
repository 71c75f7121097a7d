use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How `smtp-plan serve` runs. Only loopback addresses may be bound.
#[derive(Clone)]
pub struct ServerConfig {
    /// Plain SMTP with STARTTLS; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Implicit TLS (submissions-style), if wanted.
    pub tls_listen: Option<SocketAddr>,
    /// The name in the greeting, EHLO, queue ids and the certificate. Default `localhost`.
    pub hostname: String,
    /// Accounts for AUTH PLAIN / LOGIN: (username, password).
    pub users: Vec<(String, String)>,
    /// Refuse MAIL FROM before AUTH (Exchange's 530 5.7.57). Default true.
    pub require_auth: bool,
    /// Where accepted messages go (see `server::maildir`); `None` discards them.
    pub maildir: Option<PathBuf>,
    /// The SIZE limit, advertised and enforced. Default 36 MiB, as Exchange.
    pub max_message_bytes: usize,
    /// Idle time allowed per command (and per DATA line). Default 5 minutes.
    pub timeout: Duration,
    /// Wait this long before every reply, to behave like a server across a WAN (or a
    /// tarpitting one). Default zero.
    pub reply_delay: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls_listen: None,
            hostname: "localhost".to_owned(),
            users: Vec::new(),
            require_auth: true,
            maildir: None,
            max_message_bytes: 37_748_736,
            timeout: Duration::from_secs(300),
            reply_delay: Duration::ZERO,
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<String> = self.users.iter().map(|(u, _)| format!("{u}:***")).collect();
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("tls_listen", &self.tls_listen)
            .field("hostname", &self.hostname)
            .field("users", &users)
            .field("require_auth", &self.require_auth)
            .field("maildir", &self.maildir)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("timeout", &self.timeout)
            .field("reply_delay", &self.reply_delay)
            .finish()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "refusing to listen on {addr}: the built-in server only binds loopback addresses (127.0.0.0/8, ::1)"
    )]
    NotLoopback { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "invalid hostname {0:?}: use letters, digits, '-', '.' (or an IP address), at most 253 characters"
    )]
    Hostname(String),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("cannot use maildir {}: {source}", .path.display())]
    Maildir {
        path: PathBuf,
        source: std::io::Error,
    },
}
