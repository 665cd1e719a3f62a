#!/bin/sh
# gdb_tasks.sh — the gdb extension (tools/gdb/libloop_gdb.py) on the deadlock
# example, stopped when loop_run finds both tasks stuck on each other's lock:
#  - live (the process under gdb): `info loop-tasks` lists both tasks with
#    state, wait and sites; `loop-task N` + `bt` shows the task's own function
#    on its suspended stack; `loop-task 0` + `bt` is the thread's stack again;
#    `info loop-handles` says what is internal; a bad id is one clear line;
#  - attached (gdb -p) to a running echo_server stopped with SIGSTOP: its
#    acceptor task (once it served one echo), waiting on the listening
#    socket, and its stack;
#  - a core file written by gcore (stacks guarded with mprotect: gcore of gdb
#    13 cannot read MADV_GUARD_INSTALL guards, see libloop_gdb.py);
#  - a kernel core dump (when core_pattern writes a plain file).
# Under a sanitizer only the live part runs (ASan's shadow makes cores huge).
set -u
BUILD=${BUILD:-build}
here=$(pwd)
ext=$here/tools/gdb/libloop_gdb.py
prog=$here/$BUILD/bin/deadlock
fail() { echo "gdb_tasks.sh: FAIL: $*"; exit 1; }
if ! command -v gdb >/dev/null 2>&1; then
    echo "gdb_tasks.sh: SKIP: gdb not installed (apt-get install gdb)"
    exit 0
fi
[ -x "$prog" ] || fail "$prog missing: run make first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gdb-tasks.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# check FILE LABEL: the task table and both task stacks in gdb's output
check() {
    out=$1 label=$2
    grep -Eq '^ +[0-9]+ transfer +waiting +lock obj=[0-9]+ owner=[0-9]+ .*examples/deadlock\.c:17 \(transfer\) +examples/deadlock\.c:[0-9]+ \(main\)' "$out" ||
        { cat "$out"; fail "$label: no row for task transfer"; }
    grep -Eq '^ +[0-9]+ report +waiting +lock obj=[0-9]+ owner=[0-9]+ .*examples/deadlock\.c:30 \(report\)' "$out" ||
        { cat "$out"; fail "$label: no row for task report"; }
    # bt after loop-task: the task's frames down to its entry, not main's
    sed -n '/^Task [0-9]* "transfer"/,/^Task [0-9]* "report"/p' "$out" > "$tmp/bt1"
    grep -Eq '^#[0-9]+ .* transfer \(arg=.*examples/deadlock\.c:17' "$tmp/bt1" ||
        { cat "$out"; fail "$label: loop-task + bt does not show transfer()"; }
    grep -q 'loop__ctx_start' "$tmp/bt1" || { cat "$out"; fail "$label: task bt does not end at its entry"; }
    if grep -q ' main () at' "$tmp/bt1"; then
        cat "$out"; fail "$label: task bt shows the thread's stack"
    fi
    sed -n '/^Task [0-9]* "report"/,/^Back to/p' "$out" | grep -Eq '^#[0-9]+ .* report \(arg=' ||
        { cat "$out"; fail "$label: loop-task + bt does not show report()"; }
    # loop-task 0: the thread's own stack again
    sed -n '/^Back to the thread/,$p' "$out" | grep -Eq '^#0 +loop__tasks_report_stuck' ||
        { cat "$out"; fail "$label: loop-task 0 did not switch back"; }
}

# gdb_script IDS: commands showing the tasks (ids read from a first listing)
cmds() {
    cat <<EOF
set pagination off
source $ext
info loop-tasks
loop-task $1
bt
loop-task $2
bt
loop-task 0
bt
EOF
}

ids() {
    a=$(awk '$2 == "transfer" { print $1 }' "$1")
    b=$(awk '$2 == "report" { print $1 }' "$1")
    [ -n "$a" ] && [ -n "$b" ] || { cat "$1"; fail "no task ids in the listing"; }
}

cd "$tmp" || fail "cd $tmp"

# 1. Live: list, then switch (ids from the listing), handles, a bad id.
gdb -q -batch -ex 'set pagination off' -ex 'break loop__tasks_report_stuck' -ex run \
    -ex "source $ext" -ex 'info loop-tasks' "$prog" > list.out 2>&1
