//! A bounded line reader shared by the client [`Connection`](super::Connection) and the
//! built-in server: lines end in LF (a CR before it is dropped), no line may exceed a cap, and
//! the buffer never grows past that cap plus one read.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

/// How much one `read` call may add to the buffer.
const CHUNK: usize = 8192;

/// What one [`LineReader::read_line`] produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadLine {
    /// A complete line, without its CRLF / LF.
    Line(Vec<u8>),
    /// The peer closed the connection; holds any bytes of an unterminated line.
    Eof(Vec<u8>),
    /// The peer reset the connection (TCP RST); holds any bytes of an unterminated line.
    Reset(Vec<u8>),
    /// The line exceeded the cap; the buffer was emptied.
    TooLong,
}

/// A read buffer, kept apart from the stream so that the stream can be swapped (STARTTLS)
/// while the reader reports what was already buffered.
#[derive(Debug, Default)]
pub(crate) struct LineReader {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already known to hold no LF.
    scanned: usize,
}

impl LineReader {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Bytes received but not yet returned as a line.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The bytes of a line not yet terminated (for error messages).
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Add bytes read from the stream by other means (see `Connection::unsolicited`).
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Forget whatever is buffered.
    pub(crate) fn discard(&mut self) {
        self.buf.clear();
        self.scanned = 0;
    }

    /// Read one line of at most `max` bytes (CRLF excluded). Cancel-safe: dropping the future
    /// (e.g. on a timeout) loses nothing already read.
    pub(crate) async fn read_line<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        max: usize,
    ) -> io::Result<ReadLine> {
        loop {
            if let Some(line) = self.take_line(max) {
                return Ok(line);
            }
            let mut chunk = [0u8; CHUNK];
            let n = match stream.read(&mut chunk).await {
                Ok(n) => n,
                Err(e) if is_reset(&e) => {
                    self.scanned = 0;
                    return Ok(ReadLine::Reset(std::mem::take(&mut self.buf)));
                }
                Err(e) if is_closed(&e) => 0,
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.scanned = 0;
                return Ok(ReadLine::Eof(std::mem::take(&mut self.buf)));
            }
            self.buf
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }

    fn take_line(&mut self, max: usize) -> Option<ReadLine> {
        let unscanned = self.buf.get(self.scanned..).unwrap_or_default();
        match unscanned.iter().position(|&b| b == b'\n') {
            Some(pos) => {
                let end = self.scanned + pos;
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop(); // the LF
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.scanned = 0;
                if line.len() > max {
                    self.discard();
                    return Some(ReadLine::TooLong);
                }
                Some(ReadLine::Line(line))
            }
            None => {
                self.scanned = self.buf.len();
                // Even if a CRLF came next, the line would be longer than `max`.
                if self.buf.len() > max.saturating_add(1) {
                    self.discard();
                    return Some(ReadLine::TooLong);
                }
                None
            }
        }
    }
}

/// Errors that mean "the peer went away" in order rather than a local failure. rustls reports
/// a close without close_notify as `UnexpectedEof`.
fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe
    )
}

/// Errors that mean the peer aborted the connection (an RST).
pub(crate) fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn lines(input: &[u8], max: usize) -> Vec<ReadLine> {
        let mut r = LineReader::new();
        let mut s = input;
        let mut out = Vec::new();
        loop {
            let l = r.read_line(&mut s, max).await.unwrap();
            let end = matches!(l, ReadLine::Eof(_));
            out.push(l);
            if end {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn splits_crlf_and_bare_lf() {
        assert_eq!(
            lines(b"a\r\nbb\ncc\r\r\ntail", 10).await,
            vec![
                ReadLine::Line(b"a".to_vec()),
                ReadLine::Line(b"bb".to_vec()),
                ReadLine::Line(b"cc\r".to_vec()),
                ReadLine::Eof(b"tail".to_vec()),
            ]
        );
    }

    #[tokio::test]
    async fn bounds_line_length() {
        assert_eq!(
            lines(b"12345\r\n123456\r\n", 5).await,
            vec![
                ReadLine::Line(b"12345".to_vec()),
                ReadLine::TooLong,
                ReadLine::Eof(Vec::new()),
            ]
        );
        let endless = vec![b'x'; 1 << 20];
        assert_eq!(lines(&endless, 100).await.first(), Some(&ReadLine::TooLong));
    }
}
