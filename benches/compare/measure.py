#!/usr/bin/env python3
"""Run commands side by side, interleaved, and print medians, ratios and peak memory.

usage: measure.py ROUNDS SPEC.json

SPEC is a list of groups: {"title": ..., "rounds": optional, "baseline": NAME,
"commands": [{"name": ..., "argv": [...], "goal": optional text,
"step_ms": optional [json report path, scenario index, step index]}]}.

Each round runs every command of a group once, the order rotated each round, so that a slow
moment of the machine hits every tool alike. Wall time is measured around the command itself
(spawn to exit, nothing in between); CPU time (user + system, from wait4: the command and every
process it waited for, e.g. the 20 swaks of a shell loop) is the figure least moved by other
load on the machine. Peak RSS comes from separate runs of each command under GNU time, after
the timed rounds (a child of this Python process would count Python's own pages, as the peak
survives exec; for a shell loop it is the largest of the processes it waited for). A command
that fails stops the benchmark: a figure of a failed run means nothing.
"""
import json
import os
import statistics
import subprocess
import sys
import time


RSS_FILE = "/tmp/measure-rss-%d" % os.getpid()
# Runs under GNU time per command for its peak RSS (the largest is shown).
RSS_ROUNDS = 3


def fail(argv, code, err):
    sys.stderr.write(f"command failed ({code}): {' '.join(argv)}\n")
    sys.stderr.write(err.decode(errors="replace")[-3000:])
    sys.exit(1)


def run_timed(argv):
    """Wall and CPU milliseconds of one run of the command, with no wrapper around it."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # stderr is small (failures): read it whole, then reap with the usage.
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        fail(argv, proc.returncode, err)
    return took * 1000.0, (usage.ru_utime + usage.ru_stime) * 1000.0


def run_rss(argv):
    """Peak RSS (MB) of one run of the command, through GNU time (see the module's doc)."""
    wrapped = ["/usr/bin/time", "-f", "%M", "-o", RSS_FILE] + argv
    proc = subprocess.run(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        fail(argv, proc.returncode, proc.stderr)
    with open(RSS_FILE) as f:
        kb = int(f.read().split()[-1])
    return kb / 1024.0


def step_ms(report, scenario, step):
    with open(report) as f:
        data = json.load(f)
    return data["suites"][0]["scenarios"][scenario]["steps"][step]["duration_ms"]


def main():
    rounds = int(sys.argv[1])
    with open(sys.argv[2]) as f:
        groups = json.load(f)
    for group in groups:
        n = group.get("rounds", rounds)
        cmds = group["commands"]
        times = {c["name"]: [] for c in cmds}
        rss = {c["name"]: [] for c in cmds}
        cpu = {c["name"]: [] for c in cmds}
        steps = {c["name"]: [] for c in cmds}
        for r in range(n):
            order = cmds[r % len(cmds):] + cmds[: r % len(cmds)]
            for c in order:
                ms, cpu_ms = run_timed(c["argv"])
                times[c["name"]].append(ms)
                cpu[c["name"]].append(cpu_ms)
                if "step_ms" in c:
                    steps[c["name"]].append(step_ms(*c["step_ms"]))
        for r in range(min(n, RSS_ROUNDS)):
            for c in cmds:
                rss[c["name"]].append(run_rss(c["argv"]))
        base = statistics.median(times[group["baseline"]])
        print(f"\n{group['title']} ({n} rounds, interleaved)")
        print(f"| {'command':<34} | {'median ms':>10} | {'min ms':>8} | {'CPU ms':>8} | {'peak RSS MB':>11} | {'× smtp-plan':>11} | goal")
        print(f"|{'-' * 36}|{'-' * 12}|{'-' * 10}|{'-' * 10}|{'-' * 13}|{'-' * 13}|------")
        for c in cmds:
            t = times[c["name"]]
            med = statistics.median(t)
            print(
                f"| {c['name']:<34} | {med:>10.1f} | {min(t):>8.1f} "
                f"| {statistics.median(cpu[c['name']]):>8.1f} | {max(rss[c['name']]):>11.1f} "
                f"| {med / base:>11.2f} | {c.get('goal', '')}"
            )
            if steps[c["name"]]:
                s = steps[c["name"]]
                print(
                    f"|   {c.get('step_label', 'step'):<32} | {statistics.median(s):>10.2f} "
                    f"| {min(s):>8.2f} | {'':>8} | {'':>11} | {'':>11} | {c.get('step_goal', '')}"
                )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
