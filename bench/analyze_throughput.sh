#!/bin/sh
# bench/analyze_throughput.sh — loop-analyze's speed and memory against the
# floor: babeltrace2's own counter sink (`-c sink.utils.counter`) reading the
# same trace, and babeltrace2's text output.
#
# usage: bench/analyze_throughput.sh [N]   (after make and make bench-trace)
#
# Captures, with a private session daemon, two traces of the call-soon
# benchmark program (bench/trace_callsoon.c: N and 10 x N dispatches, about
# 3 events each: 1 and 10 million events with the default 330000), then times
# each reader on each trace (wall time, peak RSS from GNU time's %M) and
# prints events per second and the ratios.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$(pwd)/$BUILD/bin
TASKS=${1:-330000}
PROG=$(pwd)/$BUILD/bench-trace/trace_callsoon
[ -x "$PROG" ] || { echo "analyze_throughput: build it first: make bench-trace" >&2; exit 2; }
. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"
tmp=$(mktemp -d /tmp/loop-analyze-bench.XXXXXX)
at_exit "rm -rf '$tmp'"
sessiond_start
for n in "$TASKS" "$((TASKS * 10))"; do
    "$BIN/loop-trace" --blocking --subbuf-size 8M -o "$tmp/t$n" -- "$PROG" "$n" >/dev/null 2>&1
done
sessiond_stop
measure() { # LABEL TRACE COMMAND...: prints "label events seconds peak_kib"
    label=$1
    trace=$2
    shift 2
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || true
    printf '%s %s\n' "$label" "$(cat "$tmp/time")"
}
printf '| trace | events | reader | seconds | events/s | peak RSS (MiB) | rate vs counter sink |\n'
printf '|---|---:|---|---:|---:|---:|---:|\n'
for n in "$TASKS" "$((TASKS * 10))"; do
    t="$tmp/t$n"
    events=$(babeltrace2 "$t" -c sink.utils.counter 2>/dev/null | awk '/ Event messages/ {n = $1} END {print n}')
    floor=""
    for r in counter analyze text; do
        case $r in
        counter) set -- babeltrace2 "$t" -c sink.utils.counter ;;
        analyze) set -- "$BIN/loop-analyze" summary "$t" ;;
        text) set -- babeltrace2 "$t" ;;
        esac
        line=$(measure "$r" "$t" "$@")
        secs=$(echo "$line" | awk '{print $2}')
        kib=$(echo "$line" | awk '{print $3}')
        rate=$(awk -v e="$events" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? e / s : 0) }')
        [ "$r" = counter ] && floor=$rate
        ratio=$(awk -v a="$rate" -v b="$floor" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
        printf '| %s dispatches | %s | %s | %s | %s | %s | %s |\n' "$n" "$events" "$r" "$secs" "$rate" "$mib" "$ratio"
    done
done
