/*
 * test_group.c — task groups (structured concurrency): a group waits for all
 * its children; when one fails the others are cancelled and the wait returns
 * its error; a wait that times out or whose waiter is cancelled cancels the
 * children and returns only once every child finished; a 1,000-task fan-out
 * under a deadline; nested groups; children spawned into a failed group.
 *
 * Time is the loop clock; "finished" is counted by the children themselves.
 * Every test ends with loop_group_free() == 0 and loop_close() == 0.
 */
#include "helpers.h"

static loop_t *L;


static loop_group_t *G;
static int finished, cancelled, cleaned;
static long result_sum;
static int wait_rc;
static size_t running_after_wait;
static int finished_at_wait_return, cleaned_at_wait_return;
static uint64_t wait_elapsed_ns;
static uint64_t parent_id;
static int children_with_parent;

/* A child: sleeps arg ms, counts itself; cancelled children count too. */
static intptr_t sleeping_child(void *arg)
{
    intptr_t ms = (intptr_t)arg;
    loop_task_info_t info;
    loop_task_info(loop_task_current(), &info);
    if (parent_id != 0 && info.parent_id == parent_id) {
        children_with_parent++;
    }
    int rc = loop_sleep(ms);
    if (rc == -ECANCELED) {
        cancelled++;
        return rc;
    }
    finished++;
    result_sum += ms;
    return rc < 0 ? rc : ms;
}

static intptr_t failing_child(void *arg)
{
    loop_sleep((intptr_t)arg);
    finished++;
    return -EIO;
}

/* On cancel, clean up for 5 ms under a shield before leaving. */
static intptr_t slow_cleanup_child(void *arg)
{
    (void)arg;
    int rc = loop_sleep(10000);
    if (rc == -ECANCELED) {
        cancelled++;
        loop_task_shield(1);
        loop_sleep(5);
        loop_task_shield(0);
        cleaned++;
    }
    return rc;
}

/* The waiting parent: spawns nothing itself, waits with the timeout in arg. */
static intptr_t group_waiter(void *arg)
{
    int64_t timeout_ms = (int64_t)(intptr_t)arg;
    uint64_t t0 = loop_now(L);
    wait_rc = loop_group_wait(G, timeout_ms);
    wait_elapsed_ns = loop_now(L) - t0;
    running_after_wait = loop_group_running(G);
    finished_at_wait_return = finished;
    cleaned_at_wait_return = cleaned;
    return wait_rc;
}

/* A parent that spawns its children into G, then waits for them. */
static intptr_t spawn_three_and_wait(void *arg)
{
    (void)arg;
    parent_id = loop_task_id(loop_task_current());
    static const intptr_t ms[3] = {3, 1, 2};
    for (int i = 0; i < 3; i++) {
        if (loop_group_spawn(G, sleeping_child, (void *)ms[i], "child") == NULL) {
            return -ENOMEM;
        }
    }
    return group_waiter((void *)(intptr_t)LOOP_FOREVER);
}

Test(group, wait_returns_when_every_child_finished, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    G = loop_group_new(loop);
    cr_assert_not_null(G);
    loop_task_t *p = loop_spawn(loop, spawn_three_and_wait, NULL, "parent");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(wait_rc, 0);
    cr_assert_eq(finished_at_wait_return, 3, "all three children finished before the wait returned");
    cr_assert_eq(result_sum, 6);
    cr_assert_eq(running_after_wait, 0);
    cr_assert_eq(children_with_parent, 3, "children spawned by the parent name it as parent");
    cr_assert_geq(wait_elapsed_ns, 3 * MS_NS, "the slowest child took 3 ms");
    cr_assert_eq(loop_join(p, NULL, 0), 0);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}

Test(group, one_failing_child_cancels_the_others_and_the_wait_returns_its_error, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    G = loop_group_new(loop);
    loop_group_spawn(G, sleeping_child, (void *)10000, "slow1");
    loop_group_spawn(G, failing_child, (void *)2, "fails");
    loop_group_spawn(G, sleeping_child, (void *)10000, "slow2");
    cr_assert_eq(loop_group_running(G), 3);
    cr_assert_eq(loop_group_free(G), -EBUSY, "children run");
    loop_task_t *w = loop_spawn(loop, group_waiter, (void *)(intptr_t)LOOP_FOREVER, "waiter");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(wait_rc, -EIO, "%d (%s)", wait_rc, loop_strerror(wait_rc));
    cr_assert_eq(cancelled, 2, "the two siblings were cancelled");
    cr_assert_eq(running_after_wait, 0);
    cr_assert_lt(wait_elapsed_ns, 5000 * MS_NS, "the siblings did not sleep to the end");
    cr_assert_eq(loop_join(w, NULL, 0), -EIO);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}

