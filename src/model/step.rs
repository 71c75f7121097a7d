//! A step: what the client does (an [`Action`] and its specs) and where it was written.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::expect::Expect;
use super::mailbox::MailboxSpec;
use super::span::{Origin, Span};
use super::target::{ProxyHeader, TlsMode, TlsOptions};
use crate::protocol::Mechanism;
use crate::template::{SecretTemplate, Template};

/// One step: what to do, what the reply must look like, and where it was written.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: Action,
    /// The step's `expect:`, or the action's default expectation when omitted (one value shared
    /// by every step of that kind: a plan of 10,000 scenarios holds few expectations).
    pub expect: Arc<Expect>,
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

/// The variables a TLS handshake sets, for `${tls.*}`.
pub const TLS_VARS: &[&str] = &[
    "tls.version",
    "tls.cipher",
    "tls.cert.subject",
    "tls.cert.names",
    "tls.cert.issuer",
    "tls.cert.not_after",
    "tls.cert.days_left",
];

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
    StartTls(Box<StartTls>),
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
    Bdat(Box<BdatSpec>),
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
    Connect(Box<ConnectSpec>),
    /// `mailbox: {imap | maildir, ..}` — wait for the sent message to be delivered, check it
    /// (extension; see `mailbox_model`).
    Mailbox(Box<MailboxSpec>),
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
    /// `socket:`: this Unix domain socket instead of the target's host and port.
    pub socket: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct AuthSpec {
    pub mechanism: AuthMechanism,
    /// The user to log in as; for GSSAPI the authorization identity, empty (the default) for
    /// the ticket's own principal.
    pub username: Template,
    /// Always treated as a secret by the runner, whether or not it is listed in `secrets:`.
    pub credential: Credential,
    /// `initial_response:`; None = the mechanism's default (see the README's AUTH section).
    pub initial_response: Option<bool>,
    /// `service:` (GSSAPI): the server's GSS-API name, `smtp@HOST` (host-based) or a Kerberos
    /// principal `smtp/HOST@REALM`; None = `smtp@` the target's host.
    pub service: Option<Template>,
}

/// `mechanism: NAME` or `mechanism: auto` (the strongest one the last EHLO offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMechanism {
    Auto,
    Named(Mechanism),
}

/// The secret an `auth` step logs in with. `Debug` shows `Password(***)` / `Token(***)`.
#[derive(Debug, Clone)]
pub enum Credential {
    /// `password:` (every mechanism but XOAUTH2 and OAUTHBEARER).
    Password(SecretTemplate),
    /// `token:` — an OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER).
    Token(SecretTemplate),
    /// Neither: a Kerberos ticket from the environment (GSSAPI: `KRB5CCNAME`, or a keytab in
    /// `KRB5_CLIENT_KTNAME`).
    Ticket,
}

impl Credential {
    /// The template of the password or token, to render or to see which variables it uses;
    /// None for a ticket.
    pub fn expose(&self) -> Option<&Template> {
        match self {
            Credential::Password(t) | Credential::Token(t) => Some(t.expose()),
            Credential::Ticket => None,
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
