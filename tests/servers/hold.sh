#!/usr/bin/env bash
# Servers of a test's own that never outlive it: start a Postfix + Dovecot + KDC in RUNDIR
# (up.sh), hold them while standard input stays open, and stop them (down.sh) once it ends.
#
#   tests/servers/hold.sh RUNDIR    (SMTP_PLAN_PORT_BASE etc. as for up.sh)
#
# Standard input is a pipe from the test process, which never writes to it: it ends when the
# test closes it (tests/common/own_servers.rs does, on drop) or when the test process ends in
# any way - returning, panicking, Ctrl-C, a CI timeout, even SIGKILL, since the kernel closes
# the descriptors of a dead process. Up and down run one after the other in this one process,
# so a test killed while up.sh still runs gets its servers stopped right after they came up.
#
# Prints one line once up.sh is done: `up 0` (RUNDIR/env is written) or `up STATUS` (up.sh
# failed and stopped what it had started; its output is in RUNDIR/up.log, then this exits with
# STATUS). down.sh's output goes to RUNDIR/down.log, followed by a line `down STATUS`; that is
# also this script's exit status. The caller should start it in a process group of its own, so
# that a Ctrl-C or a timeout's signal to the test's group cannot cut the stopping short.
# RUNDIR should live under the run's servers directory (RUNDIR/own/NAME of up.sh's RUNDIR):
# down.sh and up.sh of that directory then stop and remove it too, should this script itself
# have been killed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 RUNDIR" >&2; exit 2; }
RUNDIR=$1
mkdir -p -- "$RUNDIR" || exit 1

"$HERE/up.sh" "$RUNDIR" >"$RUNDIR/up.log" 2>&1
status=$?
# The test may already be gone; then nobody reads this line, and its SIGPIPE must not stop us.
trap '' PIPE
echo "up $status" 2>/dev/null
trap - PIPE
[ "$status" -eq 0 ] || exit "$status"

# Block until standard input ends; nothing is ever written to it.
cat >/dev/null

"$HERE/down.sh" "$RUNDIR" >>"$RUNDIR/down.log" 2>&1
status=$?
echo "down $status" >>"$RUNDIR/down.log"
exit "$status"
