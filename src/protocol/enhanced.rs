use std::fmt;

/// An RFC 3463 enhanced status code: `class.subject.detail`, e.g. `5.7.139`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedCode {
    /// Parse an enhanced code at the very start of `text` (followed by a space or the end).
    /// Returns the code and the rest of the text after it (leading space removed).
    pub fn parse_prefix(text: &str) -> Option<(Self, &str)> {
        let end = text.find(' ').unwrap_or(text.len());
        let word = text.get(..end)?;
        let code = Self::parse(word)?;
        Some((
            code,
            text.get(end..).unwrap_or_default().trim_start_matches(' '),
        ))
    }

    /// Parse exactly `c.s.d` — class 2, 4 or 5; subject and detail 1 to 3 digits.
    pub fn parse(word: &str) -> Option<Self> {
        let mut it = word.split('.');
        let (c, s, d) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        let num = |p: &str| -> Option<u16> {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let class = num(c)?;
        if c.len() != 1 || !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(Self {
            class: u8::try_from(class).ok()?,
            subject: num(s)?,
            detail: num(d)?,
        })
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_three_digit_parts() {
        let (c, rest) = EnhancedCode::parse_prefix("5.7.139 Authentication unsuccessful").unwrap();
        assert_eq!((c.class, c.subject, c.detail), (5, 7, 139));
        assert_eq!(rest, "Authentication unsuccessful");
        assert_eq!(c.to_string(), "5.7.139");
        assert_eq!(
            EnhancedCode::parse_prefix("2.0.0").unwrap().0.to_string(),
            "2.0.0"
        );
    }

    #[test]
    fn rejects_non_codes() {
        for t in [
            "mail.example.com ESMTP",
            "3.1.0 x",
            "2.1 x",
            "2.1.0.1",
            "2.1.1000",
            "2..1",
            "25.1.0",
        ] {
            assert!(EnhancedCode::parse_prefix(t).is_none(), "{t}");
        }
    }
}
