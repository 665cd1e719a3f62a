/*
 * pingpong_libuv.c — socketpair ping-pong on libuv: 1,000,000 one-byte round
 * trips between the two ends of an AF_UNIX socketpair, each watched by a
 * uv_poll_t (raw readiness, like the other sides' fd watchers; a uv_pipe_t
 * would add libuv's buffer allocation and write-request machinery). Each end
 * reads one byte and writes one byte back. Reports wall µs per round trip.
 */
#include <sys/socket.h>
#include <uv.h>

#include "bench.h"

static long trips, target;
static uv_poll_t ends[2];
static int fds[2];

static void on_readable(uv_poll_t *p, int status, int events)
{
    int fd = fds[p == &ends[1]];
    char c;

    (void)events;
    BENCH_CHECK(status == 0);
    BENCH_CHECK(read(fd, &c, 1) == 1);
    if (p == &ends[0] && ++trips >= target) {
        uv_poll_stop(&ends[0]);
        uv_poll_stop(&ends[1]);
        return;
    }
    BENCH_CHECK(write(fd, &c, 1) == 1);
}

int main(void)
{
    uv_loop_t loop;
    uint64_t t0, t;

    target = bench_count(1000000);
    BENCH_CHECK(uv_loop_init(&loop) == 0);
    BENCH_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    for (int i = 0; i < 2; i++) {
        BENCH_CHECK(uv_poll_init(&loop, &ends[i], fds[i]) == 0);
        BENCH_CHECK(uv_poll_start(&ends[i], UV_READABLE, on_readable) == 0);
    }
    t0 = bench_now_ns();
    BENCH_CHECK(write(fds[0], "x", 1) == 1);
    BENCH_CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    t = bench_now_ns() - t0;
    BENCH_CHECK(trips == target);
    bench_print("pingpong", "libuv", "us_per_roundtrip", (double)t / 1e3 / (double)target, "us");

    for (int i = 0; i < 2; i++) {
        uv_close((uv_handle_t *)&ends[i], NULL);
    }
    BENCH_CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    BENCH_CHECK(uv_loop_close(&loop) == 0);
    close(fds[0]);
    close(fds[1]);
    return 0;
}
