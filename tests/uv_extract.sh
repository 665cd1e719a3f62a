#!/bin/sh
# uv_extract.sh — loop-replay extract of a libuv program's trace gives the
# schedule LOOP_RECORD writes for the same run, stream I/O included, and the
# program replays from it.
#
# Under a private lttng-sessiond (tests/lib/sessiond.sh), each program runs
# once with LOOP_RECORD while loop-trace --blocking traces it; then
#  - `loop-replay extract TRACE` gives a schedule identical to the recorded
#    one (loop-replay diff): examples/uv_echo (a tcp server and client, a
#    timer, a pool job: readiness with its epoll events, the streams' reads,
#    writes and accepts from stream_io events, trace format minor 4) and
#    examples/uv_order in the failing order explore finds (LOOP_EXPLORE=1:1);
#  - the extracted schedule has the stream I/O records (read, write, accept);
#  - uv_echo replays from the extracted schedule (loop-replay run) to the
#    same lines and the same schedule again, and uv_order to its failure
#    (exit 1) in the fifo build, where it never fails unreplayed.
# Run by `make check` from the repository root; BUILD is the build directory.
# Needs root (then a mount namespace) or a normal user; lttng-tools.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

R=$BUILD/bin/loop-replay
T=$BUILD/bin/loop-trace
[ -x "$T" ] || T=$PWD/tools/loop-trace.sh
for f in "$R" "$T" "$BUILD/bin/uv_echo" "$BUILD/bin/uv_order" "$BUILD/lib/liblooptp.so"; do
    [ -e "$f" ] || fail "$f is missing: run make first"
done
for tool in lttng lttng-sessiond; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$me: $tool not found: skipped"; exit 0; }
done
make_tmp uv-extract
sessiond_start
unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS LOOP_CHAOS_ONLY LOOP_CHAOS_LOG LOOP_EXPLORE LOOP_EXPLORE_LOG
port=9133 # not uv_example.sh's 9127, nor the conformance suite's 9123-9125

# trace_and_record NAME ENV... -- PROGRAM ARGS: record and trace one run, extract, compare
trace_and_record() {
    name=$1
    shift
    env LOOP_RECORD="$tmp/$name.sch" "$@" >"$tmp/$name.out" 2>&1
    [ -s "$tmp/$name.sch" ] || fail "$name: no schedule recorded: $(tail -n 5 "$tmp/$name.out")"
    [ -d "$tmp/$name-trace" ] || fail "$name: no trace written: $(tail -n 5 "$tmp/$name.out")"
    grep -q "discarded" "$tmp/$name.out" && fail "$name: the blocking channel lost events"
    "$R" extract "$tmp/$name-trace" -o "$tmp/$name-ext.sch" >"$tmp/$name.ext" 2>&1 ||
        fail "$name: extract: $(cat "$tmp/$name.ext")"
    "$R" diff "$tmp/$name.sch" "$tmp/$name-ext.sch" >"$tmp/$name.diff" 2>&1 ||
        fail "$name: the extracted schedule differs from the recorded one: $(cat "$tmp/$name.diff")"
    grep -q "^identical: [0-9]* records (modes [a-z]* and trace)" "$tmp/$name.diff" ||
        fail "$name: diff says: $(cat "$tmp/$name.diff")"
    "$R" dump "$tmp/$name-ext.sch" >"$tmp/$name.dump" 2>&1 || fail "$name: dump: $(cat "$tmp/$name.dump")"
    echo "$me: $name: $(cat "$tmp/$name.diff")"
}

# 1. uv_echo: tcp streams, readiness, a timer, a pool job
trace_and_record echo "$T" --blocking -o "$tmp/echo-trace" -- "$BUILD/bin/uv_echo" $port 3
grep -q '^done: ok$' "$tmp/echo.out" || fail "uv_echo did not finish: $(cat "$tmp/echo.out")"
for what in 'dispatch io .*revents=0x[1-9]' 'io *read ' 'io *write ' 'io *accept '; do
    grep -q "$what" "$tmp/echo.dump" || fail "echo: the extracted schedule has no '$what' record"
done
grep -v '^libloop\|^loop-trace' "$tmp/echo.out" >"$tmp/echo.want"
LOOP_RECORD=$tmp/echo-again.sch "$R" run "$tmp/echo-ext.sch" -- "$BUILD/bin/uv_echo" $port 3 \
    >"$tmp/echo-run.out" 2>&1 || fail "echo: replaying the extracted schedule failed: $(tail -n 3 "$tmp/echo-run.out")"
grep -v '^libloop\|^loop-replay' "$tmp/echo-run.out" | cmp -s - "$tmp/echo.want" ||
    fail "echo: the replay printed other lines: $(cat "$tmp/echo-run.out")"
"$R" diff "$tmp/echo.sch" "$tmp/echo-again.sch" >"$tmp/again.diff" 2>&1 ||
    fail "echo: the replay of the extracted schedule ran another schedule: $(cat "$tmp/again.diff")"
echo "$me: echo: the extracted schedule replays uv_echo to the recorded schedule ($(grep -c '^ *[0-9]* io  *[a-z]' "$tmp/echo.dump") stream I/O records)"

# 2. uv_order in the order explore finds: the failure replays from the trace
trace_and_record order "$T" --blocking -o "$tmp/order-trace" -- env LOOP_EXPLORE=1:1 "$BUILD/bin/uv_order"
grep -q 'arrived before the configuration' "$tmp/order.out" || fail "order: LOOP_EXPLORE=1:1 did not fail: $(cat "$tmp/order.out")"
grep -q 'io *read .*result=7' "$tmp/order.dump" || fail "order: no read of 7 bytes in the extracted schedule"
"$BUILD/bin/uv_order" >"$tmp/plain.out" 2>&1 || fail "uv_order fails unreplayed: $(cat "$tmp/plain.out")"
"$R" run "$tmp/order-ext.sch" -- "$BUILD/bin/uv_order" >"$tmp/order-run.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "order: the extracted schedule replays to exit $rc, not 1: $(cat "$tmp/order-run.out")"
grep -q 'arrived before the configuration' "$tmp/order-run.out" ||
    fail "order: the replay failed otherwise: $(cat "$tmp/order-run.out")"
echo "$me: order: the failing order replays from the extracted schedule"
echo "$me: ok"
