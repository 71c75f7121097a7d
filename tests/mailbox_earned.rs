//! A `mailbox` step passes only on the message this run delivered: not on an older copy with
//! the same Message-ID left from an earlier run, not on a message an IMAP server cut short or
//! gave for another UID, and `arrives: false` not when there was nowhere to look.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::*;

const PASSWORD: &str = "imap-S3cret!";
const ID: &str = "<fixed-id@example.test>";

/// An SMTP server that accepts every command and message; `deliver` gets each message (dot
/// lines undone) when its final `.` came, before the 250 is written.
fn accepting(deliver: impl Fn(&str) + Send + 'static) -> Fake {
    Fake::start(move |mut s| {
        write(&mut s, "220 fake ESMTP\r\n");
        loop {
            let line = read_line(&mut s);
            let verb = line.to_ascii_uppercase();
            if line.is_empty() || verb.starts_with("QUIT") {
                write(&mut s, "221 bye\r\n");
                return;
            }
            if verb.starts_with("DATA") {
                write(&mut s, "354 go on\r\n");
                let mut message = String::new();
                loop {
                    let l = read_line(&mut s);
                    if l == "." {
                        break;
                    }
                    message.push_str(l.strip_prefix('.').unwrap_or(&l));
                    message.push_str("\r\n");
                }
                deliver(&message);
            }
            write(&mut s, "250 ok\r\n");
        }
    })
}

/// A Maildir at `dir/md` holding, in `new/`, a message with the Message-ID `ID` and subject
/// `old` delivered an hour ago.
fn maildir_with_old_copy(dir: &Path) -> PathBuf {
    let md = dir.join("md");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    let old = md.join("new/1000.old.host");
    std::fs::write(
        &old,
        format!("Message-ID: {ID}\r\nSubject: old\r\n\r\nfrom an earlier run\r\n"),
    )
    .unwrap();
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    md
}

/// Send a message with the fixed Message-ID `ID` (subject `new`) to `smtp`, then look for it
/// in the Maildir `md` (relative to the plan) with `expect`.
fn send_and_look(dir: &Path, smtp: &Fake, expect: &str) -> Run {
    let steps = format!(
        "      - expect: 220\n      - ehlo: client.example.test\n      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n      - data: \"Message-ID: {ID}\\r\\nSubject: new\\r\\n\\r\\nthis run\\r\\n\"\n      - quit\n      - mailbox: {{maildir: md, within: 600ms, poll: 100ms}}\n        expect: {expect}\n"
    );
    let text = one_scenario(
        "earned",
        &format!("host: 127.0.0.1, port: {}, timeout: 2s", smtp.addr.port()),
        &steps,
    );
    let path = plan(dir, "earned.yaml", &text);
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap(), "-v"]), HANG);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

#[test]
fn an_older_copy_with_the_same_message_id_is_not_taken_for_this_runs_message() {
    let dir = tempfile::tempdir().unwrap();
    maildir_with_old_copy(dir.path());
    // The server accepts the message and never delivers it.
    let smtp = accepting(|_| {});
    let r = send_and_look(dir.path(), &smtp, "{headers: {Subject: present}}");
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("the message did not arrive within 600ms")
            && r.stdout.contains(
                "1 message(s) with this Message-ID delivered before this run sent it were left aside"
            ),
        "{}",
        r.stdout
    );
}

#[test]
fn of_an_older_and_a_new_copy_the_new_one_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let md = maildir_with_old_copy(dir.path());
    // The server delivers into the Maildir, after the old copy (in name order too).
    let smtp = accepting(move |message| {
        std::fs::write(md.join("new/2000.new.host"), message).unwrap();
    });
    let r = send_and_look(dir.path(), &smtp, "{headers: {Subject: {equals: new}}}");
    r.assert_code(0);
    assert!(r.stdout.contains("1 passed, 0 failed"), "{}", r.stdout);
}

