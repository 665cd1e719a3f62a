#!/bin/sh
# sessiond_start.sh — tests/lib/sessiond.sh starts its private daemon
# race-free (issue 13, item 15: fault_tracing.sh once read the pid file while
# the new daemon was writing it and got "kill: Illegal number: 374\n5").
#
#  - a pid file is read only when complete: "3745\n" is a pid; "374\n5" (a
#    new write over an older, longer number), "374" (a write in progress),
#    "" and "abc\n" are not;
#  - as root (the pid file is /run/lttng's, the same for every start): a stale
#    pid file naming a live process that is not lttng-sessiond is removed, and
#    SESSIOND_PID is the new daemon's pid, never the stale one (before, the
#    stale pid was taken as soon as the file existed, and the test would have
#    killed that process at exit);
#  - a daemon started again after the previous one was SIGKILLed (as
#    fault_tracing.sh does three times) gets the new pid.
# Run by `make check` (scripts/run-tests) from the repository root.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

for tool in lttng lttng-sessiond; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
make_tmp loop-sessiond-test

# 1. Reading the pid file.
check_pid() { # CONTENT WANT
    printf '%b' "$1" >"$tmp/pidfile"
    got=$(_tl_read_pid "$tmp/pidfile")
    [ "$got" = "$2" ] || fail "pid file \"$1\": read \"$got\", want \"$2\""
}
check_pid '3745\n' 3745
check_pid '374\n5' ''
check_pid '374' ''
check_pid '' ''
check_pid 'abc\n' ''
check_pid '\n' ''
check_pid '12\n\n' ''
_tl_is_sessiond $$ && fail "this shell ($$) taken for an lttng-sessiond"

# 2. A stale pid file naming a live process that is not the daemon (root only:
#    a normal user's pid file lives in the fresh LTTNG_HOME of each start).
sleep 300 &
decoy=$!
at_exit "kill -KILL $decoy 2>/dev/null"
if [ "$(id -u)" = 0 ]; then
    printf '%s\n' "$decoy" >/run/lttng/lttng-sessiond.pid
    # The window, made wide: a daemon that writes its pid file a moment
    # after `lttng-sessiond --daemonize` returned (as a loaded machine can).
    real=$(command -v lttng-sessiond)
    mkdir -p "$tmp/bin"
    cat >"$tmp/bin/lttng-sessiond" <<SHIM
#!/bin/sh
( sleep 0.5; exec "$real" "\$@" ) </dev/null >/dev/null 2>&1 &
exit 0
SHIM
    chmod +x "$tmp/bin/lttng-sessiond"
    PATH=$tmp/bin:$PATH sessiond_start
    [ "$SESSIOND_PID" != "$decoy" ] ||
        fail "the stale pid file's pid $decoy was taken for the new daemon's"
    _tl_is_sessiond "$SESSIOND_PID" || fail "SESSIOND_PID=$SESSIOND_PID is not an lttng-sessiond"
    first=$SESSIOND_PID
    # 3. Killed, then started again: the new pid, from a file written anew.
    kill -KILL "$SESSIOND_PID"
    SESSIOND_PID=""
    while kill -0 "$first" 2>/dev/null; do sleep 0.05; done
    sessiond_start
    [ "$SESSIOND_PID" != "$first" ] || fail "the killed daemon's pid $first was taken again"
    _tl_is_sessiond "$SESSIOND_PID" || fail "SESSIOND_PID=$SESSIOND_PID is not an lttng-sessiond"
    lttng list >/dev/null 2>&1 || fail "the new daemon does not answer"
    sessiond_stop
    kill -0 "$decoy" 2>/dev/null || fail "the decoy process $decoy was killed"
    echo "$me: stale pid file ignored; restarted daemon $first -> new pid; pid file parsing ok"
else
    sessiond_start
    _tl_is_sessiond "$SESSIOND_PID" || fail "SESSIOND_PID=$SESSIOND_PID is not an lttng-sessiond"
    sessiond_stop
    echo "$me: pid file parsing ok; daemon started and stopped (stale-file case needs root)"
fi
