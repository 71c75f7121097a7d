//! Loading plans from strings: the contract's example, every expectation form, and each kind
//! of problem with its exact position and help.
//!
//! Why one file: the loader's unit tests, each an independent case, beside load.rs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::options::LoadOptions;
use super::test_loader::{TestLoader, one_scenario, test_cert_and_key_pem, write_files};
use super::*;
use crate::model::*;
use crate::protocol::Mechanism;

fn env(name: &str) -> Option<String> {
    match name {
        "SMTP_PASSWORD" => Some("s3cret".into()),
        "PORT" => Some("2525".into()),
        _ => None,
    }
}

/// Where the plans of these tests live (not the file itself): a directory with the PEM files
/// they name (`ca.pem`, `certs/ca.pem`, `c.pem`, `x.pem`; keys `k.pem`, `y.pem`), which the
/// loader reads and checks.
const BASE: &str = "target/load-tests/plans";

fn base() -> &'static Path {
    static MADE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    MADE.get_or_init(|| {
        let (cert, key) = test_cert_and_key_pem();
        write_files(
            Path::new(BASE),
            &[
                ("ca.pem", &cert),
                ("certs/ca.pem", &cert),
                ("c.pem", &cert),
                ("x.pem", &cert),
                ("k.pem", &key),
                ("y.pem", &key),
            ],
        );
    });
    Path::new(BASE)
}

fn in_base(name: &str) -> PathBuf {
    base().join(name)
}

fn loader() -> TestLoader {
    TestLoader {
        path: in_base("test.yaml"),
        files_under: None,
        env,
    }
}

fn load_with(text: &str, options: &LoadOptions) -> Result<Plan, Vec<Diagnostic>> {
    loader().load_with(text, options)
}

fn load(text: &str) -> Plan {
    loader().load(text)
}

/// Every problem as `line:col message | help`.
fn problems(text: &str) -> Vec<String> {
    loader().problems(text)
}

/// A plan with one scenario whose steps are `steps` (indented as list items).
fn with_steps(steps: &str) -> String {
    one_scenario("", steps)
}

fn steps(text: &str) -> Vec<Step> {
    load(&with_steps(text)).scenarios.remove(0).steps
}

const EXAMPLE: &str = include_str!("testdata/contract-example.yaml");

