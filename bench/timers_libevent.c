/*
 * timers_libevent.c — million timers on libevent (evtimer_assign into one
 * preallocated array, epoll backend), same scenario and PRNG sequence as
 * timers_libloop.c. Reports CPU ns per timer and peak RSS.
 */
#include <event2/event.h>

#include "bench.h"

static long fired;

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    fired++;
}

int main(void)
{
    long n = bench_count(1000000);
    uint64_t rng = BENCH_SEED;
    size_t evsize = event_get_struct_event_size();
    char *events = calloc((size_t)n, evsize);
    struct event_base *base = event_base_new();
    uint64_t cpu0, wall0, cpu, wall;
    double rss;

    BENCH_CHECK(events != NULL && base != NULL);
    cpu0 = bench_cpu_ns();
    wall0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        struct event *ev = (struct event *)(events + (size_t)i * evsize);
        uint64_t ms = bench_timer_ms(&rng);
        struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
                             .tv_usec = (suseconds_t)(ms % 1000) * 1000};
        BENCH_CHECK(evtimer_assign(ev, base, on_timer, NULL) == 0);
        BENCH_CHECK(evtimer_add(ev, &tv) == 0);
    }
    BENCH_CHECK(event_base_dispatch(base) == 1); /* 1: no events left */
    cpu = bench_cpu_ns() - cpu0;
    wall = bench_now_ns() - wall0;
    rss = bench_peak_rss_mib();
    BENCH_CHECK(fired == n);

    bench_print("timers", "libevent", "ns_per_timer", (double)cpu / (double)n, "ns");
    bench_print("timers", "libevent", "peak_rss", rss, "MiB");
    bench_print("timers", "libevent", "wall_ms", (double)wall / 1e6, "ms");

    event_base_free(base);
    free(events);
    return 0;
}
