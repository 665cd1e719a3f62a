/*
 * trace_callsoon.c — the call-soon workload of the tracing benchmark
 * (bench/trace_overhead.sh): one loop_defer_t re-started from its own
 * callback, N dispatches (argv[1], default 2,000,000), in two variants as in
 * bench/callsoon_libloop.c:
 *   callsoon_poll:   LOOP_OPT_ROUNDS_PER_POLL = 1, every dispatch is one loop
 *                    iteration that enters epoll_wait(.., 0);
 *   callsoon_nopoll: the default rounds-per-poll (64).
 * The loop also watches one idle pipe. Reports wall ns per dispatch:
 *     trace.callsoon_poll.ns_per_dispatch 231.4 ns
 * The same source is linked against the traced libloop and against a build
 * with -DLOOP_NO_TRACE; whether the probe is loaded and a session records is
 * decided by the environment (LD_PRELOAD, lttng).
 */
#include "bench.h"
#include "loop.h"

static long count, target;
static loop_io_t idle_io;

static void on_idle_io(loop_io_t *io, int events)
{
    (void)io;
    (void)events;
}

static void on_defer(loop_defer_t *d)
{
    if (++count < target) {
        loop_defer_start(d, on_defer);
    } else {
        loop_io_stop(&idle_io);
    }
}

static double run(long rounds_per_poll)
{
    loop_t *loop = loop_new();
    loop_defer_t d;
    int fds[2];
    uint64_t t0, t;

    BENCH_CHECK(loop != NULL);
    if (rounds_per_poll > 0) {
        BENCH_CHECK(loop_configure(loop, LOOP_OPT_ROUNDS_PER_POLL, rounds_per_poll) == 0);
    }
    bench_idle_pipe(fds);
    BENCH_CHECK(loop_io_init(loop, &idle_io, fds[0]) == 0);
    BENCH_CHECK(loop_io_start(&idle_io, on_idle_io, LOOP_READABLE) == 0);
    BENCH_CHECK(loop_defer_init(loop, &d) == 0);
    count = 0;
    t0 = bench_now_ns();
    BENCH_CHECK(loop_defer_start(&d, on_defer) == 0);
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    t = bench_now_ns() - t0;
    BENCH_CHECK(count == target);

    BENCH_CHECK(loop_handle_close(LOOP_HANDLE(&d), NULL) == 0);
    BENCH_CHECK(loop_handle_close(LOOP_HANDLE(&idle_io), NULL) == 0);
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    BENCH_CHECK(loop_close(loop) == 0);
    close(fds[0]);
    close(fds[1]);
    return (double)t / (double)target;
}

int main(int argc, char **argv)
{
    target = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    BENCH_CHECK(target > 0);
    bench_print("trace", "callsoon_poll", "ns_per_dispatch", run(1), "ns");
    bench_print("trace", "callsoon_nopoll", "ns_per_dispatch", run(0), "ns");
    return 0;
}
