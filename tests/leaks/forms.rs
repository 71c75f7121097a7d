#![allow(dead_code)] // shared by tests/leaks.rs and tests/wire.rs, which use different parts

//! The values of the leak suite, what the echo server sends back for one, and every form of
//! one that no output may hold (an oracle written apart from `src/redact`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// Values longer than this are not echoed (a reply line holds at most 8 KiB).
pub const MAX_ECHO: usize = 2000;

/// The tricky values: quotes, backslash, tab, newline, combining marks, `$`, regex and YAML
/// metacharacters, non-ASCII, a 200 KB value, and the shortest one allowed.
pub fn values() -> Vec<String> {
    let mut big = String::with_capacity(200_000);
    let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while big.len() < 200_000 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        big.push(char::from(alphabet[(x >> 58) as usize % alphabet.len()]));
    }
    vec![
        "quo\"te'Sq-1".to_owned(),
        "back\\slash\\\\x9".to_owned(),
        "tab\there-t1".to_owned(),
        "first-half-A\nsecond-half-B".to_owned(),
        "combi\u{301}ning-e\u{301}".to_owned(),
        "P@$$w0rd-${x}-$5".to_owned(),
        "re.*+?[x](y){2}|^$:# &!%@".to_owned(),
        "pässwörd-ß-日本語".to_owned(),
        big,
        "Sh0rt!".to_owned(),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// RFC 3461 xtext (ENVID, ORCPT, XCLIENT, AUTH=): `+XX` for `+`, `=` and bytes outside `!`..`~`.
fn xtext(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
                char::from(b).to_string()
            } else {
                format!("+{b:02X}")
            }
        })
        .collect()
}

/// Quoted-printable (and RFC 2047 Q) style: `=XX` for `=`, space and bytes outside `!`..`~`.
fn quoted_printable(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if (b'!'..=b'~').contains(&b) && b != b'=' {
                char::from(b).to_string()
            } else {
                format!("={b:02X}")
            }
        })
        .collect()
}

/// What the server answers with about `secret` (one text per reply line).
pub fn echo_lines(secret: &str) -> Vec<String> {
    if secret.is_empty() || secret.len() > MAX_ECHO {
        return vec!["ok".to_owned()];
    }
    let b64 = |t: &[u8]| STANDARD.encode(t);
    let user = "leak@example.test";
    let mut lines = Vec::new();
    if !secret.contains(['\r', '\n']) {
        lines.push(format!("plain {secret}"));
        let half = secret
            .char_indices()
            .nth(secret.chars().count() / 2)
            .unwrap()
            .0;
        lines.push(format!("split {}", &secret[..half]));
        lines.push(format!("{} tail", &secret[half..]));
    }
    lines.extend([
        format!("escaped {secret:?}"),
        format!("json {}", serde_json::to_string(secret).unwrap()),
        format!("b64a {}", b64(secret.as_bytes())),
        format!("b64b {}", b64(format!("P{secret} x").as_bytes())),
        format!("b64c {}", b64(format!("Pa{secret}").as_bytes())),
        format!(
            "plainblob {}",
            b64(format!("\0{user}\0{secret}").as_bytes())
        ),
        format!(
            "xoauth2 {}",
            b64(format!("user={user}\x01auth=Bearer {secret}\x01\x01").as_bytes())
        ),
        format!(
            "oauthbearer {}",
            b64(
                format!("n,a={user},\x01host=h\x01port=25\x01auth=Bearer {secret}\x01\x01")
                    .as_bytes()
            )
        ),
        format!("hex {}", hex(secret.as_bytes())),
        format!("HEX {}", hex(secret.as_bytes()).to_ascii_uppercase()),
        format!("pct {}", percent(secret)),
        format!("xtext {}", xtext(secret)),
        format!("qp {}", quoted_printable(secret)),
    ]);
    lines
}

/// The base64 characters that depend on `value` alone, at each of the three alignments.
fn base64_fragments(value: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for (shift, skip) in [(0, 0), (1, 2), (2, 3)] {
            let mut data = vec![b'P'; shift];
            data.extend_from_slice(value);
            let encoded = engine.encode(&data);
            let end = encoded.len() - usize::from(data.len() % 3 != 0);
            if end > skip + 6 {
                out.push(encoded[skip..end].to_owned());
            }
        }
    }
    out
}

/// Every form of `value` that must appear in no output.
pub fn forbidden_forms(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let long = |s: &str| s.chars().count() >= 6;
    if value.contains(['\r', '\n']) {
        out.extend(
            value
                .split(['\r', '\n'])
                .filter(|p| long(p))
                .map(str::to_owned),
        );
    } else {
        out.push(value.to_owned());
        let half = value
            .char_indices()
            .nth(value.chars().count() / 2)
            .unwrap()
            .0;
        out.extend(
            [&value[..half], &value[half..]]
                .into_iter()
                .filter(|p| long(p))
                .map(str::to_owned),
        );
    }
    let debug = format!("{value:?}");
    out.push(debug[1..debug.len() - 1].to_owned());
    let json = serde_json::to_string(value).unwrap();
    out.push(json[1..json.len() - 1].to_owned());
    out.push(
        value
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;"),
    );
    out.extend(base64_fragments(value.as_bytes()));
    let h = hex(value.as_bytes());
    out.push(h.to_ascii_uppercase());
    out.push(h);
    let p = percent(value);
    out.push(p.to_ascii_lowercase());
    out.push(p);
    out.push(xtext(value));
    out.push(quoted_printable(value));
    out.sort();
    out.dedup();
    out.retain(|f| long(f));
    out
}
