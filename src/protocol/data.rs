/// The DATA payload for `text`: line ends normalised to CRLF (a lone LF or CR becomes CRLF),
/// lines starting with `.` dot-stuffed, a final CRLF added if missing, then `.` CRLF.
pub fn encode_data(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32 + 8);
    let mut at_line_start = true;
    let mut chars = text.bytes().peekable();
    while let Some(b) = chars.next() {
        match b {
            b'\r' => {
                if chars.peek() == Some(&b'\n') {
                    chars.next();
                }
                out.extend_from_slice(b"\r\n");
                at_line_start = true;
            }
            b'\n' => {
                out.extend_from_slice(b"\r\n");
                at_line_start = true;
            }
            _ => {
                if at_line_start && b == b'.' {
                    out.push(b'.');
                }
                out.push(b);
                at_line_start = false;
            }
        }
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// The message as it travels in BDAT chunks (and as SIZE counts it): line ends normalised to
/// CRLF like [`encode_data`], a final CRLF added if missing; no dot-stuffing, no terminator.
pub fn normalize_crlf(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32 + 2);
    let mut chars = text.bytes().peekable();
    let mut at_line_start = true;
    while let Some(b) = chars.next() {
        match b {
            b'\r' => {
                if chars.peek() == Some(&b'\n') {
                    chars.next();
                }
                out.extend_from_slice(b"\r\n");
                at_line_start = true;
            }
            b'\n' => {
                out.extend_from_slice(b"\r\n");
                at_line_start = true;
            }
            _ => {
                out.push(b);
                at_line_start = false;
            }
        }
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_stuffs() {
        assert_eq!(
            encode_data("Subject: x\n\n.hidden\r\nend"),
            b"Subject: x\r\n\r\n..hidden\r\nend\r\n.\r\n"
        );
        assert_eq!(encode_data("a\rb\r\n"), b"a\r\nb\r\n.\r\n");
        assert_eq!(encode_data(""), b".\r\n");
        assert_eq!(encode_data(".\n"), b"..\r\n.\r\n");
    }

    #[test]
    fn normalises_without_stuffing() {
        assert_eq!(normalize_crlf("a\n.b\rc\r\nd"), b"a\r\n.b\r\nc\r\nd\r\n");
        assert_eq!(normalize_crlf(""), b"");
        assert_eq!(normalize_crlf("x\n"), b"x\r\n");
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
