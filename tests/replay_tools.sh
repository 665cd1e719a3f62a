#!/bin/sh
# replay_tools.sh — loop-replay's commands on good and bad input.
#
#  - dump, info, diff on a good schedule: one line per record (task I/O
#    records too), the header fields and counts, identical / differing
#    schedules (exit 0 / 1);
#  - bad input to every command that reads a schedule (missing file,
#    directory, empty file, text, header cut short, newer version, corrupt
#    stream, truncated stream, a file for another program) and bad arguments:
#    one line on stderr starting "loop-replay: ", exit status 2, never a
#    crash; dump still prints the records before the damage;
#  - chaos on programs that always pass, always fail (no schedule: not a
#    libloop program), and hang (--timeout); minimize refuses a fifo schedule.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/common.sh

R=$BUILD/bin/loop-replay
race=$BUILD/bin/race
for f in "$R" "$race"; do
    [ -x "$f" ] || fail "$f is missing: run make first"
done
make_tmp loop-replay-tools
unset LOOP_REPLAY LOOP_RECORD LOOP_CHAOS LOOP_REPLAY_DIVERGE

# bad2 WHAT CMD...: exit status 2, exactly one stderr line "loop-replay: ...", no crash
bad2() {
    what=$1
    shift
    "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"
    rc=$?
    [ $rc = 2 ] || fail "$what: exit $rc, want 2 ($*): $(cat "$tmp/bad.err")"
    [ "$(wc -l <"$tmp/bad.err")" = 1 ] || fail "$what: want one line on stderr, got: $(cat "$tmp/bad.err")"
    grep -q '^loop-replay: ' "$tmp/bad.err" || fail "$what: $(cat "$tmp/bad.err")"
}

# a good schedule, and another run of the same program
"$R" record -o "$tmp/a.sch" -- "$race" >/dev/null 2>&1 || fail "record failed"
LOOP_CHAOS=3 LOOP_RECORD=$tmp/b.sch "$race" >/dev/null 2>&1
[ -s "$tmp/a.sch" ] && [ -s "$tmp/b.sch" ] || fail "no schedules recorded"

# dump: a commented header, then one line per record
"$R" dump "$tmp/a.sch" >"$tmp/dump" 2>"$tmp/err" || fail "dump: $(cat "$tmp/err")"
grep -q "^# mode: fifo" "$tmp/dump" || fail "dump header: $(head -n 8 "$tmp/dump")"
grep -q "^# program: $race" "$tmp/dump" || fail "dump header: $(head -n 8 "$tmp/dump")"
grep -q '^1 clock    clock=[0-9]*$' "$tmp/dump" || fail "dump: the first record: $(sed -n 8p "$tmp/dump")"
grep -q '^[0-9]* dispatch io     id=[0-9]* revents=0x1 (r)$' "$tmp/dump" || fail "dump: no I/O dispatch"
grep -q '^[0-9]* end$' "$tmp/dump" || fail "dump: no end record"
# race's depositors read their paycheck from a pipe: one task I/O record each
# (1 byte; or EAGAIN first, then 1 byte)
grep -q '^[0-9]* io       read    task=[0-9]* result=1 (1 byte)$' "$tmp/dump" ||
    fail "dump: no task I/O record: $(cat "$tmp/dump")"
nio=$(grep -c '^[0-9]* io ' "$tmp/dump")
nrec=$(grep -c '^[0-9]' "$tmp/dump")

# info
"$R" info "$tmp/a.sch" >"$tmp/info" 2>"$tmp/err" || fail "info: $(cat "$tmp/err")"
for want in '^version: 2$' '^mode: fifo$' "^program: $race\$" '^args: (none)$' \
    "^records: $nrec (iter [0-9]*, clock [0-9]*, dispatch [0-9]*, io $nio, end 1)\$" \
    '^task I/O by op: read [0-9]* (EAGAIN [0-9]*)$' \
    '^dispatches by kind: timer [0-9]*, .*task [0-9]*' '^size: [0-9]* bytes (header [0-9]*, records [0-9]*)$' \
    '^bytes per record: [0-9.]*$' '^bytes per dispatch: [0-9.]*$' '^end: clean (END record)$'; do
    grep -q "$want" "$tmp/info" || fail "info lacks /$want/: $(cat "$tmp/info")"
