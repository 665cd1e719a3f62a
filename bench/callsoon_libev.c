/*
 * callsoon_libev.c — call-soon ping on libev (epoll backend), 10,000,000
 * dispatches.
 *   callsoon_poll:   an ev_idle watcher: while it is active every iteration
 *                    polls with timeout 0 and then invokes it once.
 *   callsoon_nopoll: ev_feed_event() of an (unstarted) watcher from its own
 *                    callback: ev_invoke_pending() keeps draining the pending
 *                    array, so the chain runs without going back to the poll.
 * The loop also watches one idle pipe (ev_io), like every side. Reports wall
 * ns per dispatch.
 */
#include <ev.h>

#include "bench.h"

static long count, target;
static ev_io idle_io;

static void on_idle_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

static void on_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)revents;
    if (++count >= target) {
        ev_idle_stop(loop, w);
        ev_io_stop(loop, &idle_io);
    }
}

static void on_fed(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)revents;
    if (++count < target) {
        ev_feed_event(loop, w, EV_CUSTOM);
    } else {
        ev_io_stop(loop, &idle_io);
    }
}

static double run(int poll)
{
    struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL);
    ev_idle w;
    int fds[2];
    uint64_t t0, t;

    BENCH_CHECK(loop != NULL);
    bench_idle_pipe(fds);
    ev_io_init(&idle_io, on_idle_io, fds[0], EV_READ);
    ev_io_start(loop, &idle_io);
    count = 0;
    t0 = bench_now_ns();
    if (poll) {
        ev_idle_init(&w, on_idle);
        ev_idle_start(loop, &w);
    } else {
        ev_idle_init(&w, on_fed); /* initialised, never started: only fed */
        ev_feed_event(loop, &w, EV_CUSTOM);
    }
    ev_run(loop, 0);
    t = bench_now_ns() - t0;
    BENCH_CHECK(count == target);
    ev_loop_destroy(loop);
    close(fds[0]);
    close(fds[1]);
    return (double)t / (double)target;
}

int main(void)
{
    target = bench_count(10000000);
    bench_print("callsoon_poll", "libev", "ns_per_dispatch", run(1), "ns");
    bench_print("callsoon_nopoll", "libev", "ns_per_dispatch", run(0), "ns");
    return 0;
}
