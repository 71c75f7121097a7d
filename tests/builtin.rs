//! The seed walkthrough end to end: the real binary against the built-in server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const PASSWORD: &str = "P@$$w0rd-Seed!";

fn exchange(serve: &Serve, extra: &[&str]) -> Run {
    let target = serve.smtp.to_string();
    let ca = serve.ca.to_str().unwrap().to_owned();
    let mut args = vec![
        "run",
        "scenarios/exchange.yaml",
        "--target",
        &target,
        "--ca-file",
        &ca,
    ];
    args.extend_from_slice(extra);
    run(smtp_plan(&args).env("SMTP_PASSWORD", PASSWORD))
}

#[test]
fn seed_walkthrough_passes_against_serve_and_writes_valid_junit() {
    let serve = Serve::start(&["--user", &format!("user1@contoso.com:{PASSWORD}")]);
    let junit = serve.dir.path().join("r.xml");
    let r = exchange(&serve, &["--junit", junit.to_str().unwrap()]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
    assert!(
        r.stdout.contains(
            "PASS  Exchange SMTP AUTH walkthrough › authenticated submission over STARTTLS"
        )
    );
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
    assert!(
        !xml.contains("<failure") && !xml.contains("<error"),
        "{xml}"
    );
    assert!(
        xml.contains(r#"classname="Exchange SMTP AUTH walkthrough""#),
        "{xml}"
    );
    assert!(xml.contains(r#"file="scenarios/exchange.yaml""#), "{xml}");
    // the transcript is in system-out: the TLS upgrade and the captured queue id
    assert!(xml.contains("TLS established: TLSv1.3"), "{xml}");
    assert!(xml.contains("captured queue_id = "), "{xml}");
    assert!(xml.contains("S: 250 2.6.0 &lt;"), "{xml}");
}

/// The README's first command, as written there (the built binary standing for `cargo run
/// --release --`), run by `sh` in a fresh directory: it passes, prints the lines the README
/// shows, writes the JUnit file, and gives no password in any program's arguments (no warning).
#[test]
fn the_readmes_first_command_works_as_shown() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let block = readme.split("```sh\n").nth(1).unwrap();
    let first: Vec<&str> = block
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .take_while(|l| !l.is_empty())
        .collect();
    let script = first
        .join("\n")
        .replace("cargo run --release --", &format!("'{BIN}'"));
    assert!(script.contains("scenarios/exchange.yaml"), "{script}");
    assert!(
        !script.contains("--serve-user "),
        "a password in argv:\n{script}"
    );
    let shown = readme
        .split("The first prints one line per scenario and exits 0:\n\n```\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(repo().join("scenarios"), dir.path().join("scenarios")).unwrap();
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &script])
        .current_dir(dir.path())
        .env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("SMTP_") {
            sh.env_remove(k);
        }
    }
    let r = run(sh);
    r.assert_code(0);
    let durations = regex::Regex::new(r"\(\d+\.\d+s\)").unwrap();
    assert_eq!(
        durations.replace_all(&r.stdout, "(T)"),
        durations.replace_all(shown, "(T)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("visible to every user"), "{}", r.stderr);
    assert!(!r.stderr.contains("Demo-Passw0rd"), "{}", r.stderr);
    assert_valid_junit(&dir.path().join("exchange.junit.xml"));
}

#[test]
fn wrong_password_fails_the_auth_step_with_its_line() {
    let serve = Serve::start(&["--user", "user1@contoso.com:the-real-one"]);
    let junit = serve.dir.path().join("r.xml");
    let r = exchange(&serve, &["--junit", junit.to_str().unwrap()]);
    r.assert_code(1);
    assert_eq!(r.last_line(), "2 passed, 1 failed");
    // step 5 (auth) is on line 44 of scenarios/exchange.yaml
    let label = "step 5 (auth) at scenarios/exchange.yaml:44:9";
    assert!(r.stdout.contains(label), "{}", r.stdout);
    assert!(
        r.stdout.contains("expected code 235, got 535"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("535 5.7.3 Authentication unsuccessful"),
        "{}",
        r.stdout
    );
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!(
            r#"<failure message="{label}: expected code 235, got 535""#
        )),
        "{xml}"
    );
    assert!(xml.contains("4 remaining step(s) not run"), "{xml}");
}

#[test]
fn a_wrong_expectation_exits_1_and_names_the_step() {
    let serve = Serve::start(&["--user", "u@example.test:pw"]);
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "wrong.yaml",
        "name: wrong\nscenarios:\n  - name: greeting is not 221\n    steps:\n      - expect: 220\n      - ehlo: client.test\n        expect:\n          capabilities: [CHUNKING]\n      - quit\n",
    );
    let junit = dir.path().join("wrong.xml");
    let target = serve.smtp.to_string();
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--junit",
        junit.to_str().unwrap(),
    ]));
    r.assert_code(1);
    assert!(
        r.stdout.contains("FAIL  wrong › greeting is not 221"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("capability CHUNKING is not listed (the server lists: "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(&format!("step 2 (ehlo) at {}:6:9", path.display())),
        "{}",
        r.stdout
    );
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!("step 2 (ehlo) at {}:6:9", path.display())),
        "{xml}"
    );
}

#[test]
fn implicit_tls_and_verbose_transcript() {
    let serve = Serve::start(&["--user", "u@example.test:pw"]);
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "implicit.yaml",
        "target: {tls: implicit, timeout: 5s}\nscenarios:\n  - name: smtps\n    steps:\n      - expect: 220\n      - ehlo: client.test\n        expect: {lacks: [STARTTLS]}\n      - quit\n",
    );
    let target = serve.smtps.to_string();
    let ca = serve.ca.to_str().unwrap();
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--ca-file",
        ca,
        "-v",
    ]));
    r.assert_code(0);
    assert!(r.stdout.contains("with implicit TLS"), "{}", r.stdout);
    assert!(r.stdout.contains("C: EHLO client.test"), "{}", r.stdout);
    assert!(r.stdout.contains("S: 221 "), "{}", r.stdout);
    // without the CA the certificate is not trusted: an error, exit 1
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
    ]));
    r.assert_code(1);
    assert!(r.stdout.contains("ERROR"), "{}", r.stdout);
    // --insecure accepts it
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--insecure",
    ]));
    r.assert_code(0);
}

#[test]
fn a_report_that_cannot_be_written_fails_the_run() {
    let serve = Serve::start(&["--user", &format!("user1@contoso.com:{PASSWORD}")]);
    // a path under a regular file cannot be created
    let file = serve.dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let junit = file.join("r.xml");
    let r = exchange(&serve, &["--junit", junit.to_str().unwrap()]);
    r.assert_code(1);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
    assert!(
        r.stderr.contains("error: could not write the JUnit report"),
        "{}",
        r.stderr
    );
}
