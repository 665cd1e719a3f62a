#!/bin/sh
# replay_explore.sh — loop-replay explore finds order bugs systematically
# and says what it covered when it finds none.
#  - on examples/race and one example of each class (two items ready in one
#    iteration, delayed readiness, timer vs I/O, pool completion order,
#    channel close, an order of three tasks, and one that takes two changes:
#    race_three cba), whose fifo runs pass: exit 1,
#    "explore: failure ... with D deviations from fifo, run N" within the
#    issue's bounds (N <= 20; the three-task order N <= 50), and the written
#    schedule replays to the same failure (LOOP_REPLAY, exit 1) — twice;
#  - on examples/race_fixed: exit 0 and "no failure with up to 2 deviations:
#    N schedules explored, M pruned as equivalent";
#  - bad usage: one line, exit 2.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

me=${0##*/}
fail() {
    echo "$me: FAIL: $*" >&2
    exit 1
}

BUILD=${BUILD:-build}
case $BUILD in
    /*) ;;
    *) BUILD=$PWD/$BUILD ;;
esac
R=$BUILD/bin/loop-replay
[ -x "$R" ] || fail "$R is missing: run make first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loop-explore.XXXXXX") || fail "mktemp failed"
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS LOOP_EXPLORE LOOP_EXPLORE_LOG LOOP_CHAOS_LATE_MS

for spec in race:20 race_two_ready:20 race_delayed:20 race_timer_io:20 race_pool:20 \
    race_chan_close:20 race_three:50 race_three:50:cba; do
    p=${spec%%:*}
    bound=${spec#*:}
    arg=${bound#*:}
    bound=${bound%%:*}
    [ "$arg" = "$bound" ] && arg=""
    prog=$BUILD/bin/$p
    [ -x "$prog" ] || fail "$prog is missing: run make first"
    # shellcheck disable=SC2086 # no argument or one
    "$prog" $arg >"$tmp/out" 2>&1 || fail "$p fails in fifo order: $(cat "$tmp/out")"
    # shellcheck disable=SC2086
    "$R" explore -o "$tmp/$p.sch" -- "$prog" $arg >"$tmp/ex.out" 2>&1
    rc=$?
    [ $rc = 1 ] || fail "explore $p exited $rc, not 1: $(cat "$tmp/ex.out")"
    line=$(grep '^explore: failure' "$tmp/ex.out")
    runs=$(echo "$line" | sed -n 's/.* deviations\{0,1\} from fifo, run \([0-9]*\)$/\1/p')
    dev=$(echo "$line" | sed -n 's/.* with \([0-9]*\) deviations\{0,1\} from fifo.*/\1/p')
    [ -n "$runs" ] && [ -n "$dev" ] || fail "explore $p: no failure line: $(cat "$tmp/ex.out")"
    [ "$runs" -le "$bound" ] || fail "explore $p took $runs runs (bound $bound)"
    [ "$dev" -ge 1 ] && [ "$dev" -le 2 ] || fail "explore $p: $dev deviations"
    grep -q "^  replay: loop-replay run $tmp/$p.sch -- " "$tmp/ex.out" ||
        fail "explore $p: no replay command: $(cat "$tmp/ex.out")"
    for i in 1 2; do
        # shellcheck disable=SC2086
        LOOP_REPLAY=$tmp/$p.sch "$prog" $arg >"$tmp/out" 2>&1
        rc=$?
        [ $rc = 1 ] || fail "the schedule explore wrote for $p replays to exit $rc: $(cat "$tmp/out")"
    done
    [ "$arg" = cba ] && [ "$dev" != 2 ] && fail "race_three cba needs 2 deviations, explore says $dev"
    echo "$me: $p $arg: $dev deviation(s), run $runs: $(grep '^  C' "$tmp/ex.out" | tr '\n' ' ')" >&2
done

"$R" explore -- "$BUILD/bin/race_fixed" >"$tmp/ex.out" 2>&1
rc=$?
[ $rc = 0 ] || fail "explore race_fixed exited $rc: $(cat "$tmp/ex.out")"
grep -q '^no failure with up to 2 deviations: [1-9][0-9]* schedules explored, [0-9]* pruned as equivalent$' \
    "$tmp/ex.out" || fail "no certificate: $(cat "$tmp/ex.out")"
echo "$me: race_fixed: $(tail -n 1 "$tmp/ex.out")" >&2

"$R" explore >"$tmp/out" 2>&1
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$tmp/out")" = 1 ] || fail "explore without a program: exit $rc: $(cat "$tmp/out")"
"$R" explore -k x -- "$BUILD/bin/race" >"$tmp/out" 2>&1
[ $? = 2 ] || fail "explore -k x: $(cat "$tmp/out")"
echo "$me: ok"
