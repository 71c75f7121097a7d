//! The probe's conversations with the server: each one a connection whose replies are kept,
//! to become one scenario of the written plan.

use std::path::PathBuf;
use std::time::Duration;

use crate::protocol::{
    Capabilities, Command, Limits, Mechanism, Reply, b64_encode, plain_response,
};
use crate::redact::Secret;
use crate::transport::{Connection, TlsInfo, TlsParams, TransportError};

/// How the probe connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProbeTls {
    /// Plain; STARTTLS when the server offers it.
    #[default]
    Auto,
    /// Plain, never STARTTLS.
    None,
    /// Plain; the server must offer STARTTLS.
    StartTls,
    /// TLS from the first byte.
    Implicit,
}

/// What to probe and how. The password is a [`Secret`]; the plan refers to `password_env`.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub host: String,
    pub port: u16,
    pub tls: ProbeTls,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    pub server_name: Option<String>,
    pub ehlo: String,
    pub timeout: Duration,
    pub login: Option<Login>,
    /// Sender of the unauthenticated MAIL FROM check; `None` skips MAIL and RCPT checks.
    pub mail_from: Option<String>,
    /// Recipient for the RCPT TO checks, if any.
    pub rcpt: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Login {
    pub user: String,
    pub password: Secret,
    /// The environment variable the plan reads the password from.
    pub password_env: String,
    /// `None`: PLAIN if offered, else LOGIN if offered, else PLAIN.
    pub mechanism: Option<Mechanism>,
}

/// What a step of a conversation was; the plan step is written from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Greeting,
    Ehlo,
    StartTls,
    Auth(Mechanism),
    /// MAIL FROM as the anonymous sender (`false`) or the logged-in user (`true`).
    MailFrom {
        as_user: bool,
    },
    RcptTo,
    Quit,
}

/// One step and the reply it got.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub sent: Sent,
    pub reply: Reply,
    /// The TLS handshake that followed (a STARTTLS step) or preceded (an implicit-TLS greeting).
    pub tls: Option<TlsInfo>,
}

/// What a conversation is for; decides the scenario's name and what it asserts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Capabilities,
    StartTls,
    AnonymousMail,
    Auth,
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub purpose: Purpose,
    pub exchanges: Vec<Exchange>,
    /// The server closed the connection after the last exchange (instead of a reply).
    pub closed: bool,
}

/// Everything the probe saw.
#[derive(Debug, Clone)]
pub struct Observation {
    pub conversations: Vec<Conversation>,
    /// The AUTH mechanism used, if any.
    pub mechanism: Option<Mechanism>,
    /// Unix time the probe started.
    pub started: i64,
}

/// Why a probe could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{what}: {source}")]
    Transport {
        what: String,
        source: TransportError,
    },
    #[error("the server does not offer STARTTLS (EHLO lists: {listed}); use --tls auto or none")]
    NoStartTls { listed: String },
    /// `--user` against a server without TLS: the password would travel in plaintext.
    #[error(
        "the server does not offer STARTTLS: refusing to send the password of --user over a connection without TLS (no AUTH was sent); probe without --user, or with --tls implicit on an implicit-TLS port"
    )]
    PlaintextAuth,
}

struct Session {
    conn: Connection,
    timeout: Duration,
    exchanges: Vec<Exchange>,
    closed: bool,
}

/// A step's outcome: `None` when the server closed the connection instead of replying.
type Step = Result<Option<Reply>, ProbeError>;

fn transport(what: &str, source: TransportError) -> ProbeError {
    ProbeError::Transport {
        what: what.to_owned(),
        source,
    }
}

impl Session {
    fn record(&mut self, sent: Sent, res: Result<Reply, TransportError>, what: &str) -> Step {
        match res {
            Ok(reply) => {
                self.exchanges.push(Exchange {
                    sent,
                    reply: reply.clone(),
                    tls: None,
                });
                Ok(Some(reply))
            }
            Err(TransportError::Closed { .. }) => {
                self.closed = true;
                Ok(None)
            }
            Err(e) => Err(transport(what, e)),
        }
    }

    async fn read(&mut self, sent: Sent, what: &str) -> Step {
        let res = self.conn.read_reply(self.timeout).await;
        self.record(sent, res, what)
    }

