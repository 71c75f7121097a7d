//! Secret values are replaced by `***` in every output, including their wire forms.
//!
//! Redaction is by value: whatever text is about to be shown (a transcript line, a failure
//! message, a captured reply) passes through [`Redactor::redact`], which knows every secret
//! value and the base64 forms that travel on the wire during AUTH.

use std::fmt;

use crate::protocol::b64_encode;

/// What a redacted secret looks like in every output.
pub const MASK: &str = "***";

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The real value, for the wire only.
    pub fn expose(&self) -> &str {
        &self.0
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

/// Replaces known secret strings with `***`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a value containing another is masked whole.
    needles: Vec<String>,
}

impl Redactor {
    /// A redactor for these secret values and their base64 forms.
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

    /// Mask `value` and its base64 encoding (as sent in AUTH LOGIN).
    pub fn add_secret(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        self.add_exact(value.to_owned());
        self.add_exact(b64_encode(value.as_bytes()));
    }

    /// Mask exactly this text (e.g. a whole AUTH PLAIN blob).
    pub fn add_exact(&mut self, text: String) {
        if text.is_empty() || self.needles.contains(&text) {
            return;
        }
        let at = self.needles.partition_point(|n| n.len() >= text.len());
        self.needles.insert(at, text);
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// Like [`redact`](Self::redact), but each masked character becomes one `*`, so that
    /// columns after it stay where they were (a diagnostic's caret).
    pub fn redact_keep_width(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), &"*".repeat(needle.chars().count()));
            }
        }
        out
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut r = Redactor::new(["abc"]);
        r.add_exact("xxabcxx".into());
        assert_eq!(r.redact("1 xxabcxx 2 abc"), "1 *** 2 ***");
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
    }
}
