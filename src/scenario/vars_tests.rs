//! Loading variables: scenario vars, `--vars-file`, `secrets:` naming them, built-in
//! variables — each problem with its file, line and column.

use std::collections::BTreeMap;

use super::options::LoadOptions;
use super::reuse_tests::{Dir, one_scenario, render};
use crate::model::Action;

#[test]
fn scenario_vars_override_and_use_plan_vars_and_env() {
    let d = Dir::new(&[]);
    let plan = d.load(
        "vars: {user: bob, port: 2525}\nscenarios:\n  - name: s\n    vars:\n      user: alice\n      from: ${user}@${env:HOST}\n      p2: ${port}\n    target: {port: '${p2}'}\n    steps:\n      - mail_from: ${from}\n  - name: t\n    steps: [{mail_from: '${user}'}]\n",
    );
    let s = &plan.scenarios[0];
    assert_eq!(s.vars["user"], "alice");
    assert_eq!(
        s.vars["from"], "alice@mx.example",
        "in order: the scenario's own `user`"
    );
    assert_eq!(s.vars["p2"], "2525", "a scenario var sees the plan's");
    assert!(!s.vars.contains_key("port"), "only the scenario's own vars");
    assert_eq!(s.target.port, 2525);
    assert_eq!(plan.vars["user"], "bob");
    // the runner layers scenario vars on plan vars
    let Action::MailFrom(e) = &s.steps[0].action else {
        panic!()
    };
    let mut vars = plan.vars.clone();
    vars.extend(s.vars.0.clone());
    assert_eq!(render(&e.address, &vars), "alice@mx.example");
}

#[test]
fn a_scenario_var_is_unknown_to_other_scenarios() {
    let d = Dir::new(&[]);
    let p = d.problems(
        "scenarios:\n  - name: s\n    vars: {x: 1}\n    steps: [noop]\n  - name: t\n    steps:\n      - send: ${x}\n",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("plan.yaml:7:15 undefined variable `x`"),
        "{p:?}"
    );
}

#[test]
fn secrets_may_name_scenario_vars() {
    let d = Dir::new(&[]);
    let plan = d.load(
        "secrets: [pw]\nscenarios:\n  - name: s\n    vars: {pw: hunter2}\n    steps: [noop]\n",
    );
    assert_eq!(plan.secret_values, vec!["hunter2".to_owned()]);
}

#[test]
fn vars_files_beat_plan_vars_and_lose_to_var() {
    let d = Dir::new(&[
        ("a.yaml", "user: from-file\nhost: h1\nn: 5\n"),
        ("b.yaml", "host: h2\n"),
    ]);
    let options = LoadOptions {
        vars: BTreeMap::from([("n".into(), "from-var".into())]).into(),
        vars_files: vec![d.path("a.yaml"), d.path("b.yaml")],
        ..LoadOptions::default()
    };
    let plan = d
        .loader()
        .load_with(
            "vars: {user: plan, n: 1, host: h0}\nscenarios: [{name: s, vars: {user: scen}, steps: [noop]}]\n",
            &options,
        )
        .unwrap();
    assert_eq!(plan.vars["user"], "from-file");
    assert_eq!(plan.vars["host"], "h2", "a later vars file wins");
    assert_eq!(plan.vars["n"], "from-var");
    assert!(
        !plan.scenarios[0].vars.contains_key("user"),
        "the command line beats scenario vars too"
    );
}

#[test]
fn a_bad_vars_file_points_into_it() {
    let d = Dir::new(&[("v.yaml", "ok: 1\nlist: [a]\nuuid: x\nbad name: y\n")]);
    let options = LoadOptions {
        vars_files: vec![d.path("v.yaml"), d.path("missing.yaml")],
        ..LoadOptions::default()
    };
    let p = d.problems_with("scenarios: [{name: s, steps: [noop]}]\n", &options);
    assert_eq!(
        p,
        vec![
            "missing.yaml:0:0 --vars-file `".to_owned()
                + &d.path("missing.yaml").display().to_string()
                + "` does not exist",
            "v.yaml:2:7 variable `list` must be a string, a number or a boolean, found a list"
                .into(),
            "v.yaml:3:1 `uuid` is a built-in variable | smtp-plan sets `${uuid}` itself; choose another name".into(),
            "v.yaml:4:1 `bad name` is not a valid variable name | use letters, digits, `_`, `.` and `-`".into(),
        ]
    );
}

#[test]
fn a_plan_variable_is_a_scalar_like_a_vars_file_one() {
    let d = Dir::new(&[]);
    let p =
        d.problems("vars:\n  list: [a]\n  map: {a: b}\nscenarios: [{name: s, steps: [noop]}]\n");
    assert_eq!(
        p,
        vec![
            "plan.yaml:2:9 variable `list` must be a string, a number or a boolean, found a list",
            "plan.yaml:3:8 variable `map` must be a string, a number or a boolean, found a mapping",
        ]
    );
}

#[test]
fn builtins_are_defined_in_steps_only_and_cannot_be_shadowed() {
    let d = Dir::new(&[]);
    let plan = d.load(&one_scenario(
        "",
        "      - send: 'X ${uuid} ${now} ${message_id} ${scenario.name} ${plan.name}'\n",
    ));
    assert_eq!(plan.scenarios[0].steps.len(), 1);
    let p = d.problems(
        "vars:\n  a: ${uuid}\n  now: x\n  bad name: x\nscenarios:\n  - name: s\n    steps:\n      - expect: {code: 250, capture: {message_id: '(.*)'}}\n      - mailbox: {maildir: m}\n        expect: {headers: {X-A: {capture: {now: '(.*)', ok: '(.*)'}}}, body: {capture: {bad name: '(.*)'}}}\n",
    );
    assert_eq!(
        p,
        vec![
            "plan.yaml:2:6 undefined variable `uuid` | `uuid` is a built-in variable, set when the scenario runs: steps can use it, `vars:` and `target:` cannot",
            "plan.yaml:3:3 `now` is a built-in variable | smtp-plan sets `${now}` itself; choose another name",
            "plan.yaml:4:3 `bad name` is not a valid variable name | use letters, digits, `_`, `.` and `-`",
            "plan.yaml:8:39 `message_id` is a built-in variable | smtp-plan sets `${message_id}` itself; capture into another name",
            "plan.yaml:10:44 `now` is a built-in variable | smtp-plan sets `${now}` itself; capture into another name",
            "plan.yaml:10:89 `bad name` is not a valid variable name | use letters, digits, `_`, `.` and `-`",
        ]
    );
    let options = LoadOptions {
        vars: BTreeMap::from([("plan.name".into(), "x".into())]).into(),
        ..LoadOptions::default()
    };
    let p = d.problems_with(&one_scenario("", "      - noop\n"), &options);
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("--var:0:0 `--var plan.name=..`"), "{p:?}");
}
