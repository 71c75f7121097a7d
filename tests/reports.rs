//! What people and CI read: JUnit on plan errors, strict JUnit, and the reports of issue 16.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const SECRET: &str = "S3cretValue9";

/// Two broken plan files, one of them with a secret on the broken line.
fn broken_plans(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let a = plan(
        dir,
        "a-secret.yaml",
        &format!(
            "name: with a secret\nvars: {{pw: {SECRET}}}\nsecrets: [pw]\ntarget: {{host: 127.0.0.1, port: 25}}\nscenarios:\n  - name: x\n    steps:\n      - auth: {{mechanism: PLAIN, username: u, password: {SECRET}, bogus: 1}}\n"
        ),
    );
    let b = plan(
        dir,
        "b-typo.yaml",
        "name: typo\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: y\n    steps:\n      - ehlo: client.test\n      - mial_from: a@example.test\n",
    );
    (a, b)
}

#[test]
fn a_plan_error_still_writes_junit_and_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = broken_plans(dir.path());
    let junit = dir.path().join("out/report.xml");
    let r = run(smtp_plan(&[
        "run",
        dir.path().to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ])
    .env("GITHUB_ACTIONS", "true"));
    r.assert_code(2);
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    // one errored test case per broken file, at file:line:col
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<error ").count(), 2, "{xml}");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert!(xml.contains(&format!("message=\"{a}:8:")), "{xml}");
    assert!(xml.contains(&format!("message=\"{b}:7:9: ")), "{xml}");
    assert!(xml.contains("mial_from"), "{xml}");
    assert!(xml.contains(&format!("file=\"{b}\" line=\"7\"")), "{xml}");
    // one annotation per problem, on stdout, where the runner reads workflow commands
    let annotations: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(annotations.len(), 2, "{}", r.stdout);
    assert!(
        annotations[1].starts_with(&format!("::error file={b},line=7,col=9,")),
        "{}",
        annotations[1]
    );
    // the diagnostics still go to stderr
    assert!(
        r.stderr.contains("could not load 2 plan file(s)"),
        "{}",
        r.stderr
    );
    // never the secret, in any output
    for text in [&xml, &r.stdout, &r.stderr] {
        assert!(!text.contains(SECRET), "secret in\n{text}");
    }
    assert!(
        xml.contains("************"),
        "the source line is shown masked:\n{xml}"
    );
}

#[test]
fn a_plan_error_without_github_actions_prints_no_annotation() {
    let dir = tempfile::tempdir().unwrap();
    broken_plans(dir.path());
    let r = run(smtp_plan(&["run", dir.path().to_str().unwrap()]).env_remove("GITHUB_ACTIONS"));
    r.assert_code(2);
    assert!(!r.stdout.contains("::error"), "{}", r.stdout);
}

#[test]
fn a_plan_error_whose_junit_cannot_be_written_says_both() {
    let dir = tempfile::tempdir().unwrap();
    broken_plans(dir.path());
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let junit = blocker.join("report.xml");
    let r = run(smtp_plan(&[
        "run",
        dir.path().join("b-typo.yaml").to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]));
    r.assert_code(2);
    assert!(r.stderr.contains("mial_from"), "{}", r.stderr);
    assert!(
        r.stderr.contains("error: could not write the JUnit report"),
        "{}",
        r.stderr
    );
}

/// A failing and a skipped scenario against the built-in server, so every JUnit element shows.
fn mixed_plan(dir: &std::path::Path) -> std::path::PathBuf {
    plan(
        dir,
        "mixed.yaml",
        "name: mixed\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: greets\n    steps:\n      - expect: 220\n  - name: wrong code\n    steps:\n      - expect: 220\n      - mail_from: a@example.test\n        expect: 250\n  - name: later\n    skip: not yet\n    steps:\n      - ehlo: client.test\n",
    )
}

#[test]
fn strict_junit_validates_against_plain_junit_10() {
    let dir = tempfile::tempdir().unwrap();
    let p = mixed_plan(dir.path());
    for per_step in [false, true] {
        let default = dir.path().join(format!("default-{per_step}.xml"));
        let strict = dir.path().join(format!("strict-{per_step}.xml"));
        for (path, extra) in [(&default, None), (&strict, Some("--junit-strict"))] {
            let mut args = vec![
                "run",
                p.to_str().unwrap(),
                "--serve",
                "--junit",
                path.to_str().unwrap(),
            ];
            args.extend(extra);
            if per_step {
                args.push("--junit-steps");
            }
            run(smtp_plan(&args)).assert_code(1);
        }
        // the default is not valid against the plain schema (file, line, testsuites@skipped)
        let err = check_junit_against(&default, "junit-10.xsd").unwrap_err();
        assert!(err.contains("file"), "{err}");
        assert_valid_junit(&default);
        check_junit_against(&strict, "junit-10.xsd").unwrap();
        let xml = std::fs::read_to_string(&strict).unwrap();
        assert!(xml.contains("<failure "), "{xml}");
        assert!(xml.contains("<skipped"), "{xml}");
        assert!(
            xml.contains("mixed.yaml:10:"),
            "the location stays in the message:\n{xml}"
        );
    }
    // a plan error in strict mode validates too
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    broken_plans(&broken);
    let junit = dir.path().join("broken.xml");
    run(smtp_plan(&[
        "run",
        broken.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--junit-strict",
    ]))
    .assert_code(2);
    check_junit_against(&junit, "junit-10.xsd").unwrap();
}

#[test]
fn default_junit_names_the_failing_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = mixed_plan(dir.path());
    let junit = dir.path().join("r.xml");
    run(smtp_plan(&[
        "run",
        p.to_str().unwrap(),
        "--serve",
        "--junit",
        junit.to_str().unwrap(),
    ]))
    .assert_code(1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let file = p.to_str().unwrap();
    assert!(
        xml.contains("name=\"wrong code\" classname=\"mixed\" time=\""),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("file=\"{file}\" line=\"10\"")),
        "{xml}"
    );
}

/// A report path that is not a regular file is written into, never replaced: a rename over
/// `/dev/null` (`--junit /dev/null`, run as root) made it a regular file for the whole machine,
/// which broke every daemon that detaches through it. A FIFO stands in for the device here.
#[test]
fn a_report_to_a_fifo_goes_into_it_and_leaves_it_a_fifo() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("junit.xml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils) is needed by this test");
    assert!(made.success());
    // The reader: opening a FIFO waits for a writer, then it reads to the writer's end.
    let (tx, rx) = std::sync::mpsc::channel();
    let reading = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read_to_string(reading));
    });
    let (_held, port) = closed_port();
    let target = format!("host: 127.0.0.1, port: {port}, timeout: 2s");
    let path = plan(
        dir.path(),
        "p.yaml",
        &one_scenario("fifo", &target, "      - expect: 220\n"),
    );
    let r = run_bounded(
        smtp_plan(&[
            "run",
            path.to_str().unwrap(),
            "--junit",
            fifo.to_str().unwrap(),
        ]),
        HANG,
    );
    r.assert_code(1);
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced by {kind:?}");
    let xml = rx
        .recv_timeout(HANG)
        .expect("nothing was written into the FIFO")
        .unwrap();
    assert!(xml.contains("<testsuites"), "{xml}");
    assert!(!dir.path().join("junit.xml.tmp").exists());
}
