//! Plans at CI scale: selection, parallel runs in a stable order, fail-fast, partitions,
//! repeats, and every report format.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;

use common::*;

/// A plan of `n` passing scenarios, tagged by parity; scenario `fail` (if any) expects 251.
fn many(n: usize, fail: Option<usize>) -> String {
    let mut text = String::from(
        "name: many\nvars:\n  password: hunter2-S3cret\nsecrets: [password]\nscenarios:\n",
    );
    for i in 0..n {
        let tag = if i % 2 == 0 { "even" } else { "odd" };
        let code = if fail == Some(i) { 251 } else { 250 };
        text.push_str(&format!(
            "  - name: scenario {i:03}\n    tags: [{tag}, all]\n    steps:\n      - expect: 220\n      - ehlo: c{i}.test\n        expect: {code}\n      - send: 'NOOP ${{password}}'\n        allow_plaintext: true\n      - quit\n"
        ));
    }
    text
}

/// The scenario names in the order the console printed them.
fn printed(r: &Run) -> Vec<String> {
    r.stdout
        .lines()
        .filter_map(|l| l.split(" › ").nth(1))
        .map(|rest| {
            rest.rsplit_once(" (")
                .map_or(rest, |(name, _)| name)
                .to_owned()
        })
        .collect()
}

fn serve() -> Serve {
    Serve::start(&["--allow-anonymous"])
}

#[test]
fn parallel_runs_keep_plan_order_and_results() {
    let serve = serve();
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "many.yaml", &many(24, Some(7)));
    let target = serve.smtp.to_string();
    let seq_junit = dir.path().join("seq.xml");
    let par_junit = dir.path().join("par.xml");
    let seq = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--junit",
        seq_junit.to_str().unwrap(),
    ]));
    let par = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "-j",
        "8",
        "--junit",
        par_junit.to_str().unwrap(),
    ]));
    seq.assert_code(1);
    par.assert_code(1);
    assert_eq!(printed(&seq), printed(&par));
    assert_eq!(printed(&par).len(), 24);
    assert_eq!(par.last_line(), "23 passed, 1 failed");
    // the reports list the test cases in the same order
    let names = |p: &std::path::Path| -> Vec<String> {
        let xml = std::fs::read_to_string(p).unwrap();
        xml.split("<testcase name=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&seq_junit), names(&par_junit));
    assert_valid_junit(&par_junit);
}

#[test]
fn selection_by_tag_name_and_partition() {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "many.yaml", &many(30, None));
    let p = path.to_str().unwrap();
    let listed = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["list", p];
        args.extend_from_slice(extra);
        let r = run(smtp_plan(&args));
        r.assert_code(0);
        r.stdout
            .lines()
            .filter(|l| l.starts_with("  scenario"))
            .map(|l| l.trim().split("  [").next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(listed(&[]).len(), 30);
    assert_eq!(listed(&["--tag", "even"]).len(), 15);
    assert_eq!(listed(&["--tag", "all", "--skip-tag", "odd"]).len(), 15);
    assert_eq!(
        listed(&["--filter", "SCENARIO 01"]),
        vec![
            "scenario 010",
            "scenario 011",
            "scenario 012",
            "scenario 013",
            "scenario 014",
            "scenario 015",
            "scenario 016",
            "scenario 017",
            "scenario 018",
            "scenario 019"
        ]
    );
    for kind in ["hash", "count"] {
        let shards: Vec<Vec<String>> = (1..=3)
            .map(|k| listed(&["--partition", &format!("{kind}:{k}/3")]))
            .collect();
        let all: BTreeSet<&String> = shards.iter().flatten().collect();
        assert_eq!(all.len(), 30, "{kind}: shards cover every scenario once");
        assert_eq!(
            shards.iter().map(Vec::len).sum::<usize>(),
            30,
            "{kind}: shards are disjoint"
        );
        assert!(shards.iter().all(|s| !s.is_empty()), "{kind}: {shards:?}");
    }
    // hash shards are stable when a scenario is added: nothing else moves
    let before = listed(&["--partition", "2/3"]);
    let bigger = plan(dir.path(), "bigger.yaml", &many(31, None));
    let r = run(smtp_plan(&[
        "list",
        bigger.to_str().unwrap(),
        "--partition",
        "2/3",
    ]));
    let after: Vec<String> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("  scenario"))
        .map(|l| l.trim().split("  [").next().unwrap().to_owned())
        .collect();
    assert!(
        before.iter().all(|s| after.contains(s)),
        "{before:?} vs {after:?}"
    );
    // a selection that matches nothing is a usage error (a typo in a tag must not pass)
    run(smtp_plan(&["run", p, "--tag", "nope"])).assert_code(2);
    run(smtp_plan(&["run", p, "--partition", "4/3"])).assert_code(2);
}

