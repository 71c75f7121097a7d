//! TLS in depth: TLS expectations and `${tls.*}` variables, client certificates, several CA
//! files, pins, and the failure reasons a mail administrator needs — against the built-in
//! server, the real Postfix ports (good, expired, wrong-name, self-signed, self-signed CA,
//! client-certificate) and `openssl s_server` limited to TLS 1.0 / 1.2 / CBC suites. STARTTLS
//! that is missing, refused or `required: false`, and every TLS expectation and expected TLS
//! failure against scripted servers, are golden run cases (tests/cases/run/starttls-*, tls-*,
//! fails-*).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;

/// A plan against the built-in server (its CA trusted with --ca-file).
fn against_serve(serve: &Serve, text: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let text = text
        .replace("SMTP_PORT", &serve.smtp.port().to_string())
        .replace("SMTPS_PORT", &serve.smtps.port().to_string());
    let path = plan(dir.path(), "serve.yaml", &text);
    let ca = serve.ca.to_str().unwrap().to_owned();
    let mut args = vec!["run", path.to_str().unwrap(), "--ca-file", &ca, "-v"];
    args.extend_from_slice(extra);
    run(smtp_plan(&args))
}

const SERVE_TLS_PLAN: &str = r#"
name: serve tls
target: {host: 127.0.0.1, port: SMTP_PORT}
scenarios:
  - name: starttls
    steps:
      - expect: 220
      - ehlo: client.test
      - starttls:
          expect:
            code: 220
            tls:
              version: TLSv1.3
              cipher: 'AES.*GCM|CHACHA'
              cert: {names_include: [localhost, 127.0.0.1], issuer_matches: '.', valid_for_at_least: 1d}
      - ehlo: tls-${tls.version}-${tls.cert.days_left}.client.test
        expect: {code: 250, lacks: [STARTTLS], tls: {version: [TLSv1.2, TLSv1.3]}}
      - quit
  - name: implicit
    steps:
      - connect: {port: SMTPS_PORT, tls: implicit}
      - expect: {code: 220, tls: {cert: {names_include: [localhost]}}}
      - ehlo: ${tls.cert.names}
      - quit
"#;

