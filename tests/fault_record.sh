#!/bin/sh
# fault_record.sh — recording a schedule (LOOP_RECORD) when things go wrong.
#
#  1. ENOSPC: LOOP_FAULT="write:50:ENOSPC:forever" makes the 50th write(2)
#     of tests/fault_prog.c (whose only wrapped writes are the recorder's)
#     and every later one fail. The program prints exactly one libloop line
#     naming the file and ENOSPC, runs to its end and exits 0; loop-replay
#     info reads the file as truncated and counts every iteration flushed
#     before the fault (LOOP_RECORD_FLUSH_MS=0: one write per iteration).
#  2. SIGKILL: a recording program killed with SIGKILL after about a second
#     leaves a file that loop-replay info reads as truncated, with the
#     records up to its last flush (LOOP_RECORD_FLUSH_MS default 1 ms: the
#     loop time in the file reaches to within 100 ms of the kill), and
#     LOOP_REPLAY replays it to its last record, then stops with one line
#     saying the recording was cut short (exit 3).
#  3. EINTR on the recorder's writes (LOOP_FAULT="write:1:EINTR:200"): no
#     line at all, and a complete schedule with its END record.
# Environment: BUILD (build directory), SANITIZE (as given to make).
set -u
BUILD=${BUILD:-build}
. tests/lib/common.sh
me=fault_record
for f in lib/libloop.a bin/loop-replay; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done
replay=$BUILD/bin/loop-replay
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loop-fault-record.XXXXXX") || fail "mktemp failed"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
[ -n "${SANITIZE:-}" ] && libs="-fsanitize=$SANITIZE -fno-omit-frame-pointer $libs"
# shellcheck disable=SC2086 # libs is a list of options
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -Iinclude -o "$tmp/fault_prog" tests/fault_prog.c \
    "$BUILD/lib/libloop.a" $libs || fail "cannot build tests/fault_prog.c"
prog=$tmp/fault_prog

# field NAME FILE: the number after "NAME " in loop-replay info's records line.
field() {
    sed -n "s/^records: .*[( ]$1 \([0-9]*\).*/\1/p" "$2"
}

# 1. ENOSPC from the 50th write on.
LOOP_RECORD=$tmp/nospc.sched LOOP_RECORD_FLUSH_MS=0 LOOP_FAULT="write:50:ENOSPC:forever" \
    "$prog" --ticks 300 >"$tmp/nospc.out" 2>"$tmp/nospc.err"
st=$?
[ $st = 0 ] || fail "ENOSPC: the program exited $st: $(cat "$tmp/nospc.err")"
grep -q 'done 300 ticks' "$tmp/nospc.out" || fail "ENOSPC: the program did not run to its end"
[ "$(wc -l <"$tmp/nospc.err")" = 1 ] ||
    fail "ENOSPC: want one line on stderr, got: $(cat "$tmp/nospc.err")"
grep -q "^libloop: .*Recording stopped: cannot write the schedule to $tmp/nospc.sched.*ENOSPC" \
    "$tmp/nospc.err" || fail "ENOSPC: the line does not say what happened: $(cat "$tmp/nospc.err")"
"$replay" info "$tmp/nospc.sched" >"$tmp/nospc.info" 2>"$tmp/nospc.ierr"
grep -q '^end: truncated after record [1-9]' "$tmp/nospc.info" ||
    fail "ENOSPC: loop-replay info does not read a truncated schedule: $(cat "$tmp/nospc.info" "$tmp/nospc.ierr")"
iters=$(field iter "$tmp/nospc.info")
# 49 writes made it: the 2 of the header and 47 flushes, each after one iteration or more.
[ "${iters:-0}" -ge 40 ] && [ "${iters:-0}" -le 60 ] ||
    fail "ENOSPC: $iters iterations in the file, want those of the 47 flushes before the fault"
echo "$me: ENOSPC: one line, the program ran on; the file holds $(sed -n 's/^records: \([0-9]*\).*/\1/p' \
    "$tmp/nospc.info") records ($iters iterations) up to the fault"

# 2. SIGKILL while recording.
LOOP_RECORD=$tmp/kill.sched "$prog" --forever >"$tmp/kill.out" 2>"$tmp/kill.err" &
pid=$!
i=0
until grep -q started "$tmp/kill.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 100 ] || fail "SIGKILL: the program did not start within 10 s"
    sleep 0.1
done
start_ns=$(date +%s%N)
sleep 1
kill -KILL "$pid"
wait "$pid" 2>/dev/null
st=$?
ran_ms=$((($(date +%s%N) - start_ns) / 1000000))
pid=""
[ $st = 137 ] || fail "SIGKILL: the program exited $st, want 137"
"$replay" info "$tmp/kill.sched" >"$tmp/kill.info" 2>"$tmp/kill.ierr"
grep -q '^end: truncated after record [1-9]' "$tmp/kill.info" ||
    fail "SIGKILL: loop-replay info: $(cat "$tmp/kill.info" "$tmp/kill.ierr")"
records=$(sed -n 's/^records: \([0-9]*\).*/\1/p' "$tmp/kill.info")
loop_ms=$(sed -n 's/^loop time: \([0-9]*\).*/\1/p' "$tmp/kill.info")
[ "$(field dispatch "$tmp/kill.info")" -gt 0 ] || fail "SIGKILL: no dispatch records"
# the loop ran from before "started" until the kill: the file covers it but the last flush
[ "${loop_ms:-0}" -ge 900 ] ||
    fail "SIGKILL: the file covers $loop_ms ms of loop time, the program ran $ran_ms ms and flushes every 1 ms"
"$replay" dump "$tmp/kill.sched" >"$tmp/kill.dump" 2>&1
[ "$(grep -c '' "$tmp/kill.dump")" -ge "$records" ] || fail "SIGKILL: loop-replay dump lists fewer records than info counts"
LOOP_REPLAY=$tmp/kill.sched "$prog" --forever >"$tmp/replay.out" 2>"$tmp/replay.err"
st=$?
[ $st = 3 ] || fail "SIGKILL: replaying the cut schedule exited $st, want 3: $(tail -n 3 "$tmp/replay.err")"
grep -q "diverged at step $((records + 1)): expected the end of the schedule (the recording was cut short)" \
    "$tmp/replay.err" || fail "SIGKILL: the replay did not run to the last record: $(tail -n 2 "$tmp/replay.err")"
echo "$me: SIGKILL: $records records ($loop_ms ms of loop time of about $ran_ms ms run) readable," \
    "replayed to the last one"

# 3. EINTR on the recorder's writes.
LOOP_RECORD=$tmp/eintr.sched LOOP_RECORD_FLUSH_MS=0 LOOP_FAULT="write:1:EINTR:200" \
    "$prog" --ticks 300 >"$tmp/eintr.out" 2>"$tmp/eintr.err"
st=$?
[ $st = 0 ] || fail "EINTR: the program exited $st: $(cat "$tmp/eintr.err")"
[ -s "$tmp/eintr.err" ] && fail "EINTR: spurious output: $(cat "$tmp/eintr.err")"
"$replay" info "$tmp/eintr.sched" >"$tmp/eintr.info" 2>&1 ||
    fail "EINTR: loop-replay info: $(cat "$tmp/eintr.info")"
grep -q '^end: clean (END record)' "$tmp/eintr.info" || fail "EINTR: $(tail -n 1 "$tmp/eintr.info")"
echo "$me: EINTR: 200 interrupted writes, a clean schedule of" \
    "$(sed -n 's/^records: \([0-9]*\).*/\1/p' "$tmp/eintr.info") records"
echo "$me: ok"
