//! Other ways to read a text, so that a secret is found however it was written into it:
//! with escapes (`\"`, `\\`, `\t`, `\u{301}`, `\u00e9`, `&quot;`), percent-encoded (also xtext's
//! `+XX` and quoted-printable's `=XX`), or split
//! across the lines of a reply. Each view keeps, for every byte it holds, the byte range of
//! the original text it came from, so that a match is masked where it was written.

/// A decoded reading of a text.
pub(super) struct View {
    pub bytes: Vec<u8>,
    /// For each byte of `bytes`, the range of the original text it stands for.
    pub origin: Vec<(usize, usize)>,
}

impl View {
    fn with_capacity(n: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(n),
            origin: Vec::with_capacity(n),
        }
    }

    fn push_char(&mut self, c: char, from: (usize, usize)) {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            self.bytes.push(b);
            self.origin.push(from);
        }
    }

    fn push(&mut self, b: u8, from: (usize, usize)) {
        self.bytes.push(b);
        self.origin.push(from);
    }
}

/// The other views of `text` worth searching (only those that differ from the text).
pub(super) fn views(text: &str) -> Vec<View> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    if bytes.iter().any(|&b| b == b'\\' || b == b'&') {
        let once = unescape(text);
        // Escaped twice (`{:?}` of a regex that escapes the secret, JSON of a quoted value).
        if once.bytes.contains(&b'\\')
            && let Ok(again) = std::str::from_utf8(&once.bytes)
        {
            let twice = unescape(again);
            let origin = twice
                .origin
                .iter()
                .map(|&(s, e)| {
                    let first = once.origin.get(s).map_or(0, |o| o.0);
                    let last = once.origin.get(e.saturating_sub(1)).map_or(first, |o| o.1);
                    (first, last)
                })
                .collect();
            out.push(View {
                bytes: twice.bytes,
                origin,
            });
        }
        out.push(once);
    }
    // `%41` (URLs), `+41` (xtext: ENVID, ORCPT, XCLIENT, AUTH=), `=41` (quoted-printable,
    // RFC 2047 Q-words).
    for marker in [b'%', b'+', b'='] {
        if has_hex_escape(bytes, marker) {
            out.push(hex_escape_decode(bytes, marker));
        }
    }
    if bytes.contains(&b'\n') || text.contains(" / ") || text.contains(", ") {
        out.push(joined(bytes));
    }
    out
}

fn hex_value(digits: &str) -> Option<char> {
    u32::from_str_radix(digits, 16)
        .ok()
        .and_then(char::from_u32)
}

/// Backslash escapes (Rust's `{:?}`, JSON, C) and XML/HTML character references decoded.
fn unescape(text: &str) -> View {
    let mut v = View::with_capacity(text.len());
    let mut i = 0;
    while let Some(rest) = text.get(i..) {
        let Some(c) = rest.chars().next() else { break };
        let decoded = match c {
            '\\' => backslash(rest),
            '&' => entity(rest),
            _ => None,
        };
        match decoded {
            Some((d, used)) => {
                v.push_char(d, (i, i + used));
                i += used;
            }
            None => {
                v.push_char(c, (i, i + c.len_utf8()));
                i += c.len_utf8();
            }
        }
    }
    v
}

/// `\n`, `\"`, `\u{301}`, `\u0301`, `\x41` at the start of `rest`: the character and the
/// bytes used.
fn backslash(rest: &str) -> Option<(char, usize)> {
    let next = rest.get(1..)?.chars().next()?;
    let simple = match next {
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        '0' => Some('\0'),
        '\\' | '"' | '\'' | '/' => Some(next),
        // A regex's escape of a metacharacter or other punctuation (`\-`, `\.`, `\$`).
        c if c.is_ascii_punctuation() => Some(c),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, 2));
    }
    match next {
        'u' if rest.get(2..3) == Some("{") => {
            let close = rest.get(3..)?.find('}')?;
            let c = hex_value(rest.get(3..3 + close)?)?;
            Some((c, 3 + close + 1))
        }
        'u' => Some((hex_value(rest.get(2..6)?)?, 6)),
        'x' => Some((hex_value(rest.get(2..4)?)?, 4)),
        _ => None,
    }
}

