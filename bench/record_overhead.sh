#!/bin/sh
# bench/record_overhead.sh — what recording a schedule (LOOP_RECORD) costs,
# how small the schedule is, and how fast it replays.
#
# usage: bench/record_overhead.sh [--runs N] [--scale S]
#
# Builds $BUILD/bench/{callsoon,timers,pingpong}_libloop and loop-replay,
# then runs each program N times (default 5), interleaved (run 1 of every
# mode, then run 2, ...), in these modes:
#   fifo      as is
#   record    LOOP_RECORD=FILE (zstd level 3, flushed every 1 ms of loop time)
#   record19  LOOP_RECORD_LEVEL=19 (callsoon only: level 19 does not keep up)
#   replay    LOOP_REPLAY= the schedule of the record run just before
# and prints the medians as `name value unit` lines, then the ratios the
# issue sets goals for: record/fifo (at most 1.15), replay speed = the
# recorded run's time / the replay's time (at least 0.8; timers replay in
# virtual time, so far faster), and the schedule's bytes per dispatch after
# compression (at most 1 for call-soon, 3 for ping-pong).
#
# Notes: callsoon runs two loops one after the other (callsoon_poll, then
# callsoon_nopoll); LOOP_RECORD records each in turn into the same file, so
# the file (and its replay) is callsoon_nopoll's: callsoon_poll has no replay
# figure. BENCH_SCALE (--scale) multiplies every count (default 1).
# Environment: BUILD (default build).
set -u

cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
runs=5
scale=${BENCH_SCALE:-1}
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --scale) scale=$2; shift 2 ;;
        *) echo "usage: bench/record_overhead.sh [--runs N] [--scale S]" >&2; exit 2 ;;
    esac
done
export BENCH_SCALE=$scale
unset LOOP_RECORD LOOP_REPLAY LOOP_CHAOS LOOP_RECORD_LEVEL LOOP_TRACE

progs="callsoon timers pingpong"
bins=""
for p in $progs; do
    bins="$bins $BUILD/bench/${p}_libloop"
done
# shellcheck disable=SC2086 # a list of targets
make -s $bins "$BUILD/bin/loop-replay" >/dev/null || exit 1
R=$BUILD/bin/loop-replay
out=$(mktemp -d "${TMPDIR:-/tmp}/record-bench.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT

run() { # run PROG MODE: append its metric lines, with MODE, to $out/raw
    prog=$1
    mode=$2
    bin=$BUILD/bench/${prog}_libloop
    case $mode in
        fifo) "$bin" ;;
        record) LOOP_RECORD=$out/$prog.sch "$bin" ;;
        record19) LOOP_RECORD=$out/$prog-19.sch LOOP_RECORD_LEVEL=19 "$bin" ;;
        replay) LOOP_REPLAY=$out/$prog.sch "$bin" ;;
    esac >"$out/one" 2>"$out/err" || {
        echo "record_overhead: $prog ($mode) failed: $(tail -n 2 "$out/err")" >&2
        exit 1
    }
    grep -v '^#' "$out/one" | awk -v m="$mode" 'NF >= 2 { print m, $1, $2, $3 }' >>"$out/raw"
}

i=0
while [ $i -lt "$runs" ]; do
    i=$((i + 1))
    for p in $progs; do
        run "$p" fifo
        run "$p" record
        run "$p" replay
        [ "$p" = callsoon ] && run "$p" record19
    done
done

# medians per mode and metric
awk '
{ key = $1 " " $2; v[key, ++n[key]] = $3; unit[key] = $4 }
END {
    for (k in n) {
        m = n[k]
        for (a = 1; a <= m; a++) x[a] = v[k, a]
        for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (x[b] < x[a]) { t = x[a]; x[a] = x[b]; x[b] = t }
        med = (m % 2) ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
        print k, med, unit[k]
    }
}' "$out/raw" | sort -k2,2 -k1,1 >"$out/med"

echo "# record_overhead: $runs runs per mode, BENCH_SCALE=$scale, $(uname -m), $(nproc) CPUs"
awk '{ printf "%s.%s %s %s\n", $2, $1, $3, $4 }' "$out/med"

get() { # get MODE METRIC
    awk -v m="$1" -v k="$2" '$1 == m && $2 == k { print $3 }' "$out/med"
}
ratio() { # ratio A B: A / B with 3 decimals, n/a when either is missing
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.3f\n", a / b }'
}
for metric in $(awk '$1 == "fifo" { print $2 }' "$out/med"); do
    case $metric in
        *peak_rss*) continue ;;
    esac
    f=$(get fifo "$metric")
    echo "$metric.record_over_fifo $(ratio "$(get record "$metric")" "$f") x"
    r=$(get replay "$metric")
    case $metric in
        callsoon_poll.*) echo "$metric.replay_speed n/a x" ;;
        *) echo "$metric.replay_speed $(ratio "$(get record "$metric")" "$r") x" ;;
    esac
    l19=$(get record19 "$metric")
    [ -n "$l19" ] && echo "$metric.record19_over_fifo $(ratio "$l19" "$f") x"
done
for p in $progs; do
    "$R" info "$out/$p.sch" | awk -v p="$p" '
        /^bytes per dispatch:/ { printf "%s.schedule.bytes_per_dispatch %s bytes\n", p, $4 }
        /^records:/ { printf "%s.schedule.records %s records\n", p, $2 }'
done
"$R" info "$out/callsoon-19.sch" | awk '/^bytes per dispatch:/ { printf "callsoon.schedule_level19.bytes_per_dispatch %s bytes\n", $4 }'
