//! A scenario's own `secrets:`: its variables, the plan's and its captures held secret with
//! every rule of the plan's `secrets:` — masked in every output of the plan from the first
//! step (also in another scenario that shows the value), refused on a connection without TLS,
//! and an unknown name, an empty or short value or a wrong shape a load error at its line and
//! column that does not print the value.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "secret_paths/outputs.rs"]
mod outputs;

use std::io::Write as _;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use common::*;
use outputs::{every_output, outputs};

const TOKEN: &str = "Sc3nario-Token-77";
const SHARED: &str = "Plan-Level-Shared-9";
const TICKET: &str = "Capt-Ticket-4242";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An SMTP server that echoes every command it does not know (`500 5.5.2 unknown command
/// "LINE"`, as some do), hands out a ticket to `XGET`, and records every line it is sent.
fn echo_server(seen: Arc<Mutex<Vec<String>>>) -> Threaded {
    Threaded::start(move |mut s: TcpStream| {
        write(&mut s, "220 echo ESMTP\r\n");
        loop {
            let line = read_line(&mut s);
            if line.is_empty() {
                return;
            }
            seen.lock().unwrap().push(line.clone());
            let reply = match line.as_str() {
                "QUIT" => "221 bye".to_owned(),
                "XGET" => format!("250 ticket={TICKET}"),
                l if l.starts_with("EHLO") => "250 echo".to_owned(),
                // A server that upper-cases what it echoes.
                l if l.starts_with("XUPPER") => {
                    format!("500 5.5.2 UNKNOWN COMMAND \"{}\"", l.to_ascii_uppercase())
                }
                l => format!("500 5.5.2 unknown command \"{l}\""),
            };
            let _ = s.write_all(format!("{reply}\r\n").as_bytes());
            if line == "QUIT" {
                return;
            }
        }
    })
}

/// The plan: `secrets` (the scenario's `secrets:` line, or an empty string to leave it out).
fn plan_text(port: u16, secrets: &str) -> String {
    format!(
        "target: {{host: 127.0.0.1, port: {port}, timeout: 5s}}
vars:
  shared: '{SHARED}'
scenarios:
  - name: own secret
    vars:
      token: '{TOKEN}'
      blob: '${{base64(token)}}'
{secrets}    steps:
      - expect: 220
      - send: 'XTOKEN ${{token}}'
        allow_plaintext: true
        expect: 500
      - send: 'XBLOB ${{blob}}'
        allow_plaintext: true
        expect: 500
      - send: 'XUPPER ${{token}}'
        allow_plaintext: true
        expect: 500
      - send: XGET
        expect: {{code: 250, capture: {{ticket: 'ticket=(\\S+)'}}}}
      - send: 'XUSE ${{ticket}}'
        allow_plaintext: true
        expect: 500
      - send: 'XSHARED ${{shared}}'
        allow_plaintext: true
        expect: {{code: 500, contains: 'never there'}}
  - name: another scenario
    tags: ['{TOKEN}']
    steps:
      - expect: 220
      - send: 'XSHARED ${{shared}}'
        expect: 500
      - quit
"
    )
}

