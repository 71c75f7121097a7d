//! Monitoring: OpenMetrics for node_exporter's textfile collector (read back by the real
//! node_exporter) and the Nagios plugin status line and exit codes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::Stdio;

use common::*;

/// One passing STARTTLS scenario, one passing implicit-TLS one, one failing, one skipped.
fn monitored_plan(dir: &Path) -> std::path::PathBuf {
    plan(
        dir,
        "health.yaml",
        "name: Mail \"health\"\ntarget: {host: 127.0.0.1, port: 25, timeout: 5s}\nscenarios:\n  - name: starttls works\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - quit\n  - name: smtps works\n    steps:\n      - connect: {tls: implicit}\n      - expect: 220\n      - quit\n  - name: wants 554\n    steps:\n      - expect: 554\n  - name: later\n    skip: not yet\n    steps:\n      - expect: 220\n",
    )
}

fn all_pass_plan(dir: &Path) -> std::path::PathBuf {
    plan(
        dir,
        "ok.yaml",
        "name: ok\ntarget: {host: 127.0.0.1, port: 25, timeout: 5s}\nscenarios:\n  - name: starttls works\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - quit\n",
    )
}

/// node_exporter with only the textfile collector on 127.0.0.1 (a port it picks and logs);
/// returns its /metrics page. The process is killed and waited for before returning.
fn scrape_with_node_exporter(textfile_dir: &Path) -> String {
    let bin = "/usr/bin/prometheus-node-exporter";
    assert!(
        Path::new(bin).is_file(),
        "{bin} is missing: tests/servers/install.sh installs it (Debian package prometheus-node-exporter)"
    );
    // dies_with_test: an assertion below that fails must not leave it running.
    let mut child = dies_with_test(bin)
        .args([
            "--web.listen-address=127.0.0.1:0",
            "--collector.disable-defaults",
            "--collector.textfile",
        ])
        .arg(format!(
            "--collector.textfile.directory={}",
            textfile_dir.display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    // It logs `msg="Listening on" address=127.0.0.1:PORT` once the socket is bound; if it
    // dies instead, stderr ends and so does this loop.
    let addr = lines.by_ref().map_while(Result::ok).find_map(|l| {
        l.contains("Listening on").then(|| {
            l.split("address=")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned()
        })
    });
    let page = addr.map(|addr| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        s.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut page = String::new();
        s.read_to_string(&mut page).unwrap();
        page
    });
    let _ = child.kill();
    let _ = child.wait();
    page.expect("node_exporter did not start")
}

fn sample<'a>(page: &'a str, name: &str, scenario: &str) -> Option<&'a str> {
    page.lines()
        .find(|l| {
            l.starts_with(&format!("{name}{{")) && l.contains(&format!("scenario=\"{scenario}\""))
        })
        .and_then(|l| l.rsplit(' ').next())
}

#[test]
fn node_exporter_reads_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let p = monitored_plan(dir.path());
    let textfiles = dir.path().join("textfile");
    std::fs::create_dir(&textfiles).unwrap();
    let prom = textfiles.join("smtp_plan.prom");
    let r = run(smtp_plan(&[
        "run",
        p.to_str().unwrap(),
        "--serve",
        "--metrics",
        prom.to_str().unwrap(),
    ]));
    r.assert_code(1);
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    // the temporary file of the atomic write is gone
    let names: Vec<_> = std::fs::read_dir(&textfiles)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["smtp_plan.prom"]);

    let page = scrape_with_node_exporter(&textfiles);
    assert!(page.contains("node_textfile_scrape_error 0"), "{page}");
    assert_eq!(
        sample(&page, "smtp_plan_scenario_up", "starttls works"),
        Some("1")
    );
    assert_eq!(
        sample(&page, "smtp_plan_scenario_up", "smtps works"),
        Some("1")
    );
    assert_eq!(
        sample(&page, "smtp_plan_scenario_up", "wants 554"),
        Some("0")
    );
    assert_eq!(
        sample(&page, "smtp_plan_scenario_up", "later"),
        None,
        "skipped: no sample"
    );
    // the suite name's quotes survive the label escaping
    assert!(page.contains(r#"suite="Mail \"health\"""#), "{page}");
    for sc in ["starttls works", "smtps works", "wants 554"] {
        let secs: f64 = sample(&page, "smtp_plan_scenario_duration_seconds", sc)
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..5.0).contains(&secs), "{sc}: {secs}");
    }
    // the built-in server's certificate is valid for a year
    for sc in ["starttls works", "smtps works"] {
        let days: f64 = sample(&page, "smtp_plan_certificate_days_left", sc)
            .unwrap()
            .parse()
            .unwrap();
        assert!((300.0..=366.0).contains(&days), "{sc}: {days}");
    }
    assert_eq!(
        sample(&page, "smtp_plan_certificate_days_left", "wants 554"),
        None
    );
    assert!(page.contains("smtp_plan_plans_loaded 1"), "{page}");
}

