#!/bin/sh
# bench/analyze_throughput.sh — loop-analyze's speed and memory against the
# floor: babeltrace2's own counter sink (`-c sink.utils.counter`) reading the
# same trace, and babeltrace2's text output.
#
# usage: bench/analyze_throughput.sh [N [P]]   (after make and make bench-trace)
#
# Captures, with a private session daemon, two traces of the call-soon
# benchmark program (bench/trace_callsoon.c: N and 10 x N dispatches, about
# 3 events each: 3 and 30 million events with the default 330000), each with
# loop-trace's default rotation (a chunk every 2 s) and with --no-rotate (one
# chunk), then times each reader on each trace (wall time, peak RSS from GNU
# time's %M) and prints events per second and the ratios (text output only
# on the rotated pair).
# Then the several-processes case: P (default 3) copies of the program run at
# once, 3 x N dispatches each, under `loop-trace --pid-buffers` (one trace
# directory per process), read by the counter sink, `loop-analyze summary
# --jobs 1` (one graph, one thread) and `--jobs 2` (reader_par.c: a graph and
# a thread per group of directories, merged in the main thread).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$(pwd)/$BUILD/bin
TASKS=${1:-330000}
PROCS=${2:-3}
PROG=$(pwd)/$BUILD/bench-trace/trace_callsoon
[ -x "$PROG" ] || { echo "analyze_throughput: build it first: make bench-trace" >&2; exit 2; }
. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"
tmp=$(mktemp -d /tmp/loop-analyze-bench.XXXXXX)
at_exit "rm -rf '$tmp'"
sessiond_start
for n in "$TASKS" "$((TASKS * 10))"; do
    # loop-trace's default (a chunk every 2 s), and one chunk (--no-rotate):
    # babeltrace2's own memory grows with the chunks of a trace
    "$BIN/loop-trace" --blocking --subbuf-size 8M -o "$tmp/t$n" -- "$PROG" "$n" >/dev/null 2>&1
    "$BIN/loop-trace" --no-rotate --blocking --subbuf-size 8M -o "$tmp/t${n}n" -- "$PROG" "$n" \
        >/dev/null 2>&1
done
multi=""
i=0
while [ $i -lt "$PROCS" ]; do
    multi="$multi '$PROG' $((TASKS * 3)) &"
    i=$((i + 1))
done
"$BIN/loop-trace" --pid-buffers --blocking --subbuf-size 8M -o "$tmp/multi" -- \
    sh -c "$multi wait" >/dev/null 2>&1
sessiond_stop
measure() { # LABEL TRACE COMMAND...: prints "label events seconds peak_kib"
    label=$1
    trace=$2
    shift 2
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || true
    printf '%s %s\n' "$label" "$(cat "$tmp/time")"
}
# row LABEL READER TRACE COMMAND...: time one reader, print its table row. Uses $events;
# the counter sink's rate (the first reader of each trace) becomes $floor.
row() {
    label=$1
    r=$2
    shift
    line=$(measure "$@")
    secs=$(echo "$line" | awk '{print $2}')
    kib=$(echo "$line" | awk '{print $3}')
    rate=$(awk -v e="$events" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? e / s : 0) }')
    [ "$r" = counter ] && floor=$rate
    ratio=$(awk -v a="$rate" -v b="$floor" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$events" "$r" "$secs" "$rate" \
        "$mib" "$ratio"
}
printf '| trace | events | reader | seconds | events/s | peak RSS (MiB) | rate vs counter sink |\n'
printf '|---|---:|---|---:|---:|---:|---:|\n'
for tn in "$TASKS" "$((TASKS * 10))" "${TASKS}n" "$((TASKS * 10))n"; do
    n=${tn%n}
    t="$tmp/t$tn"
    chunks=$(find "$t" -name metadata | wc -l)
    events=$(babeltrace2 "$t" -c sink.utils.counter 2>/dev/null | awk '/ Event messages/ {n = $1} END {print n}')
    floor=""
    readers="counter analyze text"
    [ "$tn" != "$n" ] && readers="counter analyze" # the one-chunk pair: memory against length
    for r in $readers; do
        case $r in
        counter) set -- babeltrace2 "$t" -c sink.utils.counter ;;
        analyze) set -- "$BIN/loop-analyze" summary "$t" ;;
        text) set -- babeltrace2 "$t" ;;
        esac
        row "$n dispatches ($chunks chunk dirs)" "$r" "$t" "$@"
    done
done
t="$tmp/multi"
events=$(babeltrace2 "$t" -c sink.utils.counter 2>/dev/null | awk '/ Event messages/ {n = $1} END {print n}')
dirs=$(find "$t" -name metadata | wc -l)
floor=""
for r in counter analyze-j1 analyze-j2; do
    case $r in
    counter) set -- babeltrace2 "$t" -c sink.utils.counter ;;
    analyze-j1) set -- "$BIN/loop-analyze" summary --jobs 1 "$t" ;;
    analyze-j2) set -- "$BIN/loop-analyze" summary --jobs 2 "$t" ;;
    esac
    row "$PROCS processes x $((TASKS * 3)) dispatches ($dirs trace dirs)" "$r" "$t" "$@"
done
