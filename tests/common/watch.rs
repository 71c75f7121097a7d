//! Waiting on what only another process knows — Postfix delivering to a Maildir, writing its
//! log, taking a reload — on the filesystem's own signal: the kernel's inotify says when a
//! watched directory or file changes, and only then is it looked at again. No clock decides
//! anything but the bound after which a wait fails.

use std::path::Path;
use std::time::Duration;

use futures_util::{FutureExt as _, StreamExt as _};
use inotify::{Inotify, WatchMask, Watches};

/// What wakes a wait: an entry appearing in a watched directory (created, linked or renamed
/// into it, as a Maildir delivery does), or a watched file being written.
fn changes() -> WatchMask {
    WatchMask::CREATE | WatchMask::MOVED_TO | WatchMask::MODIFY | WatchMask::CLOSE_WRITE
}

/// Wait until `look` finds something, looking once at the start and again after each change
/// to one of `watch` (files or directories; one that does not exist yet is waited for through
/// the nearest directory above it that does). Panics naming `what` when `timeout` passes with
/// nothing found: the timeout is a bound against a hang, never a timing claim. Our own threads
/// and children are never waited on like this: they are joined, or waited on through a
/// channel or a pipe.
pub fn wait_until<T>(
    timeout: Duration,
    what: &str,
    watch: &[&Path],
    mut look: impl FnMut() -> Option<T>,
) -> T {
    assert!(!watch.is_empty(), "{what}: nothing to watch");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let found = rt.block_on(async {
        let events = Inotify::init().expect("inotify_init");
        let mut events = events.into_event_stream([0u8; 4096]).unwrap();
        let mut watches = events.watches();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Watch first, then look: a change after the look is an event we will see.
            for path in watch {
                watch_nearest(&mut watches, path, what);
            }
            if let Some(found) = look() {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, events.next()).await {
                Err(_) => return None,
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => panic!("{what}: reading inotify events failed: {e}"),
                Ok(None) => panic!("{what}: the inotify stream ended"),
            }
            // What else has happened meanwhile needs no look of its own: the next one sees it.
            while let Some(Some(_)) = events.next().now_or_never() {}
        }
    });
    found.unwrap_or_else(|| {
        let watched: Vec<String> = watch.iter().map(|p| p.display().to_string()).collect();
        panic!(
            "{what}: not seen within {timeout:?} (looked after each change to {})",
            watched.join(", ")
        )
    })
}

/// Watch `path`, or while it does not exist the nearest directory above it that does. Going
/// back down after each watch added means a directory created between two steps is not
/// missed: its creation is an event of the directory above, or it is watched itself.
fn watch_nearest(watches: &mut Watches, path: &Path, what: &str) {
    let chain: Vec<&Path> = path
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    let mut add = |p: &Path| watches.add(p, changes()).is_ok();
    let mut at = chain.iter().position(|p| add(p)).unwrap_or_else(|| {
        panic!(
            "{what}: cannot watch {} nor any directory above it",
            path.display()
        )
    });
    while at > 0 && add(chain[at - 1]) {
        at -= 1;
    }
}

/// The text of a file in the directory `dir` that contains `needle`, waiting (bounded) for a
/// delivery into it.
pub fn delivered_file(dir: &Path, needle: &str, timeout: Duration) -> String {
    let what = format!("a message with {needle:?} in {}", dir.display());
    wait_until(timeout, &what, &[dir], || {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|text| text.contains(needle))
    })
}

/// The lines of the log file `log` that contain `needle`, waiting (bounded) for one to be
/// written.
pub fn log_lines_with(log: &Path, needle: &str, timeout: Duration) -> Vec<String> {
    let what = format!("a line with {needle:?} in {}", log.display());
    wait_until(timeout, &what, &[log], || {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let found: Vec<String> = text
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect();
        (!found.is_empty()).then_some(found)
    })
}
