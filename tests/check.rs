//! A broken plan is refused before any traffic: exit 2, `file:line:col`, nothing sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::TcpListener;

use common::*;

#[test]
fn shipped_plans_check_clean() {
    // every shipped plan takes its password from the environment or --var
    let r = run(smtp_plan(&[
        "check",
        "scenarios/",
        "--var",
        "password=x",
        "--var",
        "rcpt_password=x",
    ])
    .env_remove("SMTP_PLAN_POSTFIX_PASSWORD")
    .env_remove("SMTP_PLAN_POSTFIX_PASSWORD2"));
    r.assert_code(0);
    assert!(r.stdout.starts_with("ok: "), "{}", r.stdout);
}

#[test]
fn a_yaml_mistake_exits_2_points_at_it_and_opens_no_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    // a good scenario first, then a misspelled step key: nothing may run
    let text = format!(
        "target: {{host: 127.0.0.1, port: {port}}}\nscenarios:\n  - name: fine\n    steps:\n      - expect: 220\n  - name: broken\n    steps:\n      - expect: 220\n      - ehol: client.test\n"
    );
    let path = plan(dir.path(), "broken.yaml", &text);
    for cmd in ["run", "check"] {
        let r = run(smtp_plan(&[cmd, path.to_str().unwrap()]));
        r.assert_code(2);
        assert!(
            r.stderr.contains(&format!("{}:9:9", path.display())),
            "{cmd}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("ehlo"),
            "{cmd}: did-you-mean missing: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("      - ehol: client.test"),
            "{cmd}: source line missing: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{cmd}: {}", r.stdout);
    }
    assert!(
        listener.accept().is_err(),
        "a connection was opened for a broken plan"
    );
}

#[test]
fn every_problem_of_every_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    plan(
        dir.path(),
        "a.yaml",
        "scenarios:\n  - name: a\n    steps:\n      - ehlo: ${nobody}\n      - sleep: 10\n",
    );
    plan(
        dir.path(),
        "b.yaml",
        "scenarios:\n  - name: b\n    steps:\n      - expect: {code: 250, matches: '(unclosed'}\n",
    );
    let r = run(smtp_plan(&["check", dir.path().to_str().unwrap()]));
    r.assert_code(2);
    for want in [
        "a.yaml:4:15",
        "nobody",
        "a.yaml:5:16",
        "10s",
        "b.yaml:4:39",
        "unclosed group",
    ] {
        assert!(r.stderr.contains(want), "want {want:?} in:\n{}", r.stderr);
    }
}

#[test]
fn usage_errors_exit_2() {
    run(smtp_plan(&["run"])).assert_code(2);
    run(
        smtp_plan(&["run", "scenarios/exchange.yaml", "--var", "novalue"])
            .env("SMTP_PASSWORD", "x"),
    )
    .assert_code(2);
    run(smtp_plan(&[
        "run",
        "scenarios/exchange.yaml",
        "--target",
        "host:notaport",
    ])
    .env("SMTP_PASSWORD", "x"))
    .assert_code(2);
    run(smtp_plan(&["run", "no/such/plan.yaml"])).assert_code(2);
    // a secret that is not set anywhere is a load error, not an empty password
    let r = run(smtp_plan(&["check", "scenarios/exchange.yaml"]));
    r.assert_code(2);
    assert!(r.stderr.contains("SMTP_PASSWORD"), "{}", r.stderr);
}
