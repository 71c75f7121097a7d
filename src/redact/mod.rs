//! Secret values are replaced by `***` in every output, in every form.
//!
//! Redaction is by value: whatever text is about to be shown (a transcript line, a failure
//! message, a captured reply, a name) passes through [`Redactor::redact`], which knows every
//! secret value and finds it as typed, with its line breaks as CRLF, in hex, in base64 at any
//! alignment (the whole base64 word around it is masked), escaped (`\"`, `\u{301}`, `&quot;`),
//! percent-encoded, and split across the lines of a reply.

mod forms;
mod views;

use std::fmt;

use memchr::memmem::Finder;

use forms::{Alphabet, base64_fragments, text_forms};

/// What a redacted secret looks like in every output.
pub const MASK: &str = "***";

/// The fewest characters a secret may have. A shorter one would be masked all over the
/// output (`P***ssword:`, `expected code ***`) and could be guessed from what is left.
pub const MIN_SECRET_CHARS: usize = 6;

/// Why a secret value is refused, if it is: too short to be masked safely.
pub fn check_secret_length(value: &str) -> Result<(), String> {
    let n = value.chars().count();
    if n >= MIN_SECRET_CHARS {
        return Ok(());
    }
    Err(format!(
        "is {n} character(s) long; a secret needs at least {MIN_SECRET_CHARS} (a shorter one would be masked all over the output and could be guessed from it)"
    ))
}

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The real value, for the wire and for template rendering only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for Secret {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Secret {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Replaces every form of known secret values with `***`. Its `Debug` shows only how many
/// forms it knows.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Forms searched in every view of a text; longest first.
    texts: Vec<Finder<'static>>,
    /// Base64 fragments: a match masks the whole base64 word around it.
    base64: Vec<(Finder<'static>, Alphabet)>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Redactor {{ {} forms }}",
            self.texts.len() + self.base64.len()
        )
    }
}

impl Redactor {
    /// A redactor for these secret values and all their forms.
    pub fn new<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut r = Self::default();
        for v in values {
            r.add_secret(v.as_ref());
        }
        r
    }

    /// A redactor for these secrets.
    pub fn of_secrets(secrets: &[Secret]) -> Self {
        Self::new(secrets.iter().map(Secret::expose))
    }

    /// Mask `value` in every form.
    pub fn add_secret(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        for form in text_forms(value) {
            self.add_bytes(form);
        }
        for (fragment, alphabet) in base64_fragments(value.as_bytes()) {
            if !self.base64.iter().any(|(f, _)| f.needle() == fragment) {
                self.base64
                    .push((Finder::new(&fragment).into_owned(), alphabet));
            }
        }
    }

    /// Mask exactly this text (e.g. a whole AUTH PLAIN blob).
    pub fn add_exact(&mut self, text: String) {
        self.add_bytes(text.into_bytes());
    }

    fn add_bytes(&mut self, form: Vec<u8>) {
        if form.is_empty() || self.texts.iter().any(|f| f.needle() == form) {
            return;
        }
        let at = self
            .texts
            .partition_point(|f| f.needle().len() >= form.len());
        self.texts.insert(at, Finder::new(&form).into_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty() && self.base64.is_empty()
    }

    /// Whether `text` holds a secret in any form.
    pub fn finds_secret(&self, text: &str) -> bool {
        !self.is_empty() && !self.ranges(text).is_empty()
    }

    /// The byte ranges of `text` to mask, sorted and merged, on character boundaries.
    fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        let bytes = text.as_bytes();
        // Longest first: the forms longer than the text are skipped at once.
        let fits = |len: usize| {
            self.texts
                .iter()
                .skip_while(move |f| f.needle().len() > len)
        };
        for form in fits(bytes.len()) {
            let n = form.needle().len();
            for at in form.find_iter(bytes) {
                found.push((at, at + n));
            }
        }
        let fragments = self
            .base64
            .iter()
            .filter(|(f, _)| f.needle().len() <= bytes.len());
        for (fragment, alphabet) in fragments {
            let n = fragment.needle().len();
            for at in fragment.find_iter(bytes) {
                found.push(base64_word(bytes, at, at + n, *alphabet));
            }
        }
        for view in views::views(text) {
            for form in fits(view.bytes.len()) {
                let n = form.needle().len();
                for at in form.find_iter(&view.bytes) {
                    pieces(&view.origin, at, at + n, &mut found);
                }
            }
        }
        merge(text, found)
    }

    pub fn redact(&self, text: &str) -> String {
        self.mask(text, |_| MASK.to_owned())
    }

    /// Like [`redact`](Self::redact), but each masked character becomes one `*`, so that
    /// columns after it stay where they were (a diagnostic's caret).
    pub fn redact_keep_width(&self, text: &str) -> String {
        self.mask(text, |hidden| "*".repeat(hidden.chars().count()))
    }

    fn mask(&self, text: &str, with: impl Fn(&str) -> String) -> String {
        if self.is_empty() {
            return text.to_owned();
        }
        let ranges = self.ranges(text);
        if ranges.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in ranges {
            out.push_str(text.get(at..start).unwrap_or_default());
            out.push_str(&with(text.get(start..end).unwrap_or_default()));
            at = end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        out
    }

    /// The lines of one reply, each redacted, with a secret split across lines found too:
    /// the text after the first `skip` bytes of each line (the `250-`) is read as one.
    pub fn redact_lines(&self, lines: &[String], skip: usize) -> Vec<String> {
        if self.is_empty() {
            return lines.to_vec();
        }
        // One line per line: a secret split across lines is found by the joined view, and a
        // base64 word ends where its line does.
        let mut joined = String::new();
        let mut starts = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                joined.push('\n');
            }
            let skip = (0..=skip.min(line.len()))
                .rev()
                .find(|&s| line.is_char_boundary(s))
                .unwrap_or(0);
            starts.push((joined.len(), skip));
            joined.push_str(line.get(skip..).unwrap_or_default());
        }
        let ranges = self.ranges(&joined);
        lines
            .iter()
            .zip(&starts)
            .map(|(line, &(from, skip))| {
                let to = from + line.len() - skip;
                let mut out = line.get(..skip).unwrap_or_default().to_owned();
                let mut at = from;
                for &(s, e) in &ranges {
                    let (s, e) = (s.max(from), e.min(to));
                    if s >= e {
                        continue;
                    }
                    out.push_str(joined.get(at..s).unwrap_or_default());
                    out.push_str(MASK);
                    at = e;
                }
                out.push_str(joined.get(at..to).unwrap_or_default());
                out
            })
            .collect()
    }
}

