//! The validated plan model. Built by the loader from YAML; read by the runner.
//! Everything here is plain data: no I/O, no YAML types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;

use crate::protocol::Mechanism;
pub use crate::protocol::TlsVersion;
use crate::redact::Secret;
use crate::template::Template;

/// A 1-based position in a plan file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Span {
    pub line: u32,
    pub col: u32,
}

/// Variable values by name. `Debug` shows the names only: a value may be a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct VarValues(pub BTreeMap<String, String>);

impl std::fmt::Debug for VarValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl std::ops::Deref for VarValues {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for VarValues {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl From<BTreeMap<String, String>> for VarValues {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }
}

impl<'a> IntoIterator for &'a VarValues {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// One loaded plan file = one JUnit test suite. Its `Debug` shows no variable value.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The path as the user gave it (or as found under a directory they gave).
    pub path: PathBuf,
    /// The whole file text, for diagnostics.
    pub source: Arc<str>,
    /// `name:` or the file stem.
    pub name: String,
    /// Resolved plan variables: `vars:` with `${env:..}` and `${var}` references
    /// substituted, then overridden by `--var`.
    pub vars: VarValues,
    /// Every secret value known at load: of the variables named in `secrets:`, `--secret`
    /// and `--secrets-file`, of every variable an `auth` step takes its password or token
    /// from, of every variable made from one of those, and every password and token an `auth`
    /// step has before it runs. Empty values are left out. Redacted in every output.
    pub secret_values: Vec<Secret>,
    /// The names whose values are secret, captures included: a value captured under one of
    /// these names is masked from its capture on.
    pub secret_names: BTreeSet<String>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub tags: Vec<String>,
    /// The plan's `target:` merged with the scenario's own `target:` (scenario keys win).
    pub target: Target,
    pub steps: Vec<Step>,
    /// The scenario's own `vars:`, resolved; they override the plan's variables (extension).
    pub vars: VarValues,
    /// `skip: REASON`: reported as skipped (never as passed), not run.
    pub skip: Option<String>,
    /// Where `- name:` of this scenario starts.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    #[default]
    None,
    Implicit,
}

/// Where and how to connect. Fully resolved at load time (variables substituted).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Host name, IPv4 literal or IPv6 literal (without brackets). Default "localhost".
    pub host: String,
    /// Default 25.
    pub port: u16,
    pub tls: TlsMode,
    /// Per-reply timeout. Default 10s.
    pub timeout: Duration,
    pub tls_options: TlsOptions,
    /// `proxy:` (extension): a PROXY protocol header sent first on every connection.
    pub proxy: Option<ProxyHeader>,
    /// `bind:` (extension): the local address to connect from.
    pub bind: Option<std::net::IpAddr>,
}

/// `proxy: {version, source, destination}`: what a load balancer in front of the server would
/// claim about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyHeader {
    pub version: u8,
    pub source: std::net::SocketAddr,
    pub destination: std::net::SocketAddr,
}

/// TLS settings, every one optional so that one layer can stand over another
/// ([`TlsOptions::or`]): a scenario's `target:` over the plan's, a `starttls:` step's or an
/// `imap:` check's over the target's. The command line's own go on top at the handshake.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsOptions {
    /// Extra trust anchor, already resolved relative to the plan file's directory.
    pub ca_file: Option<PathBuf>,
    /// Do not verify the server certificate (default false).
    pub insecure: Option<bool>,
    /// Name for SNI and the certificate name check; default: the target host.
    pub server_name: Option<String>,
    /// A client certificate (PEM) and its key, both resolved like `ca_file`; the loader makes
    /// sure they come together.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// The oldest TLS version to accept.
    pub min_version: Option<TlsVersion>,
    /// `pin_sha256`: the server certificate must have one of these SHA-256 fingerprints
    /// (normalised, see `transport::normalize_pin`), and is then trusted as it is.
    pub pin_sha256: Option<Vec<String>>,
}

impl TlsOptions {
    /// These settings, and `base`'s where these have none. A client certificate and its key
    /// come as a pair from one layer.
    pub fn or(self, base: &TlsOptions) -> TlsOptions {
        let (client_cert, client_key) = if self.client_cert.is_some() || self.client_key.is_some() {
            (self.client_cert, self.client_key)
        } else {
            (base.client_cert.clone(), base.client_key.clone())
        };
        TlsOptions {
            ca_file: self.ca_file.or_else(|| base.ca_file.clone()),
            insecure: self.insecure.or(base.insecure),
            server_name: self.server_name.or_else(|| base.server_name.clone()),
            client_cert,
            client_key,
            min_version: self.min_version.or(base.min_version),
            pin_sha256: self.pin_sha256.or_else(|| base.pin_sha256.clone()),
        }
    }

