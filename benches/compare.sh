#!/usr/bin/env bash
# smtp-plan side by side with swaks and Python's smtplib on a real Postfix, and the figures of
# the performance goals (README "Performance"). Prints tables of medians, ratios and peak RSS.
#
#   benches/compare.sh [ROUNDS]        # default 21 rounds for the one-conversation table
#
# SMTP_PLAN_BIN runs another smtp-plan binary instead of building one; SMTP_PLAN_BASELINE_BIN
# adds a second one ("before") to the one-conversation and loading tables, interleaved with the
# first, for a before/after comparison on a busy machine.
#
# Installs what it needs from Debian packages if missing (swaks, python3, GNU time, and the test servers'
# packages through tests/servers/install.sh), builds the release binary, starts a private
# Postfix + Dovecot (tests/servers/up.sh) on its own port base (COMPARE_PORT_BASE, default
# 29100) with the message size limit raised for the 100 MB message, and stops it at the end.
# Needs root (Postfix). Every command is checked to succeed: a failed run is no figure.
#
# The conversation, for all three clients: EHLO, STARTTLS (the certificate verified against the
# test CA), EHLO, AUTH LOGIN, MAIL, RCPT, DATA, QUIT, on the submission port.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-21}
BASE=${COMPARE_PORT_BASE:-29100}
RUN=$ROOT/.run/compare
HERE=$ROOT/benches/compare

need=()
command -v swaks >/dev/null || need+=(swaks)
command -v python3 >/dev/null || need+=(python3)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    echo "compare.sh: installing ${need[*]}" >&2
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v postfix >/dev/null && command -v dovecot >/dev/null || "$ROOT/tests/servers/install.sh"

BIN=${SMTP_PLAN_BIN:-}
if [ -z "$BIN" ]; then
    (cd "$ROOT" && cargo build --release --quiet --bin smtp-plan)
    BIN=$ROOT/target/release/smtp-plan
fi

