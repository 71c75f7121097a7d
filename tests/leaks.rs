//! The leak suite, generated: tricky secret values × every way of giving one × a server that
//! echoes each back in every form × every output. No form of any value may appear anywhere.
//!
//! One plan per way of giving the secrets holds one scenario per value (the scenario tells the
//! echo server which value it is about through its EHLO name), so each way costs one `run`
//! (console `-v`, JUnit with steps, JSON, annotations, transcript files and their names, the
//! HTML report, the metrics file), one
//! `list`, one `check`, one `doc`, and `run`/`check`/`doc` of a broken copy (load errors).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "leaks/debug.rs"]
mod debug;
#[path = "leaks/forms.rs"]
mod leak_forms;

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;

use memchr::memmem::Finder;

use common::*;
use leak_forms::{echo_lines, forbidden_forms, values};

const USER: &str = "leak@example.test";

/// The values, and every form of each that no output may hold, computed once for all tests.
fn suite() -> &'static (Vec<String>, Vec<Vec<Finder<'static>>>) {
    static SUITE: OnceLock<(Vec<String>, Vec<Vec<Finder<'static>>>)> = OnceLock::new();
    SUITE.get_or_init(|| {
        let values = values();
        let forms = forms_of(&values);
        (values, forms)
    })
}

/// The echo server all tests share.
fn echo_port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| start_echo(suite().0.clone()))
}

/// The echo server: any number of connections; the EHLO name `client-N` picks value N.
fn start_echo(values: Vec<String>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let values = values.clone();
            std::thread::spawn(move || serve_one(stream, &values));
        }
    });
    port
}

fn serve_one(mut s: TcpStream, values: &[String]) {
    use std::io::BufRead as _;
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut reader = std::io::BufReader::new(s.try_clone().unwrap());
    write(&mut s, "220 echo ESMTP\r\n");
    let mut secret = String::new();
    let mut raw = String::new();
    let reply = |code: u16, secret: &str| {
        let mut out = String::new();
        for l in echo_lines(secret) {
            out.push_str(&format!("{code}-{l}\r\n"));
        }
        out.push_str(&format!("{code} end\r\n"));
        out
    };
    loop {
        raw.clear();
        if reader.read_line(&mut raw).unwrap_or(0) == 0 {
            return;
        }
        let line = raw.trim_end_matches(['\r', '\n']).to_owned();
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            let index: usize = line
                .rsplit('-')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            secret = values.get(index).cloned().unwrap_or_default();
            write(&mut s, "250-echo\r\n250 AUTH PLAIN LOGIN\r\n");
        } else if upper == "GETPW" {
            write(&mut s, &format!("250 token={secret}\r\n"));
        } else if upper == "DATA" {
            write(&mut s, "354 go\r\n");
            loop {
                raw.clear();
                if reader.read_line(&mut raw).unwrap_or(0) == 0 {
                    return;
                }
                if raw == ".\r\n" {
                    break;
                }
            }
            write(&mut s, &reply(250, &secret));
        } else if upper.starts_with("AUTH") {
            write(&mut s, &reply(535, &secret));
        } else if upper == "QUIT" {
            write(&mut s, "221 bye\r\n");
            return;
        } else {
            write(&mut s, &reply(250, &secret));
        }
    }
}

/// A YAML double-quoted scalar (JSON string syntax, which YAML reads the same way).
fn yaml_str(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// How the values reach smtp-plan.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Way {
    /// `${env:..}` in the plan, not listed in `secrets:` (secret because `auth` uses it).
    EnvUnlisted,
    SecretArgv,
    SecretEnv,
    SecretStdin,
    SecretFile,
    SecretsFile,
    SecretsFileStdin,
    VarsFile,
    Include,
    Literal,
    Captured,
}

/// What a run needs besides the plan: the `vars:` block, arguments, environment, stdin.
struct Given {
    vars: String,
    secrets_list: bool,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    include: Option<String>,
}