    /// Whether certificate verification is off.
    pub fn is_insecure(&self) -> bool {
        self.insecure.unwrap_or(false)
    }

    /// The pinned fingerprints (none unless `pin_sha256` was given).
    pub fn pins(&self) -> &[String] {
        self.pin_sha256.as_deref().unwrap_or_default()
    }
}

/// One step: what to do, what the reply must look like, and where it was written.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: Action,
    /// The step's `expect:`, or the action's default expectation when omitted.
    pub expect: Expect,
    /// Whether `expect:` was written in the plan (false = the default was filled in).
    pub expect_given: bool,
    /// Where the step's list item starts (the `-`'s first key).
    pub span: Span,
    /// `allow_plaintext: true` (on every step that sends something): a secret may go over a
    /// connection without TLS. Otherwise such a step fails before anything is sent.
    pub allow_plaintext: bool,
    /// The file `span` points into when it is not the plan file: a step of a group defined
    /// in an `include:`d file (extension).
    pub origin: Option<Arc<Origin>>,
    /// `retry: {count, interval}` (extension): re-play the step when it fails.
    pub retry: Option<Retry>,
    /// `timeout:` (extension): the reply timeout for this step instead of the target's.
    pub timeout: Option<Duration>,
    /// `send_anyway: true` (extension): send a command or parameter whose extension the last
    /// EHLO did not advertise (otherwise the step fails before sending it).
    pub send_anyway: bool,
}

/// A file other than the plan file that a step was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    /// The file's text, for the source line of a failure.
    pub source: Arc<str>,
}

/// `retry: {count: N, interval: D}`: up to N more attempts, D apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub count: u32,
    pub interval: Duration,
}

/// Variables smtp-plan defines itself, resolved when a scenario runs: `uuid` (a new random
/// UUID v4 for each step), `now` (the RFC 2822 date at each step), `message_id`
/// (`<UUID@smtp-plan>`, one per scenario), `scenario.name` and `plan.name`.
pub const BUILTIN_VARS: &[&str] = &["uuid", "now", "message_id", "scenario.name", "plan.name"];

/// The message of a `data` step.
#[derive(Debug, Clone)]
pub enum DataSpec {
    /// `data: TEXT`.
    Text(Template),
    /// `data: {file: F}`: streamed from disk when the step runs.
    File(Arc<MessageFile>),
    /// `data: {headers, body, attachments}`: a MIME message built when the step runs.
    Mime(MimeSpec),
}

/// A message file as scanned at load time: where its `${..}` references are, not its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFile {
    /// As the plan names it (resolved against the plan's directory), for messages.
    pub path: PathBuf,
    /// Checked under the file root at load time; opened again from here when the step runs.
    pub canonical: PathBuf,
    /// Its size and modification time when scanned: the runner refuses to send it if they
    /// changed (the references would be at other places).
    pub len: u64,
    pub modified: Option<std::time::SystemTime>,
    /// In file order, covering the whole file.
    pub parts: Vec<FilePart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilePart {
    /// These bytes of the file, sent as they are (dot-stuffed).
    Bytes(std::ops::Range<u64>),
    /// A `${..}` reference at this byte offset (or `$${` / `${env:..}`, literal text by now),
    /// rendered when the step runs.
    Template(Template, u64),
}

#[derive(Debug, Clone, Default)]
pub struct MimeSpec {
    /// In the order written; `Date` and `Message-ID` are added when missing.
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
    pub attachments: Vec<Attachment>,
}

/// A file attached to a structured message, read at load time.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The file name the message gives it.
    pub name: String,
    pub content_type: String,
    pub content: Arc<[u8]>,
}

