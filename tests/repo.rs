//! The repository's prose stays whole: no merge-conflict markers in documentation or scripts
//! (Rust and plan files would fail to build or load; Markdown and shell would not).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else if name.ends_with(".md")
            || name.ends_with(".sh")
            || name.ends_with(".py")
            || path.ends_with("scripts/test")
        {
            out.push(path);
        }
    }
}

#[test]
fn no_merge_conflict_markers_in_docs_and_scripts() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(
        all.iter().any(|p| p.ends_with("README.md")),
        "README.md not found"
    );
    for path in all {
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let marker =
                ["<<<<<<< ", ">>>>>>> "].iter().any(|m| line.starts_with(m)) || line == "=======";
            assert!(
                !marker,
                "{}:{}: a merge-conflict marker: {line}",
                path.display(),
                i + 1
            );
        }
    }
}
