//! Safety promises under attack: secrets that reach no output by any route (derived in a
//! scenario's `vars`, written literally on a step's line, quoted by a load diagnostic), no
//! credentials over plaintext from `probe`, and no panic from extreme command-line values.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;

use common::*;

const PW: &str = "Sup3r-S3cret!pw";
const USER: &str = "user1@contoso.com";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every output of a run: stdout, stderr, and the JUnit, JSON and transcript files.
fn outputs(r: &Run, dir: &Path) -> String {
    let mut all = format!("{}\n{}\n", r.stdout, r.stderr);
    for name in ["report.xml", "report.json"] {
        all.push_str(&std::fs::read_to_string(dir.join(name)).unwrap_or_default());
    }
    let mut stack = vec![dir.join("transcripts")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                all.push_str(&std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    all
}

/// Run `plan` with -v and every report, annotations on.
fn run_all(plan: &Path, dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "run",
        "-v",
        plan.to_str().unwrap(),
        "--junit",
        dir.join("report.xml").to_str().unwrap().to_owned().leak(),
        "--json",
        dir.join("report.json").to_str().unwrap().to_owned().leak(),
        "--transcript-dir",
        dir.join("transcripts").to_str().unwrap().to_owned().leak(),
    ];
    args.extend_from_slice(extra);
    run(smtp_plan(&args).env("GITHUB_ACTIONS", "true"))
}

#[test]
fn a_scenario_variable_made_from_a_secret_is_secret() {
    let server = Serve::start(&["--user", &format!("{USER}:{PW}")]);
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, timeout: 5s}}
vars:
  user: {USER}
  password: '{PW}'
secrets: [password]
scenarios:
  - name: derived in the scenario
    vars:
      blob: '${{base64_plain(user, password)}}'
    steps:
      - expect: 220
      - ehlo: me
      - send: 'AUTH PLAIN ${{blob}}'
        allow_plaintext: true
        expect: 599
",
        server.smtp.port()
    );
    let path = plan(dir.path(), "derived.yaml", &text);
    let r = run_all(&path, dir.path(), &[]);
    r.assert_code(1);
    let all = outputs(&r, dir.path());
    assert!(all.contains("C: AUTH PLAIN ***"), "{all}");
    let blob = b64(format!("\0{USER}\0{PW}").as_bytes());
    assert!(!all.contains(&blob), "the AUTH PLAIN blob leaked:\n{all}");
}

#[test]
fn extreme_durations_on_the_command_line_do_not_panic() {
    use std::io::Read as _;

    let r = run(smtp_plan(&[
        "probe",
        "127.0.0.1:9",
        "--timeout",
        "18446744073709551615",
    ]));
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r.assert_code(2);

    let mut child = std::process::Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-listen",
            "127.0.0.1:0",
            "--reply-delay",
            "999999999999999999m",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("serve accepted a reply delay of 999999999999999999m");
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(2), "{stderr}");
}
