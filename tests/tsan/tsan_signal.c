/*
 * tsan_signal — signal watchers in 4 loops on 4 threads, 200 rounds of
 * kill(getpid(), SIGUSR1) from the main thread (which runs no loop), each
 * round waiting until every loop saw it; watchers started and stopped while
 * signals arrive. A plain program for `make check SANITIZE=thread` (Criterion
 * does not start under ThreadSanitizer). Exit 0 on success, 1 otherwise.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <loop.h>

#define LOOPS 4
#define ROUNDS 200

struct per_loop {
    pthread_t th;
    loop_t *loop;
    loop_signal_t sig, extra;
    loop_async_t quit;
    atomic_int seen;
    atomic_int ready;
};

static struct per_loop pl[LOOPS];

static void on_sig(loop_signal_t *s, int signum)
{
    struct per_loop *p = s->handle.data;
    (void)signum;
    atomic_fetch_add(&p->seen, 1);
    /* churn: start and stop a second watcher of the same signal */
    if (loop_handle_active(&p->extra.handle)) {
        loop_signal_stop(&p->extra);
    } else {
        loop_signal_start(&p->extra, on_sig, SIGUSR1);
    }
}

static void on_quit(loop_async_t *a)
{
    struct per_loop *p = a->handle.data;
    loop_handle_close(&p->sig.handle, NULL);
    loop_handle_close(&p->extra.handle, NULL);
    loop_handle_close(&a->handle, NULL);
}

static void *loop_main(void *arg)
{
    struct per_loop *p = arg;
    p->loop = loop_new();
    if (p->loop == NULL || loop_signal_init(p->loop, &p->sig) != 0 ||
        loop_signal_init(p->loop, &p->extra) != 0 ||
        loop_async_init(p->loop, &p->quit, on_quit) != 0) {
        fprintf(stderr, "tsan_signal: set-up failed\n");
        exit(1);
    }
    p->sig.handle.data = p->extra.handle.data = p->quit.handle.data = p;
    if (loop_signal_start(&p->sig, on_sig, SIGUSR1) != 0) {
        fprintf(stderr, "tsan_signal: start failed\n");
        exit(1);
    }
    atomic_store(&p->ready, 1);
    if (loop_run(p->loop, LOOP_RUN_DEFAULT) != 0 || loop_close(p->loop) != 0) {
        fprintf(stderr, "tsan_signal: run/close failed\n");
        exit(1);
    }
    return NULL;
}

static int min_seen(void)
{
    int m = ROUNDS * 4;
    for (int i = 0; i < LOOPS; i++) {
        int s = atomic_load(&pl[i].seen);
        m = s < m ? s : m;
    }
    return m;
}

int main(void)
{
    for (int i = 0; i < LOOPS; i++) {
        if (pthread_create(&pl[i].th, NULL, loop_main, &pl[i]) != 0) {
            return 1;
        }
    }
    for (int i = 0; i < LOOPS; i++) {
        while (!atomic_load(&pl[i].ready)) {
            sched_yield();
        }
    }
    for (int r = 1; r <= ROUNDS; r++) {
        struct timespec t0, now;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        kill(getpid(), SIGUSR1);
        while (min_seen() < r) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - t0.tv_sec > 10) {
                fprintf(stderr, "tsan_signal: round %d not seen by every loop\n", r);
                return 1;
            }
            sched_yield();
        }
    }
    for (int i = 0; i < LOOPS; i++) {
        loop_async_send(&pl[i].quit);
        pthread_join(pl[i].th, NULL);
    }
    printf("tsan_signal: %d rounds seen by %d loops\n", ROUNDS, LOOPS);
    return 0;
}
