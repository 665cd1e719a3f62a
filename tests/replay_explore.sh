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
#  - --por (partial-order reduction from the footprints libloop logs): on
#    race_chan_close (a channel closed before a last send: a conflict on a
#    libloop object) it still finds the failure, in no more runs than the
#    default; on race_fixed its certificate explores strictly fewer
#    schedules and says "pruned as commuting (--por: assuming ...)"; on
#    race_two_ready (two tasks whose footprints are disjoint but which share
#    a variable) it misses the bug that the default finds: the documented
#    trade-off;
#  - --predicate CMD: a program that always exits 0 but whose result (a file)
#    is wrong in some order fails through the predicate, which gets the
#    run's exit status, schedule and output in its environment;
#  - bad usage: one line, exit 2.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/common.sh

R=$BUILD/bin/loop-replay
[ -x "$R" ] || fail "$R is missing: run make first"
make_tmp loop-explore
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

# runs of a failure line, or explored schedules of a certificate
runs_of() {
    sed -n 's/.* deviations\{0,1\} from fifo, run \([0-9]*\)$/\1/p; s/^no failure with up to [0-9]* deviations\{0,1\}: \([0-9]*\) schedules explored.*/\1/p' "$1"
}

# --por finds a conflict on a libloop object, in no more runs
"$R" explore -o "$tmp/cc.sch" -- "$BUILD/bin/race_chan_close" >"$tmp/def.out" 2>&1
[ $? = 1 ] || fail "explore race_chan_close: $(cat "$tmp/def.out")"
"$R" explore --por -o "$tmp/cc.sch" -- "$BUILD/bin/race_chan_close" >"$tmp/por.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "explore --por race_chan_close exited $rc, not 1: $(cat "$tmp/por.out")"
d=$(runs_of "$tmp/def.out")
p=$(runs_of "$tmp/por.out")
[ -n "$d" ] && [ -n "$p" ] && [ "$p" -le "$d" ] ||
    fail "race_chan_close: --por took $p runs, the default $d"
LOOP_REPLAY=$tmp/cc.sch "$BUILD/bin/race_chan_close" >"$tmp/out" 2>&1
[ $? = 1 ] || fail "the --por schedule of race_chan_close does not replay to exit 1: $(cat "$tmp/out")"
echo "$me: race_chan_close: --por run $p, default run $d" >&2

# --por's certificate on race_fixed: strictly fewer schedules, and its assumption
cp "$tmp/ex.out" "$tmp/def.out"
"$R" explore --por -- "$BUILD/bin/race_fixed" >"$tmp/por.out" 2>&1
rc=$?
[ $rc = 0 ] || fail "explore --por race_fixed exited $rc: $(cat "$tmp/por.out")"
grep -q '^no failure with up to 2 deviations: [1-9][0-9]* schedules explored, [0-9]* pruned as equivalent, [1-9][0-9]* pruned as commuting (--por: assuming the items share no state outside libloop.s handles, fds and task objects)$' \
    "$tmp/por.out" || fail "no --por certificate: $(cat "$tmp/por.out")"
d=$(runs_of "$tmp/def.out")
p=$(runs_of "$tmp/por.out")
[ "$p" -lt "$d" ] || fail "race_fixed: --por explored $p schedules, the default $d"
echo "$me: race_fixed --por: $(tail -n 1 "$tmp/por.out")" >&2

# the trade-off: shared memory with disjoint footprints
"$R" explore --por -- "$BUILD/bin/race_two_ready" >"$tmp/por.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q 'pruned as commuting (--por: assuming' "$tmp/por.out" ||
    fail "explore --por race_two_ready: exit $rc (expected a certificate that misses it): $(cat "$tmp/por.out")"
echo "$me: race_two_ready --por (misses it, as documented): $(tail -n 1 "$tmp/por.out")" >&2

# --predicate: the program exits 0, its result file says otherwise
cat >"$tmp/wrap.sh" <<'WRAP'
#!/bin/sh
# race_two_ready's verdict into a file; always exit 0
"$1" >/dev/null 2>&1
echo $? >"$2"
echo "wrapped run"
exit 0
WRAP
cat >"$tmp/pred.sh" <<'PRED'
#!/bin/sh
# the first run's environment, for the test to look at
[ -f "$PRED_DIR/env1" ] || env | grep '^LOOP_EXPLORE' | sort >"$PRED_DIR/env1"
[ -s "$LOOP_EXPLORE_SCHEDULE" ] || exit 3
test "$(cat "$PRED_DIR/result")" = 0
PRED
chmod +x "$tmp/wrap.sh" "$tmp/pred.sh"
PRED_DIR=$tmp "$R" explore -o "$tmp/pred.sch" --predicate "$tmp/pred.sh" -- \
    "$tmp/wrap.sh" "$BUILD/bin/race_two_ready" "$tmp/result" >"$tmp/ex.out" 2>&1
rc=$?
[ $rc = 1 ] || fail "explore --predicate exited $rc, not 1: $(cat "$tmp/ex.out")"
grep -q '^explore: failure (the predicate: exit 1; the run: exit 0) with 1 deviation from fifo, run [0-9]*$' \
    "$tmp/ex.out" || fail "explore --predicate: no predicate failure line: $(cat "$tmp/ex.out")"
LOOP_REPLAY=$tmp/pred.sch "$BUILD/bin/race_two_ready" >"$tmp/out" 2>&1
[ $? = 1 ] || fail "the --predicate schedule does not replay to the failure: $(cat "$tmp/out")"
for want in LOOP_EXPLORE_EXIT=0 'LOOP_EXPLORE_RESULT=exit 0' LOOP_EXPLORE_RUN=1 LOOP_EXPLORE_SPEC= \
    "LOOP_EXPLORE_OUTPUT=" "LOOP_EXPLORE_SCHEDULE="; do
    grep -q "^$want" "$tmp/env1" || fail "the predicate's environment lacks $want: $(cat "$tmp/env1")"
done
out=$(sed -n 's/^LOOP_EXPLORE_OUTPUT=//p' "$tmp/env1")
[ -n "$out" ] || fail "LOOP_EXPLORE_OUTPUT is empty without -v"
# the same predicate holds on the race-free example: a certificate, exit 0
echo 0 >"$tmp/result"
PRED_DIR=$tmp "$R" explore --predicate "test -s \"\$LOOP_EXPLORE_SCHEDULE\"" -- "$BUILD/bin/race_fixed" \
    >"$tmp/ex.out" 2>&1
[ $? = 0 ] || fail "explore --predicate on race_fixed: $(cat "$tmp/ex.out")"
echo "$me: --predicate: ok" >&2

"$R" explore --predicate "" -- "$BUILD/bin/race" >"$tmp/out" 2>&1
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$tmp/out")" = 1 ] || fail "explore --predicate '': exit $rc: $(cat "$tmp/out")"

"$R" explore >"$tmp/out" 2>&1
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$tmp/out")" = 1 ] || fail "explore without a program: exit $rc: $(cat "$tmp/out")"
"$R" explore -k x -- "$BUILD/bin/race" >"$tmp/out" 2>&1
[ $? = 2 ] || fail "explore -k x: $(cat "$tmp/out")"
echo "$me: ok"
