//! The probe's conversations with the server: each one a connection of the client session
//! whose replies are kept, to become one scenario of the written plan.

use std::path::PathBuf;
use std::time::Duration;

use super::observation::{Conversation, Exchange, Observation, Purpose, Sent};
use crate::protocol::{Capabilities, Command, Limits, Mechanism, Reply};
use crate::redact::{Redactor, Secret};
use crate::results::{FailureKind, StepFailure};
use crate::session::{AuthEnd, Credentials, Session};
use crate::transport::{ConnectOptions, TlsInfo, TlsParams};

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
    /// Sender of the unauthenticated MAIL FROM checks; `None` skips MAIL and RCPT checks.
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
    /// `None`: every mechanism the server advertises that works with a password (PLAIN when
    /// it advertises none).
    pub mechanism: Option<Mechanism>,
}

/// Why a probe could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Talking to the server failed (connect, TLS, a timeout, bytes nobody asked for...).
    #[error("{what}: {}", failure.reason)]
    Session { what: String, failure: StepFailure },
    #[error("the server does not offer STARTTLS (EHLO lists: {listed}); use --tls auto or none")]
    NoStartTls { listed: String },
    /// `--user` against a server without TLS: the password would travel in plaintext.
    #[error(
        "the server does not offer STARTTLS: refusing to send the password of --user over a connection without TLS (no AUTH was sent); probe without --user, or with --tls implicit on an implicit-TLS port"
    )]
    PlaintextAuth,
}

impl ProbeError {
    /// The kind of failure, when talking to the server failed.
    pub fn kind(&self) -> Option<FailureKind> {
        match self {
            ProbeError::Session { failure, .. } => Some(failure.kind),
            _ => None,
        }
    }
}

/// One conversation: the client session and the replies kept so far.
struct Talk {
    session: Session,
    exchanges: Vec<Exchange>,
    closed: bool,
    auth_failed: Option<String>,
}

/// A step's outcome: `None` when the server closed the connection instead of replying.
type Step = Result<Option<Reply>, ProbeError>;

impl Talk {
    fn record(&mut self, sent: Sent, res: Result<Reply, StepFailure>, what: &str) -> Step {
        match res {
            Ok(reply) => {
                self.exchanges.push(Exchange {
                    sent,
                    reply: reply.clone(),
                    tls: None,
                });
                Ok(Some(reply))
            }
            Err(f) if f.kind == FailureKind::Closed => {
                self.closed = true;
                Ok(None)
            }
            Err(failure) => Err(ProbeError::Session {
                what: what.to_owned(),
                failure,
            }),
        }
    }

    async fn read(&mut self, sent: Sent, what: &str) -> Step {
        let res = self.session.read().await;
        self.record(sent, res, what)
    }

    async fn command(&mut self, sent: Sent, cmd: &Command) -> Step {
        let what = cmd.to_string().trim_end().to_owned();
        let res = self.session.command(cmd).await;
        self.record(sent, res, &what)
    }

    /// EHLO, keeping the capabilities it advertised in the session.
    async fn ehlo(&mut self, name: &str) -> Step {
        let res = self.session.hello(name.to_owned(), false).await;
        self.record(Sent::Ehlo, res, "EHLO")
    }

    /// AUTH with `mech`: only the final reply is kept (the session masks every form of the
    /// password in its transcript; the plan never holds one).
    async fn auth(&mut self, mech: Mechanism, login: &Login) -> Step {
        let credentials = Credentials {
            user: login.user.clone(),
            secret: login.password.clone(),
            service: None,
        };
        let res = self
            .session
            .authenticate(mech, &credentials, None, false)
            .await;
        match res {
            Ok(AuthEnd::Reply(reply)) => self.record(Sent::Auth(mech), Ok(reply), "AUTH"),
            // Given up on the client side, or not even begun (SASLprep refused the password
            // for SCRAM): this mechanism has nothing to assert; the others are still tried.
            Ok(AuthEnd::Failed(f))
            | Err(
                f @ StepFailure {
                    kind: FailureKind::NotSent,
                    ..
                },
            ) => {
                self.auth_failed = Some(f.reason);
                Ok(None)
            }
            Err(f) => self.record(Sent::Auth(mech), Err(f), &format!("AUTH {mech}")),
        }
    }

    fn set_last_tls(&mut self, info: TlsInfo) {
        if let Some(last) = self.exchanges.last_mut() {
            last.tls = Some(info);
        }
    }

