#!/bin/sh
# live_edges.sh — the small edges a new user hits (issue 18, part 6):
#  - loop-trace -- /nonexistent/prog (or a command not on PATH, or a file that
#    is not executable): one line, exit 127 (126), no trace directory;
#  - LOOP_TRACE_PROBE naming a probe that cannot be loaded is said;
#  - loopctl PID of another user's process says permission denied;
#  - the monitor's `handles` says how many internal handles it does not list;
#  - babeltrace2 help sink.libloop.hangs describes the parameters;
#  - a short capture says nothing about "0 trace chunk(s)"; a failing
#    sink.libloop.check prints its finding line on stderr before
#    babeltrace2's error stack.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

make_tmp live-edges
# first: an old loop-trace would start a daemon for the missing program
sessiond_start

# ---- loop-trace with a program that cannot run ------------------------------
for case in "/nonexistent/prog:127:no such file" "no-such-command-xyz:127:command not found" \
            "$tmp/notexec:126:not an executable file"; do
    prog=${case%%:*}
    rest=${case#*:}
    want_rc=${rest%%:*}
    want_msg=${rest#*:}
    : > "$tmp/notexec"
    "$BUILD/bin/loop-trace" -o "$tmp/t-none" -- "$prog" arg > "$tmp/out" 2> "$tmp/err"
    rc=$?
    [ $rc = "$want_rc" ] || fail "loop-trace -- $prog: exit $rc, want $want_rc ($(cat "$tmp/err"))"
    [ "$(wc -l < "$tmp/err")" = 1 ] || fail "loop-trace -- $prog: not one line: $(cat "$tmp/err")"
    grep -q "^loop-trace: $prog: $want_msg\$" "$tmp/err" || fail "loop-trace -- $prog said: $(cat "$tmp/err")"
    [ ! -e "$tmp/t-none" ] || fail "loop-trace -- $prog left $tmp/t-none behind"
done
note "loop-trace with a missing program: ok"

# ---- LOOP_TRACE_PROBE that cannot be loaded ------------------------------------
LOOP_TRACE=1 LOOP_TRACE_PROBE=/nonexistent/liblooptp.so "$BUILD/bin/deadlock" > /dev/null 2> "$tmp/err"
grep -q '^libloop: LOOP_TRACE_PROBE=/nonexistent/liblooptp.so could not be loaded (' "$tmp/err" ||
    fail "LOOP_TRACE_PROBE=/nonexistent: no warning: $(head -n 3 "$tmp/err")"
note "LOOP_TRACE_PROBE warning: ok"

# ---- loopctl and another user's process ---------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null 2>&1; then
    setpriv --reuid=65534 --regid=65534 --clear-groups sleep 60 &
    other=$!
    at_exit "kill $other 2>/dev/null"
    # until setpriv has switched to uid 65534 (it execs sleep after that)
    i=0
    while [ "$(stat -c %u "/proc/$other" 2>/dev/null)" != 65534 ] && [ $i -lt 500 ]; do
        i=$((i + 1))
    done
else
    other=1 # owned by root, we are not
fi
"$BUILD/bin/loopctl" "$other" ps > "$tmp/out" 2> "$tmp/err" && fail "loopctl $other ps succeeded"
grep -q "^loopctl: pid $other: permission denied" "$tmp/err" ||
    fail "loopctl of another uid's process said: $(cat "$tmp/err")"
note "loopctl permission denied: ok"

# ---- the monitor's handles: what is internal -----------------------------------
cat > "$tmp/mon.c" <<'EOF'
#include <loop.h>
#include <stdio.h>
#include <unistd.h>
/* A task sleeping (its timer is libloop's own) and nothing else; the test
 * asks the monitor, then sends a line on stdin to end the program. */
static loop_io_t in;
static loop_task_t *t;
static intptr_t sleeper(void *arg) { (void)arg; return loop_sleep(600000); }
static void on_stdin(loop_io_t *io, int ev)
{
    (void)ev;
    loop_io_stop(io);
    loop_handle_close(&io->handle, NULL);
    loop_task_cancel(t);
}
int main(void)
{
    loop_t *loop = loop_new();
    t = loop_spawn(loop, sleeper, NULL, "sleeper");
    loop_io_init(loop, &in, 0);
    loop_io_start(&in, on_stdin, LOOP_READABLE);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(t, NULL, 0);
    return loop_close(loop);
}
EOF
${CC:-cc} ${LOOP_TEST_CFLAGS:--D_GNU_SOURCE -Iinclude} -o "$tmp/mon" "$tmp/mon.c" \
    ${LOOP_TEST_LIBS:-$BUILD/lib/libloop.a -lpthread -ldl -lzstd} || fail "cannot build the monitor program"
mkfifo "$tmp/in" "$tmp/ready"
LOOP_MONITOR="$tmp/mon.sock" "$tmp/mon" < "$tmp/in" > "$tmp/ready" 2> "$tmp/mon.out" &
mon=$!
exec 7> "$tmp/in" 8< "$tmp/ready"
read -r line <&8 || fail "the monitor program did not start: $(cat "$tmp/mon.out")"
"$BUILD/bin/loopctl" "$tmp/mon.sock" handles > "$tmp/handles" 2>&1 || fail "loopctl handles: $(cat "$tmp/handles")"
echo quit >&7
exec 7>&- 8<&-
wait $mon || fail "the monitor program failed: $(cat "$tmp/mon.out")"
grep -Eq '^\([0-9]+ internal handle\(s\) not listed, [0-9]+ active: libloop.s own' "$tmp/handles" ||
    fail "handles does not say what is internal: $(cat "$tmp/handles")"
note "monitor handles: ok"

# ---- babeltrace2 help ---------------------------------------------------------
plugin_dir=$BUILD/lib/babeltrace2
babeltrace2 --plugin-path="$plugin_dir" help sink.libloop.hangs > "$tmp/help" 2>&1 ||
    fail "babeltrace2 help sink.libloop.hangs: $(cat "$tmp/help")"
for p in threshold pid loop json; do
    grep -Eq "^ *$p[ :=(]" "$tmp/help" || fail "help sink.libloop.hangs does not describe $p: $(cat "$tmp/help")"
done
note "babeltrace2 help: ok"

# ---- a short capture; a failing check sink ------------------------------------
"$BUILD/bin/loop-trace" -o "$tmp/t" -- "$BUILD/bin/deadlock" > /dev/null 2> "$tmp/err"
[ $? = 3 ] || fail "loop-trace of the deadlock example: $(cat "$tmp/err")"
grep -q 'trace chunk(s)' "$tmp/err" && ! grep -q '[1-9][0-9]* trace chunk(s)' "$tmp/err" &&
    fail "a short capture talks about 0 chunks: $(cat "$tmp/err")"
grep -q "^loop-trace: trace: $tmp/t" "$tmp/err" || fail "no trace line: $(cat "$tmp/err")"
babeltrace2 --plugin-path="$plugin_dir" "$tmp/t" -c sink.libloop.check > "$tmp/out" 2> "$tmp/err" &&
    fail "sink.libloop.check passed on a deadlock"
head -n 1 "$tmp/err" | grep -q '^sink.libloop.check: .*finding' ||
    fail "sink.libloop.check: the first line on stderr is not the finding: $(head -n 3 "$tmp/err")"
note "short capture, check sink: ok"
echo "live_edges.sh: ok"