done
"$R" info "$tmp/b.sch" | grep -q '^mode: chaos (seed 3)$' || fail "info: chaos mode line"

# diff
"$R" diff "$tmp/a.sch" "$tmp/a.sch" >"$tmp/diff" 2>&1 || fail "diff of a file with itself: $(cat "$tmp/diff")"
grep -q "^identical: $nrec records (modes fifo and fifo)\$" "$tmp/diff" || fail "diff: $(cat "$tmp/diff")"
"$R" diff "$tmp/a.sch" "$tmp/b.sch" >"$tmp/diff" 2>&1
rc=$?
[ $rc = 1 ] || fail "diff of two runs: exit $rc: $(cat "$tmp/diff")"
grep -q '^differ at step [0-9]*$' "$tmp/diff" || fail "diff: $(cat "$tmp/diff")"
grep -q '^> *[0-9]* ' "$tmp/diff" || fail "diff: no marked step: $(cat "$tmp/diff")"

# bad files
size=$(wc -c <"$tmp/a.sch")
mkdir "$tmp/dir"
: >"$tmp/empty.sch"
printf 'hello, world\n' >"$tmp/text.sch"
head -c 20 "$tmp/a.sch" >"$tmp/hdrcut.sch"
head -c $((size - 10)) "$tmp/a.sch" >"$tmp/cut.sch"
# version 3 (byte 8), and a flipped byte in the middle of the stream
{ head -c 8 "$tmp/a.sch"; printf '\003'; tail -c +10 "$tmp/a.sch"; } >"$tmp/v3.sch"
half=$(((size + 60) / 2))
{ head -c $half "$tmp/a.sch"; printf '\377\000\377'; tail -c +$((half + 4)) "$tmp/a.sch"; } >"$tmp/corrupt.sch"
for cmd in dump info; do
    bad2 "$cmd missing" "$R" $cmd "$tmp/nope.sch"
    grep -q "cannot open $tmp/nope.sch: No such file or directory" "$tmp/bad.err" || fail "$(cat "$tmp/bad.err")"
    bad2 "$cmd directory" "$R" $cmd "$tmp/dir"
    bad2 "$cmd empty" "$R" $cmd "$tmp/empty.sch"
    bad2 "$cmd text" "$R" $cmd "$tmp/text.sch"
    grep -q "not a libloop schedule file" "$tmp/bad.err" || fail "$(cat "$tmp/bad.err")"
    bad2 "$cmd header cut" "$R" $cmd "$tmp/hdrcut.sch"
    bad2 "$cmd version 3" "$R" $cmd "$tmp/v3.sch"
    grep -q "schedule format version 3, this build reads version 2" "$tmp/bad.err" || fail "$(cat "$tmp/bad.err")"
    bad2 "$cmd corrupt" "$R" $cmd "$tmp/corrupt.sch"
    grep -q "corrupt" "$tmp/bad.err" || fail "$cmd corrupt: $(cat "$tmp/bad.err")"
    bad2 "$cmd truncated" "$R" $cmd "$tmp/cut.sch"
    grep -q "truncated after record [0-9]*" "$tmp/bad.err" || fail "$(cat "$tmp/bad.err")"
done
"$R" dump "$tmp/cut.sch" 2>/dev/null | grep -c '^[0-9]' >"$tmp/n"
[ "$(cat "$tmp/n")" -gt 0 ] && [ "$(cat "$tmp/n")" -lt "$nrec" ] ||
    fail "dump of a truncated file printed $(cat "$tmp/n") of $nrec records"
