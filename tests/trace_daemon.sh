#!/bin/sh
# trace_daemon.sh — `loop-trace` and the session daemon.
#
#  - no session daemon runs: loop-trace starts one (as root: the system one,
#    here inside the test's private mount namespace; as a normal user: the
#    user's, in the test's private LTTNG_HOME), says so in one line with its
#    pid, records the trace, and leaves the daemon running;
#  - with --stop-daemon it stops the daemon it started at exit;
#  - a daemon that was already running is used, not announced, and never
#    stopped, --stop-daemon or not;
#  - lttng present but no daemon and no lttng-sessiond: one clear line, 125.
# Run by `make check` (scripts/run-tests) from the repository root; BUILD is
# the build directory.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

for tool in babeltrace2 lttng lttng-sessiond; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
for f in lib/liblooptp.so bin/loop-trace bin/stall; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done
LT=$BUILD/bin/loop-trace

make_tmp loop-daemon-test
# The same private LTTNG_HOME as sessiond_start would make (as root the
# namespace's private /run/lttng isolates the "system" daemon).
LTTNG_HOME=$tmp/home
export LTTNG_HOME
mkdir -p "$LTTNG_HOME"
lttng list >/dev/null 2>&1 && fail "a session daemon answers before the test started one"

started=""
# shellcheck disable=SC2317 # called at exit
kill_started() {
    for p in $started; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in $started; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$p" 2>/dev/null || true
    done
}
at_exit kill_started

# The pid in "loop-trace: no session daemon was running: started ... (pid N); ..."
started_pid() {
    sed -n 's/^loop-trace: no session daemon was running: started .* (pid \([0-9]*\)); .*/\1/p' "$1"
}

# 1. No daemon: started, announced in one line, left running.
"$LT" -o "$tmp/t1" -- "$BUILD/bin/stall" >/dev/null 2>"$tmp/t1.err"
st=$?
pid=$(started_pid "$tmp/t1.err")
[ -n "$pid" ] && started="$started $pid"
[ $st = 0 ] || fail "loop-trace with no daemon exited $st: $(grep '^loop-trace' "$tmp/t1.err")"
[ -n "$pid" ] || fail "loop-trace did not say it started a session daemon: $(grep '^loop-trace' "$tmp/t1.err")"
[ "$(grep -c 'session daemon' "$tmp/t1.err")" = 1 ] ||
    fail "loop-trace spoke of the daemon in more than one line: $(grep '^loop-trace' "$tmp/t1.err")"
if [ "$(id -u)" = 0 ]; then
    grep -q 'started the system lttng-sessiond' "$tmp/t1.err" ||
        fail "as root loop-trace should start the system daemon: $(grep '^loop-trace' "$tmp/t1.err")"
else
    grep -q "started lttng-sessiond for LTTNG_HOME=$LTTNG_HOME" "$tmp/t1.err" ||
        fail "loop-trace should start the user's daemon: $(grep '^loop-trace' "$tmp/t1.err")"
fi
grep -q "it keeps running (stop it: kill $pid)" "$tmp/t1.err" ||
    fail "loop-trace did not say the daemon keeps running: $(grep '^loop-trace' "$tmp/t1.err")"
kill -0 "$pid" 2>/dev/null || fail "the session daemon $pid did not keep running"
lttng list >/dev/null 2>&1 || fail "the session daemon loop-trace started does not answer"
babeltrace2 "$tmp/t1" 2>/dev/null | grep -q 'libloop:loop_new:' ||
    fail "the trace recorded with the daemon loop-trace started holds no loop_new"

# 2. The daemon is running now: used silently, kept even with --stop-daemon.
"$LT" --stop-daemon -o "$tmp/t2" -- "$BUILD/bin/stall" >/dev/null 2>"$tmp/t2.err"
st=$?
[ $st = 0 ] || fail "loop-trace with a running daemon exited $st: $(grep '^loop-trace' "$tmp/t2.err")"
grep -q 'session daemon' "$tmp/t2.err" &&
    fail "loop-trace spoke of a daemon that was already running: $(grep '^loop-trace' "$tmp/t2.err")"
kill -0 "$pid" 2>/dev/null || fail "loop-trace --stop-daemon stopped a daemon it did not start"
kill_started
started=""
i=0
while lttng list >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -le 50 ] || fail "the session daemon $pid still answers after SIGTERM"
    sleep 0.1
done

# 3. --stop-daemon: started, then stopped at exit.
"$LT" --stop-daemon -o "$tmp/t3" -- "$BUILD/bin/stall" >/dev/null 2>"$tmp/t3.err"
st=$?
pid=$(started_pid "$tmp/t3.err")
[ -n "$pid" ] && started="$started $pid"
[ $st = 0 ] || fail "loop-trace --stop-daemon exited $st: $(grep '^loop-trace' "$tmp/t3.err")"
[ -n "$pid" ] || fail "loop-trace --stop-daemon did not say it started a daemon: $(grep '^loop-trace' "$tmp/t3.err")"
grep -q 'stopped at exit (--stop-daemon)' "$tmp/t3.err" ||
    fail "loop-trace --stop-daemon did not say it stops the daemon: $(grep '^loop-trace' "$tmp/t3.err")"
kill -0 "$pid" 2>/dev/null && fail "loop-trace --stop-daemon left the daemon $pid running"
lttng list >/dev/null 2>&1 && fail "a session daemon still answers after loop-trace --stop-daemon"
[ -d "$tmp/t3/ust" ] || fail "loop-trace --stop-daemon kept no trace"
started=""

# 4. lttng but no lttng-sessiond, and no daemon: one clear line, status 125.
mkdir -p "$tmp/nosessiond"
for c in sh lttng sed grep date ls cat id sleep; do
    p=$(command -v "$c") && ln -s "$p" "$tmp/nosessiond/$c"
done
err=$(PATH="$tmp/nosessiond" "$LT" -- true 2>&1)
st=$?
[ $st = 125 ] || fail "loop-trace without lttng-sessiond exited $st, want 125: $err"
case $err in
    *"lttng-sessiond is not installed"*) ;;
    *) fail "loop-trace without lttng-sessiond said: $err" ;;
esac
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] ||
    fail "loop-trace without lttng-sessiond printed more than one line: $err"

echo "trace_daemon: ok (started and kept, reused, started and stopped, refused without lttng-sessiond)"