#[test]
fn tls_expectations_and_variables_against_the_built_in_server() {
    let serve = Serve::start(&[]);
    let r = against_serve(&serve, SERVE_TLS_PLAN, &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "2 passed, 0 failed");
    assert!(r.stdout.contains("C: EHLO tls-TLSv1.3-"), "{}", r.stdout);
    assert!(
        r.stdout.contains("* TLS established: TLSv1.3"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("* certificate: CN="), "{}", r.stdout);
    assert!(
        r.stdout.contains("C: EHLO localhost, 127.0.0.1"),
        "{}",
        r.stdout
    );
}

#[test]
fn tls_expectations_that_do_not_hold_fail_with_what_came() {
    let serve = Serve::start(&[]);
    let text = r#"
name: serve tls
target: {host: 127.0.0.1, port: SMTP_PORT}
scenarios:
  - name: wrong expectations
    steps:
      - expect: 220
      - ehlo: client.test
      - starttls:
          expect:
            tls:
              version: TLSv1.2
              cipher: 'CHACHA_NEVER'
              cert: {names_include: [mail.contoso.com], valid_for_at_least: 3650d}
      - quit
"#;
    let r = against_serve(&serve, text, &[]);
    r.assert_code(1);
    assert!(
        r.stdout.contains("FAIL  serve tls › wrong expectations"),
        "{}",
        r.stdout
    );
    for want in [
        "expected TLS version TLSv1.2, got TLSv1.3",
        "does not match /CHACHA_NEVER/",
        "does not hold the name mail.contoso.com; it holds: ",
        "days left), less than the 3650 days required",
        "expected TLS: TLS version TLSv1.2, cipher matching /CHACHA_NEVER/",
        "got TLS:      TLSv1.3 TLS13_",
    ] {
        assert!(r.stdout.contains(want), "want {want:?} in:\n{}", r.stdout);
    }
}

#[test]
fn tls_min_version_on_the_command_line_is_applied() {
    let serve = Serve::start(&[]);
    // The built-in server speaks TLS 1.3; demanding it passes, and the flag is validated.
    let r = against_serve(&serve, SERVE_TLS_PLAN, &["--tls-min-version", "1.3"]);
    r.assert_code(0);
    let r = against_serve(&serve, SERVE_TLS_PLAN, &["--tls-min-version", "1.0"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("cannot speak TLS 1.0 or 1.1"),
        "{}",
        r.stderr
    );
}

// ---- openssl s_server: the legacy-TLS path -------------------------------------------------

/// `openssl s_server` on 127.0.0.1 with a certificate made by openssl, limited by `args`;
/// killed on drop.
struct SServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl SServer {
    fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        let made = Command::new(need_tool("openssl", "openssl"))
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args([
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("run openssl");
        assert!(made.success(), "openssl req failed");
        // Port 0: s_server takes a free port and names it (`ACCEPT 127.0.0.1:PORT`), so no
        // other process can take it between a look and the bind.
        let mut child = Command::new(need_tool("openssl", "openssl"))
            .args(["s_server", "-accept", "127.0.0.1:0", "-naccept", "1"])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .args(args)
            // s_server stops at EOF on its stdin: keep it open
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run openssl");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = line
                    .strip_prefix("ACCEPT ")
                    .and_then(|a| a.rsplit(':').next())
                    .and_then(|p| p.parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
            }
        });
        let started = rx.recv_timeout(Duration::from_secs(10));
        let mut s = Self {
            child,
            port: 0,
            _dir: dir,
        };
        let Ok(port) = started else {
            let _ = s.child.kill();
            panic!("openssl s_server {args:?} did not start");
        };
        s.port = port;
        s
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn implicit_plan(dir: &Path, port: u16, tls_keys: &str) -> String {
    let text = format!(
        "name: legacy\ntarget: {{host: 127.0.0.1, port: {port}, tls: implicit, insecure: true, timeout: 3s{tls_keys}}}\nscenarios:\n  - name: greet\n    steps:\n      - expect: 220\n"
    );
    plan(dir, "legacy.yaml", &text).to_str().unwrap().to_owned()
}

#[test]
#[ignore = "needs openssl s_server: run scripts/test"]
fn a_server_with_only_tls_1_0_fails_with_the_reason() {
    let server = SServer::start(&["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let dir = tempfile::tempdir().unwrap();
    let path = implicit_plan(dir.path(), server.port, "");
    let r = run(smtp_plan(&["run", &path]));
    r.assert_code(1);
    assert!(r.stdout.contains("ERROR legacy › greet"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "TLS handshake failed: the server only speaks TLS 1.0/1.1 (or older), which smtp-plan (rustls) cannot; TLS 1.2 or 1.3 is required"
        ),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs openssl s_server: run scripts/test"]
fn min_version_1_3_against_a_tls_1_2_server_fails_with_the_reason() {
    let server = SServer::start(&["-tls1_2"]);
    let dir = tempfile::tempdir().unwrap();
    let path = implicit_plan(dir.path(), server.port, ", min_version: \"1.3\"");
    let r = run(smtp_plan(&["run", &path]));
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "TLS handshake failed: the server does not offer TLS 1.3, and `min_version` is 1.3"
        ),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs openssl s_server: run scripts/test"]
fn a_server_with_only_cbc_suites_shares_no_cipher_and_says_which_are_offered() {
    let server = SServer::start(&["-tls1_2", "-cipher", "AES128-SHA:AES256-SHA"]);
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name: legacy\ntarget: {{host: 127.0.0.1, port: {}, tls: implicit, insecure: true, timeout: 3s}}\nscenarios:\n  - name: greet\n    steps:\n      - connect:\n        expect: {{fails: no_shared_cipher}}\n",
        server.port
    );
    let path = plan(dir.path(), "cbc.yaml", &text);
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "-v"]));
    r.assert_code(0);
    assert!(
        r.stdout.contains(
            "failed as expected (no_shared_cipher): TLS handshake failed: the server aborted the handshake with the alert HandshakeFailure: no cipher suite (or key exchange group) was shared; smtp-plan offers TLS13_AES_256_GCM_SHA384, "
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "{}",
        r.stdout
    );
}

// ---- the real Postfix ports ------------------------------------------------------------------

/// The block of output about one scenario: from its result line to the next one.
fn block<'a>(stdout: &'a str, scenario: &str) -> &'a str {
    let start = stdout
        .find(&format!("› {scenario} ("))
        .unwrap_or_else(|| panic!("no result for {scenario:?} in:\n{stdout}"));
    let rest = &stdout[start..];
    let end = ["\nPASS  ", "\nFAIL  ", "\nERROR ", "\n0 passed"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn the_shipped_tls_plans_pass_against_postfix() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("tls.xml");
    // Its client certificate lies in .run/servers/certs: the repository is the file root.
    let r = run_plan(
        "scenarios/postfix/tls.yaml",
        &["-v", "--file-root", ".", "--junit", junit.to_str().unwrap()],
    );
    r.assert_code(0);
    assert_eq!(r.last_line(), "4 passed, 0 failed");
    assert!(r.stdout.contains("C: Sent over TLSv1."), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("C: CN=localhost (localhost, 127.0.0.1) issued by"),
        "{}",
        r.stdout
    );
    assert_valid_junit(&junit);
    let r = run_plan("scenarios/postfix/tls-insecure.yaml", &[]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn bad_certificates_are_rejected_each_for_its_reason() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("rejected.xml");
    let plan = "scenarios/postfix/tls-rejected.yaml";
    let r = run_plan(plan, &["-v", "--junit", junit.to_str().unwrap()]);
    r.assert_code(0);
    assert_eq!(r.last_line(), "8 passed, 0 failed");
    let cases: &[(&str, &str)] = &[
        (
            "an expired certificate is rejected",
            "failed as expected (expired): TLS handshake failed: certificate CN=localhost expired on 2021-01-01 (",
        ),
        (
            "a certificate for another name is rejected",
            "failed as expected (wrong_name): TLS handshake failed: certificate CN=wrong.example.test is not valid for \"127.0.0.1\"; it holds: wrong.example.test",
        ),
        (
            "a self-signed certificate is rejected",
            "failed as expected (self_signed): TLS handshake failed: self-signed certificate CN=localhost, not issued by a trusted CA; to trust exactly this certificate, give it as `ca_file` or write `pin_sha256: ",
        ),
        (
            "a self-signed certificate made by openssl req -x509 (a CA) is rejected",
            "self-signed certificate CN=localhost (marked as a CA), not issued by a trusted CA",
        ),
        (
            "a good certificate from a CA that is not trusted is rejected",
            "failed as expected (untrusted): TLS handshake failed: certificate CN=localhost is issued by O=smtp-plan, CN=smtp-plan Test CA, which is not trusted",
        ),
        (
            "that certificate is trusted when pinned by its fingerprint",
            "TLS established: TLSv1.3",
        ),
    ];
    for (scenario, want) in cases {
        let b = block(&r.stdout, scenario);
        assert!(b.contains(want), "{scenario}: want {want:?} in:\n{b}");
    }
    // The fingerprint the failure shows is the one to pin.
    let sha = std::env::var("SMTP_PLAN_POSTFIX_SELFSIGNED_CA_SHA256").unwrap();
    assert!(
        r.stdout.contains(&format!("`pin_sha256: {sha}`")),
        "{}",
        r.stdout
    );
    assert_valid_junit(&junit);

    // The assertions can fail: with verification off, no certificate is rejected, and each
    // scenario that expects a rejection says it did not happen.
    let r = run_plan(plan, &["--insecure", "-v"]);
    r.assert_code(1);
    assert_eq!(r.last_line(), "3 passed, 5 failed");
    assert!(
        r.stdout
            .contains("expected the certificate to be rejected as expired, but it did not happen"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("warning: the server certificate was NOT verified (insecure)"),
        "{}",
        r.stdout
    );
    // A wrong pin is refused.
    let zero = "00".repeat(32);
    let text = std::fs::read_to_string(repo().join(plan)).unwrap();
    let pinned = text.replace("${selfsigned_ca_sha256}", &zero);
    let path = common::plan(dir.path(), "pinned.yaml", &pinned);
    let r = run(smtp_plan(&[
        "run",
        path.to_str().unwrap(),
        "--filter",
        "pinned",
    ]));
    r.assert_code(1);
    assert!(
        r.stdout.contains("which is not the pinned 00:00:"),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn tls_expectations_that_do_not_hold_against_postfix_fail() {
    let _pf = postfix();
    let r = run_plan("tests/plans/tls-must-fail.yaml", &[]);
    r.assert_code(1);
    assert_eq!(r.last_line(), "0 passed, 2 failed");
    for (scenario, want) in [
        (
            "a certificate that expires within the bound",
            "days left), less than the 3650 days required",
        ),
        (
            "the name the client uses is not in the certificate",
            "certificate CN=localhost does not hold the name mail.example.test; it holds: localhost, 127.0.0.1",
        ),
    ] {
        assert!(
            r.stdout
                .contains(&format!("FAIL  Postfix TLS must fail › {scenario}")),
            "{}",
            r.stdout
        );
        let b = block(&r.stdout, scenario);
        assert!(b.contains(want), "{scenario}: want {want:?} in:\n{b}");
    }
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn client_certificate_from_the_command_line_and_ca_files_trusted_together() {
    let _pf = postfix();
    let var = |n: &str| std::env::var(n).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The plan trusts only the self-signed certificate; --ca-file adds the test CA: both
    // ports must verify in one run. No client certificate in the plan: --client-cert gives it.
    let text = format!(
        r#"name: together
target: {{host: 127.0.0.1, ca_file: '{selfsigned}'}}
scenarios:
  - name: self-signed port, trusted by the plan's ca_file
    target: {{port: {selfsigned_port}}}
    steps:
      - expect: 220
      - ehlo: client.test
      - starttls
      - quit
  - name: good port, trusted by --ca-file
    target: {{port: {smtp_port}}}
    steps:
      - expect: 220
      - ehlo: client.test
      - starttls
      - quit
  - name: client-certificate port, certificate from --client-cert
    target: {{port: {cc_port}}}
    steps:
      - expect: 220
      - ehlo: client.test
      - starttls
      - ehlo: client.test
        expect: 250
      - quit
"#,
        selfsigned = var("SMTP_PLAN_POSTFIX_SELFSIGNED_CERT"),
        selfsigned_port = var("SMTP_PLAN_POSTFIX_SELFSIGNED_PORT"),
        smtp_port = var("SMTP_PLAN_POSTFIX_SMTP_PORT"),
        cc_port = var("SMTP_PLAN_POSTFIX_CLIENTCERT_PORT"),
    );
    let path = plan(dir.path(), "together.yaml", &text);
    let path = path.to_str().unwrap();
    let ca = var("SMTP_PLAN_POSTFIX_CA");
    let cert = var("SMTP_PLAN_POSTFIX_CLIENT_CERT");
    let key = var("SMTP_PLAN_POSTFIX_CLIENT_KEY");
    let r = run(smtp_plan(&[
        "run",
        path,
        "--ca-file",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ]));
    r.assert_code(0);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
    // Without --client-cert the last one fails; without --ca-file the second one does.
    let r = run(smtp_plan(&["run", path, "--ca-file", &ca]));
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("FAIL  together › client-certificate port"),
        "{}",
        r.stdout
    );
    let r = run(smtp_plan(&["run", path]));
    assert!(
        r.stdout
            .contains("ERROR together › good port, trusted by --ca-file"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("PASS  together › self-signed port"),
        "{}",
        r.stdout
    );
}
