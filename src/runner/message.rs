//! A message ready to send: its text, or a file's byte ranges and rendered template pieces,
//! read back a bounded chunk at a time (a file that changed since the plan was loaded is an
//! error, not a different message).

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use crate::model::MessageFile;
use crate::redact::Redactor;

/// How many bytes are read from a message file, and written to the server, at a time.
pub(super) const CHUNK: usize = 64 * 1024;

/// A message ready to send.
#[derive(Debug)]
pub(super) enum Message {
    /// Built in memory; `secret`: it carries a secret in an encoded form (RFC 2047,
    /// quoted-printable) that masking by value cannot find in the wire text.
    Text { text: String, secret: bool },
    /// A message file, with the rendered text of its references.
    File {
        file: Arc<MessageFile>,
        pieces: Vec<Piece>,
    },
}

#[derive(Debug)]
pub(super) enum Piece {
    Bytes(std::ops::Range<u64>),
    Text(String),
}

impl Message {
    /// Feed the message to `sink` in pieces of at most [`CHUNK`] bytes, reading a file as it
    /// goes (`file` is its open handle).
    pub(super) fn for_each_piece(
        &self,
        file: Option<&mut std::fs::File>,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut reader = PieceReader::new(self, file);
        let mut piece = Vec::with_capacity(CHUNK);
        while reader.next_piece(&mut piece)? {
            sink(&piece)?;
            piece.clear();
        }
        Ok(())
    }

    /// Whether the message holds a secret in any form (a file is searched in overlapping
    /// windows, so that a secret on a window edge is found).
    pub(super) fn holds_secret(&self, redactor: &Redactor) -> Result<bool, std::io::Error> {
        match self {
            Message::Text { text, secret } => Ok(*secret || redactor.finds_secret(text)),
            Message::File { file, pieces } => {
                if redactor.is_empty() {
                    return Ok(false);
                }
                if pieces.iter().any(|p| match p {
                    Piece::Text(t) => redactor.finds_secret(t),
                    Piece::Bytes(_) => false,
                }) {
                    return Ok(true);
                }
                const WINDOW: usize = 1024 * 1024;
                const OVERLAP: usize = 64 * 1024;
                let mut handle = open_unchanged(file)?;
                let mut window: Vec<u8> = Vec::with_capacity(WINDOW + CHUNK);
                let mut found = false;
                self.for_each_piece(Some(&mut handle), &mut |piece| {
                    window.extend_from_slice(piece);
                    if window.len() >= WINDOW {
                        found |= redactor.finds_secret(&String::from_utf8_lossy(&window));
                        let keep = window.len() - OVERLAP;
                        window.drain(..keep);
                    }
                    Ok(())
                })?;
                Ok(found || redactor.finds_secret(&String::from_utf8_lossy(&window)))
            }
        }
    }
}

fn changed() -> std::io::Error {
    std::io::Error::other("it changed since the plan was loaded")
}

/// The file, if it is still the one scanned at load time (same size and modification time).
pub(super) fn open_unchanged(message: &MessageFile) -> std::io::Result<std::fs::File> {
    let file = crate::scenario::open_message_file(&message.canonical)?;
    let meta = file.metadata()?;
    if meta.len() != message.len || meta.modified().ok() != message.modified {
        return Err(changed());
    }
    Ok(file)
}

fn read_some(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// The pieces of a message one at a time (a file read a chunk at a time), so that the writer
/// can await between them.
pub(super) struct PieceReader<'a> {
    message: &'a Message,
    file: Option<&'a mut std::fs::File>,
    /// Index of the current piece, and how far into it (bytes).
    piece: usize,
    offset: u64,
}

impl<'a> PieceReader<'a> {
    pub(super) fn new(message: &'a Message, file: Option<&'a mut std::fs::File>) -> Self {
        Self {
            message,
            file,
            piece: 0,
            offset: 0,
        }
    }

    /// Put the next piece (at most [`CHUNK`] bytes) into `out`; `false` at the end.
    pub(super) fn next_piece(&mut self, out: &mut Vec<u8>) -> std::io::Result<bool> {
        match self.message {
            Message::Text { text, .. } => {
                let start = usize::try_from(self.offset).unwrap_or(usize::MAX);
                let Some(rest) = text.as_bytes().get(start..).filter(|r| !r.is_empty()) else {
                    return Ok(false);
                };
                let piece = rest.get(..CHUNK.min(rest.len())).unwrap_or(rest);
                out.extend_from_slice(piece);
                self.offset += piece.len() as u64;
                Ok(true)
            }
            Message::File { pieces, .. } => loop {
                let Some(piece) = pieces.get(self.piece) else {
                    return Ok(false);
                };
                match piece {
                    Piece::Text(text) => {
                        out.extend_from_slice(text.as_bytes());
                        self.piece += 1;
                        return Ok(true);
                    }
                    Piece::Bytes(range) => {
                        let left = range.end - range.start - self.offset;
                        if left == 0 {
                            self.piece += 1;
                            self.offset = 0;
                            continue;
                        }
                        let Some(file) = self.file.as_deref_mut() else {
                            return Err(changed());
                        };
                        if self.offset == 0 {
                            file.seek(SeekFrom::Start(range.start))?;
                        }
                        let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                        let at = out.len();
                        out.resize(at + want, 0);
                        let n = read_some(file, out.get_mut(at..).unwrap_or_default())?;
                        out.truncate(at + n);
                        if n == 0 {
                            return Err(changed());
                        }
                        self.offset += n as u64;
                        return Ok(true);
                    }
                }
            },
        }
    }
}
