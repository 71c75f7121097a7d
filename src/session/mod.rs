//! One SMTP client session: the connection, its transcript, the last reply and the
//! capabilities; commands, replies, STARTTLS and AUTH with every mechanism. The runner plays
//! plans on it and `probe` explores a server with it: one client, one set of safeguards
//! (no write on top of unsolicited bytes, bounded reads with timeouts, redaction, no secret
//! without TLS, typed failures).

mod auth;
mod client;
mod transcript;

pub use auth::{AuthEnd, Credentials};
pub use client::Session;
pub use transcript::{DataLines, Transcript};
