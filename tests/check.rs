//! A broken plan is refused before any traffic: exit 2, `file:line:col`, nothing sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::TcpListener;

use common::*;

#[test]
fn shipped_plans_check_clean() {
    // Every shipped plan takes its password from the environment or --var; the TLS files of
    // the Postfix plans (made by tests/servers/up.sh) are checked at load, so they are given
    // here, under the repository as the file root.
    let pki = repo().join("target/shipped-check-pki");
    std::fs::create_dir_all(&pki).unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["check.test".to_owned()]).unwrap();
    std::fs::write(pki.join("ca.pem"), ck.cert.pem()).unwrap();
    std::fs::write(pki.join("client.key"), ck.signing_key.serialize_pem()).unwrap();
    let r = run(smtp_plan(&[
        "check",
        "scenarios/",
        "--var",
        "password=not-the-password",
        "--var",
        "token=not-the-token",
        "--var",
        "rcpt_password=not-the-password",
        "--file-root",
        ".",
    ])
    .env_remove("SMTP_PLAN_POSTFIX_PASSWORD")
    .env_remove("SMTP_PLAN_POSTFIX_PASSWORD2")
    .env("SMTP_PLAN_POSTFIX_CA", pki.join("ca.pem"))
    .env("SMTP_PLAN_POSTFIX_SELFSIGNED_CA_CERT", pki.join("ca.pem"))
    .env("SMTP_PLAN_POSTFIX_CLIENT_CERT", pki.join("ca.pem"))
    .env("SMTP_PLAN_POSTFIX_CLIENT_KEY", pki.join("client.key")));
    r.assert_code(0);
    assert!(r.stdout.starts_with("ok: "), "{}", r.stdout);
    // Without the root, the client certificate outside scenarios/ is refused, naming it.
    let r = run(smtp_plan(&[
        "check",
        "scenarios/postfix/tls.yaml",
        "--var",
        "password=pw-1234",
    ])
    .env("SMTP_PLAN_POSTFIX_CA", pki.join("ca.pem"))
    .env("SMTP_PLAN_POSTFIX_CLIENT_CERT", pki.join("ca.pem"))
    .env("SMTP_PLAN_POSTFIX_CLIENT_KEY", pki.join("client.key")));
    r.assert_code(2);
    assert!(
        r.stderr.contains(&format!(
            "client_cert `{}` is outside the file root `scenarios/postfix`",
            pki.join("ca.pem").display()
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn a_yaml_mistake_exits_2_points_at_it_and_opens_no_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    // a good scenario first, then a misspelled step key: nothing may run
    let text = format!(
        "target: {{host: 127.0.0.1, port: {port}}}\nscenarios:\n  - name: fine\n    steps:\n      - expect: 220\n  - name: broken\n    steps:\n      - expect: 220\n      - ehol: client.test\n"
    );
    let path = plan(dir.path(), "broken.yaml", &text);
    for cmd in ["run", "check"] {
        let r = run(smtp_plan(&[cmd, path.to_str().unwrap()]));
        r.assert_code(2);
        assert!(
            r.stderr.contains(&format!("{}:9:9", path.display())),
            "{cmd}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("ehlo"),
            "{cmd}: did-you-mean missing: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("      - ehol: client.test"),
            "{cmd}: source line missing: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{cmd}: {}", r.stdout);
    }
    assert!(
        listener.accept().is_err(),
        "a connection was opened for a broken plan"
    );
}

#[test]
fn every_problem_of_every_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    plan(
        dir.path(),
        "a.yaml",
        "scenarios:\n  - name: a\n    steps:\n      - ehlo: ${nobody}\n      - sleep: 10\n",
    );
    plan(
        dir.path(),
        "b.yaml",
        "scenarios:\n  - name: b\n    steps:\n      - expect: {code: 250, matches: '(unclosed'}\n",
    );
    let r = run(smtp_plan(&["check", dir.path().to_str().unwrap()]));
    r.assert_code(2);
    for want in [
        "a.yaml:4:15",
        "nobody",
        "a.yaml:5:16",
        "10s",
        "b.yaml:4:39",
        "unclosed group",
    ] {
        assert!(r.stderr.contains(want), "want {want:?} in:\n{}", r.stderr);
    }
}

#[test]
fn usage_errors_exit_2() {
    run(smtp_plan(&["run"])).assert_code(2);
    run(
        smtp_plan(&["run", "scenarios/exchange.yaml", "--var", "novalue"])
            .env("SMTP_PASSWORD", "x"),
    )
    .assert_code(2);
    run(smtp_plan(&[
        "run",
        "scenarios/exchange.yaml",
        "--target",
        "host:notaport",
    ])
    .env("SMTP_PASSWORD", "x"))
    .assert_code(2);
    run(smtp_plan(&["run", "no/such/plan.yaml"])).assert_code(2);
    // a secret that is not set anywhere is a load error, not an empty password
    let r = run(smtp_plan(&["check", "scenarios/exchange.yaml"]));
    r.assert_code(2);
    assert!(r.stderr.contains("SMTP_PASSWORD"), "{}", r.stderr);
}

/// The starting plans (scenarios/starting/) load with nothing set, and each says in its
/// header every environment variable it reads. They are never run here: their default hosts
/// are real providers, and the tests talk to loopback only.
#[test]
fn starting_plans_check_clean_and_name_what_to_set() {
    let dir = repo().join("scenarios/starting");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "dovecot-submission.yaml",
            "exim.yaml",
            "gmail-implicit-tls.yaml",
            "microsoft365.yaml"
        ]
    );
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let mut cmd = smtp_plan(&["check", file.to_str().unwrap()]);
        for (name, _) in std::env::vars() {
            if text.contains(&format!("${{env:{name}")) {
                cmd.env_remove(name);
            }
        }
        // A secret must not be empty: those with an empty default (`${env:NAME:-}`) are set.
        for part in text.split("${env:").skip(1) {
            let end = part.find([':', '}']).unwrap_or(part.len());
            if part[end..].starts_with(":-}") {
                cmd.env(&part[..end], "a-placeholder-secret");
            }
        }
        let r = run(cmd);
        r.assert_code(0);
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            header.contains("# Set:"),
            "{}: no `Set:` in its header",
            file.display()
        );
        for part in text.split("${env:").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                header.contains(&name),
                "{}: ${{env:{name}}} is not named in the header",
                file.display()
            );
        }
    }
    let text = std::fs::read_to_string(dir.join("microsoft365.yaml")).unwrap();
    for fact in ["smtp.office365.com", "587", "starttls", "LOGIN", "XOAUTH2"] {
        assert!(text.contains(fact), "microsoft365.yaml: {fact}");
    }
    let text = std::fs::read_to_string(dir.join("gmail-implicit-tls.yaml")).unwrap();
    for fact in ["465", "tls: implicit"] {
        assert!(text.contains(fact), "gmail-implicit-tls.yaml: {fact}");
    }
}
