#!/bin/sh
# uv_example.sh — examples/uv_echo.c, a libuv program, built unchanged
# against libloop-uv (build/bin/uv_echo) and against Debian's libuv: both
# print the same lines. Then, under a private lttng-sessiond, loop-trace
# records the libloop-uv build, and the trace names the program's own
# handles: their uv type (handle_new name "uv_tcp", "uv_timer") and the
# source line of their uv_*_init call, with callbacks on them.
# Run by `make check` from the repository root; BUILD is the build directory.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

src=examples/uv_echo.c
[ -x "$BUILD/bin/uv_echo" ] || fail "$BUILD/bin/uv_echo is missing: run make first"

make_tmp uv-example

# 1. The same program against both libraries prints the same lines.
"$BUILD/bin/uv_echo" 9127 4 >"$tmp/libloop-uv.out" 2>&1 || fail "uv_echo (libloop-uv) failed: $(cat "$tmp/libloop-uv.out")"
grep -q '^done: ok$' "$tmp/libloop-uv.out" || fail "uv_echo (libloop-uv) did not finish: $(cat "$tmp/libloop-uv.out")"
if [ -f /usr/include/uv.h ]; then
    # shellcheck disable=SC2046 # pkg-config prints a list of options
    cc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/uv_echo_libuv" "$src" \
        $(pkg-config --cflags --libs libuv 2>/dev/null || echo -luv) || fail "$src does not build against libuv"
    "$tmp/uv_echo_libuv" 9127 4 >"$tmp/libuv.out" 2>&1 || fail "uv_echo (libuv) failed: $(cat "$tmp/libuv.out")"
    diff -u "$tmp/libuv.out" "$tmp/libloop-uv.out" >"$tmp/diff" ||
        fail "libloop-uv and libuv print different lines: $(cat "$tmp/diff")"
    echo "uv_example: the same $(wc -l <"$tmp/libuv.out") lines with libuv and libloop-uv"
else
    echo "uv_example: libuv1-dev not installed: comparison with libuv skipped"
fi

# 2. A handle left open: uv_loop_close() says UV_EBUSY and, in debug mode,
#    names it by its uv type and the line of its uv_timer_init().
cat >"$tmp/leak.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
#include <uv.h>
static uv_loop_t loop; /* static: libloop's report at exit reads them */
static uv_timer_t forgotten;
static void tick(uv_timer_t *t) { uv_timer_stop(t); }
int main(void)
{
    uv_loop_init(&loop);
    uv_timer_init(&loop, &forgotten);
    uv_timer_start(&forgotten, tick, 1, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    printf("uv_loop_close: %s\n", uv_err_name(uv_loop_close(&loop)));
    fflush(stdout);
    _exit(0); /* no report at exit: what names the handle is uv_loop_close */
}
EOF
# shellcheck disable=SC2046,SC2086 # lists of options
cc -std=gnu11 -Wall -Wextra -Werror -Iuv/include -Iinclude ${SANFLAGS:-} -o "$tmp/leak" "$tmp/leak.c" \
    "$BUILD/lib/libloop-uv.a" -lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd) ||
    fail "cannot build a uv program against $BUILD/lib/libloop-uv.a"
LOOP_DEBUG=1 "$tmp/leak" >"$tmp/leak.out" 2>&1 || fail "the leaking uv program failed: $(cat "$tmp/leak.out")"
grep -q '^uv_loop_close: EBUSY$' "$tmp/leak.out" || fail "uv_loop_close did not say EBUSY: $(cat "$tmp/leak.out")"
leak_line=$(grep -n 'uv_timer_init(' "$tmp/leak.c" | cut -d: -f1)
grep -q "name=\"uv_timer\" site=.*leak.c:$leak_line " "$tmp/leak.out" ||
    fail "debug mode did not name the open uv_timer and leak.c:$leak_line: $(cat "$tmp/leak.out")"
echo "uv_example: an open handle is named at uv_loop_close: $(grep -m 1 "leak.c:$leak_line" "$tmp/leak.out")"

# 3. loopctl shows the uv handles of a running libuv program, active, with sites.
timer_line=$(grep -n 'uv_timer_init(' "$src" | head -n 1 | cut -d: -f1)
LOOP_MONITOR=1 "$BUILD/bin/uv_echo" 9127 400 >"$tmp/mon.out" 2>&1 &
mon_pid=$!
at_exit "kill $mon_pid 2>/dev/null"
i=0
until "$BUILD/bin/loopctl" "$mon_pid" handles >"$tmp/handles.txt" 2>&1 &&
    grep -q "name=\"uv_timer\" active created=$src:$timer_line " "$tmp/handles.txt"; do
    i=$((i + 1))
    [ $i -le 100 ] || fail "loopctl never showed the active uv_timer of $src:$timer_line: $(cat "$tmp/handles.txt"; echo; cat "$tmp/mon.out")"
    sleep 0.1
done
kill "$mon_pid" 2>/dev/null
wait "$mon_pid" 2>/dev/null
echo "uv_example: loopctl shows the uv handles with their $src lines"

# 4. LOOP_RECORD writes a libuv program's schedule (clock, dispatch order,
#    readiness events, stream reads/writes/accepts); LOOP_REPLAY runs it again
#    in that order, and names the first divergence by the uv handles' sites.
LOOP_RECORD="$tmp/run.sched" "$BUILD/bin/uv_echo" 9127 3 >"$tmp/rec.out" 2>&1 ||
    fail "uv_echo under LOOP_RECORD failed: $(cat "$tmp/rec.out")"
