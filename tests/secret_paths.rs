//! Secrets on the paths the generated leak suite does not walk: a secret too short to mask
//! (refused at load, end to end), `probe` against a TLS server that echoes the password in
//! every reply, and a 200 KB secret echoed whole and split across reply lines.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "script/certs.rs"]
#[allow(dead_code)]
mod certs;
mod common;
#[path = "script/conn.rs"]
#[allow(dead_code)]
mod conn;
#[path = "secret_paths/echo.rs"]
mod echo;
#[path = "secret_paths/outputs.rs"]
mod outputs;

use std::collections::HashSet;

use common::*;
use echo::{EchoServer, b64, hex};
use outputs::{every_output, outputs};

/// No piece of `secret` of `window` characters or more, in clear, in base64 (at the three
/// alignments, and of the AUTH PLAIN blob) or in hex, is anywhere in `text`.
fn assert_no_piece(what: &str, text: &str, secret: &str, user: &str, window: usize) {
    // Also upper- and lower-cased, as a parser that normalises keywords would show it.
    let mut forms = vec![
        secret.to_owned(),
        secret.to_uppercase(),
        secret.to_lowercase(),
        hex(secret.as_bytes()),
    ];
    for before in ["", "P", "Pa", &format!("\0{user}\0")] {
        let encoded = b64(format!("{before}{secret}").as_bytes());
        // The characters that mix in the bytes before the secret are not its own.
        let skip = (before.len() * 4).div_ceil(3) + 1;
        forms.push(
            encoded[skip.min(encoded.len())..]
                .trim_end_matches('=')
                .to_owned(),
        );
    }
    for form in forms {
        let form = form.as_bytes();
        let window = window.min(form.len());
        let pieces: HashSet<&[u8]> = form.windows(window).collect();
        if let Some(at) = text
            .as_bytes()
            .windows(window)
            .position(|w| pieces.contains(w))
        {
            let bytes = text.as_bytes();
            let before = String::from_utf8_lossy(&bytes[at.saturating_sub(300)..at]);
            let after = String::from_utf8_lossy(&bytes[at..(at + 100).min(bytes.len())]);
            panic!("{what}: a piece of the secret at byte {at}, after:\n{before}\n>>>{after}");
        }
    }
}

#[test]
fn a_secret_shorter_than_six_characters_is_refused_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("s.env");
    std::fs::write(&secrets, "file_pw=Ab1!x\n").unwrap();
    let plan_text = "name: short\ntarget: {host: 127.0.0.1, port: 9}\nvars:\n  user: u@example.test\n  listed: 'Zq9#k'\nsecrets: [listed]\nscenarios:\n  - name: login\n    steps:\n      - auth: {mechanism: PLAIN, username: '${user}', password: '${pw}'}\n      - auth: {mechanism: PLAIN, username: '${user}', password: '${file_pw}'}\n      - auth: {mechanism: PLAIN, username: '${user}', password: 'Lt7@q'}\n      - send: 'NOOP ${listed}'\n";
    let path = plan(dir.path(), "short.yaml", plan_text);
    let p = path.to_str().unwrap();
    let values = ["Qx3$w", "Ab1!x", "Zq9#k", "Lt7@q"];
    for cmd in ["run", "check", "list"] {
        let r = run(smtp_plan(&[
            cmd,
            p,
            "--secret",
            "pw",
            "--secrets-file",
            secrets.to_str().unwrap(),
        ])
        .env("pw", values[0]));
        r.assert_code(2);
        let all = format!("{}{}", r.stdout, r.stderr);
        for name in ["pw", "file_pw", "listed"] {
            assert!(
                all.contains(&format!(
                    "the value of secret `{name}` is 5 character(s) long; a secret needs at least 6"
                )),
                "{cmd} {name}:\n{all}"
            );
        }
        assert!(
            all.contains("this `auth` step's password is 5 character(s) long"),
            "{cmd}:\n{all}"
        );
        for v in values {
            assert!(!all.contains(v), "{cmd}: {v:?} printed:\n{all}");
            assert!(
                !all.contains(&b64(v.as_bytes())),
                "{cmd}: base64 of {v:?}:\n{all}"
            );
        }
    }
}

