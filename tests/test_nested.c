/*
 * test_nested.c — a loop run inside a task or a callback of another loop
 * (issue 13, item 10). Before: the inner loop's task steps reset the thread's
 * current task to NULL, so the outer task's next await returned -EPERM.
 */
#include "helpers.h"

static loop_t *outer_loop, *inner_loop;
static int inner_steps, inner_cb_await_rc = 1;
static int after_await_rc = 1, after_sleep_rc = 1, same_loop_rc = 1;
static int inner_run_rc = -1;

static intptr_t inner_task(void *arg)
{
    (void)arg;
    inner_steps++;
    if (loop_sleep(1) != 0) {
        return -1;
    }
    inner_steps++;
    return loop_task_current() != NULL ? 0 : -2;
}

/* A callback of the inner loop runs in no task: an await there is refused. */
static void inner_call(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    inner_cb_await_rc = loop_sleep(0);
}

static intptr_t outer_task(void *arg)
{
    loop_task_t *self = loop_task_current(), *t;
    intptr_t r = -1;

    (void)arg;
    t = loop_spawn(inner_loop, inner_task, NULL, "inner");
    if (t == NULL) {
        return -10;
    }
    loop_call_soon(inner_loop, inner_call, NULL);
    inner_run_rc = loop_run(inner_loop, LOOP_RUN_DEFAULT);
    if (loop_join(t, &r, 0) != 0 || r != 0) {
        return -11;
    }
    if (loop_task_current() != self) {
        return -12;
    }
    /* the outer task awaits again: before, -EPERM */
    after_await_rc = loop_yield();
    after_sleep_rc = loop_sleep(1);
    /* the same loop cannot run inside its own task */
    same_loop_rc = loop_run(outer_loop, LOOP_RUN_NOWAIT);
    return 0;
}

Test(nested, a_loop_run_inside_a_task_leaves_the_task_current, .timeout = 30)
{
    loop_task_t *t;
    intptr_t r = -1;

    outer_loop = new_loop();
    inner_loop = new_loop();
    t = loop_spawn(outer_loop, outer_task, NULL, "outer");
    cr_assert_not_null(t);
    cr_assert_eq(loop_run(outer_loop, LOOP_RUN_DEFAULT), 0);
    int jrc = loop_join(t, &r, 0);
    cr_expect_eq(jrc, 0, "the outer task failed with %d (-12: not current after the inner "
                 "loop ran)", jrc);
    cr_expect_eq(inner_run_rc, 0);
    cr_expect_eq(inner_steps, 2, "the inner task ran to its end");
    cr_expect_eq(inner_cb_await_rc, -EPERM, "an inner callback is in no task");
    cr_expect_eq(after_await_rc, 0, "the outer task's await after the inner loop: %d",
                 after_await_rc);
    cr_expect_eq(after_sleep_rc, 0);
    cr_expect_eq(same_loop_rc, -EBUSY, "the same loop is refused");
    cr_expect_null(loop_task_current(), "no task current outside both loops");
    close_loop(inner_loop);
    close_loop(outer_loop);
}

/* A loop run inside a callback of another loop, itself inside a task. */
static int cb_nested_rc = 1, cb_task_ran;

static intptr_t cb_inner_task(void *arg)
{
    (void)arg;
    cb_task_ran = loop_yield() == 0;
    return 0;
}

static void run_inner_from_callback(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    loop_task_t *t = loop_spawn(inner_loop, cb_inner_task, NULL, "cb-inner");
    loop_task_detach(t);
    cb_nested_rc = loop_run(inner_loop, LOOP_RUN_DEFAULT);
    /* a callback is in no task, before and after */
    cr_expect_null(loop_task_current());
}

Test(nested, a_loop_run_inside_a_callback, .timeout = 30)
{
    outer_loop = new_loop();
    inner_loop = new_loop();
    loop_call_soon(outer_loop, run_inner_from_callback, NULL);
    cr_assert_eq(loop_run(outer_loop, LOOP_RUN_DEFAULT), 0);
    cr_expect_eq(cb_nested_rc, 0);
    cr_expect(cb_task_ran);
    close_loop(inner_loop);
    close_loop(outer_loop);
}
