//! Loading the reuse extensions: `data:` from a file or as MIME, groups, `include:`,
//! `retry:`, `timeout:` and `skip:` — each problem with its file, line and column. The
//! fixture here (a directory of files, one loaded as the plan) serves `vars_tests.rs` too.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::load::load_plans;
use super::options::LoadOptions;
pub(super) use super::test_loader::one_scenario;
use super::test_loader::{TestLoader, test_cert_and_key_pem, write_files};
use crate::model::*;

fn env(name: &str) -> Option<String> {
    (name == "HOST").then(|| "mx.example".to_owned())
}

/// A self-signed certificate (PEM), for the `ca_file`s the loader checks.
fn test_cert_pem() -> String {
    test_cert_and_key_pem().0
}

/// A directory with files; `plan.yaml` is loaded from it.
pub(super) struct Dir(tempfile::TempDir);

impl Dir {
    pub(super) fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path(), files);
        Self(dir)
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    /// Problems name their file relative to the directory.
    pub(super) fn loader(&self) -> TestLoader {
        TestLoader {
            path: self.path("plan.yaml"),
            files_under: Some(self.0.path().to_owned()),
            env,
        }
    }

    pub(super) fn load(&self, text: &str) -> Plan {
        self.loader().load(text)
    }

    pub(super) fn problems_with(&self, text: &str, options: &LoadOptions) -> Vec<String> {
        self.loader().problems_with(text, options)
    }

    pub(super) fn problems(&self, text: &str) -> Vec<String> {
        self.loader().problems(text)
    }
}

pub(super) fn render(t: &crate::template::Template, vars: &BTreeMap<String, String>) -> String {
    t.render(vars).unwrap()
}

#[test]
fn data_from_a_file_is_a_template_unless_raw() {
    let d = Dir::new(&[(
        "m/hello.eml",
        "Subject: hi ${user}\n\n$${literal} ${uuid}\n",
    )]);
    let plan = d.load(&one_scenario(
        "",
        "      - data: {file: m/hello.eml}\n      - data: {file: m/hello.eml, raw: true}\n",
    ));
    let steps = &plan.scenarios[0].steps;
    // The message as the runner sends it: the file's bytes and the rendered references.
    let whole = |file: &crate::model::MessageFile, vars: &BTreeMap<String, String>| {
        let bytes = std::fs::read(&file.path).unwrap();
        let mut out = String::new();
        for part in &file.parts {
            match part {
                crate::model::FilePart::Bytes(r) => out.push_str(
                    std::str::from_utf8(&bytes[r.start as usize..r.end as usize]).unwrap(),
                ),
                crate::model::FilePart::Template(t, _) => out.push_str(&render(t, vars)),
            }
        }
        out
    };
    let Action::Data(DataSpec::File(f)) = &steps[0].action else {
        panic!()
    };
    let mut vars = plan.vars.clone();
    vars.insert("uuid".into(), "U".into());
    assert_eq!(whole(f, &vars), "Subject: hi bob\n\n${literal} U\n");
    let Action::Data(DataSpec::File(f)) = &steps[1].action else {
        panic!()
    };
    assert_eq!(
        whole(f, &BTreeMap::new()),
        "Subject: hi ${user}\n\n$${literal} ${uuid}\n"
    );
}

#[test]
fn data_file_problems_point_at_the_step_or_into_the_file() {
    let d = Dir::new(&[("bad.eml", "Subject: x\n\nHi ${usr} and ${nobody}\n")]);
    let p = d.problems(&one_scenario(
        "",
        "      - data: {file: nope.eml}\n      - data: {file: bad.eml}\n      - data: {file: bad.eml, body: x}\n      - data: {raw: true, body: x}\n      - data: {}\n",
    ));
    let missing = d.path("nope.eml").display().to_string();
    assert_eq!(
        p,
        vec![
            format!(
                "plan.yaml:6:22 the message file `{missing}` does not exist | a relative path is relative to the directory of `{}`",
                d.path("plan.yaml").display()
            ),
            "plan.yaml:8:31 `body` cannot be combined with `file` | `file` is the whole message, headers included".into(),
            "plan.yaml:9:16 `raw` only applies to `file` | `raw: true` sends a message file without `${..}` substitution".into(),
            "plan.yaml:10:9 `data` needs `file`, or `headers` and `body` | write `data: {file: message.eml}` or `data: {headers: {Subject: ..}, body: ..}`".into(),
            "bad.eml:3:4 undefined variable `usr` | did you mean `user`?".into(),
            "bad.eml:3:15 undefined variable `nobody` | define it under `vars:`, pass `--var nobody=VALUE`, or `capture` it in an earlier step; write `$${` for a literal `${`, or send the file as it is with `raw: true`".into(),
        ]
    );
}

