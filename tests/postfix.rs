//! The shipped Postfix plans against the real Postfix + Dovecot (started by scripts/test).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn submission_plan_passes_like_the_seed_walkthrough() {
    let _pf = postfix();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("submission.xml");
    let r = run_plan(
        "scenarios/postfix/submission.yaml",
        &["--junit", junit.to_str().unwrap(), "-v"],
    );
    r.assert_code(0);
    assert_eq!(r.last_line(), "3 passed, 0 failed");
    assert!(
        r.stdout.contains("S: 235 2.7.0 Authentication successful"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("* captured queue_id = "), "{}", r.stdout);
    assert_valid_junit(&junit);
}