mkdir -p "$RUN"
SERVERS=$RUN/servers
cleanup() {
    # `wait` returns the killed server's status (143): under `set -e` that would be the exit
    # status of the whole run, whose figures are fine.
    if [ -n "${SERVE_PID:-}" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    "$ROOT/tests/servers/down.sh" "$SERVERS" >/dev/null 2>&1 || true
    # Every 100 MB message Postfix delivered (about 1.2 GB a run): not worth keeping.
    rm -rf "$SERVERS/maildir"
}
trap cleanup EXIT
SMTP_PLAN_PORT_BASE=$BASE "$ROOT/tests/servers/up.sh" "$SERVERS" >/dev/null
# shellcheck disable=SC1091
source "$SERVERS/env"
# The 100 MB message must be accepted (the default limit is 10 MB).
postconf -c "$SERVERS/postfix-conf" -e message_size_limit=0 virtual_mailbox_limit=0 mailbox_size_limit=0
postfix -c "$SERVERS/postfix-conf" reload >/dev/null 2>&1

HOST=$SMTP_PLAN_POSTFIX_HOST
PORT=$SMTP_PLAN_POSTFIX_SUBMISSION_PORT
CA=$SMTP_PLAN_POSTFIX_CA
USER1=$SMTP_PLAN_POSTFIX_USER
PASS1=$SMTP_PLAN_POSTFIX_PASSWORD
RCPT=$SMTP_PLAN_POSTFIX_USER2
export SMTP_PLAN_POSTFIX_PASSWORD

# The plans: N scenarios of the conversation; the 100 MB message sent by 1 and by 5 scenarios;
# 10,000 scenarios for `check`.
plan() { # N [DATA] > plan
    local n=$1 data=${2:-'"Subject: compare\n\nsmtp-plan\n"'}
    cat <<EOF
name: compare
target: {host: $HOST, port: $PORT, ca_file: $CA, timeout: 60s}
vars: {user: $USER1, password: '\${env:SMTP_PLAN_POSTFIX_PASSWORD}', rcpt: $RCPT}
secrets: [password]
scenarios:
EOF
    for i in $(seq "$n"); do
        cat <<EOF
  - name: conversation $i
    steps:
      - expect: 220
      - ehlo: client.example.test
      - starttls
      - ehlo: client.example.test
      - auth: {mechanism: LOGIN, username: '\${user}', password: '\${password}'}
        expect: 235
      - mail_from: \${user}
      - rcpt_to: \${rcpt}
      - data: $data
      - quit
EOF
    done
}
plan 1 >"$RUN/one.yaml"
plan 20 >"$RUN/twenty.yaml"
head -c $((100 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 76 |
    sed '1i Subject: 100 MB\n' >"$RUN/big.eml"
plan 1 "{file: big.eml}" >"$RUN/big1.yaml"
plan 5 "{file: big.eml}" >"$RUN/big5.yaml"
plan 1 "{file: big.eml}" | sed 's/      - data: {file: big.eml}/      - bdat: {file: big.eml}/' >"$RUN/bdat1.yaml"
grep -q 'bdat: {file: big.eml}' "$RUN/bdat1.yaml"
# 10,000 scenarios: in one file, and in 10 files of 1,000.
rm -rf "$RUN/many" && mkdir -p "$RUN/many"
python3 - "$RUN/many" "$RUN/one10k.yaml" <<'EOF'
import sys
def scenarios(f, name, n):
    f.write(f"name: {name}\ntarget: {{host: 127.0.0.1, port: 25}}\nscenarios:\n")
    for i in range(n):
        f.write(f"  - name: scenario {i}\n    steps:\n      - expect: 220\n"
                f"      - ehlo: client.example.test\n      - mail_from: a{i}@example.test\n"
                f"      - rcpt_to: b@example.test\n      - data: \"Subject: {i}\\n\\nhello\\n\"\n"
                "      - quit\n")
for k in range(10):
    with open(f"{sys.argv[1]}/part{k}.yaml", "w") as f:
        scenarios(f, f"many {k}", 1000)
with open(sys.argv[2], "w") as f:
    scenarios(f, "many", 10000)
EOF

# The built-in server, for the post-STARTTLS figure against a second implementation.
"$BIN" serve --listen 127.0.0.1:$((BASE + 90)) --allow-anonymous --write-ca "$RUN/builtin-ca.pem" \
    >"$RUN/serve.out" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do grep -q "STARTTLS on" "$RUN/serve.out" 2>/dev/null && break; sleep 0.05; done
cat >"$RUN/builtin.yaml" <<EOF
name: builtin
target: {host: 127.0.0.1, port: $((BASE + 90)), ca_file: $RUN/builtin-ca.pem, timeout: 10s}
scenarios:
  - name: conversation
    steps:
      - expect: 220
      - ehlo: client.example.test
      - starttls
      - ehlo: client.example.test
      - mail_from: a@example.test
      - rcpt_to: b@example.test
      - data: "Subject: compare\n\nsmtp-plan\n"
      - quit
EOF

SWAKS=(swaks --server "$HOST:$PORT" --from "$USER1" --to "$RCPT" --helo client.example.test
    -tls --tls-verify --tls-ca-path "$CA" -a LOGIN --auth-user "$USER1" --auth-password "$PASS1"
    --body smtp-plan-compare --silent 2)
SMTPLIB=(python3 "$HERE/smtplib_send.py")
ARGS=("$HOST" "$PORT" "$CA" "$USER1" "$PASS1" "$RCPT")

python3 - "$RUN/spec.json" <<EOF
import json, sys
run, bin, before = "$RUN", "$BIN", "${SMTP_PLAN_BASELINE_BIN:-}"
swaks = $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${SWAKS[@]}")
smtplib = $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${SMTPLIB[@]}")
args = $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${ARGS[@]}")
loop = " ".join("'" + a + "'" for a in swaks)
groups = [
  {"title": "One TLS conversation as a whole process", "baseline": "smtp-plan",
   "commands": [
     {"name": "smtp-plan", "argv": [bin, "run", "-q", f"{run}/one.yaml", "--json", f"{run}/one.json"],
      "goal": "<= 15 ms median, <= 10 MB",
      "step_ms": [f"{run}/one.json", 0, 3], "step_label": "EHLO after STARTTLS (ms)",
      "step_goal": "no 40 ms stall"},
     {"name": "swaks", "argv": swaks},
     {"name": "python3 smtplib", "argv": smtplib + ["1"] + args},
   ] + ([{"name": "smtp-plan (baseline)", "argv": [before, "run", "-q", f"{run}/one.yaml"]}] if before else [])},
  {"title": "EHLO after STARTTLS against the built-in server", "baseline": "smtp-plan (built-in server)",
   "commands": [
     {"name": "smtp-plan (built-in server)", "argv": [bin, "run", "-q", f"{run}/builtin.yaml", "--json", f"{run}/builtin.json"],
      "step_ms": [f"{run}/builtin.json", 0, 3], "step_label": "EHLO after STARTTLS (ms)",
      "step_goal": "no 40 ms stall"},
   ]},
  {"title": "20 TLS conversations in one run", "baseline": "smtp-plan", "rounds": max(3, $ROUNDS // 4),
   "commands": [
     {"name": "smtp-plan", "argv": [bin, "run", "-q", f"{run}/twenty.yaml"],
      "goal": "<= smtplib, <= 0.1 x swaks loop"},
     {"name": "python3 smtplib (one process)", "argv": smtplib + ["20"] + args},
     {"name": "swaks (shell loop of 20)", "argv": ["sh", "-c", f"for i in \$(seq 20); do {loop} || exit 1; done"]},
   ]},
  {"title": "A 100 MB message (streamed from the file)", "baseline": "smtp-plan, 1 scenario", "rounds": 2,
   "commands": [
     {"name": "smtp-plan, 1 scenario", "argv": [bin, "run", "-q", f"{run}/big1.yaml"], "goal": "<= 32 MB"},
     {"name": "smtp-plan, 5 scenarios, same file", "argv": [bin, "run", "-q", f"{run}/big5.yaml"], "goal": "<= 32 MB"},
     {"name": "smtp-plan, 1 scenario, BDAT", "argv": [bin, "run", "-q", f"{run}/bdat1.yaml"], "goal": "<= 32 MB"},
   ]},
  {"title": "Loading 10,000 scenarios", "baseline": "smtp-plan check, 10 files", "rounds": 5,
   "commands": [
     {"name": "smtp-plan check, 10 files", "argv": [bin, "check", f"{run}/many"], "goal": "<= 500 ms, <= 40 MB"},
     {"name": "smtp-plan check, 1 file", "argv": [bin, "check", f"{run}/one10k.yaml"], "goal": "<= 500 ms, <= 40 MB"},
   ] + ([{"name": "baseline check, 10 files", "argv": [before, "check", f"{run}/many"]}] if before else [])},
]
json.dump(groups, open(sys.argv[1], "w"))
EOF

echo "smtp-plan $("$BIN" --version | cut -d' ' -f2), $(swaks --version 2>&1 | head -1), $(python3 --version)"
echo "Postfix $(postconf -d -h mail_version) on $HOST:$PORT; $(nproc) cores; $(uname -r)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$HERE/measure.py" "$ROUNDS" "$RUN/spec.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
