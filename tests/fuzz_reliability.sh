#!/bin/sh
# fuzz_reliability.sh — the reliability fuzz targets, a bounded time each in
# `make check`: first every committed corpus input once (the regression
# check: findings stay fixed), then FUZZ_CHECK_SECONDS of fuzzing each
# (default 20) from that corpus.
#   model          loop-analyze's model and reports (tests/fuzz/fuzz_model.c)
#   monitor        the monitor's command parser (tests/fuzz/fuzz_monitor.c)
#   trace_version  the trace reader's version and field checks (tests/fuzz/fuzz_trace_version.c)
# Longer runs: make fuzz FUZZ_TARGETS="model monitor trace_version" FUZZ_SECONDS=3600.
# The targets are clang builds with ASan+UBSan already: skipped (with a
# line) under SANITIZE builds, where they would only run twice.
# Environment: BUILD (build directory), FUZZ_CHECK_SECONDS.
set -u
. tests/lib/common.sh
me=fuzz_reliability
if [ -n "${SANITIZE:-}" ]; then
    echo "$me: skipped under SANITIZE=$SANITIZE (the fuzz targets are sanitized builds of their own)"
    exit 0
fi
command -v clang >/dev/null 2>&1 || fail "clang not found (scripts/install-deps installs it)"
BUILD=${BUILD:-build}
secs=${FUZZ_CHECK_SECONDS:-20}
targets="model monitor trace_version"
log=$(mktemp "${TMPDIR:-/tmp}/loop-fuzz-check.XXXXXX") || fail "mktemp failed"
trap 'rm -f "$log"' EXIT

make --no-print-directory -s BUILD="$BUILD" fuzz-build FUZZ_TARGETS="$targets" >"$log" 2>&1 ||
    fail "cannot build the fuzz targets: $(grep -m 3 -i 'error' "$log")"
for t in $targets; do
    bin=$BUILD/fuzz/fuzz_$t
    "$bin" -runs=0 "tests/fuzz/corpus/$t" >"$log" 2>&1 ||
        fail "$t: a committed corpus input fails: $(grep -m 3 -E 'ERROR|SUMMARY|Assert' "$log")"
    work=$BUILD/fuzz/corpus/$t
    mkdir -p "$work"
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$BUILD/fuzz/crash-$t-" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
    st=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    [ $st = 0 ] || fail "$t: crashed after ${runs:-?} runs: $(grep -m 3 -E 'ERROR|SUMMARY|Assert|Test unit' "$log")"
    echo "$me: $t: $runs inputs in $secs s ($rate/s), $cov, corpus $(ls "$work" | wc -l) + $(ls "tests/fuzz/corpus/$t" | wc -l) committed, no crash"
done
echo "$me: ok"
