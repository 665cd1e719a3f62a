#!/bin/sh
# fault_io.sh — the examples under I/O faults armed from the environment
# (LOOP_FAULT, see libloop/sys.h).
#
#  1. EINTR, 1,000 times in a row, on each wrapped call that can return it
#     (epoll_wait, read, write, accept, connect) and on all of them at once:
#     fanout (1,000 tasks with their own echo server task) and echo_server
#     driven by fanout in another process answer every echo, exit 0 and
#     print no libloop line.
#  2. EMFILE from accept, injected (LOOP_FAULT="accept:1:EMFILE:5"): the echo
#     server says so once per failure, backs off and serves every client.
#  3. EMFILE for real: echo_server with RLIMIT_NOFILE 64 (ulimit -n) and 400
#     clients arriving at once; it runs out of descriptors, backs off, and
#     serves every client as descriptors free up.
# Environment: BUILD (build directory).
set -u
BUILD=${BUILD:-build}
. tests/lib/common.sh
me=fault_io
for p in echo_server fanout; do
    [ -x "$BUILD/bin/$p" ] || fail "$BUILD/bin/$p is missing: run make first"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/loop-fault-io.XXXXXX") || fail "mktemp failed"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server LOG ARGS...: echo_server in the background; sets server_pid, port.
start_server() {
    _log=$1
    shift
    "$BUILD/bin/echo_server" "$@" >"$_log.out" 2>"$_log.err" &
    server_pid=$!
    _i=0
    until grep -q '^port ' "$_log.out" 2>/dev/null; do
        _i=$((_i + 1))
        [ $_i -le 100 ] || fail "echo_server did not start: $(cat "$_log.err")"
        sleep 0.1
    done
    port=$(sed -n 's/^port //p' "$_log.out")
}

# wait_server NAME: the server must exit 0 after --max-conns connections.
wait_server() {
    wait "$server_pid"
    _st=$?
    server_pid=""
    [ $_st = 0 ] || fail "$1: echo_server exited $_st: $(tail -n 3 "$tmp/$1.srv.err")"
}

# 1. EINTR everywhere.
all=""
# (all at once also covers the seams these programs may not reach: the wakeup
# eventfd, the signalfd, the monitor's calls; test_faults.c drives each one)
for call in epoll_wait read write accept connect eventfd_read eventfd_write signalfd_read \
    recv send poll; do
    all="$all${all:+,}$call:1:EINTR:1000"
done
for spec in epoll_wait:1:EINTR:1000 read:1:EINTR:1000 write:1:EINTR:1000 \
    accept:1:EINTR:1000 connect:1:EINTR:1000 "$all"; do
    name=$(echo "$spec" | cut -d: -f1)
    [ "$spec" = "$all" ] && name=all
    LOOP_FAULT=$spec "$BUILD/bin/fanout" --tasks 1000 --deadline-ms 30000 \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
    st=$?
    [ $st = 0 ] || fail "EINTR on $name: fanout exited $st: $(tail -n 2 "$tmp/$name.out" "$tmp/$name.err")"
    grep -q 'fanout: 1000 of 1000 echoes ok' "$tmp/$name.out" || fail "EINTR on $name: $(cat "$tmp/$name.out")"
    [ -s "$tmp/$name.err" ] && fail "EINTR on $name: spurious output: $(head -n 3 "$tmp/$name.err")"

    LOOP_FAULT=$spec start_server "$tmp/$name.srv" --max-conns 200
    "$BUILD/bin/fanout" --port "$port" --tasks 200 --deadline-ms 30000 >"$tmp/$name.cli" 2>&1 ||
        fail "EINTR on $name in echo_server: fanout: $(tail -n 2 "$tmp/$name.cli")"
    wait_server "$name"
    [ -s "$tmp/$name.srv.err" ] && fail "EINTR on $name: echo_server said: $(head -n 3 "$tmp/$name.srv.err")"
done
echo "$me: EINTR x1000 on epoll_wait, read, write, accept, connect, and all at once:" \
    "every echo answered, no spurious error (fanout alone, echo_server + fanout)"

# 2. EMFILE injected: 5 failed accepts.
LOOP_FAULT=accept:1:EMFILE:5 start_server "$tmp/emfile.srv" --max-conns 300
"$BUILD/bin/fanout" --port "$port" --tasks 300 --deadline-ms 30000 >"$tmp/emfile.cli" 2>&1 ||
    fail "injected EMFILE: fanout: $(tail -n 2 "$tmp/emfile.cli")"
wait_server emfile
n=$(grep -c 'accept: .*backing off' "$tmp/emfile.srv.err")
[ "$n" = 5 ] || fail "injected EMFILE: echo_server reported $n failed accepts, want 5: $(head -n 3 "$tmp/emfile.srv.err")"
[ "$(grep -cv 'backing off' "$tmp/emfile.srv.err")" = 0 ] ||
    fail "injected EMFILE: other output: $(grep -v 'backing off' "$tmp/emfile.srv.err" | head -n 3)"
echo "$me: EMFILE (injected x5): 5 lines, then all 300 clients served"

# 3. EMFILE for real: 64 descriptors, 400 clients at once.
(
    ulimit -n 64 || exit 1
    exec "$BUILD/bin/echo_server" --max-conns 400 --idle-ms 20000
) >"$tmp/real.srv.out" 2>"$tmp/real.srv.err" &
server_pid=$!
i=0
until grep -q '^port ' "$tmp/real.srv.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 100 ] || fail "echo_server (ulimit -n 64) did not start: $(cat "$tmp/real.srv.err")"
    sleep 0.1
done
port=$(sed -n 's/^port //p' "$tmp/real.srv.out")
"$BUILD/bin/fanout" --port "$port" --tasks 400 --deadline-ms 60000 >"$tmp/real.cli" 2>&1 ||
    fail "real EMFILE: fanout: $(tail -n 2 "$tmp/real.cli")"
wait_server real
n=$(grep -c 'accept: too many open files.*backing off\|accept: .*EMFILE.*backing off' "$tmp/real.srv.err")
[ "$n" -gt 0 ] || fail "real EMFILE: the server never ran out of descriptors: $(head -n 3 "$tmp/real.srv.err")"
[ "$(grep -cv 'backing off' "$tmp/real.srv.err")" = 0 ] ||
    fail "real EMFILE: other output: $(grep -v 'backing off' "$tmp/real.srv.err" | head -n 3)"
echo "$me: EMFILE (RLIMIT_NOFILE 64, 400 clients at once): $n back-offs, every client served"
echo "$me: ok"
