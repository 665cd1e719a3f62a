#!/bin/sh
# replay_race.sh — chaos finds the race example's order bug, and its schedule
# replays it every time.
#
#  - 50 runs in the default (fifo) order: no failure;
#  - loop-replay chaos --until-fail: a failing seed within 200, its schedule
#    kept and the replay command printed (and that command fails the same way);
#  - the failing schedule replays 100 times out of 100 to the same failure,
#    and recorded again during each replay gives the same schedule (diff);
#  - loop-replay minimize shrinks it to the perturbations that matter, and
#    the minimized schedule replays to the same failure.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/common.sh

R=$BUILD/bin/loop-replay
race=$BUILD/bin/race
for f in "$R" "$race"; do
    [ -x "$f" ] || fail "$f is missing: run make first"
done
make_tmp loop-replay-race

# 1. fifo: never fails
i=0
while [ $i -lt 50 ]; do
    i=$((i + 1))
    "$race" >"$tmp/out" 2>&1 || fail "fifo run $i failed: $(cat "$tmp/out")"
done

# 2. chaos: a failing seed within 200 runs
"$R" chaos -n 200 --until-fail -o "$tmp/chaos" -- "$race" >"$tmp/chaos.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "loop-replay chaos found no failure in 200 seeds (exit $rc): $(tail -n 1 "$tmp/chaos.out")"
seed=$(sed -n 's/^seed \([0-9]*\): exit 1; schedule .*/\1/p' "$tmp/chaos.out" | head -n 1)
[ -n "$seed" ] || fail "no 'seed N: exit 1; schedule ...' line: $(cat "$tmp/chaos.out")"
sch=$tmp/chaos/race-seed-$seed.sch
[ -s "$sch" ] || fail "the failing run's schedule $sch was not kept"
ls "$tmp/chaos" | grep -qv "seed-$seed\." && fail "schedules of passing runs were kept: $(ls "$tmp/chaos")"
grep -q '^chaos: .* 1 failed; first failing seed' "$tmp/chaos.out" ||
    fail "no summary line: $(tail -n 1 "$tmp/chaos.out")"
note "chaos: seed $seed fails"

# the printed replay command reproduces it
cmd=$(sed -n 's/^  replay: loop-replay //p' "$tmp/chaos.out" | head -n 1)
[ -n "$cmd" ] || fail "no replay command printed"
# shellcheck disable=SC2086 # the command line as printed (no spaces in these paths)
"$R" $cmd >"$tmp/out" 2>&1
rc=$?
[ $rc = 1 ] || fail "the printed replay command ($cmd) exited $rc, not 1: $(cat "$tmp/out")"
grep -q "LOST UPDATE" "$tmp/out" || fail "the printed replay command did not lose the update"

# 3. 100 replays out of 100: the same failure, the same schedule
i=0
while [ $i -lt 100 ]; do
    i=$((i + 1))
    LOOP_REPLAY=$sch LOOP_RECORD=$tmp/again.sch "$race" >"$tmp/out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "replay $i exited $rc, not 1: $(cat "$tmp/out")"
    grep -q "LOST UPDATE" "$tmp/out" || fail "replay $i: $(cat "$tmp/out")"
    "$R" diff "$sch" "$tmp/again.sch" >"$tmp/diff" 2>&1 ||
        fail "replay $i recorded another schedule: $(cat "$tmp/diff")"
done
grep -q '^identical: [0-9]* records (modes chaos and replay)' "$tmp/diff" ||
    fail "diff output: $(cat "$tmp/diff")"

# 4. minimize: the perturbations that matter, a schedule that still fails
"$R" minimize "$sch" -o "$tmp/min.sch" -- "$race" >"$tmp/min.out" 2>&1
rc=$?
[ $rc = 0 ] || fail "minimize exited $rc: $(cat "$tmp/min.out")"
grep -q '^minimize: [1-9][0-9]* perturbations\{0,1\} matters\{0,1\}' "$tmp/min.out" ||
    fail "minimize did not say what matters: $(cat "$tmp/min.out")"
grep -q '^  P[0-9]* step=[0-9]* ' "$tmp/min.out" || fail "no perturbation listed: $(cat "$tmp/min.out")"
kept=$(grep -c '^  P[0-9]* step=' "$tmp/min.out")
made=$(sed -n 's/^minimize: chaos made \([0-9]*\) perturbation.*/\1/p' "$tmp/min.out")
[ -n "$made" ] && [ "$kept" -le "$made" ] || fail "minimize kept $kept of '$made': $(cat "$tmp/min.out")"
LOOP_REPLAY=$tmp/min.sch "$race" >"$tmp/out" 2>&1
rc=$?
[ $rc = 1 ] || fail "the minimized schedule replays to exit $rc: $(cat "$tmp/out")"
note "minimize: $kept of $made perturbations matter: $(grep '^  P' "$tmp/min.out" | head -n 3 | tr '\n' ';')"
echo "$me: ok"
