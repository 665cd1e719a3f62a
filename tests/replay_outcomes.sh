#!/bin/sh
# replay_outcomes.sh — replay notices every outcome that differs from the
# recording, not only the dispatch order (tests/lib/replay_outcomes.c):
#  - a work cancel recorded with a pool of 1 thread (cancel 0, the work
#    -ECANCELED) and replayed with a pool of 2 (cancel -EBUSY): one line
#    naming loop_work_cancel and both results, exit 3; with a pool of 1 it
#    replays silently;
#  - an async wakeup whose 3 sends were coalesced into one callback,
#    replayed with 2 sends (waited for, then one line) or 4 (one line), and
#    with 3 sends of which 2 come 50 ms late (waited for: replays silently);
#  - a loop_run_blocking result recorded as 7, replayed as 8: one line;
#  - a task cancelled from the monitor (loopctl): the replay cancels it at
#    the same step, without a monitor;
#  - a second loop: its own schedule (FILE.2) with its loop_random() seed,
#    replayed to the same values; a changed second loop diverges "of loop 2";
#    a schedule without the second loop's file diverges at its creation.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/common.sh

[ -e "$BUILD/lib/libloop.a" ] || fail "$BUILD/lib/libloop.a is missing: run make first"
command -v cc >/dev/null 2>&1 || fail "cc not found"
make_tmp loop-replay-outcomes

libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
san=""
[ -n "${SANITIZE:-}" ] && san="-fsanitize=$SANITIZE -fno-omit-frame-pointer"
P=$tmp/replay_outcomes
# shellcheck disable=SC2086 # lists of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude $san -o "$P" tests/lib/replay_outcomes.c \
    "$BUILD/lib/libloop.a" $san $libs || fail "cannot build the test program"
unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS LOOP_REPLAY_DIVERGE OUTCOME_EXTRA LOOP_THREADPOOL_SIZE

# expect_diverge WHAT PATTERN: the last run exited 3 with one line matching PATTERN
expect_diverge() {
    [ "$rc" = 3 ] || fail "$1: exit $rc, not 3: $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/err")" = 1 ] || fail "$1: not one line: $(cat "$tmp/err")"
    grep -q "$2" "$tmp/err" || fail "$1: the line does not say '$2': $(cat "$tmp/err")"
}

# 1. a work item's cancel and status
LOOP_THREADPOOL_SIZE=1 LOOP_RECORD=$tmp/c.sch "$P" cancel >"$tmp/out" 2>&1 ||
    fail "cancel recording failed: $(cat "$tmp/out")"
grep -q "^cancel=0 a=0 b=-125$" "$tmp/out" || fail "pool of 1: $(cat "$tmp/out")"
LOOP_THREADPOOL_SIZE=1 LOOP_REPLAY=$tmp/c.sch "$P" cancel >"$tmp/out" 2>"$tmp/err" ||
    fail "cancel replay with a pool of 1 failed: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "a faithful cancel replay printed: $(cat "$tmp/err")"
LOOP_THREADPOOL_SIZE=2 LOOP_REPLAY=$tmp/c.sch "$P" cancel >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_diverge "cancel with a pool of 2" \
    "replay diverged at step [0-9]*: expected loop_work_cancel of kind=work id=[0-9]* .* returning 0, the program got EBUSY instead"
# the program really ran differently: without replay, a pool of 2 gives another outcome
LOOP_THREADPOOL_SIZE=2 "$P" cancel >"$tmp/out" 2>&1 || fail "pool of 2: $(cat "$tmp/out")"
grep -q "^cancel=-16 a=0 b=0$" "$tmp/out" || fail "pool of 2: $(cat "$tmp/out")"

# 2. coalesced async sends
LOOP_RECORD=$tmp/a.sch "$P" coalesce 3 >"$tmp/out" 2>&1 || fail "coalesce recording: $(cat "$tmp/out")"
grep -q "^3 sends, 1 callback(s)$" "$tmp/out" || fail "coalesce: $(cat "$tmp/out")"
"$BUILD/bin/loop-replay" dump "$tmp/a.sch" | grep -q "note *async-sends *id=[0-9]* value=3" ||
    fail "no async-sends note: $("$BUILD/bin/loop-replay" dump "$tmp/a.sch")"
