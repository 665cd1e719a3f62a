/*
 * replay_outcomes — small programs whose run has outcomes beyond the
 * dispatch order, for tests/replay_outcomes.sh: replay must notice when one
 * of them comes out differently.
 *
 *   replay_outcomes cancel      two work items A, B; the loop cancels B once A runs.
 *                               With a pool of one thread B is still queued
 *                               (cancel 0, B -ECANCELED); with more, A waits
 *                               until B runs (cancel -EBUSY, B 0).
 *   replay_outcomes coalesce N  a thread sends an async wakeup N times before
 *                               the loop runs: one callback for N sends.
 *   replay_outcomes coalesce-late N  one send, then N-1 more 50 ms later.
 *   replay_outcomes blocking V  a task's loop_run_blocking function returns V.
 *   replay_outcomes moncancel   a task sleeps 20 s; cancelled from the
 *                               monitor (loopctl PID cancel 1), it ends at once.
 *   replay_outcomes loops       a second loop runs three ticks (and with
 *                               OUTCOME_EXTRA=1 one more timer); both loops'
 *                               loop_random() are printed.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <loop.h>
#include <loop_task.h>

/* cancel --------------------------------------------------------------------- */

static sem_t release;
static atomic_int b_started;
static loop_async_t a_running;
static loop_work_t work_a, work_b;
static int cancel_rc = 1, status_a = 1, status_b = 1;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_a(loop_work_t *w)
{
    const char *n = getenv("LOOP_THREADPOOL_SIZE");
    uint64_t deadline = mono_ns() + 5000000000u;

    (void)w;
    /* another worker is free: B starts there; wait for it (a deadline, not a guess) */
    while (n != NULL && atoi(n) > 1 && !atomic_load(&b_started) && mono_ns() < deadline) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    loop_async_send(&a_running);
    sem_wait(&release);
}

static void run_b(loop_work_t *w)
{
    (void)w;
    atomic_store(&b_started, 1);
    sem_wait(&release); /* running when the loop cancels it */
}

static void done_a(loop_work_t *w, int status)
{
    (void)w;
    status_a = status;
}

static void done_b(loop_work_t *w, int status)
{
    (void)w;
    status_b = status;
}

static void on_a_running(loop_async_t *a)
{
    cancel_rc = loop_work_cancel(&work_b);
    sem_post(&release);
    if (cancel_rc != 0) {
        sem_post(&release); /* B runs too */
    }
    loop_handle_close(LOOP_HANDLE(a), NULL);
}

static int cancel_main(loop_t *loop)
{
    sem_init(&release, 0, 0);
    loop_async_init(loop, &a_running, on_a_running);
    if (loop_work_submit(loop, &work_a, run_a, done_a) < 0 ||
        loop_work_submit(loop, &work_b, run_b, done_b) < 0) {
        fprintf(stderr, "replay_outcomes: submit failed\n");
        return 1;
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    printf("cancel=%d a=%d b=%d\n", cancel_rc, status_a, status_b);
    return 0;
}

/* coalesce ------------------------------------------------------------------- */

static loop_async_t wake;
static int sends, calls;

static void on_wake(loop_async_t *a)
{
    calls++;
    loop_handle_close(LOOP_HANDLE(a), NULL);
}

static void *sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < sends; i++) {
        loop_async_send(&wake);
    }
    return NULL;
}

/* One send now, the rest 50 ms later: the loop has long seen the first. */
static void *late_sender(void *arg)
{
    struct timespec ts = {0, 50000000};
    (void)arg;
    loop_async_send(&wake);
    nanosleep(&ts, NULL);
    for (int i = 1; i < sends; i++) {
        loop_async_send(&wake);
    }
    return NULL;
}

