//! `cargo bench --bench parallel`: 200 scenarios against the built-in server, sequential vs
//! `--jobs 16`, with a 10 ms delay before every reply (a server across a WAN, where
//! parallelism pays); and the start-up time of the binary (`check` on the seed plan).
//! Prints a table; numbers go into the issue notes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smtp-plan");
const SCENARIOS: usize = 200;

fn plan() -> String {
    let mut text = String::from("name: bench\ntarget: {timeout: 10s}\nscenarios:\n");
    for i in 0..SCENARIOS {
        text.push_str(&format!(
            "  - name: scenario {i}\n    steps:\n      - expect: 220\n      - ehlo: bench.test\n      - mail_from: a{i}@bench.test\n      - rcpt_to: b@bench.test\n      - quit\n"
        ));
    }
    text
}

fn time_run(args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(BIN).args(args).output().unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    took
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.yaml");
    std::fs::write(&path, plan()).unwrap();
    let mut server = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--allow-anonymous",
            "--reply-delay",
            "10ms",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let line = BufReader::new(server.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let addr = line.rsplit(' ').next().unwrap().to_owned();
    let plan = path.to_str().unwrap();

    println!(
        "{SCENARIOS} scenarios x 5 replies, 10 ms before each reply, built-in server on loopback"
    );
    println!("{:<12} {:>10}", "jobs", "seconds");
    let mut sequential = Duration::ZERO;
    for jobs in ["1", "4", "16", "64"] {
        // best of three (one for the slow sequential run)
        let tries = if jobs == "1" { 1 } else { 3 };
        let best = (0..tries)
            .map(|_| time_run(&["run", plan, "--target", &addr, "--jobs", jobs, "--quiet"]))
            .min()
            .unwrap();
        if jobs == "1" {
            sequential = best;
        }
        println!(
            "{:<12} {:>10.3}   {:>5.1}% of sequential",
            jobs,
            best.as_secs_f64(),
            100.0 * best.as_secs_f64() / sequential.as_secs_f64()
        );
    }
    let _ = server.kill();
    let _ = server.wait();

    let repo = env!("CARGO_MANIFEST_DIR");
    let seed = format!("{repo}/scenarios/exchange.yaml");
    let mut startup: Vec<Duration> = (0..21)
        .map(|_| {
            let started = Instant::now();
            let ok = Command::new(BIN)
                .args(["check", &seed, "--var", "password=x"])
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok);
            started.elapsed()
        })
        .collect();
    startup.sort();
    println!(
        "start-up: `smtp-plan check scenarios/exchange.yaml`, median of 21: {:.1} ms",
        startup[10].as_secs_f64() * 1000.0
    );
}
