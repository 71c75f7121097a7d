//! Command-line conventions: --color, completions, the man page, `>` in --filter, and a
//! transcript directory holding only this run's files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const ESC: &str = "\u{1b}[";

#[test]
fn color_follows_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(
        dir.path(),
        "typo.yaml",
        "name: t\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: y\n    steps:\n      - mial_from: a@example.test\n",
    );
    let p = p.to_str().unwrap();
    let always = run(smtp_plan(&["check", p, "--color", "always"]));
    always.assert_code(2);
    assert!(always.stderr.contains(ESC), "{:?}", always.stderr);
    // the option is global: before the subcommand too
    let always = run(smtp_plan(&["--color=always", "check", p]));
    assert!(always.stderr.contains(ESC), "{:?}", always.stderr);
    for args in [vec!["check", p, "--color", "never"], vec!["check", p]] {
        // not a terminal: auto means no colour
        let r = run(smtp_plan(&args).env_remove("CLICOLOR_FORCE"));
        r.assert_code(2);
        assert!(!r.stderr.contains(ESC), "{args:?}: {:?}", r.stderr);
        assert!(r.stderr.contains("mial_from"), "{}", r.stderr);
    }
    let r = run(smtp_plan(&["check", p, "--color", "sometimes"]));
    r.assert_code(2);
    assert!(r.stderr.contains("possible values"), "{}", r.stderr);

    // a run's console output too
    let good = plan(
        dir.path(),
        "fails.yaml",
        "name: f\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: wants 554\n    steps:\n      - expect: 554\n",
    );
    let g = good.to_str().unwrap();
    let r = run(smtp_plan(&["run", g, "--serve", "--color", "always"]));
    r.assert_code(1);
    assert!(r.stdout.contains(ESC), "{:?}", r.stdout);
    let r = run(smtp_plan(&["run", g, "--serve", "--color", "never"]));
    r.assert_code(1);
    assert!(!r.stdout.contains(ESC), "{:?}", r.stdout);
}

#[test]
fn completions_load_in_bash_and_name_every_option() {
    let r = run(smtp_plan(&["completions", "bash"]));
    r.assert_code(0);
    for option in [
        "--junit-strict",
        "--transcript-dir",
        "--color",
        "completions",
    ] {
        assert!(r.stdout.contains(option), "{option} missing");
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("smtp-plan.bash");
    std::fs::write(&script, &r.stdout).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p smtp-plan",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("smtp-plan"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let r = run(smtp_plan(&["completions", shell]));
        r.assert_code(0);
        assert!(r.stdout.contains("smtp-plan"), "{shell}");
    }
    run(smtp_plan(&["completions", "tcsh"])).assert_code(2);
}

#[test]
fn man_pages_are_roff_from_the_clap_definitions() {
    let r = run(smtp_plan(&["man"]));
    r.assert_code(0);
    assert!(r.stdout.contains(".TH smtp-plan 1"), "{}", r.stdout);
    assert!(r.stdout.contains(".SH SUBCOMMANDS"), "{}", r.stdout);
    let r = run(smtp_plan(&["man", "run"]));
    r.assert_code(0);
    assert!(r.stdout.contains(".TH smtp-plan-run 1"), "{}", r.stdout);
    assert!(r.stdout.contains(r"\-\-junit\-strict"), "{}", r.stdout);
    let r = run(smtp_plan(&["man", "nope"]));
    r.assert_code(2);
    assert!(r.stderr.contains("no such command"), "{}", r.stderr);
}

#[test]
fn filter_takes_a_plain_greater_than_for_the_separator() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(
        dir.path(),
        "names.yaml",
        "name: Suite\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: alpha\n    steps:\n      - expect: 220\n  - name: beta\n    steps:\n      - expect: 220\n  - name: a > b\n    steps:\n      - expect: 220\n",
    );
    let listed = |filter: &str| -> Vec<String> {
        let r = run(smtp_plan(&[
            "list",
            p.to_str().unwrap(),
            "--filter",
            filter,
        ]));
        r.assert_code(0);
        r.stdout
            .lines()
            .filter(|l| l.starts_with("  "))
            .map(|l| l.trim().to_owned())
            .collect()
    };
    assert_eq!(listed("suite › alpha"), ["alpha"]);
    assert_eq!(listed("suite > alpha"), ["alpha"]);
    assert_eq!(listed("SUITE>BETA").len(), 0, "spaces count");
    assert_eq!(listed("suite > be"), ["beta"]);
    // a name that holds `>` still matches as written
    assert_eq!(listed("a > b"), ["a > b"]);
}

#[test]
fn the_transcript_directory_holds_only_this_runs_files() {
    let dir = tempfile::tempdir().unwrap();
    let first = plan(
        dir.path(),
        "first.yaml",
        "name: First\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: one\n    steps:\n      - expect: 220\n",
    );
    let second = plan(
        dir.path(),
        "second.yaml",
        "name: Second\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: two\n    steps:\n      - expect: 220\n",
    );
    let out = dir.path().join("transcripts");
    let o = out.to_str().unwrap();
    run(smtp_plan(&[
        "run",
        first.to_str().unwrap(),
        "--serve",
        "--transcript-dir",
        o,
    ]))
    .assert_code(0);
    assert!(out.join("first/one.txt").is_file());
    run(smtp_plan(&[
        "run",
        second.to_str().unwrap(),
        "--serve",
        "--transcript-dir",
        o,
    ]))
    .assert_code(0);
    assert!(out.join("second/two.txt").is_file());
    assert!(
        !out.join("first").exists(),
        "the first run's files are gone"
    );

    // a directory smtp-plan did not write is refused, not emptied
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    let r = run(smtp_plan(&[
        "run",
        first.to_str().unwrap(),
        "--serve",
        "--transcript-dir",
        mine.to_str().unwrap(),
    ]));
    r.assert_code(1);
    assert!(r.stderr.contains("did not write"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep"
    );
}
