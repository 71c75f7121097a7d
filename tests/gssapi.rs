//! AUTH GSSAPI (RFC 4752) with a ticket from the environment, against the real Postfix with
//! Dovecot's GSSAPI and a private MIT KDC (tests/servers/kdc.sh, started by up.sh), and the
//! failures: no ticket, an expired one, a service the KDC does not know, a service the server
//! has no key for, a server that does not offer GSSAPI, a server that skips the mutual
//! authentication. With the `gssapi` feature (scripts/test turns it on); without it, a
//! GSSAPI step fails with the reason, before anything is sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

#[cfg(feature = "gssapi")]
use std::path::Path;
#[cfg(feature = "gssapi")]
use std::process::Command;

use common::*;

#[cfg(feature = "gssapi")]
fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test (tests/servers/up.sh starts the KDC)")
    })
}

/// A plan that logs in with GSSAPI on Postfix's GSSAPI port after STARTTLS (`auth` is the
/// inside of the mapping, after `mechanism: GSSAPI`).
#[cfg(feature = "gssapi")]
fn gssapi_plan(dir: &Path, auth: &str) -> std::path::PathBuf {
    let port = env("SMTP_PLAN_POSTFIX_GSSAPI_PORT");
    let text = format!(
        "target: {{host: 127.0.0.1, port: {port}, ca_file: '{}'}}
scenarios:
  - name: kerberos
    steps:
      - expect: 220
      - ehlo: client.example.test
      - starttls
      - ehlo: client.example.test
      - auth: {{mechanism: GSSAPI{auth}}}
        expect: 235
      - quit
",
        env("SMTP_PLAN_POSTFIX_CA")
    );
    plan(dir, "gssapi.yaml", &text)
}

/// [`gssapi_plan`] in `dir` run with a fresh ticket of alice's in the credential cache: the
/// run and its JUnit report.
#[cfg(feature = "gssapi")]
fn with_a_ticket(dir: &Path, auth: &str) -> (Run, String) {
    let cache = kinit(dir, &[]);
    let path = gssapi_plan(dir, auth);
    run_kerberos(&path, &[("KRB5CCNAME", cache)])
}

/// `smtp-plan run PLAN -v --junit` with the test realm's krb5.conf and `krb5_env`.
#[cfg(feature = "gssapi")]
fn run_kerberos(path: &Path, krb5_env: &[(&str, String)]) -> (Run, String) {
    run_kerberos_under(&[], path, krb5_env)
}

