//! The redactor on raw strings: every form, splits, cuts, and its time on a 200 KB secret.

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
fn base64_of_a_secret_split_across_reply_lines() {
    let r = Redactor::new(["Sup3rS3cret-and-more"]);
    for before in ["", "P", "Pa"] {
        let b64 = b64_encode(format!("{before}Sup3rS3cret-and-more!").as_bytes());
        let (a, b) = b64.split_at(b64.len() / 2);
        let lines = vec![format!("535-bad {a}"), format!("535 {b} for user1")];
        assert_eq!(
            r.redact_lines(&lines, 4),
            ["535-bad ***", "535 *** for user1"],
            "{before:?}"
        );
        let text = format!("got: 535-bad {a}\n     535 {b} for user1");
        assert_eq!(r.redact(&text), "got: 535-bad ***\n     535 *** for user1");
    }
}

/// A 200 KB secret, echoed whole, split across lines, in base64 and hex, next to a long
/// base64 word full of another secret: masked, in time linear in the text (a quadratic scan
/// of the long word would hang).
#[test]
fn a_200_kb_secret_is_masked_in_linear_time() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let big: String = (0..200_000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[(x >> 59) as usize])
        })
        .collect();
    let r = Redactor::new([big.as_str(), "Sh0rt!"]);
    let hex: String = big.bytes().map(|b| format!("{b:02x}")).collect();
    let mut lines = Vec::new();
    for form in [big.clone(), b64_encode(big.as_bytes()), hex] {
        for chunk in form.as_bytes().chunks(7000) {
            lines.push(format!("250-{}", std::str::from_utf8(chunk).unwrap()));
        }
    }
    lines.push(format!(
        "250 {}",
        b64_encode("Sh0rt!".repeat(50_000).as_bytes())
    ));
    // Quadratic work here would take hours: bounded against a hang, no timing claim.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let out = r.redact_lines(&lines, 4);
        let whole = r.redact(&lines.join("\r\n"));
        let _ = tx.send((out, whole));
    });
    let (out, whole) = rx
        .recv_timeout(std::time::Duration::from_secs(90))
        .expect("masking a 200 KB secret hung");
    assert!(
        out.iter().all(|l| l == "250-***" || l == "250 ***"),
        "{:?}",
        &out[..3]
    );
    assert_eq!(whole, out.join("\r\n"));
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

/// A server that upper-cases (or otherwise changes the case of) an echoed secret: its ASCII
/// letters are matched regardless of case, as typed, escaped, percent-encoded and split across
/// reply lines; hex and base64 stay exact (their case is meaning).
#[test]
fn an_echo_in_another_case_is_masked() {
    let r = Redactor::new(["Sup3r-S3cret!pw"]);
    assert_eq!(
        r.redact("500 5.5.2 UNKNOWN COMMAND \"X SUP3R-S3CRET!PW\""),
        "500 5.5.2 UNKNOWN COMMAND \"X ***\""
    );
    assert_eq!(r.redact("a sup3r-s3cret!pw b"), "a *** b");
    assert_eq!(r.redact("a sUP3R-s3CrEt!Pw b"), "a *** b");
    assert_eq!(r.redact(r#"echo \"SUP3R-S3CRET!PW\""#), r#"echo \"***\""#);
    assert_eq!(r.redact("echo SUP3R-S3CRET%21PW"), "echo ***");
    let lines = vec![
        "250-first SUP3R-S3".to_owned(),
        "250 CRET!PW last".to_owned(),
    ];
    assert_eq!(
        r.redact_lines(&lines, 4),
        vec!["250-first ***".to_owned(), "250 *** last".to_owned()]
    );
    assert!(r.finds_secret("SUP3R-S3CRET!PW"));
    // A multi-line secret in a message, upper-cased.
    let m = Redactor::new(["first half\nsecond half"]);
    assert_eq!(m.redact("x FIRST HALF\r\nSECOND HALF y"), "x *** y");
}

/// What only looks like a secret in another case is left alone: one character short, a
/// different non-letter, a letter that is not ASCII (not folded), a secret without letters in
/// another "case".
#[test]
fn a_text_that_differs_from_a_secret_by_more_than_case_is_untouched() {
    let r = Redactor::new(["Sup3r-S3cret!pw", "pässwörd-1", "123456-789"]);
    for text in [
        "SUP3R-S3CRET!P",
        "SUP3R_S3CRET!PW",
        "SUPER-SECRET!PW",
        "PÄSSWÖRD-1",
        "123456_789",
        "nothing here at all",
    ] {
        assert_eq!(r.redact(text), text);
        assert!(!r.finds_secret(text), "{text}");
    }
    // The exact forms still are.
    assert_eq!(r.redact("pässwörd-1 123456-789"), "*** ***");
}

/// Case-folding stays linear: a 200 KB secret of letters echoed upper-cased in a 1 MB text
/// of near misses is masked without a hang.
#[test]
fn case_folded_masking_of_a_200_kb_secret_is_linear() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let big: String = (0..200_000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(b"abcdefghijklmnopqrstuvwxyz"[(x >> 59) as usize % 26])
        })
        .collect();
    let r = Redactor::new([big.as_str()]);
    let near = big.get(..big.len() - 1).unwrap().to_ascii_uppercase();
    let text = format!(
        "{near} {near} {near} {near} {} end",
        big.to_ascii_uppercase()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(r.redact(&text));
    });
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(90))
        .expect("case-folded masking hung");
    assert!(
        out.ends_with(" *** end"),
        "{}",
        out.get(out.len() - 20..).unwrap()
    );
    assert_eq!(out.len(), near.len() * 4 + 3 + " *** end".len());
}