#[test]
fn structured_data_reads_attachments_at_load_time() {
    let d = Dir::new(&[("r.pdf", "%PDF"), ("notes.txt", "n")]);
    let plan = d.load(&one_scenario(
        "",
        "      - data:\n          headers: {Subject: 'S ${user}', X-N: 3}\n          body: B\n          attachments:\n            - {file: r.pdf}\n            - {file: notes.txt, content_type: text/x-notes, name: n.txt}\n",
    ));
    let Action::Data(DataSpec::Mime(m)) = &plan.scenarios[0].steps[0].action else {
        panic!()
    };
    assert_eq!(m.headers.len(), 2);
    assert_eq!(m.headers[0].0, "Subject");
    assert_eq!(render(&m.headers[0].1, &plan.vars), "S bob");
    assert_eq!(m.attachments[0].content_type, "application/pdf");
    assert_eq!(m.attachments[0].name, "r.pdf");
    assert_eq!(&*m.attachments[0].content, b"%PDF");
    assert_eq!(m.attachments[1].content_type, "text/x-notes");
    assert_eq!(m.attachments[1].name, "n.txt");

    let p = d.problems(&one_scenario(
        "",
        "      - data:\n          headers: {'Bad Name': x}\n          attachments:\n            - {file: gone.pdf}\n            - {name: x}\n            - {file: r.pdf, content_type: pdf}\n",
    ));
    let msgs: Vec<&str> = p.iter().map(|s| s.split(" | ").next().unwrap()).collect();
    assert_eq!(
        msgs[0],
        "plan.yaml:7:21 `Bad Name` is not a valid header name"
    );
    assert!(
        msgs[1].starts_with("plan.yaml:9:22 the attachment `"),
        "{p:?}"
    );
    assert_eq!(msgs[2], "plan.yaml:10:15 an attachment needs `file`");
    assert_eq!(msgs[3], "plan.yaml:11:43 invalid content type `pdf`");
}

#[test]
fn groups_expand_where_used_and_keep_their_positions() {
    let d = Dir::new(&[]);
    let plan = d.load(
        "groups:\n  greet:\n    - expect: 220\n    - ehlo: x\n  both:\n    - use: greet\n    - noop\nscenarios:\n  - name: s\n    steps:\n      - use: both\n      - quit\n",
    );
    let steps = &plan.scenarios[0].steps;
    let got: Vec<(&str, u32, u32)> = steps
        .iter()
        .map(|s| (s.action.keyword(), s.span.line, s.span.col))
        .collect();
    assert_eq!(
        got,
        vec![
            ("expect", 3, 7),
            ("ehlo", 4, 7),
            ("noop", 7, 7),
            ("quit", 12, 9)
        ]
    );
    assert!(steps.iter().all(|s| s.origin.is_none()));
}

#[test]
fn group_captures_are_known_after_the_use() {
    let d = Dir::new(&[]);
    d.load(
        "groups:\n  q:\n    - expect: {code: 220, capture: {banner: '(.*)'}}\nscenarios:\n  - name: s\n    steps:\n      - use: q\n      - send: 'NOOP ${banner}'\n",
    );
}

