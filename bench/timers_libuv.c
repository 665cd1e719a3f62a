/*
 * timers_libuv.c — million timers on libuv (uv_timer_t), same scenario and
 * PRNG sequence as timers_libloop.c. Reports CPU ns per timer and peak RSS.
 */
#include <uv.h>

#include "bench.h"

static long fired;

static void on_timer(uv_timer_t *t)
{
    (void)t;
    fired++;
}

int main(void)
{
    long n = bench_count(1000000);
    uint64_t rng = BENCH_SEED;
    uv_timer_t *timers = calloc((size_t)n, sizeof(*timers));
    uv_loop_t loop;
    uint64_t cpu0, wall0, cpu, wall;
    double rss;

    BENCH_CHECK(timers != NULL && uv_loop_init(&loop) == 0);
    cpu0 = bench_cpu_ns();
    wall0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        BENCH_CHECK(uv_timer_init(&loop, &timers[i]) == 0);
        BENCH_CHECK(uv_timer_start(&timers[i], on_timer, bench_timer_ms(&rng), 0) == 0);
    }
    BENCH_CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    cpu = bench_cpu_ns() - cpu0;
    wall = bench_now_ns() - wall0;
    rss = bench_peak_rss_mib();
    BENCH_CHECK(fired == n);

    bench_print("timers", "libuv", "ns_per_timer", (double)cpu / (double)n, "ns");
    bench_print("timers", "libuv", "peak_rss", rss, "MiB");
    bench_print("timers", "libuv", "wall_ms", (double)wall / 1e6, "ms");

    for (long i = 0; i < n; i++) {
        uv_close((uv_handle_t *)&timers[i], NULL);
    }
    BENCH_CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    BENCH_CHECK(uv_loop_close(&loop) == 0);
    free(timers);
    return 0;
}
