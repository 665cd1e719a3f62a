/*
 * test_task_sync.c — what tasks wait on besides time and fds: futures
 * (settled from callbacks and tasks, many awaiters, on_done order,
 * references), events, locks (FIFO hand-off, owner, misuse, timeout, a
 * visible deadlock), channels (FIFO, capacity, rendezvous, close, the
 * non-blocking forms from callbacks) and blocking work on the thread pool
 * (result, timeout and cancel while the work still runs).
 *
 * Orderings are asserted through a trace string; time through loop_now().
 * Tasks record what they see in globals and the test body asserts it. Every
 * test ends with loop_close() == 0; under ASan a leaked object fails too.
 */
#include <fcntl.h>

#include "helpers.h"
#include "core/internal.h" /* loop->done: to know a pool completion is queued */

static loop_t *L;


static char trace[128];
static size_t trace_len;

static void trace_put(char c)
{
    if (trace_len + 1 < sizeof trace) {
        trace[trace_len++] = c;
        trace[trace_len] = '\0';
    }
}

static void trace_reset(void)
{
    trace_len = 0;
    trace[0] = '\0';
}

static void join_ok(loop_task_t *t)
{
    int rc = loop_join(t, NULL, 0);
    cr_assert_eq(rc, 0, "task %s: %d (%s)", loop_task_name(t), rc, loop_strerror(rc));
}

/* ======================================================================== */
/* Futures                                                                  */

static loop_future_t *fut;
static loop_timer_t tm1;

static void resolve_from_timer(loop_timer_t *tm)
{
    cr_expect_eq(loop_future_resolve(fut, 1234), 0);
    cr_expect_eq(loop_future_resolve(fut, 1), -EALREADY, "a future settles once");
    cr_expect_eq(loop_future_fail(fut, -EIO), -EALREADY);
    loop_future_unref(fut); /* the timer's reference */
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

static int await_rc;
static intptr_t await_val;

static intptr_t await_fut(void *arg)
{
    loop_future_t *f = arg;
    await_rc = loop_future_await(f, &await_val, LOOP_FOREVER);
    return await_rc;
}

Test(future, resolved_from_a_timer_callback_wakes_the_awaiting_task, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    fut = loop_future_new(loop);
    cr_assert_not_null(fut);
    intptr_t v = 0;
    cr_assert_eq(loop_future_done(fut), 0);
    cr_assert_eq(loop_future_result(fut, &v), -EAGAIN, "pending");
    loop_future_ref(fut); /* for the timer */
    loop_task_t *t = loop_spawn(loop, await_fut, fut, "awaiter");
    loop_timer_init(loop, &tm1);
    loop_timer_start(&tm1, resolve_from_timer, 2, 0);

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(await_rc, 0);
    cr_assert_eq(await_val, 1234);
    cr_assert_eq(loop_future_done(fut), 1);
    cr_assert_eq(loop_future_result(fut, &v), 0);
    cr_assert_eq(v, 1234);
    join_ok(t);
    loop_future_unref(fut);
    close_loop(loop);
}

static intptr_t fail_fut_after_yield(void *arg)
{
    loop_future_t *f = arg;
    loop_yield();
    trace_put('F');
    return loop_future_fail(f, -ECONNRESET);
}

static intptr_t await_fut_traced(void *arg)
{
    loop_future_t *f = arg;
    intptr_t v = 0;
    int rc = loop_future_await(f, &v, LOOP_FOREVER);
    trace_put((char)('0' + (rc == -ECONNRESET)));
    return rc;
}

Test(future, failed_from_a_task_wakes_every_awaiter_in_order_with_the_error, .timeout = 5)
{
    loop_t *loop = new_loop();
    trace_reset();
    loop_future_t *f = loop_future_new(loop);
    loop_task_t *w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = loop_spawn(loop, await_fut_traced, f, "awaiter");
    }
    loop_task_t *failer = loop_spawn(loop, fail_fut_after_yield, f, "failer");
    cr_assert_eq(loop_future_fail(f, 5), -EINVAL, "an error is negative");

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "F111", "every awaiter saw the error, in FIFO order: %s", trace);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(loop_join(w[i], NULL, 0), -ECONNRESET);
    }
    join_ok(failer);
    intptr_t v;
    cr_assert_eq(loop_future_result(f, &v), -ECONNRESET);
    /* awaiting a settled future returns at once, even outside a task */
    cr_assert_eq(loop_future_await(f, &v, LOOP_FOREVER), -ECONNRESET);
    loop_future_unref(f);
    close_loop(loop);
}

static int done_calls;

static void on_done_trace(loop_future_t *f, void *arg)
{
    intptr_t v = 0;
    cr_expect_eq(loop_future_result(f, &v), 0);
    cr_expect_eq(v, 9);
    done_calls++;
    trace_put((char)(intptr_t)arg);
}

Test(future, on_done_callbacks_run_later_in_registration_order, .timeout = 5)
{
    loop_t *loop = new_loop();
    trace_reset();
    loop_future_t *f = loop_future_new(loop);
    cr_assert_eq(loop_future_on_done(f, on_done_trace, (void *)'a'), 0);
    cr_assert_eq(loop_future_on_done(f, on_done_trace, (void *)'b'), 0);
    cr_assert_eq(loop_future_on_done(f, on_done_trace, (void *)'c'), 0);
    /* a failed registration never calls back (STYLE rule 3) */
    cr_assert_eq(loop_future_on_done(f, NULL, NULL), -EINVAL);
    cr_assert_eq(loop_future_on_done(NULL, on_done_trace, (void *)'z'), -EINVAL);
    cr_assert_eq(loop_future_resolve(f, 9), 0);
    cr_assert_eq(done_calls, 0, "callbacks run as call-soons, not inside resolve");
    /* registered after settling: still later, after the others */
    cr_assert_eq(loop_future_on_done(f, on_done_trace, (void *)'d'), 0);
    cr_assert_eq(done_calls, 0);
    /* the callbacks hold their own references */
    loop_future_unref(f);

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(done_calls, 4);
    cr_assert_str_eq(trace, "abcd");
    close_loop(loop); /* ASan: the future was freed by its last callback */
}

