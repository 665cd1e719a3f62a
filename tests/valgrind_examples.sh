#!/bin/sh
# valgrind_examples.sh — valgrind memcheck on every example.
#
# Each example runs under memcheck with --error-exitcode, so any memory error
# (invalid read/write, use of uninitialised values, bad free, a jump that
# valgrind takes for a stack switch it does not know about...) or any
# definitely lost block fails the test:
#  - echo_server, served by fanout (both under valgrind, the server exits
#    after --max-conns connections); fanout with its own server task;
#  - deadlock (exits 3: its two tasks are stuck, then cancelled and unwound);
#  - stall (exit 0); race (exit 0, or 1 when the loop was late enough to lose
#    its update: the order bug it demonstrates, not a memory error);
#  - leak (exits 3: it leaves handles open on purpose): it must show its leak,
#    the loop and the connection array as lost blocks allocated from main,
#    and still no memory error.
# Task stacks are registered with VALGRIND_STACK_REGISTER (libloop/stack.c),
# so valgrind must not print "client switching stacks?" either.
#
# Skipped (with a line) under SANITIZE builds: valgrind and ASan/TSan exclude
# each other. Needs valgrind (scripts/install-deps installs it).
# Environment: BUILD (build directory), VALGRIND_TASKS (fanout tasks, default 200).
set -u
BUILD=${BUILD:-build}
. tests/lib/common.sh
me=valgrind_examples
if [ -n "${SANITIZE:-}" ]; then
    echo "$me: skipped under SANITIZE=$SANITIZE (valgrind cannot run sanitized programs)"
    exit 0
fi
command -v valgrind >/dev/null 2>&1 || fail "valgrind not found (Debian package valgrind)"
for p in echo_server fanout deadlock leak stall race; do
    [ -x "$BUILD/bin/$p" ] || fail "$BUILD/bin/$p is missing: run make first"
done
tasks=${VALGRIND_TASKS:-200}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/loop-valgrind.XXXXXX") || fail "mktemp failed"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# memcheck options: every error counts, definite leaks count as errors.
VG="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --track-origins=yes --num-callers=30"

# check NAME WANT_STATUS: the log of a run that exited with $st.
check() {
    _log=$tmp/$1.vg
    [ "$st" = "$2" ] || fail "$1 under valgrind exited $st, want $2: $(grep -m 5 -E '==[0-9]+== [A-Z]' "$_log" | tr '\n' ' ')"
    grep -q 'ERROR SUMMARY: 0 errors' "$_log" ||
        fail "$1: valgrind found errors: $(grep -m 1 'ERROR SUMMARY' "$_log")"
    if grep -q 'switching stacks' "$_log"; then
        fail "$1: valgrind saw an unregistered stack switch"
    fi
    grep -q 'definitely lost: [1-9]' "$_log" && fail "$1: definitely lost blocks"
    _errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$_log" | tail -n 1)
    echo "$me: $1: exit $st, ${_errors:-?} errors, $(sed -n 's/.*definitely lost: \(.*\)/\1/p' "$_log" |
        tail -n 1 | sed 's/^$/no leaks/') definitely lost"
}

# echo_server driven by fanout, both under valgrind.
# shellcheck disable=SC2086 # VG is a list of options
$VG --log-file="$tmp/echo_server.vg" "$BUILD/bin/echo_server" --max-conns "$tasks" \
    >"$tmp/echo_server.out" 2>"$tmp/echo_server.err" &
server_pid=$!
i=0
until grep -q '^port ' "$tmp/echo_server.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 300 ] || fail "echo_server under valgrind did not print its port within 30 s"
    kill -0 "$server_pid" 2>/dev/null || fail "echo_server under valgrind died: $(cat "$tmp/echo_server.err")"
    sleep 0.1
done
port=$(sed -n 's/^port //p' "$tmp/echo_server.out")
# shellcheck disable=SC2086
$VG --log-file="$tmp/fanout-client.vg" "$BUILD/bin/fanout" --port "$port" --tasks "$tasks" \
    --deadline-ms 60000 >"$tmp/fanout-client.out" 2>&1
st=$?
check fanout-client 0
grep -q "fanout: $tasks of $tasks echoes ok" "$tmp/fanout-client.out" ||
    fail "fanout against echo_server: $(cat "$tmp/fanout-client.out")"
wait "$server_pid"
st=$?
server_pid=""
check echo_server 0

# fanout with its own server task.
# shellcheck disable=SC2086
$VG --log-file="$tmp/fanout.vg" "$BUILD/bin/fanout" --tasks "$tasks" --deadline-ms 60000 \
    >"$tmp/fanout.out" 2>&1
st=$?
check fanout 0

# deadlock: stuck, reported, then cancelled; exits 3.
# shellcheck disable=SC2086
$VG --log-file="$tmp/deadlock.vg" "$BUILD/bin/deadlock" >"$tmp/deadlock.out" 2>&1
st=$?
check deadlock 3
grep -q 'Stuck: task' "$tmp/deadlock.out" || fail "deadlock did not name its stuck tasks"

# shellcheck disable=SC2086
$VG --log-file="$tmp/stall.vg" "$BUILD/bin/stall" >"$tmp/stall.out" 2>&1
st=$?
check stall 0

# race: exit 1 is the lost update it exists to show (a loop late by the gap
# between its two paychecks, as valgrind's slowness can make it), not a
# memory error; the wider gap makes it rare.
# shellcheck disable=SC2086
$VG --log-file="$tmp/race.vg" "$BUILD/bin/race" --second-ms 300 >"$tmp/race.out" 2>&1
st=$?
[ $st = 1 ] && grep -q 'LOST UPDATE' "$tmp/race.out" && st=0
check race 0

# leak: exits 3 and valgrind shows what it leaks (the loop from loop_new, the
# connection array from main), still with no memory error.
# shellcheck disable=SC2086
$VG --show-leak-kinds=definite,possible --log-file="$tmp/leak.vg" "$BUILD/bin/leak" \
    >"$tmp/leak.out" 2>&1
st=$?
check leak 3
grep -q 'were never closed' "$tmp/leak.out" || fail "leak did not report its unclosed handles"
lost=$(sed -n 's/.*\(definitely\|indirectly\|possibly\) lost: \([0-9,]*\) bytes.*/\2/p' "$tmp/leak.vg" |
    tr -d , | awk '{ s += $1 } END { print s + 0 }')
[ "$lost" -gt 0 ] || fail "valgrind shows no lost memory for the leak example"
grep -q 'loop_new' "$tmp/leak.vg" || fail "valgrind's leak records do not show the loop from loop_new"
grep -q 'main (leak.c' "$tmp/leak.vg" || fail "valgrind's leak records do not point into leak.c's main"
echo "$me: leak: valgrind shows $lost bytes lost (loop_new, main), as intended"

echo "$me: ok (7 runs under memcheck: 0 errors, 0 definite leaks; leak shows its leak)"
