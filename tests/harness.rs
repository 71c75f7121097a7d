//! The test harness's own wait (tests/common/watch.rs): it looks again only when the watched
//! directory changes — also one that does not exist yet — and fails naming what it waited for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::cell::Cell;
use std::time::Duration;

use common::*;

#[test]
fn a_wait_sees_a_file_in_a_directory_made_after_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("alice/new");
    let (go, started) = std::sync::mpsc::channel::<()>();
    let target = new.clone();
    // The writer starts once the wait has looked for the first time (and found nothing).
    let writer = std::thread::spawn(move || {
        started.recv().unwrap();
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("1.msg"), "id 42\n").unwrap();
    });
    let looks = Cell::new(0);
    let found = wait_until(HANG, "the message", &[&new], || {
        looks.set(looks.get() + 1);
        if looks.get() == 1 {
            go.send(()).unwrap();
        }
        std::fs::read_to_string(new.join("1.msg"))
            .ok()
            .filter(|t| t.contains("id 42"))
    });
    assert_eq!(found, "id 42\n");
    writer.join().unwrap();
}

#[test]
fn a_wait_where_nothing_changes_looks_once_and_fails_naming_what() {
    let dir = tempfile::tempdir().unwrap();
    let looks = Cell::new(0);
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until(
            Duration::from_millis(300),
            "a delivery",
            &[dir.path()],
            || {
                looks.set(looks.get() + 1);
                None::<()>
            },
        )
    }));
    let message = *failed.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.starts_with("a delivery: not seen within 300ms"),
        "{message}"
    );
    // No change, no second look: nothing polls.
    assert_eq!(looks.get(), 1);
}