LOOP_REPLAY="$tmp/run.sched" "$BUILD/bin/uv_echo" 9127 3 >"$tmp/rep.out" 2>&1 ||
    fail "the replay of uv_echo exited $?: $(tail -n 3 "$tmp/rep.out")"
diff -u "$tmp/rec.out" "$tmp/rep.out" >"$tmp/rep.diff" ||
    fail "the replay printed other lines than the recorded run: $(cat "$tmp/rep.diff")"
"$BUILD/bin/loop-replay" dump "$tmp/run.sched" >"$tmp/dump.txt" 2>&1 ||
    fail "loop-replay dump failed: $(tail -n 2 "$tmp/dump.txt")"
for what in 'dispatch io' 'io *read' 'io *write' 'io *accept'; do
    grep -q "$what" "$tmp/dump.txt" || fail "the schedule has no '$what' record"
done
LOOP_REPLAY="$tmp/run.sched" "$BUILD/bin/uv_echo" 9127 4 >"$tmp/div.out" 2>&1
st=$?
[ $st = 3 ] || fail "a replay of 3 messages running 4 exited $st, want 3 (divergence): $(tail -n 3 "$tmp/div.out")"
grep -q "replay diverged at step [0-9]*: expected .*name=\"uv_[a-z]*\" site=$src:[0-9]* " "$tmp/div.out" ||
    fail "the divergence does not name the uv handle and its site: $(grep -i diverge "$tmp/div.out")"
echo "uv_example: recorded and replayed ($(wc -l <"$tmp/dump.txt") records); a diverging run is named: $(grep -o 'expected kind=[a-z]* id=[0-9]* name="[a-z_]*"' "$tmp/div.out")"

# 5. LOOP_CHAOS perturbs the uv loop's polls (batch order, readiness held
#    back) from its seed: the runs differ from fifo, still work, and each
#    recorded chaos run replays exactly.
perturbed=0
for seed in 1 2 3; do
    LOOP_CHAOS=$seed LOOP_CHAOS_LOG="$tmp/chaos$seed.log" LOOP_RECORD="$tmp/chaos$seed.sched" \
        "$BUILD/bin/uv_echo" 9127 3 >"$tmp/chaos$seed.out" 2>&1 ||
        fail "uv_echo under LOOP_CHAOS=$seed failed: $(tail -n 3 "$tmp/chaos$seed.out")"
    grep -q '^P[0-9]* applied step=[0-9]* uv: ' "$tmp/chaos$seed.log" && perturbed=$((perturbed + 1))
    LOOP_REPLAY="$tmp/chaos$seed.sched" "$BUILD/bin/uv_echo" 9127 3 >"$tmp/chaosr$seed.out" 2>&1 ||
        fail "the replay of chaos seed $seed exited $?: $(tail -n 3 "$tmp/chaosr$seed.out")"
    cmp -s "$tmp/chaos$seed.out" "$tmp/chaosr$seed.out" ||
        fail "the replay of chaos seed $seed printed other lines"
done
[ $perturbed -gt 0 ] || fail "LOOP_CHAOS seeds 1-3 made no perturbation of the uv loop's polls"
echo "uv_example: chaos: $perturbed of 3 seeds perturbed the uv loop's polls; each replayed exactly"

# 6. Traced: handles and callbacks carry the program's sites.
for tool in babeltrace2 lttng lttng-sessiond; do
    command -v "$tool" >/dev/null 2>&1 || { echo "uv_example: $tool not found: trace check skipped"; exit 0; }
done
sessiond_start
"$BUILD/bin/loop-trace" -o "$tmp/trace" -- "$BUILD/bin/uv_echo" 9127 2 >"$tmp/traced.out" 2>"$tmp/loop-trace.err" ||
    fail "loop-trace -- uv_echo failed: $(cat "$tmp/loop-trace.err" "$tmp/traced.out")"
babeltrace2 "$tmp/trace" >"$tmp/events.txt" 2>"$tmp/bt.err" ||
    fail "babeltrace2 cannot read the trace: $(head -n 3 "$tmp/bt.err")"
timer_line=$(grep -n 'uv_timer_init(' "$src" | head -n 1 | cut -d: -f1)
grep 'libloop:handle_new' "$tmp/events.txt" | grep 'site_file = "examples/uv_echo.c"' |
    grep -q "site_line = $timer_line," ||
    fail "no handle_new at $src:$timer_line (the uv_timer) in the trace: $(grep -m 3 handle_new "$tmp/events.txt")"
for name in uv_timer uv_tcp; do
    grep 'libloop:handle_name' "$tmp/events.txt" | grep -q "name = \"$name\"" ||
        fail "no handle named $name in the trace: $(grep -m 3 handle_name "$tmp/events.txt")"
done
n=$(grep -c 'libloop:callback_begin' "$tmp/events.txt")
[ "$n" -ge 10 ] || fail "only $n callback_begin events in the trace"
timer_id=$(grep 'libloop:handle_new' "$tmp/events.txt" | grep "site_line = $timer_line," |
    sed -n 's/.* id = \([0-9]*\),.*/\1/p' | head -n 1)
grep 'libloop:callback_begin' "$tmp/events.txt" | grep -q "loop_id = 1, id = $timer_id," ||
    fail "no callback of the uv_timer (id $timer_id, $src:$timer_line) in the trace"
echo "uv_example: traced: $n callbacks, uv handles named with their $src lines"
