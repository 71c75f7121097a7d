//! An IMAP session for finding a delivered message: connect (implicit TLS, STARTTLS or plain),
//! LOGIN, list folders, search by Message-ID, fetch. async-imap speaks the protocol; TLS is the
//! project's own (same verification as SMTP); every command has a timeout and a byte budget.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_imap::types::NameAttribute;
use async_imap::{Client, Session};
use futures_util::StreamExt as _;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::bounded::{Bounded, Budget};
use super::delivered::parse_message_id;
use super::error::MailboxError;
use super::found::{Found, Looked, MAX_MESSAGE_BYTES, delivered_earlier};
use crate::duration::format_duration;
use crate::model::ImapTls;
use crate::redact::Secret;
use crate::transport::stream::Stream;
use crate::transport::{TlsInfo, TlsParams};

type Inner = Bounded<Stream<TlsStream<TcpStream>>>;

/// What a small answer (greeting, LOGIN, LIST, EXAMINE, SEARCH) may hold.
const SMALL_ANSWER: usize = 1024 * 1024;

/// The most messages with one Message-ID smtp-plan reads in a folder (each is fetched).
const MAX_HITS: usize = 1000;

/// Where and as whom to log in.
#[derive(Debug)]
pub struct ImapLogin<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: ImapTls,
    pub params: TlsParams,
    /// Per command (and for the connection and the handshake).
    pub timeout: Duration,
    pub username: &'a str,
    pub password: &'a Secret,
}

pub struct ImapBox {
    session: Session<Inner>,
    budget: Budget,
    timeout: Duration,
}

impl std::fmt::Debug for ImapBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapBox").finish_non_exhaustive()
    }
}

/// `f` within `timeout`, or a timeout error naming `what`.
async fn timed<T, F>(timeout: Duration, what: &str, f: F) -> Result<T, MailboxError>
where
    F: std::future::Future<Output = Result<T, MailboxError>>,
{
    tokio::time::timeout(timeout, f).await.unwrap_or_else(|_| {
        Err(MailboxError::Timeout {
            what: what.to_owned(),
            after: format_duration(timeout),
        })
    })
}

/// The server's text out of async-imap's debug-formatted NO/BAD (`.. info: Some("TEXT")` or
/// `.. information: Some("TEXT") }`).
fn server_text(t: &str) -> String {
    match t.split_once("Some(\"") {
        Some((_, rest)) => rest
            .rsplit_once("\")")
            .map_or(rest, |(inner, _)| inner)
            .replace("\\\"", "\"")
            .replace("\\\\", "\\"),
        None => t.trim().to_owned(),
    }
}

fn imap_err(e: async_imap::error::Error) -> MailboxError {
    MailboxError::Imap(match e {
        async_imap::error::Error::No(t) => format!("the server answered NO: {}", server_text(&t)),
        async_imap::error::Error::Bad(t) => {
            format!("the server answered BAD: {}", server_text(&t))
        }
        async_imap::error::Error::ConnectionLost => "the server closed the connection".to_owned(),
        async_imap::error::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    })
}