fn given(way: Way, values: &[String], dir: &Path) -> Given {
    let mut g = Given {
        vars: String::new(),
        secrets_list: false,
        args: Vec::new(),
        env: Vec::new(),
        stdin: None,
        include: None,
    };
    let file = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let mut lines = String::new();
    let mut yaml = String::new();
    for (i, v) in values.iter().enumerate() {
        let name = format!("pw{i}");
        let multi_line = v.contains(['\n', '\r']);
        // A single argument or environment string holds at most 128 KiB (Linux): a bigger
        // value comes from a file then.
        let too_big = v.len() > 100_000
            && matches!(
                way,
                Way::EnvUnlisted | Way::SecretArgv | Way::SecretEnv | Way::SecretStdin
            );
        if too_big {
            let path = file(&format!("{name}.txt"), v);
            g.args
                .extend(["--secret-file".into(), format!("{name}={path}")]);
            continue;
        }
        match way {
            Way::EnvUnlisted => {
                g.vars
                    .push_str(&format!("  {name}: '${{env:LEAK_{name}}}'\n"));
                g.env.push((format!("LEAK_{name}"), v.clone()));
            }
            Way::SecretArgv => g.args.extend(["--secret".into(), format!("{name}={v}")]),
            Way::SecretEnv => {
                g.args.extend(["--secret".into(), name.clone()]);
                g.env.push((name, v.clone()));
            }
            Way::SecretStdin if i == 0 => {
                g.args.extend(["--secret".into(), format!("{name}=-")]);
                g.stdin = Some(format!("{v}\n"));
            }
            Way::SecretFile => {
                let path = file(&format!("{name}.txt"), v);
                g.args
                    .extend(["--secret-file".into(), format!("{name}={path}")]);
            }
            Way::SecretsFile | Way::SecretsFileStdin if !multi_line => {
                lines.push_str(&format!("{name}={v}\n"));
            }
            Way::SecretStdin | Way::SecretsFile | Way::SecretsFileStdin => {
                g.args.extend(["--secret".into(), name.clone()]);
                g.env.push((name, v.clone()));
            }
            Way::VarsFile => yaml.push_str(&format!("  {name}: {}\n", yaml_str(v))),
            Way::Include | Way::Literal => {
                // In a plan a value is a template: `${` is written `$${`.
                let written = yaml_str(&v.replace("${", "$${"));
                yaml.push_str(&format!("  {name}: {written}\n"));
            }
            Way::Captured => {}
        }
    }
    match way {
        Way::SecretsFile => {
            let path = file("secrets.env", &lines);
            g.args.extend(["--secrets-file".into(), path]);
        }
        Way::SecretsFileStdin => {
            g.args.extend(["--secrets-file".into(), "-".into()]);
            g.stdin = Some(lines);
        }
        Way::VarsFile => {
            let path = file("vars.yaml", yaml.replace("\n  ", "\n").trim_start());
            g.args.extend(["--vars-file".into(), path]);
            g.secrets_list = true;
        }
        Way::Include => {
            let names: Vec<String> = (0..values.len()).map(|i| format!("pw{i}")).collect();
            file(
                "inc.yaml",
                &format!("vars:\n{yaml}secrets: [{}]\n", names.join(", ")),
            );
            g.include = Some("inc.yaml".into());
        }
        Way::Literal => {
            g.vars.push_str(&yaml);
            g.secrets_list = true;
        }
        _ => {}
    }
    g
}

