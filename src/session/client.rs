//! The session's connection: connecting, sending (never on top of bytes the server sent
//! unasked, never a secret without TLS unless allowed), reading replies with a timeout, the
//! STARTTLS handshake, and transport errors turned into typed failures.

use std::time::{Duration, Instant};

use super::transcript::Transcript;
use crate::protocol::{Capabilities, Command, HostPort, Limits, Reply};
use crate::redact::Redactor;
use crate::results::{Dir, FailureKind, StepFailure, TranscriptLine};
use crate::transport::{ConnectOptions, Connection, TlsInfo, TlsParams, TransportError};

/// At most this much of what the server sent unasked is shown.
const SHOWN_UNSOLICITED: usize = 200;

/// One SMTP client session: at most one open connection at a time (a `connect` replaces it),
/// with the transcript of everything said on any of them.
pub struct Session {
    conn: Option<Connection>,
    /// Host name of the open connection (the default TLS server name, OAUTHBEARER's host).
    host: String,
    /// Every line said, redacted as it is recorded; its redactor knows every secret so far.
    pub transcript: Transcript,
    last_reply: Option<Reply>,
    /// What the last EHLO (or LHLO) on this connection advertised, since its last STARTTLS.
    pub capabilities: Option<Capabilities>,
    /// Why the connection is gone, for a command that needs it.
    closed_after: Option<String>,
    /// The connection QUIT was sent on, kept for a check that the server closes it.
    after_quit: Option<Connection>,
    /// How long to wait for a connection, a write or a reply.
    pub timeout: Duration,
    /// A secret may go over a connection without TLS (a step's `allow_plaintext: true`).
    pub allow_plaintext: bool,
    /// When the last bytes were written (or the connection opened): replies are timed from it.
    sent_at: Option<Instant>,
    /// The latency of the last reply read.
    latency: Option<Duration>,
    /// The transcript said the certificate went unverified.
    said_insecure: bool,
    /// Every TLS session established so far, in order.
    tls_seen: Vec<TlsInfo>,
    limits: Limits,
}

/// Unsolicited bytes as text for a message: lines joined by ` / `, cut to a readable length.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let joined = text
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    match joined.char_indices().nth(SHOWN_UNSOLICITED) {
        Some((cut, _)) => format!("{}…", joined.get(..cut).unwrap_or_default()),
        None => joined,
    }
}

/// The command's verb as a reader knows it: `MAIL FROM`, `RCPT TO`, `EHLO`, `the message`.
fn verb(wire: &str) -> String {
    let upper = wire.trim_end().to_ascii_uppercase();
    for two in ["MAIL FROM", "RCPT TO"] {
        if upper.starts_with(two) {
            return two.to_owned();
        }
    }
    let first = upper.split_whitespace().next().unwrap_or_default();
    if first.is_empty() || first.len() > 12 {
        "the next line".to_owned()
    } else {
        first.to_owned()
    }
}

impl Session {
    /// A session with no connection yet; `redactor` masks the secrets known from the start.
    pub fn new(redactor: Redactor, timeout: Duration, limits: Limits) -> Self {
        Self {
            conn: None,
            host: String::new(),
            transcript: Transcript::new(redactor),
            last_reply: None,
            capabilities: None,
            closed_after: None,
            after_quit: None,
            timeout,
            allow_plaintext: false,
            sent_at: None,
            latency: None,
            said_insecure: false,
            tls_seen: Vec::new(),
            limits,
        }
    }