    async fn command(&mut self, sent: Sent, cmd: &Command) -> Step {
        let what = match &sent {
            Sent::Auth(m) => format!("AUTH {m}"),
            _ => cmd.to_string().trim_end().to_owned(),
        };
        if let Err(e) = self
            .conn
            .send(cmd.to_string().as_bytes(), self.timeout)
            .await
        {
            return match e {
                TransportError::Closed { .. } => {
                    self.closed = true;
                    Ok(None)
                }
                e => Err(transport(&what, e)),
            };
        }
        let res = self.conn.read_reply(self.timeout).await;
        self.record(sent, res, &what)
    }

    /// SASL without recording the intermediate 334s; only the final reply is kept.
    async fn auth(&mut self, mechanism: &Mechanism, login: &Login) -> Step {
        let sent = Sent::Auth(*mechanism);
        let raw = |s: String| Command::Raw(s);
        match mechanism {
            Mechanism::Login => {
                let first = self.quiet(&auth_cmd("LOGIN", None)).await?;
                let Some(first) = first else { return Ok(None) };
                if first.code.value() != 334 {
                    return self.record(sent, Ok(first), "AUTH LOGIN");
                }
                let second = self.quiet(&raw(b64_encode(login.user.as_bytes()))).await?;
                let Some(second) = second else {
                    return Ok(None);
                };
                if second.code.value() != 334 {
                    return self.record(sent, Ok(second), "AUTH LOGIN");
                }
                let pw = raw(b64_encode(login.password.expose().as_bytes()));
                self.command(sent, &pw).await
            }
            // PLAIN, and any other name (sent as PLAIN is: the plan expects what came back).
            other => {
                let blob = plain_response(&login.user, login.password.expose());
                let name = if matches!(other, Mechanism::Plain) {
                    "PLAIN".to_owned()
                } else {
                    other.to_string()
                };
                self.command(sent, &auth_cmd(&name, Some(blob))).await
            }
        }
    }

    /// Send and read without recording (SASL continuation steps).
    async fn quiet(&mut self, cmd: &Command) -> Step {
        if let Err(e) = self
            .conn
            .send(cmd.to_string().as_bytes(), self.timeout)
            .await
        {
            return closed_or(e, &mut self.closed, "AUTH");
        }
        match self.conn.read_reply(self.timeout).await {
            Ok(r) => Ok(Some(r)),
            Err(e) => closed_or(e, &mut self.closed, "AUTH"),
        }
    }

    fn set_last_tls(&mut self, info: TlsInfo) {
        if let Some(last) = self.exchanges.last_mut() {
            last.tls = Some(info);
        }
    }

    fn finish(self, purpose: Purpose) -> Conversation {
        Conversation {
            purpose,
            exchanges: self.exchanges,
            closed: self.closed,
        }
    }
}

fn closed_or(e: TransportError, closed: &mut bool, what: &str) -> Step {
    match e {
        TransportError::Closed { .. } => {
            *closed = true;
            Ok(None)
        }
        e => Err(transport(what, e)),
    }
}

fn auth_cmd(mechanism: &str, initial: Option<String>) -> Command {
    Command::Auth {
        mechanism: mechanism.to_owned(),
        initial,
    }
}

fn tls_params(o: &ProbeOptions) -> TlsParams {
    TlsParams {
        server_name: o.server_name.clone().unwrap_or_default(),
        ca_files: o.ca_file.iter().cloned().collect(),
        insecure: o.insecure,
        ..TlsParams::default()
    }
}

fn is_ok(step: &Option<Reply>, code: u16) -> bool {
    step.as_ref().is_some_and(|r| r.code.value() == code)
}

/// Connect, read the greeting and say EHLO; with `starttls`, upgrade and say EHLO again.
/// Returns the session and whether it got that far (greeting 220, EHLO 250, TLS up).
async fn open(
    o: &ProbeOptions,
    starttls: bool,
) -> Result<(Session, bool, Option<Reply>), ProbeError> {
    let implicit = (o.tls == ProbeTls::Implicit).then(|| tls_params(o));
    let (conn, info) = Connection::connect(
        &o.host,
        o.port,
        o.timeout,
        implicit.as_ref(),
        Limits::default(),
    )
    .await
    .map_err(|e| transport("connect", e))?;
    let mut s = Session {
        conn,
        timeout: o.timeout,
        exchanges: Vec::new(),
        closed: false,
    };
    let greeting = s.read(Sent::Greeting, "the greeting").await?;
    if let Some(info) = info {
        s.set_last_tls(info);
    }
    if !is_ok(&greeting, 220) {
        return Ok((s, false, None));
    }
    let ehlo = s
        .command(Sent::Ehlo, &Command::Ehlo(o.ehlo.clone()))
        .await?;
    if !is_ok(&ehlo, 250) {
        return Ok((s, false, None));
    }
    if !starttls {
        return Ok((s, true, ehlo));
    }
    let reply = s.command(Sent::StartTls, &Command::StartTls).await?;
    if !is_ok(&reply, 220) {
        return Ok((s, false, None));
    }
    let info = s
        .conn
        .start_tls(&tls_params(o), o.timeout)
        .await
        .map_err(|e| transport("STARTTLS", e))?;
    s.set_last_tls(info);
    let ehlo = s
        .command(Sent::Ehlo, &Command::Ehlo(o.ehlo.clone()))
        .await?;
    let ok = is_ok(&ehlo, 250);
    Ok((s, ok, ehlo))
}