/// One scenario per value: commands before and after `auth` carry it, the server echoes it,
/// a capture takes an echo, the message carries it, and the last step fails quoting it.
fn plan_text(way: Way, values: &[String], port: u16, g: &Given, broken: bool) -> String {
    let mut s =
        format!("name: leaks-{way:?}\ntarget: {{host: 127.0.0.1, port: {port}, timeout: 10s}}\n");
    if let Some(inc) = &g.include {
        s.push_str(&format!("include: [{inc}]\n"));
    }
    s.push_str(&format!("vars:\n  user: {USER}\n{}", g.vars));
    if broken {
        s.push_str("  broken: [not, a, string]\n");
    }
    if g.secrets_list {
        let names: Vec<String> = (0..values.len()).map(|i| format!("pw{i}")).collect();
        s.push_str(&format!("secrets: [{}]\n", names.join(", ")));
    }
    s.push_str("scenarios:\n");
    for (i, v) in values.iter().enumerate() {
        let pw = format!("${{pw{i}}}");
        let multi_line = v.contains(['\n', '\r']);
        let echoed = v.len() <= leak_forms::MAX_ECHO;
        if way == Way::Captured && (multi_line || !echoed) {
            continue;
        }
        // A name and a tag holding the value (only a plan can write one literally).
        let named = way == Way::Literal && !multi_line && v.len() < 300;
        let name = if named {
            format!("value {i} {v}")
        } else {
            format!("value {i}")
        };
        s.push_str(&format!("  - name: {}\n", yaml_str(&name)));
        if named {
            s.push_str(&format!("    tags: [{}]\n", yaml_str(v)));
        }
        s.push_str(&format!(
            "    steps:\n      - expect: 220\n      - ehlo: client-{i}\n"
        ));
        if way == Way::Captured {
            s.push_str(&format!(
                "      - send: GETPW\n        expect: {{code: 250, capture: {{pw{i}: 'token=(.*)'}}}}\n"
            ));
        }
        // Command lines (a server takes a few KiB at most): the 200 KB value goes in the
        // message and the AUTH exchange only.
        if !multi_line && echoed {
            s.push_str(&format!(
                "      - vrfy: 'x{pw}'\n        allow_plaintext: true\n"
            ));
            s.push_str(&format!(
                "      - send: 'NOOP ${{base64(pw{i})}}'\n        allow_plaintext: true\n"
            ));
        }
        if echoed {
            s.push_str("      - noop:\n        expect: {code: 250, capture: {echo: 'hex (.*)'}}\n");
        }
        s.push_str(&format!(
            "      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n      - data: \"Subject: t\\n\\nbody {pw} end\\n\"\n        allow_plaintext: true\n"
        ));
        s.push_str(&format!(
            "      - auth: {{mechanism: PLAIN, username: '${{user}}', password: '{pw}'}}\n        allow_plaintext: true\n        expect: 535\n"
        ));
        if broken {
            s.push_str(&format!("      - send: 'X {pw} ${{nope}}'\n"));
        }
        s.push_str(&format!(
            "      - noop:\n        expect: {{code: 250, contains: 'absent {pw}'}}\n"
        ));
        if way != Way::Captured {
            // Another scenario using the value without any `auth`: secret there too.
            s.push_str(&format!(
                "  - name: other {i}\n    steps:\n      - expect: 220\n      - ehlo: client-{i}\n      - data: \"x {pw}\"\n        allow_plaintext: true\n        expect: 599\n"
            ));
        }
    }
    s
}

