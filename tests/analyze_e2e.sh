#!/bin/sh
# analyze_e2e.sh — loop-analyze on real LTTng traces, end to end.
#
# Under a private lttng-sessiond (tests/lib/sessiond.sh) it captures, with
# loop-trace, small programs written below and compiled against the built
# libloop.a (and the examples when they are built), then checks:
#  - a two-lock deadlock is one cycle naming both tasks and both acquire
#    sites (text and --json), and check exits 1;
#  - leaks are grouped by creation site with the exact counts;
#  - a clean program (two loops, tasks, locks, joins, timers, call-soons,
#    pool work) yields no finding and check exits 0;
#  - a stall shows the watchdog's backtrace with the blocking function;
#  - a program killed -9 inside a task step: the trace ends inside it and
#    the report names the task and where it resumed;
#  - task I/O (task_io): examples/fanout's clients, echo connections and
#    acceptor read, wrote and accepted exactly what the program sent;
#  - two processes in one trace are kept apart (--pid);
#  - events lost to full buffers are counted and the loops marked;
#  - the babeltrace2 plugin (sink.libloop.*) gives the same reports;
#  - every command runs in text and --json (the JSON validates against
#    analyze/loop-analyze.schema.json), timeline
#    writes Chrome JSON and an HTML page;
#  - bad input exits 2 with one line: no such path, an empty directory,
#    random bytes as metadata, a trace without libloop events, an unknown
#    trace-format version, a stream file cut mid-packet down to nothing; a
#    stream file cut mid-packet is read up to its last complete packet;
#  - `hangs` on an lttng-live session (a private lttng-relayd on loopback)
#    reports a deadlock while the program still runs.
# Run by `make check` (scripts/run-tests) from the repository root with sh;
# BUILD is the build directory.
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
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

make_tmp loop-analyze-test
mkdir -p "$tmp/src" "$tmp/bin" "$tmp/lib"
ln -s "$BUILD/lib/liblooptp.so" "$tmp/lib/liblooptp.so" # found via ../lib from $tmp/bin
libs="-lpthread -ldl $(pkg-config --libs libzstd 2>/dev/null || echo -lzstd)"

# ---------------------------------------------------------------------------
# Helpers

# Run loop-analyze; stdout to $tmp/out, stderr to $tmp/err, status in $st.
an() {
    "$A" "$@" >"$tmp/out" 2>"$tmp/err"
    st=$?
}

# Expect exit status $1 from the last an(); the rest says what ran.
expect_status() {
    want=$1
    shift
    [ "$st" = "$want" ] || fail "$* exited $st, want $want; stderr: $(head -c 400 "$tmp/err"); stdout: $(head -c 400 "$tmp/out")"
}

# Bad input: exit 2, exactly one line on stderr, containing $1; the rest is the command.
expect_bad() {
    pat=$1
    shift
    an "$@"
    [ "$st" = 2 ] || fail "loop-analyze $* exited $st, want 2 (stderr: $(head -c 300 "$tmp/err"))"
    [ "$(wc -l <"$tmp/err")" = 1 ] || fail "loop-analyze $* printed $(wc -l <"$tmp/err") lines on stderr, want 1: $(cat "$tmp/err")"
    grep -q -- "$pat" "$tmp/err" || fail "loop-analyze $*: stderr lacks \"$pat\": $(cat "$tmp/err")"
}

out_has() {
    grep -q -- "$1" "$tmp/out" || fail "$2: output lacks \"$1\":
$(head -c 2000 "$tmp/out")"
}

# Python one-liner over the JSON in $tmp/out (skipped without python3).
json_check() {
    [ $have_python = 1 ] || return 0
    python3 -c "import json,sys
d=json.load(open(sys.argv[1]))
$1" "$tmp/out" 2>"$tmp/pyerr" || fail "$2: $(tail -n 3 "$tmp/pyerr"); JSON: $(head -c 1500 "$tmp/out")"
}

line_of() {
    grep -n "$2" "$tmp/src/$1" | head -n 1 | cut -d: -f1
}

