/*
 * tsan_async — loop_async_send from 8 threads, 100,000 sends each, every
 * send observed; and 8 loops in 8 threads with timers and cross-thread
 * wakeups. A plain program (not Criterion: Criterion does not start under
 * ThreadSanitizer, Snaipe/Criterion#274), run by `make check SANITIZE=thread`.
 * Exit 0 on success, 1 with a message otherwise.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <loop.h>

#define THREADS 8
#define SENDS 100000

static atomic_long sent;
static long seen_total;
static loop_async_t wake;

static void on_wake(loop_async_t *a)
{
    seen_total = atomic_load(&sent);
    if (seen_total == (long)THREADS * SENDS) {
        loop_handle_close(&a->handle, NULL);
    }
}

static void *sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < SENDS; i++) {
        atomic_fetch_add(&sent, 1);
        if (loop_async_send(&wake) != 0) {
            fprintf(stderr, "tsan_async: send failed\n");
            exit(1);
        }
    }
    return NULL;
}

struct per_loop {
    loop_t *loop;
    loop_async_t async;
    loop_timer_t timer;
    int fired, woken;
};

static void pl_timer(loop_timer_t *t)
{
    struct per_loop *pl = t->handle.data;
    if (++pl->fired == 20) {
        loop_handle_close(&t->handle, NULL);
        loop_handle_close(&pl->async.handle, NULL);
    }
}

static void pl_async(loop_async_t *a)
{
    ((struct per_loop *)a->handle.data)->woken++;
}

static void *run_loop(void *arg)
{
    struct per_loop *pl = arg;
    loop_run(pl->loop, LOOP_RUN_DEFAULT);
    return NULL;
}

int main(void)
{
    loop_t *loop = loop_new();
    pthread_t th[THREADS];
    struct per_loop pls[THREADS];

    loop_async_init(loop, &wake, on_wake);
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&th[i], NULL, sender, NULL);
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    if (seen_total != (long)THREADS * SENDS || loop_close(loop) != 0) {
        fprintf(stderr, "tsan_async: saw %ld of %ld sends\n", seen_total, (long)THREADS * SENDS);
        return 1;
    }

    /* many loops in many threads, woken from this one */
    for (int i = 0; i < THREADS; i++) {
        pls[i] = (struct per_loop){.loop = loop_new()};
        loop_async_init(pls[i].loop, &pls[i].async, pl_async);
        pls[i].async.handle.data = &pls[i];
        loop_timer_init(pls[i].loop, &pls[i].timer);
        pls[i].timer.handle.data = &pls[i];
        loop_timer_start(&pls[i].timer, pl_timer, 1, 1);
        pthread_create(&th[i], NULL, run_loop, &pls[i]);
    }
    for (int k = 0; k < 100; k++) {
        for (int i = 0; i < THREADS; i++) {
            loop_async_send(&pls[i].async); /* may race with close: -EBADF is fine */
        }
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        if (pls[i].fired != 20 || loop_close(pls[i].loop) != 0) {
            fprintf(stderr, "tsan_async: loop %d fired %d\n", i, pls[i].fired);
            return 1;
        }
    }
    printf("tsan_async: ok\n");
    return 0;
}