/*
 * Dropping the last reference to a future that never settled frees it and its
 * registered callbacks, which never run (loop_future_unref: "never settled:
 * its callbacks never run"). ASan/LSan reports the future if it leaks.
 */
static __attribute__((noinline)) int unsettled_future_with_callback(loop_t *loop)
{
    loop_future_t *f = loop_future_new(loop);
    int rc = loop_future_on_done(f, on_done_trace, (void *)'x');
    loop_future_unref(f);
    return rc;
}

/* Overwrite dead stack below the caller: no stale pointer hides a leak from LSan. */
static __attribute__((noinline)) void scrub_stack(void)
{
    volatile char junk[8192];
    memset((char *)junk, 0, sizeof junk);
}

Test(future, last_unref_of_an_unsettled_future_drops_its_callbacks, .timeout = 5)
{
    loop_t *loop = new_loop();
    cr_assert_eq(unsettled_future_with_callback(loop), 0);
    scrub_stack();
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(done_calls, 0);
    close_loop(loop);
}

static int timeout_rc, cancel_rc;
static uint64_t waited_ns;

static intptr_t await_with_timeout(void *arg)
{
    loop_future_t *f = arg;
    uint64_t t0 = loop_now(L);
    timeout_rc = loop_future_await(f, NULL, 10);
    waited_ns = loop_now(L) - t0;
    cancel_rc = loop_future_await(f, NULL, LOOP_FOREVER); /* cancelled by a timer */
    return cancel_rc;
}

static loop_task_t *victim;