fn smtp_plan_given(args: &[&str], g: &Given) -> Run {
    let mut cmd = smtp_plan(args);
    // `doc` renders plans as written: it takes no variables.
    if args.first() != Some(&"doc") {
        cmd.args(&g.args);
    }
    cmd.env("GITHUB_ACTIONS", "true");
    for (k, v) in &g.env {
        cmd.env(k, v);
    }
    let Some(input) = &g.stdin else {
        return run(cmd.stdin(Stdio::null()));
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that does not read its input (a load error first) closes the pipe early.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    Run::of(child.wait_with_output().unwrap())
}

/// Every file under `dir`: its path (relative, as its name is also an output) and text.
fn files_under(dir: &Path) -> String {
    let mut all = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            all.push_str(&format!("{}\n", path.strip_prefix(dir).unwrap().display()));
            if path.is_dir() {
                stack.push(path);
            } else {
                all.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    all
}

/// Every form of each value that no output may hold, ready to search.
fn forms_of(values: &[String]) -> Vec<Vec<Finder<'static>>> {
    values
        .iter()
        .map(|v| {
            forbidden_forms(v)
                .iter()
                .map(|f| Finder::new(f.as_bytes()).into_owned())
                .collect()
        })
        .collect()
}

fn assert_clean(what: &str, text: &str, values: &[String]) {
    let (suite_values, suite_forms) = suite();
    if values == suite_values.as_slice() {
        assert_clean_of(what, text, suite_forms);
    } else {
        assert_clean_of(what, text, &forms_of(values));
    }
}

fn assert_clean_of(what: &str, text: &str, forms: &[Vec<Finder<'static>>]) {
    for (i, finders) in forms.iter().enumerate() {
        for finder in finders {
            if let Some(at) = finder.find(text.as_bytes()) {
                let form = String::from_utf8_lossy(finder.needle());
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(200)
                    .map_or(0, |(i, _)| i);
                let shown: String = text[from..].chars().take(600).collect();
                let short: String = form.chars().take(60).collect();
                panic!("{what}: value {i} leaked as {short:?} here:\n{shown}");
            }
        }
    }
}

fn check_way(way: Way) {
    let values = suite().0.clone();
    let port = echo_port();
    let dir = tempfile::tempdir().unwrap();
    let g = given(way, &values, dir.path());
    let good = plan(
        dir.path(),
        "plan.yaml",
        &plan_text(way, &values, port, &g, false),
    );
    let p = good.to_str().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let o = |name: &str| out.join(name).to_str().unwrap().to_owned();
    let r = smtp_plan_given(
        &[
            "run",
            p,
            "-v",
            "--junit",
            &o("report.xml"),
            "--junit-steps",
            "--json",
            &o("report.json"),
            "--transcript-dir",
            &o("transcripts"),
            "--html",
            &o("report.html"),
            "--metrics",
            &o("metrics.prom"),
        ],
        &g,
    );
    let what = format!("{way:?} run");
    r.assert_code(1);
    // Not vacuous: the server echoed, the failures quote, and masking happened.
    assert!(
        r.stdout.contains("S: 250-hex ***"),
        "{what}: no echo\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("reply text does not contain"),
        "{what}:\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("::error"),
        "{what}: no annotations\n{}",
        r.stdout
    );
    let mut all = format!("{}\n{}\n", r.stdout, r.stderr);
    all.push_str(&files_under(&out));
    assert!(all.contains("\"captures\""), "{what}: no JSON captures");
    assert_clean(&what, &all, &values);
    for cmd in ["list", "check"] {
        let r = smtp_plan_given(&[cmd, p], &g);
        r.assert_code(0);
        assert_clean(
            &format!("{way:?} {cmd}"),
            &format!("{}{}", r.stdout, r.stderr),
            &values,
        );
    }
    let r = smtp_plan_given(&["doc", p], &g);
    assert_clean(
        &format!("{way:?} doc"),
        &format!("{}{}", r.stdout, r.stderr),
        &values,
    );
    // Load errors: a broken copy, whose problems sit on lines that use the values.
    let broken = plan(
        dir.path(),
        "broken.yaml",
        &plan_text(way, &values, port, &g, true),
    );
    let b = broken.to_str().unwrap();
    for cmd in ["check", "run", "doc"] {
        let r = smtp_plan_given(&[cmd, b], &g);
        r.assert_code(2);
        let text = format!("{}{}", r.stdout, r.stderr);
        assert!(
            text.contains("undefined variable `nope`"),
            "{way:?} {cmd}:\n{text}"
        );
        assert_clean(&format!("{way:?} {cmd} (load errors)"), &text, &values);
    }
}

#[test]
fn no_leak_env_unlisted() {
    check_way(Way::EnvUnlisted);
}

#[test]
fn no_leak_secret_argv() {
    check_way(Way::SecretArgv);
}

#[test]
fn no_leak_secret_env() {
    check_way(Way::SecretEnv);
}

#[test]
fn no_leak_secret_stdin() {
    check_way(Way::SecretStdin);
}

#[test]
fn no_leak_secret_file() {
    check_way(Way::SecretFile);
}

#[test]
fn no_leak_secrets_file() {
    check_way(Way::SecretsFile);
}

#[test]
fn no_leak_secrets_file_stdin() {
    check_way(Way::SecretsFileStdin);
}

#[test]
fn no_leak_vars_file() {
    check_way(Way::VarsFile);
}

#[test]
fn no_leak_include() {
    check_way(Way::Include);
}

#[test]
fn no_leak_literal_with_names_and_tags() {
    check_way(Way::Literal);
}

#[test]
fn no_leak_captured() {
    check_way(Way::Captured);
}