#[test]
fn the_contract_example_loads() {
    let plan = load(EXAMPLE);
    assert_eq!(plan.name, "Exchange SMTP AUTH walkthrough");
    assert_eq!(plan.path, in_base("test.yaml"));
    assert_eq!(&*plan.source, EXAMPLE);
    assert_eq!(plan.vars["user"], "user1@contoso.com");
    assert_eq!(plan.vars["password"], "s3cret");
    assert_eq!(plan.secret_values, vec!["s3cret".to_owned()]);
    assert_eq!(plan.scenarios.len(), 2);

    let first = &plan.scenarios[0];
    assert_eq!(first.name, "server offers STARTTLS and AUTH");
    assert_eq!(first.tags, vec!["smoke".to_owned()]);
    assert_eq!(first.span, Span { line: 16, col: 5 });
    let t = &first.target;
    assert_eq!(t.host, "mail.contoso.com");
    assert_eq!(t.port, 25);
    assert_eq!(t.tls, TlsMode::None);
    assert_eq!(t.timeout, Duration::from_secs(10));
    assert_eq!(t.tls_options.ca_file, Some(in_base("certs/ca.pem")));
    assert!(!t.tls_options.is_insecure());

    let s = &first.steps;
    assert!(matches!(s[0].action, Action::Read));
    assert_eq!(s[0].expect.codes, vec![CodePattern::exact(220)]);
    assert!(s[0].expect_given);
    assert_eq!(s[0].span, Span { line: 19, col: 9 });
    let Action::Ehlo(name) = &s[1].action else {
        panic!("ehlo")
    };
    assert_eq!(name.to_string(), "smtp.contoso.com");
    let caps: Vec<String> = s[1]
        .expect
        .capabilities
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(caps, ["STARTTLS", "AUTH"]);
    assert!(matches!(s[2].action, Action::Quit));
    assert_eq!(s[2].expect.codes, vec![CodePattern::exact(221)]);
    assert!(!s[2].expect_given);

    let s = &plan.scenarios[1].steps;
    assert_eq!(s.len(), 9);
    assert!(!s[1].expect_given);
    assert_eq!(s[1].expect.codes, vec![CodePattern::exact(250)]);
    let Action::StartTls(tls) = &s[2].action else {
        panic!("starttls")
    };
    assert_eq!(**tls, StartTls::default());
    assert_eq!(s[2].expect.codes, vec![CodePattern::exact(220)]);
    let Action::Auth(auth) = &s[4].action else {
        panic!("auth")
    };
    assert_eq!(auth.mechanism, AuthMechanism::Named(Mechanism::Login));
    assert_eq!(auth.username.to_string(), "${user}");
    assert_eq!(auth.credential.expose().unwrap().to_string(), "${password}");
    assert!(!auth.credential.is_token());
    assert_eq!(s[4].expect.codes, vec![CodePattern::exact(235)]);
    assert_eq!(s[4].expect.enhanced.unwrap().to_string(), "2.7.0");
    assert!(
        s[4].expect
            .matches
            .as_ref()
            .unwrap()
            .is_match("2.7.0 Authentication successful")
    );
    let Action::MailFrom(from) = &s[5].action else {
        panic!("mail_from")
    };
    assert_eq!(
        from.address.render(&plan.vars).unwrap(),
        "user1@contoso.com"
    );
    assert!(from.params.is_empty());
    assert_eq!(s[6].expect.enhanced.unwrap().to_string(), "2.1.5");
    let Action::Data(DataSpec::Text(body)) = &s[7].action else {
        panic!("data")
    };
    assert_eq!(
        body.to_string(),
        "Subject: Test OpenSSL Mail-Enabled User\n\nTest from mail-enabled user\n"
    );
    let capture = &s[7].expect.capture;
    assert_eq!(capture.len(), 1);
    assert_eq!(capture[0].0, "queue_id");
    assert_eq!(capture[0].1.as_str(), "<([^>]+)>");
    assert!(matches!(s[8].action, Action::Quit));
}

#[test]
fn default_expectations() {
    let s = steps(
        "      - expect: 220
      - send: 'XFOO'
      - helo: a
      - lhlo: a
      - auth: {mechanism: plain, username: u, password: p4ssw0rd}
      - mail_from: ''
      - rcpt_to: b@c
      - data: x
      - rset
      - noop
      - vrfy: bob
      - sleep: 500ms
      - expect_close
      - connect
      - quit
",
    );
    let codes: Vec<String> = s
        .iter()
        .map(|s| {
            let c: Vec<String> = s.expect.codes.iter().map(ToString::to_string).collect();
            format!("{}={}", s.action.keyword(), c.join("/"))
        })
        .collect();
    assert_eq!(
        codes,
        [
            "expect=220",
            "send=",
            "helo=250",
            "lhlo=250",
            "auth=235",
            "mail_from=250",
            "rcpt_to=250/251",
            "data=250",
            "rset=250",
            "noop=250",
            "vrfy=",
            "sleep=",
            "expect_close=",
            "connect=",
            "quit=221",
        ]
    );
    assert!(s.iter().skip(1).all(|s| !s.expect_given));
    let Action::Auth(auth) = &s[4].action else {
        panic!("auth")
    };
    assert_eq!(auth.mechanism, AuthMechanism::Named(Mechanism::Plain));
    let Action::MailFrom(from) = &s[5].action else {
        panic!("mail_from")
    };
    assert_eq!(from.address.to_string(), "");
    let Action::Sleep(d) = s[11].action else {
        panic!("sleep")
    };
    assert_eq!(d, Duration::from_millis(500));
}

