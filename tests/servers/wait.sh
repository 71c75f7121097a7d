# Waiting for a daemon, for up.sh and kdc.sh (sourced, not run).
#
# wait_line FILE TEXT SECONDS PID: wait until a line of FILE (from its start) contains TEXT.
# `tail -F` follows FILE through inotify, so each write to it wakes the wait at once (nothing
# polls the file); the wait ends after SECONDS at the latest, and as soon as PID - the process
# that is to write the line - has exited (tail --pid looks at it once a second). Returns 0 when
# the line came, 1 otherwise. A missing FILE is created (empty) first: tail follows one that
# does not exist yet only by looking for it once a second.
wait_line() {
    local file=$1 text=$2 secs=$3 pid=$4 fd tailpid line seen=1
    [ -e "$file" ] || : >>"$file"
    exec {fd}< <(exec timeout "$secs" tail -n +1 -F --pid="$pid" -- "$file" 2>/dev/null)
    tailpid=$!
    while IFS= read -r line <&"$fd"; do
        if [[ "$line" == *"$text"* ]]; then
            seen=0
            break
        fi
    done
    exec {fd}<&-
    # timeout passes the TERM on to tail; then both are gone.
    kill "$tailpid" 2>/dev/null || true
    wait "$tailpid" 2>/dev/null || true
    return "$seen"
}
