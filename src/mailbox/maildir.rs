//! A Maildir on this machine: its root is INBOX, each Maildir++ sub-folder `.Name` is the
//! folder `Name`. Messages are files in `new/` and `cur/`; a file's header block is read
//! (bounded) to compare its Message-ID, and a match is read whole (bounded).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tokio::io::AsyncReadExt as _;

use super::delivered::parse_message_id;
use super::error::MailboxError;
use super::found::{Found, Looked, MAX_MESSAGE_BYTES, delivered_earlier};

/// At most this much of a file is read to find its Message-ID.
const HEADER_BYTES: u64 = 256 * 1024;
/// At most this many files are looked at in one folder per look (a bound on a huge Maildir);
/// a folder with more is an error.
const MAX_FILES: usize = 100_000;

#[derive(Debug)]
pub struct Maildir {
    root: PathBuf,
    /// Files already read whose Message-ID is another (by their unique name, before `:`).
    seen: HashSet<String>,
    /// Files with the Message-ID delivered before the message was sent (left aside).
    earlier: HashSet<String>,
}

fn io_err(path: &Path, e: &std::io::Error) -> MailboxError {
    MailboxError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Whether `dir` looks like a Maildir (it has `cur/` or `new/`).
async fn is_maildir(dir: &Path) -> bool {
    tokio::fs::metadata(dir.join("new")).await.is_ok()
        || tokio::fs::metadata(dir.join("cur")).await.is_ok()
}

impl Maildir {
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            seen: HashSet::new(),
            earlier: HashSet::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the Maildir exists yet (Postfix and Dovecot create it on first delivery).
    pub async fn exists(&self) -> bool {
        is_maildir(&self.root).await
    }

    /// The folders there are now: INBOX, then the Maildir++ sub-folders by name.
    pub async fn folders(&self) -> Result<Vec<String>, MailboxError> {
        let mut out = Vec::new();
        if !self.exists().await {
            return Ok(out);
        }
        out.push("INBOX".to_owned());
        let mut entries = tokio::fs::read_dir(&self.root)
            .await
            .map_err(|e| io_err(&self.root, &e))?;
        let mut subs = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_err(&self.root, &e))?
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().await.is_ok_and(|t| t.is_dir());
            if let Some(folder) = name.strip_prefix('.')
                && is_dir
                && !folder.is_empty()
                && folder != "."
                && is_maildir(&entry.path()).await
            {
                subs.push(folder.to_owned());
            }
        }
        subs.sort();
        out.extend(subs);
        Ok(out)
    }

    fn folder_dir(&self, folder: &str) -> PathBuf {
        if folder.eq_ignore_ascii_case("INBOX") {
            self.root.clone()
        } else {
            self.root.join(format!(".{folder}"))
        }
    }

    /// The message with this Message-ID (`<..>`) in `folder`, if it is there now. A file
    /// last modified before `not_before` (by more than the slack) is an older copy: left aside.
    pub async fn find(
        &mut self,
        folder: &str,
        message_id: &str,
        not_before: Option<SystemTime>,
    ) -> Result<Looked, MailboxError> {
        let dir = self.folder_dir(folder);
        let mut matches: Vec<PathBuf> = Vec::new();
        // A file moved from new/ to cur/ while we look is one message.
        let mut matched = HashSet::new();
        let mut earlier = HashSet::new();
        for sub in ["new", "cur"] {
            let path = dir.join(sub);
            let mut entries = match tokio::fs::read_dir(&path).await {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&path, &e)),
            };
            let mut n = 0;
            while let Some(entry) = entries.next_entry().await.map_err(|e| io_err(&path, &e))? {
                n += 1;
                if n > MAX_FILES {
                    // The files not looked at could hold the message: never "not there".
                    return Err(MailboxError::Io {
                        path: path.display().to_string(),
                        reason: format!(
                            "it holds more than {MAX_FILES} files, more than smtp-plan looks at: whether the message is there cannot be told"
                        ),
                    });
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let unique = name.split(':').next().unwrap_or_default().to_owned();
                if self.earlier.contains(&unique) {
                    earlier.insert(unique);
                    continue;
                }
                if name.starts_with('.') || self.seen.contains(&unique) {
                    continue;
                }
                let file = entry.path();
                // Regular files only: a link (which could lead out of the Maildir), a FIFO
                // (whose open would block) or a device is never opened.
                let meta = tokio::fs::symlink_metadata(&file)
                    .await
                    .ok()
                    .filter(|m| m.file_type().is_file());
                let Some(meta) = meta else {
                    self.seen.insert(unique);
                    continue;
                };
                let Some(head) = read_head(&file).await? else {
                    continue; // moved (new/ -> cur/) or removed meanwhile: seen next time
                };
                if parse_message_id(&head).is_some_and(|id| id == message_id) {
                    // Delivery writes the file: its time is when it was delivered.
                    if meta
                        .modified()
                        .is_ok_and(|at| delivered_earlier(at, not_before))
                    {
                        self.earlier.insert(unique.clone());
                        earlier.insert(unique);
                        continue;
                    }
                    if matched.insert(unique) {
                        matches.push(file);
                    }
                } else {
                    self.seen.insert(unique);
                }
            }
        }
        matches.sort();
        let copies = matches.len();
        let earlier = earlier.len();
        for file in matches {
            if let Some(raw) = read_whole(&file).await? {
                return Ok(Looked {
                    found: Some(Found {
                        folder: folder.to_owned(),
                        raw,
                        copies,
                    }),
                    earlier,
                });
            }
        }
        Ok(Looked {
            found: None,
            earlier,
        })
    }
}

/// The first bytes of a file (its header block); None if it is gone.
async fn read_head(path: &Path) -> Result<Option<Vec<u8>>, MailboxError> {
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path, &e)),
    };
    let mut head = Vec::new();
    file.take(HEADER_BYTES)
        .read_to_end(&mut head)
        .await
        .map_err(|e| io_err(path, &e))?;
    Ok(Some(head))
}

/// A whole message file, at most `MAX_MESSAGE_BYTES`; None if it is gone.
async fn read_whole(path: &Path) -> Result<Option<Vec<u8>>, MailboxError> {
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path, &e)),
    };
    let max = u64::try_from(MAX_MESSAGE_BYTES).unwrap_or(u64::MAX);
    let mut raw = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut raw)
        .await
        .map_err(|e| io_err(path, &e))?;
    if raw.len() > MAX_MESSAGE_BYTES {
        let size = tokio::fs::metadata(path).await.map_or(max + 1, |m| m.len());
        return Err(MailboxError::TooBig {
            size,
            max: MAX_MESSAGE_BYTES,
        });
    }
    Ok(Some(raw))
}
