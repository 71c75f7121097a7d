/// The DATA payload for `text`: line ends normalised to CRLF (a lone LF or CR becomes CRLF),
/// lines starting with `.` dot-stuffed, a final CRLF added if missing, then `.` CRLF.
pub fn encode_data(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32 + 8);
    let mut encoder = DataEncoder::new();
    encoder.push(text.as_bytes(), &mut out);
    encoder.finish(&mut out);
    out
}

/// [`encode_data`] for a message that arrives in pieces (a file read in chunks, text between
/// them): the same bytes on the wire wherever the pieces are cut, a CRLF split across two
/// pieces included. Scans with `memchr`, copying whole runs between line ends.
#[derive(Debug, Clone, Copy)]
pub struct DataEncoder {
    /// Dot-stuffing (DATA); off for BDAT chunks, which carry the message as it is.
    stuff: bool,
    at_line_start: bool,
    /// The last piece ended with CR (already sent as CRLF): an LF that starts the next piece
    /// belongs to it.
    after_cr: bool,
}

impl Default for DataEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl DataEncoder {
    pub fn new() -> Self {
        Self {
            stuff: true,
            at_line_start: true,
            after_cr: false,
        }
    }

    /// Line ends normalised, no dot-stuffing (the message as BDAT sends it and SIZE counts it).
    pub fn without_dot_stuffing() -> Self {
        Self {
            stuff: false,
            ..Self::new()
        }
    }

    /// Append the wire form of `input` to `out`.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        if input.is_empty() {
            return;
        }
        if std::mem::take(&mut self.after_cr)
            && let Some((b'\n', rest)) = input.split_first()
        {
            input = rest;
        }
        while !input.is_empty() {
            if self.stuff && self.at_line_start && input.first() == Some(&b'.') {
                out.push(b'.');
            }
            let Some(end) = memchr::memchr2(b'\r', b'\n', input) else {
                out.extend_from_slice(input);
                self.at_line_start = false;
                return;
            };
            let (line, rest) = input.split_at(end);
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
            input = match rest {
                [b'\r', b'\n', after @ ..] => after,
                [b'\r'] => {
                    self.after_cr = true;
                    &[]
                }
                [_, after @ ..] => after,
                [] => &[],
            };
        }
    }

    /// A CRLF if the last line had none.
    pub fn end_line(&mut self, out: &mut Vec<u8>) {
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
        }
    }

    /// The end of the message: a CRLF if the last line had none, then `.` CRLF (with
    /// dot-stuffing; without, only the CRLF).
    pub fn finish(mut self, out: &mut Vec<u8>) {
        self.end_line(out);
        if self.stuff {
            out.extend_from_slice(b".\r\n");
        }
    }
}

/// The message as it travels in BDAT chunks (and as SIZE counts it): line ends normalised to
/// CRLF like [`encode_data`], a final CRLF added if missing; no dot-stuffing, no terminator.
pub fn normalize_crlf(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32 + 2);
    let mut encoder = DataEncoder::without_dot_stuffing();
    encoder.push(text.as_bytes(), &mut out);
    encoder.finish(&mut out);
    out
}

/// The server side of DATA: feed it lines (CRLF removed); it un-stuffs them and says when the
/// terminating `.` arrived. Bounded by `max_bytes`.
#[derive(Debug)]
pub struct DataDecoder {
    message: Vec<u8>,
    max_bytes: usize,
    overflow: bool,
}

impl DataDecoder {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            message: Vec::new(),
            max_bytes,
            overflow: false,
        }
    }

    /// Returns true when `line` was the terminator.
    pub fn push_line(&mut self, line: &[u8]) -> bool {
        if line == b"." {
            return true;
        }
        let line = line.strip_prefix(b".").unwrap_or(line);
        if self.message.len() + line.len() + 2 > self.max_bytes {
            self.overflow = true;
        } else {
            self.message.extend_from_slice(line);
            self.message.extend_from_slice(b"\r\n");
        }
        false
    }

    /// Whether the message exceeded `max_bytes` (the excess was dropped).
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    pub fn into_message(self) -> Vec<u8> {
        self.message
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_stuffs() {
        // A dot alone, dots only at line starts, a dot after each kind of line end; a CR LF
        // pair is one line end, LF CR two.
        let cases: &[(&str, &[u8])] = &[
            (
                "Subject: x\n\n.hidden\r\nend",
                b"Subject: x\r\n\r\n..hidden\r\nend\r\n.\r\n",
            ),
            ("a\rb\r\n", b"a\r\nb\r\n.\r\n"),
            ("", b".\r\n"),
            (".\n", b"..\r\n.\r\n"),
            (".", b"..\r\n.\r\n"),
            ("a.b\n.c", b"a.b\r\n..c\r\n.\r\n"),
            ("x\r.y\r\n.z\n.w", b"x\r\n..y\r\n..z\r\n..w\r\n.\r\n"),
            ("..\n", b"...\r\n.\r\n"),
            ("\n\n.", b"\r\n\r\n..\r\n.\r\n"),
            ("a\n\rb", b"a\r\n\r\nb\r\n.\r\n"),
            ("\r", b"\r\n.\r\n"),
            ("\r\r\n", b"\r\n\r\n.\r\n"),
        ];
        for (text, wire) in cases {
            assert_eq!(encode_data(text), *wire, "{text:?}");
        }
    }

    #[test]
    fn normalises_without_stuffing() {
        assert_eq!(normalize_crlf("a\n.b\rc\r\nd"), b"a\r\n.b\r\nc\r\nd\r\n");
        assert_eq!(normalize_crlf(""), b"");
        assert_eq!(normalize_crlf("x\n"), b"x\r\n");
    }

    /// Every way of cutting a message into two or three pieces gives the bytes of encoding it
    /// whole: a CRLF or a line-start dot on a cut is not lost or doubled.
    #[test]
    fn pieces_encode_like_the_whole() {
        let samples = [
            "Subject: x\r\n\r\n.hidden\r\n..two\rend\n.\n",
            "\r\n.\r\r\n\n.a.b\r",
            ".",
            "",
        ];
        for text in samples {
            let whole = encode_data(text);
            let bytes = text.as_bytes();
            for i in 0..=bytes.len() {
                for j in i..=bytes.len() {
                    let mut out = Vec::new();
                    let mut e = DataEncoder::new();
                    e.push(&bytes[..i], &mut out);
                    e.push(&bytes[i..j], &mut out);
                    e.push(&bytes[j..], &mut out);
                    e.finish(&mut out);
                    assert_eq!(out, whole, "{text:?} cut at {i} and {j}");
                }
            }
        }
    }

    #[test]
    fn decoder_round_trips() {
        let wire = encode_data("Subject: x\n\n.hidden\n..two\nend\n");
        let text = String::from_utf8(wire).unwrap();
        let mut d = DataDecoder::new(1 << 20);
        let mut done = false;
        for line in text.split("\r\n") {
            if d.push_line(line.as_bytes()) {
                done = true;
                break;
            }
        }
        assert!(done);
        assert_eq!(
            d.into_message(),
            b"Subject: x\r\n\r\n.hidden\r\n..two\r\nend\r\n"
        );
    }

    #[test]
    fn decoder_is_bounded() {
        let mut d = DataDecoder::new(10);
        assert!(!d.push_line(b"0123456789abc"));
        assert!(d.overflowed());
        assert!(d.push_line(b"."));
    }
}
