//! What every command shares with the process: stdout that a closed pipe does not upset, and
//! the async runtime.

use std::io::Write as _;

use anyhow::Context as _;

/// Print to stdout; a closed pipe (`smtp-plan run ... | head`) is not an error worth a panic.
pub(super) fn say(text: &str) {
    say_bytes(text.as_bytes());
}

pub(super) fn say_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// The runtime of `run`: with `--jobs` above 1 on a machine with several cores, one worker
/// thread per core (at most one per job), so that TLS handshakes and message encoding of
/// scenarios running at once use the cores; otherwise one thread (no thread start-up cost).
pub(super) fn run_runtime(jobs: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    // One job needs no count of the cores (it reads the cgroup files).
    if jobs <= 1 {
        return runtime();
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = jobs.min(cores);
    if threads <= 1 {
        return runtime();
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("could not start the async runtime")
}