#[test]
fn every_expect_form() {
    let s = steps(
        r#"      - expect: 250
      - expect: "2xx"
      - expect: 25x
      - expect: [250, "25x", 4xx]
      - expect:
          code: [250, 251]
          enhanced: 5.x.x
          matches: '^OK'
          not_matches: 'error'
          contains: 'hello ${user}'
          capabilities: [STARTTLS, auth login]
          lacks: [CHUNKING]
          capture: {id: 'id=(\w+)', whole: '\d+'}
      - expect: {enhanced: 5.7.139}
      - ehlo: x
        expect: {capabilities: [PIPELINING]}
"#,
    );
    let codes =
        |i: usize| -> Vec<String> { s[i].expect.codes.iter().map(ToString::to_string).collect() };
    assert_eq!(codes(0), ["250"]);
    assert_eq!(codes(1), ["2xx"]);
    assert_eq!(codes(2), ["25x"]);
    assert_eq!(codes(3), ["250", "25x", "4xx"]);
    let e = &s[4].expect;
    assert_eq!(codes(4), ["250", "251"]);
    assert_eq!(e.enhanced.unwrap().to_string(), "5.x.x");
    assert!(e.matches.as_ref().unwrap().is_match("OK go"));
    assert!(e.not_matches.as_ref().unwrap().is_match("an error"));
    assert_eq!(e.contains.as_ref().unwrap().to_string(), "hello ${user}");
    assert_eq!(
        e.capabilities[1],
        CapabilityReq {
            keyword: "AUTH".into(),
            param: Some("LOGIN".into())
        }
    );
    assert_eq!(e.lacks[0].keyword, "CHUNKING");
    let names: Vec<&str> = e.capture.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["id", "whole"]);
    // A map without `code` on a reading step accepts any code...
    assert!(s[5].expect.codes.is_empty());
    assert_eq!(s[5].expect.enhanced.unwrap().to_string(), "5.7.139");
    // ...but on a command the step's default code stays in force.
    assert!(s[6].expect_given);
    assert_eq!(codes(6), ["250"]);
}

#[test]
fn default_codes_stay_unless_a_code_is_named() {
    let s = steps(
        r#"      - starttls: {expect: {tls: {version: TLSv1.3}}}
      - ehlo: x
        expect: {lacks: [AUTH]}
      - rcpt_to: a@b
        expect: {matches: ok}
      - mail_from: a@b
        expect: {code: "5xx", matches: no}
      - quit:
        expect: {contains: bye}
      - connect:
        expect: {fails: refused}
      - expect: {fails: timeout}
"#,
    );
    let codes =
        |i: usize| -> Vec<String> { s[i].expect.codes.iter().map(ToString::to_string).collect() };
    assert_eq!(codes(0), ["220"]);
    assert_eq!(codes(1), ["250"]);
    assert_eq!(codes(2), ["250", "251"]);
    assert_eq!(codes(3), ["5xx"]);
    assert_eq!(codes(4), ["221"]);
    assert_eq!(s[5].expect.fails, [ExpectedFailure::Refused]);
    assert_eq!(s[6].expect.fails, [ExpectedFailure::Timeout]);
}

#[test]
fn step_forms() {
    let s = steps(
        r#"      - connect: {host: "[::1]", port: "${env:PORT}", tls: implicit}
      - starttls: {expect: 220, ca_file: ca.pem, insecure: true, server_name: mx.example}
      - starttls:
        expect: "2xx"
      - mail_from: {address: "${user}@example.com", params: [SIZE=100, BODY=8BITMIME]}
      - rcpt_to: {address: x@y}
      - quit:
        expect: 221
"#,
    );
    let Action::Connect(c) = &s[0].action else {
        panic!("connect")
    };
    assert_eq!(
        &**c,
        &ConnectSpec {
            host: Some("::1".into()),
            port: Some(2525),
            tls: Some(TlsMode::Implicit),
            ..ConnectSpec::default()
        }
    );
    let Action::StartTls(tls) = &s[1].action else {
        panic!("starttls")
    };
    assert_eq!(tls.options.ca_file, Some(in_base("ca.pem")));
    assert_eq!(tls.options.insecure, Some(true));
    assert_eq!(tls.options.server_name.as_deref(), Some("mx.example"));
    assert!(s[1].expect_given);
    assert_eq!(s[2].expect.codes, vec![CodePattern::class(2)]);
    let Action::MailFrom(from) = &s[3].action else {
        panic!("mail_from")
    };
    assert_eq!(from.address.to_string(), "${user}@example.com");
    let params: Vec<String> = from.params.iter().map(ToString::to_string).collect();
    assert_eq!(params, ["SIZE=100", "BODY=8BITMIME"]);
    assert!(s[5].expect_given);
}

