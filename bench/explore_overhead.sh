#!/bin/sh
# explore_overhead.sh — what one loop-replay explore run costs over a plain
# run of the same program: the run under LOOP_EXPLORE (fifo choices, the
# choice-point log) and LOOP_RECORD, as explore makes it, against the
# program alone; interleaved, the median of --runs N (default 21) each.
# Prints `explore_overhead.PROGRAM.plain_us`, `.explore_us` and `.ratio`
# (the goal: ratio <= 1.3). Measure on a quiet machine.
#   sh bench/explore_overhead.sh [--runs N] [PROGRAM...]   (default: race_three race_fixed)
set -u
BUILD=${BUILD:-build}
runs=21
if [ "${1:-}" = "--runs" ]; then
    runs=$2
    shift 2
fi
[ $# -gt 0 ] || set -- "$BUILD/bin/race_three" "$BUILD/bin/race_fixed"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/explore-overhead.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# us PROGRAM [ENV...]: one run's wall time in microseconds
us() {
    prog=$1
    shift
    t0=$(date +%s%N)
    env "$@" "$prog" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

for prog in "$@"; do
    [ -x "$prog" ] || { echo "explore_overhead: $prog is missing" >&2; exit 2; }
    name=${prog##*/}
    : >"$tmp/plain"
    : >"$tmp/explore"
    i=0
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        us "$prog" LOOP_EXPLORE_UNUSED=1 >>"$tmp/plain"
        us "$prog" LOOP_EXPLORE= LOOP_EXPLORE_LOG="$tmp/points" LOOP_RECORD="$tmp/run.sch" >>"$tmp/explore"
    done
    p=$(median <"$tmp/plain")
    e=$(median <"$tmp/explore")
    echo "explore_overhead.$name.plain_us $p us"
    echo "explore_overhead.$name.explore_us $e us"
    awk -v p="$p" -v e="$e" -v n="$name" 'BEGIN { printf "explore_overhead.%s.ratio %.2f x\n", n, e / p }'
done
