/*
 * race_pool — code that assumes thread-pool completions arrive in the
 * order the work was submitted.
 *
 * Two work items run on the pool (one thread here, so that they finish in
 * submission order); their done callbacks run on the loop. The second one's
 * callback expects the first one's to have run. Both completions are
 * collected in the same iteration and fifo runs them in completion order,
 * so the default run passes; with more threads, or when the loop picks the
 * other completion first (libloop promises no order), it fails (exit 1).
 * `loop-replay explore -- race_pool` finds it with one deviation.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <loop.h>

static atomic_int finished;
static int stage, failed;

static void work(loop_work_t *w)
{
    (void)w;
    atomic_fetch_add(&finished, 1);
}

static void first_done(loop_work_t *w, int status)
{
    (void)w;
    (void)status;
    stage = 1;
}

static void second_done(loop_work_t *w, int status)
{
    (void)w;
    (void)status;
    if (stage != 1) {
        failed = 1; /* the bug: assumed the first completion came first */
    }
}

int main(void)
{
    loop_t *loop;
    loop_work_t a, b;

    setenv("LOOP_THREADPOOL_SIZE", "1", 1);
    loop = loop_new();
    if (loop == NULL || loop_work_submit(loop, &a, work, first_done) < 0 ||
        loop_work_submit(loop, &b, work, second_done) < 0) {
        fprintf(stderr, "race_pool: cannot submit\n");
        return 2;
    }
    /* both finished before the loop looks: their completions are collected together */
    while (atomic_load(&finished) < 2) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    struct timespec settle = {0, 50000000}; /* the worker queues the last completion */
    nanosleep(&settle, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_close(loop);
    printf("race_pool: %s\n", failed ? "the second completion ran first: FAILED" : "ok");
    return failed;
}
