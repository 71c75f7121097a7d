//! Binding, accepting and stopping: each connection is its own task; a failing or panicking
//! connection never stops the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::maildir::Maildir;
use super::shared::Shared;
use super::{ServerConfig, ServerError, cert, connection, session};

/// Connections served at once per listener; more are turned away with a 421.
const MAX_CONNECTIONS: usize = 256;

/// A started server; dropping it stops accepting too (`shutdown` also waits).
pub struct RunningServer {
    smtp: SocketAddr,
    smtps: Option<SocketAddr>,
    ca_pem: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("smtp", &self.smtp)
            .field("smtps", &self.smtps)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The plain (STARTTLS) listener's actual address.
    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp
    }

    /// The implicit-TLS listener's actual address, if one was asked for.
    pub fn smtps_addr(&self) -> Option<SocketAddr> {
        self.smtps
    }

    /// The PEM of the CA that signed the server certificate (for a client's `ca_file`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Stop accepting, drop every open connection, and wait for the listeners to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

fn check_loopback(addr: SocketAddr) -> Result<(), ServerError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(ServerError::NotLoopback { addr })
    }
}

fn check_hostname(name: &str) -> Result<(), ServerError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'));
    if ok {
        Ok(())
    } else {
        Err(ServerError::Hostname(name.to_owned()))
    }
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ServerError> {
    let bind_err = |source| ServerError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    Ok((listener, local))
}

/// Start the server on the current tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    check_loopback(config.listen)?;
    if let Some(addr) = config.tls_listen {
        check_loopback(addr)?;
    }
    check_hostname(&config.hostname)?;
    let pki = cert::generate(&config.hostname)?;
    let maildir = config.maildir.as_deref().map(Maildir::open).transpose()?;
    let (plain, smtp) = bind(config.listen).await?;
    let tls = match config.tls_listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let shared = Arc::new(Shared::new(config, pki.acceptor, maildir));
    let (stop, stopped) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(accept_loop(
        plain,
        false,
        shared.clone(),
        stopped.clone(),
    ))];
    let smtps = tls.map(|(listener, addr)| {
        tasks.push(tokio::spawn(accept_loop(listener, true, shared, stopped)));
        addr
    });
    Ok(RunningServer {
        smtp,
        smtps,
        ca_pem: pki.ca_pem,
        stop,
        tasks,
    })
}

async fn accept_loop(
    listener: TcpListener,
    implicit_tls: bool,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            // A stop signal, or the RunningServer was dropped.
            _ = stop.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((mut tcp, peer)) => {
                    if conns.len() >= MAX_CONNECTIONS {
                        let busy = session::too_many_connections().to_string();
                        conns.spawn(async move {
                            let write = tcp.write_all(busy.as_bytes());
                            let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
                        });
                    } else {
                        conns.spawn(connection::serve(tcp, peer, implicit_tls, shared.clone()));
                    }
                }
                // e.g. out of file descriptors: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
    conns.shutdown().await;
}
