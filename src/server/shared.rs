//! What every connection task of one server shares: its configuration, the TLS acceptor,
//! the maildir, and the counters that make ids unique.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio_rustls::TlsAcceptor;

use super::ServerConfig;
use super::maildir::Maildir;
use crate::transport::date::unix_now;

/// What every connection task shares.
pub(crate) struct Shared {
    pub config: ServerConfig,
    pub acceptor: TlsAcceptor,
    pub maildir: Option<Maildir>,
    pub next_internal_id: AtomicU64,
    queue_counter: AtomicU64,
}

impl Shared {
    pub(crate) fn new(
        config: ServerConfig,
        acceptor: TlsAcceptor,
        maildir: Option<Maildir>,
    ) -> Self {
        Self {
            config,
            acceptor,
            maildir,
            next_internal_id: AtomicU64::new(1),
            queue_counter: AtomicU64::new(0),
        }
    }

    /// 32 hex digits, random where the system allows, unique per server in any case.
    pub(crate) fn queue_id(&self) -> String {
        let mut bytes = [0u8; 16];
        let random = rustls::crypto::ring::default_provider()
            .secure_random
            .fill(&mut bytes)
            .is_ok();
        if !random {
            let n = self.queue_counter.fetch_add(1, Ordering::Relaxed);
            bytes = (u128::from(n) << 64 | u128::from(unix_now().unsigned_abs())).to_be_bytes();
        }
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }
}