ids list.out
cmds "$a" "$b" > live.gdb
cat >> live.gdb <<'EOF'
info loop-handles
info loop-handles all
loop-task 999
EOF
gdb -q -batch -ex 'break loop__tasks_report_stuck' -ex run -x live.gdb "$prog" > live.out 2>&1
check live.out live
grep -q '0 open handle(s), 2 internal (libloop.s own' live.out || { cat live.out; fail "live: info loop-handles"; }
grep -Eq '^  timer +[0-9]+ .* internal .*examples/deadlock\.c' live.out ||
    { cat live.out; fail "live: info loop-handles all does not list the task timers"; }
grep -q 'no task 999 in any live loop' live.out || { cat live.out; fail "live: bad id"; }
echo "gdb_tasks.sh: live process ok"

# 1b. Attached to a running server stopped with SIGSTOP: its acceptor task
# waits on the listening socket.
server=$here/$BUILD/bin/echo_server
mkfifo port.fifo
"$server" --port 0 > port.fifo 2> server.err &
spid=$!
trap 'kill -CONT $spid 2>/dev/null; kill $spid 2>/dev/null; rm -rf "$tmp"' EXIT
exec 8< port.fifo
read -r _ port <&8 || fail "echo_server did not start: $(cat server.err)"
# One echo served: the acceptor has run and waits on the socket again.
"$here/$BUILD/bin/loadgen" --port "$port" --conns 1 --messages 1 > loadgen.out 2>&1 ||
    fail "loadgen: $(cat loadgen.out)"
kill -STOP $spid
gdb -q -batch -p $spid -ex "source $ext" -ex 'info loop-tasks' > attach-list.out 2>&1
acc=$(awk '$2 == "acceptor" { print $1 }' attach-list.out)
[ -n "$acc" ] || { cat attach-list.out; fail "attach: no acceptor task listed"; }
grep -Eq "^ +$acc acceptor +waiting +fd obj=" attach-list.out || { cat attach-list.out; fail "attach: acceptor row"; }
gdb -q -batch -p $spid -ex "source $ext" -ex "loop-task $acc" -ex bt -ex 'loop-task 0' > attach.out 2>&1
grep -Eq '^#[0-9]+ .* acceptor \(arg=.*examples/echo_server\.c' attach.out ||
    { cat attach.out; fail "attach: loop-task + bt does not show acceptor()"; }
kill -CONT $spid
kill $spid
wait $spid 2>/dev/null
exec 8<&-
echo "gdb_tasks.sh: attached to a stopped process ok"

case "${SANITIZE:-}" in
?*) echo "gdb_tasks.sh: ok (cores skipped under SANITIZE=$SANITIZE)"; exit 0 ;;
esac

# 2. gcore. LOOP_FAULT fails the first madvise: guards made with mprotect.
LOOP_FAULT=madvise:1:EINVAL gdb -q -batch -ex 'break loop__tasks_report_stuck' -ex run \
    -ex "gcore $tmp/core.gcore" "$prog" > gcore.out 2>&1
[ -s core.gcore ] || { cat gcore.out; fail "gcore wrote no core"; }
cmds "$a" "$b" > core.gdb
gdb -q -batch -x core.gdb "$prog" core.gcore > gcore-read.out 2>&1
check gcore-read.out gcore
echo "gdb_tasks.sh: gcore core file ok"

# 3. A kernel core dump, where core_pattern writes a plain file.
case $(cat /proc/sys/kernel/core_pattern 2>/dev/null) in
core | core.%p)
    (ulimit -c unlimited && gdb -q -batch -ex 'break loop__tasks_report_stuck' -ex run \
        -ex 'signal SIGABRT' "$prog") > kcore.out 2>&1
    kcore=$(ls core core.[0-9]* 2>/dev/null | head -1)
    if [ -n "$kcore" ]; then
        gdb -q -batch -x core.gdb "$prog" "$kcore" > kcore-read.out 2>&1
        check kcore-read.out "kernel core"
        echo "gdb_tasks.sh: kernel core dump ok"
    else
        echo "gdb_tasks.sh: no kernel core written (ulimit -c?): that part skipped"
    fi
    ;;
*) echo "gdb_tasks.sh: core_pattern is not a plain file: kernel core part skipped" ;;
esac
echo "gdb_tasks.sh: ok"
