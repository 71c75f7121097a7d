#!/usr/bin/env bash
# Stop the Postfix + Dovecot pair that tests/servers/up.sh started in RUNDIR.
#
#   tests/servers/down.sh RUNDIR
#
# Stops exactly those processes, found by the pids up.sh recorded (RUNDIR/pids)
# and by the daemons' own pid files in RUNDIR, and only after checking that a
# pid still belongs to this RUNDIR's instance (so a stale, reused pid is never
# killed). Each master gets SIGTERM (for Postfix that is what "postfix stop"
# sends) and its process group is awaited; whatever is still there after a
# bounded wait is killed with SIGKILL. Returns once all of it is gone.
# Servers that tests started for themselves under RUNDIR/own/NAME (tests/servers/hold.sh) are
# stopped the same way first, so that none outlives the run.
# Safe to run when nothing is running; leaves RUNDIR's files in place (logs!).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { echo "down.sh: $*" >&2; }

[ $# -eq 1 ] || { echo "usage: $0 RUNDIR" >&2; exit 2; }
if [ ! -d "$1" ]; then
    log "no such directory: $1 (nothing to stop)"
    exit 0
fi
RUNDIR=$(cd -- "$1" && pwd -P)

PF_CONF=$RUNDIR/postfix-conf
PF_QUEUE=$RUNDIR/postfix-queue
DC_CONF=$RUNDIR/dovecot/dovecot.conf
DC_BASE=$RUNDIR/dovecot-run
STOP_TIMEOUT=${SMTP_PLAN_STOP_TIMEOUT:-10}   # seconds per daemon after SIGTERM before SIGKILL

# recorded NAME: the pid up.sh wrote into RUNDIR/pids for NAME, if any
recorded() {
    [ -f "$RUNDIR/pids" ] && sed -n "s/^$1=\([0-9][0-9]*\)$/\1/p" "$RUNDIR/pids" | head -n1
    return 0
}
# pidfile FILE: the first number in FILE, if any
pidfile() {
    [ -f "$1" ] && awk 'NR == 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$1"
    return 0
}

# is_postfix_master PID: a live Postfix master started with our config dir?
# (postfix -c sets MAIL_CONFIG, which the master keeps in its environment.)
is_postfix_master() {
    local pid=$1
    [ -r "/proc/$pid/environ" ] || return 1
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/lib/postfix/sbin/master ] || return 1
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "MAIL_CONFIG=$PF_CONF"
}
# is_our_dovecot PID: a live dovecot master started with our config file?
is_our_dovecot() {
    local pid=$1
    [ -r "/proc/$pid/cmdline" ] || return 1
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/sbin/dovecot ] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$DC_CONF"
}

# pgid_of PID: its process group (both masters lead their own group/session)
pgid_of() { ps -o pgid= -p "$1" 2>/dev/null | tr -d ' '; }

# group_alive PGID: does any non-zombie process remain in that group?
group_alive() {
    ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

# pid_alive PID: is PID a live process (not a zombie)?
pid_alive() {
    kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]
}

