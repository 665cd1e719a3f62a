/*
 * callsoon_libloop.c — call-soon ping on libloop: one loop_defer_t re-started
 * from its own callback, 10,000,000 dispatches, in two variants:
 *   callsoon_poll:   LOOP_OPT_ROUNDS_PER_POLL = 1, so every dispatch is one
 *                    loop iteration that enters epoll_wait(.., 0);
 *   callsoon_nopoll: the default rounds-per-poll (64): the chain re-dispatches
 *                    without polling, except for one epoll_wait every 64 rounds;
 *   callsoon_nopoll_unbounded: rounds-per-poll at its maximum (1,000,000): no
 *                    poll during the chain, like libev's ev_feed_event chain
 *                    (a figure in the details, not a row of the main table).
 * Like every side, the loop also watches one idle pipe, so a poll is a real
 * epoll_wait on a non-empty epoll set. Reports wall ns per dispatch.
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

int main(void)
{
    target = bench_count(10000000);
    bench_print("callsoon_poll", "libloop", "ns_per_dispatch", run(1), "ns");
    bench_print("callsoon_nopoll", "libloop", "ns_per_dispatch", run(0), "ns");
    /* The same chain never polling (rounds per poll at its maximum): the work
     * libev's ev_feed_event chain does, for comparison; not a table row. */
    bench_print("callsoon_nopoll_unbounded", "libloop", "ns_per_dispatch", run(1000000), "ns");
    return 0;
}