#[test]
fn a_message_id_drawn_for_this_run_is_taken_whatever_its_delivery_time() {
    // `${uuid}` makes the Message-ID this run's own: no older copy can have it, so a server
    // whose clock is behind (the file dated an hour ago) does not make the step fail.
    let dir = tempfile::tempdir().unwrap();
    let md = maildir_with_old_copy(dir.path());
    let smtp = accepting(move |message| {
        let file = md.join("new/2000.new.host");
        std::fs::write(&file, message).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    });
    let steps = "      - expect: 220\n      - ehlo: client.example.test\n      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n      - data: \"Message-ID: <${uuid}@example.test>\\r\\nSubject: new\\r\\n\\r\\nthis run\\r\\n\"\n      - quit\n      - mailbox: {maildir: md, within: 2s, poll: 100ms}\n        expect: {headers: {Subject: {equals: new}}}\n";
    let text = one_scenario(
        "drawn",
        &format!("host: 127.0.0.1, port: {}, timeout: 2s", smtp.addr.port()),
        steps,
    );
    let path = plan(dir.path(), "drawn.yaml", &text);
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap(), "-v"]), HANG);
    r.assert_code(0);
    assert!(!r.stdout.contains("left aside"), "{}", r.stdout);
}

#[test]
fn arrives_false_fails_when_there_was_nowhere_to_look() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = accepting(|_| {});
    // A Maildir path that does not exist (a typo, or the wrong machine): the message cannot be
    // said to have stayed away.
    let r = send_and_look(dir.path(), &smtp, "{arrives: false}");
    r.assert_code(1);
    assert!(
        r.stdout.contains("FAIL ")
            && r.stdout
                .contains("there was no folder to look in, so it cannot be told that the message did not arrive"),
        "{}",
        r.stdout
    );
}

/// The tag of a client command line.
fn tag(line: &str) -> String {
    line.split(' ').next().unwrap_or_default().to_owned()
}

/// Greet, accept LOGIN, EXAMINE and a SEARCH that finds UID 7; then `fetch` answers the two
/// FETCH commands (metadata, then the message).
fn imap(fetch: impl FnOnce(&mut TcpStream) + Send + 'static) -> Fake {
    Fake::start(move |mut s| {
        write(&mut s, "* OK [CAPABILITY IMAP4rev1] fake ready\r\n");
        for _ in 0..3 {
            let line = read_line(&mut s);
            let t = tag(&line);
            if line.contains("EXAMINE") {
                write(
                    &mut s,
                    &format!("* 1 EXISTS\r\n{t} OK [READ-ONLY] done\r\n"),
                );
            } else if line.contains("SEARCH") {
                write(&mut s, &format!("* SEARCH 7\r\n{t} OK done\r\n"));
            } else {
                write(&mut s, &format!("{t} OK done\r\n"));
            }
        }
        fetch(&mut s);
    })
}

/// Answer the metadata FETCH with `size` (and `date`, an INTERNALDATE) for UID 7, then the
/// message FETCH with `body` as the literal of UID `uid`.
fn answer(s: &mut TcpStream, size: usize, date: &str, uid: u32, body: &str) {
    let line = read_line(s);
    let t = tag(&line);
    write(
        s,
        &format!("* 1 FETCH (UID 7 RFC822.SIZE {size} INTERNALDATE \"{date}\")\r\n{t} OK done\r\n"),
    );
    let line = read_line(s);
    let t = tag(&line);
    let _ = s.write_all(
        format!(
            "* 1 FETCH (UID {uid} BODY[] {{{}}}\r\n{body})\r\n{t} OK done\r\n",
            body.len()
        )
        .as_bytes(),
    );
    let _ = read_line(s); // LOGOUT
}

/// The IMAP date of now (UTC), as a server would give a message delivered just now.
fn imap_now() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%d-%b-%Y %H:%M:%S +0000"])
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Send a message with the fixed Message-ID `ID` to `smtp`, then look for it over IMAP in
/// INBOX with `expect`.
fn send_and_fetch(smtp: &Fake, imap: &Fake, expect: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, timeout: 2s}}\nvars: {{pw: '{PASSWORD}'}}\nsecrets: [pw]\nscenarios:\n  - name: imap\n    steps:\n      - expect: 220\n      - ehlo: client.example.test\n      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n      - data: \"Message-ID: {ID}\\r\\nSubject: new\\r\\n\\r\\nthis run\\r\\n\"\n      - quit\n      - mailbox:\n          imap: {{host: 127.0.0.1, port: {}, tls: none, username: u, password: '${{pw}}'}}\n          folders: [INBOX]\n          within: 600ms\n          poll: 100ms\n        allow_plaintext: true\n        expect: {expect}\n",
        smtp.addr.port(),
        imap.addr.port()
    );
    let path = plan(dir.path(), "imap.yaml", &text);
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap(), "-v"]), HANG);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(!r.stdout.contains(PASSWORD), "{}", r.stdout);
    r
}