#[test]
fn target_merge_vars_and_cli_overrides() {
    let text = "name: merge
target:
  host: ${host}
  port: ${env:PORT}
  timeout: 1.5s
  insecure: true
vars:
  host: mx.example
  addr: postmaster@${host}
  n: 42
  flag: yes
secrets: [token]
scenarios:
  - name: a
    target: {port: 587, ca_file: certs/../ca.pem}
    steps: [quit]
  - name: b
    steps: [quit]
";
    let mut options = LoadOptions::default();
    options.vars.insert("token".into(), "t0k-t0k".into());
    options.vars.insert("host".into(), "cli.example".into());
    let plan = load_with(text, &options).unwrap();
    assert_eq!(plan.vars["addr"], "postmaster@cli.example");
    assert_eq!(plan.vars["n"], "42");
    assert_eq!(plan.vars["flag"], "yes");
    assert_eq!(plan.secret_values, ["t0k-t0k"]);
    let a = &plan.scenarios[0].target;
    assert_eq!(a.host, "cli.example");
    assert_eq!(a.port, 587);
    assert_eq!(a.timeout, Duration::from_millis(1500));
    assert!(a.tls_options.is_insecure());
    assert_eq!(a.tls_options.ca_file, Some(in_base("certs/../ca.pem")));
    let b = &plan.scenarios[1].target;
    assert_eq!(b.port, 2525);
    assert_eq!(b.tls_options.ca_file, None);
    // Defaults, and the name from the file stem.
    let plan = load("scenarios: [{name: x, steps: [quit]}]");
    assert_eq!(plan.name, "test");
    let t = &plan.scenarios[0].target;
    assert_eq!((t.host.as_str(), t.port), ("localhost", 25));
    assert_eq!(t.timeout, Duration::from_secs(10));
}

#[test]
fn a_cli_var_spares_the_file_value() {
    let text = "vars:\n  pw: ${env:UNSET}\nsecrets: [pw]\nscenarios: [{name: x, steps: [quit]}]\n";
    let mut options = LoadOptions::default();
    options.vars.insert("pw".into(), "given-pw".into());
    assert_eq!(
        load_with(text, &options).unwrap().secret_values,
        ["given-pw"]
    );
    assert_eq!(
        problems(text),
        [
            "2:7 environment variable `UNSET` is not set | `pw` is a secret: set the environment variable, or pass it with `--secret pw=VALUE` or in a `--secrets-file` (a default written in the plan would not be secret)"
        ],
        "a secret's help points at --secret, not at a default"
    );
}

#[test]
fn captures_are_known_to_later_steps_only() {
    let text = with_steps(
        "      - expect:
          code: 250
          capture: {qid: 'id=(\\w+)'}
          contains: ${qid2}
      - send: 'X ${qid}'
      - send: 'Y ${qid} ${quid}'
",
    );
    assert_eq!(
        problems(&text),
        [
            "9:21 undefined variable `qid2` | define it under `vars:`, pass `--var qid2=VALUE`, or `capture` it in an earlier step",
            "11:25 undefined variable `quid` | did you mean `qid`?",
        ]
    );
}

#[test]
fn step_problems_point_at_the_key() {
    let text = with_steps(
        "      - ehol: smtp.contoso.com
      - ehlo: a
        mail_form: b
      - helo: a
        expect: {code: 250, capabilites: [X]}
      - expect: 220
        matches: x
      - sleep: 2s
        expect: 250
      - quit: now
      - ehlo
      - bogus
",
    );
    assert_eq!(
        problems(&text),
        [
            "6:9 unknown key `ehol` in a step | did you mean `ehlo`?",
            "8:9 unknown key `mail_form` in a step | did you mean `mail_from`?",
            "10:29 unknown key `capabilites` in `expect` | did you mean `capabilities`?",
            "12:9 unknown key `matches` in a step | `matches` belongs under `expect:`",
            "14:9 `sleep` reads no reply, so it cannot have `expect` | read a reply with a separate `- expect: ...` step",
            "15:15 step `quit` takes no value | write `- quit`",
            "16:9 step `ehlo` needs a value | write `- ehlo: client.example.com`",
            "17:9 unknown step `bogus` | steps are `send`, `ehlo`, `helo`, `lhlo`, `starttls`, `auth`, `mail_from`, `rcpt_to`, `data`, `rset`, `noop`, `quit`, `vrfy`, `sleep`, `expect_close`, `connect`, `etrn`, `expn`, `help`, `pipeline`, `mailbox`, `bdat`, `xclient`, `xforward`, `expect`, `use`",
        ]
    );
}

