//! Golden tests for load diagnostics: every `tests/cases/check/<name>.yaml` is loaded through
//! the library and `Diagnostics::render(false)` must equal `<name>.out` exactly.
//! `UPDATE_GOLDEN=1 cargo test --test load_golden` rewrites the `.out` files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};

use common::diff;

use smtp_plan::scenario::{LoadOptions, load_plans};

const CASES: &str = "tests/cases/check";

fn render(path: &Path) -> String {
    match load_plans(&[path.to_path_buf()], &LoadOptions::default()) {
        Ok(plans) => plans
            .iter()
            .map(|p| format!("ok: {} ({} scenario(s))\n", p.name, p.scenarios.len()))
            .collect(),
        Err(diagnostics) => diagnostics.render(false),
    }
}

/// The PEM files the cases name (`pki/...`), generated at run time: a CA certificate and a
/// client certificate with its key.
fn write_pki() {
    let dir = Path::new(CASES).join("pki");
    std::fs::create_dir_all(&dir).unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["golden.test".to_owned()]).unwrap();
    let (cert, key) = (ck.cert.pem(), ck.signing_key.serialize_pem());
    for (name, text) in [
        ("ca.pem", &cert),
        ("other-ca.pem", &cert),
        ("client.pem", &cert),
        ("client.key", &key),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

#[test]
fn check_cases_render_as_expected() {
    write_pki();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(CASES)
        .expect("tests/cases/check exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases under {CASES}");

    let mut failures = Vec::new();
    for case in &cases {
        // The path as a user would type it, relative to the crate root.
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let path = Path::new(CASES).join(&name);
        let actual = render(&path);
        let out = path.with_extension("out");
        if update {
            std::fs::write(&out, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&out).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "--- {} (- expected, + actual)\n{}",
                out.display(),
                diff(&expected, &actual)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) differ (rerun with UPDATE_GOLDEN=1 to accept):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