"$R" info "$tmp/cut.sch" 2>/dev/null | grep -q '^end: truncated after record' || fail "info: truncated end"
bad2 "diff truncated" "$R" diff "$tmp/a.sch" "$tmp/cut.sch"
bad2 "diff missing" "$R" diff "$tmp/a.sch" "$tmp/nope.sch"
bad2 "diff version" "$R" diff "$tmp/v3.sch" "$tmp/a.sch"
bad2 "run missing" "$R" run "$tmp/nope.sch" -- "$race"
bad2 "run corrupt" "$R" run "$tmp/corrupt.sch" -- "$race"
bad2 "run version" "$R" run "$tmp/v3.sch" -- "$race"
bad2 "run other program" "$R" run "$tmp/a.sch" -- "$BUILD/bin/fanout"
grep -q "was recorded from race, not fanout (--force replays it anyway)" "$tmp/bad.err" ||
    fail "$(cat "$tmp/bad.err")"
"$R" run --force "$tmp/a.sch" -- /bin/true || fail "run --force"
"$R" run "$tmp/a.sch" >/dev/null 2>"$tmp/err" || fail "run with the recorded command line: $(cat "$tmp/err")"
bad2 "minimize fifo" "$R" minimize "$tmp/a.sch" -o "$tmp/m.sch"
grep -q "recorded in fifo mode" "$tmp/bad.err" || fail "$(cat "$tmp/bad.err")"
bad2 "extract missing" "$R" extract "$tmp/nope" -o "$tmp/x.sch"

# bad arguments
bad2 "no command" "$R" frobnicate
bad2 "dump no file" "$R" dump
bad2 "diff one file" "$R" diff "$tmp/a.sch"
bad2 "record no -o" "$R" record -- "$race"
bad2 "record bad dir" "$R" record -o "$tmp/no/such/dir.sch" -- "$race"
bad2 "run no file" "$R" run
bad2 "chaos -n 0" "$R" chaos -n 0 -- "$race"
bad2 "chaos -n x" "$R" chaos -n x -- "$race"
bad2 "chaos no program" "$R" chaos -n 2
bad2 "minimize no file" "$R" minimize -o "$tmp/m.sch"
bad2 "extract no -o" "$R" extract "$tmp"
"$R" >/dev/null 2>&1
[ $? = 2 ] || fail "no arguments: want exit 2"
"$R" --help | grep -q '^usage: loop-replay COMMAND' || fail "--help"

# chaos on programs that pass, fail, hang
"$R" chaos -n 3 -o "$tmp/c1" -- true >"$tmp/out" 2>&1 || fail "chaos on true: $(cat "$tmp/out")"
grep -q '^chaos: 3 runs (seeds 1-3), 0 failed$' "$tmp/out" || fail "chaos on true: $(cat "$tmp/out")"
[ -z "$(ls "$tmp/c1")" ] || fail "chaos kept files of passing runs: $(ls "$tmp/c1")"
"$R" chaos -n 2 --seed-start 10 -o "$tmp/c2" -- false >"$tmp/out" 2>&1
[ $? = 1 ] || fail "chaos on false: want exit 1: $(cat "$tmp/out")"
grep -q '^seed 10: exit 1; no schedule was written (does false use libloop?)$' "$tmp/out" ||
    fail "chaos on false: $(cat "$tmp/out")"
grep -q '^chaos: 2 runs (seeds 10-11), 2 failed; first failing seed 10$' "$tmp/out" ||
    fail "chaos on false: $(cat "$tmp/out")"
"$R" chaos -n 1 --timeout 0.3 -o "$tmp/c3" -- sleep 10 >"$tmp/out" 2>&1
[ $? = 1 ] || fail "chaos on sleep: $(cat "$tmp/out")"
grep -q '^seed 1: timed out (killed)' "$tmp/out" || fail "chaos --timeout: $(cat "$tmp/out")"
grep -q '(1 timed out)' "$tmp/out" || fail "chaos --timeout: $(cat "$tmp/out")"
echo "$me: ok"
