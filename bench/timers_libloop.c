/*
 * timers_libloop.c — million timers on libloop: 1,000,000 one-shot timers with
 * timeouts of 1..1000 ms in scattered (PRNG) order, run until all fired.
 * Reports CPU ns per timer (init + start + fire, not the ~1 s of waiting) and
 * the peak RSS. Same sequence as timers_libuv.c, timers_libev.c, timers_libevent.c.
 */
#include "bench.h"
#include "loop.h"

static long fired;

static void on_timer(loop_timer_t *t)
{
    (void)t;
    fired++;
}

int main(void)
{
    long n = bench_count(1000000);
    uint64_t rng = BENCH_SEED;
    loop_timer_t *timers = calloc((size_t)n, sizeof(*timers));
    loop_t *loop = loop_new();
    uint64_t cpu0, wall0, cpu, wall;
    double rss;

    BENCH_CHECK(timers != NULL && loop != NULL);
    cpu0 = bench_cpu_ns();
    wall0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        BENCH_CHECK(loop_timer_init(loop, &timers[i]) == 0);
        BENCH_CHECK(loop_timer_start(&timers[i], on_timer, bench_timer_ms(&rng), 0) == 0);
    }
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    cpu = bench_cpu_ns() - cpu0;
    wall = bench_now_ns() - wall0;
    rss = bench_peak_rss_mib();
    BENCH_CHECK(fired == n);

    bench_print("timers", "libloop", "ns_per_timer", (double)cpu / (double)n, "ns");
    bench_print("timers", "libloop", "peak_rss", rss, "MiB");
    bench_print("timers", "libloop", "wall_ms", (double)wall / 1e6, "ms");

    for (long i = 0; i < n; i++) {
        BENCH_CHECK(loop_handle_close(LOOP_HANDLE(&timers[i]), NULL) == 0);
    }
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    BENCH_CHECK(loop_close(loop) == 0);
    free(timers);
    return 0;
}