/// `--var` on a name a plan holds secret puts its value in `ps` like `--secret NAME=VALUE`:
/// `run`, `check` and `list` warn (naming the variable, never the value); a `--var` on a name
/// that is not secret gets no warning.
#[test]
fn a_var_that_sets_a_secret_on_the_command_line_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let plan_text = "name: argv\ntarget: {host: 127.0.0.1, port: 9}\nvars:\n  listed: ${env:SMTP_PLAN_UNSET_FOR_TEST:-unset-default}\n  user: u@example.test\nsecrets: [listed]\nscenarios:\n  - name: login\n    steps:\n      - auth: {mechanism: PLAIN, username: '${user}', password: '${pw}'}\n      - send: 'NOOP ${listed}'\n";
    let path = plan(dir.path(), "argv.yaml", plan_text);
    let p = path.to_str().unwrap();
    for cmd in ["run", "check", "list"] {
        let r = run(smtp_plan(&[
            cmd,
            p,
            "--var",
            "pw=Argv-Auth-Pw1",
            "--var",
            "listed=Argv-Listed-2",
            "--var",
            "user=v@example.test",
        ]));
        for name in ["pw", "listed"] {
            assert!(
                r.stderr.contains(&format!(
                    "warning: --var {name}=...: `{name}` is a secret in"
                )),
                "{cmd} {name}:\n{}",
                r.stderr
            );
        }
        assert!(!r.stderr.contains("--var user="), "{cmd}:\n{}", r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        for v in ["Argv-Auth-Pw1", "Argv-Listed-2"] {
            assert!(!all.contains(v), "{cmd}: {v:?} printed:\n{all}");
        }
    }
}

/// `probe` against a server that echoes the password in every reply, raw, in base64, as the
/// AUTH PLAIN blob and split across lines: the plan it writes holds no piece of it, and
/// playing that plan (with every output on) shows none either.
#[test]
fn probe_writes_no_form_of_an_echoed_password() {
    let user = "user1@example.test";
    let certs = certs::Certs::generate();
    let ca = certs.ca_file.to_str().unwrap().to_owned();
    for password in ["quo\"te'Sq-1/+x", "pässwörd-ß-日本語", "P@$$w0rd-${x}-$5"] {
        let server = EchoServer::start(&certs, password, user);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let plan_path = out.join("probed.yaml");
        let target = format!("127.0.0.1:{}", server.port);
        let r = run(smtp_plan(&[
            "probe",
            &target,
            "--tls",
            "starttls",
            "--ca-file",
            &ca,
            "--user",
            user,
            "--password-env",
            "PROBE_ECHO_PW",
            "--rcpt",
            "rcpt@example.test",
            "-o",
            plan_path.to_str().unwrap(),
        ])
        .env("PROBE_ECHO_PW", password));
        r.assert_code(0);
        let text = std::fs::read_to_string(&plan_path).unwrap();
        // Not vacuous: the server was probed through AUTH, and its echoes were seen.
        assert!(text.contains("535"), "{text}");
        assert!(text.contains("auth:"), "{text}");
        assert!(server.auths() >= 1);
        assert_no_piece("probe", &outputs(&r, &out), password, user, 6);
        // The generated plan, played against the same server with every output on.
        let mut args = vec!["run", plan_path.to_str().unwrap()];
        let every = every_output(&out);
        args.extend(every.iter().map(String::as_str));
        let played = run(smtp_plan(&args)
            .env("PROBE_ECHO_PW", password)
            .env("GITHUB_ACTIONS", "true"));
        played.assert_code(0);
        assert!(
            played.stdout.contains("S: 535-plain ***"),
            "{}",
            played.stdout
        );
        assert_no_piece("run", &outputs(&played, &out), password, user, 6);
        server.stop();
    }
}

