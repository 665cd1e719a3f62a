#!/bin/sh
# analyze_parallel.sh — loop-analyze decoding several processes' traces in
# parallel (--jobs N) gives exactly what one thread gives.
#
# Under a private lttng-sessiond (tests/lib/sessiond.sh), loop-trace
# --pid-buffers captures three processes running at the same time (one
# trace directory each, their events interleaved in time): a clean one,
# one that leaks and one that deadlocks. Then:
#  - with -v, --jobs 2 and --jobs 3 say they decode with 2 and 3 threads
#    (so the parallel path really ran), --jobs 1 with one;
#  - every command, text and --json, prints byte-identical stdout and
#    stderr and exits with the same status for --jobs 1, 2 and the default
#    (and 3 for summary --json);
#  - the same with a stream file cut mid-packet (repaired at open: the
#    warning is the same) and with a stream file whose packet is
#    overwritten in the middle (decoding stops there: the same events are
#    read, the same warning, the same exit status);
#  - a rotated capture (--rotate 500ms, each process's trace in 2 chunks
#    or more, one UUID per trace): --jobs 2 decodes with 2 threads and
#    every command gives the same bytes as --jobs 1, also with a stream
#    file of one chunk cut mid-packet;
#  - an input that is not a trace: exit 2 and the same one line.
# Run by `make check` (scripts/run-tests) from the repository root with sh;
# BUILD is the build directory. tests/tsan/analyze_parallel.sh runs it
# under ThreadSanitizer.
set -u

. tests/lib/sessiond.sh
sessiond_isolate "$0" "$@"

A=$BUILD/bin/loop-analyze
LT=$BUILD/bin/loop-trace

for tool in cc lttng lttng-sessiond babeltrace2; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (scripts/install-deps installs it)"
done
for f in bin/loop-analyze bin/loop-trace lib/libloop.a lib/liblooptp.so; do
    [ -e "$BUILD/$f" ] || fail "$BUILD/$f is missing: run make first"
done

make_tmp loop-analyze-par
mkdir -p "$tmp/src" "$tmp/bin" "$tmp/lib"
ln -s "$BUILD/lib/liblooptp.so" "$tmp/lib/liblooptp.so" # found via ../lib from $tmp/bin
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"

cat >"$tmp/src/par_prog.c" <<'EOF'
/* par_prog N MODE [MS]: tasks under a lock, call-soon hops, timers; MODE leak
   leaves timers open, MODE deadlock ends with two tasks in a lock cycle; with
   MS, a task also sleeps 10 ms at a time for MS ms (events in every chunk of
   a rotated capture). */
#include <string.h>
#include <stdlib.h>
#include <loop.h>

static loop_lock_t *lock, *other;
static int rounds, hops;

static intptr_t worker(void *arg)
{
    for (int i = 0; i < rounds; i++) {
        loop_lock_acquire(lock, LOOP_FOREVER);
        loop_yield();
        loop_lock_release(lock);
        if (i % 16 == 0) {
            loop_sleep(0);
        }
    }
    return (intptr_t)arg;
}

static intptr_t one(void *arg)
{
    (void)arg;
    loop_lock_acquire(lock, LOOP_FOREVER);
    loop_sleep(2);
    loop_lock_acquire(other, LOOP_FOREVER);
    return 0;
}

static intptr_t two(void *arg)
{
    (void)arg;
    loop_lock_acquire(other, LOOP_FOREVER);
    loop_sleep(2);
    loop_lock_acquire(lock, LOOP_FOREVER);
    return 0;
}

static void hop(loop_t *loop, void *arg)
{
    (void)arg;
    if (--hops > 0) {
        loop_call_soon(loop, hop, NULL);
    }
}

static void tick(loop_timer_t *t) { (void)t; }

