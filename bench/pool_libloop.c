/*
 * pool_libloop.c — thread pool on libloop: 1,000,000 no-op jobs through
 * loop_work_submit() with LOOP_THREADPOOL_SIZE=4. At most BENCH_POOL_INFLIGHT
 * (default 1024) jobs are in flight: each done callback submits the next job,
 * exactly as pool_libuv.c does. Reports wall ns per job and CPU ns per job
 * (all threads).
 */
#include "bench.h"
#include "loop.h"

static long submitted, completed, target;

static void work_noop(loop_work_t *w)
{
    (void)w;
}

static void on_done(loop_work_t *w, int status)
{
    BENCH_CHECK(status == 0);
    completed++;
    if (submitted < target) {
        submitted++;
        BENCH_CHECK(loop_work_submit(w->handle.loop, w, work_noop, on_done) == 0);
    }
}

int main(void)
{
    long inflight = bench_env_long("BENCH_POOL_INFLIGHT", 1024);
    loop_work_t *works;
    loop_t *loop;
    uint64_t t0, cpu0, t, cpu;

    BENCH_CHECK(setenv("LOOP_THREADPOOL_SIZE", "4", 1) == 0);
    target = bench_count(1000000);
    if (inflight > target) {
        inflight = target;
    }
    works = calloc((size_t)inflight, sizeof(*works));
    loop = loop_new();
    BENCH_CHECK(works != NULL && loop != NULL);
    t0 = bench_now_ns();
    cpu0 = bench_cpu_ns();
    for (long i = 0; i < inflight; i++) {
        submitted++;
        BENCH_CHECK(loop_work_submit(loop, &works[i], work_noop, on_done) == 0);
    }
    BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
    t = bench_now_ns() - t0;
    cpu = bench_cpu_ns() - cpu0;
    BENCH_CHECK(completed == target);
    bench_print("pool", "libloop", "ns_per_job", (double)t / (double)target, "ns");
    bench_print("pool", "libloop", "cpu_ns_per_job", (double)cpu / (double)target, "ns");

    BENCH_CHECK(loop_close(loop) == 0);
    free(works);
    return 0;
}
