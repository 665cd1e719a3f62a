/*
 * tsan_pool — thread-pool work from two loops in two threads: 20,000 jobs
 * each, some cancelled, each loop closed right after its last completion;
 * and tasks awaiting blocking work. Plain program for SANITIZE=thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <loop.h>

#define JOBS 20000

struct ctx {
    loop_t *loop;
    loop_work_t *w;
    long done, cancelled, ran;
    atomic_long worked;
};

static void work(loop_work_t *w)
{
    struct ctx *c = w->handle.data;
    atomic_fetch_add(&c->worked, 1);
}

static void done(loop_work_t *w, int status)
{
    struct ctx *c = w->handle.data;
    c->done++;
    if (status == -ECANCELED) {
        c->cancelled++;
    }
}

static intptr_t blocking(void *arg)
{
    return (intptr_t)arg * 2;
}

static intptr_t task(void *arg)
{
    intptr_t sum = 0;
    (void)arg;
    for (intptr_t i = 0; i < 200; i++) {
        intptr_t r;
        if (loop_run_blocking(blocking, (void *)i, &r, LOOP_FOREVER) == 0) {
            sum += r;
        }
    }
    return sum;
}

static void *run(void *arg)
{
    struct ctx *c = arg;
    c->loop = loop_new();
    c->w = calloc(JOBS, sizeof(*c->w));
    for (int i = 0; i < JOBS; i++) {
        c->w[i].handle.data = c;
        loop_work_submit(c->loop, &c->w[i], work, done);
        if (i % 7 == 0) {
            loop_work_cancel(&c->w[i]);
        }
    }
    loop_task_t *t = loop_spawn(c->loop, task, NULL, "blocking");
    loop_run(c->loop, LOOP_RUN_DEFAULT);
    intptr_t sum = 0;
    if (loop_join(t, &sum, 0) != 0 || sum != 199 * 200) {
        fprintf(stderr, "tsan_pool: blocking sum %ld\n", (long)sum);
        exit(1);
    }
    if (loop_close(c->loop) != 0) {
        exit(1);
    }
    free(c->w);
    return NULL;
}

int main(void)
{
    struct ctx c[2] = {0};
    pthread_t th[2];

    for (int i = 0; i < 2; i++) {
        pthread_create(&th[i], NULL, run, &c[i]);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        if (c[i].done != JOBS || atomic_load(&c[i].worked) + c[i].cancelled != JOBS) {
            fprintf(stderr, "tsan_pool: done %ld worked %ld cancelled %ld\n", c[i].done,
                    atomic_load(&c[i].worked), c[i].cancelled);
            return 1;
        }
    }
    printf("tsan_pool: ok\n");
    return 0;
}
