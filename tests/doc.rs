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

/// Everything a plan asserts is on the page: TLS version, cipher, names, subject, issuer,
/// validity, `min_version` (target and step), `retry`, a step's own `timeout`, and
/// `allow_plaintext` — a deliberate plaintext login reads as one.
#[test]
fn renders_everything_a_plan_asserts() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(
        dir.path(),
        "all.yaml",
        "name: All\ntarget: {host: mail.example.test, port: 25, timeout: 10s, min_version: '1.2'}\nvars: {user: u@example.test, pw: Plan-Secret-1}\nsecrets: [pw]\nscenarios:\n  - name: everything\n    steps:\n      - expect: 220\n        timeout: 2m\n      - ehlo: client.test\n        retry: {count: 3, interval: 5s}\n      - auth: {mechanism: PLAIN, username: '${user}', password: '${pw}'}\n        allow_plaintext: true\n        expect: 530\n      - starttls:\n          min_version: '1.3'\n          expect:\n            code: 220\n            tls:\n              version: TLSv1.3\n              cipher: '^TLS13_'\n              cert:\n                names_include: [mail.example.test]\n                subject_matches: 'CN=mail'\n                issuer_matches: 'Example CA'\n                valid_for_at_least: 30d\n      - quit\n",
    );
    let r = run(smtp_plan(&["doc", p.to_str().unwrap()]));
    r.assert_code(0);
    let page = &r.stdout;
    for phrase in [
        "TLS 1.2 or newer (`min_version: 1.2`)",
        "The reply may take up to 2m (instead of 10s).",
        "If it does not hold, it is tried again up to 3 more time(s), 5s apart.",
        "**Deliberately in plaintext** (`allow_plaintext: true`): this login may go over a connection without TLS",
        "only TLS 1.3 is accepted (`min_version: 1.3`)",
        "the TLS session must use `TLSv1.3` and negotiate a cipher matching `^TLS13_`",
        "hold the name(s) `mail.example.test`",
        "have a subject matching `CN=mail`",
        "be issued by an issuer matching `Example CA`",
        "stay valid for at least 30 days from the run",
    ] {
        assert!(page.contains(phrase), "missing {phrase:?} in\n{page}");
    }
    // the login line itself says it is a login, then that it is deliberately in plaintext
    let login = page.lines().find(|l| l.starts_with("3. ")).unwrap();
    assert!(login.contains("Log in with `AUTH PLAIN`"), "{login}");
    assert!(login.contains("Deliberately in plaintext"), "{login}");
    // a step without those options says none of it
    let quit = page.lines().find(|l| l.starts_with("5. ")).unwrap();
    assert_eq!(quit, "5. Send `QUIT`: the server must answer 221.");
    assert!(!page.contains("Plan-Secret-1"), "{page}");
}

/// `doc` takes `--var`, `--vars-file`, `--secret` and `--secrets-file` like `run`; a secret's
/// value never reaches the page.
#[test]
fn takes_variables_and_secrets_like_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(
        dir.path(),
        "v.yaml",
        "name: V\ntarget: {host: '${host}', port: 25}\nvars: {host: default.example.test, who: nobody@example.test, pw: x}\nscenarios:\n  - name: s\n    steps:\n      - expect: 220\n      - mail_from: ${who}\n      - send: NOOP ${pw}\n",
    );
    let vars = plan(dir.path(), "vars.yaml", "who: from-file@example.test\n");
    let secrets = plan(dir.path(), "secrets.env", "pw=Very-Secret-9\n");
    let r = run(smtp_plan(&[
        "doc",
        p.to_str().unwrap(),
        "--var",
        "host=cli.example.test",
        "--vars-file",
        vars.to_str().unwrap(),
        "--secrets-file",
        secrets.to_str().unwrap(),
    ]));
    r.assert_code(0);
    assert!(r.stdout.contains("`cli.example.test:25`"), "{}", r.stdout);
    assert!(
        r.stdout.contains("`who` = `from-file@example.test`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("`pw` — secret, never shown"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Very-Secret-9"), "{}", r.stdout);
    // without them, the plan's own values
    let r = run(smtp_plan(&["doc", p.to_str().unwrap()]));
    r.assert_code(0);
    assert!(
        r.stdout.contains("`default.example.test:25`"),
        "{}",
        r.stdout
    );
    // a bad --var is a usage error, as for run
    run(smtp_plan(&["doc", p.to_str().unwrap(), "--var", "novalue"])).assert_code(2);
}
