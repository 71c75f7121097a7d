//! What a reply, a failure or a TLS session must look like: `expect:`.

use std::time::Duration;

use regex::Regex;

use super::span::Span;
use crate::protocol::TlsVersion;
use crate::template::Template;
use crate::transport::TlsFailure;

/// Every given part must hold. An empty `codes` means any reply code.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub codes: Vec<CodePattern>,
    pub enhanced: Option<EnhancedPattern>,
    pub matches: Option<Regex>,
    pub contains: Option<Template>,
    pub not_matches: Option<Regex>,
    pub capabilities: Vec<CapabilityReq>,
    pub lacks: Vec<CapabilityReq>,
    /// name -> regex; first capture group (or whole match) becomes `${name}`.
    pub capture: Vec<(String, Regex)>,
    /// `tls: {...}`: what the connection's TLS session must look like (after `starttls`, or on a
    /// TLS connection).
    pub tls: Option<Box<TlsExpect>>,
    /// `within: 500ms` (extension): the reply must have come this soon after the command was
    /// sent (or the connection opened, for a greeting).
    pub within: Option<Duration>,
    /// `fails: KIND` or `fails: [KIND, ...]` (extension): the step must fail this way (any of
    /// these); it then passes, and the connection is closed. Excludes every other key.
    pub fails: Vec<ExpectedFailure>,
    /// `per_recipient: [E, ...]` (extension, `data` in an LMTP session): the expectation of
    /// each accepted recipient's reply, in RCPT order; the other keys then do not apply to
    /// them.
    pub per_recipient: Vec<Expect>,
}

/// A failure a plan expects (`expect: {fails: ...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedFailure {
    /// Any TLS handshake or certificate failure.
    Tls,
    /// This kind of TLS failure: one of [`TlsFailure::EXPECTABLE`] (`untrusted` also holds for
    /// a self-signed certificate).
    TlsKind(TlsFailure),
    /// Connecting is refused.
    Refused,
    /// No reply (or no connection) within the timeout.
    Timeout,
    /// The server closes the connection (in order or by a reset).
    Closed,
    /// The server resets the connection (TCP RST).
    Reset,
}

impl ExpectedFailure {
    /// Every failure a plan may name, in the order the format lists them.
    pub fn all() -> impl Iterator<Item = Self> {
        std::iter::once(Self::Tls)
            .chain(TlsFailure::EXPECTABLE.map(Self::TlsKind))
            .chain([Self::Refused, Self::Timeout, Self::Closed, Self::Reset])
    }

    /// The word a plan writes.
    pub fn word(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::TlsKind(t) => t.word(),
            Self::Refused => "refused",
            Self::Timeout => "timeout",
            Self::Closed => "closed",
            Self::Reset => "reset",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::all().find(|f| f.word() == word)
    }

    /// In words, for messages: "the certificate to be expired".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Tls => "the TLS handshake to fail",
            Self::TlsKind(t) => t.expected(),
            Self::Refused => "the connection to be refused",
            Self::Timeout => "no reply within the timeout",
            Self::Closed => "the server to close the connection",
            Self::Reset => "the server to reset the connection",
        }
    }
}

/// `expect: {tls: {version, cipher, cert: {names_include, subject_matches, issuer_matches,
/// valid_for_at_least}}}`; every given part must hold.
#[derive(Debug, Clone, Default)]
pub struct TlsExpect {
    /// Where `tls:` was written.
    pub span: Span,
    /// Any of these versions; empty = any.
    pub versions: Vec<TlsVersion>,
    /// Against the IANA suite name, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Option<Regex>,
    /// Names the certificate must hold (DNS names compared case-insensitively).
    pub names_include: Vec<Template>,
    pub subject_matches: Option<Regex>,
    pub issuer_matches: Option<Regex>,
    /// The certificate must stay valid at least this long from now.
    pub valid_for_at_least: Option<Validity>,
}

/// `30d`, `12h`: a span of time as written, for certificate lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub seconds: i64,
}

impl std::fmt::Display for Validity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.seconds % 86_400 == 0 {
            write!(f, "{} days", self.seconds / 86_400)
        } else if self.seconds % 3600 == 0 {
            write!(f, "{} hours", self.seconds / 3600)
        } else {
            write!(f, "{} seconds", self.seconds)
        }
    }
}

/// `250`, `"2xx"`, `"25x"`: each digit position is fixed or any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodePattern {
    pub digits: [Option<u8>; 3],
}

impl CodePattern {
    pub const fn exact(code: u16) -> Self {
        Self {
            digits: [
                Some((code / 100 % 10) as u8),
                Some((code / 10 % 10) as u8),
                Some((code % 10) as u8),
            ],
        }
    }

    pub const fn class(first: u8) -> Self {
        Self {
            digits: [Some(first), None, None],
        }
    }

    pub fn matches(&self, code: u16) -> bool {
        let actual = [
            (code / 100 % 10) as u8,
            (code / 10 % 10) as u8,
            (code % 10) as u8,
        ];
        self.digits
            .iter()
            .zip(actual)
            .all(|(want, got)| want.is_none_or(|w| w == got))
    }
}

impl std::fmt::Display for CodePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in self.digits {
            match d {
                Some(d) => write!(f, "{d}")?,
                None => f.write_str("x")?,
            }
        }
        Ok(())
    }
}

/// `2.7.0`, `5.7.139`, `5.x.x`: each part fixed or any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedPattern {
    pub class: Option<u8>,
    pub subject: Option<u16>,
    pub detail: Option<u16>,
}

impl EnhancedPattern {
    pub fn matches(&self, code: &crate::protocol::EnhancedCode) -> bool {
        self.class.is_none_or(|c| c == code.class)
            && self.subject.is_none_or(|s| s == code.subject)
            && self.detail.is_none_or(|d| d == code.detail)
    }
}

impl std::fmt::Display for EnhancedPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn part(
            f: &mut std::fmt::Formatter<'_>,
            v: Option<impl std::fmt::Display>,
        ) -> std::fmt::Result {
            match v {
                Some(v) => write!(f, "{v}"),
                None => f.write_str("x"),
            }
        }
        part(f, self.class)?;
        f.write_str(".")?;
        part(f, self.subject)?;
        f.write_str(".")?;
        part(f, self.detail)
    }
}

/// `STARTTLS` (keyword present) or `AUTH LOGIN` (keyword AUTH lists LOGIN). Stored uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityReq {
    pub keyword: String,
    pub param: Option<String>,
}

impl std::fmt::Display for CapabilityReq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.param {
            Some(p) => write!(f, "{} {}", self.keyword, p),
            None => f.write_str(&self.keyword),
        }
    }
}
