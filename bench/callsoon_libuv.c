/*
 * callsoon_libuv.c — call-soon ping on libuv, 10,000,000 dispatches.
 *   callsoon_poll:   a uv_idle_t: its callback runs once per loop iteration and
 *                    an active idle handle makes the poll timeout 0, so every
 *                    dispatch pays one epoll_wait(.., 0).
 *   callsoon_nopoll: n/a — libuv has no primitive that re-dispatches without
 *                    going round the loop (idle, prepare, check and async all
 *                    run once per iteration, and each iteration polls).
 * The loop also watches one idle pipe (uv_poll_t): without any watched fd,
 * uv__io_poll returns before calling epoll_wait, which would make this the only
 * side that skips the poll. Reports wall ns per dispatch.
 */
#include <uv.h>

#include "bench.h"

static long count, target;
static uv_poll_t idle_poll;

static void on_idle_poll(uv_poll_t *p, int status, int events)
{
    (void)p;
    (void)status;
    (void)events;
}

static void on_idle(uv_idle_t *idle)
{
    if (++count >= target) {
        uv_idle_stop(idle);
        uv_poll_stop(&idle_poll);
    }
}

int main(void)
{
    uv_loop_t loop;
    uv_idle_t idle;
    int fds[2];
    uint64_t t0, t;

    target = bench_count(10000000);
    BENCH_CHECK(uv_loop_init(&loop) == 0);
    bench_idle_pipe(fds);
    BENCH_CHECK(uv_poll_init(&loop, &idle_poll, fds[0]) == 0);
    BENCH_CHECK(uv_poll_start(&idle_poll, UV_READABLE, on_idle_poll) == 0);
    BENCH_CHECK(uv_idle_init(&loop, &idle) == 0);
    t0 = bench_now_ns();
    BENCH_CHECK(uv_idle_start(&idle, on_idle) == 0);
    BENCH_CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    t = bench_now_ns() - t0;
    BENCH_CHECK(count == target);
    bench_print("callsoon_poll", "libuv", "ns_per_dispatch", (double)t / (double)target, "ns");
    bench_print_na("callsoon_nopoll", "libuv", "ns_per_dispatch", "ns",
                   "libuv has no way to re-dispatch without a loop iteration: idle, prepare, "
                   "check and async callbacks run once per iteration, and every iteration polls");

    uv_close((uv_handle_t *)&idle, NULL);
    uv_close((uv_handle_t *)&idle_poll, NULL);
    BENCH_CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    BENCH_CHECK(uv_loop_close(&loop) == 0);
    close(fds[0]);
    close(fds[1]);
    return 0;
}