#[test]
fn group_problems() {
    let d = Dir::new(&[]);
    let p = d.problems(
        "groups:\n  greet: [{use: loop}]\n  loop: [{use: greet}]\n  empty: []\n  'bad name': [quit]\n  login: [{ehol: x}]\nscenarios:\n  - name: s\n    steps:\n      - use: gret\n      - use: greet\n      - use: login\n        expect: 250\n      - use\n  - name: t\n    steps:\n      - use: login\n",
    );
    assert_eq!(
        p,
        vec![
            "plan.yaml:3:16 group `greet` uses itself: greet → loop → greet | a group cannot use itself, directly or through other groups",
            "plan.yaml:4:10 group `empty` has no steps",
            "plan.yaml:5:3 `bad name` is not a valid group name | use letters, digits, `_`, `.` and `-`",
            "plan.yaml:6:12 unknown key `ehol` in a step | did you mean `ehlo`?",
            "plan.yaml:10:14 unknown group `gret` | did you mean `greet`?",
            "plan.yaml:13:9 `use` stands alone: `expect` cannot go with it | put `expect` on the steps of the group instead",
            "plan.yaml:14:9 step `use` needs a value | write `- use: ...`",
        ],
        "a problem in a group used twice is reported once"
    );
}

#[test]
fn includes_bring_vars_target_groups_and_secrets() {
    let d = Dir::new(&[
        (
            "lib/common.yaml",
            "include: [deeper.yaml]\nvars:\n  user: alice\n  pw: s3cret\nsecrets: [pw]\ntarget: {host: '${host}', port: 2525, ca_file: ca.pem}\ngroups:\n  greet:\n    - expect: 220\n    - ehlo: ${user}\n",
        ),
        ("lib/deeper.yaml", "vars: {host: mx.test}\n"),
        ("lib/ca.pem", &test_cert_pem()),
    ]);
    let plan = d.load(
        "include: [lib/common.yaml]\nvars: {user: bob}\ntarget: {port: 25}\nscenarios:\n  - name: s\n    steps:\n      - use: greet\n      - quit\n",
    );
    assert_eq!(
        plan.vars["user"], "bob",
        "the plan's vars beat included ones"
    );
    assert_eq!(plan.vars["host"], "mx.test");
    assert_eq!(plan.secret_values, vec!["s3cret".to_owned()]);
    let s = &plan.scenarios[0];
    assert_eq!(s.target.host, "mx.test");
    assert_eq!(s.target.port, 25, "the plan's target keys win");
    assert_eq!(
        s.target.tls_options.ca_file.as_deref(),
        Some(d.path("lib/ca.pem").as_path()),
        "relative to the included file"
    );
    let origin = s.steps[0].origin.as_ref().unwrap();
    assert_eq!(origin.path, d.path("lib/common.yaml"));
    assert_eq!((s.steps[1].span.line, s.steps[1].span.col), (10, 7));
    assert!(s.steps[2].origin.is_none());
}

#[test]
fn include_problems_point_into_the_included_file() {
    let d = Dir::new(&[
        (
            "a.yaml",
            "include: [b.yaml]\nscenarios: []\nvars: {x: '${nope}'}\ngroups:\n  g: [{ehol: x}]\n",
        ),
        ("b.yaml", "include: a.yaml\nsecrets: [pasword]\n"),
        ("c.yaml", "groups: {g: [quit]}\n"),
    ]);
    let p = d.problems(
        "include: [a.yaml, missing.yaml, c.yaml]\nvars: {password: x}\nscenarios:\n  - name: s\n    steps: [{use: g}]\n",
    );
    let short: Vec<String> = p
        .iter()
        .map(|s| s.split(" | ").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        short,
        vec![
            format!(
                "plan.yaml:1:19 included file `{}` does not exist",
                d.path("missing.yaml").display()
            ),
            "a.yaml:2:1 an included file cannot have `scenarios`".into(),
            "a.yaml:3:12 undefined variable `nope`".into(),
            "a.yaml:5:8 unknown key `ehol` in a step".into(),
            "b.yaml:1:10 include cycle: a.yaml → b.yaml → a.yaml".into(),
            "b.yaml:2:11 secret `pasword` is not a variable".into(),
            "c.yaml:1:10 group `g` is defined twice".into(),
        ],
        "{p:#?}"
    );
    assert!(p[1].contains("scenarios belong in the plans that include it"));
}

