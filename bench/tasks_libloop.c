/*
 * tasks_libloop — the cost of tasks (issue 3's benchmarks), with their floors
 * measured in the same run:
 *   tasks.libloop.yield_roundtrip_ns   two tasks yielding to each other: one
 *                                      loop_yield back to the same task
 *   tasks.floor.ctx_roundtrip_ns       the bare register swap there and back
 *   tasks.libloop.spawn_join_ns        spawn a task that returns, join it
 *   tasks.libloop.echo_us              ping-pong of one byte between two tasks
 *                                      over a socketpair (loop_read/loop_write)
 *   tasks.libloop.callback_echo_us     the same with two I/O watchers
 *   tasks.libloop.idle_task_kib        resident memory per task waiting on an event
 * TASKS_BENCH_ECHO_ONLY=1 runs only the two echoes (to count their system calls:
 * strace -c -f).
 */
#include "bench.h"
#include "task/ctx.h"
#include "loop.h"

#include <sys/socket.h>

/* Current resident set size, MiB (VmRSS). */
static double bench_rss_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = -1;

    BENCH_CHECK(f != NULL);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtod(line + 6, NULL);
            break;
        }
    }
    fclose(f);
    return kib / 1024.0;
}

static long yields;
static long n_yields;

static intptr_t yielder(void *arg)
{
    (void)arg;
    while (yields < n_yields) {
        yields++;
        loop_yield();
    }
    return 0;
}

static loop__ctx_t main_ctx, co_ctx;
static long co_n;

static void co_entry(void *arg)
{
    (void)arg;
    for (;;) {
        co_n++;
        loop__ctx_switch(&co_ctx, &main_ctx);
    }
}

static intptr_t nothing(void *arg)
{
    return (intptr_t)arg;
}

static long echo_n, echo_count;

static intptr_t echo_side(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c = 'x';
    int first = fd < 0;

    if (first) {
        fd = -fd;
        if (loop_write(fd, &c, 1, LOOP_FOREVER) != 1) {
            return -EIO;
        }
    }
    for (;;) {
        if (loop_read(fd, &c, 1, LOOP_FOREVER) != 1) {
            return 0;
        }
        if (first && ++echo_count >= echo_n) {
            shutdown(fd, SHUT_RDWR);
            return 0;
        }
        if (loop_write(fd, &c, 1, LOOP_FOREVER) != 1) {
            return 0;
        }
    }
}

static loop_io_t cio[2];
static long cb_count;

static void cb_echo(loop_io_t *io, int events)
{
    char c;
    (void)events;
    if (read(io->fd, &c, 1) != 1) {
        return;
    }
    if (io == &cio[0] && ++cb_count >= echo_n) {
        loop_io_stop(&cio[0]);
        loop_io_stop(&cio[1]);
        return;
    }
    BENCH_CHECK(write(io->fd, &c, 1) == 1);
}

static loop_event_t *idle_ev;

static intptr_t idle_task(void *arg)
{
    (void)arg;
    return loop_event_wait(idle_ev, LOOP_FOREVER);
}

int main(void)
{
    loop_t *loop = loop_new();
    uint64_t t0;
    long n;

    BENCH_CHECK(loop != NULL);
    if (bench_env_long("TASKS_BENCH_ECHO_ONLY", 0) > 0) {
        goto echo;
    }

    /* yield round trip */
    n_yields = bench_count(2000000);
    loop_task_t *a = loop_spawn(loop, yielder, NULL, "a");
    loop_task_t *b = loop_spawn(loop, yielder, NULL, "b");
    t0 = bench_now_ns();
    loop_run(loop, LOOP_RUN_DEFAULT);
    double yield_ns = (double)(bench_now_ns() - t0) / (double)yields * 2.0;
    loop_join(a, NULL, 0);
    loop_join(b, NULL, 0);
    bench_print("tasks", "libloop", "yield_roundtrip_ns", yield_ns, "ns");

    /* the floor: a bare switch there and back */
    static char stack[64 * 1024] __attribute__((aligned(64)));
    n = bench_count(10000000);
    loop__ctx_make(&co_ctx, stack, sizeof(stack), co_entry, NULL);
    t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        loop__ctx_switch(&main_ctx, &co_ctx);
    }
    bench_print("tasks", "floor", "ctx_roundtrip_ns", (double)(bench_now_ns() - t0) / (double)n,
                "ns");

    /* spawn + join */
    n = bench_count(200000);
    t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        loop_task_t *t = loop_spawn(loop, nothing, (void *)i, "n");
        loop_run(loop, LOOP_RUN_NOWAIT);
        BENCH_CHECK(loop_join(t, NULL, 0) == 0);
    }
    bench_print("tasks", "libloop", "spawn_join_ns", (double)(bench_now_ns() - t0) / (double)n,
                "ns");

    /* task echo vs callback echo over a socketpair */
echo:;
    int sp[2];
    echo_n = bench_count(200000);
    BENCH_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
    a = loop_spawn(loop, echo_side, (void *)(intptr_t)-sp[0], "ping");
    b = loop_spawn(loop, echo_side, (void *)(intptr_t)sp[1], "pong");
    t0 = bench_now_ns();
    loop_run(loop, LOOP_RUN_DEFAULT);
    bench_print("tasks", "libloop", "echo_us", (double)(bench_now_ns() - t0) / 1e3 / (double)echo_n,
                "us");
    loop_join(a, NULL, 0);
    loop_join(b, NULL, 0);
    close(sp[0]);
    close(sp[1]);

    BENCH_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
    for (int i = 0; i < 2; i++) {
        loop_io_init(loop, &cio[i], sp[i]);
        loop_io_start(&cio[i], cb_echo, LOOP_READABLE);
    }
    BENCH_CHECK(write(sp[0], "x", 1) == 1);
    t0 = bench_now_ns();
    loop_run(loop, LOOP_RUN_DEFAULT);
    bench_print("tasks", "libloop", "callback_echo_us",
                (double)(bench_now_ns() - t0) / 1e3 / (double)echo_n, "us");
    for (int i = 0; i < 2; i++) {
        loop_handle_close(&cio[i].handle, NULL);
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    close(sp[0]);
    close(sp[1]);
    if (bench_env_long("TASKS_BENCH_ECHO_ONLY", 0) > 0) {
        BENCH_CHECK(loop_close(loop) == 0);
        return 0;
    }

    /* memory per idle task */
    n = bench_count(20000);
    idle_ev = loop_event_new(loop);
    loop_task_t **ts = calloc((size_t)n, sizeof(*ts));
    double rss0 = bench_rss_mib();
    for (long i = 0; i < n; i++) {
        ts[i] = loop_spawn(loop, idle_task, NULL, "idle");
        BENCH_CHECK(ts[i] != NULL);
    }
    loop_run(loop, LOOP_RUN_NOWAIT); /* every task runs to its wait */
    double rss1 = bench_rss_mib();
    bench_print("tasks", "libloop", "idle_task_kib", (rss1 - rss0) * 1024.0 / (double)n, "KiB");
    loop_event_set(idle_ev);
    loop_run(loop, LOOP_RUN_DEFAULT);
    for (long i = 0; i < n; i++) {
        loop_join(ts[i], NULL, 0);
    }
    free(ts);
    loop_event_free(idle_ev);
    BENCH_CHECK(loop_close(loop) == 0);
    return 0;
}