/// The base64 word (a maximal run of the alphabet's characters) around `start..end`.
fn base64_word(bytes: &[u8], start: usize, end: usize, alphabet: Alphabet) -> (usize, usize) {
    let word = |i: usize| bytes.get(i).is_some_and(|&b| alphabet.is_word_byte(b));
    let mut s = start;
    while s > 0 && word(s - 1) {
        s -= 1;
    }
    let mut e = end;
    while word(e) {
        e += 1;
    }
    (s, e)
}

/// The original ranges of the view's bytes `start..end`, as contiguous pieces.
fn pieces(origin: &[(usize, usize)], start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let mut current: Option<(usize, usize)> = None;
    for &(s, e) in origin.get(start..end).unwrap_or_default() {
        current = match current {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some(piece) => {
                out.push(piece);
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    out.extend(current);
}

/// Sorted, merged ranges, widened to character boundaries.
fn merge(text: &str, mut found: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    for (s, e) in &mut found {
        while *s > 0 && !text.is_char_boundary(*s) {
            *s -= 1;
        }
        *e = (*e).min(text.len());
        while *e < text.len() && !text.is_char_boundary(*e) {
            *e += 1;
        }
    }
    found.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(found.len());
    for (s, e) in found {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::protocol::b64_encode;

    #[test]
    fn masks_value_and_base64() {
        let r = Redactor::new(["P@$$w0rd"]);
        assert_eq!(r.redact("pass P@$$w0rd"), "pass ***");
        assert_eq!(
            r.redact(&format!("C: {}", b64_encode(b"P@$$w0rd"))),
            "C: ***"
        );
        assert_eq!(r.redact("nothing here"), "nothing here");
    }

    #[test]
    fn longest_first() {
        let mut r = Redactor::new(["abcdef"]);
        r.add_exact("xxabcdefxx".into());
        assert_eq!(r.redact("1 xxabcdefxx 2 abcdef"), "1 *** 2 ***");
    }

    #[test]
    fn keep_width_masks_each_character() {
        let r = Redactor::new(["pässwd"]);
        assert_eq!(r.redact_keep_width("a: pässwd, b"), "a: ******, b");
    }

    #[test]
    fn secret_type_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
        let r = Redactor::new(["hunter2"]);
        assert!(!format!("{r:?}").contains("hunter2"));
    }

    #[test]
    fn escaped_and_encoded_forms() {
        let pw = "pa\"ss\\wo\u{301}rd\t";
        let r = Redactor::new([pw]);
        for shown in [
            format!("{pw:?}"),
            serde_json::to_string(pw).unwrap(),
            "pa&quot;ss\\wo\u{301}rd&#9;".to_owned(),
            "pa%22ss%5Cwo%CC%81rd%09".to_owned(),
            "pa%22ss%5cwo%cc%81rd%09".to_owned(),
            pw.bytes().map(|b| format!("{b:02x}")).collect(),
        ] {
            let out = r.redact(&format!("got: {shown} end"));
            let quoted = "got: \"***\" end";
            assert!(out == "got: *** end" || out == quoted, "{shown}: {out}");
        }
        for before in ["", "P", "Pa", "Password: "] {
            let b64 = b64_encode(format!("{before}{pw} for u").as_bytes());
            assert_eq!(r.redact(&format!("334 {b64}")), "334 ***", "{before}");
        }
    }

    #[test]
    fn a_secret_split_across_reply_lines() {
        let r = Redactor::new(["Sup3rS3cret"]);
        let lines = vec!["250-bad Sup3r".to_owned(), "250 S3cret ok".to_owned()];
        assert_eq!(r.redact_lines(&lines, 4), ["250-bad ***", "250 *** ok"]);
        let b64 = b64_encode(b"Sup3rS3cret");
        let lines = vec![format!("250-b64 {b64}"), "250 hex tail".to_owned()];
        assert_eq!(r.redact_lines(&lines, 4), ["250-b64 ***", "250 hex tail"]);
        assert_eq!(
            r.redact("got: 250-x Sup3r\n          250 S3cret"),
            "got: 250-x ***\n          250 ***"
        );
        assert_eq!(
            r.redact("last reply: 5 Sup3 / 550 rS3cret"),
            "last reply: 5 *** / 550 ***"
        );
    }

    #[test]
    fn a_multi_line_secret_in_a_message() {
        let r = Redactor::new(["first half\nsecond half"]);
        assert_eq!(
            r.redact("A\r\nfirst half\r\nsecond half\r\n.\r\n"),
            "A\r\n***\r\n.\r\n"
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(check_secret_length("abcde").is_err());
        assert!(check_secret_length("abcdef").is_ok());
        assert!(check_secret_length("äöüäöü").is_ok());
    }
}
