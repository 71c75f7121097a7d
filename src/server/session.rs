//! One SMTP session as a state machine without I/O: a command line in, a reply and what the
//! connection must do next out. Replies are worded like Microsoft Exchange.

use std::net::IpAddr;

use crate::protocol::{Command, CommandError, Reply, ReplyCode, parse_command};

use super::ServerConfig;
use super::maildir::Delivery;
use super::sasl::{ADVERTISED, Exchange, Sasl, SaslStep};

/// Bad commands tolerated before the server hangs up.
const MAX_ERRORS: u32 = 10;
/// Recipients per message.
const MAX_RECIPIENTS: usize = 100;

/// What the connection does after writing the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Continue,
    /// Hand the socket to the TLS acceptor, then call [`Session::tls_started`].
    StartTls,
    /// Read the message up to the lone `.`, then call [`Session::message_received`].
    Data,
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub reply: Reply,
    pub next: Next,
}

fn reply(code: ReplyCode, text: &str) -> Reply {
    Reply::with_lines(code, [text])
}

fn answer(code: ReplyCode, text: &str) -> Answer {
    Answer {
        reply: reply(code, text),
        next: Next::Continue,
    }
}

#[derive(Debug)]
struct Envelope {
    from: String,
    to: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Session<'a> {
    config: &'a ServerConfig,
    peer_ip: IpAddr,
    tls: bool,
    /// The EHLO/HELO argument, once greeted; `esmtp` tells which.
    helo: Option<String>,
    esmtp: bool,
    user: Option<String>,
    sasl: Option<Exchange>,
    envelope: Option<Envelope>,
    errors: u32,
}

impl<'a> Session<'a> {
    pub(crate) fn new(config: &'a ServerConfig, peer_ip: IpAddr, tls: bool) -> Self {
        Self {
            config,
            peer_ip,
            tls,
            helo: None,
            esmtp: false,
            user: None,
            sasl: None,
            envelope: None,
            errors: 0,
        }
    }

    pub(crate) fn greeting(&self, date: &str) -> Reply {
        reply(
            ReplyCode::SERVICE_READY,
            &format!(
                "{} Microsoft ESMTP MAIL Service ready at {date}",
                self.config.hostname
            ),
        )
    }

    /// RFC 3207: after the handshake, forget everything learnt in plaintext.
    pub(crate) fn tls_started(&mut self) {
        self.tls = true;
        self.helo = None;
        self.esmtp = false;
        self.user = None;
        self.sasl = None;
        self.envelope = None;
    }

    pub(crate) fn handle(&mut self, line: &str) -> Answer {
        if let Some(state) = self.sasl.take() {
            return self.sasl_response(state, line);
        }
        let result = match parse_command(line) {
            Ok(cmd) => self.command(cmd),
            Err(CommandError::Unknown) => {
                Err(reply(ReplyCode::SYNTAX_ERROR, "5.3.3 Unrecognized command"))
            }
            Err(CommandError::Syntax) => Err(reply(
                ReplyCode::PARAMETER_SYNTAX_ERROR,
                "5.5.4 Invalid arguments",
            )),
        };
        match result {
            Ok(a) => a,
            Err(r) => self.error(r),
        }
    }