#[test]
fn metrics_replace_the_file_by_rename_and_say_when_a_plan_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("m.prom");
    let old = dir.path().join("old-link");
    std::fs::write(&prom, "old\n").unwrap();
    // a hard link to the old file: an in-place write would change it, a rename does not
    std::fs::hard_link(&prom, &old).unwrap();
    let broken = plan(
        dir.path(),
        "broken.yaml",
        "name: b\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: y\n    steps:\n      - mial_from: a@example.test\n",
    );
    let r = run(smtp_plan(&[
        "run",
        broken.to_str().unwrap(),
        "--metrics",
        prom.to_str().unwrap(),
    ]));
    r.assert_code(2);
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "old\n");
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(text.contains("\nsmtp_plan_plans_loaded 0\n"), "{text}");
    assert!(!text.contains("smtp_plan_scenario_up{"), "{text}");
}

fn nagios(args: &[&str]) -> Run {
    let mut all = vec!["run", "--nagios"];
    all.extend_from_slice(args);
    run(smtp_plan(&all))
}

#[test]
fn nagios_ok_warning_critical_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let ok = all_pass_plan(dir.path());
    let ok = ok.to_str().unwrap();

    let r = nagios(&[ok, "--serve"]);
    r.assert_code(0);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(
        r.stdout.starts_with("SMTP-PLAN OK - 1 of 1 scenario(s) passed | passed=1;;;0 failed=0;;;0 skipped=0;;;0 time="),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(" cert_days_left="), "{}", r.stdout);
    assert!(!r.stdout.contains("PASS"), "{}", r.stdout);

    // the same run with a certificate inside the warning window
    let r = nagios(&[ok, "--serve", "--nagios-cert-warn", "400"]);
    r.assert_code(1);
    assert!(
        r.stdout
            .starts_with("SMTP-PLAN WARNING - 1 of 1 scenario(s) passed; the certificate"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(";400;;"), "{}", r.stdout);

    let mixed = monitored_plan(dir.path());
    let r = nagios(&[mixed.to_str().unwrap(), "--serve"]);
    r.assert_code(2);
    let mut lines = r.stdout.lines();
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("SMTP-PLAN CRITICAL - 1 of 3 scenario(s) failed: Mail \"health\" › wants 554: step 1 (expect) at "),
        "{first}"
    );
    assert!(
        first.contains("passed=2;;;0 failed=1;;;0 skipped=1;;;0"),
        "{first}"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("FAIL Mail \"health\" › wants 554: ")
    );
    assert_eq!(lines.next(), None);

    // UNKNOWN: a plan error, a wrong command line, nothing selected
    let broken = plan(
        dir.path(),
        "broken.yaml",
        "name: b\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: y\n    steps:\n      - mial_from: a@example.test\n",
    );
    let r = nagios(&[broken.to_str().unwrap()]);
    r.assert_code(3);
    assert!(
        r.stdout.starts_with(&format!(
            "SMTP-PLAN UNKNOWN - plan error: {}:6:9: ",
            broken.display()
        )),
        "{}",
        r.stdout
    );
    let r = nagios(&[ok, "--no-such-option"]);
    r.assert_code(3);
    assert!(r.stdout.starts_with("SMTP-PLAN UNKNOWN - "), "{}", r.stdout);
    let r = nagios(&[ok, "--serve", "--tag", "nothing-has-this"]);
    r.assert_code(3);
    assert!(r.stdout.contains("no scenario matches"), "{}", r.stdout);
    // without --nagios the usual codes stay
    run(smtp_plan(&["run", broken.to_str().unwrap()])).assert_code(2);
}