Test(group, wait_timeout_cancels_children_and_returns_after_they_all_finished, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    G = loop_group_new(loop);
    for (int i = 0; i < 3; i++) {
        loop_group_spawn(G, slow_cleanup_child, NULL, "cleaner");
    }
    loop_task_t *w = loop_spawn(loop, group_waiter, (void *)(intptr_t)20, "waiter");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(wait_rc, -ETIMEDOUT, "%d (%s)", wait_rc, loop_strerror(wait_rc));
    cr_assert_eq(running_after_wait, 0, "leaving never leaves a child running");
    cr_assert_eq(cleaned_at_wait_return, 3, "the wait returned after the children's cleanup");
    cr_assert_geq(wait_elapsed_ns, 25 * MS_NS, "20 ms timeout + 5 ms cleanup: %llu ns",
                  (unsigned long long)wait_elapsed_ns);
    cr_assert_eq(loop_join(w, NULL, 0), -ETIMEDOUT);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}

static loop_task_t *waiter_task;

static void cancel_waiter(loop_timer_t *tm)
{
    loop_task_cancel(waiter_task);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

Test(group, a_cancelled_waiter_cancels_the_children, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_timer_t tm;
    G = loop_group_new(loop);
    for (int i = 0; i < 3; i++) {
        loop_group_spawn(G, slow_cleanup_child, NULL, "cleaner");
    }
    waiter_task = loop_spawn(loop, group_waiter, (void *)(intptr_t)LOOP_FOREVER, "waiter");
    loop_timer_init(loop, &tm);
    loop_timer_start(&tm, cancel_waiter, 5, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(wait_rc, -ECANCELED, "%d (%s)", wait_rc, loop_strerror(wait_rc));
    cr_assert_eq(cancelled, 3);
    cr_assert_eq(cleaned_at_wait_return, 3);
    cr_assert_eq(running_after_wait, 0);
    cr_assert_lt(wait_elapsed_ns, 5000 * MS_NS);
    cr_assert_eq(loop_task_state(waiter_task), LOOP_TASK_CANCELLED);
    cr_assert_eq(loop_join(waiter_task, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Fan-out                                                                  */

#define FAN 1000

static int spawn_failures;

static intptr_t fan_out(void *arg)
{
    int64_t deadline_ms = (int64_t)(intptr_t)arg;
    for (intptr_t i = 0; i < FAN; i++) {
        /* every 100th child is slow only when the deadline is meant to hit */
        intptr_t ms = deadline_ms < 1000 && i % 100 == 99 ? 10000 : 1 + i % 10;
        if (loop_group_spawn(G, sleeping_child, (void *)ms, "fan") == NULL) {
            spawn_failures++;
        }
    }
    return group_waiter((void *)(intptr_t)deadline_ms);
}

Test(group, fan_out_of_1000_tasks_finishes_within_its_deadline, .timeout = 20)
{
    loop_t *loop = L = new_loop();
    G = loop_group_new(loop);
    loop_task_t *p = loop_spawn(loop, fan_out, (void *)(intptr_t)5000, "fan-out");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(spawn_failures, 0);
    cr_assert_eq(wait_rc, 0, "%d (%s)", wait_rc, loop_strerror(wait_rc));
    cr_assert_eq(finished_at_wait_return, FAN);
    cr_assert_eq(cancelled, 0);
    long want = 0;
    for (int i = 0; i < FAN; i++) {
        want += 1 + i % 10;
    }
    cr_assert_eq(result_sum, want);
    cr_assert_lt(wait_elapsed_ns, 5000 * MS_NS);
    cr_assert_eq(running_after_wait, 0);
    cr_assert_eq(loop_join(p, NULL, 0), 0);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}

Test(group, fan_out_past_its_deadline_cancels_the_stragglers, .timeout = 20)
{
    loop_t *loop = L = new_loop();
    G = loop_group_new(loop);
    loop_task_t *p = loop_spawn(loop, fan_out, (void *)(intptr_t)200, "fan-out");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(spawn_failures, 0);
    cr_assert_eq(wait_rc, -ETIMEDOUT, "%d (%s)", wait_rc, loop_strerror(wait_rc));
    cr_assert_eq(finished_at_wait_return, FAN - FAN / 100, "the fast ones finished");
    cr_assert_eq(cancelled, FAN / 100, "the slow ones were cancelled");
    cr_assert_eq(running_after_wait, 0);
    cr_assert_geq(wait_elapsed_ns, 200 * MS_NS);
    cr_assert_lt(wait_elapsed_ns, 5000 * MS_NS);
    cr_assert_eq(loop_join(p, NULL, 0), -ETIMEDOUT);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Nesting, late spawns, explicit cancel                                      */

static int inner_wait_rc, inner_running_after;

static intptr_t child_with_inner_group(void *arg)
{
    (void)arg;
    loop_group_t *inner = loop_group_new(L);
    for (int i = 0; i < 2; i++) {
        loop_group_spawn(inner, sleeping_child, (void *)10000, "grandchild");
    }
    inner_wait_rc = loop_group_wait(inner, LOOP_FOREVER);
    inner_running_after = (int)loop_group_running(inner);
    int rc = loop_group_free(inner);
    return rc < 0 ? rc : inner_wait_rc;
}

Test(group, a_failure_in_the_outer_group_tears_down_the_inner_one, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    G = loop_group_new(loop);
    loop_group_spawn(G, child_with_inner_group, NULL, "inner-owner");
    loop_group_spawn(G, failing_child, (void *)3, "fails");
    loop_task_t *w = loop_spawn(loop, group_waiter, (void *)(intptr_t)LOOP_FOREVER, "waiter");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(wait_rc, -EIO);
    cr_assert_eq(inner_wait_rc, -ECANCELED, "%d", inner_wait_rc);
    cr_assert_eq(inner_running_after, 0);
    cr_assert_eq(cancelled, 2, "both grandchildren were cancelled");
    cr_assert_eq(running_after_wait, 0);
    cr_assert_eq(loop_join(w, NULL, 0), -EIO);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}

static int late_ran;

static intptr_t late_child(void *arg)
{
    (void)arg;
    late_ran++;
    return 0;
}

static intptr_t fail_then_spawn(void *arg)
{
    (void)arg;
    int rc = loop_group_wait(G, LOOP_FOREVER);
    /* the group failed: a child spawned now starts cancelled */
    loop_group_spawn(G, late_child, NULL, "late");
    int rc2 = loop_group_wait(G, LOOP_FOREVER);
    return rc == -EIO && rc2 == -EIO ? 0 : -EPROTO;
}

Test(group, a_child_spawned_into_a_failed_group_never_runs, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    G = loop_group_new(loop);
    loop_group_spawn(G, failing_child, (void *)1, "fails");
    loop_task_t *t = loop_spawn(loop, fail_then_spawn, NULL, "parent");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(late_ran, 0);
    cr_assert_eq(loop_join(t, NULL, 0), 0);
    cr_assert_eq(loop_group_running(G), 0);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}

static void cancel_group(loop_timer_t *tm)
{
    cr_expect_eq(loop_group_cancel(G), 0);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

Test(group, group_cancel_from_a_callback_cancels_every_child, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_timer_t tm;
    G = loop_group_new(loop);
    for (int i = 0; i < 4; i++) {
        loop_group_spawn(G, sleeping_child, (void *)10000, "child");
    }
    loop_task_t *w = loop_spawn(loop, group_waiter, (void *)(intptr_t)LOOP_FOREVER, "waiter");
    loop_timer_init(loop, &tm);
    loop_timer_start(&tm, cancel_group, 2, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(cancelled, 4);
    cr_assert_eq(running_after_wait, 0);
    cr_assert_lt(wait_elapsed_ns, 5000 * MS_NS);
    loop_join(w, NULL, 0);
    cr_assert_eq(loop_group_free(G), 0);
    close_loop(loop);
}
