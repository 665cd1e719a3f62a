#!/bin/sh
# chaos_repro.sh — a chaos seed reproduces its run: re-run N times (default
# 20; CHAOS_REPRO_N=100 for the issue's figure), it gives the same outcome
# every time.
#  - tests/lib/chaos_busy.c: a ping-pong over pipes beside a call-soon chain
#    that never lets the loop block; its printed digest depends on where the
#    chain stood at every pong, so any readiness held back by real time
#    rather than by iterations changes it. Seeds 1 and 2: N runs each, the
#    same digest and exit status every time, and the same dispatch records
#    (loop-replay dump without the clock values);
#  - tests/lib/chaos_clock.c: timers, a sleeping task, a task that yields
#    until a timer fired and, with --stall 40, callbacks that spin 40 ms of
#    real time (a slow machine): under chaos the loop's clock is virtual, so
#    seeds 1-5 print the same order, iterations and clock readings, and
#    dispatch alike, stalled or not, and the spinning task does not keep the
#    clock still (it finishes); with --signal, a SIGUSR1 that interrupts the
#    loop's epoll_wait is seen before the 300 ms timer the poll waited for;
#  - the race example: the first failing seed that loop-replay chaos finds
#    fails N times out of N when re-run with LOOP_CHAOS alone, and
#    loop-replay minimize works on it with LOOP_CHAOS_LATE_MS=0 in its own
#    environment (it takes the recorded run's parameters from the header).
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/common.sh

R=$BUILD/bin/loop-replay
N=${CHAOS_REPRO_N:-20}
for f in "$R" "$BUILD/bin/race" "$BUILD/lib/libloop.a"; do
    [ -e "$f" ] || fail "$f is missing: run make first"
done
command -v cc >/dev/null 2>&1 || fail "cc not found"
make_tmp loop-chaos-repro
unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS LOOP_CHAOS_ONLY LOOP_CHAOS_LOG LOOP_CHAOS_LATE_MS

libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
san=""
[ -n "${SANITIZE:-}" ] && san="-fsanitize=$SANITIZE -fno-omit-frame-pointer"
# shellcheck disable=SC2086 # lists of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude $san -o "$tmp/busy" tests/lib/chaos_busy.c \
    "$BUILD/lib/libloop.a" $san $libs || fail "cannot build the test program"
# shellcheck disable=SC2086 # lists of options
cc -std=gnu11 -Wall -Wextra -Werror -Iinclude $san -o "$tmp/clock" tests/lib/chaos_clock.c \
    "$BUILD/lib/libloop.a" $san $libs || fail "cannot build the clock test program"

# the dispatch records of a schedule, without its clock values
records() {
    "$R" dump "$1" | grep -v '^#' | sed 's/clock=[0-9]*//; s/([+][^)]*)//' | cut -d' ' -f2-
}

for seed in 1 2; do
    i=0
    while [ $i -lt "$N" ]; do
        i=$((i + 1))
        LOOP_CHAOS=$seed LOOP_RECORD=$tmp/s.sch "$tmp/busy" >"$tmp/out" 2>&1
        echo "exit $?" >>"$tmp/out"
        records "$tmp/s.sch" >"$tmp/rec"
        if [ $i = 1 ]; then
            mv "$tmp/out" "$tmp/first.out"
            mv "$tmp/rec" "$tmp/first.rec"
            continue
        fi
        cmp -s "$tmp/out" "$tmp/first.out" ||
            fail "seed $seed run $i: '$(tr '\n' ' ' <"$tmp/out")', run 1: '$(tr '\n' ' ' <"$tmp/first.out")'"
        cmp -s "$tmp/rec" "$tmp/first.rec" ||
            fail "seed $seed run $i dispatched in another order: $(diff "$tmp/first.rec" "$tmp/rec" | head -n 4 | tr '\n' ' ')"
    done
    echo "$me: busy seed $seed: $N of $N runs alike ($(head -n 1 "$tmp/first.out"), $(tail -n 1 "$tmp/first.out"))" >&2
