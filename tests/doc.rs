//! `smtp-plan doc`: the shipped page stays in step with the shipped plans, secrets stay
//! hidden, and load errors are reported as for `check`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

/// docs/scenarios.md is `smtp-plan doc scenarios/`. Regenerate with
/// `UPDATE_DOCS=1 cargo test --test doc` (or `smtp-plan doc scenarios/ -o docs/scenarios.md`).
#[test]
fn docs_scenarios_md_is_current() {
    let r = run(smtp_plan(&["doc", "scenarios/"]));
    r.assert_code(0);
    let path = repo().join("docs/scenarios.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &r.stdout).unwrap();
        return;
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    if shipped != r.stdout {
        let first = shipped
            .lines()
            .zip(r.stdout.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| shipped.lines().count().min(r.stdout.lines().count()));
        panic!(
            "docs/scenarios.md is out of date (first difference at line {}):\n  shipped:   {:?}\n  generated: {:?}\n\
             regenerate with: UPDATE_DOCS=1 cargo test --test doc",
            first + 1,
            shipped.lines().nth(first).unwrap_or("<end>"),
            r.stdout.lines().nth(first).unwrap_or("<end>"),
        );
    }
}

#[test]
fn the_page_does_not_depend_on_the_environment() {
    let plain = run(smtp_plan(&["doc", "scenarios/exchange.yaml"]));
    let with_env = run(smtp_plan(&["doc", "scenarios/exchange.yaml"])
        .env("SMTP_HOST", "other.example")
        .env("SMTP_PASSWORD", "Env-Secret-1"));
    plain.assert_code(0);
    with_env.assert_code(0);
    assert_eq!(plain.stdout, with_env.stdout);
    assert!(!with_env.stdout.contains("Env-Secret-1"));
    assert!(
        plain.stdout.contains("`mail.contoso.com:25`"),
        "{}",
        plain.stdout
    );
    assert!(
        plain
            .stdout
            .contains("`SMTP_HOST` (default `mail.contoso.com`)"),
        "{}",
        plain.stdout
    );
}

#[test]
fn reads_like_a_spec() {
    let r = run(smtp_plan(&["doc", "scenarios/exchange.yaml"]));
    r.assert_code(0);
    for want in [
        "## Exchange SMTP AUTH walkthrough",
        "### authenticated submission over STARTTLS",
        "Tags: `submission`.",
        "1. Wait for the greeting: the server must answer 220.",
        "the server must answer 250, list `STARTTLS` and `AUTH`.",
        "list `AUTH LOGIN`, and must not list `STARTTLS`.",
        "Log in with `AUTH LOGIN` as `${user}` and the password from `${password}`: the server \
         must answer 235 with enhanced status `2.7.0`; the reply must match `Authentication successful`.",
        "the reply must contain `Sender OK`",
        "`${queue_id}` is taken from the reply with `<([^>]+)>`",
        "   Subject: Test OpenSSL Mail-Enabled User",
        "`password` — secret, never shown",
    ] {
        assert!(r.stdout.contains(want), "missing {want:?} in\n{}", r.stdout);
    }
}

#[test]
fn secrets_and_passwords_are_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(
        dir.path(),
        "s.yaml",
        r#"
name: secrets
vars:
  password: ${env:DOC_TEST_PW:-hunter2-default}
  combo: x-${password}
secrets: [password]
scenarios:
  - name: s
    steps:
      - expect: 220
      - auth: {mechanism: PLAIN, username: u, password: Literal-Pw-9}
      - send: AUTH PLAIN ${password}
      - data: "Subject: hunter2-default\n"
      - quit
"#,
    );
    let r = run(smtp_plan(&["doc", plan.to_str().unwrap()]).env("DOC_TEST_PW", "Env-Pw-7"));
    r.assert_code(0);
    for secret in ["hunter2-default", "Literal-Pw-9", "Env-Pw-7"] {
        assert!(
            !r.stdout.contains(secret),
            "{secret} shown in\n{}",
            r.stdout
        );
    }
    assert!(
        r.stdout.contains("`password` — secret, never shown"),
        "{}",
        r.stdout
    );
    // a variable built from a secret is secret itself
    assert!(
        r.stdout.contains("`combo` — secret, never shown"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("a password written in the plan (not shown)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Send `AUTH PLAIN ${password}`"),
        "{}",
        r.stdout
    );
}

#[test]
fn load_errors_exit_2_with_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let bad = plan(
        dir.path(),
        "bad.yaml",
        "scenarios:\n  - name: x\n    steps:\n      - ehlo: a\n        expct: 250\n",
    );
    let r = run(smtp_plan(&["doc", bad.to_str().unwrap()]));
    r.assert_code(2);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("bad.yaml:5:9"), "{}", r.stderr);
    assert!(r.stderr.contains("expect"), "{}", r.stderr);
}

#[test]
fn writes_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("page.md");
    let r = run(smtp_plan(&[
        "doc",
        "scenarios/exchange.yaml",
        "-o",
        out.to_str().unwrap(),
    ]));
    r.assert_code(0);
    assert!(r.stdout.is_empty());
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(
        page.starts_with("# How our mail servers must behave\n"),
        "{page}"
    );
}
