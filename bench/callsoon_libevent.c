/*
 * callsoon_libevent.c — call-soon ping on libevent (epoll backend), 10,000,000
 * dispatches of one event re-activated with event_active() from its own
 * callback.
 *   callsoon_poll:   the base is configured with
 *                    event_config_set_max_dispatch_interval(cfg, NULL, 1, 0):
 *                    at most one callback per pass, so event_base_loop() goes
 *                    back to epoll_wait(.., 0) between any two dispatches.
 *                    (Re-activating from outside with
 *                    event_base_loop(EVLOOP_ONCE|EVLOOP_NONBLOCK) does the same
 *                    work plus a loop entry per dispatch.)
 *   callsoon_nopoll: the default configuration: an event activated from a
 *                    callback joins the active queue being drained, so the
 *                    chain runs in one pass without polling.
 * The base also watches one idle pipe, like every side. Reports wall ns per
 * dispatch.
 */
#include <event2/event.h>

#include "bench.h"

static long count, target;
static struct event *idle_ev;

static void on_idle_fd(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static void on_ping(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    if (++count < target) {
        event_active((struct event *)arg, EV_TIMEOUT, 0);
    } else {
        event_del(idle_ev);
    }
}

static double run(int poll)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base;
    struct event *ping;
    int fds[2];
    uint64_t t0, t;

    BENCH_CHECK(cfg != NULL);
    if (poll) {
        BENCH_CHECK(event_config_set_max_dispatch_interval(cfg, NULL, 1, 0) == 0);
    }
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    BENCH_CHECK(base != NULL);
    bench_idle_pipe(fds);
    idle_ev = event_new(base, fds[0], EV_READ | EV_PERSIST, on_idle_fd, NULL);
    BENCH_CHECK(idle_ev != NULL && event_add(idle_ev, NULL) == 0);
    ping = event_new(base, -1, 0, on_ping, event_self_cbarg());
    BENCH_CHECK(ping != NULL);
    count = 0;
    t0 = bench_now_ns();
    event_active(ping, EV_TIMEOUT, 0);
    BENCH_CHECK(event_base_loop(base, 0) == 1); /* 1: no events left */
    t = bench_now_ns() - t0;
    BENCH_CHECK(count == target);
    event_free(ping);
    event_free(idle_ev);
    event_base_free(base);
    close(fds[0]);
    close(fds[1]);
    return (double)t / (double)target;
}

int main(void)
{
    target = bench_count(10000000);
    bench_print("callsoon_poll", "libevent", "ns_per_dispatch", run(1), "ns");
    bench_print("callsoon_nopoll", "libevent", "ns_per_dispatch", run(0), "ns");
    return 0;
}