static int coalesce_late_main(loop_t *loop, int n)
{
    pthread_t t;

    sends = n;
    loop_async_init(loop, &wake, on_wake);
    pthread_create(&t, NULL, late_sender, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    pthread_join(t, NULL);
    printf("%d callback(s)\n", calls);
    return 0;
}

static int coalesce_main(loop_t *loop, int n)
{
    pthread_t t;

    sends = n;
    loop_async_init(loop, &wake, on_wake);
    pthread_create(&t, NULL, sender, NULL);
    pthread_join(t, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    printf("%d sends, %d callback(s)\n", sends, calls);
    return 0;
}

/* blocking ------------------------------------------------------------------- */

static intptr_t blocking_fn(void *arg)
{
    return (intptr_t)atol(arg);
}

static intptr_t blocking_task(void *arg)
{
    intptr_t result = 0;
    int rc = loop_run_blocking(blocking_fn, arg, &result, 5000);
    printf("run_blocking: rc=%d result=%ld\n", rc, (long)result);
    return 0;
}

static int blocking_main(loop_t *loop, char *v)
{
    loop_task_t *t = loop_spawn(loop, blocking_task, v, "blocker");
    loop_run(loop, LOOP_RUN_DEFAULT);
    return loop_join(t, NULL, 0) == 0 ? 0 : 1;
}

/* moncancel ------------------------------------------------------------------ */

static intptr_t sleeper(void *arg)
{
    (void)arg;
    return loop_sleep(20000);
}

static int moncancel_main(loop_t *loop)
{
    loop_task_t *t = loop_spawn(loop, sleeper, NULL, "sleeper");
    intptr_t r = 0;

    loop_run(loop, LOOP_RUN_DEFAULT);
    printf("sleeper: join %d\n", loop_join(t, &r, 0));
    return 0;
}

/* loops ---------------------------------------------------------------------- */

static int ticks;

static void on_tick(loop_timer_t *t)
{
    if (++ticks == 3) {
        loop_handle_close(LOOP_HANDLE(t), NULL);
    }
}

static void on_extra(loop_timer_t *t)
{
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

static int loops_main(loop_t *loop)
{
    loop_t *second = loop_new();
    loop_timer_t tick, extra;
    const char *x = getenv("OUTCOME_EXTRA");

    if (second == NULL) {
        return 1;
    }
    loop_timer_init(second, &tick);
    loop_timer_start(&tick, on_tick, 1, 1);
    if (x != NULL && strcmp(x, "1") == 0) {
        loop_timer_init(second, &extra);
        loop_timer_start(&extra, on_extra, 1, 0);
    }
    loop_run(second, LOOP_RUN_DEFAULT);
    printf("ticks=%d random1=%016llx random2=%016llx\n", ticks,
           (unsigned long long)loop_random(loop), (unsigned long long)loop_random(second));
    loop_close(second);
    return 0;
}

int main(int argc, char **argv)
{
    loop_t *loop = loop_new();
    int rc = 2;

    if (loop == NULL) {
        return 1;
    }
    if (argc == 2 && strcmp(argv[1], "cancel") == 0) {
        rc = cancel_main(loop);
    } else if (argc == 3 && strcmp(argv[1], "coalesce") == 0) {
        rc = coalesce_main(loop, atoi(argv[2]));
    } else if (argc == 3 && strcmp(argv[1], "coalesce-late") == 0) {
        rc = coalesce_late_main(loop, atoi(argv[2]));
    } else if (argc == 3 && strcmp(argv[1], "blocking") == 0) {
        rc = blocking_main(loop, argv[2]);
    } else if (argc == 2 && strcmp(argv[1], "moncancel") == 0) {
        rc = moncancel_main(loop);
    } else if (argc == 2 && strcmp(argv[1], "loops") == 0) {
        rc = loops_main(loop);
    } else {
        fprintf(stderr, "usage: replay_outcomes cancel|coalesce N|coalesce-late N|blocking V|moncancel|loops\n");
    }
    if (rc != 2 && loop_close(loop) != 0) {
        fprintf(stderr, "replay_outcomes: loop_close failed\n");
        return 1;
    }
    return rc;
}