/// `&amp;`, `&quot;`, `&#10;`, `&#x41;` at the start of `rest`.
fn entity(rest: &str) -> Option<(char, usize)> {
    let end = rest.bytes().take(12).position(|b| b == b';')?;
    let name = rest.get(1..end)?;
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let num = name.strip_prefix('#')?;
            match num.strip_prefix(['x', 'X']) {
                Some(hex) => hex_value(hex)?,
                None => char::from_u32(num.parse().ok()?)?,
            }
        }
    };
    Some((c, end + 1))
}

/// Whether `marker` followed by two hex digits occurs in `bytes`.
fn has_hex_escape(bytes: &[u8], marker: u8) -> bool {
    memchr::memchr_iter(marker, bytes).any(|i| {
        bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })
}

/// `%41` -> `A` with `marker` `%` (any mix of encoded and plain bytes; `+` for xtext, `=`
/// for quoted-printable).
fn hex_escape_decode(bytes: &[u8], marker: u8) -> View {
    let mut v = View::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b == marker, hex) {
            (true, Some(decoded)) => {
                v.push(decoded, (i, i + 3));
                i += 3;
            }
            _ => {
                v.push(b, (i, i + 1));
                i += 1;
            }
        }
    }
    v
}

/// The text with its line structure taken out: a line break, the indentation after it, a
/// transcript mark (`S:`, `C:`) and a reply code (`250-`, `250 `) are skipped, and so are the
/// ` / ` that joins reply lines in one-line messages and the `, ` that joins the lines of a
/// list (the capabilities a server lists). A secret the server split across the lines of a
/// reply reads whole here.
fn joined(bytes: &[u8]) -> View {
    let mut v = View::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let sep = match b {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => Some(i + 2),
            b'\n' => Some(i + 1),
            b' ' if bytes.get(i..i + 3) == Some(b" / ") => Some(i + 3),
            b',' if bytes.get(i + 1) == Some(&b' ') => Some(i + 2),
            _ => None,
        };
        let Some(mut j) = sep else {
            v.push(b, (i, i + 1));
            i += 1;
            continue;
        };
        while matches!(bytes.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if matches!(bytes.get(j..j + 2), Some(b"S:" | b"C:")) {
            j += 2;
            if bytes.get(j) == Some(&b' ') {
                j += 1;
            }
        }
        if let Some(code) = bytes.get(j..j + 4)
            && code.iter().take(3).all(u8::is_ascii_digit)
            && matches!(code.get(3), Some(b'-' | b' '))
        {
            j += 4;
        }
        i = j;
    }
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(v: &View) -> String {
        String::from_utf8(v.bytes.clone()).unwrap()
    }

    #[test]
    fn escapes_decode_to_the_text() {
        let v = unescape(r#"a\"b\\c\td\u{301}e\u00e9&quot;&#65;&#x42;&amp;"#);
        assert_eq!(text(&v), "a\"b\\c\td\u{301}e\u{e9}\"AB&");
        assert_eq!(v.origin[1], (1, 3));
    }

    #[test]
    fn regex_escapes_and_escapes_of_escapes_decode() {
        assert_eq!(text(&unescape(r"p\-a\.s\$s")), "p-a.s$s");
        // `{:?}` of a regex that escapes a secret: escaped twice.
        let vs = views(r#"Regex("p\\-a\\.ss")"#);
        let twice = vs.iter().find(|v| text(v) == r#"Regex("p-a.ss")"#);
        // `-` comes from the three bytes `\\-`.
        assert_eq!(twice.map(|v| v.origin[8]), Some((8, 11)));
    }

    #[test]
    fn percent_and_joined() {
        assert_eq!(
            text(&hex_escape_decode(b"p%40ss%2Fw%zz", b'%')),
            "p@ss/w%zz"
        );
        assert_eq!(
            text(&hex_escape_decode(b"Pa55+20w0rd+3Dx+2By", b'+')),
            "Pa55 w0rd=x+y"
        );
        assert_eq!(
            text(&hex_escape_decode(b"P=C3=A4ss=3D", b'=')),
            "P\u{e4}ss="
        );
        assert!(!has_hex_escape(b"dGVzdA== a+b", b'='));
        assert!(!has_hex_escape(b"dGVzdA== a+b", b'+'));
        let v = joined(b"250-abc\r\n250 def\n    S: 250 ghi / 250 jkl");
        assert_eq!(text(&v), "250-abcdefghijkl");
    }
}
