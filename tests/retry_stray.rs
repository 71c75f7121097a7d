//! `retry` never turns a wrong answer into a PASS by taking a stray reply for the answer to
//! the retried command: a second reply to the first attempt that came before the retry is
//! written fails every attempt (it stays unread), and one that comes after the retry was
//! written leaves the real answer over, which fails the scenario before the next command.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const STEPS: &str =
    "      - expect: 220\n      - noop:\n        retry: {count: 2, interval: 50ms}\n      - quit\n";

#[test]
fn a_second_reply_to_the_first_attempt_is_never_the_answer_to_the_retry() {
    // NOOP is answered 451 and at once (in the same write) 250: the 250 answers nothing.
    let fake = Fake::start(|mut s| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s); // NOOP
        write(&mut s, "451 4.3.0 try again\r\n250 2.0.0 stray\r\n");
        // Whatever comes next is answered 250 (a retried NOOP must not get that far).
        loop {
            let line = read_line(&mut s);
            if line.is_empty() {
                return;
            }
            write(&mut s, "250 OK\r\n");
        }
    });
    let (r, junit) = run_against(&fake, "stray", STEPS);
    r.assert_code(1);
    assert!(
        r.stdout.contains("FAIL  stray › talk")
            && r.stdout
                .contains("the server sent `250 2.0.0 stray` before `NOOP` was sent"),
        "{}",
        r.stdout
    );
    // The retried NOOP was never written on top of the stray reply.
    assert_eq!(r.stdout.matches("C: NOOP").count(), 1, "{}", r.stdout);
    assert!(junit.contains("<failure"), "{junit}");
}

#[test]
fn a_stray_reply_sent_after_the_retry_leaves_the_real_answer_over_and_fails() {
    // The first NOOP is refused; when the retried NOOP comes, the server sends a 250 that it
    // says is late for the first one, then its real answer, 451: the 250 is read as the
    // retry's answer, and the 451 is left over — the scenario fails before QUIT.
    let fake = Fake::start(|mut s| {
        write(&mut s, "220 fake ESMTP\r\n");
        let _ = read_line(&mut s); // NOOP
        write(&mut s, "451 4.3.0 try again\r\n");
        let _ = read_line(&mut s); // NOOP (retry)
        write(
            &mut s,
            "250 2.0.0 late for the first\r\n451 4.3.0 try again\r\n",
        );
        loop {
            let line = read_line(&mut s);
            if line.is_empty() {
                return;
            }
            write(&mut s, "221 bye\r\n");
        }
    });
    let (r, _) = run_against(&fake, "late", STEPS);
    r.assert_code(1);
    assert!(
        r.stdout.contains("FAIL  late › talk")
            && r.stdout
                .contains("the server sent `451 4.3.0 try again` before `QUIT` was sent"),
        "{}",
        r.stdout
    );
}
