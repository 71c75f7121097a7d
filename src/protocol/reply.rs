use std::fmt;

use super::EnhancedCode;

/// A three-digit SMTP reply code, 200..=599 (RFC 5321 §4.2: first digit 2-5, second 0-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    // The codes the built-in server sends (RFC 5321 §4.2.3, RFC 4954).
    pub const SERVICE_READY: Self = Self(220);
    pub const CLOSING: Self = Self(221);
    pub const AUTH_SUCCESSFUL: Self = Self(235);
    pub const OK: Self = Self(250);
    pub const CANNOT_VRFY: Self = Self(252);
    pub const AUTH_CONTINUE: Self = Self(334);
    pub const START_MAIL_INPUT: Self = Self(354);
    pub const SERVICE_UNAVAILABLE: Self = Self(421);
    pub const LOCAL_ERROR: Self = Self(451);
    pub const INSUFFICIENT_STORAGE: Self = Self(452);
    pub const SYNTAX_ERROR: Self = Self(500);
    pub const PARAMETER_SYNTAX_ERROR: Self = Self(501);
    pub const BAD_SEQUENCE: Self = Self(503);
    pub const PARAMETER_NOT_IMPLEMENTED: Self = Self(504);
    pub const AUTH_REQUIRED: Self = Self(530);
    pub const AUTH_FAILED: Self = Self(535);
    pub const EXCEEDED_STORAGE: Self = Self(552);

    pub fn new(code: u16) -> Option<Self> {
        (200..=599).contains(&code).then_some(Self(code))
    }

    pub fn value(self) -> u16 {
        self.0
    }

    /// The first digit: 2 positive, 3 intermediate, 4 transient failure, 5 permanent failure.
    pub fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    pub fn is_positive(self) -> bool {
        self.class() == 2
    }

    pub fn is_intermediate(self) -> bool {
        self.class() == 3
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A complete reply: its code and the text of each line (after `NNN-` / `NNN `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: ReplyCode,
    pub lines: Vec<String>,
}

impl Reply {
    /// A reply with one line of text per item of `lines` (at least one, possibly empty).
    pub fn with_lines<I, S>(code: ReplyCode, lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut lines: Vec<String> = lines.into_iter().map(Into::into).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        Self { code, lines }
    }

    pub fn new(code: u16, lines: &[&str]) -> Option<Self> {
        Some(Self {
            code: ReplyCode::new(code)?,
            lines: if lines.is_empty() {
                vec![String::new()]
            } else {
                lines.iter().map(|l| (*l).to_owned()).collect()
            },
        })
    }

    /// All lines' text joined by `\n`, without the codes.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The RFC 3463 enhanced code at the start of the first line, if any.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        EnhancedCode::parse_prefix(self.lines.first()?).map(|(c, _)| c)
    }

    /// The wire lines without CRLF: `250-first`, ..., `250 last`.
    pub fn wire_lines(&self) -> impl Iterator<Item = String> + '_ {
        let last = self.lines.len().saturating_sub(1);
        self.lines.iter().enumerate().map(move |(i, l)| {
            let sep = if i == last { ' ' } else { '-' };
            if l.is_empty() && i == last {
                self.code.to_string()
            } else {
                format!("{}{}{}", self.code, sep, l)
            }
        })
    }

    /// The wire lines (see [`wire_lines`](Self::wire_lines)) as one string of text, joined by `sep`.
    pub fn wire_text(&self, sep: &str) -> String {
        self.wire_lines().collect::<Vec<_>>().join(sep)
    }
}

impl fmt::Display for Reply {
    /// The exact wire form, CRLF after every line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.wire_lines() {
            write!(f, "{line}\r\n")?;
        }
        Ok(())
    }
}

/// Bounds on what a peer may send: the longest line, and the most lines and bytes in one
/// reply. RFC 5321 sets no limit on the lines of a reply; the defaults take a 2,000-line EHLO
/// reply of full 512-byte lines (about 1 MB) four times over, and stop a server that never ends
/// its reply at 4 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in one line, without CRLF. RFC 5321 says 512 for replies; real servers send
    /// longer, so the default is generous.
    pub max_line: usize,
    /// Lines in one reply.
    pub max_lines: usize,
    /// Bytes in one reply, CRLFs included.
    pub max_reply_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line: 8192,
            max_lines: 10_000,
            max_reply_bytes: 4 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error(
        "malformed reply line {line:?}: expected a 3-digit code (200-599) then ' ', '-' or the end"
    )]
    Malformed { line: String },
    #[error("reply code changed inside a multi-line reply: {first} then {then} in {line:?}")]
    MixedCodes { first: u16, then: u16, line: String },
    #[error("reply has more than {max} lines")]
    TooManyLines { max: usize },
    #[error("reply is longer than {max} bytes")]
    TooLarge { max: usize },
}

/// Assembles a reply from lines (CRLF already removed), one at a time, so that a reader can
/// stop at any point: `push` returns `Ok(Some(reply))` once the last line arrived.
#[derive(Debug, Default)]
pub struct ReplyParser {
    code: Option<ReplyCode>,
    lines: Vec<String>,
    /// Bytes of the reply so far, CRLFs included.
    bytes: usize,
    limits: Limits,
}

impl ReplyParser {
    pub fn new(limits: Limits) -> Self {
        Self {
            code: None,
            lines: Vec::new(),
            bytes: 0,
            limits,
        }
    }

    /// The lines received so far of an unfinished reply, as they came (for error messages).
    pub fn partial(&self) -> Vec<String> {
        let Some(code) = self.code else {
            return Vec::new();
        };
        self.lines.iter().map(|l| format!("{code}-{l}")).collect()
    }