static void cancel_victim(loop_timer_t *tm)
{
    loop_task_cancel(victim);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

Test(future, await_times_out_and_is_cancellable_and_the_future_survives, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_future_t *f = loop_future_new(loop);
    victim = loop_spawn(loop, await_with_timeout, f, "awaiter");
    loop_timer_init(loop, &tm1);
    loop_timer_start(&tm1, cancel_victim, 30, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(timeout_rc, -ETIMEDOUT);
    cr_assert_geq(waited_ns, 10 * MS_NS);
    cr_assert_eq(cancel_rc, -ECANCELED);
    cr_assert_eq(loop_join(victim, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_future_done(f), 0);
    cr_assert_eq(loop_future_resolve(f, 1), 0, "still usable after abandoned awaits");
    loop_future_unref(f);
    close_loop(loop);
}

/* Every holder drops its reference in a different place; ASan checks the count. */
static intptr_t resolve_then_unref(void *arg)
{
    loop_future_t *f = arg;
    loop_sleep(1);
    int rc = loop_future_resolve(f, 77);
    loop_future_unref(f);
    return rc;
}

static intptr_t await_then_unref(void *arg)
{
    loop_future_t *f = arg;
    intptr_t v = 0;
    int rc = loop_future_await(f, &v, LOOP_FOREVER);
    loop_future_unref(f);
    return rc < 0 ? rc : v;
}

Test(future, references_keep_it_alive_until_the_last_holder_lets_go, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_future_t *f = loop_future_new(loop);
    loop_task_t *a = loop_spawn(loop, await_then_unref, loop_future_ref(f), "a");
    loop_task_t *b = loop_spawn(loop, await_then_unref, loop_future_ref(f), "b");
    loop_task_t *r = loop_spawn(loop, resolve_then_unref, loop_future_ref(f), "resolver");
    loop_future_unref(f); /* the creator leaves first */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    intptr_t v = 0;
    cr_assert_eq(loop_join(a, &v, 0), 0);
    cr_assert_eq(v, 77);
    cr_assert_eq(loop_join(b, &v, 0), 0);
    cr_assert_eq(v, 77);
    join_ok(r);
    close_loop(loop);
}

/* ======================================================================== */
/* Events                                                                   */

static loop_event_t *ev;
static int ev_rc[4];
static uint64_t ev_waited_ns;

static void set_event_from_timer(loop_timer_t *tm)
{
    cr_expect_eq(loop_event_set(ev), 0);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

static intptr_t event_waiter(void *arg)
{
    (void)arg;
    ev_rc[0] = loop_event_wait(ev, LOOP_FOREVER); /* set by the timer */
    trace_put('w');
    ev_rc[1] = loop_event_wait(ev, 0);            /* still set: at once */
    loop_event_clear(ev);
    ev_rc[2] = loop_event_wait(ev, 0);            /* cleared: polls */
    uint64_t t0 = loop_now(L);
    ev_rc[3] = loop_event_wait(ev, 15);
    ev_waited_ns = loop_now(L) - t0;
    return 0;
}

static intptr_t event_waiter2(void *arg)
{
    (void)arg;
    int rc = loop_event_wait(ev, LOOP_FOREVER);
    trace_put('v');
    return rc;
}

Test(event, set_wakes_all_waiters_clear_resets_wait_times_out, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    trace_reset();
    ev = loop_event_new(loop);
    cr_assert_not_null(ev);
    cr_assert_eq(loop_event_is_set(ev), 0);
    loop_task_t *a = loop_spawn(loop, event_waiter, NULL, "a");
    loop_task_t *b = loop_spawn(loop, event_waiter2, NULL, "b");
    loop_timer_init(loop, &tm1);
    loop_timer_start(&tm1, set_event_from_timer, 2, 0);

    RUN_UNTIL(loop, loop_task_state(a) == LOOP_TASK_WAITING);
    cr_assert_eq(loop_event_free(ev), -EBUSY, "tasks wait on it");
    loop_task_info_t info;
    loop_task_info(a, &info);
    cr_assert_eq(info.wait_kind, LOOP_WAIT_EVENT, "%s", loop_wait_kind_name(info.wait_kind));

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "wv", "waiters woken in FIFO order: %s", trace);
    cr_assert_eq(ev_rc[0], 0);
    cr_assert_eq(ev_rc[1], 0);
    cr_assert_eq(ev_rc[2], -ETIMEDOUT);
    cr_assert_eq(ev_rc[3], -ETIMEDOUT);
    cr_assert_geq(ev_waited_ns, 15 * MS_NS);
    cr_assert_eq(loop_event_is_set(ev), 0);
    join_ok(a);
    join_ok(b);
    cr_assert_eq(loop_event_free(ev), 0);
    close_loop(loop);
}

/* ======================================================================== */
/* Locks                                                                    */

static loop_lock_t *lk;
static loop_task_t *lt[4];
static loop_task_t *owner_seen[4];
static int reacquire_rc, nonowner_release_rc;

static intptr_t lock_holder(void *arg)
{
    (void)arg;
    if (loop_lock_acquire(lk, LOOP_FOREVER) != 0) {
        return -EINVAL;
    }
    trace_put('0');
    owner_seen[0] = loop_lock_owner(lk);
    reacquire_rc = loop_lock_acquire(lk, LOOP_FOREVER);
    loop_sleep(5); /* the others queue up meanwhile */
    return loop_lock_release(lk);
}

static intptr_t lock_waiter(void *arg)
{
    intptr_t i = (intptr_t)arg;
    if (i == 1) {
        nonowner_release_rc = loop_lock_release(lk);
    }
    int rc = loop_lock_acquire(lk, LOOP_FOREVER);
    if (rc != 0) {
        return rc;
    }
    trace_put((char)('0' + i));
    owner_seen[i] = loop_lock_owner(lk);
    loop_yield(); /* hold it across an await */
    return loop_lock_release(lk);
}

Test(lock, hand_off_is_fifo_and_the_owner_is_visible, .timeout = 5)
{
    loop_t *loop = new_loop();
    trace_reset();
    lk = loop_lock_new(loop);
    cr_assert_not_null(lk);
    cr_assert_null(loop_lock_owner(lk));
    lt[0] = loop_spawn(loop, lock_holder, NULL, "holder");
    for (intptr_t i = 1; i <= 3; i++) {
        lt[i] = loop_spawn(loop, lock_waiter, (void *)i, "waiter");
    }
    RUN_UNTIL(loop, loop_task_state(lt[3]) == LOOP_TASK_WAITING);
    cr_assert_eq(loop_lock_owner(lk), lt[0]);
    cr_assert_eq(loop_lock_free(lk), -EBUSY);
    for (int i = 1; i <= 3; i++) {
        loop_task_info_t info;
        loop_task_info(lt[i], &info);
        cr_assert_eq(info.state, LOOP_TASK_WAITING);
        cr_assert_eq(info.wait_kind, LOOP_WAIT_LOCK, "%s", loop_wait_kind_name(info.wait_kind));
        cr_assert_eq(info.wait_task_id, loop_task_id(lt[0]), "waiter %d names the owner", i);
    }

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "0123", "FIFO hand-off: %s", trace);
    for (int i = 0; i <= 3; i++) {
        cr_assert_eq(owner_seen[i], lt[i], "task %d owned the lock while holding it", i);
        join_ok(lt[i]);
    }
    cr_assert_eq(reacquire_rc, -EDEADLK);
    cr_assert_eq(nonowner_release_rc, -EPERM);
    cr_assert_null(loop_lock_owner(lk));
    cr_assert_eq(loop_lock_free(lk), 0);
    close_loop(loop);
}

/* After a hand-off, the remaining waiters name the new owner, not the old one. */
static intptr_t hold_lock_until_cancelled(void *arg)
{
    (void)arg;
    if (loop_lock_acquire(lk, LOOP_FOREVER) != 0) {
        return -EINVAL;
    }
    loop_sleep(10000); /* ended by cancel */
    return loop_lock_release(lk);
}

static intptr_t lock_then_wait_forever(void *arg)
{
    (void)arg;
    int rc = loop_lock_acquire(lk, LOOP_FOREVER);
    if (rc != 0) {
        return rc;
    }
    rc = loop_sleep(10000); /* ended by cancel */
    loop_lock_release(lk);
    return rc;
}

Test(lock, waiters_name_the_current_owner_after_a_hand_off, .timeout = 5)
{
    loop_t *loop = new_loop();
    lk = loop_lock_new(loop);
    lt[0] = loop_spawn(loop, hold_lock_until_cancelled, NULL, "first");
    lt[1] = loop_spawn(loop, lock_then_wait_forever, NULL, "second");
    lt[2] = loop_spawn(loop, lock_then_wait_forever, NULL, "third");
    RUN_UNTIL(loop, loop_task_state(lt[2]) == LOOP_TASK_WAITING);

    loop_task_cancel(lt[0]); /* releases: the lock goes to "second" */
    RUN_UNTIL(loop, loop_lock_owner(lk) == lt[1] && loop_task_state(lt[1]) == LOOP_TASK_WAITING);
    loop_task_info_t info;
    loop_task_info(lt[2], &info);
    cr_assert_eq(info.wait_kind, LOOP_WAIT_LOCK);
    cr_assert_eq(info.wait_task_id, loop_task_id(lt[1]),
                 "third waits for the owner (task %llu), not the previous owner (%llu): got %llu",
                 (unsigned long long)loop_task_id(lt[1]), (unsigned long long)loop_task_id(lt[0]),
                 (unsigned long long)info.wait_task_id);

    loop_task_cancel(lt[1]);
    loop_task_cancel(lt[2]);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    for (int i = 0; i < 3; i++) {
        loop_join(lt[i], NULL, 0);
    }
    cr_assert_eq(loop_lock_free(lk), 0);
    close_loop(loop);
}

static int lock_timeout_rc;
static uint64_t lock_waited_ns;

static intptr_t lock_with_timeout(void *arg)
{
    (void)arg;
    uint64_t t0 = loop_now(L);
    lock_timeout_rc = loop_lock_acquire(lk, 10);
    lock_waited_ns = loop_now(L) - t0;
    trace_put('t');
    return 0;
}

static intptr_t hold_lock_30ms(void *arg)
{
    (void)arg;
    loop_lock_acquire(lk, LOOP_FOREVER);
    loop_sleep(30);
    trace_put('r');
    return loop_lock_release(lk);
}

static intptr_t lock_after_timeout(void *arg)
{
    (void)arg;
    int rc = loop_lock_acquire(lk, LOOP_FOREVER);
    trace_put('a');
    if (rc == 0) {
        rc = loop_lock_release(lk);
    }
    return rc;
}

Test(lock, acquire_times_out_and_the_lock_skips_that_waiter, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    trace_reset();
    lk = loop_lock_new(loop);
    loop_task_t *h = loop_spawn(loop, hold_lock_30ms, NULL, "holder");
    loop_task_t *t = loop_spawn(loop, lock_with_timeout, NULL, "impatient");
    loop_task_t *p = loop_spawn(loop, lock_after_timeout, NULL, "patient");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(lock_timeout_rc, -ETIMEDOUT);
    cr_assert_geq(lock_waited_ns, 10 * MS_NS);
    cr_assert_str_eq(trace, "tra", "%s", trace);
    join_ok(h);
    join_ok(t);
    join_ok(p);
    cr_assert_null(loop_lock_owner(lk));
    cr_assert_eq(loop_lock_free(lk), 0);
    close_loop(loop);
}

static loop_lock_t *lock_a, *lock_b;

static intptr_t take_two_locks(void *arg)
{
    int first_a = arg != NULL;
    loop_lock_t *first = first_a ? lock_a : lock_b;
    loop_lock_t *second = first_a ? lock_b : lock_a;
    int rc = loop_lock_acquire(first, LOOP_FOREVER);
    if (rc != 0) {
        return rc;
    }
    loop_yield(); /* the other task takes its first lock now */
    rc = loop_lock_acquire(second, LOOP_FOREVER);
    if (rc == 0) {
        loop_lock_release(second);
    }
    loop_lock_release(first);
    return rc;
}

Test(lock, opposite_order_deadlock_is_visible_and_cancellable, .timeout = 5)
{
    loop_t *loop = new_loop();
    capture_logs();
    lock_a = loop_lock_new(loop);
    lock_b = loop_lock_new(loop);
    loop_task_t *t1 = loop_spawn(loop, take_two_locks, (void *)1, "a-then-b");
    loop_task_t *t2 = loop_spawn(loop, take_two_locks, NULL, "b-then-a");

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "a deadlock ends the run");
    cr_assert_eq(loop_lock_owner(lock_a), t1);
    cr_assert_eq(loop_lock_owner(lock_b), t2);
    loop_task_info_t i1, i2;
    loop_task_info(t1, &i1);
    loop_task_info(t2, &i2);
    cr_assert_eq(i1.state, LOOP_TASK_WAITING);
    cr_assert_eq(i2.state, LOOP_TASK_WAITING);
    cr_assert_eq(i1.wait_kind, LOOP_WAIT_LOCK);
    cr_assert_eq(i2.wait_kind, LOOP_WAIT_LOCK);
    cr_assert_eq(i1.wait_task_id, loop_task_id(t2), "a-then-b waits for b-then-a");
    cr_assert_eq(i2.wait_task_id, loop_task_id(t1), "b-then-a waits for a-then-b");
    cr_assert_eq(loop_close(loop), -EBUSY);

    loop_task_cancel(t1);
    loop_task_cancel(t2);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(t1, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_join(t2, NULL, 0), -ECANCELED);
    cr_assert_null(loop_lock_owner(lock_a));
    cr_assert_null(loop_lock_owner(lock_b));
    cr_assert_eq(loop_lock_free(lock_a), 0);
    cr_assert_eq(loop_lock_free(lock_b), 0);
    loop_log_set_sink(NULL, NULL);
    close_loop(loop);
}

/*
 * A task that ends holding a lock abandons it (as a robust mutex's owner that
 * died): the lock keeps no pointer to the finished task, the next owner gets it
 * with -EOWNERDEAD (the state it guards may be half-changed), and debug mode
 * says so once. Before: the lock kept the freed task as its owner (ASan:
 * heap-use-after-free in the next acquire) and its waiters waited forever.
 */
static int abandon_rc[3];

static intptr_t take_lock_and_return(void *arg)
{
    (void)arg;
    return loop_lock_acquire(lk, LOOP_FOREVER); /* and never releases it */
}

static intptr_t take_lock_sleep_and_return(void *arg)
{
    (void)arg;
    int rc = loop_lock_acquire(lk, LOOP_FOREVER);
    if (rc == 0) {
        rc = loop_sleep(5); /* the others queue up meanwhile */
    }
    return rc;
}

static intptr_t acquire_and_release(void *arg)
{
    intptr_t i = (intptr_t)arg;
    abandon_rc[i] = loop_lock_acquire(lk, 1000);
    if (abandon_rc[i] == 0 || abandon_rc[i] == -EOWNERDEAD) {
        owner_seen[i] = loop_lock_owner(lk);
        trace_put((char)('0' + i));
        return loop_lock_release(lk);
    }
    return 0;
}

Test(lock, an_owner_that_ends_holding_it_abandons_it_to_the_next_acquirer, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    capture_logs();
    cr_assert_eq(loop_set_debug(loop, 1), 0);
    lk = loop_lock_new(loop);
    loop_task_t *a = loop_spawn(loop, take_lock_and_return, NULL, "quitter");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    uint64_t a_id = loop_task_id(a);
    join_ok(a); /* a is freed now */

    loop_task_t *b = loop_spawn(loop, acquire_and_release, (void *)1, "next");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(abandon_rc[1], -EOWNERDEAD, "%d (%s)", abandon_rc[1],
                 loop_strerror(abandon_rc[1]));
    cr_assert_eq(owner_seen[1], b, "-EOWNERDEAD hands the lock over");
    join_ok(b);
    cr_assert_null(loop_lock_owner(lk));

    loop_task_t *c = loop_spawn(loop, acquire_and_release, (void *)2, "after");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(abandon_rc[2], 0, "told once: %d", abandon_rc[2]);
    join_ok(c);

    char want[160];
    snprintf(want, sizeof want, "owner task id=%llu name=\"quitter\"", (unsigned long long)a_id);
    cr_assert(logs_contain("Lock abandoned") && logs_contain(want),
              "debug mode names the lock and its owner (%s):\n%s", want, logs_text());
    cr_assert(logs_contain("test_task_sync.c:"), "the lock's site:\n%s", logs_text());
    int lines = 0;
    for (const char *at = logs_text(); (at = strstr(at, "Lock abandoned")) != NULL; at++) {
        lines++;
    }
    cr_assert_eq(lines, 1, "one line per abandonment:\n%s", logs_text());
    cr_assert_eq(loop_lock_free(lk), 0);
    loop_log_set_sink(NULL, NULL);
    close_loop(loop);
}

Test(lock, the_owner_of_an_abandoned_lock_is_nobody_not_the_freed_task, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    lk = loop_lock_new(loop);
    loop_task_t *a = loop_spawn(loop, take_lock_and_return, NULL, "quitter");
    cr_assert_eq(loop_task_detach(a), 0); /* freed as soon as it ends */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_null(loop_lock_owner(lk), "the lock names a task that is gone");
    cr_assert_eq(loop_lock_free(lk), 0, "an abandoned lock without owner can be freed");
    close_loop(loop);
}

Test(lock, waiters_of_an_abandoned_lock_are_woken_in_order_and_told_once, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    trace_reset();
    lk = loop_lock_new(loop);
    loop_task_t *a = loop_spawn(loop, take_lock_sleep_and_return, NULL, "quitter");
    loop_task_t *w1 = loop_spawn(loop, acquire_and_release, (void *)1, "first");
    loop_task_t *w2 = loop_spawn(loop, acquire_and_release, (void *)2, "second");
    cr_assert_eq(loop_task_detach(a), 0); /* freed as soon as it ends */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(abandon_rc[1], -EOWNERDEAD, "the first waiter: %d (%s)", abandon_rc[1],
                 loop_strerror(abandon_rc[1]));
    cr_assert_eq(abandon_rc[2], 0, "the second waiter, after a normal release: %d (%s)",
                 abandon_rc[2], loop_strerror(abandon_rc[2]));
    cr_assert_str_eq(trace, "12", "%s", trace);
    cr_assert_eq(owner_seen[1], w1);
    cr_assert_eq(owner_seen[2], w2);
    join_ok(w1);
    join_ok(w2);
    cr_assert_null(loop_lock_owner(lk));
    cr_assert_eq(loop_lock_free(lk), 0);
    close_loop(loop);
}

static intptr_t take_lock_sleep_until_cancelled(void *arg)
{
    (void)arg;
    int rc = loop_lock_acquire(lk, LOOP_FOREVER);
    if (rc == 0) {
        rc = loop_sleep(10000); /* -ECANCELED: returns without releasing */
    }
    return rc;
}

Test(lock, a_cancelled_owner_abandons_its_lock_too, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    trace_reset();
    lk = loop_lock_new(loop);
    loop_task_t *a = loop_spawn(loop, take_lock_sleep_until_cancelled, NULL, "cancelled");
    loop_task_t *w = loop_spawn(loop, acquire_and_release, (void *)1, "waiter");
    RUN_UNTIL(loop, loop_task_state(w) == LOOP_TASK_WAITING);
    cr_assert_eq(loop_lock_owner(lk), a);
    cr_assert_eq(loop_task_cancel(a), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(a, NULL, 0), -ECANCELED);
    cr_assert_eq(abandon_rc[1], -EOWNERDEAD, "%d (%s)", abandon_rc[1],
                 loop_strerror(abandon_rc[1]));
    cr_assert_eq(owner_seen[1], w);
    join_ok(w);
    cr_assert_null(loop_lock_owner(lk));
    cr_assert_eq(loop_lock_free(lk), 0);
    close_loop(loop);
}

/* ======================================================================== */
/* Channels                                                                 */

static loop_chan_t *ch;
static int sent;
static intptr_t received[32];
static int nreceived;
static int recv_end_rc, send_end_rc;

static intptr_t send_n(void *arg)
{
    intptr_t n = (intptr_t)arg;
    for (intptr_t i = 1; i <= n; i++) {
        int rc = loop_chan_send(ch, i * 10, LOOP_FOREVER);
        if (rc != 0) {
            send_end_rc = rc;
            return rc;
        }
        sent++;
    }
    return 0;
}

static intptr_t recv_all(void *arg)
{
    (void)arg;
    for (;;) {
        intptr_t v;
        int rc = loop_chan_recv(ch, &v, LOOP_FOREVER);
        if (rc != 0) {
            recv_end_rc = rc;
            return rc == -EPIPE ? 0 : rc;
        }
        if (nreceived < 32) {
            received[nreceived++] = v;
        }
    }
}

static intptr_t send_n_then_close(void *arg)
{
    int rc = (int)send_n(arg);
    loop_chan_close(ch);
    return rc;
}

Test(chan, bounded_channel_delivers_in_fifo_order, .timeout = 5)
{
    loop_t *loop = new_loop();
    ch = loop_chan_new(loop, 3);
    cr_assert_not_null(ch);
    loop_task_t *r = loop_spawn(loop, recv_all, NULL, "receiver");
    loop_task_t *s = loop_spawn(loop, send_n_then_close, (void *)10, "sender");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(nreceived, 10);
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(received[i], (i + 1) * 10, "item %d: %ld", i, (long)received[i]);
    }
    cr_assert_eq(recv_end_rc, -EPIPE, "closed and drained");
    join_ok(r);
    join_ok(s);
    cr_assert_eq(loop_chan_free(ch), 0);
    close_loop(loop);
}