#[test]
fn a_directory_search_skips_files_that_plans_include() {
    let d = Dir::new(&[
        ("plans/common.yaml", "vars: {x: 1}\n"),
        (
            "plans/one.yaml",
            "include: [common.yaml]\nscenarios: [{name: s, steps: [{send: '${x}'}]}]\n",
        ),
        (
            "plans/two.yaml",
            "include: [common.yaml]\nscenarios: [{name: s, steps: [{send: '${x}'}]}]\n",
        ),
    ]);
    let plans = load_plans(&[d.path("plans")], &LoadOptions::default()).unwrap();
    assert_eq!(plans.len(), 2);
    // named explicitly, an include file is loaded as a plan (and has no scenarios)
    let err = load_plans(&[d.path("plans/common.yaml")], &LoadOptions::default()).unwrap_err();
    assert!(err.render(false).contains("the plan has no `scenarios:`"));
    // without anyone including it, it is a plan missing its scenarios
    std::fs::remove_file(d.path("plans/one.yaml")).unwrap();
    std::fs::remove_file(d.path("plans/two.yaml")).unwrap();
    assert!(load_plans(&[d.path("plans")], &LoadOptions::default()).is_err());
}

#[test]
fn retry_and_timeout_per_step() {
    let d = Dir::new(&[]);
    let plan = d.load(&one_scenario(
        "",
        "      - connect:\n        retry: {count: 3, interval: 250ms}\n      - noop:\n        retry: 2\n        timeout: 2s\n      - expect: 220\n        timeout: 500ms\n",
    ));
    let s = &plan.scenarios[0].steps;
    assert_eq!(
        s[0].retry,
        Some(Retry {
            count: 3,
            interval: Duration::from_millis(250)
        })
    );
    assert_eq!(
        s[1].retry,
        Some(Retry {
            count: 2,
            interval: Duration::from_secs(1)
        })
    );
    assert_eq!(s[1].timeout, Some(Duration::from_secs(2)));
    assert_eq!(s[2].timeout, Some(Duration::from_millis(500)));
    assert_eq!(s[2].retry, None);

    let p = d.problems(&one_scenario(
        "",
        "      - auth: {mechanism: PLAIN, username: u, password: p}\n        retry: 2\n      - sleep: 1s\n        timeout: 2s\n      - noop:\n        retry: {count: 0, intervall: 1s}\n      - noop:\n        timeout: 10\n      - retry\n",
    ));
    let short: Vec<&str> = p.iter().map(|s| s.split(" | ").next().unwrap()).collect();
    assert_eq!(
        short,
        vec![
            "plan.yaml:7:9 `auth` cannot be retried",
            "plan.yaml:9:9 `sleep` reads no reply, so it cannot have `timeout`",
            "plan.yaml:11:24 invalid retry count `0`",
            "plan.yaml:11:27 unknown key `intervall` in `retry`",
            "plan.yaml:13:18 `timeout` needs a unit: `10` is ambiguous",
            "plan.yaml:14:9 `retry` is not a step",
        ]
    );
}

#[test]
fn skip_has_a_reason() {
    let d = Dir::new(&[]);
    let plan = d.load(
        "scenarios:\n  - name: s\n    skip: relay down\n    steps: [quit]\n  - name: t\n    steps: [quit]\n",
    );
    assert_eq!(plan.scenarios[0].skip.as_deref(), Some("relay down"));
    assert_eq!(plan.scenarios[1].skip, None);
    let p = d.problems(
        "scenarios:\n  - name: s\n    skip: true\n    steps: [quit]\n  - name: t\n    skip: ''\n    steps: [quit]\n",
    );
    let short: Vec<&str> = p.iter().map(|s| s.split(" | ").next().unwrap()).collect();
    assert_eq!(
        short,
        vec![
            "plan.yaml:3:11 `skip` takes the reason as text, found a boolean",
            "plan.yaml:6:11 `skip` needs a reason",
        ]
    );
}

#[test]
fn include_may_name_a_single_file() {
    let d = Dir::new(&[("x/inc.yaml", "vars: {a: 1}\n")]);
    let plan = d.load("include: x/inc.yaml\nscenarios: [{name: s, steps: [{send: '${a}'}]}]\n");
    assert_eq!(plan.vars["a"], "1");
}
