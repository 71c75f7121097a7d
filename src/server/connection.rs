//! Drives one client connection: bounded reads with the idle timeout, the session state
//! machine, STARTTLS, DATA and delivery. Every error ends this connection only.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::server::TlsStream;

use super::session::{self, Answer, Next, Session};
use super::shared::Shared;
use crate::protocol::{DataDecoder, Reply};
use crate::transport::date::{rfc2822, unix_now};
use crate::transport::lines::{LineReader, ReadLine};
use crate::transport::stream::Stream;

/// A command line (RFC 5321 says 512; AUTH responses can be longer).
const MAX_COMMAND_LINE: usize = 4096;
/// A line of message text (RFC 5321 says 1000; be lenient).
const MAX_DATA_LINE: usize = 65_536;
/// How long a closing connection waits for the client's side to finish.
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);

type ServerStream = Stream<TlsStream<TcpStream>>;

/// Serve one connection to the end. Never panics; errors just close it.
pub(crate) async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    shared: Arc<Shared>,
) {
    let _ = tcp.set_nodelay(true);
    let _ = run(tcp, peer, implicit_tls, &shared).await;
}

async fn send<S: AsyncWrite + Unpin>(
    stream: &mut S,
    reply: &Reply,
    shared: &Shared,
) -> io::Result<()> {
    if !shared.config.reply_delay.is_zero() {
        tokio::time::sleep(shared.config.reply_delay).await;
    }
    let write = async {
        stream.write_all(reply.to_string().as_bytes()).await?;
        stream.flush().await
    };
    timeout(shared.config.timeout, write)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "client does not read"))?
}

/// One line, or `None` once the connection must end (the reply, if any, already sent).
async fn read_line<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    reader: &mut LineReader,
    max: usize,
    shared: &Shared,
) -> io::Result<Option<Vec<u8>>> {
    match timeout(shared.config.timeout, reader.read_line(stream, max)).await {
        Err(_) => {
            send(stream, &session::timed_out(), shared).await?;
            Ok(None)
        }
        Ok(read) => match read? {
            ReadLine::Line(line) => Ok(Some(line)),
            ReadLine::Eof(_) | ReadLine::Reset(_) => Ok(None),
            ReadLine::TooLong => {
                send(stream, &session::line_too_long(), shared).await?;
                Ok(None)
            }
        },
    }
}

async fn run(
    tcp: TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    shared: &Shared,
) -> io::Result<()> {
    let mut stream: ServerStream = if implicit_tls {
        Stream::Tls(Box::new(accept_tls(tcp, shared).await?))
    } else {
        Stream::Plain(tcp)
    };
    let mut reader = LineReader::new();
    let mut session = Session::new(&shared.config, peer.ip(), implicit_tls);
    send(&mut stream, &session.greeting(&rfc2822(unix_now())), shared).await?;
    loop {
        let Some(line) = read_line(&mut stream, &mut reader, MAX_COMMAND_LINE, shared).await?
        else {
            break;
        };
        let Answer { reply, next } = session.handle(&String::from_utf8_lossy(&line));
        send(&mut stream, &reply, shared).await?;
        match next {
            Next::Continue => {}
            Next::Close => break,
            Next::StartTls => {
                // RFC 3207 §4.2 (and CVE-2011-0411): anything pipelined after STARTTLS
                // arrived in plaintext and must not be acted upon.
                reader.discard();
                let Stream::Plain(tcp) = std::mem::replace(&mut stream, Stream::Gone) else {
                    break;
                };
                stream = Stream::Tls(Box::new(accept_tls(tcp, shared).await?));
                session.tls_started();
            }
            Next::Data => {
                let Some(reply) = receive(&mut stream, &mut reader, &mut session, shared).await?
                else {
                    break;
                };
                send(&mut stream, &reply, shared).await?;
            }
        }
    }
    linger(&mut stream).await;
    Ok(())
}

/// Close politely: send our FIN (or close_notify), then read and drop what the client still
/// sends for a moment, so that unread input does not turn into a reset that could destroy the
/// last reply before the client reads it.
async fn linger(stream: &mut ServerStream) {
    const BUDGET: usize = 1 << 20;
    let _ = timeout(LINGER, stream.shutdown()).await;
    let drain = async {
        let mut chunk = [0u8; 8192];
        let mut total = 0;
        while total < BUDGET {
            match tokio::io::AsyncReadExt::read(stream, &mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = timeout(LINGER, drain).await;
}

async fn accept_tls(tcp: TcpStream, shared: &Shared) -> io::Result<TlsStream<TcpStream>> {
    timeout(shared.config.timeout, shared.acceptor.accept(tcp))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))?
}

/// Read the message up to the lone `.` and deliver it. `None`: the connection must end.
async fn receive(
    stream: &mut ServerStream,
    reader: &mut LineReader,
    session: &mut Session<'_>,
    shared: &Shared,
) -> io::Result<Option<Reply>> {
    let mut decoder = DataDecoder::new(shared.config.max_message_bytes);
    loop {
        let Some(line) = read_line(stream, reader, MAX_DATA_LINE, shared).await? else {
            return Ok(None);
        };
        if decoder.push_line(&line) {
            break;
        }
    }
    let overflowed = decoder.overflowed();
    let message = decoder.into_message();
    let queue_id = shared.queue_id();
    let now = unix_now();
    let Some(delivery) = session.message_received(&queue_id, &rfc2822(now)) else {
        return Ok(Some(session::store_failed()));
    };
    if overflowed {
        return Ok(Some(session::too_big().reply));
    }
    if let Some(maildir) = &shared.maildir
        && maildir
            .deliver(&delivery, &shared.config.hostname, &message, now)
            .await
            .is_err()
    {
        return Ok(Some(session::store_failed()));
    }
    let internal_id = shared.next_internal_id.fetch_add(1, Ordering::Relaxed);
    Ok(Some(session.queued(&queue_id, internal_id)))
}
