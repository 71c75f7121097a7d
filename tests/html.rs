//! `--html DIR` opened in a real headless Chromium (Debian package `chromium`): the page loads
//! without console errors, shows the failing step, filters, and leaks no secret. A screenshot
//! is kept as a test artifact: target/test-artifacts/html-report.png.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const PW: &str = "Sekr1t-Pa55";

fn chromium() -> &'static str {
    let bin = "/usr/bin/chromium";
    assert!(
        Path::new(bin).is_file(),
        "{bin} is missing: tests/servers/install.sh installs it (Debian package chromium)"
    );
    bin
}

/// Headless Chromium on `url` with `extra` (e.g. `--dump-dom`): its stdout and the console
/// messages it logged (`INFO:CONSOLE` lines on stderr: console.log/error, uncaught
/// exceptions, CSP violations). Bounded by `timeout`; no network features.
fn open(url: &str, profile: &Path, extra: &[&str]) -> (String, Vec<String>) {
    let out = Command::new("timeout")
        .arg("90")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--no-pings",
            "--metrics-recording-only",
            "--disable-features=OptimizationHints,MediaRouter,Translate",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn the_console_check_catches_errors() {
    // the check below must be able to fail: a page with an error is seen as one
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p id=x>a</p><script>nope();</script></body></html>",
    )
    .unwrap();
    let (_, console) = open(&url(&page), &dir.path().join("profile"), &["--dump-dom"]);
    assert!(
        console
            .iter()
            .any(|l| l.contains("Uncaught ReferenceError")),
        "{console:?}"
    );
}

#[test]
fn the_report_loads_cleanly_shows_the_failing_step_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(
        dir.path(),
        "mixed.yaml",
        &format!(
            "name: Mixed <b>&\"suite\"\ntarget: {{host: 127.0.0.1, port: 25, timeout: 5s}}\nvars: {{pw: {PW}}}\nsecrets: [pw]\nscenarios:\n  - name: starttls works\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - ehlo: client.test\n      - auth: {{mechanism: PLAIN, username: u1@contoso.com, password: '${{pw}}'}}\n        expect: 235\n      - quit\n  - name: wants <554> <img src=x onerror=alert(1)>\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - mail_from: a@example.test\n        expect: 250\n  - name: later\n    skip: not yet\n    steps:\n      - expect: 220\n"
        ),
    );
    let html = dir.path().join("html");
    let r = run(smtp_plan(&[
        "run",
        p.to_str().unwrap(),
        "--serve",
        "--serve-user",
        &format!("u1@contoso.com:{PW}"),
        "--html",
        html.to_str().unwrap(),
    ]));
    r.assert_code(1);
    let index = html.join("index.html");
    let text = std::fs::read_to_string(&index).unwrap();
    // self-contained: nothing to fetch
    for needle in ["http://", "https://", "src=\"", "<link"] {
        let hits: Vec<_> = text
            .match_indices(needle)
            .map(|(i, _)| &text[i.saturating_sub(40)..(i + 60).min(text.len())])
            .filter(|ctx| !ctx.contains("http://www.w3.org/2000/svg"))
            .collect();
        assert!(hits.is_empty(), "{needle}: {hits:?}");
    }
    // escaped, and no form of the secret
    assert!(!text.contains("<img src=x"), "unescaped scenario name");
    assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!text.contains(PW), "the password is in the page");
    use base64::Engine as _;
    let blob = base64::engine::general_purpose::STANDARD.encode(format!("\0u1@contoso.com\0{PW}"));
    assert!(!text.contains(&blob), "the PLAIN blob is in the page");
    assert!(text.contains("C: AUTH PLAIN ***"), "redacted line missing");

    let profile = dir.path().join("profile");
    let (dom, console) = open(&url(&index), &profile, &["--dump-dom"]);
    assert!(console.is_empty(), "console messages: {console:?}");
    // the failing step is there, highlighted, with the reply and the plan's line
    let at = dom
        .find("id=\"failing-step-1\"")
        .expect("no failing step in the DOM");
    let head = &dom[dom[..at].rfind("<div").unwrap()..at];
    assert!(head.contains("class=\"step failed\""), "{head}");
    let step = &dom[at..at + dom[at..].find("</div></div>").unwrap_or(400).min(2000)];
    assert!(step.contains("3. mail_from"), "{step}");
    assert!(step.contains("530 5.7.57"), "{step}");
    assert!(
        dom.contains("step 3 (mail_from) at "),
        "failure headline missing"
    );
    assert!(
        dom.contains("19 |       - mail_from: a@example.test"),
        "source snippet missing"
    );
    assert!(dom.contains("<svg class=\"timeline\""), "timeline missing");
    assert!(dom.contains("TLS13_"), "TLS facts missing");
    assert!(
        dom.contains("<span id=\"shown\">3</span>"),
        "the script ran: {}",
        &dom[..500]
    );

    // the filter, run by the browser from the URL: `>` stands for `›`
    let (dom, console) = open(
        &format!("{}#filter=suite%22%20%3E%20WANTS", url(&index)),
        &profile,
        &["--dump-dom"],
    );
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(
        dom.contains("<span id=\"shown\">1</span>"),
        "filter did not apply"
    );
    for st in ["pass", "skip"] {
        assert_eq!(
            dom.matches(&format!("data-status=\"{st}\" hidden=\"\""))
                .count(),
            2,
            "the {st} scenario's row and section are hidden"
        );
    }
    assert!(
        !dom.contains("data-status=\"fail\" hidden"),
        "the match stays shown"
    );

    // the screenshot, kept as an artifact
    let artifacts = repo().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    open(
        &url(&index),
        &profile,
        &[
            "--hide-scrollbars",
            "--window-size=1280,2400",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 20_000,
        "a blank screenshot? {} bytes",
        png.len()
    );
}

#[test]
fn the_html_directory_holds_only_this_runs_report() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(
        dir.path(),
        "ok.yaml",
        "name: ok\ntarget: {host: 127.0.0.1, port: 25}\nscenarios:\n  - name: greets\n    steps:\n      - expect: 220\n",
    );
    let html = dir.path().join("html");
    std::fs::create_dir(&html).unwrap();
    std::fs::write(html.join("mine.txt"), "keep").unwrap();
    let args = [
        "run",
        p.to_str().unwrap(),
        "--serve",
        "--html",
        html.to_str().unwrap(),
    ];
    let r = run(smtp_plan(&args));
    r.assert_code(1);
    assert!(
        r.stderr.contains("could not write the HTML report"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(html.join("mine.txt")).unwrap(),
        "keep"
    );
    std::fs::remove_file(html.join("mine.txt")).unwrap();
    run(smtp_plan(&args)).assert_code(0);
    std::fs::write(html.join("stale.html"), "old").unwrap();
    run(smtp_plan(&args)).assert_code(0);
    assert!(!html.join("stale.html").exists());
    assert!(html.join("index.html").is_file());
}