done

# a slow machine makes a chaos run slower, not different
for seed in 1 2 3 4 5; do
    for stall in 0 40; do
        LOOP_CHAOS=$seed LOOP_RECORD=$tmp/c$stall.sch timeout 60 "$tmp/clock" --stall $stall \
            >"$tmp/c$stall.out" 2>&1
        echo "exit $?" >>"$tmp/c$stall.out"
        grep -q '^spinner saw the 5 ms timer' "$tmp/c$stall.out" ||
            fail "clock seed $seed, stall $stall: the spinning task never saw its timer: $(tr '\n' '|' <"$tmp/c$stall.out")"
        records "$tmp/c$stall.sch" >"$tmp/c$stall.rec"
    done
    cmp -s "$tmp/c0.out" "$tmp/c40.out" ||
        fail "clock seed $seed: stalled '$(tr '\n' '|' <"$tmp/c40.out")', not '$(tr '\n' '|' <"$tmp/c0.out")'"
    cmp -s "$tmp/c0.rec" "$tmp/c40.rec" ||
        fail "clock seed $seed: stalled, dispatched in another order: $(diff "$tmp/c0.rec" "$tmp/c40.rec" | head -n 4 | tr '\n' ' ')"
done
echo "$me: clock: seeds 1-5 alike with callbacks stalled 40 ms" >&2
for seed in 1 2 3; do
    LOOP_CHAOS=$seed timeout 60 "$tmp/clock" --signal >"$tmp/sig.out" 2>&1 ||
        fail "clock --signal, seed $seed: exit $?: $(tr '\n' '|' <"$tmp/sig.out")"
    first=$(head -n 1 "$tmp/sig.out")
    ms=$(echo "$first" | sed -n 's/^signal iter=[0-9]* t=\([0-9]*\) ms$/\1/p')
    [ -n "$ms" ] && [ "$ms" -lt 300 ] ||
        fail "clock --signal, seed $seed: an interrupted poll moved the clock to its timeout: $(tr '\n' '|' <"$tmp/sig.out")"
done
echo "$me: clock: a signal that interrupts the poll is seen at once (${ms} ms of 300)" >&2

"$R" chaos -n 400 --until-fail -o "$tmp/chaos" -- "$BUILD/bin/race" >"$tmp/chaos.out" 2>&1
[ $? = 1 ] || fail "no failing race seed in 400: $(tail -n 1 "$tmp/chaos.out")"
seed=$(sed -n 's/^seed \([0-9]*\): exit 1; .*/\1/p' "$tmp/chaos.out" | head -n 1)
[ -n "$seed" ] || fail "no failing seed line: $(cat "$tmp/chaos.out")"
i=0
while [ $i -lt "$N" ]; do
    i=$((i + 1))
    LOOP_CHAOS=$seed "$BUILD/bin/race" >"$tmp/out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "race seed $seed, re-run $i: exit $rc, not 1: $(cat "$tmp/out")"
done
echo "$me: race seed $seed fails $N of $N re-runs" >&2

# minimize re-runs the seed with the recorded chaos parameters, not the caller's
sch=$tmp/chaos/race-seed-$seed.sch
"$R" info "$sch" | grep -q "^chaos late-ms: 80$" || fail "no chaos late-ms in the header: $("$R" info "$sch")"
LOOP_CHAOS_LATE_MS=0 "$R" minimize "$sch" -o "$tmp/min.sch" -- "$BUILD/bin/race" >"$tmp/min.out" 2>&1
rc=$?
[ $rc = 0 ] || fail "minimize under LOOP_CHAOS_LATE_MS=0 exited $rc: $(cat "$tmp/min.out")"
grep -q '^minimize: [1-9][0-9]* perturbations\{0,1\} matters\{0,1\}' "$tmp/min.out" ||
    fail "minimize under LOOP_CHAOS_LATE_MS=0: $(cat "$tmp/min.out")"
echo "$me: ok"
