//! Where accepted messages go.
//!
//! With `maildir` set, each message becomes one file in `{maildir}/new/`, written to `tmp/`
//! first and renamed (the Maildir convention, so a reader never sees half a file). The file is
//! the message as received (dot-stuffing undone, CRLF line ends) with trace headers put in
//! front, the envelope among them:
//!
//! ```text
//! X-Envelope-From: <user1@contoso.com>
//! X-Envelope-To: <user2@contoso.com>          (one line per recipient)
//! Received: from smtp.contoso.com ([127.0.0.1]) by localhost (smtp-plan serve)
//!  with ESMTPSA id 0f3c...; Mon, 3 Mar 2025 11:06:40 +0000
//! ```
//!
//! The file name is `{unix time}.{queue id}.{hostname}`; the queue id is the one in the
//! `250 2.6.0 <...>` reply.

use std::io;
use std::path::{Path, PathBuf};

use super::ServerError;

/// The envelope and trace of one accepted message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Delivery {
    pub from: String,
    pub to: Vec<String>,
    pub helo: String,
    pub peer_ip: String,
    /// RFC 3848 `with` keyword: SMTP, ESMTP, ESMTPA, ESMTPS, ESMTPSA.
    pub protocol: &'static str,
    pub queue_id: String,
    pub date: String,
}

#[derive(Debug)]
pub(crate) struct Maildir {
    root: PathBuf,
}

/// Header values come from the client: no control characters may reach the file.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

impl Maildir {
    /// Create `tmp/`, `new/` and `cur/` under `root` if needed.
    pub(crate) fn open(root: &Path) -> Result<Self, ServerError> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|source| ServerError::Maildir {
                path: root.to_path_buf(),
                source,
            })?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// Write the message; returns the path in `new/`.
    pub(crate) async fn deliver(
        &self,
        d: &Delivery,
        hostname: &str,
        message: &[u8],
        unix: i64,
    ) -> io::Result<PathBuf> {
        let bytes = render(d, hostname, message);
        let safe_host: String = hostname
            .chars()
            .map(|c| if c == '/' || c == ':' { '_' } else { c })
            .collect();
        let name = format!("{unix}.{}.{safe_host}", d.queue_id);
        let tmp = self.root.join("tmp").join(&name);
        let new = self.root.join("new").join(&name);
        tokio::fs::write(&tmp, &bytes).await?;
        if let Err(e) = tokio::fs::rename(&tmp, &new).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        Ok(new)
    }
}

pub(crate) fn render(d: &Delivery, hostname: &str, message: &[u8]) -> Vec<u8> {
    let mut head = format!("X-Envelope-From: <{}>\r\n", clean(&d.from));
    for to in &d.to {
        head.push_str(&format!("X-Envelope-To: <{}>\r\n", clean(to)));
    }
    head.push_str(&format!(
        "Received: from {} ([{}]) by {} (smtp-plan serve)\r\n with {} id {}; {}\r\n",
        clean(&d.helo),
        d.peer_ip,
        hostname,
        d.protocol,
        d.queue_id,
        d.date
    ));
    let mut out = head.into_bytes();
    out.extend_from_slice(message);
    out
}
