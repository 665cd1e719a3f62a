/*
 * test_async.c — async wakeups: the callback runs on the loop thread, sends
 * before it runs coalesce, a send during it makes it run again, an async
 * handle keeps the loop alive until closed, sends from a signal handler, and
 * 8 threads x 100,000 sends with none lost.
 *
 * A send must never race with the close of its handle (as with any async
 * API): threads that send are joined before the handle is closed; the loop
 * callback uses loop_stop() to end a run while senders may still be active.
 */
#include <signal.h>

#include "helpers.h"

static int calls;
static int closes;

static void on_close(loop_handle_t *h)
{
    (void)h;
    closes++;
}

static void count_async(loop_async_t *a)
{
    (void)a;
    calls++;
}

static void close_async(loop_async_t *a)
{
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(a), on_close), 0);
}

Test(async, is_active_until_closed, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_async_t a;
    cr_assert_eq(loop_async_init(loop, &a, count_async), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&a)), 1);
    cr_assert_eq(loop_alive_count(loop), 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 0, "no send, no call");
    close_async(&a);
    finish_loop(loop);
    cr_assert_eq(closes, 1);
}

Test(async, sends_before_the_callback_coalesce, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_async_t a;
    cr_assert_eq(loop_async_init(loop, &a, count_async), 0);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(loop_async_send(&a), 0);
    }
    cr_assert_eq(calls, 0, "send never runs the callback itself");
    RUN_UNTIL(loop, calls > 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    }
    cr_assert_eq(calls, 1, "5 sends before the callback: %d calls", calls);
    close_async(&a);
    finish_loop(loop);
}

static void send_again_once(loop_async_t *a)
{
    calls++;
    if (calls == 1) {
        cr_assert_eq(loop_async_send(a), 0);
    } else {
        close_async(a);
    }
}

Test(async, send_during_the_callback_runs_it_again, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_async_t a;
    cr_assert_eq(loop_async_init(loop, &a, send_again_once), 0);
    cr_assert_eq(loop_async_send(&a), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(calls, 2);
    finish_loop(loop);
}

static void close_in_cb(loop_async_t *a)
{
    calls++;
    close_async(a);
}

Test(async, close_from_the_callback_ends_the_run, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_async_t a;
    cr_assert_eq(loop_async_init(loop, &a, close_in_cb), 0);
    cr_assert_eq(loop_async_send(&a), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(calls, 1);
    cr_assert_eq(closes, 1);
    finish_loop(loop);
}

Test(async, closing_with_a_send_pending_runs_no_callback, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_async_t *a = malloc(sizeof *a);
    cr_assert_eq(loop_async_init(loop, a, count_async), 0);
    cr_assert_eq(loop_async_send(a), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(a), on_close), 0);
    finish_loop(loop);
    cr_assert_eq(calls, 0);
    cr_assert_eq(closes, 1);
    free(a);
}

/* From another thread ------------------------------------------------------------------ */

static pthread_t loop_thread;
static int wrong_thread;

static void stop_on_call(loop_async_t *a)
{
    calls++;
    if (!pthread_equal(pthread_self(), loop_thread)) {
        wrong_thread++;
    }
    loop_stop(a->handle.loop);
}

static void *send_once(void *arg)
{
    loop_async_send(arg);
    return NULL;
}

Test(async, send_from_another_thread_runs_on_the_loop_thread, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_async_t a;
    loop_thread = pthread_self();
    cr_assert_eq(loop_async_init(loop, &a, stop_on_call), 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, send_once, &a), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 1, "stopped with the async still open");
    pthread_join(th, NULL);
    cr_assert_eq(calls, 1);
    cr_assert_eq(wrong_thread, 0);
    close_async(&a);
    finish_loop(loop);
}

Test(async, many_handles_each_get_their_own_wakeup, .timeout = 60)
{
    loop_t *loop = new_loop();
    static loop_async_t a[16];
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(loop_async_init(loop, &a[i], count_async), 0);
    }
    for (int i = 0; i < 16; i += 2) {
        cr_assert_eq(loop_async_send(&a[i]), 0);
    }
    RUN_UNTIL(loop, calls >= 8);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 8);
    for (int i = 0; i < 16; i++) {
        close_async(&a[i]);
    }
    finish_loop(loop);
    cr_assert_eq(closes, 16);
}

/* From a signal handler ------------------------------------------------------------------- */

static loop_async_t *sig_async;
static atomic_int send_rc;

static void on_sigusr1(int signum)
{
    (void)signum;
    atomic_store(&send_rc, loop_async_send(sig_async));
}

static void close_on_call(loop_async_t *a)
{
    calls++;
    close_async(a);
}

Test(async, send_from_a_signal_handler, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_async_t a;
    sig_async = &a;
    atomic_init(&send_rc, 1);
    cr_assert_eq(loop_async_init(loop, &a, close_on_call), 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    cr_assert_eq(pthread_kill(pthread_self(), SIGUSR1), 0); /* handled before it returns */
    cr_assert_eq(atomic_load(&send_rc), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(calls, 1);
    finish_loop(loop);
}

/* 8 threads x 100,000 sends, none lost ------------------------------------------------------ */

#define SENDERS 8
#define SENDS 100000

static atomic_long sent;        /* incremented before each send */
static atomic_int send_failures;
static long observed_max;
static long observed_calls;

static void *sender_main(void *arg)
{
    loop_async_t *a = arg;
    for (int i = 0; i < SENDS; i++) {
        atomic_fetch_add(&sent, 1);
        if (loop_async_send(a) != 0) {
            atomic_fetch_add(&send_failures, 1);
        }
    }
    return NULL;
}

static void observe(loop_async_t *a)
{
    long now = atomic_load(&sent);
    observed_calls++;
    cr_assert_geq(now, observed_max);
    observed_max = now;
    if (now == (long)SENDERS * SENDS) {
        /* every increment is visible, and each came before its send: all observed */
        loop_stop(a->handle.loop);
    }
}

Test(async, eight_threads_send_100000_times_each_and_none_is_lost, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_async_t a;
    atomic_init(&sent, 0);
    atomic_init(&send_failures, 0);
    cr_assert_eq(loop_async_init(loop, &a, observe), 0);
    pthread_t th[SENDERS];
    for (int i = 0; i < SENDERS; i++) {
        cr_assert_eq(pthread_create(&th[i], NULL, sender_main, &a), 0);
    }
    /* returns only once the callback saw the final total; a lost wakeup hangs here */
    int rc = loop_run(loop, LOOP_RUN_DEFAULT);
    for (int i = 0; i < SENDERS; i++) {
        pthread_join(th[i], NULL);
    }
    cr_assert_eq(rc, 1, "loop_run: %d", rc);
    cr_assert_eq(observed_max, (long)SENDERS * SENDS);
    cr_assert_eq(atomic_load(&send_failures), 0);
    cr_assert_geq(observed_calls, 1);
    cr_assert_leq(observed_calls, (long)SENDERS * SENDS, "more calls than sends");
    close_async(&a);
    finish_loop(loop);
}
