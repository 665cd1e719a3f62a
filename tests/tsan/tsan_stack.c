/*
 * tsan_stack — task stacks mapped and unmapped by four loops in four threads
 * at once: the process-wide registry of guard regions (libloop/task/stack.c,
 * read lock-free by the overflow handler) grows past its first chunk and
 * entries are freed and reused concurrently. Each loop spawns tasks with
 * several stack sizes (the pools keep only their size class), each task
 * holding a lock across a yield, and joins them. Plain program for
 * SANITIZE=thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <loop.h>

#define THREADS 4
#define ROUNDS 6
#define TASKS 100 /* per round: 4 x 100 stacks alive at once, past 256 registry entries */

static intptr_t body(void *arg)
{
    loop_lock_t *lk = arg;
    int rc = loop_lock_acquire(lk, LOOP_FOREVER);
    if (rc != 0) {
        return rc;
    }
    loop_yield();
    return loop_lock_release(lk);
}

static void *run(void *arg)
{
    (void)arg;
    loop_t *loop = loop_new();
    if (loop == NULL) {
        exit(1);
    }
    loop_lock_t *lk = loop_lock_new(loop);
    loop_task_t *t[TASKS];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < TASKS; i++) {
            size_t kb = 16 + (size_t)((r * TASKS + i) % 5) * 16;
            t[i] = loop_spawn_stack(loop, body, lk, "stacked", kb);
            if (t[i] == NULL) {
                fprintf(stderr, "tsan_stack: spawn failed\n");
                exit(1);
            }
        }
        loop_run(loop, LOOP_RUN_DEFAULT);
        for (int i = 0; i < TASKS; i++) {
            if (loop_join(t[i], NULL, 0) != 0) {
                fprintf(stderr, "tsan_stack: a task failed\n");
                exit(1);
            }
        }
    }
    if (loop_lock_free(lk) != 0 || loop_close(loop) != 0) {
        exit(1);
    }
    return NULL;
}

int main(void)
{
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        if (pthread_create(&th[i], NULL, run, NULL) != 0) {
            return 1;
        }
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    printf("tsan_stack: ok (%d threads x %d rounds x %d tasks)\n", THREADS, ROUNDS, TASKS);
    return 0;
}
