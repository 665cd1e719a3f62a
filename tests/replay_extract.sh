#!/bin/sh
# replay_extract.sh — loop-replay extract builds, from an LTTng trace, the
# schedule that LOOP_RECORD writes for the same run.
#
# Under a private lttng-sessiond (tests/lib/sessiond.sh), each program runs
# once with LOOP_RECORD while loop-trace --blocking traces it; then
#  - `loop-replay extract TRACE` gives a schedule identical to the recorded
#    one (loop-replay diff): fanout (sockets: I/O readiness and revents, tasks,
#    timers) and the race example under chaos (held-back readiness, late
#    timers, reordered tasks);
#    Both hold task I/O records (fanout's connect/write/read/accept, race's
#    reads), built by extract from the task_io events;
#  - the extracted schedule replays the program (named by the trace's
#    procname) to the same schedule again;
#  - the loop_random() seed: a program whose timers and output come from
#    loop_random() (built here) gives an extracted schedule with the
#    recorded seed in its header, which replays it to the same values and
#    the same schedule;
#  - a trace with discarded events is refused with one line (exit 2), and so
#    are a directory without a trace and a --pid that is not in it.
# Run by `make check` from the repository root; BUILD is the build directory.
# Needs root (then a mount namespace) or a normal user; lttng-tools.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

R=$BUILD/bin/loop-replay
T=$BUILD/bin/loop-trace
[ -x "$T" ] || T=$PWD/tools/loop-trace.sh
for f in "$R" "$T" "$BUILD/bin/fanout" "$BUILD/bin/race" "$BUILD/lib/liblooptp.so"; do
    [ -e "$f" ] || fail "$f is missing: run make first"
done
make_tmp loop-replay-extract
sessiond_start
unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS

# trace_and_record NAME ENV... -- PROGRAM ARGS: record and trace one run
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
    "$R" info "$tmp/$name-ext.sch" >"$tmp/$name.info" 2>&1 || fail "$name: info: $(cat "$tmp/$name.info")"
    grep -q '^end: clean (END record)' "$tmp/$name.info" || fail "$name: $(cat "$tmp/$name.info")"
    echo "$me: $name: $(cat "$tmp/$name.diff")"
}

# 1. fanout: sockets, tasks, a group deadline
trace_and_record fanout "$T" --blocking -o "$tmp/fanout-trace" -- \
    "$BUILD/bin/fanout" --tasks 40 --deadline-ms 20000
grep -q "dispatch io .*revents=0x[1-9]" "$tmp/fanout.diff" 2>/dev/null ||
    "$R" dump "$tmp/fanout-ext.sch" | grep -q "dispatch io .*revents=0x[1-9]" ||
    fail "fanout: no I/O dispatch with revents in the schedule"

"$R" info "$tmp/fanout-ext.sch" >"$tmp/fanout.info" 2>&1 || fail "fanout: info: $(cat "$tmp/fanout.info")"
grep -q '^task I/O by op: read [1-9][0-9]* (EAGAIN [0-9]*), write [1-9][0-9]* (EAGAIN [0-9]*), accept [1-9][0-9]* (EAGAIN [0-9]*), connect [1-9][0-9]*' \
    "$tmp/fanout.info" || fail "fanout: the extracted schedule lacks task I/O records: $(cat "$tmp/fanout.info")"

# the extracted schedule replays (the trace names the program by its procname)
"$R" run "$tmp/fanout-ext.sch" >"$tmp/run.out" 2>&1 && fail "run without a command line should refuse a trace's schedule"
grep -q "give the command line after --" "$tmp/run.out" || fail "run: $(cat "$tmp/run.out")"
LOOP_RECORD=$tmp/fanout-again.sch "$R" run "$tmp/fanout-ext.sch" -- \
    "$BUILD/bin/fanout" --tasks 40 --deadline-ms 20000 >"$tmp/run.out" 2>&1 ||
    fail "replaying the extracted schedule failed: $(tail -n 3 "$tmp/run.out")"
"$R" diff "$tmp/fanout.sch" "$tmp/fanout-again.sch" >"$tmp/again.diff" 2>&1 ||
    fail "the replay of the extracted schedule ran another schedule: $(cat "$tmp/again.diff")"

# 2. race under chaos: held-back readiness, late timers, reordered tasks
trace_and_record race-chaos "$T" --blocking -o "$tmp/race-chaos-trace" -- \
    env LOOP_CHAOS=11 "$BUILD/bin/race"

"$R" dump "$tmp/race-chaos-ext.sch" | grep -q '^[0-9]* io       read    task=[0-9]* result=1 (1 byte)$' ||
    fail "race: no task I/O record in the extracted schedule"