#[test]
fn two_actions_and_double_expect() {
    let text = with_steps(
        "      - ehlo: a
        mail_from: b
      - starttls: {expect: 220}
        expect: 220
      - {}
",
    );
    assert_eq!(
        problems(&text),
        [
            "7:9 two actions in one step: `ehlo` and `mail_from` | give each action its own list item (`- ...`)",
            "9:9 `expect` is given twice for `starttls` | keep either the one inside `starttls:` or this one",
            "10:9 a step needs an action | steps are `send`, `ehlo`, `helo`, `lhlo`, `starttls`, `auth`, `mail_from`, `rcpt_to`, `data`, `rset`, `noop`, `quit`, `vrfy`, `sleep`, `expect_close`, `connect`, `etrn`, `expn`, `help`, `pipeline`, `mailbox`, `bdat`, `xclient`, `xforward`, `expect`, `use`",
        ]
    );
}

#[test]
fn value_problems() {
    let text = with_steps(
        "      - expect: {code: 600, enhanced: 2.0}
      - expect: {matches: 'a(b'}
      - expect: {not_matches: 'x[', capture: {'bad name': 'x'}}
      - expect: {capabilities: [AUTH LOGIN PLAIN]}
      - expect: []
      - sleep: 10
      - sleep: 10 s
      - auth: {mechanism: DIGEST-MD5, username: u}
      - mail_from: <a@b>
      - mail_from:
",
    );
    assert_eq!(
        problems(&text),
        [
            "6:24 invalid reply code `600` | write a code like `250`, a class like `\"2xx\"` or `\"25x\"`, or a list of them",
            "6:39 invalid enhanced status code `2.0` | write class.subject.detail, like `2.1.5`, `5.7.139` or `5.x.x`",
            "7:29 invalid regex in `matches`: unclosed group",
            "8:33 invalid regex in `not_matches`: unclosed character class",
            "8:47 `bad name` is not a valid variable name | use letters, digits, `_`, `.` and `-`",
            "9:33 invalid capability `AUTH LOGIN PLAIN` | write an EHLO keyword, optionally with one parameter: `STARTTLS`, `AUTH LOGIN`",
            "10:17 an empty list of reply codes matches nothing | list at least one code, like `[250, 251]`",
            "11:16 `sleep` needs a unit: `10` is ambiguous | did you mean `10s`?",
            "12:16 invalid duration `10 s` for `sleep` | write a number and a unit: `500ms`, `10s`, `1.5s`, `2m`, `1h`, `1d`",
            "13:9 `auth` needs `password` (or `token` for XOAUTH2 and OAUTHBEARER)",
            "13:27 unsupported SASL mechanism `DIGEST-MD5` | supported mechanisms: OAUTHBEARER, XOAUTH2, SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, NTLM, PLAIN, LOGIN, GSSAPI, or `auto`",
            "14:20 write the address without `<` `>` | smtp-plan adds them: `mail_from a@b` is sent as `MAIL FROM:<a@b>`",
            "15:9 `mail_from` needs an address | write an address, or `\"\"` for the null sender `<>`",
        ]
    );
}

