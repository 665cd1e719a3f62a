/*
 * trace_timers.c — the timer workload of the tracing benchmark
 * (bench/trace_overhead.sh): N one-shot timers (argv[1], default 300,000)
 * with timeouts of 1..50 ms in scattered (PRNG) order, run until all fired,
 * then closed. Reports the CPU ns per timer (init + start + fire + close, not
 * the waiting) and the wall time:
 *     trace.timers.ns_per_timer 812.3 ns
 * Like trace_callsoon.c, built against the traced and the LOOP_NO_TRACE
 * libloop.
 */
#include "bench.h"
#include "loop.h"

static long fired;

static void on_timer(loop_timer_t *t)
{
    (void)t;
    fired++;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 300000;
    uint64_t rng = BENCH_SEED;
    loop_timer_t *timers;
    loop_t *loop;
    uint64_t cpu0, wall0, cpu, wall;

    BENCH_CHECK(n > 0);
    timers = calloc((size_t)n, sizeof(*timers));
    loop = loop_new();
    BENCH_CHECK(timers != NULL && loop != NULL);
    cpu0 = bench_cpu_ns();
    wall0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        BENCH_CHECK(loop_timer_init(loop, &timers[i]) == 0);
        BENCH_CHECK(loop_timer_start(&timers[i], on_timer, 1 + bench_rand(&rng) % 50, 0) == 0);
    }
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    BENCH_CHECK(fired == n);
    for (long i = 0; i < n; i++) {
        BENCH_CHECK(loop_handle_close(LOOP_HANDLE(&timers[i]), NULL) == 0);
    }
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    cpu = bench_cpu_ns() - cpu0;
    wall = bench_now_ns() - wall0;
    BENCH_CHECK(loop_close(loop) == 0);
    free(timers);

    bench_print("trace", "timers", "ns_per_timer", (double)cpu / (double)n, "ns");
    bench_print("trace", "timers", "wall_ms", (double)wall / 1e6, "ms");
    return 0;
}