#[test]
fn fail_fast_skips_the_rest_and_repeat_repeats() {
    let serve = serve();
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "many.yaml", &many(6, Some(1)));
    let target = serve.smtp.to_string();
    let junit = dir.path().join("ff.xml");
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--fail-fast",
        "--junit",
        junit.to_str().unwrap(),
    ]));
    r.assert_code(1);
    assert_eq!(r.last_line(), "1 passed, 1 failed, 4 skipped");
    assert!(
        r.stdout.contains("SKIP  many › scenario 005"),
        "{}",
        r.stdout
    );
    assert_valid_junit(&junit);
    assert_eq!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .matches("<skipped")
            .count(),
        4
    );

    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--repeat",
        "3",
        "--tag",
        "even",
        "-q",
    ]));
    r.assert_code(0);
    assert_eq!(r.last_line(), "9 passed, 0 failed");
    // --quiet prints only failures and the summary
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
}

#[test]
fn json_transcripts_annotations_and_per_step_junit() {
    let serve = serve();
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "many.yaml", &many(3, Some(2)));
    let target = serve.smtp.to_string();
    let json = dir.path().join("out/r.json");
    let junit = dir.path().join("steps.xml");
    let tdir = dir.path().join("transcripts");
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--junit-steps",
        "--transcript-dir",
        tdir.to_str().unwrap(),
    ])
    .env("GITHUB_ACTIONS", "true"));
    r.assert_code(1);
    // GitHub annotation on the failing step's line, before the summary line
    let ann = r
        .stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect("an annotation");
    assert!(
        ann.starts_with(&format!(
            "::error file={},line=28,col=9,title=many › scenario 002",
            path.display()
        )),
        "{ann}"
    );
    assert!(ann.contains("::expected code 251, got 250%0A"), "{ann}");
    // JSON: every step with its transcript, timing and the failure; nothing secret
    let text = std::fs::read_to_string(&json).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(2), Some(1))
    );
    let sc = &v["suites"][0]["scenarios"][2];
    assert_eq!(sc["status"], "failed");
    assert_eq!(sc["failure"]["step"], 2);
    assert_eq!(sc["failure"]["line"], 28);
    assert_eq!(sc["failure"]["kind"], "expectation");
    assert!(sc["failure"].get("tls_failure").is_none(), "{sc}");
    let steps = sc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[1]["keyword"], "ehlo");
    assert_eq!(
        steps[1]["transcript"][0],
        serde_json::json!({"dir": "client", "text": "EHLO c2.test"})
    );
    assert_eq!(steps[3]["status"], "not_run");
    let noop = &v["suites"][0]["scenarios"][0]["steps"][2]["transcript"][0]["text"];
    assert_eq!(noop, "NOOP ***");
    // per-step JUnit: 3 scenarios x 4 steps; the failed step fails, the rest after it are skipped
    assert_valid_junit(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 12, "{xml}");
    assert!(
        xml.contains(r#"<testcase name="2. ehlo (line 28)" classname="many › scenario 002""#),
        "{xml}"
    );
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert_eq!(xml.matches("<skipped").count(), 2, "{xml}");
    assert!(!xml.contains("hunter2"));
    // one transcript per scenario
    let t = std::fs::read_to_string(tdir.join("many/scenario-002.txt")).unwrap();
    assert!(
        t.contains("C: EHLO c2.test") && t.contains("# step 2 (ehlo) at "),
        "{t}"
    );
    assert!(
        std::fs::read_to_string(tdir.join("many/scenario-000.txt"))
            .unwrap()
            .contains("C: NOOP ***")
    );
}

#[test]
fn list_takes_the_same_variables_as_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "needs.yaml",
        "name: needs\nvars:\n  pw: ${env:SMTP_PLAN_TEST_UNSET_PW}\n  host: ${env:SMTP_PLAN_TEST_UNSET_HOST}\nsecrets: [pw]\nscenarios:\n  - name: one\n    steps: [quit]\n",
    );
    let vars = plan(dir.path(), "vars.yml", "host: mx.example.test\n");
    let p = path.to_str().unwrap();
    run(smtp_plan(&["list", p])).assert_code(2);
    let r = run(smtp_plan(&[
        "list",
        p,
        "--secret",
        "pw=placeholder",
        "--vars-file",
        vars.to_str().unwrap(),
    ]));
    r.assert_code(0);
    assert!(r.stdout.contains("  one"), "{}", r.stdout);
}

#[test]
fn one_file_of_ten_thousand_scenarios_checks() {
    // Six steps each, as benches/compare.sh loads them: within the parser's node budget.
    let mut text = String::from("name: big\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "  - name: scenario {i}\n    steps:\n      - expect: 220\n      - ehlo: client.example.test\n      - mail_from: a{i}@example.test\n      - rcpt_to: b@example.test\n      - data: \"Subject: {i}\\n\\nhello\\n\"\n      - quit\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "big.yaml", &text);
    let r = run(smtp_plan(&["check", path.to_str().unwrap()]));
    r.assert_code(0);
    assert_eq!(r.stdout, "ok: 1 plan file(s), 10000 scenario(s)\n");
}
