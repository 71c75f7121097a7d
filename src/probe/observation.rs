//! What the probe saw, as plain data: each conversation's purpose, the steps sent and the
//! replies (and TLS sessions) they got; the plan is written from it.

use crate::protocol::{Mechanism, Reply};
use crate::transport::TlsInfo;

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
    /// MAIL FROM before STARTTLS on a port that offers it: the plaintext policy.
    PlaintextMail,
    AnonymousMail,
    /// AUTH with one mechanism.
    Auth(Mechanism),
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub purpose: Purpose,
    pub exchanges: Vec<Exchange>,
    /// The server closed the connection after the last exchange (instead of a reply).
    pub closed: bool,
    /// Why the AUTH exchange was given up on the client side (a wrong SCRAM server signature,
    /// a malformed challenge): the conversation then has no AUTH step to assert.
    pub auth_failed: Option<String>,
}

/// Everything the probe saw.
#[derive(Debug, Clone)]
pub struct Observation {
    pub conversations: Vec<Conversation>,
    /// AUTH mechanisms the server advertised that the probe did not try, and why.
    pub untried: Vec<(String, &'static str)>,
    /// Unix time the probe started.
    pub started: i64,
}
