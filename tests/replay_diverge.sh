#!/bin/sh
# replay_diverge.sh — a program that changed after its recording is caught at
# the right step.
#
# A tiny program (built here) runs a repeating "tick" timer five times; with
# REPLAY_TEST_EXTRA=1 it also starts an "extra" timer due with the first
# tick. Recorded without it, replayed with it:
#  - the replay stops with one line "replay diverged at step N: expected ...,
#    the program ran ... instead" at the step right after the first tick (the
#    extra timer is due there), naming the timer, and exit status 3 — also
#    through `loop-replay run`;
#  - with LOOP_REPLAY_DIVERGE=continue it says so and runs to its end in fifo
#    order (exit 0);
#  - unchanged, the program replays without a word;
#  - a schedule cut short (a killed recorder) replays up to the cut, then
#    diverges there.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/common.sh

R=$BUILD/bin/loop-replay
for f in "$R" "$BUILD/lib/libloop.a"; do
    [ -e "$f" ] || fail "$f is missing: run make first"
done
command -v cc >/dev/null 2>&1 || fail "cc not found"
make_tmp loop-replay-diverge

cat >"$tmp/ticker.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>

#include <loop.h>

static int ticks;

static void on_tick(loop_timer_t *t)
{
    if (++ticks == 5) {
        loop_handle_close(LOOP_HANDLE(t), NULL);
    }
}

static void on_extra(loop_timer_t *t)
{
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t tick, extra;

    if (loop == NULL) {
        return 1;
    }
    loop_timer_init(loop, &tick);
    loop_handle_set_name(LOOP_HANDLE(&tick), "tick");
    loop_timer_start(&tick, on_tick, 2, 2);
    if (getenv("REPLAY_TEST_EXTRA") != NULL) {
        /* the change: one more timer, due with the first tick */
        loop_timer_init(loop, &extra);
        loop_handle_set_name(LOOP_HANDLE(&extra), "extra");
        loop_timer_start(&extra, on_extra, 2, 0);
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    if (loop_close(loop) != 0) {
        return 1;
    }
    printf("ticker: %d ticks\n", ticks);
    return 0;
}
EOF
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
san=""
[ -n "${SANITIZE:-}" ] && san="-fsanitize=$SANITIZE -fno-omit-frame-pointer"
# shellcheck disable=SC2086 # lists of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude $san -o "$tmp/ticker" "$tmp/ticker.c" \
    "$BUILD/lib/libloop.a" $san $libs || fail "cannot build the test program"

unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS LOOP_REPLAY_DIVERGE REPLAY_TEST_EXTRA
"$R" record -o "$tmp/a.sch" -- "$tmp/ticker" >"$tmp/out" 2>&1 || fail "recording failed: $(cat "$tmp/out")"

# unchanged: replays silently
LOOP_REPLAY=$tmp/a.sch "$tmp/ticker" >"$tmp/out" 2>"$tmp/err" || fail "replay failed: $(cat "$tmp/err")"
[ -s "$tmp/err" ] && fail "a faithful replay printed: $(cat "$tmp/err")"
grep -q "5 ticks" "$tmp/out" || fail "replay output: $(cat "$tmp/out")"

# the step right after the first tick's dispatch is where the extra timer runs
first=$("$R" dump "$tmp/a.sch" | awk '$2 == "dispatch" && $3 == "timer" { print $1; exit }')
[ -n "$first" ] || fail "no timer dispatch in the recording: $("$R" dump "$tmp/a.sch")"
want=$((first + 1))

REPLAY_TEST_EXTRA=1 LOOP_REPLAY=$tmp/a.sch "$tmp/ticker" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 3 ] || fail "the changed program's replay exited $rc, not 3: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "not one line: $(cat "$tmp/err")"
grep -q "replay diverged at step $want: expected .*, the program had kind=timer id=[0-9]* name=\"extra\" site=.*ticker.c:[0-9]* (main) due (not in the recording) instead" "$tmp/err" ||
    fail "divergence line (want step $want): $(cat "$tmp/err")"

# the same through loop-replay run
REPLAY_TEST_EXTRA=1 "$R" run "$tmp/a.sch" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 3 ] || fail "loop-replay run exited $rc, not 3: $(cat "$tmp/err")"
grep -q "replay diverged at step $want:" "$tmp/err" || fail "loop-replay run: $(cat "$tmp/err")"

# continue: fifo from there, to the end
REPLAY_TEST_EXTRA=1 LOOP_REPLAY_DIVERGE=continue LOOP_REPLAY=$tmp/a.sch "$tmp/ticker" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || fail "with LOOP_REPLAY_DIVERGE=continue it exited $rc: $(cat "$tmp/err")"
grep -q "replay diverged at step $want:" "$tmp/err" || fail "continue: $(cat "$tmp/err")"
grep -q "continuing in fifo order from step $want" "$tmp/err" || fail "continue: $(cat "$tmp/err")"
grep -q "5 ticks" "$tmp/out" || fail "continue: the program did not run to its end: $(cat "$tmp/out")"

# a schedule cut short replays to the cut, then diverges there
size=$(wc -c <"$tmp/a.sch")
head -c $((size - 12)) "$tmp/a.sch" >"$tmp/cut.sch"
"$R" run "$tmp/cut.sch" -- "$tmp/ticker" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 3 ] || fail "a truncated schedule replayed with exit $rc: $(cat "$tmp/err")"
grep -q "warning: .*cut.sch: schedule is truncated after record" "$tmp/err" ||
    fail "no truncation warning: $(cat "$tmp/err")"
grep -q "replay diverged at step [0-9]*: expected the end of the schedule (the recording was cut short)" "$tmp/err" ||
    fail "truncated: $(cat "$tmp/err")"
echo "$me: ok"
