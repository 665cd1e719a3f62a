#!/bin/sh
# fault_tracing.sh — capture with LTTng when the session daemon or the traced
# program dies.
#
#  1. The session daemon is killed (SIGKILL, by pid) while loop-trace
#     captures tests/fault_prog.c: the program keeps running to its end,
#     loop-trace says in one line that the daemon is gone, and the stream
#     data written so far is on disk.
#     Known limit (LTTng, reported in docs/reliability.md): a plain session
#     writes the trace's metadata only at stop, so with the daemon gone that
#     directory cannot be decoded; the test prints what babeltrace2 says.
#  2. The same with a session that rotates every 500 ms (lttng
#     enable-rotation --timer): every trace chunk archived before the kill is
#     a complete trace that babeltrace2 reads, with the program's events.
#  3. The traced program is killed with SIGKILL while it also records its
#     schedule (LOOP_RECORD): loop-trace exits with 137 and keeps the trace,
#     which babeltrace2 reads and loop-analyze summarizes; loop-replay info
#     reads the schedule as truncated and counts its records.
# Uses a private lttng-sessiond (tests/lib/sessiond.sh). BUILD is the build
# directory; SANITIZE as given to make.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"
me=fault_tracing

BUILD=${BUILD:-build}
case $BUILD in
    /*) ;;
    *) BUILD=$PWD/$BUILD ;;
esac
for tool in cc babeltrace2 lttng lttng-sessiond; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
for f in lib/libloop.a lib/liblooptp.so bin/loop-trace bin/loop-replay bin/loop-analyze; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/loop-fault-tracing.XXXXXX") || fail "mktemp failed"
at_exit "rm -rf '$tmp'"
mkdir -p "$tmp/bin" "$tmp/lib"
# The program in $tmp/bin finds the probe in ../lib, as build/bin does.
ln -s "$BUILD/lib/liblooptp.so" "$tmp/lib/liblooptp.so"
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
[ -n "${SANITIZE:-}" ] && libs="-fsanitize=$SANITIZE -fno-omit-frame-pointer $libs"
# shellcheck disable=SC2086 # libs is a list of options
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -Iinclude -o "$tmp/bin/fault_prog" tests/fault_prog.c \
    "$BUILD/lib/libloop.a" $libs || fail "cannot build tests/fault_prog.c"
prog=$tmp/bin/fault_prog
# loop-trace preloads liblttng-ust-fork.so before a program it runs through a
# shell, so an ASan runtime cannot come first: let ASan accept that.
case ",${SANITIZE:-}," in
    *,address,*) ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
        export ASAN_OPTIONS ;;
esac
bg_pids=""
at_exit 'for p in $bg_pids; do kill -KILL "$p" 2>/dev/null; done'

# wait_for FILE TEXT: until FILE holds TEXT (10 s at most).
wait_for() {
    _i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        _i=$((_i + 1))
        [ $_i -le 100 ] || fail "no \"$2\" in $1 within 10 s: $(tail -n 3 "$1" 2>/dev/null)"
        sleep 0.1
    done
}

# kill_sessiond: SIGKILL the daemon by pid; its helpers (run-as, consumer
# daemons) must go away by themselves, else they are killed by pid too.
kill_sessiond() {
    _kids=$(ps -o pid= --ppid "$SESSIOND_PID" 2>/dev/null | tr -d ' ')
    _grandkids=""
    for _k in $_kids; do
        _grandkids="$_grandkids $(ps -o pid= --ppid "$_k" 2>/dev/null | tr -d ' ')"
    done
    kill -KILL "$SESSIOND_PID"
    SESSIOND_PID=""
    for _k in $_kids $_grandkids; do
        _i=0
        while kill -0 "$_k" 2>/dev/null && [ $_i -lt 100 ]; do
            sleep 0.1
            _i=$((_i + 1))
        done
        if kill -0 "$_k" 2>/dev/null; then
            note "session daemon helper $_k outlived the daemon by 10 s; killing it"
            kill -KILL "$_k" 2>/dev/null
        fi
    done
}

# 1. loop-trace, daemon killed.
sessiond_start
"$BUILD/bin/loop-trace" -o "$tmp/t1" --subbuf-size 64k --num-subbuf 4 -- "$prog" --ticks 3000 \
    >"$tmp/t1.out" 2>"$tmp/t1.err" &
lt=$!
bg_pids="$lt"
wait_for "$tmp/t1.out" started
sleep 1
kill_sessiond
wait "$lt"
st=$?
bg_pids=""
grep -q 'fault_prog: done 3000 ticks' "$tmp/t1.out" ||
    fail "daemon killed: the program did not run to its end: $(cat "$tmp/t1.out" "$tmp/t1.err")"
grep -q '^loop-trace: .*\(session daemon\|sessiond\)' "$tmp/t1.err" ||
    fail "daemon killed: loop-trace did not say the daemon is gone: $(cat "$tmp/t1.err")"
data=$(find "$tmp/t1" -type f -name 'loop_*' -size +0 2>/dev/null | wc -l)
[ "$data" -gt 0 ] || fail "daemon killed: no stream data reached the disk"
bytes=$(find "$tmp/t1" -type f -name 'loop_*' -exec cat {} + | wc -c)
if events=$(babeltrace2 "$tmp/t1" 2>"$tmp/t1.bt" | grep -c 'libloop:'); then
    t1="babeltrace2 reads $events events"
else
    t1="babeltrace2 cannot decode it: its metadata was never written (known limit, see 2.)"
fi
echo "$me: daemon killed under loop-trace: the program ran to its end (loop-trace exit $st," \
    "\"$(grep -m 1 '^loop-trace:' "$tmp/t1.err")\"); $bytes bytes of stream data on disk; $t1"

# 2. A rotating session, daemon killed: the archived chunks are complete traces.
sessiond_start
lttng create rot --output="$tmp/t2" >/dev/null || fail "lttng create failed"
lttng enable-channel -u -s rot --subbuf-size=64k --num-subbuf=4 loop >/dev/null ||
    fail "lttng enable-channel failed"
lttng enable-event -u -s rot -c loop 'libloop:*' >/dev/null || fail "lttng enable-event failed"
lttng add-context -u -s rot -c loop -t vpid -t vtid -t procname >/dev/null ||
    fail "lttng add-context failed"
lttng enable-rotation -s rot --timer=500ms >/dev/null || fail "lttng enable-rotation failed"
lttng start rot >/dev/null || fail "lttng start failed"
LOOP_TRACE=1 LTTNG_UST_REGISTER_TIMEOUT=-1 "$prog" --ticks 3000 >"$tmp/t2.out" 2>"$tmp/t2.err" &
p=$!
bg_pids="$p"
wait_for "$tmp/t2.out" started
sleep 1.6
kill_sessiond
wait "$p"
st=$?
bg_pids=""
[ $st = 0 ] || fail "rotating session, daemon killed: the program exited $st: $(cat "$tmp/t2.err")"
grep -q 'fault_prog: done 3000 ticks' "$tmp/t2.out" || fail "rotating session: the program did not finish"
chunks=0
events=0
for d in "$tmp/t2"/archives/*; do
    [ -d "$d" ] || continue
    n=$(babeltrace2 "$d" 2>"$tmp/t2.bt" | grep -c 'libloop:') ||
        fail "rotating session: babeltrace2 cannot read the archived chunk $d: $(head -n 2 "$tmp/t2.bt")"
    chunks=$((chunks + 1))
    events=$((events + n))
done
[ $chunks -ge 1 ] || fail "rotating session: no trace chunk was archived before the kill"
[ $events -gt 0 ] || fail "rotating session: the archived chunks hold no libloop event"
echo "$me: daemon killed, rotating session: $chunks archived chunks readable, $events events;" \
    "only the chunk being written at the kill is lost"

# 3. The traced program killed with SIGKILL while recording its schedule.
sessiond_start
"$BUILD/bin/loop-trace" -o "$tmp/t3" -- env LOOP_RECORD="$tmp/t3.sched" "$prog" --forever \
    >"$tmp/t3.out" 2>"$tmp/t3.err" &
lt=$!
bg_pids="$lt"
wait_for "$tmp/t3.out" started
pid=$(sed -n 's/.*started pid \([0-9]*\).*/\1/p' "$tmp/t3.out")
bg_pids="$lt $pid"
sleep 1
kill -KILL "$pid"
wait "$lt"
st=$?
bg_pids=""
[ $st = 137 ] || fail "SIGKILL: loop-trace exited $st, want the program's 137: $(cat "$tmp/t3.err")"
babeltrace2 "$tmp/t3" >"$tmp/t3.txt" 2>"$tmp/t3.bt" ||
    fail "SIGKILL: babeltrace2 cannot read the trace: $(head -n 3 "$tmp/t3.bt")"
events=$(grep -c 'libloop:' "$tmp/t3.txt")
[ "$events" -gt 1000 ] || fail "SIGKILL: the trace holds only $events libloop events"
grep -q 'libloop:loop_new:' "$tmp/t3.txt" || fail "SIGKILL: the trace lost its first event"
"$BUILD/bin/loop-analyze" summary "$tmp/t3" >"$tmp/t3.sum" 2>&1 ||
    fail "SIGKILL: loop-analyze summary: $(head -n 3 "$tmp/t3.sum")"
"$BUILD/bin/loop-replay" info "$tmp/t3.sched" >"$tmp/t3.info" 2>&1
grep -q '^end: truncated after record [1-9]' "$tmp/t3.info" ||
    fail "SIGKILL: loop-replay info: $(tail -n 3 "$tmp/t3.info")"
records=$(sed -n 's/^records: \([0-9]*\).*/\1/p' "$tmp/t3.info")
echo "$me: SIGKILL under loop-trace while recording: exit 137 passed on; $events events read by" \
    "babeltrace2 and loop-analyze; the schedule truncated with $records records"
echo "$me: ok"