async fn quit(mut s: Session, purpose: Purpose) -> Result<Conversation, ProbeError> {
    if !s.closed {
        s.command(Sent::Quit, &Command::Quit).await?;
    }
    Ok(s.finish(purpose))
}

/// MAIL FROM (and RCPT TO when it was accepted and a recipient is given).
async fn mail(
    s: &mut Session,
    o: &ProbeOptions,
    from: &str,
    as_user: bool,
) -> Result<(), ProbeError> {
    let cmd = Command::Mail {
        from: from.to_owned(),
        params: Vec::new(),
    };
    let reply = s.command(Sent::MailFrom { as_user }, &cmd).await?;
    if let (true, Some(to)) = (is_ok(&reply, 250), &o.rcpt) {
        let cmd = Command::Rcpt {
            to: to.clone(),
            params: Vec::new(),
        };
        s.command(Sent::RcptTo, &cmd).await?;
    }
    Ok(())
}

/// Run every conversation the options call for.
pub async fn probe(o: &ProbeOptions) -> Result<Observation, ProbeError> {
    let started = crate::transport::date::unix_now();
    let mut conversations = Vec::new();

    // 1. Greeting and capabilities, as the server shows them on connect.
    let (s, ok, ehlo) = open(o, false).await?;
    let caps = ehlo.as_ref().map(Capabilities::parse).unwrap_or_default();
    conversations.push(quit(s, Purpose::Capabilities).await?);
    if !ok {
        return Ok(Observation {
            conversations,
            mechanism: None,
            started,
        });
    }

    // 2. STARTTLS, and the capabilities after it.
    let use_starttls = match o.tls {
        ProbeTls::Auto => caps.has("STARTTLS"),
        ProbeTls::StartTls => {
            if !caps.has("STARTTLS") {
                let listed: Vec<&str> = caps.iter().map(|c| c.keyword.as_str()).collect();
                return Err(ProbeError::NoStartTls {
                    listed: listed.join(" "),
                });
            }
            true
        }
        ProbeTls::None | ProbeTls::Implicit => false,
    };
    let mut secure_caps = caps.clone();
    if use_starttls {
        let (s, _ok, ehlo) = open(o, true).await?;
        if let Some(e) = &ehlo {
            secure_caps = Capabilities::parse(e);
        }
        conversations.push(quit(s, Purpose::StartTls).await?);
    }

    // 3. Mail without AUTH (over TLS when there is TLS).
    if let Some(from) = &o.mail_from {
        let (mut s, ok, _) = open(o, use_starttls).await?;
        if ok {
            mail(&mut s, o, from, false).await?;
        }
        conversations.push(quit(s, Purpose::AnonymousMail).await?);
    }

    // 4. AUTH with the given login, then mail as that user.
    let mut mechanism = None;
    if let Some(login) = &o.login {
        // Credentials never go over a connection without TLS (as in `auth` steps).
        if !use_starttls && o.tls != ProbeTls::Implicit {
            return Err(ProbeError::PlaintextAuth);
        }
        let mech = login.mechanism.unwrap_or_else(|| {
            if secure_caps.has_param("AUTH", "PLAIN") || !secure_caps.has_param("AUTH", "LOGIN") {
                Mechanism::Plain
            } else {
                Mechanism::Login
            }
        });
        let (mut s, ok, _) = open(o, use_starttls).await?;
        if ok {
            let reply = s.auth(&mech, login).await?;
            if is_ok(&reply, 235) && o.mail_from.is_some() {
                let as_user = login.user.contains('@');
                let from = if as_user {
                    login.user.clone()
                } else {
                    o.mail_from.clone().unwrap_or_default()
                };
                mail(&mut s, o, &from, as_user).await?;
            }
        }
        conversations.push(quit(s, Purpose::Auth).await?);
        mechanism = Some(mech);
    }
    Ok(Observation {
        conversations,
        mechanism,
        started,
    })
}