Test(chan, a_sender_blocks_when_the_buffer_is_full, .timeout = 5)
{
    loop_t *loop = new_loop();
    capture_logs();
    ch = loop_chan_new(loop, 2);
    loop_task_t *s = loop_spawn(loop, send_n_then_close, (void *)5, "sender");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "nobody receives: the run ends");
    cr_assert_eq(sent, 2, "capacity 2: two sends complete, the third waits");
    cr_assert_eq(loop_chan_len(ch), 2);
    loop_task_info_t info;
    loop_task_info(s, &info);
    cr_assert_eq(info.state, LOOP_TASK_WAITING);
    cr_assert_eq(info.wait_kind, LOOP_WAIT_CHAN_SEND, "%s", loop_wait_kind_name(info.wait_kind));
    cr_assert_eq(loop_chan_free(ch), -EBUSY);

    loop_task_t *r = loop_spawn(loop, recv_all, NULL, "receiver");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(sent, 5);
    cr_assert_eq(nreceived, 5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(received[i], (i + 1) * 10);
    }
    join_ok(s);
    join_ok(r);
    cr_assert_eq(loop_chan_free(ch), 0);
    loop_log_set_sink(NULL, NULL);
    close_loop(loop);
}

static int rv_state_after_send;

static intptr_t rendezvous_receiver(void *arg)
{
    loop_task_t *sender = arg;
    intptr_t v = 0;
    rv_state_after_send = loop_task_state(sender); /* it sent first and must be waiting */
    int rc = loop_chan_recv(ch, &v, LOOP_FOREVER);
    trace_put('r');
    return rc < 0 ? rc : v;
}

