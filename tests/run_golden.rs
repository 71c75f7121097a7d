//! Golden run cases: every `tests/cases/run/<name>.yaml` is played by the real binary against a
//! scripted server that follows `<name>.server`; the console output must equal `<name>.out`,
//! the exit code `<name>.exit` and the JUnit report `<name>.junit.xml`, after volatile parts
//! (durations, ports, temporary paths, days left, certificate fingerprints) are normalised. The server must see exactly
//! the conversation its script describes. The format is in tests/cases/run/README.md.
//!
//! `UPDATE_GOLDEN=1 cargo test --test run_golden` rewrites the expected files;
//! `CASE=name` runs the cases whose name contains `name`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
mod script;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{diff, smtp_plan};
use script::certs::{CertKind, Certs};
use script::{Script, Server};

const CASES: &str = "tests/cases/run";
/// No case may run longer than this: a hang is a failure, not a stuck test.
const CASE_LIMIT: Duration = Duration::from_secs(60);
/// Cases played at the same time.
const WORKERS: usize = 4;

/// What one case produced, normalised.
struct Actual {
    out: String,
    exit: String,
    junit: String,
}

fn normalise(text: &str, certs: &Certs, tmp: &Path) -> String {
    let rules: &[(&str, &str)] = &[
        (r"\((\d+\.\d+)s\)", "(TIME)"),
        (r#"time="[0-9.]+""#, r#"time="TIME""#),
        (r#"timestamp="[^"]*""#, r#"timestamp="TIMESTAMP""#),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (r"\d+ days left", "N days left"),
        (r"\d+ days ago", "N days ago"),
        (r"took \d+(\.\d+)?(ms|s)", "took TIME"),
        (
            r#"(<property name="latency_ms: [^"]*" value=")[0-9.]+""#,
            r#"${1}MS""#,
        ),
        (r"came after \d+(ms|s)", "came after TIME"),
    ];
    let mut text = text
        .replace(&tmp.display().to_string(), "TMP")
        .replace(&certs.dir().display().to_string(), "CERTS");
    for kind in CertKind::ALL {
        text = text.replace(
            &certs.sha256_shown(kind),
            &format!("SHA256({})", kind.word()),
        );
    }
    for (re, with) in rules {
        text = regex::Regex::new(re)
            .unwrap()
            .replace_all(&text, *with)
            .into_owned();
    }
    text
}

fn play(name: &str, certs: &Arc<Certs>) -> Result<Actual, String> {
    let plan = format!("{CASES}/{name}.yaml");
    let script_path = format!("{CASES}/{name}.server");
    let text = std::fs::read_to_string(common::repo().join(&script_path))
        .map_err(|e| format!("{script_path}: {e}"))?;
    let script = Script::parse(&text).map_err(|e| format!("{script_path}: {e}"))?;
    let server = Server::start(&script, certs);
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join(format!("{name}.junit.xml"));
    let target = format!("127.0.0.1:{}", server.addr.port());
    let mut cmd: Command = smtp_plan(&["run", &plan, "--target", &target, "-v"]);
    cmd.arg("--ca-file")
        .arg(&certs.ca_file)
        .arg("--junit")
        .arg(&junit)
        .args(&script.args)
        .env("CASE_CERTS", certs.dir());
    for kind in CertKind::ALL {
        let var = format!(
            "CASE_SHA256_{}",
            kind.word().replace('-', "_").to_uppercase()
        );
        cmd.env(var, certs.sha256(kind));
    }
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(CASE_LIMIT) {
        Ok(out) => out.map_err(|e| e.to_string())?,
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            let _ = server.finish();
            return Err(format!(
                "{name}: smtp-plan did not end within {CASE_LIMIT:?}"
            ));
        }
    };
    let served = server.finish();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("panicked") {
        return Err(format!("{name}: smtp-plan panicked:\n{stderr}"));
    }
    served.map_err(|e| {
        format!(
            "{name}: the client did not follow {script_path}: {e}\n--- stdout\n{stdout}--- stderr\n{stderr}"
        )
    })?;
    let mut out = stdout.into_owned();
    if !stderr.is_empty() {
        out.push_str("--- stderr\n");
        out.push_str(&stderr);
    }
    let junit_text = if junit.exists() {
        common::check_junit(&junit).map_err(|e| format!("{name}: {e}"))?;
        std::fs::read_to_string(&junit).unwrap()
    } else {
        String::new()
    };
    Ok(Actual {
        out: normalise(&out, certs, tmp.path()),
        exit: format!("{}\n", output.status.code().unwrap_or(-1)),
        junit: normalise(&junit_text, certs, tmp.path()),
    })
}

fn compare(name: &str, actual: &Actual, update: bool) -> Vec<String> {
    let base = common::repo().join(CASES).join(name);
    let files = [
        (base.with_extension("out"), &actual.out),
        (base.with_extension("exit"), &actual.exit),
        (base.with_extension("junit.xml"), &actual.junit),
    ];
    let mut failures = Vec::new();
    for (path, text) in files {
        if update {
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != *text {
            failures.push(format!(
                "--- {} (- expected, + actual)\n{}",
                path.display(),
                diff(&expected, text)
            ));
        }
    }
    failures
}

fn case_names() -> Vec<String> {
    let filter = std::env::var("CASE").unwrap_or_default();
    let mut names: Vec<String> = std::fs::read_dir(common::repo().join(CASES))
        .expect("tests/cases/run exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|n| n.contains(&filter))
        .collect();
    names.sort();
    names
}

#[test]
fn run_cases_play_as_expected() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let names = case_names();
    assert!(!names.is_empty(), "no cases under {CASES}");
    let certs = Certs::generate();
    let queue = Arc::new(Mutex::new(names.clone()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (queue, failures, certs) = (queue.clone(), failures.clone(), certs.clone());
            std::thread::spawn(move || {
                loop {
                    let Some(name) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let found = match play(&name, &certs) {
                        Ok(actual) => compare(&name, &actual, update),
                        Err(e) => vec![e],
                    };
                    failures.lock().unwrap().extend(found);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} problem(s) in {} case(s) (rerun with UPDATE_GOLDEN=1 to accept output changes):\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

/// Every case has its script and expected files, and no expected file is left without a case.
#[test]
fn every_case_is_complete() {
    let dir: PathBuf = common::repo().join(CASES);
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file == "README.md" {
            continue;
        }
        let stem = file
            .strip_suffix(".junit.xml")
            .or_else(|| file.rsplit_once('.').map(|(s, _)| s))
            .unwrap_or(&file);
        for ext in ["yaml", "server", "out", "exit", "junit.xml"] {
            if !dir.join(format!("{stem}.{ext}")).exists() {
                problems.push(format!("{file}: no {stem}.{ext}"));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