#[test]
fn a_message_cut_short_by_the_imap_server_is_an_error_not_checked() {
    // RFC822.SIZE says 400 bytes; the literal holds the first 60: without the header that the
    // plan says must be absent, which a check of the cut message would find "absent".
    let full = format!(
        "Message-ID: {ID}\r\nSubject: new\r\nX-Spam-Flag: YES\r\n\r\n{}\r\n",
        "x".repeat(300)
    );
    let cut = format!("Message-ID: {ID}\r\nSubject: new\r\n\r\n");
    let size = full.len();
    let smtp = accepting(|_| {});
    let i = imap(move |s| answer(s, size, &imap_now(), 7, &cut));
    let r = send_and_fetch(&smtp, &i, "{headers: {X-Spam-Flag: absent}}");
    r.assert_code(1);
    assert!(
        r.stdout.contains("ERROR ")
            && r.stdout.contains(&format!(
                "UID 7: the server sent {} bytes of a message it said is {size} bytes",
                format!("Message-ID: {ID}\r\nSubject: new\r\n\r\n").len()
            )),
        "{}",
        r.stdout
    );
}

#[test]
fn a_message_given_for_another_uid_is_not_taken() {
    let body = format!("Message-ID: {ID}\r\nSubject: new\r\n\r\nhi\r\n");
    let size = body.len();
    let smtp = accepting(|_| {});
    let i = imap(move |s| answer(s, size, &imap_now(), 8, &body));
    let r = send_and_fetch(&smtp, &i, "{headers: {Subject: present}}");
    r.assert_code(1);
    assert!(
        r.stdout.contains("ERROR ") && r.stdout.contains("UID 7: FETCH returned no body"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_imap_copy_delivered_before_this_run_is_left_aside() {
    let body = format!("Message-ID: {ID}\r\nSubject: old\r\n\r\nhi\r\n");
    let size = body.len();
    let smtp = accepting(|_| {});
    // Every look finds only the old copy: its INTERNALDATE is in 2020. Its body is never asked
    // for (the next command after the metadata FETCH is the next look's EXAMINE or LOGOUT).
    let i = Fake::start(move |mut s| {
        write(&mut s, "* OK [CAPABILITY IMAP4rev1] fake ready\r\n");
        loop {
            let line = read_line(&mut s);
            let t = tag(&line);
            if line.is_empty() || line.contains("LOGOUT") {
                write(&mut s, &format!("* BYE\r\n{t} OK bye\r\n"));
                return;
            }
            assert!(!line.contains("BODY"), "{line}");
            let answer = if line.contains("EXAMINE") {
                "* 1 EXISTS\r\n".to_owned()
            } else if line.contains("SEARCH") {
                "* SEARCH 7\r\n".to_owned()
            } else if line.contains("FETCH") {
                format!(
                    "* 1 FETCH (UID 7 RFC822.SIZE {size} INTERNALDATE \"01-Jan-2020 10:00:00 +0000\")\r\n"
                )
            } else {
                String::new()
            };
            write(&mut s, &format!("{answer}{t} OK done\r\n"));
        }
    });
    let r = send_and_fetch(&smtp, &i, "{headers: {Subject: present}}");
    r.assert_code(1);
    assert!(
        r.stdout.contains("the message did not arrive within 600ms")
            && r.stdout.contains(
                "1 message(s) with this Message-ID delivered before this run sent it were left aside"
            ),
        "{}",
        r.stdout
    );
    i.join();
}

#[test]
#[ignore = "needs the real Postfix + Dovecot: run scripts/test"]
fn over_real_dovecot_imap_the_copy_this_run_delivered_is_checked_not_an_older_one() {
    let pf = postfix();
    let var = |n: &str| std::env::var(n).unwrap();
    // An older message with the Message-ID the plan writes, left in bob's Maildir an hour ago
    // (Dovecot takes its INTERNALDATE from the file's time); its UID is the lower one.
    let id = format!("<earned-{}@example.test>", std::process::id());
    let bob = PathBuf::from(var("SMTP_PLAN_POSTFIX_USER2_MAILDIR"));
    std::fs::create_dir_all(bob.join("new")).unwrap();
    let old = bob.join(format!("new/1000000000.earned{}.host", std::process::id()));
    std::fs::write(
        &old,
        format!("Message-ID: {id}\r\nSubject: old\r\n\r\nfrom an earlier run\r\n"),
    )
    .unwrap();
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "target: {{host: 127.0.0.1, port: {}, ca_file: '{}', timeout: 10s}}\nvars: {{user: '{}', pw: '{}', rcpt: '{}', rpw: '{}'}}\nsecrets: [pw, rpw]\nscenarios:\n  - name: real\n    steps:\n      - expect: 220\n      - ehlo: client.example.test\n      - starttls\n      - ehlo: client.example.test\n      - auth: {{mechanism: PLAIN, username: '${{user}}', password: '${{pw}}'}}\n      - mail_from: ${{user}}\n      - rcpt_to: ${{rcpt}}\n      - data: \"Message-ID: {id}\\r\\nSubject: new\\r\\n\\r\\nthis run\\r\\n\"\n      - quit\n      - mailbox:\n          imap: {{port: {}, tls: implicit, username: '${{rcpt}}', password: '${{rpw}}'}}\n          folders: [INBOX]\n          within: 10s\n          poll: 100ms\n        expect: {{headers: {{Subject: {{equals: new}}}}}}\n",
        var("SMTP_PLAN_POSTFIX_SUBMISSION_PORT"),
        pf.ca.display(),
        var("SMTP_PLAN_POSTFIX_USER"),
        var("SMTP_PLAN_POSTFIX_PASSWORD"),
        var("SMTP_PLAN_POSTFIX_USER2"),
        var("SMTP_PLAN_POSTFIX_PASSWORD2"),
        var("SMTP_PLAN_POSTFIX_IMAPS_PORT"),
    );
    let path = plan(dir.path(), "real.yaml", &text);
    let r = run_bounded(smtp_plan(&["run", path.to_str().unwrap(), "-v"]), HANG);
    r.assert_code(0);
    assert!(
        r.stdout.contains(
            "1 message(s) with this Message-ID delivered before this run sent it were left aside"
        ) && r.stdout.contains("S: Subject: new"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_maildir_folder_too_big_to_look_through_is_an_error_not_an_absence() {
    // More files than smtp-plan looks at in one folder: `arrives: false` must not pass on
    // the ones it did not look at. (Dot files: counted, never opened, so the test is quick.)
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("md/new");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::create_dir_all(dir.path().join("md/cur")).unwrap();
    for i in 0..100_001 {
        std::fs::File::create(new.join(format!(".{i}"))).unwrap();
    }
    let smtp = accepting(|_| {});
    let r = send_and_look(dir.path(), &smtp, "{arrives: false}");
    r.assert_code(1);
    assert!(
        r.stdout.contains("ERROR ")
            && r.stdout
                .contains("it holds more than 100000 files, more than smtp-plan looks at"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_copy_without_an_internaldate_cannot_be_told_from_an_older_one() {
    // The plan wrote the Message-ID, so the copy's age matters; the server does not say it.
    let body = format!("Message-ID: {ID}\r\nSubject: new\r\n\r\nhi\r\n");
    let size = body.len();
    let smtp = accepting(|_| {});
    let i = imap(move |s| {
        let line = read_line(s);
        let t = tag(&line);
        write(
            s,
            &format!("* 1 FETCH (UID 7 RFC822.SIZE {size})\r\n{t} OK done\r\n"),
        );
        let next = read_line(s);
        assert!(!next.contains("BODY"), "{next}");
    });
    let r = send_and_fetch(&smtp, &i, "{headers: {Subject: present}}");
    r.assert_code(1);
    assert!(
        r.stdout.contains("ERROR ")
            && r.stdout
                .contains("UID 7: the server gave no INTERNALDATE, so it cannot be told"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_search_that_finds_more_than_a_thousand_messages_is_an_error() {
    let smtp = accepting(|_| {});
    let uids: Vec<String> = (1..=1001).map(|u| u.to_string()).collect();
    let i = Fake::start(move |mut s| {
        write(&mut s, "* OK [CAPABILITY IMAP4rev1] fake ready\r\n");
        loop {
            let line = read_line(&mut s);
            let t = tag(&line);
            if line.is_empty() || line.contains("LOGOUT") {
                write(&mut s, &format!("* BYE\r\n{t} OK bye\r\n"));
                return;
            }
            assert!(!line.contains("FETCH"), "{line}");
            let answer = if line.contains("SEARCH") {
                format!("* SEARCH {}\r\n", uids.join(" "))
            } else {
                String::new()
            };
            write(&mut s, &format!("{answer}{t} OK done\r\n"));
        }
    });
    let r = send_and_fetch(&smtp, &i, "{headers: {Subject: present}}");
    r.assert_code(1);
    assert!(
        r.stdout.contains("ERROR ")
            && r.stdout
                .contains("found 1001 messages, more than the 1000 smtp-plan reads"),
        "{}",
        r.stdout
    );
    i.join();
}