static intptr_t rendezvous_sender(void *arg)
{
    (void)arg;
    int rc = loop_chan_send(ch, 55, LOOP_FOREVER);
    trace_put('s');
    return rc;
}

Test(chan, capacity_zero_is_a_rendezvous, .timeout = 5)
{
    loop_t *loop = new_loop();
    trace_reset();
    ch = loop_chan_new(loop, 0);
    cr_assert_not_null(ch);
    cr_assert_eq(loop_chan_try_send(ch, 1), -EAGAIN, "no receiver waits");
    intptr_t v;
    cr_assert_eq(loop_chan_try_recv(ch, &v), -EAGAIN);
    loop_task_t *s = loop_spawn(loop, rendezvous_sender, NULL, "sender");
    loop_task_t *r = loop_spawn(loop, rendezvous_receiver, s, "receiver");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(rv_state_after_send, LOOP_TASK_WAITING, "%s",
                 loop_task_state_name(rv_state_after_send));
    cr_assert_str_eq(trace, "rs", "%s", trace);
    intptr_t got = 0;
    cr_assert_eq(loop_join(r, &got, 0), 0);
    cr_assert_eq(got, 55);
    join_ok(s);
    cr_assert_eq(loop_chan_len(ch), 0);
    cr_assert_eq(loop_chan_free(ch), 0);
    close_loop(loop);
}

