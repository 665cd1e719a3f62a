/*
 * timers_libev.c — million timers on libev (ev_timer, epoll backend), same
 * scenario and PRNG sequence as timers_libloop.c. Reports CPU ns per timer
 * and peak RSS.
 */
#include <ev.h>

#include "bench.h"

static long fired;

static void on_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)t;
    (void)revents;
    fired++;
}

int main(void)
{
    long n = bench_count(1000000);
    uint64_t rng = BENCH_SEED;
    ev_timer *timers = calloc((size_t)n, sizeof(*timers));
    struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL);
    uint64_t cpu0, wall0, cpu, wall;
    double rss;

    BENCH_CHECK(timers != NULL && loop != NULL);
    cpu0 = bench_cpu_ns();
    wall0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        ev_timer_init(&timers[i], on_timer, (double)bench_timer_ms(&rng) * 1e-3, 0.);
        ev_timer_start(loop, &timers[i]);
    }
    ev_run(loop, 0);
    cpu = bench_cpu_ns() - cpu0;
    wall = bench_now_ns() - wall0;
    rss = bench_peak_rss_mib();
    BENCH_CHECK(fired == n);

    bench_print("timers", "libev", "ns_per_timer", (double)cpu / (double)n, "ns");
    bench_print("timers", "libev", "peak_rss", rss, "MiB");
    bench_print("timers", "libev", "wall_ms", (double)wall / 1e6, "ms");

    ev_loop_destroy(loop);
    free(timers);
    return 0;
}
