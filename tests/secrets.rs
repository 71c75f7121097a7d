//! Secrets appear in no output — stdout, stderr, JUnit — in no form: as typed, as base64, inside
//! any mechanism's wire message (the PLAIN blob, the LOGIN password line, the CRAM-MD5
//! response, the SCRAM client-final message, the XOAUTH2 and OAUTHBEARER strings, the NTLM
//! AUTHENTICATE message), for passing and failing logins, whichever way the secret came in.
//! Every mechanism runs against the built-in server; those Dovecot offers also against the
//! real Postfix + Dovecot.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;

use common::*;

const SECRET: &str = "Sup3r-S3cret!pw";
const WRONG: &str = "Wr0ng-S3cret!pw";
const USER: &str = "leaky@example.test";

const BUILTIN: &[&str] = &[
    "PLAIN",
    "LOGIN",
    "CRAM-MD5",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "XOAUTH2",
    "OAUTHBEARER",
    "NTLM",
    "auto",
    "auto-token",
    "manual",
];
const DOVECOT: &[&str] = &[
    "PLAIN",
    "LOGIN",
    "CRAM-MD5",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "auto",
    "manual",
];

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Every precomputable form of `secret` for `user`.
fn forms(user: &str, secret: &str) -> Vec<String> {
    let plain = format!("\0{user}\0{secret}");
    let xoauth2 = format!("user={user}\x01auth=Bearer {secret}\x01\x01");
    vec![
        secret.to_owned(),
        b64(secret.as_bytes()),
        b64(plain.as_bytes()),
        xoauth2.clone(),
        b64(xoauth2.as_bytes()),
        format!("auth=Bearer {secret}"),
    ]
}

/// The steps of one login (after TLS) with `mechanism` (or the manual AUTH PLAIN and LOGIN).
fn auth_steps(mechanism: &str, user: &str) -> String {
    match mechanism {
        "manual" => "      - send: 'AUTH PLAIN ${base64_plain(user, password)}'\n        expect: [235, 535]\n      - send: AUTH LOGIN\n        expect: {code: [334, 503], capture: {c: '(.*)'}}\n      - send: '${base64(user)}'\n        expect: [334, 501, 502, 503, 500]\n      - send: '${base64(password)}'\n        expect: [235, 535, 500, 501, 502]\n".to_owned(),
        "auto-token" => format!("      - auth: {{mechanism: auto, username: '{user}', token: '${{password}}'}}\n"),
        "XOAUTH2" | "OAUTHBEARER" => format!("      - auth: {{mechanism: {mechanism}, username: '{user}', token: '${{password}}'}}\n"),
        m => format!("      - auth: {{mechanism: {m}, username: '{user}', password: '${{password}}'}}\n"),
    }
}

fn plan_text(mechanism: &str, user: &str, listed: bool) -> String {
    let secrets = if listed { "secrets: [password]\n" } else { "" };
    let noop = if listed {
        "      - send: 'NOOP ${password}'\n        expect: 250\n"
    } else {
        ""
    };
    format!(
        "name: leak-{mechanism}\nvars:\n  user: {user}\n  password: placeholder\n{secrets}scenarios:\n  - name: login\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - ehlo: client.test\n{}{noop}      - quit\n",
        auth_steps(mechanism, user)
    )
}

/// No form of `secret` in any output, and every client line that carries credential material
/// is masked, whatever its encoding.
fn assert_no_leak(what: &str, r: &Run, junit: &Path, user: &str, secret: &str) {
    let xml = std::fs::read_to_string(junit).unwrap_or_default();
    assert!(xml.contains("<testcase"), "{what}: no JUnit written");
    for form in forms(user, secret) {
        for (stream, text) in [
            ("stdout", &r.stdout),
            ("stderr", &r.stderr),
            ("junit", &xml),
        ] {
            assert!(
                !text.contains(&form),
                "{what}: {stream} contains the secret form {form:?}:\n{text}"
            );
        }
    }
    for text in [&r.stdout, &xml] {
        for line in text.lines() {
            let Some(sent) = line.trim().strip_prefix("C: ") else {
                continue;
            };
            for word in sent.split_whitespace() {
                let Some(decoded) = unb64(word) else { continue };
                let shown = String::from_utf8_lossy(&decoded);
                assert!(
                    !shown.contains(secret),
                    "{what}: {word} decodes to the secret"
                );
                assert!(
                    !shown.contains(",p="),
                    "{what}: a SCRAM client-final message is shown: {line}"
                );
                assert!(
                    !decoded.starts_with(b"NTLMSSP\0\x03"),
                    "{what}: an NTLM AUTHENTICATE message is shown: {line}"
                );
                let cram = shown.rsplit_once(' ').is_some_and(|(_, d)| {
                    d.len() == 32 && d.chars().all(|c| c.is_ascii_hexdigit())
                });
                assert!(!cram, "{what}: a CRAM-MD5 response is shown: {line}");
            }
        }
    }
}

