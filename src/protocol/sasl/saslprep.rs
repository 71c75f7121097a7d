//! RFC 4013 SASLprep, as RFC 5802 (SCRAM) asks for the user name and the password: a
//! "query" string, so code points unassigned in Unicode 3.2 are let through (an emoji in a
//! password is fine), everything else as RFC 4013 says — map non-ASCII spaces to SPACE and
//! drop the "commonly mapped to nothing" characters (soft hyphen, zero-width joiner, ...),
//! normalise with NFKC, refuse the prohibited characters and broken bidirectional text.
//!
//! The RFC 3454 tables come from the `stringprep` crate (sfackler's, used by tokio-postgres
//! and by rsasl); its own `saslprep()` is not used because it treats every string as a
//! "stored" one and refuses unassigned code points.

use std::borrow::Cow;

use stringprep::tables;
use unicode_normalization::UnicodeNormalization as _;

use super::error::SaslError;

/// `text` prepared with SASLprep (query semantics); an error names the offending character
/// by its code point only (the text may be a password).
pub fn saslprep(text: &str) -> Result<Cow<'_, str>, SaslError> {
    if text
        .chars()
        .all(|c| c.is_ascii() && !tables::ascii_control_character(c))
    {
        return Ok(Cow::Borrowed(text));
    }
    // 2.1 Mapping (RFC 4013: C.1.2 to SPACE, B.1 to nothing), 2.2 Normalization (NFKC).
    let prepared: String = text
        .chars()
        .filter(|&c| !tables::commonly_mapped_to_nothing(c))
        .map(|c| {
            if tables::non_ascii_space_character(c) {
                ' '
            } else {
                c
            }
        })
        .nfkc()
        .collect();
    // 2.3 Prohibited output.
    if let Some(c) = prepared.chars().find(|&c| prohibited(c)) {
        return Err(SaslError::new(format!(
            "SASLprep (RFC 4013) refuses the character U+{:04X} ({})",
            u32::from(c),
            kind(c)
        )));
    }
    // 2.4 Bidirectional characters (RFC 3454 §6).
    if prepared.chars().any(tables::bidi_r_or_al) {
        let first_last_rtl = prepared.chars().next().is_some_and(tables::bidi_r_or_al)
            && prepared
                .chars()
                .next_back()
                .is_some_and(tables::bidi_r_or_al);
        if prepared.chars().any(tables::bidi_l) || !first_last_rtl {
            return Err(SaslError::new(
                "SASLprep (RFC 4013) refuses the text: it mixes right-to-left and left-to-right characters (RFC 3454 §6)",
            ));
        }
    }
    Ok(Cow::Owned(prepared))
}

fn prohibited(c: char) -> bool {
    tables::non_ascii_space_character(c)
        || tables::ascii_control_character(c)
        || tables::non_ascii_control_character(c)
        || tables::private_use(c)
        || tables::non_character_code_point(c)
        || tables::surrogate_code(c)
        || tables::inappropriate_for_plain_text(c)
        || tables::inappropriate_for_canonical_representation(c)
        || tables::change_display_properties_or_deprecated(c)
        || tables::tagging_character(c)
}

fn kind(c: char) -> &'static str {
    if tables::ascii_control_character(c) || tables::non_ascii_control_character(c) {
        "a control character"
    } else if tables::private_use(c) {
        "a private-use character"
    } else {
        "prohibited by RFC 3454 tables C.1.2-C.9"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 4013 §3, the examples table.
    #[test]
    fn rfc4013_examples() {
        assert_eq!(saslprep("I\u{00AD}X").unwrap(), "IX"); // soft hyphen mapped to nothing
        assert_eq!(saslprep("user").unwrap(), "user");
        assert_eq!(saslprep("USER").unwrap(), "USER"); // case preserved
        assert_eq!(saslprep("\u{00AA}").unwrap(), "a"); // NFKC
        assert_eq!(saslprep("\u{2168}").unwrap(), "IX"); // NFKC
        let e = saslprep("\u{0007}").unwrap_err();
        assert!(e.to_string().contains("U+0007"), "{e}");
        assert!(e.to_string().contains("control"), "{e}");
        let e = saslprep("\u{0627}\u{0031}").unwrap_err(); // RandALCat must end it
        assert!(e.to_string().contains("right-to-left"), "{e}");
    }

    #[test]
    fn mapping_and_normalisation() {
        // No-break space and ideographic space are SPACE; the zero-width joiner goes.
        assert_eq!(saslprep("a\u{00A0}b\u{3000}c").unwrap(), "a b c");
        assert_eq!(saslprep("a\u{200D}b").unwrap(), "ab");
        // Decomposed (as macOS types it) and composed forms prepare to the same text.
        assert_eq!(saslprep("Pa\u{0308}ss").unwrap(), "P\u{00E4}ss");
        assert_eq!(saslprep("P\u{00E4}ss").unwrap(), "P\u{00E4}ss");
        // Right-to-left text on its own is fine.
        assert_eq!(saslprep("\u{0627}\u{0628}").unwrap(), "\u{0627}\u{0628}");
    }

    #[test]
    fn query_semantics_let_unassigned_code_points_through() {
        // U+1F600 was unassigned in Unicode 3.2: a query string may hold it (RFC 5802 §2.2).
        assert_eq!(saslprep("pw\u{1F600}x").unwrap(), "pw\u{1F600}x");
    }

    #[test]
    fn prohibited_output() {
        for bad in [
            "pw\u{E000}",
            "pw\u{FFFF}",
            "pw\u{200E}",
            "pw\u{E0001}",
            "pw\u{0085}",
        ] {
            assert!(saslprep(bad).is_err(), "{bad:?}");
        }
        // The error never quotes the text itself.
        let e = saslprep("secret\u{E000}").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
