/*
 * pingpong_libevent.c — socketpair ping-pong on libevent (EV_READ|EV_PERSIST
 * events, epoll backend): 1,000,000 one-byte round trips between the two ends
 * of an AF_UNIX socketpair; each end reads one byte and writes one byte back.
 * Reports wall µs per round trip.
 */
#include <event2/event.h>
#include <sys/socket.h>

#include "bench.h"

static long trips, target;
static struct event *ends[2];

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    char c;

    (void)what;
    BENCH_CHECK(read(fd, &c, 1) == 1);
    if (arg == ends[0] && ++trips >= target) {
        event_del(ends[0]);
        event_del(ends[1]);
        return;
    }
    BENCH_CHECK(write(fd, &c, 1) == 1);
}

int main(void)
{
    struct event_base *base = event_base_new();
    int sv[2];
    uint64_t t0, t;

    target = bench_count(1000000);
    BENCH_CHECK(base != NULL);
    BENCH_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    for (int i = 0; i < 2; i++) {
        ends[i] = event_new(base, sv[i], EV_READ | EV_PERSIST, on_readable, event_self_cbarg());
        BENCH_CHECK(ends[i] != NULL && event_add(ends[i], NULL) == 0);
    }
    t0 = bench_now_ns();
    BENCH_CHECK(write(sv[0], "x", 1) == 1);
    BENCH_CHECK(event_base_dispatch(base) == 1); /* 1: no events left */
    t = bench_now_ns() - t0;
    BENCH_CHECK(trips == target);
    bench_print("pingpong", "libevent", "us_per_roundtrip", (double)t / 1e3 / (double)target,
                "us");

    event_free(ends[0]);
    event_free(ends[1]);
    event_base_free(base);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