    pub fn push(&mut self, line: &str) -> Result<Option<Reply>, ReplyError> {
        let malformed = || ReplyError::Malformed {
            line: line.to_owned(),
        };
        let bytes = line.as_bytes();
        let digits = bytes.get(..3).ok_or_else(malformed)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(malformed());
        }
        let value = digits
            .iter()
            .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
        let code = ReplyCode::new(value).ok_or_else(malformed)?;
        let (last, text) = match bytes.get(3) {
            None => (true, ""),
            Some(b' ') => (true, line.get(4..).unwrap_or_default()),
            Some(b'-') => (false, line.get(4..).unwrap_or_default()),
            Some(_) => return Err(malformed()),
        };
        if let Some(first) = self.code
            && first != code
        {
            return Err(ReplyError::MixedCodes {
                first: first.value(),
                then: code.value(),
                line: line.to_owned(),
            });
        }
        if self.lines.len() >= self.limits.max_lines {
            return Err(ReplyError::TooManyLines {
                max: self.limits.max_lines,
            });
        }
        self.bytes = self.bytes.saturating_add(line.len() + 2);
        if self.bytes > self.limits.max_reply_bytes {
            return Err(ReplyError::TooLarge {
                max: self.limits.max_reply_bytes,
            });
        }
        self.code = Some(code);
        self.lines.push(text.to_owned());
        if last {
            let lines = std::mem::take(&mut self.lines);
            self.code = None;
            self.bytes = 0;
            Ok(Some(Reply { code, lines }))
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn parse_all(lines: &[&str]) -> Result<Option<Reply>, ReplyError> {
        let mut p = ReplyParser::new(Limits::default());
        let mut out = None;
        for l in lines {
            out = p.push(l)?;
        }
        Ok(out)
    }

    #[test]
    fn multi_line_ehlo() {
        let r = parse_all(&[
            "250-mail.contoso.com Hello",
            "250-STARTTLS",
            "250 AUTH LOGIN PLAIN",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(r.code.value(), 250);
        assert_eq!(
            r.text(),
            "mail.contoso.com Hello\nSTARTTLS\nAUTH LOGIN PLAIN"
        );
        assert_eq!(
            r.to_string(),
            "250-mail.contoso.com Hello\r\n250-STARTTLS\r\n250 AUTH LOGIN PLAIN\r\n"
        );
    }

    #[test]
    fn built_replies() {
        let r = Reply::with_lines(ReplyCode::OK, ["a", "b"]);
        assert_eq!(r.to_string(), "250-a\r\n250 b\r\n");
        let r = Reply::with_lines(ReplyCode::AUTH_CONTINUE, Vec::<String>::new());
        assert_eq!(r.to_string(), "334\r\n");
    }

    #[test]
    fn bare_code_and_enhanced() {
        let r = parse_all(&["354"]).unwrap().unwrap();
        assert_eq!(r.text(), "");
        assert_eq!(r.to_string(), "354\r\n");
        let r = parse_all(&["235 2.7.0 Authentication successful"])
            .unwrap()
            .unwrap();
        assert_eq!(r.enhanced().unwrap().to_string(), "2.7.0");
        let r = parse_all(&["220 mail.contoso.com ESMTP"]).unwrap().unwrap();
        assert!(r.enhanced().is_none());
    }

    #[test]
    fn partial_input_is_not_a_reply() {
        let mut p = ReplyParser::new(Limits::default());
        assert_eq!(p.push("250-first").unwrap(), None);
        assert_eq!(p.partial(), vec!["250-first".to_owned()]);
        assert!(p.push("250 last").unwrap().is_some());
        assert!(p.partial().is_empty());
    }

    #[test]
    fn rejects_mixed_codes_and_garbage() {
        assert!(matches!(
            parse_all(&["250-a", "251 b"]),
            Err(ReplyError::MixedCodes {
                first: 250,
                then: 251,
                ..
            })
        ));
        for bad in [
            "",
            "25",
            "abc hello",
            "2500 x",
            "250x",
            "199 low",
            "600 high",
            "HTTP/1.1 200 OK",
        ] {
            assert!(
                matches!(parse_all(&[bad]), Err(ReplyError::Malformed { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bounded_line_count() {
        let mut p = ReplyParser::new(Limits {
            max_line: 100,
            max_lines: 3,
            max_reply_bytes: 1000,
        });
        for _ in 0..3 {
            assert_eq!(p.push("250-x").unwrap(), None);
        }
        assert_eq!(
            p.push("250-x").unwrap_err(),
            ReplyError::TooManyLines { max: 3 }
        );
    }

    #[test]
    fn bounded_reply_bytes() {
        let mut p = ReplyParser::new(Limits {
            max_line: 100,
            max_lines: 100,
            max_reply_bytes: 20,
        });
        assert_eq!(p.push("250-123456").unwrap(), None); // 12 bytes with CRLF
        assert_eq!(
            p.push("250-123456").unwrap_err(),
            ReplyError::TooLarge { max: 20 }
        );
    }

    #[test]
    fn a_legal_2000_line_ehlo_reply_of_about_1_mb_is_taken() {
        let mut p = ReplyParser::new(Limits::default());
        let line = format!("250-{}", "X".repeat(508)); // 512 bytes, RFC 5321's maximum
        for _ in 0..1999 {
            assert_eq!(p.push(&line).unwrap(), None);
        }
        let reply = p
            .push(&format!("250 {}", "X".repeat(508)))
            .unwrap()
            .unwrap();
        assert_eq!(reply.lines.len(), 2000);
    }
}