#[derive(Debug, Clone)]
pub enum Action {
    /// `- expect: E` alone: read one reply, send nothing.
    Read,
    /// `send: LINE` — LINE + CRLF verbatim.
    Send(Template),
    Ehlo(Template),
    Helo(Template),
    Lhlo(Template),
    /// `starttls` / `starttls: {expect, ca_file, insecure, server_name}`; the options given here
    /// override the target's for this handshake only (None = keep the target's).
    StartTls(StartTls),
    Auth(AuthSpec),
    MailFrom(Envelope),
    RcptTo(Envelope),
    /// `rcpt_to: [a, b, {address, expect}]`: one RCPT TO per recipient, each reply checked
    /// against the recipient's own `expect` or else the step's (extension).
    RcptToMany(Vec<Recipient>),
    Data(DataSpec),
    Rset,
    Noop,
    Quit,
    Vrfy(Template),
    /// `etrn: DOMAIN` (RFC 1985), `expn: LIST`, `help` / `help: TOPIC` (extensions).
    Etrn(Template),
    Expn(Template),
    Help(Option<Template>),
    /// `ehlo: {name: NAME, helo_fallback: true}`: EHLO, and HELO when EHLO gets a 5xx, as
    /// clients do (extension).
    EhloFallback(Template),
    /// `pipeline: [..]` (RFC 2920): MAIL / RCPT / RSET / NOOP and, last, DATA sent in one
    /// write; each reply checked in order against its own step's expectation (extension).
    Pipeline(Vec<Step>),
    /// `bdat: MESSAGE` (RFC 3030 CHUNKING): the message in BDAT chunks, LAST on the final one
    /// (extension).
    Bdat(BdatSpec),
    /// `xclient: {addr, name, ..}` (Postfix XCLIENT): claim another client; the reply is the
    /// server's new greeting (extension).
    Xclient(Vec<XAttr>),
    /// `xforward: {addr, name, ..}` (Postfix XFORWARD): the original client of a forwarded
    /// message (extension).
    Xforward(Vec<XAttr>),
    Sleep(Duration),
    ExpectClose,
    /// `connect` / `connect: {host, port, tls}` — open a fresh connection; missing keys come
    /// from the scenario's target.
    Connect(ConnectSpec),
    /// `mailbox: {imap | maildir, ..}` — wait for the sent message to be delivered, check it
    /// (extension; see `mailbox_model`).
    Mailbox(Box<super::mailbox_model::MailboxSpec>),
}

impl Action {
    /// The step's key as written in YAML (`ehlo`, `mail_from`, `expect`, ...), for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::Read => "expect",
            Action::Send(_) => "send",
            Action::Ehlo(_) => "ehlo",
            Action::Helo(_) => "helo",
            Action::Lhlo(_) => "lhlo",
            Action::StartTls(_) => "starttls",
            Action::Auth(_) => "auth",
            Action::MailFrom(_) => "mail_from",
            Action::RcptTo(_) | Action::RcptToMany(_) => "rcpt_to",
            Action::Data(_) => "data",
            Action::Rset => "rset",
            Action::Noop => "noop",
            Action::Quit => "quit",
            Action::Vrfy(_) => "vrfy",
            Action::Etrn(_) => "etrn",
            Action::Expn(_) => "expn",
            Action::Help(_) => "help",
            Action::EhloFallback(_) => "ehlo",
            Action::Pipeline(_) => "pipeline",
            Action::Bdat(_) => "bdat",
            Action::Xclient(_) => "xclient",
            Action::Xforward(_) => "xforward",
            Action::Sleep(_) => "sleep",
            Action::ExpectClose => "expect_close",
            Action::Connect(_) => "connect",
            Action::Mailbox(_) => "mailbox",
        }
    }
}

/// A `starttls` step: its TLS settings over the target's, and whether TLS is required.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartTls {
    pub options: TlsOptions,
    /// `required: false`: a server that does not advertise or refuses STARTTLS is accepted and
    /// the scenario goes on in plaintext. `None` = required.
    pub required: Option<bool>,
}

impl StartTls {
    /// Whether the step must end with TLS (the default).
    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectSpec {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<TlsMode>,
    /// `proxy:` for this connection instead of the target's.
    pub proxy: Option<ProxyHeader>,
    /// `bind:` for this connection instead of the target's.
    pub bind: Option<std::net::IpAddr>,
}

#[derive(Debug, Clone)]
pub struct AuthSpec {
    pub mechanism: AuthMechanism,
    pub username: Template,
    /// Always treated as a secret by the runner, whether or not it is listed in `secrets:`.
    pub credential: Credential,
    /// `initial_response:`; None = the mechanism's default (see the README's AUTH section).
    pub initial_response: Option<bool>,
}

/// `mechanism: NAME` or `mechanism: auto` (the strongest one the last EHLO offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMechanism {
    Auto,
    Named(Mechanism),
}

/// The secret an `auth` step logs in with.
#[derive(Debug, Clone)]
pub enum Credential {
    /// `password:` (every mechanism but XOAUTH2 and OAUTHBEARER).
    Password(Template),
    /// `token:` — an OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER).
    Token(Template),
}

impl Credential {
    pub fn template(&self) -> &Template {
        match self {
            Credential::Password(t) | Credential::Token(t) => t,
        }
    }