    /// The host of the open (or last) connection.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn last_reply(&self) -> Option<&Reply> {
        self.last_reply.as_ref()
    }

    /// The TLS session of the open connection, if it has one.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.conn.as_ref().and_then(Connection::tls_info)
    }

    /// The latency of the last reply read.
    pub fn latency(&self) -> Option<Duration> {
        self.latency
    }

    /// The latency of the last reply read, once.
    pub fn take_latency(&mut self) -> Option<Duration> {
        self.latency.take()
    }

    /// The transcript's lines and every TLS session seen, when the session is over.
    pub fn finish(self) -> (Vec<TranscriptLine>, Vec<TlsInfo>) {
        (self.transcript.lines, self.tls_seen)
    }

    /// Whether the open connection is unencrypted (no connection counts as encrypted here:
    /// the command then fails on the missing connection instead).
    pub fn plaintext(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| !c.is_tls())
    }

    /// The failure of a command that would put a secret on an unencrypted connection, noted
    /// in the transcript.
    pub fn plaintext_refusal(&mut self, what: &str) -> StepFailure {
        let reason =
            format!("refusing to send {what} over a connection without TLS: nothing was sent");
        self.transcript.info(&reason);
        StepFailure::new(
            FailureKind::NotSent,
            reason,
            vec![
                "add a `starttls` step (and EHLO again) before it, or connect with `tls: implicit`"
                    .to_owned(),
                "for a negative test that must send it in plaintext, add `allow_plaintext: true` to the step"
                    .to_owned(),
            ],
        )
    }

    /// The last reply, as a detail line for errors.
    fn last_reply_detail(&self) -> Vec<String> {
        match &self.last_reply {
            Some(r) => vec![format!("last reply: {}", r.wire_text(" / "))],
            None => vec!["no reply had been received".to_owned()],
        }
    }

    /// A transport error as a typed failure, noted in the transcript; a closed or reset
    /// connection is dropped.
    pub fn transport_err(&mut self, e: TransportError) -> StepFailure {
        let mut details = Vec::new();
        match &e {
            TransportError::Closed { partial } | TransportError::Reset { partial }
                if !partial.is_empty() =>
            {
                details.push(format!("partial reply: {}", partial.join(" / ")));
            }
            _ => {}
        }
        // A timeout's own sentence says what came of the reply; before it, the last one.
        match (&e, &self.last_reply) {
            (TransportError::Timeout { partial, .. }, None) if !partial.is_empty() => {}
            _ => details.extend(self.last_reply_detail()),
        }
        if matches!(
            e,
            TransportError::Closed { .. } | TransportError::Reset { .. }
        ) {
            self.conn = None;
            self.closed_after = Some(if matches!(e, TransportError::Reset { .. }) {
                "the server reset it".to_owned()
            } else {
                "the server closed it".to_owned()
            });
        }
        self.transcript.info(&format!("error: {e}"));
        StepFailure::new(FailureKind::of(&e), e.to_string(), details)
    }

    /// Open a new connection (closing any open one); with `tls`, TLS from the first byte.
    /// `notes` go into the transcript after the line that says where it connects.
    pub async fn connect(
        &mut self,
        host: &str,
        port: u16,
        tls: Option<&TlsParams>,
        options: &ConnectOptions,
        notes: &[String],
    ) -> Result<Option<TlsInfo>, StepFailure> {
        self.conn = None;
        self.after_quit = None;
        self.capabilities = None;
        self.host = host.to_owned();
        let how = if tls.is_some() {
            " with implicit TLS"
        } else {
            ""
        };
        let from = match options.bind {
            Some(ip) => format!(" from {ip}"),
            None => String::new(),
        };
        let shown = HostPort::new(host, port);
        self.transcript
            .info(&format!("connecting to {shown}{how}{from}"));
        for note in notes {
            self.transcript.info(note);
        }
        let res =
            Connection::connect_with(host, port, self.timeout, tls, self.limits, options).await;
        self.connected(res, tls)
    }

    /// [`connect`](Self::connect) to the Unix domain socket at `path`. There is no host name,
    /// so a TLS handshake checks the certificate against `tls.server_name` only.
    pub async fn connect_unix(
        &mut self,
        path: &std::path::Path,
        tls: Option<&TlsParams>,
    ) -> Result<Option<TlsInfo>, StepFailure> {
        self.conn = None;
        self.after_quit = None;
        self.capabilities = None;
        self.host = String::new();
        let how = if tls.is_some() {
            " with implicit TLS"
        } else {
            ""
        };
        self.transcript
            .info(&format!("connecting to unix:{}{how}", path.display()));
        let res = Connection::connect_unix(path, self.timeout, tls, self.limits).await;
        self.connected(res, tls)
    }

    /// Keep a new connection (and say what TLS it has), or turn why it failed into a failure.
    fn connected(
        &mut self,
        res: Result<(Connection, Option<TlsInfo>), TransportError>,
        tls: Option<&TlsParams>,
    ) -> Result<Option<TlsInfo>, StepFailure> {
        match res {
            Ok((conn, info)) => {
                self.sent_at = Some(Instant::now());
                self.conn = Some(conn);
                self.closed_after = None;
                if let Some(info) = &info {
                    self.note_tls(info, tls.is_some_and(|p| p.insecure));
                }
                Ok(info)
            }
            Err(e) => {
                self.transcript.info(&format!("error: {e}"));
                let details = match tls {
                    Some(p) if matches!(e, TransportError::Tls { .. }) => tls_failure_details(p),
                    _ => Vec::new(),
                };
                Err(StepFailure::new(
                    FailureKind::of(&e),
                    e.to_string(),
                    details,
                ))
            }
        }
    }

    /// The open connection, or why there is none.
    pub fn conn(&mut self) -> Result<&mut Connection, StepFailure> {
        let why = self.closed_after.clone();
        self.conn.as_mut().ok_or_else(|| {
            StepFailure::new(
                FailureKind::Closed,
                format!(
                    "no open connection ({}); add a `connect` step to open a new one",
                    why.as_deref().unwrap_or("it was closed")
                ),
                Vec::new(),
            )
        })
    }

    /// Forget the open connection (and one QUIT was sent on), saying `why` to a later command.
    pub fn drop_connection(&mut self, why: String) {
        self.conn = None;
        self.after_quit = None;
        self.closed_after = Some(why);
    }

    /// QUIT was answered: keep its connection aside for a check that the server closes it.
    pub fn quit_answered(&mut self) {
        self.after_quit = self.conn.take();
        self.closed_after = Some("closed after QUIT".to_owned());
    }

    /// With no open connection, take back the one QUIT was sent on (to see it close).
    pub fn reopen_after_quit(&mut self) {
        if self.conn.is_none() {
            self.conn = self.after_quit.take();
        }
    }

    /// Bytes the server sent that no command asked for, as a failure: shown in the transcript,
    /// with `when` saying where they came ("before `MAIL FROM` was sent").
    fn unsolicited_failure(&mut self, bytes: &[u8], when: &str, why: &str) -> StepFailure {
        let text = String::from_utf8_lossy(bytes).into_owned();
        for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
            if !line.is_empty() {
                self.transcript.push(Dir::Server, line);
            }
        }
        let reason = format!("the server sent `{}` {when}", shown(bytes));
        self.transcript.info(&reason);
        StepFailure::new(FailureKind::Unsolicited, reason, vec![why.to_owned()])
    }

    /// Whatever the server sent after its last reply when no reply is due, as a failure.
    pub fn leftover(&mut self, when: &str) -> Option<StepFailure> {
        let conn = self.conn.as_mut()?;
        let bytes = conn.unsolicited();
        (!bytes.is_empty()).then(|| {
            self.unsolicited_failure(
                &bytes,
                when,
                "no reply was due: the server sent more than was asked for",
            )
        })
    }

    /// Write `wire` (shown in the transcript). Unless commands are pipelined on purpose,
    /// bytes that arrived before it fail first.
    pub async fn send_raw(&mut self, wire: &str) -> Result<(), StepFailure> {
        self.send_bytes(wire.as_bytes(), &format!("`{}`", verb(wire)), true)
            .await
    }

    /// Write bytes (`what` names them for a message); `show` puts them in the transcript as
    /// client lines (a message's lines are shown by its caller).
    pub async fn send_bytes(
        &mut self,
        bytes: &[u8],
        what: &str,
        show: bool,
    ) -> Result<(), StepFailure> {
        // No connection: nothing is sent, so the transcript shows no `C:` line.
        self.conn()?;
        // Whatever the command, a secret in it never goes out without TLS unless allowed.
        if show
            && !self.allow_plaintext
            && self.plaintext()
            && self
                .transcript
                .redactor
                .finds_secret(&String::from_utf8_lossy(bytes))
        {
            return Err(self.plaintext_refusal("a command that holds a secret"));
        }
        // Also before a pipeline's one write: a reply that came before it answers none of its
        // commands.
        let stray = self.conn()?.unsolicited();
        if !stray.is_empty() {
            return Err(self.unsolicited_failure(
                &stray,
                &format!("before {what} was sent"),
                "it would be taken as the reply to the command; smtp-plan stops here",
            ));
        }
        if show {
            self.transcript.client(&String::from_utf8_lossy(bytes));
        }
        self.write(bytes).await
    }

    /// Write more bytes of what [`Session::send_bytes`] began (the rest of a message).
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StepFailure> {
        let timeout = self.timeout;
        // The clock starts as the (last) piece is written: a reply's latency never counts less
        // than the server took after it had the command (the write may return late on a busy
        // machine).
        self.sent_at = Some(Instant::now());
        let res = self.conn()?.send(bytes, timeout).await;
        res.map_err(|e| self.transport_err(e))
    }

    /// Read one reply (bounded, within the timeout) and record it.
    pub async fn read(&mut self) -> Result<Reply, StepFailure> {
        let timeout = self.timeout;
        let res = self.conn()?.read_reply(timeout).await;
        match res {
            Ok(reply) => {
                self.latency = self.sent_at.map(|t| t.elapsed());
                self.transcript.server_reply(reply.wire_lines().collect());
                self.last_reply = Some(reply.clone());
                Ok(reply)
            }
            Err(e) => Err(self.transport_err(e)),
        }
    }

    /// Send a command and read its reply.
    pub async fn command(&mut self, cmd: &Command) -> Result<Reply, StepFailure> {
        self.send_raw(&cmd.to_string()).await?;
        self.read().await
    }

    /// EHLO or LHLO (`lmtp`): the reply, and the capabilities it advertised when positive.
    pub async fn hello(&mut self, name: String, lmtp: bool) -> Result<Reply, StepFailure> {
        let cmd = if lmtp {
            Command::Lhlo(name)
        } else {
            Command::Ehlo(name)
        };
        let reply = self.command(&cmd).await?;
        self.capabilities = reply
            .code
            .is_positive()
            .then(|| Capabilities::parse(&reply));
        Ok(reply)
    }

    /// The TLS handshake after the server's 220 to STARTTLS. The capabilities are forgotten
    /// (the server forgets the EHLO); a failed handshake closes the connection.
    pub async fn start_tls(&mut self, params: &TlsParams) -> Result<TlsInfo, StepFailure> {
        let timeout = self.timeout;
        let res = self.conn()?.start_tls(params, timeout).await;
        match res {
            Ok(info) => {
                self.note_tls(&info, params.insecure);
                self.capabilities = None;
                Ok(info)
            }
            Err(e) => {
                self.conn = None;
                self.closed_after = Some("the TLS handshake failed".to_owned());
                self.transcript.info(&format!("error: {e}"));
                Err(StepFailure::new(
                    FailureKind::of(&e),
                    e.to_string(),
                    tls_failure_details(params),
                ))
            }
        }
    }

    /// Say what a handshake negotiated; with `insecure`, say (once per session) that the
    /// certificate went unverified. (A handshake of the session's own is noted already.)
    pub fn note_tls(&mut self, info: &TlsInfo, insecure: bool) {
        self.tls_seen.push(info.clone());
        self.transcript.info(&format!(
            "TLS established: {} {}",
            info.version, info.cipher
        ));
        if insecure && !self.said_insecure {
            self.said_insecure = true;
            self.transcript.info(
                "warning: the server certificate was NOT verified (insecure): any server could have answered",
            );
        }
        if let Some(c) = &info.cert {
            self.transcript.info(&format!(
                "certificate: {}; names: {}; issued by {}; valid until {} ({} days left)",
                c.subject,
                c.names.join(", "),
                c.issuer,
                c.not_after,
                c.days_left
            ));
        }
    }
}

/// The detail lines of a failed handshake: the name checked, and whether verification was off.
fn tls_failure_details(params: &TlsParams) -> Vec<String> {
    let mut details = vec![format!("name checked: {}", params.server_name)];
    if params.insecure {
        details.push("certificate verification was off (insecure)".to_owned());
    }
    details
}