/// A 200 KB secret: refused in a command over a connection without TLS, masked in a 200 KB
/// command line sent over TLS, in the message, in AUTH, and in replies that echo it whole and
/// split across some 30 lines, in clear, base64 and hex; every output on; without a hang.
#[test]
fn a_200_kb_secret_is_masked_everywhere() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let big: String = (0..200_000)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    [(x >> 58) as usize % 62],
            )
        })
        .collect();
    let user = "big@example.test";
    let certs = certs::Certs::generate();
    let server = EchoServer::start(&certs, &big, user);
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("big.txt");
    std::fs::write(&secret_file, &big).unwrap();
    let text = format!(
        "name: big\ntarget: {{host: 127.0.0.1, port: {}, timeout: 30s, ca_file: {}}}\nvars:\n  user: {user}\nscenarios:\n  - name: big\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - send: 'NOOP ${{big}}'\n        expect: 250\n  - name: over tls\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - ehlo: client.test\n      - send: 'XBIG ${{big}}'\n        expect: 250\n      - mail_from: a@example.test\n      - rcpt_to: b@example.test\n      - data: \"Subject: big\\n\\n${{big}}\\n\"\n      - auth: {{mechanism: PLAIN, username: '${{user}}', password: '${{big}}'}}\n        expect: 535\n      - noop:\n        expect: {{contains: 'absent ${{big}}'}}\n",
        server.port,
        certs.ca_file.display()
    );
    let path = plan(dir.path(), "big.yaml", &text);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let secret = format!("big={}", secret_file.display());
    let mut args = vec!["run", path.to_str().unwrap(), "--secret-file", &secret];
    let every = every_output(&out);
    args.extend(every.iter().map(String::as_str));
    // Quadratic work on 200 KB would take hours: bounded against a hang, no timing claim.
    let r = run_bounded(smtp_plan(&args).env("GITHUB_ACTIONS", "true"), HANG);
    r.assert_code(1);
    // The first scenario stopped at its guard, before sending; the second sent it over TLS.
    assert!(
        r.stdout
            .contains("over a connection without TLS: nothing was sent"),
        "{}",
        &r.stdout[..r.stdout.len().min(4000)]
    );
    assert!(r.stdout.contains("C: XBIG ***"), "no masked command line");
    assert!(r.stdout.contains("reply text does not contain"));
    assert_eq!(server.lines_of("XBIG"), [(true, "XBIG ".len() + big.len())]);
    assert_eq!(
        server.lines_of("NOOP"),
        [(true, "NOOP".len())],
        "NOOP without TLS"
    );
    assert_no_piece("run", &outputs(&r, &out), &big, user, 32);
    server.stop();
}