/// An IMAP quoted string, or None when the text cannot be one (CR, LF, NUL, non-ASCII).
fn quoted(text: &str) -> Option<String> {
    if !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    Some(format!(
        "\"{}\"",
        text.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

impl ImapBox {
    /// Connect, start TLS as asked, read the greeting and log in. Returns the TLS session, if
    /// any, for the transcript.
    pub async fn open(login: ImapLogin<'_>) -> Result<(Self, Option<TlsInfo>), MailboxError> {
        let shown = crate::protocol::HostPort::new(login.host, login.port);
        let host = shown.bare_host();
        let addr = shown.to_string();
        let t = login.timeout;
        let tcp = match tokio::time::timeout(t, TcpStream::connect((host, login.port))).await {
            Err(_) => {
                return Err(MailboxError::Connect {
                    addr,
                    reason: format!("timed out after {}", format_duration(t)),
                    refused: false,
                    timed_out: true,
                });
            }
            Ok(Err(e)) => {
                let refused = e.kind() == std::io::ErrorKind::ConnectionRefused;
                return Err(MailboxError::Connect {
                    addr,
                    reason: if refused {
                        "connection refused".to_owned()
                    } else {
                        e.to_string()
                    },
                    refused,
                    timed_out: false,
                });
            }
            Ok(Ok(s)) => s,
        };
        let _ = tcp.set_nodelay(true);
        let budget = Budget::default();
        budget.set(SMALL_ANSWER);
        let mut info = None;
        let stream = if login.tls == ImapTls::Implicit {
            let (tls, i) = crate::transport::handshake(tcp, &login.params, host, t)
                .await
                .map_err(MailboxError::Tls)?;
            info = Some(i);
            Stream::Tls(Box::new(tls))
        } else {
            Stream::Plain(tcp)
        };
        let mut client = Client::new(Bounded::new(stream, budget.clone()));
        timed(t, "the greeting", async {
            match client.read_response().await {
                Ok(Some(r)) => match r.parsed() {
                    async_imap::imap_proto::Response::Data {
                        status: async_imap::imap_proto::Status::Ok | async_imap::imap_proto::Status::PreAuth,
                        ..
                    } => Ok(()),
                    other => Err(MailboxError::Imap(format!(
                        "the server did not greet with OK: {other:?}"
                    ))),
                },
                Ok(None) => Err(MailboxError::Imap(
                    "the server closed the connection before its greeting".to_owned(),
                )),
                Err(e) => Err(MailboxError::Imap(e.to_string())),
            }
        })
        .await?;
        if login.tls == ImapTls::StartTls {
            budget.set(SMALL_ANSWER);
            timed(t, "STARTTLS", async {
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| match imap_err(e) {
                        MailboxError::Imap(r) => MailboxError::Imap(format!(
                            "STARTTLS failed ({r}); smtp-plan never logs in without TLS unless `allow_plaintext: true` and `tls: none`"
                        )),
                        other => other,
                    })
            })
            .await?;
            let Stream::Plain(tcp) = client.into_inner().inner else {
                return Err(MailboxError::Imap(
                    "STARTTLS on a TLS connection".to_owned(),
                ));
            };
            let (tls, i) = crate::transport::handshake(tcp, &login.params, host, t)
                .await
                .map_err(MailboxError::Tls)?;
            info = Some(i);
            client = Client::new(Bounded::new(Stream::Tls(Box::new(tls)), budget.clone()));
        }
        budget.set(SMALL_ANSWER);
        let user = login.username.to_owned();
        let session = timed(t, "LOGIN", async {
            client
                .login(login.username, login.password.expose())
                .await
                .map_err(|(e, _)| MailboxError::Login {
                    user: user.clone(),
                    reason: match imap_err(e) {
                        MailboxError::Imap(r) => r,
                        other => other.to_string(),
                    },
                })
        })
        .await?;
        Ok((
            Self {
                session,
                budget,
                timeout: t,
            },
            info,
        ))
    }

    /// Every selectable folder (`LIST "" *`).
    pub async fn folders(&mut self) -> Result<Vec<String>, MailboxError> {
        self.budget.set(SMALL_ANSWER);
        let session = &mut self.session;
        timed(self.timeout, "LIST", async {
            let stream = session.list(Some(""), Some("*")).await.map_err(imap_err)?;
            let names: Vec<_> = stream.collect().await;
            let mut out = Vec::new();
            for name in names {
                let name = name.map_err(imap_err)?;
                if !name.attributes().contains(&NameAttribute::NoSelect) {
                    out.push(name.name().to_owned());
                }
            }
            Ok(out)
        })
        .await
    }

    /// The message with this Message-ID (`<..>`) in `folder`, if it is there. IMAP's header
    /// search matches substrings: the Message-ID of each hit is compared exactly. A copy whose
    /// INTERNALDATE is before `not_before` (by more than the slack) is left aside unread.
    pub async fn find(
        &mut self,
        folder: &str,
        message_id: &str,
        not_before: Option<SystemTime>,
    ) -> Result<Looked, MailboxError> {
        let t = self.timeout;
        let query = quoted(message_id).ok_or_else(|| {
            MailboxError::Imap(format!(
                "the Message-ID {message_id:?} cannot be searched for over IMAP (not printable ASCII)"
            ))
        })?;
        if quoted(folder).is_none() {
            return Err(MailboxError::Imap(format!(
                "invalid folder name {folder:?}"
            )));
        }
        self.budget.set(SMALL_ANSWER);
        let session = &mut self.session;
        timed(t, &format!("EXAMINE {folder}"), async {
            session.examine(folder).await.map(|_| ()).map_err(imap_err)
        })
        .await?;
        self.budget.set(SMALL_ANSWER);
        let session = &mut self.session;
        let mut uids: Vec<u32> = timed(t, "UID SEARCH", async {
            session
                .uid_search(format!("HEADER Message-ID {query}"))
                .await
                .map_err(imap_err)
        })
        .await?
        .into_iter()
        .collect();
        if uids.len() > MAX_HITS {
            return Err(MailboxError::Imap(format!(
                "the search for {message_id} in {folder} found {} messages, more than the {MAX_HITS} smtp-plan reads",
                uids.len()
            )));
        }
        uids.sort_unstable();
        let mut looked = Looked::default();
        let mut copies = 0;
        for uid in uids {
            let (size, date) = self.metadata(uid).await?;
            if let Some(date) = date
                && delivered_earlier(date, not_before)
            {
                looked.earlier += 1;
                continue;
            }
            if not_before.is_some() && date.is_none() {
                return Err(MailboxError::Imap(format!(
                    "UID {uid}: the server gave no INTERNALDATE, so it cannot be told whether this copy was delivered before this run sent the message"
                )));
            }
            let raw = self.fetch(uid, size).await?;
            if parse_message_id(&raw).is_some_and(|id| id == message_id) {
                copies += 1;
                if looked.found.is_none() {
                    looked.found = Some(Found {
                        folder: folder.to_owned(),
                        raw,
                        copies: 0,
                    });
                }
            }
        }
        if let Some(found) = &mut looked.found {
            found.copies = copies;
        }
        Ok(looked)
    }

    /// The size (RFC822.SIZE) and delivery time (INTERNALDATE) of a message by UID.
    async fn metadata(
        &mut self,
        uid: u32,
    ) -> Result<(Option<u32>, Option<SystemTime>), MailboxError> {
        self.budget.set(SMALL_ANSWER);
        let session = &mut self.session;
        let meta = timed(
            self.timeout,
            "UID FETCH (RFC822.SIZE INTERNALDATE)",
            async {
                fetch_first(session, uid, "(RFC822.SIZE INTERNALDATE)", |f| {
                    Some((f.size, f.internal_date().map(|d| d.timestamp())))
                })
                .await
            },
        )
        .await?;
        let (size, date) = meta.unwrap_or((None, None));
        let date = date.map(|secs| match u64::try_from(secs) {
            Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
            Err(_) => UNIX_EPOCH,
        });
        Ok((size, date))
    }

    /// One message by UID, its size given by the server (none: read up to the budget): not
    /// if it is too big, and an error if the server sends other than that many bytes.
    async fn fetch(&mut self, uid: u32, size: Option<u32>) -> Result<Vec<u8>, MailboxError> {
        let t = self.timeout;
        let announced = size.map(|s| usize::try_from(s).unwrap_or(usize::MAX));
        let size = announced.unwrap_or(0);
        if size > MAX_MESSAGE_BYTES {
            return Err(MailboxError::TooBig {
                size: u64::try_from(size).unwrap_or(u64::MAX),
                max: MAX_MESSAGE_BYTES,
            });
        }
        // The literal, and the FETCH line around it.
        self.budget.set(size.saturating_add(SMALL_ANSWER));
        let session = &mut self.session;
        let raw = timed(t, "UID FETCH (BODY.PEEK[])", async {
            let body = fetch_first(session, uid, "BODY.PEEK[]", |f| {
                f.body().map(<[u8]>::to_vec)
            })
            .await?;
            body.ok_or_else(|| MailboxError::Imap(format!("UID {uid}: FETCH returned no body")))
        })
        .await?;
        // A message cut short (or padded) would be checked as another message: a header the
        // plan says is absent could be in the part that did not come.
        if let Some(announced) = announced
            && raw.len() != announced
        {
            return Err(MailboxError::Imap(format!(
                "UID {uid}: the server sent {} bytes of a message it said is {announced} bytes (RFC822.SIZE): it is not checked",
                raw.len()
            )));
        }
        Ok(raw)
    }

    /// LOGOUT (best effort, bounded).
    pub async fn logout(mut self) {
        self.budget.set(SMALL_ANSWER);
        let _ = tokio::time::timeout(self.timeout, self.session.logout()).await;
    }
}

/// `UID FETCH uid query`: the first of what `pick` finds in the answers for that UID (all of
/// them read; a FETCH of another message, solicited or not, is not taken for it).
async fn fetch_first<T>(
    session: &mut Session<Inner>,
    uid: u32,
    query: &str,
    pick: impl Fn(&async_imap::types::Fetch) -> Option<T>,
) -> Result<Option<T>, MailboxError> {
    let stream = session
        .uid_fetch(uid.to_string(), query)
        .await
        .map_err(imap_err)?;
    let fetches: Vec<_> = stream.collect().await;
    let mut found = None;
    for f in fetches {
        let f = f.map_err(imap_err)?;
        if found.is_none() && f.uid == Some(uid) {
            found = pick(&f);
        }
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_words_are_taken_out_of_async_imaps_debug_text() {
        assert_eq!(
            server_text(
                r#"outcome: Outcome { code: None, information: Some("Mailbox doesn't exist: \"Junk\" (0.001 secs).") }"#
            ),
            r#"Mailbox doesn't exist: "Junk" (0.001 secs)."#
        );
        assert_eq!(
            server_text(
                r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(server_text(" plain "), "plain");
    }

    #[test]
    fn quoted_strings_escape_and_refuse_line_breaks() {
        assert_eq!(quoted("<a\"b@c>").unwrap(), r#""<a\"b@c>""#);
        assert_eq!(quoted("a\\b").unwrap(), r#""a\\b""#);
        assert!(quoted("a\r\nb").is_none());
        assert!(quoted("grüße").is_none());
    }
}
