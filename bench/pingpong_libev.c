/*
 * pingpong_libev.c — socketpair ping-pong on libev (ev_io, epoll backend):
 * 1,000,000 one-byte round trips between the two ends of an AF_UNIX
 * socketpair; each end reads one byte and writes one byte back. Reports wall
 * µs per round trip.
 */
#include <ev.h>
#include <sys/socket.h>

#include "bench.h"

static long trips, target;
static ev_io ends[2];

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    char c;

    (void)revents;
    BENCH_CHECK(read(w->fd, &c, 1) == 1);
    if (w == &ends[0] && ++trips >= target) {
        ev_io_stop(loop, &ends[0]);
        ev_io_stop(loop, &ends[1]);
        return;
    }
    BENCH_CHECK(write(w->fd, &c, 1) == 1);
}

int main(void)
{
    struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL);
    int sv[2];
    uint64_t t0, t;

    target = bench_count(1000000);
    BENCH_CHECK(loop != NULL);
    BENCH_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    for (int i = 0; i < 2; i++) {
        ev_io_init(&ends[i], on_readable, sv[i], EV_READ);
        ev_io_start(loop, &ends[i]);
    }
    t0 = bench_now_ns();
    BENCH_CHECK(write(sv[0], "x", 1) == 1);
    ev_run(loop, 0);
    t = bench_now_ns() - t0;
    BENCH_CHECK(trips == target);
    bench_print("pingpong", "libev", "us_per_roundtrip", (double)t / 1e3 / (double)target, "us");

    ev_loop_destroy(loop);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
