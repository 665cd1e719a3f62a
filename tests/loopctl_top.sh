#!/bin/sh
# loopctl_top.sh — `loopctl SOCKET top` in a real terminal (tmux), against a
# running program with a monitor (tests/lib/top_prog.c: tasks worker-a,
# worker-b and holder, a timer named ticker):
#  - the view shows the loop's counters, every task with its state and wait,
#    and the ticker's creation site among the open handles;
#  - "/" filters by name, Enter shows `where` for the selected task, "c" then
#    "y" cancels it (the program logs the monitor's cancel and the task leaves
#    the table), "q" quits and restores the terminal;
#  - the console (`loopctl SOCKET`) completes "wh" to "where " and, after it,
#    lists the ids of the tasks the loop has now.
# Every wait is for something to appear on the screen, with a deadline.
set -u
. tests/lib/common.sh
name=loopctl_top
fail() {
    echo "$name: FAIL: $*" >&2
    exit 1
}
for tool in cc tmux; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
[ -x "$BUILD/bin/loopctl" ] || fail "$BUILD/bin/loopctl is missing: run make first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loopctl-top.XXXXXX") || fail "mktemp failed"
sock=$tmp/m.sock
tsock=$tmp/tmux.sock # a private tmux server
pid=""
cleanup() {
    tmux -S "$tsock" kill-server 2>/dev/null
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"
# shellcheck disable=SC2086
${CC:-cc} -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -g ${SANFLAGS:-} -Iinclude -o "$tmp/top_prog" \
    tests/lib/top_prog.c "$BUILD/lib/libloop.a" $libs || fail "cannot build tests/lib/top_prog.c"
LOOP_MONITOR=$sock "$tmp/top_prog" 2>"$tmp/prog.err" &
pid=$!

# wait_for WHAT SECONDS [SESSION]: until the tmux screen (of session top) shows WHAT (an ERE)
wait_for() {
    _end=$(($(date +%s) + $2))
    while :; do
        tmux -S "$tsock" capture-pane -p -t "${3:-top}" >"$tmp/screen" 2>/dev/null
        grep -Eq -- "$1" "$tmp/screen" && return 0
        [ "$(date +%s)" -ge "$_end" ] && fail "the screen never showed /$1/ in $2 s:
$(cat "$tmp/screen")"
        sleep 0.1
    done
}
_end=$(($(date +%s) + 10))
until [ -S "$sock" ]; do
    kill -0 "$pid" 2>/dev/null || fail "top_prog exited: $(cat "$tmp/prog.err")"
    [ "$(date +%s)" -ge "$_end" ] && fail "the monitor socket never appeared"
    sleep 0.05
done

tmux -S "$tsock" new-session -d -s top -x 160 -y 40 "$BUILD/bin/loopctl $sock top; echo TOP-EXITED \$?; sleep 30" ||
    fail "tmux cannot start"
wait_for 'worker-b' 10
grep -q 'loopctl top' "$tmp/screen" || fail "no title line"
grep -Eq 'tasks alive 3 ' "$tmp/screen" || fail "the counters do not say 3 tasks: $(sed -n 2,3p "$tmp/screen")"
grep -Eq '^ +[0-9]+ holder +waiting +event ' "$tmp/screen" || fail "holder is not shown waiting on its event:
$(cat "$tmp/screen")"
grep -Eq 'timer +tests/lib/top_prog.c:[0-9]+ \(main\)' "$tmp/screen" || fail "the ticker's site is not among the handles:
$(cat "$tmp/screen")"

# filter: only the workers
tmux -S "$tsock" send-keys -t top / worker Enter
wait_for '\(2 of 3 tasks\)' 5
grep -q 'holder' "$tmp/screen" && fail "the filter still shows holder"
# the selection starts on the first row shown; down and up again, then where
tmux -S "$tsock" send-keys -t top j k Enter
wait_for '^where [0-9]+:' 5
grep -Eq 'task id=[0-9]+ name="worker-a"' "$tmp/screen" || fail "where shows no worker-a:
$(cat "$tmp/screen")"
# cancel it
tmux -S "$tsock" send-keys -t top c
wait_for 'cancel task [0-9]+\? \(y/n\)' 5
tmux -S "$tsock" send-keys -t top y Enter
wait_for '\(1 of 2 tasks\)' 5
_end=$(($(date +%s) + 5))
until grep -q 'Monitor: cancel task id=[0-9]* name="worker-a"' "$tmp/prog.err"; do
    [ "$(date +%s)" -ge "$_end" ] && fail "the program never logged the cancel: $(cat "$tmp/prog.err")"
    sleep 0.1
done
tmux -S "$tsock" send-keys -t top q
wait_for 'TOP-EXITED 0' 5

# the console completes commands, and task ids after where/cancel
ids=$("$BUILD/bin/loopctl" "$sock" ps | sed -n 's/^task id=\([0-9]*\) .*/\1/p' | tr '\n' ' ')
[ -n "$ids" ] || fail "loopctl ps lists no task"
tmux -S "$tsock" new-session -d -s console -x 120 -y 20 "$BUILD/bin/loopctl $sock" || fail "tmux cannot start the console"
wait_for 'Tab completes' 5 console
tmux -S "$tsock" send-keys -t console 'wh' Tab
wait_for '^loop> where *$' 5 console
tmux -S "$tsock" send-keys -t console Tab Tab
want=$(echo $ids | sed 's/ /  /g')
wait_for "^$want *\$" 5 console
echo "$name: ok (view, filter, where, cancel, quit under tmux; console completion of commands and task ids $ids)"