LOOP_REPLAY=$tmp/a.sch "$P" coalesce 3 >"$tmp/out" 2>"$tmp/err" || fail "coalesce replay: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "a faithful coalesce replay printed: $(cat "$tmp/err")"
LOOP_REPLAY_WAIT_MS=200 LOOP_REPLAY=$tmp/a.sch "$P" coalesce 2 >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_diverge "2 sends" "expected one run of kind=async id=[0-9]* .* for 3 loop_async_send calls, the program got 2 instead"
LOOP_REPLAY=$tmp/a.sch "$P" coalesce 4 >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_diverge "4 sends" "for 3 loop_async_send calls, the program got 4 instead"
# sends that come later than recorded are waited for: the same single callback
LOOP_REPLAY=$tmp/a.sch "$P" coalesce-late 3 >"$tmp/out" 2>"$tmp/err" ||
    fail "late sends replay: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "a replay with late sends printed: $(cat "$tmp/err")"
grep -q "^1 callback(s)$" "$tmp/out" || fail "late sends replay: $(cat "$tmp/out")"

# 3. loop_run_blocking's result
LOOP_RECORD=$tmp/b.sch "$P" blocking 7 >"$tmp/out" 2>&1 || fail "blocking recording: $(cat "$tmp/out")"
LOOP_REPLAY=$tmp/b.sch "$P" blocking 7 >"$tmp/out" 2>"$tmp/err" || fail "blocking replay: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "a faithful blocking replay printed: $(cat "$tmp/err")"
LOOP_REPLAY=$tmp/b.sch "$P" blocking 8 >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_diverge "blocking 8" \
    "expected loop_run_blocking in kind=task id=[0-9]* name=\"blocker\" .* with the function's result 7, the program got 8 instead"

# 4. a cancel from the monitor: recorded, and carried out again by the replay
LOOP_MONITOR=1 LOOP_RECORD=$tmp/m.sch "$P" moncancel >"$tmp/m.out" 2>&1 &
pid=$!
i=0
until "$BUILD/bin/loopctl" "$pid" ps 2>/dev/null | grep -q 'name="sleeper" state=waiting'; do
    i=$((i + 1))
    [ $i -lt 200 ] || { kill "$pid"; fail "the monitor never showed the sleeping task"; }
    sleep 0.05
done
"$BUILD/bin/loopctl" "$pid" cancel 1 >/dev/null 2>&1 || { kill "$pid"; fail "loopctl cancel failed"; }
wait "$pid" || fail "moncancel recording: $(cat "$tmp/m.out")"
grep -q "^sleeper: join -125$" "$tmp/m.out" || fail "moncancel: $(cat "$tmp/m.out")"
"$BUILD/bin/loop-replay" dump "$tmp/m.sch" | grep -q "note *monitor-cancel *id=1 value=0" ||
    fail "no monitor-cancel note: $("$BUILD/bin/loop-replay" dump "$tmp/m.sch")"
LOOP_REPLAY_WAIT_MS=3000 LOOP_REPLAY=$tmp/m.sch "$P" moncancel >"$tmp/out" 2>"$tmp/err" ||
    fail "moncancel replay: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "a faithful moncancel replay printed: $(cat "$tmp/err")"
grep -q "^sleeper: join -125$" "$tmp/out" || fail "moncancel replay: $(cat "$tmp/out")"

# 5. a second loop
LOOP_RECORD=$tmp/l.sch "$P" loops >"$tmp/rec.out" 2>&1 || fail "loops recording: $(cat "$tmp/rec.out")"
[ -s "$tmp/l.sch.2" ] || fail "the second loop wrote no schedule $tmp/l.sch.2"
"$BUILD/bin/loop-replay" info "$tmp/l.sch.2" | grep -q "^loop: 2$" || fail "l.sch.2 is not loop 2's"
LOOP_REPLAY=$tmp/l.sch "$P" loops >"$tmp/out" 2>"$tmp/err" || fail "loops replay: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "a faithful loops replay printed: $(cat "$tmp/err")"
cmp -s "$tmp/rec.out" "$tmp/out" ||
    fail "replayed loop_random differs: recorded '$(cat "$tmp/rec.out")', replayed '$(cat "$tmp/out")'"
OUTCOME_EXTRA=1 LOOP_REPLAY=$tmp/l.sch "$P" loops >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_diverge "second loop changed" "replay diverged at step [0-9]* of loop 2: .*name=\"\" site=.*on_extra\|replay diverged at step [0-9]* of loop 2: "
rm -f "$tmp/l.sch.2"
LOOP_REPLAY=$tmp/l.sch "$P" loops >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_diverge "no schedule for loop 2" "replay diverged: the program created loop 2, the recording has no schedule for it"
echo "$me: ok"