/// Run `mechanism` with the right and the wrong secret, given four ways: `--var` of a name in
/// `secrets:`, `--secret`, `--secrets-file`, and `${env:..}` not listed in `secrets:`.
fn check_mechanism(dir: &Path, mechanism: &str, user: &str, target: &[&str], secret: &str) {
    for (password, ok) in [(secret, true), (WRONG, false)] {
        for how in ["var", "secret", "file", "env"] {
            // A value not named secret anywhere is secret only inside an `auth` step: the
            // manual plan's `send` lines are the plan's own business then.
            if how == "env" && mechanism == "manual" {
                continue;
            }
            let listed = how == "var";
            let mut text = plan_text(mechanism, user, listed);
            if how == "env" {
                text = text.replace("password: placeholder", "password: ${env:LEAK_PW}");
            }
            let label = format!("{mechanism}-{how}-{ok}");
            let path = plan(dir, &format!("{label}.yaml"), &text);
            let junit = dir.join(format!("{label}.xml"));
            let file = dir.join(format!("{label}.env"));
            std::fs::write(&file, format!("# test\npassword={password}\n")).unwrap();
            let var = format!("password={password}");
            let mut args = vec!["run", path.to_str().unwrap(), "-v", "--junit"];
            args.push(junit.to_str().unwrap());
            args.extend_from_slice(target);
            match how {
                "var" => args.extend(["--var", var.as_str()]),
                "secret" => args.extend(["--secret", var.as_str()]),
                "file" => args.extend(["--secrets-file", file.to_str().unwrap()]),
                _ => {}
            }
            let r = run(smtp_plan(&args).env("LEAK_PW", password));
            let what = format!("{label} ({} secret)", if ok { "right" } else { "wrong" });
            // The manual plan accepts either outcome; every other one must pass or fail as due.
            if mechanism == "manual" {
                r.assert_code(0);
                let want = if ok { "S: 235" } else { "S: 535" };
                assert!(r.stdout.contains(want), "{what}:\n{}", r.stdout);
            } else {
                r.assert_code(if ok { 0 } else { 1 });
            }
            assert!(r.stdout.contains("C: AUTH"), "{what}:\n{}", r.stdout);
            assert!(r.stdout.contains("***"), "{what}:\n{}", r.stdout);
            assert_no_leak(&what, &r, &junit, user, password);
        }
    }
}

#[test]
fn no_form_of_a_secret_leaks_with_any_mechanism_against_the_builtin_server() {
    let serve = Serve::start(&["--user", &format!("{USER}:{SECRET}")]);
    let dir = tempfile::tempdir().unwrap();
    let target = serve.smtp.to_string();
    let ca = serve.ca.to_str().unwrap().to_owned();
    for mechanism in BUILTIN {
        check_mechanism(
            dir.path(),
            mechanism,
            USER,
            &["--target", &target, "--ca-file", &ca],
            SECRET,
        );
    }
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn no_form_of_a_secret_leaks_with_any_mechanism_against_dovecot() {
    let _pf = postfix();
    let user = std::env::var("SMTP_PLAN_POSTFIX_USER").unwrap();
    let password = std::env::var("SMTP_PLAN_POSTFIX_PASSWORD").unwrap();
    let host = std::env::var("SMTP_PLAN_POSTFIX_HOST").unwrap();
    let port = std::env::var("SMTP_PLAN_POSTFIX_SUBMISSION_PORT").unwrap();
    let ca = std::env::var("SMTP_PLAN_POSTFIX_CA").unwrap();
    let target = format!("{host}:{port}");
    let dir = tempfile::tempdir().unwrap();
    for mechanism in DOVECOT {
        check_mechanism(
            dir.path(),
            mechanism,
            &user,
            &["--target", &target, "--ca-file", &ca],
            &password,
        );
    }
}