#[test]
fn plan_level_problems() {
    let text = "name: p
vars:
  user: bobby1
  addr: ${usr}@x
  early: ${late}
  late: 1
secrets: [usr, user]
target: {host: mx, tls: tls, timeout: 0s, port: 0, insecure: maybe, bogus: 1}
scenarios:
  - name: a
    steps: [quit]
  - name: a
    tags: bad
    steps: []
  - steps: [quit]
    nmae: x
";
    assert_eq!(
        problems(text),
        [
            "4:9 undefined variable `usr` | did you mean `user`?",
            "5:10 undefined variable `late` | `late` is defined further down in `vars:`; variables are resolved in order, so move it up",
            "7:11 secret `usr` is not a variable | did you mean `user`?",
            "8:25 invalid `tls` mode `tls` | use `none` (plain, or upgraded by a `starttls` step) or `implicit` (TLS from the start, usually port 465)",
            "8:39 `timeout` must be more than zero",
            "8:49 invalid port `0` | a port is a number from 1 to 65535",
            "8:62 `insecure` must be `true` or `false`, found `maybe`",
            "8:69 unknown key `bogus` in `target` | expected one of `host`, `port`, `tls`, `timeout`, `ca_file`, `insecure`, `server_name`, `client_cert`, `client_key`, `min_version`, `pin_sha256`, `proxy`, `bind`, `socket`",
            "12:11 duplicate scenario name `a` | first used on line 10; scenario names must be unique in a file",
            "13:11 `tags` must be a list, found a string",
            "14:12 a scenario needs at least one step",
            "15:5 a scenario needs a `name`",
            "16:5 unknown key `nmae` in a scenario | did you mean `name`?",
        ]
    );
}

#[test]
fn template_positions_in_quoted_and_block_scalars() {
    let text = with_steps(
        "      - send: \"MAIL FROM:<${who}>\"
      - data: |
          Subject: ${subj}

            indented ${env:NOPE}
      - data: |
          Subject: ${env:NOPE}
",
    );
    assert_eq!(
        problems(&text),
        [
            "6:27 undefined variable `who` | define it under `vars:`, pass `--var who=VALUE`, or `capture` it in an earlier step",
            "10:22 environment variable `NOPE` is not set (give a default with `${env:NOPE:-...}`)",
            "12:20 environment variable `NOPE` is not set (give a default with `${env:NOPE:-...}`)",
        ]
    );
}

#[test]
fn file_level_problems() {
    assert_eq!(
        problems(""),
        [
            "1:1 the plan file is empty | a plan lists its scenarios: `scenarios: [{name: .., steps: [..]}]`"
        ]
    );
    assert_eq!(
        problems("- a\n"),
        [
            "1:1 a plan must be a mapping with `scenarios:`, found a list | a plan lists its scenarios: `scenarios: [{name: .., steps: [..]}]`"
        ]
    );
    assert_eq!(
        problems("name: x\nscenario: []\n"),
        [
            "1:1 the plan has no `scenarios:` | a plan lists its scenarios: `scenarios: [{name: .., steps: [..]}]`",
            "2:1 unknown key `scenario` in the plan | did you mean `scenarios`?",
        ]
    );
    assert_eq!(
        problems("scenarios: []\n"),
        ["1:12 the plan has no scenarios | add at least one: `- name: .. steps: [..]`"]
    );
    let syntax = problems("scenarios:\n  - name: x\n   steps: [quit\n");
    assert_eq!(syntax.len(), 1);
    assert!(syntax[0].starts_with("3:"), "{syntax:?}");
    let dup = problems("name: a\nname: b\nscenarios: []\n");
    assert_eq!(dup.len(), 1);
    assert!(dup[0].starts_with("2:1 duplicate"), "{dup:?}");
}

#[test]
fn missing_paths_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let good = "scenarios: [{name: x, steps: [quit]}]\n";
    std::fs::create_dir_all(dir.path().join("b/nested")).unwrap();
    std::fs::write(dir.path().join("b/nested/two.yml"), good).unwrap();
    std::fs::write(dir.path().join("a.yaml"), good).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a plan").unwrap();
    let plans = load_plans(&[dir.path().to_path_buf()], &LoadOptions::default()).unwrap();
    let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "two"]);
    assert_eq!(plans[1].path, dir.path().join("b/nested/two.yml"));

    let missing = dir.path().join("missing.yaml");
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "scenarios: [").unwrap();
    let err = load_plans(
        &[missing.clone(), broken, dir.path().join("a.yaml")],
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.0.len(), 2);
    assert_eq!(
        err.0[0].message,
        format!("`{}` does not exist", missing.display())
    );
    assert_eq!(err.0[0].line, 0);
    assert_eq!(err.file_count(), 2);
    let empty = tempfile::tempdir().unwrap();
    assert!(load_plans(&[empty.path().to_path_buf()], &LoadOptions::default()).is_err());
}

