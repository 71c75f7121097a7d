//! Every output of a run in one text: the arguments that turn them all on, and what they wrote.

use std::path::Path;

use super::common::Run;

/// Every output of a run, and the files it wrote (their names too).
pub fn outputs(r: &Run, dir: &Path) -> String {
    let mut all = format!("{}\n{}\n", r.stdout, r.stderr);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = e.path();
            all.push_str(&format!("{}\n", path.display()));
            if path.is_dir() {
                stack.push(path);
            } else {
                all.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            }
        }
    }
    all
}

/// The arguments of `run` that turn every output on, into `out` (where [`outputs`] reads them):
/// verbose, JUnit with steps, JSON, a transcript per scenario.
pub fn every_output(out: &Path) -> Vec<String> {
    let o = |name: &str| out.join(name).to_str().unwrap().to_owned();
    [
        "-v",
        "--junit",
        &o("r.xml"),
        "--junit-steps",
        "--json",
        &o("r.json"),
        "--transcript-dir",
        &o("t"),
    ]
    .map(str::to_owned)
    .to_vec()
}
