/*
 * ready_libloop.c — the cost of one pick among 100,000 ready items under
 * the policies that choose from the ready set: chaos (LOOP_CHAOS) and replay
 * (LOOP_REPLAY). 100,000 defer handles are started in one iteration:
 *   ready_chaos:  a chaos loop runs them; chaos may take only the oldest
 *                 call-soon, and must not walk the other 99,999 to find that
 *                 out at every pick;
 *   ready_replay: a run that started them in id order is recorded, then
 *                 replayed by a run that starts them in the reverse order:
 *                 every recorded item sits at the far end of the ready queue.
 * Reports wall ns per dispatch of that iteration (a fifo run of the same
 * iteration as the floor). Before the fix each pick walked the queue
 * (O(n) per pick, O(n²) per iteration).
 */
#include "bench.h"
#include "loop.h"

static long dispatched;

static void on_defer(loop_defer_t *d)
{
    (void)d;
    dispatched++;
}

/* One loop with n defers started (reverse: last id first), one iteration timed. */
static double run_once(long n, int reverse)
{
    loop_t *loop = loop_new();
    loop_defer_t *d = calloc((size_t)n, sizeof(*d));
    uint64_t t0, t;

    BENCH_CHECK(loop != NULL && d != NULL);
    for (long i = 0; i < n; i++) {
        BENCH_CHECK(loop_defer_init(loop, &d[i]) == 0);
    }
    for (long i = 0; i < n; i++) {
        BENCH_CHECK(loop_defer_start(&d[reverse ? n - 1 - i : i], on_defer) == 0);
    }
    dispatched = 0;
    t0 = bench_now_ns();
    loop_run(loop, LOOP_RUN_ONCE);
    t = bench_now_ns() - t0;
    BENCH_CHECK(dispatched == n);
    for (long i = 0; i < n; i++) {
        loop_handle_close(LOOP_HANDLE(&d[i]), NULL);
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    BENCH_CHECK(loop_close(loop) == 0);
    free(d);
    return (double)t / (double)n;
}

int main(void)
{
    long n = bench_count(100000);
    char path[64];

    snprintf(path, sizeof(path), "/tmp/ready_libloop.%ld.sch", (long)getpid());
    unsetenv("LOOP_RECORD");
    unsetenv("LOOP_REPLAY");
    unsetenv("LOOP_CHAOS");
    bench_print("ready_fifo", "libloop", "ns_per_dispatch", run_once(n, 0), "ns");

    setenv("LOOP_CHAOS", "1", 1);
    bench_print("ready_chaos", "libloop", "ns_per_dispatch", run_once(n, 0), "ns");
    unsetenv("LOOP_CHAOS");

    setenv("LOOP_RECORD", path, 1);
    run_once(n, 0);
    unsetenv("LOOP_RECORD");
    setenv("LOOP_REPLAY", path, 1);
    bench_print("ready_replay", "libloop", "ns_per_dispatch", run_once(n, 1), "ns");
    unsetenv("LOOP_REPLAY");
    unlink(path);
    return 0;
}