static int close_send_rc[2], close_recv_rc[2];

static intptr_t blocked_sender(void *arg)
{
    intptr_t i = (intptr_t)arg;
    close_send_rc[i] = loop_chan_send(ch, 100 + i, LOOP_FOREVER);
    return 0;
}

static intptr_t empty_receiver(void *arg)
{
    intptr_t i = (intptr_t)arg;
    close_recv_rc[i] = loop_chan_recv(ch, NULL, LOOP_FOREVER);
    return 0;
}

static void close_chan_cb(loop_timer_t *tm)
{
    cr_expect_eq(loop_chan_close(ch), 0);
    cr_expect_eq(loop_chan_close(ch), -EALREADY);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

Test(chan, close_fails_blocked_senders_and_receivers_drain_first, .timeout = 5)
{
    loop_t *loop = new_loop();
    ch = loop_chan_new(loop, 1);
    cr_assert_eq(loop_chan_try_send(ch, 7), 0);
    loop_task_t *s0 = loop_spawn(loop, blocked_sender, (void *)0, "s0");
    loop_task_t *s1 = loop_spawn(loop, blocked_sender, (void *)1, "s1");
    loop_timer_init(loop, &tm1);
    loop_timer_start(&tm1, close_chan_cb, 2, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(close_send_rc[0], -EPIPE);
    cr_assert_eq(close_send_rc[1], -EPIPE);
    cr_assert_eq(loop_chan_send(ch, 1, 0), -EPIPE, "send after close");
    cr_assert_eq(loop_chan_try_send(ch, 1), -EPIPE);

    /* what was buffered before the close is still delivered, then -EPIPE */
    intptr_t v = 0;
    cr_assert_eq(loop_chan_len(ch), 1);
    cr_assert_eq(loop_chan_try_recv(ch, &v), 0);
    cr_assert_eq(v, 7);
    cr_assert_eq(loop_chan_try_recv(ch, &v), -EPIPE);
    join_ok(s0);
    join_ok(s1);
    cr_assert_eq(loop_chan_free(ch), 0);

    /* receivers blocked on an empty channel get -EPIPE */
    ch = loop_chan_new(loop, 4);
    loop_task_t *r0 = loop_spawn(loop, empty_receiver, (void *)0, "r0");
    loop_task_t *r1 = loop_spawn(loop, empty_receiver, (void *)1, "r1");
    loop_timer_init(loop, &tm1);
    loop_timer_start(&tm1, close_chan_cb, 2, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(close_recv_rc[0], -EPIPE);
    cr_assert_eq(close_recv_rc[1], -EPIPE);
    join_ok(r0);
    join_ok(r1);
    cr_assert_eq(loop_chan_free(ch), 0);
    close_loop(loop);
}

static int cb_sends, cb_recvs;
static intptr_t cb_got[8];

static void try_send_cb(loop_timer_t *tm)
{
    /* a repeating timer feeds the channel from a plain callback */
    int rc = loop_chan_try_send(ch, 1000 + cb_sends);
    if (rc == 0) {
        cb_sends++;
    }
    if (cb_sends == 4) {
        loop_chan_close(ch);
        loop_handle_close(LOOP_HANDLE(tm), NULL);
    }
}

Test(chan, try_send_from_a_callback_feeds_a_receiving_task, .timeout = 5)
{
    loop_t *loop = new_loop();
    ch = loop_chan_new(loop, 1);
    loop_task_t *r = loop_spawn(loop, recv_all, NULL, "receiver");
    loop_timer_init(loop, &tm1);
    loop_timer_start(&tm1, try_send_cb, 1, 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(nreceived, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(received[i], 1000 + i);
    }
    join_ok(r);
    cr_assert_eq(loop_chan_free(ch), 0);
    close_loop(loop);
}

static void try_recv_cb(loop_timer_t *tm)
{
    intptr_t v;
    while (loop_chan_try_recv(ch, &v) == 0) {
        if (cb_recvs < 8) {
            cb_got[cb_recvs++] = v;
        }
    }
    if (cb_recvs >= 5) {
        loop_handle_close(LOOP_HANDLE(tm), NULL);
    }
}

Test(chan, try_recv_from_a_callback_unblocks_a_sending_task, .timeout = 5)
{
    loop_t *loop = new_loop();
    ch = loop_chan_new(loop, 2);
    loop_task_t *s = loop_spawn(loop, send_n, (void *)5, "sender");
    loop_timer_init(loop, &tm1);
    loop_timer_start(&tm1, try_recv_cb, 1, 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(sent, 5);
    cr_assert_eq(cb_recvs, 5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(cb_got[i], (i + 1) * 10, "item %d: %ld", i, (long)cb_got[i]);
    }
    join_ok(s);
    cr_assert_eq(loop_chan_free(ch), 0);
    close_loop(loop);
}

static int chan_timeout_rc[2];

static intptr_t chan_timeouts(void *arg)
{
    (void)arg;
    chan_timeout_rc[0] = loop_chan_recv(ch, NULL, 5);
    loop_chan_try_send(ch, 1);
    chan_timeout_rc[1] = loop_chan_send(ch, 2, 5);
    return 0;
}

Test(chan, send_and_recv_time_out, .timeout = 5)
{
    loop_t *loop = new_loop();
    ch = loop_chan_new(loop, 1);
    loop_task_t *t = loop_spawn(loop, chan_timeouts, NULL, "timeouts");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(chan_timeout_rc[0], -ETIMEDOUT);
    cr_assert_eq(chan_timeout_rc[1], -ETIMEDOUT);
    cr_assert_eq(loop_chan_len(ch), 1, "the timed-out value was not queued");
    join_ok(t);
    cr_assert_eq(loop_chan_free(ch), 0);
    close_loop(loop);
}

/* ======================================================================== */
/* Blocking work                                                            */

static intptr_t add_one(void *arg)
{
    return (intptr_t)arg + 1;
}

static int blocking_rc;
static intptr_t blocking_result;

static intptr_t run_add_one(void *arg)
{
    (void)arg;
    blocking_result = -1;
    blocking_rc = loop_run_blocking(add_one, (void *)41, &blocking_result, LOOP_FOREVER);
    return blocking_rc;
}

Test(blocking, run_blocking_returns_the_work_result, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_task_t *t = loop_spawn(loop, run_add_one, NULL, "blocking");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(blocking_rc, 0);
    cr_assert_eq(blocking_result, 42);
    join_ok(t);
    close_loop(loop);
}

/*
 * Work that blocks until released: it reads one byte from gate[0] (a
 * blocking pipe) and reports through atomics. The test releases it by
 * writing to gate[1]; nothing depends on how fast the pool thread is.
 */
static int gate[2];
static atomic_int work_started, work_finished;
static atomic_int work_value;

static intptr_t gated_work(void *arg)
{
    char c;
    atomic_fetch_add(&work_started, 1);
    ssize_t n = read(gate[0], &c, 1);
    atomic_store(&work_value, (int)(intptr_t)arg);
    atomic_fetch_add(&work_finished, 1);
    return n == 1 ? (intptr_t)arg : -EIO;
}

static void open_gate_pipe(void)
{
    cr_assert_eq(pipe2(gate, O_CLOEXEC), 0);
}

static void release_work(void)
{
    cr_assert_eq(write(gate[1], "x", 1), 1);
}

static void close_gate_pipe(void)
{
    close(gate[0]);
    close(gate[1]);
}

static int blk_timeout_rc;
static intptr_t blk_timeout_result;
static uint64_t blk_waited_ns;

static intptr_t run_gated_with_timeout(void *arg)
{
    (void)arg;
    blk_timeout_result = -1;
    uint64_t t0 = loop_now(L);
    blk_timeout_rc = loop_run_blocking(gated_work, (void *)7, &blk_timeout_result, 10);
    blk_waited_ns = loop_now(L) - t0;
    release_work(); /* the work finishes after its waiter left */
    return 0;
}

/* Hold the loop thread until a pool thread runs the work: the timeout then finds it running. */
static void wait_for_work_start(loop_timer_t *tm)
{
    cr_expect_eq(wait_atomic_geq(&work_started, 1, 4000 * MS_NS), 1);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

Test(blocking, timeout_returns_while_the_work_still_runs, .timeout = 10)
{
    loop_t *loop = L = new_loop();
    open_gate_pipe();
    loop_task_t *t = loop_spawn(loop, run_gated_with_timeout, NULL, "impatient");
    loop_timer_init(loop, &tm1);
    loop_timer_start(&tm1, wait_for_work_start, 1, 0); /* before the 10 ms timeout */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "the run waits for the abandoned work");
    cr_assert_eq(blk_timeout_rc, -ETIMEDOUT);
    cr_assert_geq(blk_waited_ns, 10 * MS_NS);
    cr_assert_eq(blk_timeout_result, -1, "no result on timeout");
    cr_assert_eq(atomic_load(&work_finished), 1, "the work ran to its end");
    cr_assert_eq(atomic_load(&work_value), 7);
    join_ok(t);
    close_gate_pipe();
    close_loop(loop); /* ASan: the request was freed by its completion, once */
}

static int blk_cancel_rc;
static loop_task_t *blk_task;

static intptr_t run_gated_forever(void *arg)
{
    blk_cancel_rc = loop_run_blocking(gated_work, arg, NULL, LOOP_FOREVER);
    return blk_cancel_rc;
}

/* A controller task: waits (on the loop clock) until the work runs, cancels its waiter. */
static intptr_t cancel_when_work_runs(void *arg)
{
    (void)arg;
    while (atomic_load(&work_started) == 0) {
        loop_sleep(1);
    }
    trace_put('c');
    loop_task_cancel(blk_task);
    loop_yield();
    trace_put(loop_task_state(blk_task) == LOOP_TASK_CANCELLED ? 'C' : '?');
    release_work();
    return 0;
}

Test(blocking, cancel_returns_while_the_work_still_runs, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    trace_reset();
    open_gate_pipe();
    blk_task = loop_spawn(loop, run_gated_forever, (void *)3, "blocked");
    loop_task_t *c = loop_spawn(loop, cancel_when_work_runs, NULL, "canceller");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "cC", "the waiter left before the work ended: %s", trace);
    cr_assert_eq(blk_cancel_rc, -ECANCELED);
    cr_assert_eq(loop_join(blk_task, NULL, 0), -ECANCELED);
    cr_assert_eq(atomic_load(&work_finished), 1);
    join_ok(c);
    close_gate_pipe();
    close_loop(loop);
}

/* With one pool thread busy, a second request is still queued when its waiter is cancelled. */
static atomic_int never_calls;

static intptr_t count_call(void *arg)
{
    (void)arg;
    atomic_fetch_add(&never_calls, 1);
    return 0;
}

static intptr_t run_never_started(void *arg)
{
    (void)arg;
    return loop_run_blocking(count_call, NULL, NULL, LOOP_FOREVER);
}

static intptr_t cancel_queued_then_release(void *arg)
{
    loop_task_t *queued = arg;
    while (atomic_load(&work_started) == 0) {
        loop_sleep(1);
    }
    loop_task_cancel(queued);
    loop_yield();
    release_work();
    return 0;
}

Test(blocking, cancel_while_queued_never_runs_the_work, .timeout = 5)
{
    setenv("LOOP_THREADPOOL_SIZE", "1", 1); /* this test's process only */
    loop_t *loop = L = new_loop();
    open_gate_pipe();
    blk_task = loop_spawn(loop, run_gated_forever, (void *)1, "busy");
    loop_task_t *q = loop_spawn(loop, run_never_started, NULL, "queued");
    loop_task_t *c = loop_spawn(loop, cancel_queued_then_release, q, "canceller");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(q, NULL, 0), -ECANCELED);
    cr_assert_eq(atomic_load(&never_calls), 0, "the cancelled queued work never ran");
    cr_assert_eq(atomic_load(&work_finished), 1);
    cr_assert_eq(loop_join(blk_task, NULL, 0), 0);
    join_ok(c);
    close_gate_pipe();
    close_loop(loop);
}

/*
 * The waiter is cancelled in the same round in which the work's completion
 * runs, before the waiter resumes: the completion finds its task no longer
 * waiting, and the waiter finds the work already finished. The request must
 * still be freed exactly once, and no misuse may be reported.
 */
static loop_task_t *race_task;
static loop_timer_t race_timer;

static void cancel_race_task(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    loop_task_cancel(race_task);
}

static int done_queued(loop_t *loop)
{
    pthread_mutex_lock(&loop->done_mu);
    int queued = !loop__queue_empty(&loop->done);
    pthread_mutex_unlock(&loop->done_mu);
    return queued;
}

static void release_then_cancel_later(loop_timer_t *tm)
{
    loop_t *loop = tm->handle.loop;
    /* the work runs (the waiter suspended long ago); let it finish */
    cr_expect_eq(wait_atomic_geq(&work_started, 1, 2000 * MS_NS), 1);
    release_work();
    cr_expect_eq(wait_atomic_geq(&work_finished, 1, 2000 * MS_NS), 1);
    uint64_t end = mono_ns() + 2000 * MS_NS;
    while (!done_queued(loop) && mono_ns() < end) {
        sched_yield();
    }
    cr_expect(done_queued(loop), "the completion is queued for the loop");
    /* next round: the cancel, then (same round, after it) the completion */
    loop_call_soon(loop, cancel_race_task, NULL);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

static int race_rc;

static intptr_t run_gated_race(void *arg)
{
    (void)arg;
    race_rc = loop_run_blocking(gated_work, (void *)9, NULL, LOOP_FOREVER);
    return 0;
}

Test(blocking, cancel_and_completion_in_one_round_free_the_request_once, .timeout = 10)
{
    setenv("LOOP_DEBUG", "1", 1); /* misuse reports on */
    loop_t *loop = L = new_loop();
    capture_logs();
    cr_assert_eq(loop_configure(loop, LOOP_OPT_ROUNDS_PER_POLL, 1), 0);
    open_gate_pipe();
    race_task = loop_spawn(loop, run_gated_race, NULL, "raced");
    loop_timer_init(loop, &race_timer);
    loop_timer_start(&race_timer, release_then_cancel_later, 1, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert(race_rc == -ECANCELED || race_rc == 0, "%d", race_rc);
    cr_assert_not(logs_contain("Misuse"), "run_blocking misused its own work request:\n%s",
                  logs_text());
    join_ok(race_task);
    close_gate_pipe();
    loop_log_set_sink(NULL, NULL);
    close_loop(loop); /* ASan/LSan: the request is not leaked */
}