static intptr_t sleeper(void *arg)
{
    for (intptr_t i = 0; i < (intptr_t)arg / 10; i++) {
        loop_sleep(10);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    const char *mode = argc > 2 ? argv[2] : "clean";
    static loop_timer_t timers[4];
    loop_task_t *t[4];
    loop_t *loop = loop_new();

    rounds = n / 8;
    hops = n;
    lock = loop_lock_new(loop);
    other = loop_lock_new(loop);
    for (int i = 0; i < 4; i++) {
        t[i] = loop_spawn(loop, worker, (void *)(intptr_t)i, "worker");
        loop_timer_init(loop, &timers[i]);
        loop_timer_start(&timers[i], tick, 1, 0);
    }
    loop_call_soon(loop, hop, NULL);
    loop_task_t *sl = argc > 3 ? loop_spawn(loop, sleeper, (void *)(intptr_t)atoi(argv[3]), "sleeper") : NULL;
    loop_run(loop, LOOP_RUN_DEFAULT);
    if (sl != NULL) {
        loop_join(sl, NULL, 0);
    }
    for (int i = 0; i < 4; i++) {
        loop_join(t[i], NULL, 0);
        if (strcmp(mode, "leak") != 0 || i < 2) {
            loop_handle_close(&timers[i].handle, NULL);
        }
    }
    if (strcmp(mode, "deadlock") == 0) {
        loop_spawn(loop, one, NULL, "one");
        loop_spawn(loop, two, NULL, "two");
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    return 0;
}
EOF
# shellcheck disable=SC2086 # libs is a list of options
(cd "$tmp/src" && ${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -g -rdynamic ${SANFLAGS:-} \
    -I"$OLDPWD/include" -o "$tmp/bin/par_prog" par_prog.c "$BUILD/lib/libloop.a" $libs) ||
    fail "cannot build par_prog.c against libloop.a"

sessiond_start
P=$tmp/bin/par_prog
"$LT" --pid-buffers --blocking --subbuf-size 256K -o "$tmp/t" -- \
    sh -c "'$P' 12000 clean & '$P' 12000 leak & '$P' 12000 deadlock & wait" \
    >"$tmp/cap.out" 2>"$tmp/cap.err" || true
sessiond_stop
ntraces=$(find "$tmp/t" -name metadata | wc -l)
[ "$ntraces" -ge 3 ] || fail "--pid-buffers gave $ntraces trace directories, want 3 or more: $(tail -n 3 "$tmp/cap.err")"

# run NAME ARGS...: loop-analyze ARGS; stdout, stderr and status into $tmp/NAME.*
run() {
    name=$1
    shift
    "$A" "$@" >"$tmp/$name.out" 2>"$tmp/$name.raw"
    echo $? >"$tmp/$name.st"
    sed 's/0x[0-9a-f]*/0x?/g' "$tmp/$name.raw" >"$tmp/$name.err"
}

# same TRACE ARGS...: the command gives the same bytes and status with
# --jobs 1, 2 and the default ($JOBS). babeltrace2's error causes carry
# addresses, which change from run to run whatever the threads: masked.
JOBS="2 default"
same() {
    trace=$1
    shift
    run j1 "$@" --jobs 1 "$trace"
    for j in $JOBS; do
        if [ $j = default ]; then
            run jn "$@" "$trace"
        else
            run jn "$@" --jobs $j "$trace"
        fi
        for f in out err st; do
            cmp -s "$tmp/j1.$f" "$tmp/jn.$f" ||
                fail "loop-analyze $* --jobs $j differs from --jobs 1 in std$f (status $(cat "$tmp/j1.st") vs $(cat "$tmp/jn.st")): $(diff "$tmp/j1.$f" "$tmp/jn.$f" | head -n 8)"
        done
    done
}

# The parallel path is the one taken.
for j in 1 2 3; do
    run v summary -v --jobs $j "$tmp/t"
    grep -q "with $j decoding threads" "$tmp/v.err" ||
        fail "summary -v --jobs $j: no \"with $j decoding threads\": $(head -c 400 "$tmp/v.err")"
done

# The findings are there (so that the comparisons compare something).
run v hangs "$tmp/t"
grep -q "DEADLOCK" "$tmp/v.out" || fail "hangs: no deadlock among the three processes: $(head -c 600 "$tmp/v.out")"
run v summary --json "$tmp/t"
if command -v python3 >/dev/null 2>&1; then
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['processes'])==3, d['processes']" \
        "$tmp/v.out" || fail "summary --json: not three processes: $(head -c 600 "$tmp/v.out")"
fi

JOBS="2 3 default" same "$tmp/t" summary --json
for cmd in summary timeline hangs lints leaks profile check; do
    same "$tmp/t" $cmd
    same "$tmp/t" $cmd --json
done
same "$tmp/t" timeline --all
same "$tmp/t" profile --folded
same "$tmp/t" hangs --threshold 1ms

# A stream file cut mid-packet: repaired at open, the same warning.
cp -r "$tmp/t" "$tmp/cut"
big=$(find "$tmp/cut" -type f -name 'loop_*' ! -name '*.idx' -exec ls -S {} + | head -n 1)
size=$(wc -c <"$big")
truncate -s $((size / 2 + 1234)) "$big"
for cmd in summary hangs leaks check; do
    same "$tmp/cut" $cmd
    same "$tmp/cut" $cmd --json
done
grep -q "truncated mid-packet" "$tmp/jn.err" || fail "cut: no warning about the cut stream file: $(cat "$tmp/jn.err")"

# A packet overwritten in the middle of a stream file: decoding stops there.
cp -r "$tmp/t" "$tmp/bad"
rm -rf "$tmp"/bad/*/*/*/*/index "$tmp"/bad/*/*/*/*/*/index 2>/dev/null
big=$(find "$tmp/bad" -type f -name 'loop_*' ! -name '*.idx' -exec ls -S {} + | head -n 1)
size=$(wc -c <"$big")
dd if=/dev/urandom of="$big" bs=1 seek=$((size / 2)) count=4096 conv=notrunc 2>/dev/null
for cmd in summary hangs leaks check; do
    same "$tmp/bad" $cmd
    same "$tmp/bad" $cmd --json
done

# A rotated capture (a chunk every 500 ms) of three processes running
# 1.6 s each: every process's trace is in two chunks or more
# (archives/CHUNK/ust/pid/PROC/...), the chunks of one trace share its UUID
# and are read as one trace: decoded in parallel all the same (before, traces
# sharing a UUID fell back to one thread), with the same bytes as one thread.
sessiond_start
"$LT" --pid-buffers --blocking --subbuf-size 256K --rotate 500ms -o "$tmp/r" -- \
    sh -c "'$P' 12000 clean 1600 & '$P' 12000 leak 1600 & '$P' 12000 deadlock 1600 & wait" \
    >"$tmp/rcap.out" 2>"$tmp/rcap.err" || true
sessiond_stop
# (the shells traced before their exec are traces too: only par_prog's counted)
find "$tmp/r" -name metadata | sed -n 's|.*/ust/pid/\(par_prog-[^/]*\)/.*|\1|p' | sort | uniq -c >"$tmp/r.chunks"
nproc_r=$(wc -l <"$tmp/r.chunks")
[ "$nproc_r" -ge 3 ] || fail "rotated: $nproc_r per-process traces, want 3: $(cat "$tmp/r.chunks") $(tail -n 3 "$tmp/rcap.err")"
awk '$1 < 2 { bad = 1 } END { exit bad }' "$tmp/r.chunks" ||
    fail "rotated: a process's trace is in fewer than 2 chunks: $(cat "$tmp/r.chunks")"
rdirs=$(find "$tmp/r" -name metadata | wc -l)
run v summary -v --jobs 2 "$tmp/r"
grep -q "reading $rdirs trace directories with 2 decoding threads" "$tmp/v.err" ||
    fail "rotated: summary -v --jobs 2: not \"reading $rdirs trace directories with 2 decoding threads\": $(head -c 400 "$tmp/v.err")"
run v summary --json "$tmp/r"
if command -v python3 >/dev/null 2>&1; then
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['processes'])==3, d['processes']" \
        "$tmp/v.out" || fail "rotated: summary --json: not three processes: $(head -c 600 "$tmp/v.out")"
fi
run v hangs "$tmp/r"
grep -q "DEADLOCK" "$tmp/v.out" || fail "rotated: hangs: no deadlock: $(head -c 600 "$tmp/v.out")"
JOBS="2 3 default" same "$tmp/r" summary --json
for cmd in summary timeline hangs leaks profile check; do
    same "$tmp/r" $cmd
    same "$tmp/r" $cmd --json
done
# ... and a stream file of one chunk cut mid-packet: that chunk repaired, the rest read.
cp -r "$tmp/r" "$tmp/rcut"
big=$(find "$tmp/rcut" -type f -name 'loop_*' ! -name '*.idx' -exec ls -S {} + | head -n 1)
size=$(wc -c <"$big")
truncate -s $((size / 2 + 1234)) "$big"
for cmd in summary hangs leaks check; do
    same "$tmp/rcut" $cmd
    same "$tmp/rcut" $cmd --json
done
grep -q "truncated mid-packet" "$tmp/jn.err" || fail "rotated, cut: no warning about the cut stream file: $(cat "$tmp/jn.err")"

# Bad input: the same single line and exit 2.
mkdir -p "$tmp/notrace/a" "$tmp/notrace/b"
same "$tmp/notrace" summary
[ "$(cat "$tmp/jn.st")" = 2 ] && [ "$(wc -l <"$tmp/jn.err")" = 1 ] ||
    fail "no trace: want exit 2 and one line, got $(cat "$tmp/jn.st"): $(cat "$tmp/jn.err")"
run v summary --jobs 0 "$tmp/t"
[ "$(cat "$tmp/v.st")" = 2 ] && grep -q -- "--jobs" "$tmp/v.err" || fail "--jobs 0 was not refused: $(cat "$tmp/v.err")"

echo "analyze_parallel: ok ($ntraces trace directories; rotated: $rdirs directories, $nproc_r traces)"