# poll_while SECONDS COMMAND...: run COMMAND every 100 ms for as long as it succeeds (something
# is still there), for at most SECONDS of the clock; fails if it still succeeds then. Polling is
# the only way here: a process that is not our child tells us nothing when it exits.
poll_while() {
    local secs=$1 end
    shift
    end=$(( $(date +%s%N) + secs * 1000000000 ))
    while "$@"; do
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# stop_pid NAME PID: SIGTERM one verified process, wait for it to end, SIGKILL it if it does
# not within STOP_TIMEOUT seconds.
stop_pid() {
    local name=$1 pid=$2
    kill -TERM "$pid" 2>/dev/null || true
    poll_while "$STOP_TIMEOUT" pid_alive "$pid" && return 0
    log "$name (pid $pid) still running ${STOP_TIMEOUT}s after SIGTERM - sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    poll_while 5 pid_alive "$pid" || { log "$name (pid $pid) still running 5s after SIGKILL"; return 1; }
}

# stop_group NAME PID PGID: after the caller asked the verified master PID to
# stop, wait for it to end - with its whole process group when it leads one
# (PGID, taken before it was signalled) - and SIGKILL whatever does not.
stop_group() {
    local name=$1 pid=$2 pgid=$3
    if [ "$pgid" != "$pid" ]; then
        # Not a group leader (unexpected): never signal a group we don't own.
        stop_pid "$name" "$pid"
        return
    fi
    poll_while "$STOP_TIMEOUT" group_alive "$pgid" && return 0
    log "$name (pgid $pgid) still running ${STOP_TIMEOUT}s after SIGTERM - sending SIGKILL"
    kill -KILL -- "-$pgid" 2>/dev/null || true
    poll_while 5 group_alive "$pgid" || { log "$name (pgid $pgid) still running 5s after SIGKILL"; return 1; }
}

# leftovers KIND PGID: live processes still in the process group of a master
# that is already gone (it was SIGKILLed, say) and that verifiably belong to
# this RUNDIR's instance: Postfix daemons carry MAIL_CONFIG=our config dir,
# Dovecot's are named after our instance_name (dovecot-smtp-plan-...).
leftovers() {
    local kind=$1 pgid=$2 pid
    for pid in $(ps -e -o pid=,pgid=,stat= | awk -v g="$pgid" '$2 == g && $3 !~ /^Z/ { print $1 }'); do
        case "$kind:$(readlink "/proc/$pid/exe" 2>/dev/null)" in
            postfix:/usr/lib/postfix/sbin/*)
                tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "MAIL_CONFIG=$PF_CONF" && echo "$pid" ;;
            dovecot:/usr/lib/dovecot/*)
                tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^dovecot-smtp-plan-' && echo "$pid" ;;
        esac
    done
    return 0
}

# kill_leftovers KIND PGID: SIGKILL such orphans and wait (5 s at most) for them
kill_leftovers() {
    local kind=$1 pgid=$2 pids
    mapfile -t pids < <(leftovers "$kind" "$pgid")
    [ "${#pids[@]}" -gt 0 ] || return 0
    log "killing leftover $kind processes of dead master $pgid: ${pids[*]}"
    stopped=$((stopped + 1))
    kill -KILL "${pids[@]}" 2>/dev/null || true
    poll_while 5 any_leftovers "$kind" "$pgid" \
        || { log "leftover $kind processes still running 5s after SIGKILL: $(leftovers "$kind" "$pgid" | xargs)"; return 1; }
}
any_leftovers() { [ -n "$(leftovers "$1" "$2")" ]; }

status=0
stopped=0

# --- servers of the tests' own (hold.sh), one RUNDIR each --------------------
for own in "$RUNDIR"/own/*/; do
    [ -d "$own" ] || continue
    "$HERE/down.sh" "$own" || status=1
done

# --- Postfix --------------------------------------------------------------
pf_pids=$( { recorded postfix; pidfile "$PF_QUEUE/pid/master.pid"; } | sort -u)
for pid in $pf_pids; do
    is_postfix_master "$pid" || { kill_leftovers postfix "$pid" || status=1; continue; }
    log "stopping postfix master (pid $pid)"
    stopped=$((stopped + 1))
    pgid=$(pgid_of "$pid")
    # SIGTERM to the master is exactly what "postfix -c DIR stop" does (see
    # postfix-script), but that polls in 1 s steps; we poll every 100 ms. The
    # master then terminates its children (smtpd, qmgr, ...) itself.
    kill -TERM "$pid" 2>/dev/null || true
    stop_group postfix "$pid" "$pgid" || status=1
done

# --- the Kerberos KDC (tests/servers/kdc.sh) -------------------------------
# is_our_kdc PID: a live krb5kdc started with our kdc.conf (KRB5_KDC_PROFILE)?
is_our_kdc() {
    local pid=$1
    [ -r "/proc/$pid/environ" ] || return 1
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/sbin/krb5kdc ] || return 1
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "KRB5_KDC_PROFILE=$RUNDIR/krb5/kdc.conf"
}
kdc_pids=$( { recorded krb5kdc; pidfile "$RUNDIR/krb5/krb5kdc.pid"; } | sort -u)
for pid in $kdc_pids; do
    is_our_kdc "$pid" || continue
    log "stopping krb5kdc (pid $pid)"
    stopped=$((stopped + 1))
    stop_pid krb5kdc "$pid" || status=1
done

# --- Dovecot --------------------------------------------------------------
dc_pids=$( { recorded dovecot; pidfile "$DC_BASE/master.pid"; } | sort -u)
for pid in $dc_pids; do
    is_our_dovecot "$pid" || { kill_leftovers dovecot "$pid" || status=1; continue; }
    log "stopping dovecot (pid $pid)"
    stopped=$((stopped + 1))
    pgid=$(pgid_of "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    stop_group dovecot "$pid" "$pgid" || status=1
done

if [ "$status" -eq 0 ]; then
    rm -f "$RUNDIR/pids"
    if [ "$stopped" -gt 0 ]; then
        log "stopped (files kept in $RUNDIR)"
    else
        log "nothing was running in $RUNDIR"
    fi
fi
exit "$status"