    /// A bad command: counted, and after too many the server hangs up.
    fn error(&mut self, r: Reply) -> Answer {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            return Answer {
                reply: reply(
                    ReplyCode::SERVICE_UNAVAILABLE,
                    "4.7.0 Too many errors on this connection, closing transmission channel",
                ),
                next: Next::Close,
            };
        }
        Answer {
            reply: r,
            next: Next::Continue,
        }
    }

    /// `Err` marks a reply that counts as a client error.
    fn command(&mut self, cmd: Command) -> Result<Answer, Reply> {
        let hostname = &self.config.hostname;
        Ok(match cmd {
            Command::Ehlo(domain) => {
                self.helo = Some(domain);
                self.esmtp = true;
                self.envelope = None;
                Answer {
                    reply: self.ehlo_reply(),
                    next: Next::Continue,
                }
            }
            Command::Helo(domain) => {
                self.helo = Some(domain);
                self.esmtp = false;
                self.envelope = None;
                answer(
                    ReplyCode::OK,
                    &format!("{hostname} Hello [{}]", self.peer_ip),
                )
            }
            Command::Lhlo(_)
            | Command::Raw(_)
            | Command::Etrn(_)
            | Command::Expn(_)
            | Command::Help(_)
            | Command::Bdat { .. } => {
                return Err(reply(ReplyCode::SYNTAX_ERROR, "5.3.3 Unrecognized command"));
            }
            Command::StartTls => {
                if self.tls {
                    return Err(reply(ReplyCode::BAD_SEQUENCE, "5.5.2 Already in TLS"));
                }
                Answer {
                    reply: reply(ReplyCode::SERVICE_READY, "2.0.0 SMTP server ready"),
                    next: Next::StartTls,
                }
            }
            Command::Auth { mechanism, initial } => return self.auth(&mechanism, initial),
            Command::Mail { from, params } => return self.mail(from, &params),
            Command::Rcpt { to, .. } => {
                let Some(env) = self.envelope.as_mut() else {
                    return Err(reply(ReplyCode::BAD_SEQUENCE, "5.5.2 Need mail command"));
                };
                if env.to.len() >= MAX_RECIPIENTS {
                    return Ok(answer(
                        ReplyCode::INSUFFICIENT_STORAGE,
                        "4.5.3 Too many recipients",
                    ));
                }
                env.to.push(to);
                answer(ReplyCode::OK, "2.1.5 Recipient OK")
            }
            Command::Data => match &self.envelope {
                None => return Err(reply(ReplyCode::BAD_SEQUENCE, "5.5.2 Need mail command")),
                Some(env) if env.to.is_empty() => {
                    return Err(reply(ReplyCode::BAD_SEQUENCE, "5.5.2 Need rcpt command"));
                }
                Some(_) => Answer {
                    reply: reply(
                        ReplyCode::START_MAIL_INPUT,
                        "Start mail input; end with <CRLF>.<CRLF>",
                    ),
                    next: Next::Data,
                },
            },
            Command::Rset => {
                self.envelope = None;
                answer(ReplyCode::OK, "2.0.0 Resetting")
            }
            Command::Noop => answer(ReplyCode::OK, "2.0.0 OK"),
            Command::Vrfy(_) => answer(ReplyCode::CANNOT_VRFY, "2.1.5 Cannot VRFY user"),
            Command::Quit => Answer {
                reply: reply(
                    ReplyCode::CLOSING,
                    "2.0.0 Service closing transmission channel",
                ),
                next: Next::Close,
            },
        })
    }

    fn ehlo_reply(&self) -> Reply {
        let mut lines = vec![
            format!("{} Hello [{}]", self.config.hostname, self.peer_ip),
            format!("SIZE {}", self.config.max_message_bytes),
            "PIPELINING".to_owned(),
            "DSN".to_owned(),
            "ENHANCEDSTATUSCODES".to_owned(),
        ];
        if !self.tls {
            lines.push("STARTTLS".to_owned());
        }
        let mechanisms: Vec<&str> = ADVERTISED.iter().map(|m| m.name()).collect();
        lines.push(format!("AUTH {}", mechanisms.join(" ")));
        lines.extend(["8BITMIME", "SMTPUTF8"].map(str::to_owned));
        Reply::with_lines(ReplyCode::OK, lines)
    }

    fn mail(&mut self, from: String, params: &[String]) -> Result<Answer, Reply> {
        if self.helo.is_none() {
            return Err(reply(ReplyCode::BAD_SEQUENCE, "5.5.2 Send hello first"));
        }
        if self.envelope.is_some() {
            return Err(reply(
                ReplyCode::BAD_SEQUENCE,
                "5.5.2 Sender already specified",
            ));
        }
        if self.config.require_auth && self.user.is_none() {
            return Ok(answer(
                ReplyCode::AUTH_REQUIRED,
                "5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM",
            ));
        }
        let declared = params.iter().find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.eq_ignore_ascii_case("SIZE")
                .then(|| v.parse::<u64>().ok())?
        });
        if declared.is_some_and(|n| n > self.config.max_message_bytes as u64) {
            return Ok(too_big());
        }
        self.envelope = Some(Envelope {
            from,
            to: Vec::new(),
        });
        Ok(answer(ReplyCode::OK, "2.1.0 Sender OK"))
    }

    fn auth(&mut self, mechanism: &str, initial: Option<String>) -> Result<Answer, Reply> {
        if self.helo.is_none() {
            return Err(reply(ReplyCode::BAD_SEQUENCE, "5.5.2 Send hello first"));
        }
        if self.user.is_some() {
            return Err(reply(
                ReplyCode::BAD_SEQUENCE,
                "5.5.2 Already authenticated",
            ));
        }
        if self.envelope.is_some() {
            return Err(reply(
                ReplyCode::BAD_SEQUENCE,
                "5.5.2 Mail transaction in progress",
            ));
        }
        let Some((state, first)) = self.sasl().start(&mechanism.to_ascii_uppercase()) else {
            return Err(reply(
                ReplyCode::PARAMETER_NOT_IMPLEMENTED,
                "5.7.4 Unrecognized authentication type",
            ));
        };
        Ok(match initial {
            // RFC 4954: "=" is an empty initial response.
            Some(first) => self.sasl_response(state, &first),
            None => self.sasl_answer(Some(state), first),
        })
    }

    fn sasl(&self) -> Sasl<'a> {
        Sasl {
            users: &self.config.users,
            hostname: &self.config.hostname,
        }
    }

    fn sasl_response(&mut self, state: Exchange, line: &str) -> Answer {
        if line.trim() == "*" {
            return self.error(reply(
                ReplyCode::PARAMETER_SYNTAX_ERROR,
                "5.0.0 Authentication cancelled",
            ));
        }
        let (next, step) = self.sasl().respond(state, line);
        self.sasl_answer(next, step)
    }

    fn sasl_answer(&mut self, next: Option<Exchange>, step: SaslStep) -> Answer {
        match step {
            SaslStep::Challenge(text) => {
                self.sasl = next;
                answer(ReplyCode::AUTH_CONTINUE, &text)
            }
            SaslStep::Success(user) => {
                self.user = Some(user);
                answer(
                    ReplyCode::AUTH_SUCCESSFUL,
                    "2.7.0 Authentication successful",
                )
            }
            SaslStep::Failure => self.error(reply(
                ReplyCode::AUTH_FAILED,
                "5.7.3 Authentication unsuccessful",
            )),
            SaslStep::Malformed => self.error(reply(
                ReplyCode::PARAMETER_SYNTAX_ERROR,
                "5.5.2 Cannot Decode response",
            )),
        }
    }

    /// After the lone `.`: the transaction ends whatever happens next. `None` if there was
    /// no transaction (cannot happen after `Next::Data`).
    pub(crate) fn message_received(&mut self, queue_id: &str, date: &str) -> Option<Delivery> {
        let env = self.envelope.take()?;
        let protocol = match (self.esmtp, self.tls, self.user.is_some()) {
            (false, _, _) => "SMTP",
            (true, false, false) => "ESMTP",
            (true, false, true) => "ESMTPA",
            (true, true, false) => "ESMTPS",
            (true, true, true) => "ESMTPSA",
        };
        Some(Delivery {
            from: env.from,
            to: env.to,
            helo: self.helo.clone().unwrap_or_default(),
            peer_ip: self.peer_ip.to_string(),
            protocol,
            queue_id: queue_id.to_owned(),
            date: date.to_owned(),
        })
    }

    pub(crate) fn queued(&self, queue_id: &str, internal_id: u64) -> Reply {
        let host = &self.config.hostname;
        reply(
            ReplyCode::OK,
            &format!(
                "2.6.0 <{queue_id}@{host}> [InternalId={internal_id}, Hostname={host}] Queued mail for delivery"
            ),
        )
    }
}

pub(crate) fn too_big() -> Answer {
    answer(
        ReplyCode::EXCEEDED_STORAGE,
        "5.3.4 Message size exceeds fixed maximum message size",
    )
}

pub(crate) fn store_failed() -> Reply {
    reply(ReplyCode::LOCAL_ERROR, "4.3.0 Could not store the message")
}

pub(crate) fn timed_out() -> Reply {
    reply(ReplyCode::SERVICE_UNAVAILABLE, "4.4.1 Connection timed out")
}

pub(crate) fn line_too_long() -> Reply {
    reply(ReplyCode::SYNTAX_ERROR, "5.5.6 Line too long")
}

pub(crate) fn too_many_connections() -> Reply {
    reply(
        ReplyCode::SERVICE_UNAVAILABLE,
        "4.3.2 Service not available, too many connections",
    )
}
