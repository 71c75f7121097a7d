//! The `mailbox` step as plain data: where to look for a delivered message, how long to wait,
//! and what must hold of it (extension).

use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use super::target::TlsOptions;
use crate::template::Template;

/// `- mailbox: {imap: {..} | maildir: DIR, message_id, folders, within, poll}` with its `expect:`.
#[derive(Debug, Clone)]
pub struct MailboxSpec {
    pub source: MailboxSource,
    /// `message_id:`; None = the Message-ID of the message the last `data` step sent.
    pub message_id: Option<Template>,
    /// `folders:` to search, in order; empty = every folder.
    pub folders: Vec<String>,
    /// How long to wait for the message (`within:`).
    pub within: Duration,
    /// How often to look (`poll:`).
    pub poll: Duration,
    pub expect: MailboxExpect,
}

/// Where delivered mail is read.
#[derive(Debug, Clone)]
pub enum MailboxSource {
    Imap(ImapSpec),
    /// A Maildir on this machine (its root is INBOX; Maildir++ `.Name` sub-folders are the
    /// other folders), resolved relative to the plan file.
    Maildir(PathBuf),
}

/// `imap: {host, port, tls, username, password, ca_file, insecure, server_name, min_version}`.
#[derive(Debug, Clone)]
pub struct ImapSpec {
    /// None = the scenario's target host.
    pub host: Option<String>,
    /// None = 993 with implicit TLS, else 143.
    pub port: Option<u16>,
    pub tls: ImapTls,
    pub username: Template,
    /// Always secret, like an AUTH password (`Debug` shows `***`).
    pub password: crate::template::SecretTemplate,
    /// Trust settings over the target's (client certificates are not used for IMAP).
    pub tls_options: TlsOptions,
}

impl ImapSpec {
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            ImapTls::Implicit => 993,
            ImapTls::StartTls | ImapTls::None => 143,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImapTls {
    /// TLS from the first byte (port 993).
    Implicit,
    /// STARTTLS after the greeting (port 143): the default.
    #[default]
    StartTls,
    /// No TLS: the login needs `allow_plaintext: true`.
    None,
}

impl ImapTls {
    /// In words: `implicit TLS`, `STARTTLS`, `no TLS`.
    pub fn describe(self) -> &'static str {
        match self {
            ImapTls::Implicit => "implicit TLS",
            ImapTls::StartTls => "STARTTLS",
            ImapTls::None => "no TLS",
        }
    }
}

/// The `expect:` of a `mailbox` step; every given part must hold.
#[derive(Debug, Clone)]
pub struct MailboxExpect {
    /// `arrives: false`: the message must NOT show up within the time.
    pub arrives: bool,
    /// The folder it must be in (INBOX compared case-insensitively).
    pub folder: Option<String>,
    pub headers: Vec<HeaderExpect>,
    pub body: Option<TextExpect>,
    pub attachments: Vec<AttachmentExpect>,
    /// `structure: 'multipart/mixed(text/plain, application/pdf)'`.
    pub structure: Option<String>,
}

impl Default for MailboxExpect {
    fn default() -> Self {
        Self {
            arrives: true,
            folder: None,
            headers: Vec::new(),
            body: None,
            attachments: Vec::new(),
            structure: None,
        }
    }
}

/// `headers: {NAME: present | absent | {count, equals, contains, matches, not_matches, capture}}`.
#[derive(Debug, Clone)]
pub struct HeaderExpect {
    /// As written (compared case-insensitively).
    pub name: String,
    pub presence: Presence,
    pub count: Option<CountRange>,
    pub text: TextExpect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// At least once (also the meaning of any check on the value).
    Present,
    Absent,
    /// Only `count` says how many (which may be 0).
    Any,
}

/// `count: 2` or `count: {min: 1, max: 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRange {
    pub min: usize,
    pub max: Option<usize>,
}

impl CountRange {
    pub fn holds(&self, n: usize) -> bool {
        n >= self.min && self.max.is_none_or(|m| n <= m)
    }
}

impl std::fmt::Display for CountRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.max {
            Some(max) if max == self.min => write!(f, "{max}"),
            Some(max) => write!(f, "{} to {max}", self.min),
            None => write!(f, "at least {}", self.min),
        }
    }
}

/// Checks on a text (a header's values joined by `\n`, or the body).
#[derive(Debug, Clone, Default)]
pub struct TextExpect {
    pub equals: Option<Template>,
    pub contains: Option<Template>,
    pub matches: Option<Regex>,
    pub not_matches: Option<Regex>,
    /// name -> regex; the first group (or the whole match) becomes `${name}`.
    pub capture: Vec<(String, Regex)>,
}

impl TextExpect {
    pub fn is_empty(&self) -> bool {
        self.equals.is_none()
            && self.contains.is_none()
            && self.matches.is_none()
            && self.not_matches.is_none()
            && self.capture.is_empty()
    }
}

/// `attachments: [{name, content_type, size}]`: an attachment with all the given properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachmentExpect {
    pub name: Option<String>,
    /// `type/subtype`, lowercase, without parameters.
    pub content_type: Option<String>,
    /// Decoded size in bytes.
    pub size: Option<u64>,
}

impl std::fmt::Display for AttachmentExpect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(n) = &self.name {
            parts.push(format!("named {n:?}"));
        }
        if let Some(t) = &self.content_type {
            parts.push(format!("of type {t}"));
        }
        if let Some(s) = self.size {
            parts.push(format!("of {s} bytes"));
        }
        if parts.is_empty() {
            f.write_str("attachment")
        } else {
            write!(f, "attachment {}", parts.join(", "))
        }
    }
}
