//! `smtp-plan serve`: the built-in reference server on loopback; also started by `run --serve`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::options::{parse_duration_arg, parse_users};
use super::process::{runtime, say};
use super::{Exit, Outcome};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Plain SMTP with STARTTLS (loopback only).
    #[arg(long, default_value = "127.0.0.1:2525")]
    pub listen: SocketAddr,
    /// Implicit TLS (loopback only).
    #[arg(long, value_name = "ADDR")]
    pub tls_listen: Option<SocketAddr>,
    /// The name the server greets with and puts in its certificate.
    #[arg(long, default_value = "localhost")]
    pub hostname: String,
    /// A login the server accepts (repeatable; `ps` shows it: prefer --users-file).
    #[arg(long = "user", value_name = "USER:PASSWORD", value_parser = crate::secret_input::secret_arg)]
    pub users: Vec<crate::redact::Secret>,
    /// Logins from a file of `USER:PASSWORD` lines (`-` reads standard input).
    #[arg(long, value_name = "FILE")]
    pub users_file: Option<PathBuf>,
    /// Accept mail without AUTH (by default MAIL FROM needs a login: 530 5.7.57).
    #[arg(long)]
    pub allow_anonymous: bool,
    /// Write each accepted message into this Maildir (new/); otherwise mail is discarded.
    #[arg(long, value_name = "DIR")]
    pub maildir: Option<PathBuf>,
    /// Write the generated CA certificate (PEM) here, for clients to trust.
    #[arg(long, value_name = "FILE")]
    pub write_ca: Option<PathBuf>,
    /// Wait this long before every reply (e.g. 50ms), like a server across a WAN.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg)]
    pub reply_delay: Option<std::time::Duration>,
}

pub fn cmd_serve(args: ServeArgs) -> Outcome {
    let users = parse_users(
        &args.users,
        args.users_file.as_deref(),
        "--user",
        "--users-file",
    )?;
    let config = crate::server::ServerConfig {
        listen: args.listen,
        tls_listen: args.tls_listen,
        hostname: args.hostname,
        users,
        require_auth: !args.allow_anonymous,
        maildir: args.maildir,
        reply_delay: args.reply_delay.unwrap_or_default(),
        ..crate::server::ServerConfig::default()
    };
    let rt = runtime()?;
    let exit = rt.block_on(async move {
        let server = crate::server::start(config)
            .await
            .context("could not start the server")?;
        if let Some(path) = &args.write_ca {
            std::fs::write(path, server.ca_pem())
                .with_context(|| format!("could not write {}", path.display()))?;
        }
        say(&format!(
            "smtp-plan serve: SMTP with STARTTLS on {}\n",
            server.smtp_addr()
        ));
        if let Some(a) = server.smtps_addr() {
            say(&format!("smtp-plan serve: implicit TLS on {a}\n"));
        }
        if let Some(path) = &args.write_ca {
            say(&format!(
                "smtp-plan serve: CA certificate written to {}\n",
                path.display()
            ));
        }
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        server.shutdown().await;
        anyhow::Ok(Exit::Passed)
    })?;
    Ok(exit)
}

/// A file holding the built-in server's CA, removed when dropped.
pub struct TempCa(PathBuf);

impl TempCa {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `run --serve`: the built-in server on 127.0.0.1 (SMTP and implicit TLS on free ports) and
/// a file with its CA.
pub async fn start_for_run(
    users: Vec<(String, String)>,
) -> anyhow::Result<(crate::server::RunningServer, TempCa)> {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = crate::server::ServerConfig {
        listen: loopback,
        tls_listen: Some(loopback),
        users,
        ..crate::server::ServerConfig::default()
    };
    let server = crate::server::start(config)
        .await
        .context("could not start the built-in server")?;
    let path = std::env::temp_dir().join(format!("smtp-plan-serve-ca-{}.pem", std::process::id()));
    std::fs::write(&path, server.ca_pem())
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok((server, TempCa(path)))
}