    async fn quit(mut self, purpose: Purpose) -> Result<Conversation, ProbeError> {
        if !self.closed && self.session.conn().is_ok() {
            self.command(Sent::Quit, &Command::Quit).await?;
        }
        Ok(Conversation {
            purpose,
            exchanges: self.exchanges,
            closed: self.closed,
            auth_failed: self.auth_failed,
        })
    }
}

fn tls_params(o: &ProbeOptions) -> TlsParams {
    TlsParams {
        server_name: o.server_name.clone().unwrap_or_else(|| o.host.clone()),
        ca_files: o.ca_file.iter().cloned().collect(),
        insecure: o.insecure,
        ..TlsParams::default()
    }
}

fn is_ok(step: &Option<Reply>, code: u16) -> bool {
    step.as_ref().is_some_and(|r| r.code.value() == code)
}

/// Connect, read the greeting and say EHLO; with `starttls`, upgrade and say EHLO again.
/// Returns the conversation and whether it got that far (greeting 220, EHLO 250, TLS up).
async fn open(o: &ProbeOptions, starttls: bool) -> Result<(Talk, bool), ProbeError> {
    let redactor = match &o.login {
        Some(l) => Redactor::new([l.password.expose()]),
        None => Redactor::default(),
    };
    let mut session = Session::new(redactor, o.timeout, Limits::default());
    let implicit = (o.tls == ProbeTls::Implicit).then(|| tls_params(o));
    let info = session
        .connect(
            &o.host,
            o.port,
            implicit.as_ref(),
            &ConnectOptions::default(),
            &[],
        )
        .await
        .map_err(|failure| ProbeError::Session {
            what: "connect".to_owned(),
            failure,
        })?;
    let mut t = Talk {
        session,
        exchanges: Vec::new(),
        closed: false,
        auth_failed: None,
    };
    let greeting = t.read(Sent::Greeting, "the greeting").await?;
    if let Some(info) = info {
        t.set_last_tls(info);
    }
    if !is_ok(&greeting, 220) {
        return Ok((t, false));
    }
    let ehlo = t.ehlo(&o.ehlo).await?;
    if !is_ok(&ehlo, 250) || !starttls {
        let ok = is_ok(&ehlo, 250);
        return Ok((t, ok));
    }
    let reply = t.command(Sent::StartTls, &Command::StartTls).await?;
    if !is_ok(&reply, 220) {
        return Ok((t, false));
    }
    let info = t
        .session
        .start_tls(&tls_params(o))
        .await
        .map_err(|failure| ProbeError::Session {
            what: "STARTTLS".to_owned(),
            failure,
        })?;
    t.set_last_tls(info);
    let ehlo = t.ehlo(&o.ehlo).await?;
    let ok = is_ok(&ehlo, 250);
    Ok((t, ok))
}

/// MAIL FROM (and RCPT TO when it was accepted and a recipient is given).
async fn mail(
    t: &mut Talk,
    o: &ProbeOptions,
    from: &str,
    as_user: bool,
    rcpt: bool,
) -> Result<(), ProbeError> {
    let cmd = Command::Mail {
        from: from.to_owned(),
        params: Vec::new(),
    };
    let reply = t.command(Sent::MailFrom { as_user }, &cmd).await?;
    if let (true, true, Some(to)) = (rcpt, is_ok(&reply, 250), &o.rcpt) {
        let cmd = Command::Rcpt {
            to: to.clone(),
            params: Vec::new(),
        };
        t.command(Sent::RcptTo, &cmd).await?;
    }
    Ok(())
}