/// [`run_kerberos`] run by `wrapper` (e.g. [`faketime`]).
#[cfg(feature = "gssapi")]
fn run_kerberos_under(
    wrapper: &[String],
    path: &Path,
    krb5_env: &[(&str, String)],
) -> (Run, String) {
    let junit = path.with_extension("xml");
    let mut cmd = smtp_plan_under(
        wrapper,
        &[
            "run",
            path.to_str().unwrap(),
            "-v",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    cmd.env("KRB5_CONFIG", env("SMTP_PLAN_KRB5_CONFIG"))
        .env_remove("KRB5CCNAME")
        .env_remove("KRB5_CLIENT_KTNAME");
    for (k, v) in krb5_env {
        cmd.env(k, v);
    }
    let r = run(cmd);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    (r, xml)
}

/// `kinit` alice from her keytab into a ticket cache file in `dir`, with `args` (e.g. a
/// lifetime); the cache's KRB5CCNAME.
#[cfg(feature = "gssapi")]
fn kinit(dir: &Path, args: &[&str]) -> String {
    let cache = format!("FILE:{}", dir.join("ccache").display());
    let out = Command::new(need_tool("kinit", "krb5-user"))
        .args(args)
        .args(["-k", "-t", &env("SMTP_PLAN_KRB5_CLIENT_KEYTAB")])
        .arg(env("SMTP_PLAN_KRB5_PRINCIPAL"))
        .env("KRB5_CONFIG", env("SMTP_PLAN_KRB5_CONFIG"))
        .env("KRB5CCNAME", &cache)
        .output()
        .expect("run kinit");
    assert!(
        out.status.success(),
        "kinit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    cache
}

/// The AUTH line and the server's tokens are masked; nothing that looks like a Kerberos
/// token (base64 of an ASN.1 GSS-API token starts with `YII`) is shown.
#[cfg(feature = "gssapi")]
fn assert_tokens_masked(r: &Run, xml: &str) {
    assert!(r.stdout.contains("C: AUTH GSSAPI ***"), "{}", r.stdout);
    for text in [r.stdout.as_str(), xml] {
        assert!(!text.contains("YII"), "a token leaked: {text}");
    }
}

/// The step stopped before AUTH went out, said so, and named KRB5CCNAME (where the ticket
/// was looked for).
#[cfg(feature = "gssapi")]
fn assert_stopped_before_auth(r: &Run) {
    assert!(r.stdout.contains("KRB5CCNAME"), "{}", r.stdout);
    assert!(r.stdout.contains("nothing was sent"), "{}", r.stdout);
    assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
}

#[cfg(feature = "gssapi")]
mod with_kerberos {
    use super::*;

    #[test]
    #[ignore = "needs the real Postfix + Dovecot + KDC: run scripts/test"]
    fn a_ticket_from_the_credential_cache_logs_in_with_mutual_authentication() {
        let dir = tempfile::tempdir().unwrap();
        let cache = kinit(dir.path(), &[]);
        let path = gssapi_plan(dir.path(), ", service: '${env:SMTP_PLAN_KRB5_SERVICE}'");
        let (r, xml) = run_kerberos(&path, &[("KRB5CCNAME", cache)]);
        r.assert_code(0);
        assert!(r.stdout.contains("S: 235"), "{}", r.stdout);
        assert!(
            r.stdout.contains(
                "* GSSAPI: Kerberos service ticket for `smtp@mail.example.test` obtained"
            ),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("* GSSAPI: the server is who it claims to be (mutual authentication)"),
            "{}",
            r.stdout
        );
        assert_tokens_masked(&r, &xml);
        assert_valid_junit(&path.with_extension("xml"));
        // The KDC issued the service ticket (its log is the KDC's own record).
        let log = std::fs::read_to_string(env("SMTP_PLAN_KRB5_KDC_LOG")).unwrap();
        assert!(
            log.contains("TGS_REQ") && log.contains("smtp/mail.example.test@EXAMPLE.TEST"),
            "{log}"
        );
    }

    #[test]
    #[ignore = "needs the real Postfix + Dovecot + KDC: run scripts/test"]
    fn a_client_keytab_in_krb5_client_ktname_logs_in_without_kinit() {
        let dir = tempfile::tempdir().unwrap();
        let cache = format!("FILE:{}", dir.path().join("empty-ccache").display());
        let krb5_env = [
            ("KRB5CCNAME", cache),
            ("KRB5_CLIENT_KTNAME", env("SMTP_PLAN_KRB5_CLIENT_KEYTAB")),
        ];
        // A Kerberos principal as the service name, and the ticket's own principal as the
        // authorization identity.
        let path = gssapi_plan(
            dir.path(),
            ", service: smtp/mail.example.test@EXAMPLE.TEST, username: alice@EXAMPLE.TEST",
        );
        let (r, xml) = run_kerberos(&path, &krb5_env);
        r.assert_code(0);
        assert!(r.stdout.contains("S: 235"), "{}", r.stdout);
        assert_tokens_masked(&r, &xml);
        // Another identity than the ticket's: Dovecot refuses (krb5_kuserok says no).
        let path = gssapi_plan(
            dir.path(),
            ", service: smtp@mail.example.test, username: bob@example.test",
        );
        let (r, _) = run_kerberos(&path, &krb5_env);
        r.assert_code(1);
        assert!(r.stdout.contains("S: 535"), "{}", r.stdout);
        // Dovecot's log process writes the line, maybe after the 535 reached us: waited for.
        log_lines_with(
            Path::new(&env("SMTP_PLAN_POSTFIX_DOVECOT_LOG")),
            "User not authorized to log in as bob@example.test",
            std::time::Duration::from_secs(10),
        );
    }

    #[test]
    #[ignore = "needs the real Postfix + Dovecot + KDC: run scripts/test"]
    fn no_ticket_fails_before_anything_is_sent_and_names_krb5ccname() {
        let dir = tempfile::tempdir().unwrap();
        let path = gssapi_plan(dir.path(), ", service: smtp@mail.example.test");
        let cache = format!("FILE:{}", dir.path().join("no-such-ccache").display());
        let (r, _) = run_kerberos(&path, &[("KRB5CCNAME", cache)]);
        r.assert_code(1);
        assert!(
            r.stdout.contains("GSSAPI: no Kerberos credentials"),
            "{}",
            r.stdout
        );
        assert_stopped_before_auth(&r);
    }

    #[test]
    #[ignore = "needs the real Postfix + Dovecot + KDC: run scripts/test"]
    fn an_expired_ticket_fails_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let cache = kinit(dir.path(), &["-l", "1h"]);
        let path = gssapi_plan(dir.path(), ", service: smtp@mail.example.test");
        let krb5_env = [("KRB5CCNAME", cache)];
        // Today the ticket logs in...
        let (r, _) = run_kerberos(&path, &krb5_env);
        r.assert_code(0);
        assert!(r.stdout.contains("S: 235"), "{}", r.stdout);
        // ...two hours later it has expired. No waiting for it: libfaketime moves the clock of
        // smtp-plan (and so of libkrb5 in it) two hours on; klist, moved the same way, agrees.
        let later = faketime("+2h");
        let klist = Command::new(&later[0])
            .args(&later[1..])
            .arg(need_tool("klist", "krb5-user"))
            .arg("-s")
            .env("KRB5_CONFIG", env("SMTP_PLAN_KRB5_CONFIG"))
            .env("KRB5CCNAME", &krb5_env[0].1)
            .status()
            .unwrap();
        assert!(
            !klist.success(),
            "klist still finds a valid ticket two hours on"
        );
        let (r, _) = run_kerberos_under(&later, &path, &krb5_env);
        r.assert_code(1);
        assert!(r.stdout.to_lowercase().contains("expired"), "{}", r.stdout);
        assert_stopped_before_auth(&r);
    }

    #[test]
    #[ignore = "needs the real Postfix + Dovecot + KDC: run scripts/test"]
    fn a_service_the_kdc_does_not_know_fails_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let (r, _) = with_a_ticket(dir.path(), ", service: smtp@wrong.example.test");
        r.assert_code(1);
        assert!(
            r.stdout
                .contains("GSSAPI: no service ticket for `smtp@wrong.example.test`"),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout.contains("not found in Kerberos database"),
            "{}",
            r.stdout
        );
        assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
    }

    #[test]
    #[ignore = "needs the real Postfix + Dovecot + KDC: run scripts/test"]
    fn a_service_the_server_has_no_key_for_is_refused_by_the_server() {
        // imap/mail.example.test is in the KDC, but not in Dovecot's keytab.
        let dir = tempfile::tempdir().unwrap();
        let (r, xml) = with_a_ticket(dir.path(), ", service: imap@mail.example.test");
        r.assert_code(1);
        assert!(r.stdout.contains("C: AUTH GSSAPI ***"), "{}", r.stdout);
        assert!(r.stdout.contains("S: 535"), "{}", r.stdout);
        assert_tokens_masked(&r, &xml);
    }

    #[test]
    #[ignore = "needs the KDC: run scripts/test"]
    fn a_server_without_gssapi_refuses_it_and_the_transcript_says_it_was_not_offered() {
        // The built-in server has no Kerberos acceptor.
        let dir = tempfile::tempdir().unwrap();
        let cache = kinit(dir.path(), &[]);
        let text = "scenarios:
  - name: kerberos
    steps:
      - expect: 220
      - ehlo: client.example.test
      - starttls
      - ehlo: client.example.test
      - auth: {mechanism: GSSAPI, service: smtp@mail.example.test}
";
        let path = plan(dir.path(), "builtin.yaml", text);
        let junit = path.with_extension("xml");
        let mut cmd = smtp_plan(&[
            "run",
            path.to_str().unwrap(),
            "--serve",
            "-v",
            "--junit",
            junit.to_str().unwrap(),
        ]);
        cmd.env("KRB5_CONFIG", env("SMTP_PLAN_KRB5_CONFIG"))
            .env("KRB5CCNAME", &cache);
        let r = run(cmd);
        r.assert_code(1);
        assert!(
            r.stdout
                .contains("note: the server did not advertise AUTH GSSAPI (it offers: LOGIN PLAIN"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("S: 504"), "{}", r.stdout);
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert_tokens_masked(&r, &xml);
    }

    #[test]
    #[ignore = "needs the real Postfix + Dovecot + KDC: run scripts/test"]
    fn a_plan_can_require_that_gssapi_is_advertised() {
        // Postfix's smtp port hides GSSAPI (smtpd_sasl_mechanism_filter), though Dovecot
        // would still take it: a plan that needs it advertised says so on `ehlo`.
        let dir = tempfile::tempdir().unwrap();
        let port = env("SMTP_PLAN_POSTFIX_SMTP_PORT");
        let text = format!(
            "target: {{host: 127.0.0.1, port: {port}}}
scenarios:
  - name: kerberos
    steps:
      - expect: 220
      - ehlo: client.example.test
        expect: {{capabilities: [AUTH GSSAPI]}}
"
        );
        let path = plan(dir.path(), "advertised.yaml", &text);
        let (r, _) = run_kerberos(&path, &[]);
        r.assert_code(1);
        assert!(r.stdout.contains("AUTH GSSAPI"), "{}", r.stdout);
        assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
    }

    #[test]
    #[ignore = "needs the KDC: run scripts/test"]
    fn a_server_that_accepts_before_proving_itself_fails_the_step() {
        // A scripted server takes the first Kerberos token and says 235 at once: it never
        // sent the AP-REP, so it did not prove it holds the service key.
        let dir = tempfile::tempdir().unwrap();
        let cache = kinit(dir.path(), &[]);
        let fake = Fake::start(|mut s| {
            write(&mut s, "220 fake ESMTP\r\n");
            let _ehlo = read_line(&mut s);
            write(&mut s, "250-fake\r\n250 AUTH GSSAPI\r\n");
            let auth = read_line(&mut s);
            assert!(auth.starts_with("AUTH GSSAPI "), "{auth}");
            write(&mut s, "235 2.7.0 ok\r\n");
            let _quit = read_line(&mut s);
            write(&mut s, "221 bye\r\n");
        });
        let text = format!(
            "target: {{host: 127.0.0.1, port: {}}}
scenarios:
  - name: kerberos
    steps:
      - expect: 220
      - ehlo: client.example.test
      - auth: {{mechanism: GSSAPI, service: smtp@mail.example.test}}
        allow_plaintext: true
",
            fake.addr.port()
        );
        let path = plan(dir.path(), "fake.yaml", &text);
        let (r, xml) = run_kerberos(&path, &[("KRB5CCNAME", cache)]);
        r.assert_code(1);
        assert!(
            r.stdout.contains(
                "GSSAPI: the server accepted the login before the Kerberos exchange was complete"
            ),
            "{}",
            r.stdout
        );
        assert_tokens_masked(&r, &xml);
        // The script's own check (an `AUTH GSSAPI` token came) held.
        fake.join();
    }
}

/// Without the feature the step says how to get GSSAPI, and sends nothing.
#[cfg(not(feature = "gssapi"))]
#[test]
fn without_the_feature_a_gssapi_step_fails_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let text = "scenarios:
  - name: kerberos
    steps:
      - expect: 220
      - ehlo: client.example.test
      - starttls
      - ehlo: client.example.test
      - auth: {mechanism: GSSAPI, service: smtp@localhost}
";
    let path = plan(dir.path(), "gssapi.yaml", text);
    let r = run(smtp_plan(&["run", path.to_str().unwrap(), "--serve", "-v"]));
    r.assert_code(1);
    assert!(
        r.stdout.contains(
            "this smtp-plan was built without GSSAPI support (build it with `--features gssapi`"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("C: AUTH"), "{}", r.stdout);
}

#[test]
fn a_gssapi_step_takes_no_password_and_service_is_for_gssapi_only() {
    let dir = tempfile::tempdir().unwrap();
    let text = "target: {host: 127.0.0.1, port: 2525}
secrets: [pw]
vars: {pw: Not-used-Passw0rd}
scenarios:
  - name: kerberos
    steps:
      - auth: {mechanism: GSSAPI, password: '${pw}'}
      - auth: {mechanism: PLAIN, username: u, password: '${pw}', service: smtp@x}
";
    let path = plan(dir.path(), "bad.yaml", text);
    let r = run(smtp_plan(&["check", path.to_str().unwrap()]));
    r.assert_code(2);
    assert!(
        r.stderr.contains(
            "GSSAPI logs in with a Kerberos ticket from the environment: `password` is not used"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`service` is for `mechanism: GSSAPI`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("bad.yaml:7:"), "{}", r.stderr);
}
