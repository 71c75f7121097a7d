//! Secret values are replaced by `***` in every output, in every form.
//!
//! Redaction is by value: whatever text is about to be shown (a transcript line, a failure
//! message, a captured reply, a name) passes through [`Redactor::redact`], which knows every
//! secret value and finds it as typed, with its line breaks as CRLF, in hex, in base64 at any
//! alignment (the whole base64 word around it is masked), escaped (`\"`, `\u{301}`, `&quot;`),
//! percent-encoded, and split across the lines of a reply — its ASCII letters in any case (a
//! server that upper-cases an echo), all in one pass over each view of the text.

mod forms;
mod views;

use std::fmt;

use memchr::memmem::Finder;

use forms::{Alphabet, base64_fragments, hex_forms, typed_forms};

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
    /// Forms as typed of secrets with ASCII letters, ASCII-lower-cased: searched in every view
    /// of a text lower-cased the same way, so that an echo a server upper-cased (`500 5.5.2
    /// UNKNOWN COMMAND "X PASSWORD"`) is found. Lower-casing ASCII keeps every byte where it
    /// was, so a match is where it is in the text; one pass per view, still linear.
    folded: Vec<Finder<'static>>,
    /// Base64 fragments: a match masks the whole base64 word around it.
    base64: Vec<(Finder<'static>, Alphabet)>,
    /// The values added so far: adding one again costs nothing (an `auth` step adds its
    /// password, usually known from the start, each time it runs).
    known: Vec<Secret>,
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

    /// Whether `value` is one of the secrets (as given, not a form of one).
    pub fn knows(&self, value: &str) -> bool {
        self.known.iter().any(|k| k.expose() == value)
    }

    /// Mask `value` in every form.
    pub fn add_secret(&mut self, value: &str) {
        if value.is_empty() || self.known.iter().any(|k| k.expose() == value) {
            return;
        }
        self.known.push(Secret::new(value));
        let letters = value.bytes().any(|b| b.is_ascii_alphabetic());
        for form in typed_forms(value) {
            if letters {
                let form = form.to_ascii_lowercase();
                if !self.folded.iter().any(|f| f.needle() == form) {
                    self.folded.push(Finder::new(&form).into_owned());
                }
            } else {
                self.add_bytes(form);
            }
        }
        for form in hex_forms(value) {
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
        self.texts.is_empty() && self.base64.is_empty() && self.folded.is_empty()
    }

    /// Where the case-folded forms are in `bytes` (ASCII-lower-cased here, once).
    fn folded_matches(&self, bytes: &[u8], mut found: impl FnMut(usize, usize)) {
        if self.folded.iter().all(|f| f.needle().len() > bytes.len()) {
            return;
        }
        let lower = bytes.to_ascii_lowercase();
        for form in &self.folded {
            let n = form.needle().len();
            for at in form.find_iter(&lower) {
                found(at, at + n);
            }
        }
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
        self.folded_matches(bytes, |s, e| found.push((s, e)));
        for (s, e, _) in self.base64_matches(bytes, true) {
            found.push((s, e));
        }
        for view in views::views(text) {
            self.folded_matches(&view.bytes, |s, e| pieces(&view.origin, s, e, &mut found));
            for form in fits(view.bytes.len()) {
                let n = form.needle().len();
                for at in form.find_iter(&view.bytes) {
                    pieces(&view.origin, at, at + n, &mut found);
                }
            }
            // Base64 split across the lines of a reply (or escaped) reads whole here; each of
            // its pieces is masked with the base64 word it is part of where it was written.
            let (mut split, mut one) = (Vec::new(), Vec::new());
            for (s, e, alphabet) in self.base64_matches(&view.bytes, false) {
                one.clear();
                pieces(&view.origin, s, e, &mut one);
                split.extend(one.iter().map(|&(ps, pe)| (ps, pe, alphabet)));
            }
            split.sort_unstable_by_key(|p| (p.0, p.1));
            let mut covered = 0;
            for (s, e, alphabet) in split {
                if s < covered {
                    found.push((s, e));
                    continue;
                }
                let word = base64_word(bytes, s, e, alphabet);
                covered = word.1;
                found.push(word);
            }
        }
        merge(text, found)
    }

    /// Where a base64 fragment of a secret is in `bytes`; with `widen`, widened to the base64
    /// word around it, each word scanned once however many fragments it holds (no quadratic
    /// work on a long word).
    fn base64_matches(&self, bytes: &[u8], widen: bool) -> Vec<(usize, usize, Alphabet)> {
        let mut out = Vec::new();
        let fragments = self
            .base64
            .iter()
            .filter(|(f, _)| f.needle().len() <= bytes.len());
        for (fragment, alphabet) in fragments {
            let n = fragment.needle().len();
            let mut covered = 0;
            for at in fragment.find_iter(bytes) {
                if at < covered {
                    continue;
                }
                let (s, e) = if widen {
                    base64_word(bytes, at, at + n, *alphabet)
                } else {
                    (at, at + n)
                };
                covered = e;
                out.push((s, e, *alphabet));
            }
        }
        out
    }

    pub fn redact(&self, text: &str) -> String {
        self.mask(text, |_| MASK.to_owned())
    }

    /// The length in bytes of the longest form searched: a text cut anywhere shows no part
    /// of a secret if it is redacted with this many bytes of what follows the cut.
    pub fn longest_form(&self) -> usize {
        let texts = self.texts.first().map_or(0, |f| f.needle().len());
        let folded = self.folded.iter().map(|f| f.needle().len()).max();
        let texts = texts.max(folded.unwrap_or(0));
        let base64 = self.base64.iter().map(|(f, _)| f.needle().len()).max();
        // A base64 fragment leaves out up to 3 characters at each end.
        texts.max(base64.map_or(0, |n| n + 6))
    }

    /// `text` redacted as the middle of `before` + `text` + `after`: a secret that starts
    /// before it or goes on after it (a message shown in pieces, a line cut short) is masked
    /// in the part shown.
    pub fn redact_part(&self, before: &str, text: &str, after: &str) -> String {
        if self.is_empty() {
            return text.to_owned();
        }
        let whole = format!("{before}{text}{after}");
        let (from, to) = (before.len(), before.len() + text.len());
        let mut out = String::with_capacity(text.len());
        mask_window(&mut out, &whole, (from, to), &self.ranges(&whole));
        out
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
                mask_window(&mut out, &joined, (from, to), &ranges);
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

/// `whole[from..to]` appended to `out`, with the part of each of `ranges` (sorted, merged)
/// that falls inside it masked.
fn mask_window(
    out: &mut String,
    whole: &str,
    (from, to): (usize, usize),
    ranges: &[(usize, usize)],
) {
    let mut at = from;
    for &(s, e) in ranges {
        let (s, e) = (s.max(from), e.min(to));
        if s >= e {
            continue;
        }
        out.push_str(whole.get(at..s).unwrap_or_default());
        out.push_str(MASK);
        at = e;
    }
    out.push_str(whole.get(at..to).unwrap_or_default());
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
mod tests;
