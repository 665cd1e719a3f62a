/*
 * pool_libuv.c — thread pool on libuv: 1,000,000 no-op jobs through
 * uv_queue_work() with UV_THREADPOOL_SIZE=4. At most BENCH_POOL_INFLIGHT
 * (default 1024) jobs are in flight: each after-work callback queues the next
 * job, exactly as pool_libloop.c does. Reports wall ns per job and CPU ns per
 * job (all threads).
 */
#include <uv.h>

#include "bench.h"

static long submitted, completed, target;

static void work_noop(uv_work_t *w)
{
    (void)w;
}

static void on_done(uv_work_t *w, int status)
{
    BENCH_CHECK(status == 0);
    completed++;
    if (submitted < target) {
        submitted++;
        BENCH_CHECK(uv_queue_work(w->loop, w, work_noop, on_done) == 0);
    }
}

int main(void)
{
    long inflight = bench_env_long("BENCH_POOL_INFLIGHT", 1024);
    uv_work_t *works;
    uv_loop_t loop;
    uint64_t t0, cpu0, t, cpu;

    BENCH_CHECK(setenv("UV_THREADPOOL_SIZE", "4", 1) == 0);
    target = bench_count(1000000);
    if (inflight > target) {
        inflight = target;
    }
    works = calloc((size_t)inflight, sizeof(*works));
    BENCH_CHECK(works != NULL && uv_loop_init(&loop) == 0);
    t0 = bench_now_ns();
    cpu0 = bench_cpu_ns();
    for (long i = 0; i < inflight; i++) {
        submitted++;
        BENCH_CHECK(uv_queue_work(&loop, &works[i], work_noop, on_done) == 0);
    }
    BENCH_CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
    t = bench_now_ns() - t0;
    cpu = bench_cpu_ns() - cpu0;
    BENCH_CHECK(completed == target);
    bench_print("pool", "libuv", "ns_per_job", (double)t / (double)target, "ns");
    bench_print("pool", "libuv", "cpu_ns_per_job", (double)cpu / (double)target, "ns");

    BENCH_CHECK(uv_loop_close(&loop) == 0);
    free(works);
    return 0;
}
