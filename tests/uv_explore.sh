#!/bin/sh
# uv_explore.sh — loop-replay explore chooses among a uv loop's poll results.
#  - examples/uv_order (a libuv program: two streams ready in one poll whose
#    read callbacks must run config first) passes in fifo order; its base
#    run under LOOP_EXPLORE lists a `uvpoll` choice point (the batch's order)
#    and a `hold` point per ready fd;
#  - holding the config fd's readiness back to the next poll (its hold
#    point) fails too, and that run's recording replays the failure;
#  - explore finds the failing order within 3 runs with 1 deviation at a
#    uvpoll point, and the schedule it writes replays to the same failure
#    (LOOP_REPLAY, exit 1, the same message) twice and through
#    `loop-replay run`;
#  - on `uv_order fixed` explore prints the certificate (exit 0) after
#    trying the uvpoll alternative;
#  - a spec is deterministic: LOOP_EXPLORE=1:1 fails every time, the base
#    run never.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/common.sh

R=$BUILD/bin/loop-replay
P=$BUILD/bin/uv_order
for f in "$R" "$P"; do
    [ -x "$f" ] || fail "$f is missing: run make first"
done
make_tmp uv-explore
unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS LOOP_CHAOS_ONLY LOOP_CHAOS_LOG LOOP_EXPLORE LOOP_EXPLORE_LOG

# 1. fifo passes; the base run has a uvpoll point naming both pipes
"$P" >"$tmp/out" 2>&1 || fail "uv_order fails in fifo order: $(cat "$tmp/out")"
LOOP_EXPLORE= LOOP_EXPLORE_LOG=$tmp/base.points "$P" >"$tmp/out" 2>&1 ||
    fail "uv_order's explore base run (LOOP_EXPLORE=) fails: $(cat "$tmp/out")"
grep -q '^C[0-9]* uvpoll 1 0 fd [0-9]* (pipe id=[0-9]*), fd [0-9]* (pipe id=[0-9]*)$' "$tmp/base.points" ||
    fail "no uvpoll choice point in the base run's log: $(cat "$tmp/base.points")"
[ "$(grep -c '^C[0-9]* hold 1 0 fd [0-9]* (pipe id=[0-9]*) ready: held back to the next poll$' "$tmp/base.points")" = 2 ] ||
    fail "not one hold point per ready fd in the base run's log: $(cat "$tmp/base.points")"

# 1b. the config fd held back a poll: the request runs first; replayed
cfg=$(sed -n 's/^C\([0-9]*\) hold .*(pipe id=1) ready.*/\1/p' "$tmp/base.points" | head -n 1)
[ -n "$cfg" ] || fail "no hold point of the config pipe (id 1): $(cat "$tmp/base.points")"
LOOP_EXPLORE=$cfg:1 LOOP_RECORD=$tmp/hold.sch "$P" >"$tmp/out" 2>&1
[ $? = 1 ] || fail "LOOP_EXPLORE=$cfg:1 (config held back) did not fail: $(cat "$tmp/out")"
LOOP_REPLAY=$tmp/hold.sch "$P" >"$tmp/out" 2>&1
[ $? = 1 ] || fail "the recording of LOOP_EXPLORE=$cfg:1 does not replay the failure: $(cat "$tmp/out")"

# 2. explore finds the order, and its schedule replays the failure
"$R" explore -o "$tmp/order.sch" -- "$P" >"$tmp/ex.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "explore uv_order exited $rc, not 1: $(cat "$tmp/ex.out")"
line=$(grep '^explore: failure' "$tmp/ex.out")
runs=$(echo "$line" | sed -n 's/.* deviations\{0,1\} from fifo, run \([0-9]*\)$/\1/p')
dev=$(echo "$line" | sed -n 's/.* with \([0-9]*\) deviations\{0,1\} from fifo.*/\1/p')
[ -n "$runs" ] && [ -n "$dev" ] || fail "explore uv_order: no failure line: $(cat "$tmp/ex.out")"
[ "$runs" -le 3 ] || fail "explore uv_order took $runs runs (bound 3)"
[ "$dev" = 1 ] || fail "explore uv_order: $dev deviations, want 1"
grep -q '^  C[0-9]* alternative 1 of uvpoll: ' "$tmp/ex.out" ||
    fail "the deviation is not at a uvpoll point: $(cat "$tmp/ex.out")"
for i in 1 2; do
    LOOP_REPLAY=$tmp/order.sch "$P" >"$tmp/rep.out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "the schedule explore wrote replays to exit $rc, not 1: $(cat "$tmp/rep.out")"
    grep -q 'arrived before the configuration' "$tmp/rep.out" ||
        fail "the replay failed otherwise: $(cat "$tmp/rep.out")"
done
"$R" run "$tmp/order.sch" -- "$P" >"$tmp/run.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "loop-replay run of the explore schedule exited $rc, not 1: $(cat "$tmp/run.out")"
echo "$me: uv_order: $dev deviation, run $runs: $(grep '^  C' "$tmp/ex.out")" >&2

# 3. the same spec, the same run
for i in 1 2 3; do
    LOOP_EXPLORE=1:1 "$P" >"$tmp/out" 2>&1
    [ $? = 1 ] || fail "LOOP_EXPLORE=1:1 run $i did not fail: $(cat "$tmp/out")"
    LOOP_EXPLORE= "$P" >"$tmp/out" 2>&1 || fail "LOOP_EXPLORE= run $i failed: $(cat "$tmp/out")"
done

# 4. the fixed variant: the certificate, after trying the uvpoll alternative
"$R" explore -v -- "$P" fixed >"$tmp/ex.out" 2>&1
rc=$?
[ $rc = 0 ] || fail "explore uv_order fixed exited $rc: $(cat "$tmp/ex.out")"
grep -q '^run [0-9]*: LOOP_EXPLORE=[0-9]*:1: exit 0$' "$tmp/ex.out" ||
    fail "explore uv_order fixed ran no deviation: $(cat "$tmp/ex.out")"
grep -q '^no failure with up to 2 deviations: [1-9][0-9]* schedules explored, [0-9]* pruned as equivalent$' \
    "$tmp/ex.out" || fail "no certificate: $(cat "$tmp/ex.out")"
echo "$me: uv_order fixed: $(tail -n 1 "$tmp/ex.out")" >&2