    pub fn is_token(&self) -> bool {
        matches!(self, Credential::Token(_))
    }
}

/// `mail_from: ADDR` / `{address, params: [..]}`; `""` is the null sender `<>`.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub address: Template,
    pub params: Vec<Template>,
    /// The first-class ESMTP parameters (`size`, `body`, `smtputf8`, `ret`, `envid`,
    /// `notify`, `orcpt`; extension), sent before the raw `params`.
    pub esmtp: Vec<EsmtpParam>,
}

/// One ESMTP parameter of MAIL FROM or RCPT TO, and the EHLO keywords it needs.
#[derive(Debug, Clone)]
pub struct EsmtpParam {
    /// `SIZE`, `BODY`, `SMTPUTF8`, `RET`, `ENVID`, `NOTIFY`, `ORCPT`.
    pub keyword: &'static str,
    pub value: ParamValue,
    /// The extensions the last EHLO must have listed (all of them), e.g. `["DSN"]`.
    pub needs: &'static [&'static str],
}

#[derive(Debug, Clone)]
pub enum ParamValue {
    /// A keyword alone (`SMTPUTF8`).
    None,
    /// A fixed value (`BODY=8BITMIME`, `NOTIFY=SUCCESS,FAILURE`).
    Fixed(String),
    /// A value from the plan, xtext-encoded (RFC 3461) when sent (`ENVID`, `ORCPT`'s address).
    Xtext {
        prefix: &'static str,
        value: Template,
    },
    /// A number from the plan (`SIZE=12345`).
    Number(Template),
    /// `size: message`: the size in bytes of the message of the scenario's next `data` or
    /// `bdat` step, as it will be sent.
    MessageSize,
}

/// One XCLIENT / XFORWARD attribute: its wire name (`ADDR`) and value (xtext-encoded when
/// sent).
#[derive(Debug, Clone)]
pub struct XAttr {
    pub name: String,
    pub value: Template,
}

/// The message of a `bdat` step and how to cut it.
#[derive(Debug, Clone)]
pub struct BdatSpec {
    pub message: DataSpec,
    pub chunking: Chunking,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunking {
    /// 64 KiB chunks (one `BDAT n LAST` for most messages).
    Auto,
    /// `chunk_size: N`: chunks of N bytes, the last one shorter.
    Size(usize),
    /// `chunks: [a, b, ..]`: these sizes in order; what is left of the message is one more
    /// chunk (an empty `BDAT 0 LAST` when nothing is).
    Sizes(Vec<usize>),
}

/// One recipient of `rcpt_to: [..]`.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub envelope: Envelope,
    /// Its own `expect:`; None = the step's.
    pub expect: Option<Expect>,
    pub span: Span,
}

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
    pub tls: Option<TlsExpect>,
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
    /// The certificate's issuer is not trusted (self-signed included).
    Untrusted,
    /// The certificate is self-signed and not trusted.
    SelfSigned,
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet.
    NotYetValid,
    /// The certificate does not hold the name checked.
    WrongName,
    /// No TLS protocol version in common.
    ProtocolVersion,
    /// No cipher suite in common.
    NoSharedCipher,
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
    pub const ALL: [ExpectedFailure; 12] = [
        Self::Tls,
        Self::Untrusted,
        Self::SelfSigned,
        Self::Expired,
        Self::NotYetValid,
        Self::WrongName,
        Self::ProtocolVersion,
        Self::NoSharedCipher,
        Self::Refused,
        Self::Timeout,
        Self::Closed,
        Self::Reset,
    ];

    /// The word a plan writes.
    pub fn word(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::Untrusted => "untrusted",
            Self::SelfSigned => "self_signed",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongName => "wrong_name",
            Self::ProtocolVersion => "protocol_version",
            Self::NoSharedCipher => "no_shared_cipher",
            Self::Refused => "refused",
            Self::Timeout => "timeout",
            Self::Closed => "closed",
            Self::Reset => "reset",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.word() == word)
    }

    /// In words, for messages: "the certificate to be expired".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Tls => "the TLS handshake to fail",
            Self::Untrusted => "the certificate to be rejected as not trusted",
            Self::SelfSigned => "the certificate to be rejected as self-signed",
            Self::Expired => "the certificate to be rejected as expired",
            Self::NotYetValid => "the certificate to be rejected as not valid yet",
            Self::WrongName => "the certificate to be rejected for the wrong name",
            Self::ProtocolVersion => "the TLS handshake to fail for want of a common version",
            Self::NoSharedCipher => "the TLS handshake to fail for want of a common cipher suite",
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