build() {
    # shellcheck disable=SC2086 # libs is a list of options
    # SANFLAGS: the sanitizer flags of the build being tested (make check passes them)
    (cd "$tmp/src" && ${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -g -rdynamic ${SANFLAGS:-} \
        -I"$OLDPWD/include" -o "$tmp/bin/$1" "$1.c" "$BUILD/lib/libloop.a" $libs) ||
        fail "cannot build $1.c against libloop.a"
}

capture() {
    name=$1
    shift
    "$LT" -o "$tmp/t-$name" "$@" >"$tmp/cap-$name.out" 2>"$tmp/cap-$name.err"
    cst=$?
    [ -d "$tmp/t-$name" ] || fail "loop-trace made no trace for $name (status $cst): $(tail -n 3 "$tmp/cap-$name.err")"
}

# ---------------------------------------------------------------------------
# The programs

cat >"$tmp/src/ad_deadlock.c" <<'EOF'
/* two tasks take two locks in opposite order */
#include <loop.h>

static loop_lock_t *first, *second;

static intptr_t one(void *arg)
{
    (void)arg;
    loop_lock_acquire(first, LOOP_FOREVER);
    loop_sleep(5);
    loop_lock_acquire(second, LOOP_FOREVER); /* SITE_ONE */
    return 0;
}

static intptr_t two(void *arg)
{
    (void)arg;
    loop_lock_acquire(second, LOOP_FOREVER);
    loop_sleep(5);
    loop_lock_acquire(first, LOOP_FOREVER); /* SITE_TWO */
    return 0;
}

int main(void)
{
    loop_t *loop = loop_new();
    first = loop_lock_new(loop); /* SITE_FIRST */
    second = loop_lock_new(loop);
    loop_spawn(loop, one, NULL, "one");
    loop_spawn(loop, two, NULL, "two");
    loop_run(loop, LOOP_RUN_DEFAULT); /* returns: nothing can wake them */
    return 0;
}
EOF

cat >"$tmp/src/ad_leak.c" <<'EOF'
/* 5 timers and 4 watchers; closes 2 of each: 3 timers and 2 watchers leak */
#include <unistd.h>
#include <loop.h>

static void tick(loop_timer_t *t) { (void)t; }
static void readable(loop_io_t *io, int ev) { (void)io; (void)ev; }

int main(void)
{
    loop_t *loop = loop_new();
    static loop_timer_t timers[5];
    static loop_io_t ios[4];
    int fds[4][2];
    for (int i = 0; i < 5; i++) {
        loop_timer_init(loop, &timers[i]); /* SITE_TIMER */
        loop_timer_start(&timers[i], tick, 1, 0);
    }
    for (int i = 0; i < 4; i++) {
        if (pipe(fds[i]) < 0) {
            return 1;
        }
        loop_io_init(loop, &ios[i], fds[i][0]); /* SITE_IO */
        loop_io_start(&ios[i], readable, LOOP_READABLE);
    }
    for (int i = 0; i < 4; i++) {
        loop_io_stop(&ios[i]);
    }
    loop_handle_close(&timers[0].handle, NULL);
    loop_handle_close(&timers[1].handle, NULL);
    loop_handle_close(&ios[0].handle, NULL);
    loop_handle_close(&ios[1].handle, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    return loop_close(loop) == 0 ? 1 : 0; /* -EBUSY expected */
}
EOF

cat >"$tmp/src/ad_clean.c" <<'EOF'
/* everything closed, joined and finished, in two loops */
#include <loop.h>

static loop_lock_t *lock;
static int counter;

static intptr_t worker(void *arg)
{
    for (int i = 0; i < 3; i++) {
        loop_lock_acquire(lock, LOOP_FOREVER);
        loop_sleep(1);
        counter += (int)(intptr_t)arg;
        loop_lock_release(lock);
        loop_yield();
    }
    return 0;
}

static intptr_t boss(void *arg)
{
    loop_t *loop = arg;
    loop_task_t *a = loop_spawn(loop, worker, (void *)1, "worker-a");
    loop_task_t *b = loop_spawn(loop, worker, (void *)2, "worker-b");
    loop_join(a, NULL, LOOP_FOREVER);
    loop_join(b, NULL, LOOP_FOREVER);
    return 0;
}

static void tick(loop_timer_t *t) { loop_handle_close(&t->handle, NULL); }
static int hops;
static void hop(loop_t *loop, void *arg)
{
    (void)arg;
    if (++hops < 2000) {
        loop_call_soon(loop, hop, NULL);
    }
}
static void crunch(loop_work_t *w) { (void)w; }
static void crunched(loop_work_t *w, int status) { (void)w; (void)status; }

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t timer;
    loop_work_t work;
    lock = loop_lock_new(loop);
    loop_task_t *t = loop_spawn(loop, boss, loop, "boss");
    loop_timer_init(loop, &timer);
    loop_timer_start(&timer, tick, 2, 0);
    loop_call_soon(loop, hop, NULL);
    loop_work_submit(loop, &work, crunch, crunched);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(t, NULL, 0);
    loop_lock_free(lock);
    if (loop_close(loop) != 0) {
        return 1;
    }
    /* a second loop, after the first */
    loop_t *loop2 = loop_new();
    loop_timer_init(loop2, &timer);
    loop_timer_start(&timer, tick, 1, 0);
    loop_run(loop2, LOOP_RUN_DEFAULT);
    return loop_close(loop2) == 0 && counter == 9 ? 0 : 1;
}
EOF

cat >"$tmp/src/ad_joins.c" <<'EOF'
/*
 * Joins, detaches and sync objects (trace format minor 1). Leaks: 2 tasks
 * "lost" and 1 "broken" (failed) and 1 "victim" (cancelled) finished but
 * never joined, 1 future never resolved (alive) and 1 freed unresolved, 1
 * lock never freed. Not leaks: a detached task, a joined task, a group's
 * child, a resolved future, a failed future (freed), a freed lock.
 */
#include <errno.h>
#include <loop.h>

/* left unresolved / unfreed on purpose; static: still reachable for LeakSanitizer */
static loop_future_t *never;
static loop_lock_t *kept;

static intptr_t quick(void *arg)
{
    (void)arg;
    loop_sleep(1);
    return 0;
}

static intptr_t broken(void *arg)
{
    (void)arg;
    return -EIO;
}

static intptr_t sleeper(void *arg)
{
    (void)arg;
    return loop_sleep(10000);
}

static intptr_t boss(void *arg)
{
    loop_group_t *g = loop_group_new(arg);
    loop_group_spawn(g, quick, NULL, "child");
    int rc = loop_group_wait(g, LOOP_FOREVER);
    loop_group_free(g);
    return rc;
}

int main(void)
{
    loop_t *loop = loop_new();
    for (int i = 0; i < 2; i++) {
        loop_spawn(loop, quick, NULL, "lost"); /* SITE_UNJOINED */
    }
    loop_spawn(loop, broken, NULL, "broken"); /* SITE_BROKEN */
    loop_task_t *v = loop_spawn(loop, sleeper, NULL, "victim"); /* SITE_VICTIM */
    loop_task_cancel(v);
    loop_task_detach(loop_spawn(loop, quick, NULL, "bg"));
    loop_task_t *j = loop_spawn(loop, quick, NULL, "joined");
    loop_task_t *b = loop_spawn(loop, boss, loop, "boss");
    never = loop_future_new(loop); /* SITE_NEVER */
    loop_future_unref(loop_future_new(loop)); /* SITE_DROPPED */
    loop_future_t *failed = loop_future_new(loop); /* SITE_FAILED_FUTURE */
    loop_future_fail(failed, -EPIPE);
    loop_future_unref(failed);
    loop_future_t *read = loop_future_new(loop); /* a failure somebody read: not a lint */
    loop_future_fail(read, -EIO);
    (void)loop_future_result(read, NULL);
    loop_future_unref(read);
    loop_future_t *ok = loop_future_new(loop);
    loop_future_resolve(ok, 1);
    loop_future_unref(ok);
    kept = loop_lock_new(loop); /* SITE_LOCK */
    loop_lock_free(loop_lock_new(loop));
    loop_run(loop, LOOP_RUN_DEFAULT);
    int rc = loop_join(j, NULL, 0) == 0 && loop_join(b, NULL, 0) == 0 ? 0 : 1;
    return loop_close(loop) == 0 ? rc : 1;
}
EOF

cat >"$tmp/src/ad_stall.c" <<'EOF'
/* a timer callback that blocks the loop for 400 ms */
#include <time.h>
#include <loop.h>

void block_the_loop(int ms);
void block_the_loop(int ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static void flush(loop_timer_t *t)
{
    block_the_loop(400);
    loop_handle_close(&t->handle, NULL);
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t timer;
    loop_timer_init(loop, &timer); /* SITE_FLUSH */
    loop_handle_set_name(&timer.handle, "flush");
    loop_timer_start(&timer, flush, 1, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    return loop_close(loop) == 0 ? 0 : 1;
}
EOF

cat >"$tmp/src/ad_crash.c" <<'EOF'
/* a task that blocks in its second step until the process is killed */
#include <stdio.h>
#include <unistd.h>
#include <loop.h>

static const char *pidfile;

static intptr_t victim(void *arg)
{
    (void)arg;
    loop_sleep(10); /* SITE_RESUME */
    FILE *f = fopen(pidfile, "w");
    if (f != NULL) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    for (;;) {
        pause(); /* killed here */
    }
    return 0;
}

int main(int argc, char **argv)
{
    loop_t *loop = loop_new();
    pidfile = argc > 1 ? argv[1] : "crash.pid";
    loop_spawn(loop, victim, NULL, "victim");
    loop_run(loop, LOOP_RUN_DEFAULT);
    return 0;
}
EOF

cat >"$tmp/src/ad_livedl.c" <<'EOF'
/* the two-lock deadlock in a loop that keeps running 4 s (a ticking timer) */
#include <loop.h>

static loop_lock_t *first, *second;
static int ticks;

static intptr_t one(void *arg)
{
    (void)arg;
    loop_lock_acquire(first, LOOP_FOREVER);
    loop_sleep(5);
    loop_lock_acquire(second, LOOP_FOREVER);
    return 0;
}

static intptr_t two(void *arg)
{
    (void)arg;
    loop_lock_acquire(second, LOOP_FOREVER);
    loop_sleep(5);
    loop_lock_acquire(first, LOOP_FOREVER);
    return 0;
}

static void tick(loop_timer_t *t)
{
    if (++ticks == 40) {
        loop_handle_close(&t->handle, NULL);
    }
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t timer;
    first = loop_lock_new(loop);
    second = loop_lock_new(loop);
    loop_spawn(loop, one, NULL, "one");
    loop_spawn(loop, two, NULL, "two");
    loop_timer_init(loop, &timer);
    loop_timer_start(&timer, tick, 100, 100);
    loop_run(loop, LOOP_RUN_DEFAULT);
    return 0;
}
EOF

cat >"$tmp/src/ad_hops.c" <<'EOF'
/* a chain of call-soons: many events fast (to overflow small trace buffers) */
#include <stdlib.h>
#include <loop.h>

static long hops, n;

static void hop(loop_t *loop, void *arg)
{
    (void)arg;
    if (++hops < n) {
        loop_call_soon(loop, hop, NULL);
    }
}

int main(int argc, char **argv)
{
    loop_t *loop = loop_new();
    n = argc > 1 ? atol(argv[1]) : 100000;
    loop_call_soon(loop, hop, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    return loop_close(loop) == 0 ? 0 : 1;
}
EOF

for p in ad_deadlock ad_leak ad_clean ad_joins ad_stall ad_crash ad_livedl ad_hops; do
    build $p
done

# Fake providers for bad input: a "libloop" loop_new with another format
# version, and a provider that is not libloop at all.
make_fake() {
    prov=$1
    cat >"$tmp/src/fake_$prov.h" <<EOF
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER $prov
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "fake_$prov.h"
#if !defined(FAKE_${prov}_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define FAKE_${prov}_H
#include <lttng/tracepoint.h>
LTTNG_UST_TRACEPOINT_EVENT($prov, loop_new,
    LTTNG_UST_TP_ARGS(int, v),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, 1)
        lttng_ust_field_integer(uint16_t, format_version, v)
    )
)
#endif
#include <lttng/tracepoint-event.h>
EOF
    cat >"$tmp/src/fake_$prov.c" <<EOF
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include <stdlib.h>
#include "fake_$prov.h"
int main(int argc, char **argv)
{
    lttng_ust_tracepoint($prov, loop_new, argc > 1 ? atoi(argv[1]) : 1);
    return 0;
}
EOF
    (cd "$tmp/src" && cc -DLTTNG_UST_COMPAT_API_VERSION=1 -I. -o "$tmp/bin/fake_$prov" "fake_$prov.c" \
        -llttng-ust -ldl) || fail "cannot build the fake $prov provider (liblttng-ust-dev)"
}
make_fake libloop
make_fake notloop

# ---------------------------------------------------------------------------
# Bad input that needs no trace

expect_bad "No such file" hangs "$tmp/does-not-exist"
mkdir -p "$tmp/empty"
expect_bad "no CTF trace" summary "$tmp/empty"
mkdir -p "$tmp/random"
head -c 8192 /dev/urandom >"$tmp/random/metadata"
head -c 8192 /dev/urandom >"$tmp/random/stream_0"
expect_bad "not a readable CTF trace" check "$tmp/random"
expect_bad "unknown command" frobnicate "$tmp/empty"
expect_bad "unknown option" hangs --frob "$tmp/empty"
expect_bad "no trace given" leaks
expect_bad "threshold" hangs --threshold abc "$tmp/empty"
if [ "$(id -u)" != 0 ]; then
    mkdir -p "$tmp/locked/inner"
    chmod 000 "$tmp/locked"
    expect_bad "ermission denied" summary "$tmp/locked"
    chmod 755 "$tmp/locked"
fi

# ---------------------------------------------------------------------------
# Traces

sessiond_start

capture deadlock -- "$tmp/bin/ad_deadlock"
capture leak -- "$tmp/bin/ad_leak"
capture clean -- "$tmp/bin/ad_clean"
[ $cst = 0 ] || fail "ad_clean failed under loop-trace (status $cst): $(tail -n 3 "$tmp/cap-clean.err")"
capture joins -- "$tmp/bin/ad_joins"
[ $cst = 0 ] || fail "ad_joins failed under loop-trace (status $cst): $(tail -n 3 "$tmp/cap-joins.err")"
LOOP_STALL_MS=100 LOOP_DEBUG=1 capture stall -- "$tmp/bin/ad_stall"
capture two -- sh -c "'$tmp/bin/ad_deadlock'; '$tmp/bin/ad_leak'"
capture version -- "$tmp/bin/fake_libloop" 99
# Task I/O: examples/fanout (its own echo server task in the same loop), when built
fanout_tasks=20
traces="deadlock leak clean joins stall crash"
if [ -x "$BUILD/bin/fanout" ]; then
    capture fanout -- "$BUILD/bin/fanout" --tasks $fanout_tasks
    [ $cst = 0 ] || fail "examples/fanout failed under loop-trace (status $cst): $(tail -n 3 "$tmp/cap-fanout.err")"
    traces="$traces fanout"
fi

# A trace with no libloop event: plain lttng, every user-space event.
lttng create notloop --output="$tmp/t-notloop" >/dev/null || fail "lttng create failed"
lttng enable-event -u -a -s notloop >/dev/null || fail "lttng enable-event failed"
lttng start notloop >/dev/null || fail "lttng start failed"
LTTNG_UST_REGISTER_TIMEOUT=-1 "$tmp/bin/fake_notloop" 1
lttng destroy notloop >/dev/null || fail "lttng destroy failed"

# The crash: killed -9 inside a task step (loop-trace keeps the trace).
rm -f "$tmp/crash.pid"
"$LT" -o "$tmp/t-crash" -- "$tmp/bin/ad_crash" "$tmp/crash.pid" >"$tmp/cap-crash.out" 2>&1 &
ltpid=$!
i=0
while [ ! -s "$tmp/crash.pid" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ -s "$tmp/crash.pid" ] || { kill "$ltpid" 2>/dev/null; fail "ad_crash did not start"; }
sleep 0.2
kill -KILL "$(cat "$tmp/crash.pid")"
wait "$ltpid"

# ---------------------------------------------------------------------------
# The deadlock

one=$(line_of ad_deadlock.c SITE_ONE)
two=$(line_of ad_deadlock.c SITE_TWO)
an hangs "$tmp/t-deadlock"
expect_status 0 "hangs (deadlock)"
out_has "DEADLOCK" "hangs (deadlock)"
out_has '"one"' "hangs (deadlock)"
out_has '"two"' "hangs (deadlock)"
out_has "ad_deadlock.c:$one" "hangs (deadlock): the acquire site of task one"
out_has "ad_deadlock.c:$two" "hangs (deadlock): the acquire site of task two"
[ "$(grep -c '^DEADLOCK' "$tmp/out")" = 1 ] || fail "hangs found $(grep -c '^DEADLOCK' "$tmp/out") cycles, want 1"
# the lock waited for is named with its creation site (sync_new, format minor 1)
fl1=$(line_of ad_deadlock.c SITE_FIRST)
out_has "waits for lock [0-9]* (created at ad_deadlock.c:$fl1 (main)) at ad_deadlock.c:$two (two)" \
    "hangs (deadlock): task two waits for the first lock, named with its creation site"
an hangs --json "$tmp/t-deadlock"
expect_status 0 "hangs --json (deadlock)"
json_check "
c=d['deadlocks']; assert len(c)==1, c
names=sorted(t['name'] for t in c[0]['tasks']); assert names==['one','two'], names
osites=sorted(t['obj_site']['line'] for t in c[0]['tasks']); assert osites==sorted([$fl1,$fl1+1]), osites
lines=sorted(t['wait_site']['line'] for t in c[0]['tasks']); assert lines==sorted([$one,$two]), lines
assert all(t['wait_kind']=='lock' for t in c[0]['tasks'])
assert all(t['wait_site']['file']=='ad_deadlock.c' for t in c[0]['tasks'])
" "hangs --json (deadlock)"
an check "$tmp/t-deadlock"
expect_status 1 "check (deadlock)"
out_has "deadlock" "check (deadlock)"

# ---------------------------------------------------------------------------
# The leaks

tl=$(line_of ad_leak.c SITE_TIMER)
il=$(line_of ad_leak.c SITE_IO)
an leaks "$tmp/t-leak"
expect_status 0 "leaks"
out_has "LEAK: .* 3 timers never closed, created at ad_leak.c:$tl" "leaks"
out_has "LEAK: .* 2 ios never closed, created at ad_leak.c:$il" "leaks"
an leaks --json "$tmp/t-leak"
json_check "
g={(x['kind'],x['site']['line']):x['count'] for x in d['groups']}
assert g=={('timer',$tl):3,('io',$il):2}, g
assert all(x['confirmed'] for x in d['groups'])
" "leaks --json"
an check "$tmp/t-leak"
expect_status 1 "check (leak)"

# ---------------------------------------------------------------------------
# Joins, detaches and sync objects (format minor 1): exact counts per site

ul=$(line_of ad_joins.c SITE_UNJOINED)
bl=$(line_of ad_joins.c SITE_BROKEN)
vl=$(line_of ad_joins.c SITE_VICTIM)
nl=$(line_of ad_joins.c SITE_NEVER)
dl=$(line_of ad_joins.c SITE_DROPPED)
ffl=$(line_of ad_joins.c SITE_FAILED_FUTURE)
ll=$(line_of ad_joins.c SITE_LOCK)
an leaks "$tmp/t-joins"
expect_status 0 "leaks (joins)"
out_has "LEAK: .* 2 tasks finished but never joined, spawned at ad_joins.c:$ul (main) named \"lost\"" "leaks (joins)"
out_has "LEAK: .* 1 task finished but never joined (1 failed, 0 cancelled), spawned at ad_joins.c:$bl" "leaks (joins)"
out_has "LEAK: .* 1 task finished but never joined (0 failed, 1 cancelled), spawned at ad_joins.c:$vl" "leaks (joins)"
out_has "LEAK: .* 1 future never resolved, created at ad_joins.c:$nl (main)" "leaks (joins): the future alive"
out_has "LEAK: .* 1 future never resolved (1 freed so), created at ad_joins.c:$dl (main)" "leaks (joins): the future dropped"
out_has "LEAK: .* 1 lock never freed, created at ad_joins.c:$ll (main)" "leaks (joins)"
an leaks --json "$tmp/t-joins"
json_check "
g={(x['leak'],x['kind'],x['site']['line']):x['count'] for x in d['groups']}
want={('never_joined','task',$ul):2,('never_joined','task',$bl):1,('never_joined','task',$vl):1,
      ('never_resolved','future',$nl):1,('never_resolved','future',$dl):1,('never_freed','lock',$ll):1}
assert g==want, (g, want)
assert all(x['confirmed'] for x in d['groups'])
assert d['leaked']==7 and d['no_join_data']==[], d
f=[x for x in d['groups'] if x['leak']=='never_resolved' and x['site']['line']==$dl][0]
assert f['freed']==1 and f['type']=='sync', f
t=[x for x in d['groups'] if x['site']['line']==$bl][0]
assert t['failed']==1 and t['cancelled']==0 and t['names']==['broken'], t
" "leaks --json (joins)"
an check --json "$tmp/t-joins"
expect_status 1 "check (joins)"
json_check "
f=d['findings']
assert (f['unjoined_tasks'],f['unresolved_futures'],f['unfreed_sync_objects'],f['leaked_tasks'],f['leaked_handles'])==(4,2,1,0,0), f
" "check --json (joins)"
an lints --json "$tmp/t-joins"
expect_status 0 "lints (joins)"
json_check "
l={(x['lint'],x['site']['line'] if x['site'] else 0):x['count'] for x in d['lints']}
want={('error_unretrieved',$bl):1,('cancel_unobserved',$vl):1,('future_error_unretrieved',$ffl):1}
assert l==want, (l, want)
e=[x for x in d['lints'] if x['lint']=='future_error_unretrieved'][0]
assert e['err']==-32, e
" "lints --json (joins): joined, detached and group-owned tasks are observed; the failed future is not"
an summary --json "$tmp/t-joins"
json_check "
lp=d['processes'][0]['loops'][0]
assert lp['format_minor']>=2 and lp['join_data'], lp
assert lp['tasks']['joined']==2 and lp['tasks']['detached']==2, lp['tasks']
assert lp['sync']=={'created':8,'freed':6,'alive':2,'futures_resolved':1,'futures_failed':2}, lp['sync']
" "summary --json (joins)"

# ---------------------------------------------------------------------------
# The clean program: nothing found, in two loops

an check "$tmp/t-clean"
expect_status 0 "check (clean)"
an leaks "$tmp/t-clean"
out_has "leaks: none" "leaks (clean)"
an hangs "$tmp/t-clean"
out_has "hangs: none" "hangs (clean)"
an lints "$tmp/t-clean"
out_has "lints: none" "lints (clean): every task joined, every lock freed"
an summary --json "$tmp/t-clean"
json_check "
loops=d['processes'][0]['loops']; assert [l['loop'] for l in loops]==[1,2], loops
assert loops[0]['tasks']['spawned']==3 and loops[0]['tasks']['done']==3, loops[0]['tasks']
assert all(l['closed'] for l in loops)
assert d['findings']['total']==0, d['findings']
" "summary --json (clean)"

# ---------------------------------------------------------------------------
# The stall: the watchdog's backtrace names the blocking function

fl=$(line_of ad_stall.c SITE_FLUSH)
an hangs "$tmp/t-stall"
expect_status 0 "hangs (stall)"
out_has "STALL: .*timer .*\"flush\" (created at ad_stall.c:$fl" "hangs (stall)"
out_has "blocked in block_the_loop" "hangs (stall): the blocking function"
an check "$tmp/t-stall"
expect_status 1 "check (stall)"

# ---------------------------------------------------------------------------
# Task I/O, exact: each fanout "client" task connects, writes "hello I\n" and
# reads it back; each "echo-conn" task reads it, writes it back, then reads the
# end of file; the "echo-server" task accepts every connection.

if [ -x "$BUILD/bin/fanout" ]; then
    bytes=$(awk -v n=$fanout_tasks 'BEGIN { for (i = 0; i < n; i++) s += length("hello " i "\n"); print s }')
    an profile --json "$tmp/t-fanout"
    expect_status 0 "profile --json (examples/fanout)"
    json_check "
io={t['name']:t['io'] for t in d['tasks']}
n=$fanout_tasks; b=$bytes
c=io['client']; e=io['echo-conn']; s=io['echo-server']
assert (c['bytes_written'],c['bytes_read'],c['connect']['ok'],c['eof'])==(b,b,n,0), c
assert (e['bytes_read'],e['bytes_written'],e['eof'])==(b,b,n), e
assert s['accept']['ok']==n and s['bytes_read']==0, s
assert all(x['errors']==[] and x[op]['failed']==0 for x in (c,e,s) for op in ('read','write','accept','connect')), io
assert io['fanout']['read']['calls']==0 and d['io_outside_tasks']['connect']['calls']==0, io
l=d['loops'][0]['io']
assert (l['bytes_read'],l['bytes_written'])==(2*b,2*b), l
# a task suspends once per attempt that found nothing (it waits for the fd, then tries again)
st={t['name']:t['step']['count'] for t in d['tasks']}
for name,x in (('client',c),('echo-conn',e)):
    assert st[name]==n+sum(x[op]['again'] for op in ('read','write','accept','connect')), (name,st,x)
" "profile --json (examples/fanout: $fanout_tasks echoes of $bytes bytes in all)"
    an profile "$tmp/t-fanout"
    # name, reads, writes, accepts, connects, bytes read, bytes written, again, eof, errors
    out_has "^  echo-conn  *[0-9]*  *[0-9]*  *0  *0  *$bytes  *$bytes  *[0-9]*  *$fanout_tasks  *0  " \
        "profile (examples/fanout): the task I/O table"
    an summary --json "$tmp/t-fanout"
    json_check "
io=d['processes'][0]['loops'][0]['task_io']
assert (io['bytes_read'],io['bytes_written'],io['accepts'],io['connects'],io['failed'])==(2*$bytes,2*$bytes,$fanout_tasks,$fanout_tasks,0), io
" "summary --json (examples/fanout): task I/O totals"
fi

# ---------------------------------------------------------------------------
# Killed -9 inside a task step

rl=$(line_of ad_crash.c SITE_RESUME)
an hangs "$tmp/t-crash"
expect_status 0 "hangs (crash)"
out_has "TRACE ENDS INSIDE A CALLBACK: .*task [0-9]* \"victim\" was running after ad_crash.c:$rl" "hangs (crash)"
an summary "$tmp/t-crash"
out_has "trace ends inside task" "summary (crash)"

# ---------------------------------------------------------------------------
# Two processes in one trace, kept apart

an summary --json "$tmp/t-two"
expect_status 0 "summary (two processes)"
json_check "assert len(d['processes'])==2, d['processes']" "summary --json (two processes)"
lpid=$(sed -n 's/^process \([0-9]*\) (ad_leak).*/\1/p' "$tmp/out")
[ -n "$lpid" ] || { an summary "$tmp/t-two"; lpid=$(sed -n 's/^process \([0-9]*\) (ad_leak).*/\1/p' "$tmp/out"); }
[ -n "$lpid" ] || fail "summary does not list the ad_leak process: $(head -c 600 "$tmp/out")"
an hangs --pid "$lpid" "$tmp/t-two"
out_has "hangs: none" "hangs --pid (the leak process has no deadlock)"
an leaks --pid "$lpid" "$tmp/t-two"
out_has "3 timers never closed" "leaks --pid"
an check "$tmp/t-two"
expect_status 1 "check (two processes)"

# ---------------------------------------------------------------------------
# Every command, text and JSON

for t in $traces; do
    for cmd in summary timeline hangs lints leaks profile check; do
        an "$cmd" "$tmp/t-$t"
        [ "$st" = 0 ] || [ "$st" = 1 -a "$cmd" = check ] || fail "$cmd $t exited $st: $(cat "$tmp/err")"
        [ -s "$tmp/out" ] || fail "$cmd $t printed nothing"
        an "$cmd" --json "$tmp/t-$t"
        [ "$st" = 0 ] || [ "$st" = 1 -a "$cmd" = check ] || fail "$cmd --json $t exited $st: $(cat "$tmp/err")"
        json_check "assert d['command']=='$cmd' and d['format']==1" "$cmd --json $t"
        cp "$tmp/out" "$tmp/json-$t-$cmd.json"
    done
done
# Every document against the published schema (when python3 has jsonschema).
if [ $have_python = 1 ] && python3 -c 'import jsonschema' 2>/dev/null; then
    python3 - analyze/loop-analyze.schema.json "$tmp"/json-*.json >"$tmp/schema.out" 2>&1 <<'EOF' ||
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    for e in sorted(v.iter_errors(json.load(open(path))), key=lambda e: list(e.path))[:3]:
        print(path.rsplit("/", 1)[-1], list(e.path), e.message[:200])
        bad += 1
sys.exit(1 if bad else 0)
EOF
        fail "JSON output does not validate against analyze/loop-analyze.schema.json: $(head -n 5 "$tmp/schema.out")"
else
    note "python3 jsonschema is missing: the JSON schema check is skipped"
fi
an profile --folded "$tmp/t-clean"
expect_status 0 "profile --folded"
grep -q '^ad_clean;loop 1;task worker-a;after ad_clean.c:[0-9]* (worker) [0-9]*$' "$tmp/out" ||
    fail "profile --folded lacks the worker-a stacks: $(head -n 5 "$tmp/out")"
an timeline --chrome "$tmp/chrome.json" --html "$tmp/timeline.html" "$tmp/t-deadlock"
expect_status 0 "timeline --chrome --html"
out_has "task [0-9]* one" "timeline (Gantt)"
[ -s "$tmp/chrome.json" ] || fail "timeline --chrome wrote nothing"
grep -q 'id="tl-data"' "$tmp/timeline.html" || fail "timeline --html has no data (the browser test is tests/timeline_views.sh)"
if grep -q 'src=\|href="http' "$tmp/timeline.html"; then
    fail "timeline --html loads something from elsewhere"
fi
if [ $have_python = 1 ]; then
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert any(e['ph']=='X' for e in d['traceEvents'])" \
        "$tmp/chrome.json" || fail "timeline --chrome is not Chrome trace JSON"
fi

# ---------------------------------------------------------------------------
# Lost events: tiny buffers that overflow; the gap is reported and marked

capture lossy --subbuf-size 4K --num-subbuf 2 -- "$tmp/bin/ad_hops" 200000
if grep -q "events were discarded" "$tmp/cap-lossy.err"; then
    an summary "$tmp/t-lossy"
    expect_status 0 "summary (lossy)"
    out_has "LOST [1-9][0-9]* events" "summary (lossy)"
    out_has "(events were lost)" "summary (lossy): the loop is marked"
    an summary --json "$tmp/t-lossy"
    json_check "
assert d['trace']['discarded_events']>0, d['trace']
assert all(l['gap'] for p in d['processes'] for l in p['loops'])
" "summary --json (lossy)"
    an check "$tmp/t-lossy"
    [ "$st" -le 1 ] || fail "check on a lossy trace exited $st: $(cat "$tmp/err")"
    out_has "lost" "check (lossy): says the trace lost events"
else
    note "the small buffers lost no event: the lost-events checks are skipped"
fi

# ---------------------------------------------------------------------------
# The babeltrace2 plugin: the same reports as sink components

plugin_dir=$BUILD/lib/babeltrace2
if [ -e "$plugin_dir/babeltrace-plugin-libloop.so" ]; then
    babeltrace2 --plugin-path="$plugin_dir" "$tmp/t-deadlock" -c sink.libloop.hangs >"$tmp/out" 2>"$tmp/err" ||
        fail "sink.libloop.hangs failed: $(tail -n 3 "$tmp/err")"
    out_has "DEADLOCK" "babeltrace2 -c sink.libloop.hangs"
    out_has "ad_deadlock.c:$one" "babeltrace2 -c sink.libloop.hangs"
    babeltrace2 --plugin-path="$plugin_dir" "$tmp/t-leak" -c sink.libloop.leaks --params='json=true' \
        >"$tmp/out" 2>"$tmp/err" || fail "sink.libloop.leaks failed: $(tail -n 3 "$tmp/err")"
    json_check "assert d['leaked']==5, d['leaked']" "babeltrace2 -c sink.libloop.leaks --params=json=true"
    babeltrace2 --plugin-path="$plugin_dir" "$tmp/t-clean" -c sink.libloop.check >"$tmp/out" 2>"$tmp/err" ||
        fail "sink.libloop.check failed on the clean trace: $(tail -n 3 "$tmp/err")"
    if babeltrace2 --plugin-path="$plugin_dir" "$tmp/t-leak" -c sink.libloop.check >"$tmp/out" 2>"$tmp/err"; then
        fail "sink.libloop.check succeeded on the leaking trace"
    fi
else
    fail "$plugin_dir/babeltrace-plugin-libloop.so is missing: run make first"
fi

# ---------------------------------------------------------------------------
# Bad traces

expect_bad "version 99" summary "$tmp/t-version"
expect_bad "no libloop events" check "$tmp/t-notloop"

# Stream files cut mid-packet: read up to the last complete packet.
capture cut --subbuf-size 16K --num-subbuf 8 -- "$tmp/bin/ad_clean"
cp -r "$tmp/t-cut" "$tmp/t-cut2"
big=$(find "$tmp/t-cut" -type f -name 'loop_*' ! -name '*.idx' -exec ls -S {} + | head -n 1)
size=$(wc -c <"$big")
[ "$size" -gt 40000 ] || note "the trace to cut has only $size bytes in its largest stream"
truncate -s $((size / 2 + 1234)) "$big"
an summary "$tmp/t-cut"
expect_status 0 "summary (stream file cut mid-packet)"
grep -q "truncated mid-packet" "$tmp/err" || fail "no warning about the truncated stream: $(cat "$tmp/err")"
out_has "TRUNCATED" "summary (cut)"
for cmd in timeline hangs lints leaks profile check; do
    an "$cmd" "$tmp/t-cut"
    [ "$st" -le 1 ] || fail "$cmd on a cut trace exited $st: $(cat "$tmp/err")"
done
# Every stream file cut inside its first packet: nothing left to read.
find "$tmp/t-cut2" -type f -name 'loop_*' ! -name '*.idx' | while read -r f; do
    truncate -s 100 "$f"
done
expect_bad "cut inside their first packet" summary "$tmp/t-cut2"
ls "${TMPDIR:-/tmp}" | grep -q '^loop-analyze-[A-Za-z0-9]\{6\}$' && note "a repaired copy was left in ${TMPDIR:-/tmp}"

# ---------------------------------------------------------------------------
# The examples, when they are built

if [ -x "$BUILD/bin/deadlock" ]; then
    capture ex-deadlock -- "$BUILD/bin/deadlock"
    an hangs --json "$tmp/t-ex-deadlock"
    l1=$(grep -n 'loop_lock_acquire(audit' examples/deadlock.c | head -n 1 | cut -d: -f1)
    l2=$(grep -n 'loop_lock_acquire(accounts' examples/deadlock.c | tail -n 1 | cut -d: -f1)
    json_check "
c=d['deadlocks']; assert len(c)==1, c
assert sorted(t['name'] for t in c[0]['tasks'])==['report','transfer'], c
assert sorted(t['wait_site']['line'] for t in c[0]['tasks'])==sorted([$l1,$l2]), c
" "hangs --json (examples/deadlock)"
    an check "$tmp/t-ex-deadlock"
    expect_status 1 "check (examples/deadlock)"
fi
if [ -x "$BUILD/bin/leak" ]; then
    capture ex-leak -- "$BUILD/bin/leak" --conns 20
    tl=$(grep -n 'loop_timer_init(' examples/leak.c | head -n 1 | cut -d: -f1)
    il=$(grep -n 'loop_io_init(' examples/leak.c | head -n 1 | cut -d: -f1)
    an leaks --json "$tmp/t-ex-leak"
    json_check "
g={(x['kind'],x['site']['line']):x['count'] for x in d['groups']}
assert g=={('timer',$tl):5,('io',$il):4}, g
" "leaks --json (examples/leak: every 4th timer, every 5th watcher of 20)"
fi
if [ -x "$BUILD/bin/stall" ]; then
    LOOP_STALL_MS=100 capture ex-stall -- "$BUILD/bin/stall"
    an hangs "$tmp/t-ex-stall"
    expect_status 0 "hangs (examples/stall)"
    out_has "STALL: .*\"flush\"" "hangs (examples/stall)"
    out_has "blocked in spin_ms at .*stall.c" "hangs (examples/stall): the blocking function, symbolized"
fi

# ---------------------------------------------------------------------------
# Live: hangs on an lttng-relayd session reports the deadlock while the
# program still runs, then the full report when the session ends

if command -v lttng-relayd >/dev/null 2>&1; then
    rpid=""
    for base in $((21000 + $$ % 9000)) $((31000 + $$ % 9000)) $((41000 + $$ % 9000)); do
        lttng-relayd -C "tcp://127.0.0.1:$base" -D "tcp://127.0.0.1:$((base + 1))" \
            -L "tcp://127.0.0.1:$((base + 2))" -o "$tmp/relay" >"$tmp/relayd.log" 2>&1 &
        rpid=$!
        sleep 0.5
        if kill -0 "$rpid" 2>/dev/null; then
            break
        fi
        rpid=""
    done
    [ -n "$rpid" ] || fail "lttng-relayd did not start on loopback: $(tail -n 2 "$tmp/relayd.log")"
    at_exit "kill -TERM $rpid 2>/dev/null"
    "$LT" -n analyze-live --live="net://127.0.0.1:$base:$((base + 1))" -- "$tmp/bin/ad_livedl" \
        >"$tmp/cap-live.out" 2>&1 &
    ltpid=$!
    sleep 0.3
    : >"$tmp/live.out"
    "$A" hangs --threshold 500ms "net://127.0.0.1:$((base + 2))/host/$(hostname)/analyze-live" \
        >"$tmp/live.out" 2>"$tmp/live.err" &
    apid=$!
    i=0
    while ! grep -q '^live: DEADLOCK' "$tmp/live.out" && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if ! grep -q '^live: DEADLOCK' "$tmp/live.out"; then
        kill "$apid" "$ltpid" 2>/dev/null
        fail "hangs on the live session reported no deadlock: $(head -c 500 "$tmp/live.out") $(head -c 500 "$tmp/live.err")"
    fi
    kill -0 "$ltpid" 2>/dev/null || fail "the live deadlock was reported only after the program ended"
    grep -q '"one"' "$tmp/live.out" && grep -q '"two"' "$tmp/live.out" ||
        fail "the live deadlock does not name both tasks: $(cat "$tmp/live.out")"
    wait "$ltpid"
    i=0
    while kill -0 "$apid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$apid" 2>/dev/null; then
        kill "$apid"
        fail "hangs did not end with the live session"
    fi
    wait "$apid"
    ast=$?
    [ "$ast" = 0 ] || fail "hangs on the live session exited $ast: $(cat "$tmp/live.err")"
    grep -q '^DEADLOCK' "$tmp/live.out" || fail "no final report after the live session: $(cat "$tmp/live.out")"
    kill -TERM "$rpid" 2>/dev/null
else
    note "lttng-relayd not found: the live test is skipped"
fi

echo "analyze_e2e: ok"
