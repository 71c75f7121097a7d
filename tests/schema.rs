//! The JSON Schema of the plan format: the committed file is what `smtp-plan schema` prints,
//! every shipped plan validates against it and points editors at it, and it refuses what the
//! loader refuses (unknown keys) while accepting every form the README documents.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::*;

const SCHEMA: &str = "schemas/smtp-plan.schema.json";
const REGENERATE: &str = "cargo run -- schema > schemas/smtp-plan.schema.json";

fn schema() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join(SCHEMA)).unwrap()).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&schema()).expect("the schema is a valid JSON Schema")
}

fn yaml_to_json(text: &str) -> serde_json::Value {
    serde_saphyr::from_str::<serde_json::Value>(text).unwrap()
}

/// Every problem the schema finds in `text`, as `path: message`.
fn errors(v: &jsonschema::Validator, text: &str) -> Vec<String> {
    v.iter_errors(&yaml_to_json(text))
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn shipped_yaml() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("scenarios"), &mut out);
    out.sort();
    assert!(out.len() >= 4, "{out:?}");
    out
}

#[test]
fn the_committed_schema_is_what_the_binary_prints() {
    let r = run(smtp_plan(&["schema"]));
    r.assert_code(0);
    let committed = std::fs::read_to_string(repo().join(SCHEMA)).unwrap();
    assert!(
        r.stdout == committed,
        "{SCHEMA} is out of date: regenerate it with `{REGENERATE}`"
    );
    let v = schema();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

#[test]
fn every_shipped_plan_validates() {
    let v = validator();
    for path in shipped_yaml() {
        let text = std::fs::read_to_string(&path).unwrap();
        let errs = errors(&v, &text);
        assert!(errs.is_empty(), "{}:\n{}", path.display(), errs.join("\n"));
    }
    // the contract's example too
    let text = std::fs::read_to_string(repo().join("src/scenario/testdata/contract-example.yaml"))
        .unwrap();
    assert_eq!(errors(&v, &text), Vec::<String>::new());
}

#[test]
fn every_shipped_plan_points_editors_at_the_schema() {
    let schema = std::fs::canonicalize(repo().join(SCHEMA)).unwrap();
    for path in shipped_yaml() {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let Some(rel) = first.strip_prefix("# yaml-language-server: $schema=") else {
            panic!(
                "{} must start with `# yaml-language-server: $schema=<relative path to {SCHEMA}>`",
                path.display()
            );
        };
        let target = path.parent().unwrap().join(rel.trim());
        assert_eq!(
            std::fs::canonicalize(&target).ok().as_ref(),
            Some(&schema),
            "{}: `{rel}` does not lead to {SCHEMA}",
            path.display()
        );
    }
}

#[test]
fn every_documented_form_validates() {
    let v = validator();
    let plan = r#"
name: forms
include: common.yaml
target: {host: "[::1]", port: "${env:P:-25}", tls: implicit, timeout: 1.5s, ca_file: ca.pem, insecure: "${x}", server_name: mx}
vars: {a: 1, b: true, c: text}
secrets: [c]
groups:
  hello: [{expect: 220}, {ehlo: x}]
scenarios:
  - name: all steps
    tags: [smoke]
    skip: not today
    vars: {d: "${a}"}
    target: {timeout: 2m}
    steps:
      - connect
      - connect: {host: h, port: 25, tls: none}
        retry: {count: 3, interval: 500ms}
      - expect: "2xx"
        timeout: 2s
      - use: hello
      - helo: x
      - lhlo: x
      - send: "NOOP"
        expect: [250, "25x"]
        retry: 2
      - starttls
      - starttls: {expect: 454, ca_file: c.pem, insecure: true, server_name: n}
      - starttls:
      - auth: {mechanism: PLAIN, username: u, password: p}
      - mail_from: ""
      - mail_from: {address: a@b, params: [SIZE=10]}
      - rcpt_to: a@b
        expect: {code: 250, enhanced: 2.1.5, matches: 'x', contains: y, not_matches: z, capabilities: [AUTH LOGIN], lacks: [X], capture: {q: '(.*)'}}
      - data: "Subject: x\n\nbody"
      - data: {file: m.eml, raw: true}
      - data: {headers: {Subject: s, X-Count: 3}, body: b, attachments: [{file: a.pdf, content_type: application/pdf, name: r.pdf}, {file: b.txt}]}
      - vrfy: x
      - rset
      - noop
      - quit:
        expect: 221
      - sleep: 10ms
      - expect_close
"#;
    assert_eq!(errors(&v, plan), Vec::<String>::new());
    // an included file: no scenarios
    assert_eq!(
        errors(&v, "vars: {x: 1}\ngroups: {g: [quit]}\n"),
        Vec::<String>::new()
    );
}

#[test]
fn the_schema_refuses_what_the_loader_refuses() {
    let v = validator();
    for (bad, why) in [
        (
            "scenarios: [{name: s, steps: [{ehol: x}]}]",
            "misspelled step key",
        ),
        (
            "scenarios: [{name: s, steps: [bogus]}]",
            "unknown bare step",
        ),
        (
            "scenarios: [{name: s, steps: [{expect: {cod: 250}}]}]",
            "misspelled expect key",
        ),
        (
            "scenarios: [{name: s, steps: [{expect: 250}]}]\ntarget: {prot: 25}",
            "target key",
        ),
        (
            "scenarios: [{name: s, steps: [{sleep: 10}]}]",
            "duration without unit",
        ),
        (
            "scenarios: [{name: s, steps: [{expect: 1000}]}]",
            "not a reply code",
        ),
        (
            "scenarios: [{name: s, steps: [{noop: ~, retry: {count: 0}}]}]",
            "retry count 0",
        ),
        (
            "scenarios: [{name: s, steps: [{data: {fil: x}}]}]",
            "data key",
        ),
        (
            "scenarios: [{name: s, steps: [quit]}]\ngrups: {}",
            "plan key",
        ),
        ("scenarios: [{steps: [quit]}]", "scenario without a name"),
        (
            "scenarios: [{name: s, skip: true, steps: [quit]}]",
            "skip without a reason",
        ),
    ] {
        assert!(
            !errors(&v, bad).is_empty(),
            "the schema accepts {why}: {bad}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = plan(dir.path(), "bad.yaml", bad);
        let r = run(smtp_plan(&["check", path.to_str().unwrap()]));
        r.assert_code(2);
    }
}