/// The mechanisms to try: the one asked for, or every advertised one that works with a
/// password (strongest first; PLAIN when none is advertised); and the advertised ones left
/// out, with why.
fn mechanisms(login: &Login, caps: &Capabilities) -> (Vec<Mechanism>, Vec<(String, &'static str)>) {
    if let Some(m) = login.mechanism {
        return (vec![m], Vec::new());
    }
    // As the server wrote them (a secret it echoed there is masked only in that form).
    let offered = caps.params("AUTH");
    let mut tried: Vec<Mechanism> = Mechanism::ALL
        .into_iter()
        .filter(|m| {
            !m.uses_token()
                && !m.uses_ticket()
                && offered.iter().any(|o| o.eq_ignore_ascii_case(m.name()))
        })
        .collect();
    let untried = offered
        .iter()
        .map(|name| (*name).to_owned())
        .filter_map(
            |name| match name.to_ascii_uppercase().parse::<Mechanism>() {
                Ok(m) if tried.contains(&m) => None,
                Ok(m) if m.uses_ticket() => {
                    Some((name, "it needs a Kerberos ticket, not a password"))
                }
                Ok(_) => Some((name, "it needs a token, not a password")),
                Err(_) => Some((name, "smtp-plan does not implement it")),
            },
        )
        .collect();
    if tried.is_empty() {
        tried.push(Mechanism::Plain);
    }
    (tried, untried)
}

/// Run every conversation the options call for.
pub async fn probe(o: &ProbeOptions) -> Result<Observation, ProbeError> {
    let started = crate::transport::date::unix_now();
    let mut conversations = Vec::new();
    let mut untried = Vec::new();

    // 1. Greeting and capabilities, as the server shows them on connect.
    let (t, ok) = open(o, false).await?;
    let caps = t.session.capabilities.clone().unwrap_or_default();
    conversations.push(t.quit(Purpose::Capabilities).await?);
    if !ok {
        return Ok(Observation {
            conversations,
            untried,
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
        let (t, _ok) = open(o, true).await?;
        if let Some(c) = &t.session.capabilities {
            secure_caps = c.clone();
        }
        conversations.push(t.quit(Purpose::StartTls).await?);
    }

    if let Some(from) = &o.mail_from {
        // 3. The plaintext policy: what MAIL FROM gets before STARTTLS, where STARTTLS is
        // offered.
        if use_starttls {
            let (mut t, ok) = open(o, false).await?;
            if ok {
                mail(&mut t, o, from, false, false).await?;
            }
            conversations.push(t.quit(Purpose::PlaintextMail).await?);
        }
        // 4. Mail without AUTH (over TLS when there is TLS).
        let (mut t, ok) = open(o, use_starttls).await?;
        if ok {
            mail(&mut t, o, from, false, true).await?;
        }
        conversations.push(t.quit(Purpose::AnonymousMail).await?);
    }

    // 5. AUTH with each mechanism, each on its own connection; mail as that user after the
    // first that succeeds.
    if let Some(login) = &o.login {
        // Credentials never go over a connection without TLS (as in `auth` steps).
        if !use_starttls && o.tls != ProbeTls::Implicit {
            return Err(ProbeError::PlaintextAuth);
        }
        let (tried, skipped) = mechanisms(login, &secure_caps);
        untried = skipped;
        let mut mailed = false;
        for mech in tried {
            let (mut t, ok) = open(o, use_starttls).await?;
            if ok {
                let reply = t.auth(mech, login).await?;
                if is_ok(&reply, 235) && !mailed && o.mail_from.is_some() {
                    mailed = true;
                    let as_user = login.user.contains('@');
                    let from = if as_user {
                        login.user.clone()
                    } else {
                        o.mail_from.clone().unwrap_or_default()
                    };
                    mail(&mut t, o, &from, as_user, true).await?;
                }
            }
            conversations.push(t.quit(Purpose::Auth(mech)).await?);
        }
    }
    Ok(Observation {
        conversations,
        untried,
        started,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn caps(lines: &[&str]) -> Capabilities {
        Capabilities::parse(&Reply::new(250, lines).unwrap())
    }

    fn login(mechanism: Option<Mechanism>) -> Login {
        Login {
            user: "u@x.test".into(),
            password: Secret::new("Long-enough-pw-1"),
            password_env: "PW".into(),
            mechanism,
        }
    }

    #[test]
    fn every_advertised_password_mechanism_is_tried_strongest_first() {
        let c = caps(&[
            "x.test",
            "AUTH login PLAIN XOAUTH2 GSSAPI CRAM-MD5 SCRAM-SHA-256",
        ]);
        let (tried, untried) = mechanisms(&login(None), &c);
        use Mechanism as M;
        assert_eq!(tried, [M::ScramSha256, M::CramMd5, M::Plain, M::Login]);
        assert_eq!(
            untried,
            [
                ("XOAUTH2".to_owned(), "it needs a token, not a password"),
                (
                    "GSSAPI".to_owned(),
                    "it needs a Kerberos ticket, not a password"
                ),
            ]
        );
    }

    #[test]
    fn plain_when_none_is_advertised_and_only_the_one_asked_for() {
        let (tried, untried) = mechanisms(&login(None), &caps(&["x.test", "SIZE 10"]));
        assert_eq!((tried, untried), (vec![Mechanism::Plain], Vec::new()));
        let c = caps(&["x.test", "AUTH PLAIN LOGIN"]);
        let (tried, untried) = mechanisms(&login(Some(Mechanism::Ntlm)), &c);
        assert_eq!((tried, untried), (vec![Mechanism::Ntlm], Vec::new()));
    }
}
