//! The forms a secret value takes on the wire and in text: as typed, with its line breaks as
//! CRLF (and dot-stuffed, as in a DATA payload), in hex, and base64 at every alignment. The
//! forms as typed are matched regardless of the case of ASCII letters (see `Redactor`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// The forms of `value` as typed: itself, and with its line breaks as LF, as CRLF and
/// dot-stuffed (as in a DATA payload).
pub(super) fn typed_forms(value: &str) -> Vec<Vec<u8>> {
    let mut out = vec![value.as_bytes().to_vec()];
    if value.contains('\n') || value.contains('\r') {
        let lf = value.replace("\r\n", "\n");
        let crlf = lf.replace('\n', "\r\n");
        let stuffed = crlf.replace("\r\n.", "\r\n..");
        out.extend([lf, crlf, stuffed].map(String::into_bytes));
    }
    out
}

/// The forms of `value` in hex, lower- and upper-case.
pub(super) fn hex_forms(value: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(2);
    let mut hex = Vec::with_capacity(value.len() * 2);
    for b in value.bytes() {
        for nibble in [b >> 4, b & 15] {
            hex.push(if nibble < 10 {
                b'0' + nibble
            } else {
                b'a' + nibble - 10
            });
        }
    }
    out.push(hex.to_ascii_uppercase());
    out.push(hex);
    out
}

/// The forms of `value` matched as bytes, in every view of a text.
#[cfg(test)]
pub(super) fn text_forms(value: &str) -> Vec<Vec<u8>> {
    let mut out = typed_forms(value);
    out.extend(hex_forms(value));
    out
}

/// Which base64 alphabet a fragment is in (decides which characters make up its word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Alphabet {
    Standard,
    UrlSafe,
}

impl Alphabet {
    pub(super) fn is_word_byte(self, b: u8) -> bool {
        b.is_ascii_alphanumeric()
            || b == b'='
            || match self {
                Alphabet::Standard => b == b'+' || b == b'/',
                Alphabet::UrlSafe => b == b'-' || b == b'_',
            }
    }
}

/// The part of base64 text that depends on `value` alone, wherever `value` starts in the
/// encoded data (at 0, 1 or 2 bytes past a 3-byte boundary) and whatever follows it: the
/// first characters, which mix in the bytes before, and the last, which mix in the bytes
/// after, are left out. Fragments of fewer than 4 characters are not kept (too likely by
/// chance).
pub(super) fn base64_fragments(value: &[u8]) -> Vec<(Vec<u8>, Alphabet)> {
    let mut out: Vec<(Vec<u8>, Alphabet)> = Vec::new();
    for (engine, alphabet) in [
        (&STANDARD_NO_PAD, Alphabet::Standard),
        (&URL_SAFE_NO_PAD, Alphabet::UrlSafe),
    ] {
        for (shift, skip) in [(0usize, 0usize), (1, 2), (2, 3)] {
            let mut data = vec![0u8; shift];
            data.extend_from_slice(value);
            let encoded = engine.encode(&data).into_bytes();
            let drop_last = usize::from(data.len() % 3 != 0);
            let end = encoded.len().saturating_sub(drop_last);
            let Some(fragment) = encoded.get(skip..end) else {
                continue;
            };
            if fragment.len() >= 4 && !out.iter().any(|(f, _)| f == fragment) {
                out.push((fragment.to_vec(), alphabet));
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn a_fragment_is_found_at_every_alignment_and_with_anything_around() {
        let secret = b"P@$$w0rd-xyz";
        let fragments = base64_fragments(secret);
        for before in ["", "a", "ab", "abc", "Password: "] {
            for after in ["", "x", "xy", " for user1"] {
                let mut data = before.as_bytes().to_vec();
                data.extend_from_slice(secret);
                data.extend_from_slice(after.as_bytes());
                let encoded = STANDARD.encode(&data);
                assert!(
                    fragments.iter().any(|(f, _)| encoded
                        .as_bytes()
                        .windows(f.len())
                        .any(|w| w == f.as_slice())),
                    "{before:?} + secret + {after:?} = {encoded}"
                );
            }
        }
    }

    #[test]
    fn line_break_and_hex_forms() {
        let forms = text_forms("ab\ncd");
        assert!(forms.contains(&b"ab\r\ncd".to_vec()));
        assert!(forms.contains(&b"61620a6364".to_vec()));
        assert!(forms.contains(&b"61620A6364".to_vec()));
        assert!(text_forms("ab\n.cd").contains(&b"ab\r\n..cd".to_vec()));
    }
}