/// Run the plan with every output on; what the outputs hold, what the server was sent.
fn run_plan(secrets: &str) -> (Run, String, Vec<String>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = echo_server(Arc::clone(&seen));
    let dir = tempfile::tempdir().unwrap();
    let path = plan(
        dir.path(),
        "scenario-secrets.yaml",
        &plan_text(server.addr.port(), secrets),
    );
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut args = vec!["run".to_owned(), path.to_str().unwrap().to_owned()];
    args.extend(every_output(&out));
    args.extend([
        "--html".to_owned(),
        out.join("h").to_str().unwrap().to_owned(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_bounded(smtp_plan(&args).env("GITHUB_ACTIONS", "true"), HANG);
    let mut all = outputs(&r, &out);
    for cmd in ["list", "check", "doc"] {
        let o = run(smtp_plan(&[cmd, path.to_str().unwrap()]));
        o.assert_code(0);
        all.push_str(&format!("{}\n{}\n", o.stdout, o.stderr));
    }
    server.stop();
    let seen = seen.lock().unwrap().clone();
    (r, all, seen)
}

#[test]
fn a_scenario_secret_is_masked_in_every_output_and_never_sent_in_clear() {
    let (r, all, seen) = run_plan("    secrets: [token, shared, ticket]\n");
    r.assert_code(1);
    // Not vacuous: each value went to the server where the plan allowed it, and was echoed.
    for want in [
        "C: XTOKEN ***",
        "S: 500 5.5.2 unknown command \"XTOKEN ***\"",
        "C: XBLOB ***",
        "S: 500 5.5.2 UNKNOWN COMMAND \"XUPPER ***\"",
        "captured ticket = ***",
        "S: 250 ticket=***",
        "C: XUSE ***",
        "reply text does not contain \"never there\"",
        // The plan's variable is secret in the other scenario too: not sent there in clear.
        // `doc` names them (never their values).
        "Secrets: `shared`, `ticket`, `token` (never shown).",
        "refusing to send a line that holds a secret over a connection without TLS",
    ] {
        assert!(all.contains(want), "{want:?} missing:\n{all}");
    }
    assert!(seen.contains(&format!("XTOKEN {TOKEN}")), "{seen:?}");
    assert!(seen.contains(&format!("XUSE {TICKET}")), "{seen:?}");
    let shared: Vec<_> = seen.iter().filter(|l| l.contains(SHARED)).collect();
    assert_eq!(shared.len(), 1, "sent only where allowed: {seen:?}");
    for value in [TOKEN, SHARED, TICKET] {
        for form in [
            value.to_owned(),
            value.to_ascii_uppercase(),
            b64(value.as_bytes()),
        ] {
            assert!(!all.contains(&form), "{form:?} leaked:\n{all}");
        }
    }
}

/// The same plan without the scenario's `secrets:` shows every value: the test above would
/// catch a `secrets:` that masked nothing.
#[test]
fn without_the_scenario_secrets_the_values_show() {
    let (r, all, _) = run_plan("");
    r.assert_code(1);
    for value in [TOKEN, SHARED, TICKET] {
        assert!(all.contains(value), "{value:?} not shown:\n{all}");
    }
    assert!(all.contains(&format!("C: XBLOB {}", b64(TOKEN.as_bytes()))));
    assert!(all.contains(&TOKEN.to_ascii_uppercase()), "{all}");
}

/// What `check` prints for the plan `text` (exit 2 expected), and its path.
fn check_fails(text: &str, env: &[(&str, &str)]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = plan(dir.path(), "bad.yaml", text);
    let p = path.to_str().unwrap().to_owned();
    let mut cmd = smtp_plan(&["check", &p]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let r = run(cmd);
    r.assert_code(2);
    (format!("{}{}", r.stdout, r.stderr), p)
}

#[test]
fn a_scenario_secret_that_cannot_work_is_a_load_error_at_its_place() {
    let head = "target: {host: 127.0.0.1, port: 9}\nvars:\n  user: u@example.test\nscenarios:\n  - name: s\n";
    let steps = "    steps:\n      - send: 'X ${token}'\n";
    // An unknown name (a typo), with the right one suggested.
    let text = format!("{head}    vars: {{token: '{TOKEN}'}}\n    secrets: [tokn]\n{steps}");
    let (all, p) = check_fails(&text, &[]);
    assert!(
        all.contains(&format!("{p}:7:15")) && all.contains("secret `tokn` is not a variable"),
        "{all}"
    );
    assert!(all.contains("did you mean `token`?"), "{all}");
    assert!(!all.contains(TOKEN), "{all}");
    // An empty value, as CI passes a secret it does not have.
    let text = format!(
        "{head}    vars:\n      token: '${{env:SMTP_PLAN_TEST_EMPTY}}'\n    secrets: [token]\n{steps}"
    );
    let (all, p) = check_fails(&text, &[("SMTP_PLAN_TEST_EMPTY", "")]);
    assert!(
        all.contains(&format!("{p}:7:14")) && all.contains("secret `token` is empty"),
        "{all}"
    );
    assert!(all.contains("--secret token"), "{all}");
    // Too short a value, also one of the plan's named only by the scenario.
    let text =
        format!("{head}    vars:\n      token: 'Ab1!x'\n    secrets: [token, user2]\n{steps}")
            .replace(
                "  user: u@example.test\n",
                "  user: u@example.test\n  user2: 'Zq9#k'\n",
            );
    let (all, p) = check_fails(&text, &[]);
    for (at, name) in [("8:14", "token"), ("9:22", "user2")] {
        assert!(
            all.contains(&format!("{p}:{at}"))
                && all.contains(&format!(
                    "the value of secret `{name}` is 5 character(s) long; a secret needs at least 6"
                )),
            "{name}:\n{all}"
        );
    }
    for v in ["Ab1!x", "Zq9#k"] {
        assert!(!all.contains(v), "{v:?} printed:\n{all}");
    }
    // `secrets:` not a list: which values are secret is not known, and a problem on the line
    // of a variable does not quote it.
    let text = format!(
        "{head}    vars: {{token: '{TOKEN}', other: '${{nope}}'}}\n    secrets: token\n{steps}"
    );
    let (all, p) = check_fails(&text, &[]);
    assert!(
        all.contains(&format!("{p}:7:14")) && all.contains("`secrets` must be a list"),
        "{all}"
    );
    assert!(all.contains("undefined variable `nope`"), "{all}");
    assert!(!all.contains(TOKEN), "{all}");
    // A secret's value that is a list.
    let text = format!(
        "{head}    vars: {{token: ['{TOKEN}', x], other: '${{nope}}'}}\n    secrets: [token]\n{steps}"
    );
    let (all, _) = check_fails(&text, &[]);
    assert!(all.contains("variable `token` must be a string"), "{all}");
    assert!(!all.contains(TOKEN), "{all}");
}
