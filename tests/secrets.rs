//! Secrets appear in no output — stdout, stderr, JUnit — in no form: as typed, as base64 (AUTH
//! LOGIN), or inside the AUTH PLAIN blob.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const SECRET: &str = "Sup3r-S3cret!pw";
const USER: &str = "leaky@example.test";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn forms(secret: &str) -> Vec<String> {
    vec![
        secret.to_owned(),
        b64(secret.as_bytes()),
        b64(format!("\0{USER}\0{secret}").as_bytes()),
    ]
}

fn plan_text(mechanism: &str, password_var: &str, listed: bool) -> String {
    let secrets = if listed { "secrets: [password]\n" } else { "" };
    format!(
        "name: leak-{mechanism}\nvars:\n  password: {password_var}\n{secrets}scenarios:\n  - name: login\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - ehlo: client.test\n      - auth: {{mechanism: {mechanism}, username: {USER}, password: '${{password}}'}}\n      - send: 'NOOP ${{password}}'\n        expect: 250\n      - quit\n"
    )
}

fn assert_no_leak(what: &str, r: &Run, junit: &std::path::Path, secret: &str) {
    let xml = std::fs::read_to_string(junit).unwrap_or_default();
    assert!(xml.contains("<testcase"), "{what}: no JUnit written");
    for form in forms(secret) {
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
}

#[test]
fn no_form_of_a_secret_leaks_in_passing_or_failing_logins() {
    let serve = Serve::start(&["--user", &format!("{USER}:{SECRET}")]);
    let dir = tempfile::tempdir().unwrap();
    let target = serve.smtp.to_string();
    let ca = serve.ca.to_str().unwrap().to_owned();
    for mechanism in ["PLAIN", "LOGIN"] {
        // listed in `secrets:`, given by --var; and the wrong password (a failing login)
        for (password, code) in [(SECRET, 0), ("Wr0ng-S3cret!pw", 1)] {
            let path = plan(
                dir.path(),
                &format!("{mechanism}.yaml"),
                &plan_text(mechanism, "placeholder", true),
            );
            let junit = dir.path().join(format!("{mechanism}-{code}.xml"));
            let r = run(smtp_plan(&[
                "run",
                path.to_str().unwrap(),
                "-v",
                "--target",
                &target,
                "--ca-file",
                &ca,
                "--var",
                &format!("password={password}"),
                "--junit",
                junit.to_str().unwrap(),
            ]));
            r.assert_code(code);
            assert!(r.stdout.contains("C: AUTH"), "{}", r.stdout);
            assert!(r.stdout.contains("***"), "{}", r.stdout);
            assert_no_leak(
                &format!("{mechanism} via --var, exit {code}"),
                &r,
                &junit,
                password,
            );
        }
        // from the environment, NOT listed in `secrets:`: an AUTH password is secret anyway
        // in every AUTH form (the NOOP line, which the plan wrote itself, is the plan's business)
        let text =
            plan_text(mechanism, "${env:LEAK_PW}", false).replace("NOOP ${password}", "NOOP");
        let path = plan(dir.path(), &format!("{mechanism}-env.yaml"), &text);
        let junit = dir.path().join(format!("{mechanism}-env.xml"));
        let r = run(smtp_plan(&[
            "run",
            path.to_str().unwrap(),
            "-v",
            "--target",
            &target,
            "--ca-file",
            &ca,
            "--junit",
            junit.to_str().unwrap(),
        ])
        .env("LEAK_PW", SECRET));
        r.assert_code(0);
        assert_no_leak(&format!("{mechanism} via env"), &r, &junit, SECRET);
    }
}
