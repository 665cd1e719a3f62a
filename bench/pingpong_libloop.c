/*
 * pingpong_libloop.c — socketpair ping-pong on libloop: 1,000,000 one-byte
 * round trips in one loop between the two ends of an AF_UNIX socketpair.
 * Each end has a level-triggered read watcher that reads one byte and writes
 * one byte back. Reports wall µs per round trip.
 */
#include <sys/socket.h>

#include "bench.h"
#include "loop.h"

static long trips, target;
static loop_io_t ends[2];

static void on_readable(loop_io_t *io, int events)
{
    char c;

    (void)events;
    BENCH_CHECK(read(io->fd, &c, 1) == 1);
    if (io == &ends[0] && ++trips >= target) {
        loop_io_stop(&ends[0]);
        loop_io_stop(&ends[1]);
        return;
    }
    BENCH_CHECK(write(io->fd, &c, 1) == 1);
}

int main(void)
{
    loop_t *loop = loop_new();
    int sv[2];
    uint64_t t0, t;

    target = bench_count(1000000);
    BENCH_CHECK(loop != NULL);
    BENCH_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    for (int i = 0; i < 2; i++) {
        BENCH_CHECK(loop_io_init(loop, &ends[i], sv[i]) == 0);
        BENCH_CHECK(loop_io_start(&ends[i], on_readable, LOOP_READABLE) == 0);
    }
    t0 = bench_now_ns();
    BENCH_CHECK(write(sv[0], "x", 1) == 1);
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    t = bench_now_ns() - t0;
    BENCH_CHECK(trips == target);
    bench_print("pingpong", "libloop", "us_per_roundtrip", (double)t / 1e3 / (double)target,
                "us");

    for (int i = 0; i < 2; i++) {
        BENCH_CHECK(loop_handle_close(LOOP_HANDLE(&ends[i]), NULL) == 0);
    }
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    BENCH_CHECK(loop_close(loop) == 0);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