/// An IMAP password is secret from load, like an `auth` password: in a `vrfy` before the
/// `mailbox` step, in `doc` (also written literally), and what `mechanism: auto` reports the
/// server offers (an echo there, as the server wrote it) is masked.
#[test]
fn an_imap_password_and_the_offered_mechanisms_show_no_secret() {
    let user = "imap@example.test";
    let certs = certs::Certs::generate();
    let imap_pw = "Imap-S3cret-pw/x";
    let literal = "Lit-Imap-S3cret";
    let login = "Auto-S3cret-pw";
    let server = EchoServer::start(&certs, login, user);
    let dir = tempfile::tempdir().unwrap();
    // Held (bound, not listening) for the whole test: no other process can take the port.
    let (_closed, imap_port) = closed_port();
    let text = format!(
        "name: imap\ntarget: {{host: 127.0.0.1, port: {}, timeout: 10s, ca_file: {}}}\nvars:\n  user: {user}\n  login: '${{env:AUTO_PW}}'\n  imap_pw: '${{env:IMAP_PW}}'\nscenarios:\n  - name: imap\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - starttls\n      - ehlo: client.test\n      - vrfy: 'x${{imap_pw}}'\n      - auth: {{mechanism: auto, username: '${{user}}', password: '${{login}}'}}\n        expect: 535\n      - mailbox:\n          imap: {{host: 127.0.0.1, port: {imap_port}, tls: implicit, username: u, password: '${{imap_pw}}'}}\n          message_id: '<m@x>'\n          within: 1s\n          poll: 500ms\n  - name: literal\n    steps:\n      - mailbox:\n          imap: {{host: 127.0.0.1, port: {imap_port}, tls: implicit, username: u, password: '{literal}'}}\n          message_id: '<m@x>'\n          within: 1s\n          poll: 500ms\n",
        server.port,
        certs.ca_file.display()
    );
    let path = plan(dir.path(), "imap.yaml", &text);
    let p = path.to_str().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let o = |name: &str| out.join(name).to_str().unwrap().to_owned();
    let env = |c: &mut std::process::Command| {
        c.env("IMAP_PW", imap_pw).env("AUTO_PW", login);
    };
    let mut cmd = smtp_plan(&[
        "run",
        p,
        "-v",
        "--junit",
        &o("r.xml"),
        "--junit-steps",
        "--json",
        &o("r.json"),
        "--html",
        &o("r.html"),
    ]);
    env(&mut cmd);
    let r = run_bounded(cmd, HANG);
    r.assert_code(1);
    // Not vacuous: the vrfy went out (masked), and auto reported what the server offers.
    assert!(r.stdout.contains("C: VRFY x***"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("mechanism auto chose AUTH PLAIN (the server offers: PLAIN LOGIN X-***)"),
        "{}",
        r.stdout
    );
    let mut all = outputs(&r, &out);
    let mut doc = smtp_plan(&["doc", p]);
    env(&mut doc);
    let d = run(doc);
    d.assert_code(0);
    assert!(
        d.stdout
            .contains("a password written in the plan (not shown)"),
        "{}",
        d.stdout
    );
    all.push_str(&d.stdout);
    for secret in [imap_pw, literal, login] {
        assert_no_piece("imap", &all, secret, user, 6);
    }
    server.stop();
}

/// A value a `mailbox` step captures under a name a later `auth` step logs in with is secret
/// in that `mailbox` step's own report too: the delivered message in the transcript, the
/// header values its checks quote (JSON `mailbox`, a failure), the JSON `captures` — in every
/// output. The message lies in a Maildir (a password-reset mail the server sent), so nothing
/// before the `mailbox` step knows the value; the second scenario's checks fail and quote it.
#[test]
fn a_mailbox_capture_used_as_a_password_is_hidden_in_its_own_step() {
    let user = "u@example.test";
    let new_pw = "Qz7-Rst!Kw9x";
    let server = Serve::start(&["--user", &format!("{user}:{new_pw}")]);
    let dir = tempfile::tempdir().unwrap();
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.path().join("box").join(sub)).unwrap();
    }
    std::fs::write(
        dir.path().join("box/new/1.eml"),
        format!(
            "Message-ID: <reset@example.test>\r\nFrom: it@example.test\r\nTo: {user}\r\nSubject: password reset\r\nX-New-Password: {new_pw}\r\n\r\nYour new password: {new_pw}\r\n"
        ),
    )
    .unwrap();
    let scenario = |name: &str, body: &str| {
        format!(
            "  - name: {name}\n    steps:\n      - expect: 220\n      - ehlo: client.test\n      - mailbox: {{maildir: box, message_id: '<reset@example.test>', within: 2s, poll: 100ms}}\n        expect:\n          headers:\n            X-New-Password: {{capture: {{newpw: '(.+)'}}}}\n          body: {body}\n      - starttls\n      - ehlo: client.test\n      - auth: {{mechanism: PLAIN, username: '${{user}}', password: '${{newpw}}'}}\n      - quit\n"
        )
    };
    let text = format!(
        "name: reset\ntarget: {{host: 127.0.0.1, port: {}, timeout: 5s, ca_file: {}}}\nvars:\n  user: {user}\nscenarios:\n{}{}",
        server.smtp.port(),
        server.ca.display(),
        scenario(
            "logs in with the new password",
            "{contains: 'new password'}"
        ),
        scenario("the check quotes the header", "{equals: 'something else'}"),
    );
    let path = plan(dir.path(), "reset.yaml", &text);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut args = vec!["run".to_owned(), path.to_str().unwrap().to_owned()];
    args.extend(every_output(&out));
    args.extend([
        "--html".to_owned(),
        out.join("h").to_str().unwrap().to_owned(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_bounded(smtp_plan(&args).env("GITHUB_ACTIONS", "true"), HANG);
    r.assert_code(1);
    // Not vacuous: the first logged in with the captured password, the second quoted the
    // header and the body in its failure.
    for want in [
        "PASS  reset › logs in with the new password",
        "* captured newpw = ***",
        "235 2.7.0 Authentication successful",
        "FAIL  reset › the check quotes the header",
        "the body is \"Your new password: ***",
    ] {
        assert!(r.stdout.contains(want), "{want:?} missing:\n{}", r.stdout);
    }
    let all = outputs(&r, &out);
    assert!(all.contains("X-New-Password"), "{all}");
    assert_no_piece("mailbox capture", &all, new_pw, user, 6);
}
