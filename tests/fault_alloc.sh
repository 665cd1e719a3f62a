#!/bin/sh
# fault_alloc.sh — out of memory at every allocation libloop makes.
#
# Builds tests/alloc_fail.c against $BUILD/lib/libloop.a with
# -Wl,--wrap=malloc,calloc,realloc,strdup,posix_memalign,backtrace_symbols
# (no wrapper inside libloop: the linker routes libloop's own calls to the
# test's allocator) and runs its workload (loop, timers, I/O, call-soon,
# defer, signals, monitor and a client, tasks, a group, a channel, a lock, an
# event, a future, the thread pool, task I/O) once per allocation point:
#  1. the Nth allocation fails, for N = 1, 2, ... until a run allocates less
#     than N times;
#  2. the same with every allocation from the Nth on failing (out of memory
#     for good).
#  3. as 1, recording a schedule (LOOP_RECORD): the recorder's allocations;
#  4. as 1, replaying a clean recording of the workload (LOOP_REPLAY): a
#     failure that changes what the program does is a replay divergence
#     (one line, exit 3), a clean outcome too.
# Every run must end cleanly (see alloc_fail.c): an error from the API or a
# log line, or the results exact; no crash, abort, hang or leak
# (LeakSanitizer checks every run under SANITIZE=address).
# Environment: BUILD (build directory), SANITIZE (as given to make), CC.
set -u
BUILD=${BUILD:-build}
. tests/lib/common.sh
me=fault_alloc
[ -e "$BUILD/lib/libloop.a" ] || fail "$BUILD/lib/libloop.a is missing: run make first"
make_tmp loop-fault-alloc

libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
[ -n "${SANITIZE:-}" ] && libs="-fsanitize=$SANITIZE -fno-omit-frame-pointer $libs"
wrap=-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=posix_memalign,--wrap=backtrace_symbols
# shellcheck disable=SC2086 # libs is a list of options
${CC:-cc} -std=gnu11 -g -Wall -Wextra -Werror -Iinclude -o "$tmp/alloc_fail" tests/alloc_fail.c \
    "$BUILD/lib/libloop.a" "$wrap" $libs || fail "cannot build tests/alloc_fail.c"

# A clean recording of the workload, for the replay mode.
LOOP_RECORD=$tmp/clean.sch "$tmp/alloc_fail" --only 1000000 >"$tmp/clean.out" 2>&1 ||
    fail "the workload does not run cleanly while recording: $(cat "$tmp/clean.out")"

for mode in once persistent record replay; do
    opt=""
    [ $mode = persistent ] && opt=--persistent
    unset LOOP_RECORD LOOP_REPLAY
    [ $mode = record ] && export LOOP_RECORD="$tmp/rec.sch"
    # a failed allocation that changes the path leaves a recorded item that never
    # comes: wait 300 ms for it, not the default 10 s (2.5 min of waiting in all;
    # a divergence is an expected outcome here, not a failure)
    [ $mode = replay ] && export LOOP_REPLAY="$tmp/clean.sch" LOOP_REPLAY_WAIT_MS=300
    # shellcheck disable=SC2086 # opt is empty or one option
    "$tmp/alloc_fail" $opt >"$tmp/$mode.out" 2>"$tmp/$mode.err"
    st=$?
    unset LOOP_RECORD LOOP_REPLAY LOOP_REPLAY_WAIT_MS
    [ $st = 0 ] || fail "$mode: $(grep -v '^    #' "$tmp/$mode.err" | head -n 5) $(cat "$tmp/$mode.out")"
    line=$(grep '^alloc_fail: [0-9]* allocation points' "$tmp/$mode.out") ||
        fail "$mode: no summary: $(cat "$tmp/$mode.out")"
    points=$(echo "$line" | sed 's/^alloc_fail: \([0-9]*\) .*/\1/')
    # the wrap works and the workload reaches every part (48 points at the time of writing)
    [ "$points" -ge 40 ] || fail "$mode: only $points allocation points: is the allocator wrapped?"
    echo "$line" | grep -q ', 0 failed$' || fail "$mode: $line"
    if [ $mode = record ] || [ $mode = replay ]; then
        # the recorder's and replayer's own allocations are points too
        [ "$points" -gt "$once_points" ] ||
            fail "$mode: $points allocation points, no more than without it ($once_points)"
    fi
    [ $mode = once ] && once_points=$points
    api=$(echo "$line" | sed 's/.*: \([0-9]*\) API errors.*/\1/')
    [ "$api" -gt 0 ] || fail "$mode: no failure ever reached the API: $line"
    echo "$me: $line"
done
echo "$me: ok"