#[test]
fn vars_may_be_added_only_by_the_command_line() {
    let text =
        with_steps("      - auth: {mechanism: login, username: '${login}', password: '${pw}'}\n");
    let options = LoadOptions {
        vars: BTreeMap::from([
            ("login".into(), "l".into()),
            ("pw".into(), "p4ssw0rd".into()),
        ])
        .into(),
        ..LoadOptions::default()
    };
    assert!(load_with(&text, &options).is_ok());
    assert_eq!(problems(&text).len(), 2);
}

#[test]
fn odd_inputs_give_problems_not_panics() {
    for text in [
        "scenarios: [{name: x, steps: [~, 1, [a], {expect: ~}, {expect: {code: ~}}]}]",
        "scenarios: [{name: x, steps: [{send: &a 'X'}, {send: *a}]}]",
        "scenarios: [{name: x, target: {port: 99999999999999999999999}, steps: [quit]}]",
        "scenarios: [{name: [x], steps: [{expect: {capture: []}}]}]",
        "base: &b {name: x}\nscenarios: [{<<: *b, steps: [quit]}]",
        "1: x\nscenarios: []",
        "scenarios:\n\t- name: x",
        "scenarios: [{name: x, steps: [{data: \"\\u00e9 ${x\"}]}]",
        "---\na: 1\n---\nb: 2\n",
        "secrets: x\nvars: [a]\ntarget: 5\nscenarios: {}",
    ] {
        let _ = load_with(text, &LoadOptions::default());
    }
}

#[test]
fn tls_keys_reach_the_model() {
    let plan = load(
        r#"target: {host: h, tls: implicit, client_cert: c.pem, client_key: k.pem, min_version: 1.3}
scenarios:
  - name: s
    steps:
      - expect: {code: 220, tls: {version: "1.2", cipher: GCM, cert: {names_include: h, valid_for_at_least: 2d}}}
      - starttls: {required: false, min_version: TLSv1.2, client_cert: x.pem, client_key: y.pem}
"#,
    );
    let sc = &plan.scenarios[0];
    let t = &sc.target.tls_options;
    assert_eq!(t.client_cert, Some(in_base("c.pem")));
    assert_eq!(t.client_key, Some(in_base("k.pem")));
    assert_eq!(t.min_version, Some(TlsVersion::V1_3));
    let tls = sc.steps[0].expect.tls.as_ref().unwrap();
    assert_eq!(tls.versions, vec![TlsVersion::V1_2]);
    assert_eq!(tls.cipher.as_ref().unwrap().as_str(), "GCM");
    assert_eq!(tls.names_include.len(), 1);
    assert_eq!(tls.valid_for_at_least, Some(Validity { seconds: 172_800 }));
    assert_eq!((tls.span.line, tls.span.col), (5, 29));
    let Action::StartTls(over) = &sc.steps[1].action else {
        panic!("starttls")
    };
    assert!(!over.is_required());
    assert_eq!(over.options.min_version, Some(TlsVersion::V1_2));
    assert_eq!(over.options.client_cert, Some(in_base("x.pem")));
    assert!(sc.steps[1].expect.tls.is_none());
}

#[test]
fn an_empty_secret_from_the_command_line_is_a_problem_without_position() {
    let mut options = LoadOptions::default();
    options.vars.insert("pw".into(), String::new());
    options.secrets.insert("pw".into());
    let d = load_with("scenarios: [{name: s, steps: [quit]}]", &options).unwrap_err();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].line, d[0].message.as_str()),
        (0, "secret `pw` is empty")
    );
    assert!(d[0].help.as_ref().unwrap().contains("--secret pw=VALUE"));
    // A value makes it load.
    options.vars.insert("pw".into(), "s3cret!".into());
    assert!(load_with("scenarios: [{name: s, steps: [quit]}]", &options).is_ok());
}