# 3. loop_random(): the seed goes from loop_new's event into the header
cat >"$tmp/dice.c" <<'EOF'
/* dice: five timers due after loop_random() delays; prints the draws */
#include <stdio.h>

#include <loop.h>

static int fired;

static void on_timer(loop_timer_t *t)
{
    fired++;
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t t[5];

    if (loop == NULL) {
        return 1;
    }
    for (int i = 0; i < 5; i++) {
        uint64_t ms = loop_random(loop) % 20;
        printf("dice %d: %llu ms\n", i, (unsigned long long)ms);
        loop_timer_init(loop, &t[i]);
        loop_timer_start(&t[i], on_timer, ms, 0);
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    if (loop_close(loop) != 0 || fired != 5) {
        return 1;
    }
    return 0;
}
EOF
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
san=""
[ -n "${SANITIZE:-}" ] && san="-fsanitize=$SANITIZE -fno-omit-frame-pointer"
# shellcheck disable=SC2086 # lists of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude $san -rdynamic -o "$tmp/dice" "$tmp/dice.c" \
    "$BUILD/lib/libloop.a" $san $libs || fail "cannot build the dice program"
trace_and_record dice "$T" --blocking -o "$tmp/dice-trace" -- \
    env LOOP_TRACE_PROBE="$BUILD/lib/liblooptp.so" "$tmp/dice"
seed=$("$R" info "$tmp/dice.sch" | sed -n 's/^random seed: //p')
"$R" info "$tmp/dice-ext.sch" | grep -q "^random seed: $seed\$" ||
    fail "dice: the extracted header's seed is not the recorded $seed: $("$R" info "$tmp/dice-ext.sch")"
[ "$seed" != 0x0000000000000000 ] || fail "dice: a zero seed"
grep '^dice' "$tmp/dice.out" >"$tmp/dice.want"
LOOP_RECORD=$tmp/dice-again.sch "$R" run "$tmp/dice-ext.sch" -- "$tmp/dice" >"$tmp/dice-run.out" 2>&1 ||
    fail "dice: replaying the extracted schedule failed: $(cat "$tmp/dice-run.out")"
grep '^dice' "$tmp/dice-run.out" | cmp -s - "$tmp/dice.want" ||
    fail "dice: other draws in the replay: $(cat "$tmp/dice-run.out") vs $(cat "$tmp/dice.want")"
"$R" diff "$tmp/dice.sch" "$tmp/dice-again.sch" >"$tmp/dice-again.diff" 2>&1 ||
    fail "dice: the replay of the extracted schedule ran another schedule: $(cat "$tmp/dice-again.diff")"
grep -q 'seeds differ' "$tmp/dice-again.diff" && fail "dice: $(cat "$tmp/dice-again.diff")"
echo "$me: dice: seed $seed carried by extract; the replay drew the same: $(tr '\n' ' ' <"$tmp/dice.want")"

# 4. refused: lost events, no trace, a pid not in the trace
"$T" --subbuf-size 4096 --num-subbuf 2 -o "$tmp/lossy-trace" -- \
    "$BUILD/bin/fanout" --tasks 3000 --deadline-ms 60000 >"$tmp/lossy.out" 2>&1
if grep -q "discarded" "$tmp/lossy.out"; then
    "$R" extract "$tmp/lossy-trace" -o "$tmp/lossy.sch" >"$tmp/lossy.ext" 2>&1
    rc=$?
    [ $rc = 2 ] || fail "a trace with discarded events: extract exited $rc: $(cat "$tmp/lossy.ext")"
    [ "$(wc -l <"$tmp/lossy.ext")" = 1 ] || fail "lossy: not one line: $(cat "$tmp/lossy.ext")"
    grep -q "lost [0-9]* events (discarded by LTTng)" "$tmp/lossy.ext" || fail "lossy: $(cat "$tmp/lossy.ext")"
    [ -e "$tmp/lossy.sch" ] && fail "lossy: a schedule was left behind"
    echo "$me: lossy trace refused: $(cat "$tmp/lossy.ext")"
else
    note "could not make LTTng discard events with 2 x 4 KiB buffers; the refusal is not tested"
fi
mkdir "$tmp/empty"
"$R" extract "$tmp/empty" -o "$tmp/x.sch" >"$tmp/x.out" 2>&1
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$tmp/x.out")" = 1 ] || fail "no trace: exit $rc: $(cat "$tmp/x.out")"
"$R" extract "$tmp/fanout-trace" --pid 1 -o "$tmp/x.sch" >"$tmp/x.out" 2>&1
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$tmp/x.out")" = 1 ] || fail "--pid 1: exit $rc: $(cat "$tmp/x.out")"
echo "$me: ok"
