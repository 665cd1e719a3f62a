/*
 * test_task.c — tasks: spawn, identity (ids from the handle counter, parent
 * task), the states a task goes through as loop_task_state() and
 * loop_task_info() show them (wait kind, object, wait site, creation site),
 * join (result, error, timeout, self), detach, cancel (at an await, before
 * the first run, while not waiting), shield, awaits outside tasks, sleep and
 * yield ordering, and a run whose tasks wait on what nothing can complete.
 *
 * Time comes from the loop clock (loop_now); orderings are asserted, never
 * guessed from wall-clock sleeps. Tasks record what they see in globals and
 * the test body asserts it (Criterion's fatal asserts must not longjmp out of
 * a task stack); each test ends with loop_close() == 0.
 */
#include <fcntl.h>

#include "helpers.h"

static loop_t *L;


/* ------------------------------------------------------------------------ */
/* Small task bodies                                                        */

static int ran;

static intptr_t return_arg(void *arg)
{
    ran++;
    return (intptr_t)arg;
}

static intptr_t return_eio(void *arg)
{
    (void)arg;
    ran++;
    return -EIO;
}

static intptr_t sleep_arg_ms(void *arg)
{
    int rc = loop_sleep((int64_t)(intptr_t)arg);
    return rc < 0 ? rc : 5;
}

/* A trace of who ran, one character per step. */
static char trace[64];
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

/* ------------------------------------------------------------------------ */
/* Spawn, identity                                                          */

Test(task, spawn_runs_in_a_later_round_and_join_returns_the_result, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_task_t *t = loop_spawn(loop, return_arg, (void *)(intptr_t)42, "answer");
    cr_assert_not_null(t);
    cr_assert_eq(ran, 0, "loop_spawn must not run the task synchronously");
    cr_assert_eq(loop_task_state(t), LOOP_TASK_NEW);
    cr_assert_str_eq(loop_task_name(t), "answer");
    cr_assert_eq(loop_task_loop(t), loop);
    cr_assert_null(loop_task_current(), "no task runs outside loop_run");
    cr_assert_eq(loop_alive_count(loop), 1, "an unfinished task counts as alive");

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(ran, 1);
    cr_assert_eq(loop_task_state(t), LOOP_TASK_DONE);
    cr_assert_eq(loop_alive_count(loop), 0);

    intptr_t result = -1;
    cr_assert_eq(loop_join(t, &result, LOOP_FOREVER), 0, "joining a finished task needs no task");
    cr_assert_eq(result, 42);
    close_loop(loop);
}

Test(task, spawn_rejects_bad_arguments, .timeout = 5)
{
    loop_t *loop = new_loop();
    errno = 0;
    cr_assert_null(loop_spawn(loop, NULL, NULL, "nofn"));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(loop_spawn(NULL, return_arg, NULL, "noloop"));
    cr_assert_eq(errno, EINVAL);
    close_loop(loop);
}

static uint64_t parent_seen_id, child_seen_parent, child_id_seen, timer_parent_seen;
static loop_task_t *child_task;

static intptr_t child_body(void *arg)
{
    (void)arg;
    loop_task_info_t info;
    loop_task_info(loop_task_current(), &info);
    child_seen_parent = info.parent_id;
    return 0;
}

static intptr_t parent_body(void *arg)
{
    (void)arg;
    static loop_timer_t tm; /* closed asynchronously: must outlive this stack frame */
    parent_seen_id = loop_task_id(loop_task_current());
    child_task = loop_spawn(L, child_body, NULL, "child");
    if (child_task == NULL) {
        return -ENOMEM;
    }
    child_id_seen = loop_task_id(child_task);
    loop_timer_init(L, &tm);
    timer_parent_seen = loop_handle_parent_task(&tm.handle);
    loop_handle_close(LOOP_HANDLE(&tm), NULL);
    return loop_join(child_task, NULL, LOOP_FOREVER);
}

Test(task, ids_come_from_the_handle_counter_and_children_know_their_parent, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_timer_t before, after;
    cr_assert_eq(loop_timer_init(loop, &before), 0);
    loop_task_t *t = loop_spawn(loop, parent_body, NULL, "parent");
    cr_assert_not_null(t);
    cr_assert_eq(loop_timer_init(loop, &after), 0);
    loop_future_t *f = loop_future_new(loop);
    cr_assert_not_null(f);

    uint64_t id = loop_task_id(t);
    cr_assert_gt(id, before.handle.id, "task id %llu after handle %llu", (unsigned long long)id,
                 (unsigned long long)before.handle.id);
    cr_assert_lt(id, after.handle.id, "task id %llu before handle %llu", (unsigned long long)id,
                 (unsigned long long)after.handle.id);
    cr_assert_gt(loop_future_id(f), after.handle.id, "futures share the counter too");

    loop_task_info_t info;
    cr_assert_eq(loop_task_info(t, &info), 0);
    cr_assert_eq(info.id, id);
    cr_assert_eq(info.parent_id, 0, "spawned outside any task: no parent");
    cr_assert_str_eq(info.name, "parent");

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(parent_seen_id, id);
    cr_assert_gt(child_id_seen, id);
    cr_assert_eq(child_seen_parent, id, "the child's parent_id is the spawning task");
    cr_assert_eq(timer_parent_seen, id, "a handle created in a task names it as parent_task");
    cr_assert_eq(loop_join(t, NULL, 0), 0);

    loop_future_unref(f);
    loop_handle_close(LOOP_HANDLE(&before), NULL);
    loop_handle_close(LOOP_HANDLE(&after), NULL);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* States and loop_task_info                                                */

static loop_task_t *task_a, *task_b;
static loop_future_t *fut;
static int state_in_self, state_a_after_yield, state_a_waiting, state_a_after_resolve;
static loop_task_info_t info_a_waiting;

static intptr_t a_yield_then_await(void *arg)
{
    (void)arg;
    intptr_t v = 0;
    state_in_self = loop_task_state(loop_task_current());
    loop_yield();
    int rc = loop_future_await(fut, &v, LOOP_FOREVER);
    return rc < 0 ? rc : v;
}

static intptr_t b_observe_a(void *arg)
{
    (void)arg;
    state_a_after_yield = loop_task_state(task_a); /* a yielded earlier in this round */
    loop_yield();
    state_a_waiting = loop_task_state(task_a); /* a awaits the future now */
    loop_task_info(task_a, &info_a_waiting);
    loop_future_resolve(fut, 7);
    state_a_after_resolve = loop_task_state(task_a);
    return 0;
}

Test(task, states_go_new_running_ready_waiting_ready_done, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    fut = loop_future_new(loop);
    task_a = loop_spawn(loop, a_yield_then_await, NULL, "a");
    task_b = loop_spawn(loop, b_observe_a, NULL, "b");
    cr_assert_eq(loop_task_state(task_a), LOOP_TASK_NEW);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);

    cr_assert_eq(state_in_self, LOOP_TASK_RUNNING, "%s",
                 loop_task_state_name(state_in_self));
    cr_assert_eq(state_a_after_yield, LOOP_TASK_READY, "%s",
                 loop_task_state_name(state_a_after_yield));
    cr_assert_eq(state_a_waiting, LOOP_TASK_WAITING, "%s",
                 loop_task_state_name(state_a_waiting));
    cr_assert_eq(info_a_waiting.wait_kind, LOOP_WAIT_FUTURE, "%s",
                 loop_wait_kind_name(info_a_waiting.wait_kind));
    cr_assert_eq(info_a_waiting.wait_obj_id, loop_future_id(fut));
    cr_assert_eq(state_a_after_resolve, LOOP_TASK_READY, "%s",
                 loop_task_state_name(state_a_after_resolve));
    cr_assert_eq(loop_task_state(task_a), LOOP_TASK_DONE);
    cr_assert_str_eq(loop_task_state_name(LOOP_TASK_DONE), "done");

    intptr_t r = 0;
    cr_assert_eq(loop_join(task_a, &r, 0), 0);
    cr_assert_eq(r, 7);
    cr_assert_eq(loop_join(task_b, NULL, 0), 0);
    loop_future_unref(fut);
    close_loop(loop);
}

static int wait_line;

static intptr_t await_fut_5s(void *arg)
{
    (void)arg;
    intptr_t v = 0;
    int rc;
    wait_line = __LINE__; rc = loop_future_await(fut, &v, 5000);
    return rc < 0 ? rc : v;
}

static intptr_t join_task_a(void *arg)
{
    (void)arg;
    intptr_t v = 0;
    int rc = loop_join(task_a, &v, LOOP_FOREVER);
    return rc < 0 ? rc : v;
}

Test(task, info_names_the_wait_kind_object_site_timeout_and_creation_site, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    fut = loop_future_new(loop);
    int spawn_line;
    const char *spawn_func = __func__;
    spawn_line = __LINE__; task_a = loop_spawn(loop, await_fut_5s, NULL, "waiter");
    task_b = loop_spawn(loop, join_task_a, NULL, "joiner");
    cr_assert_not_null(task_a);
    cr_assert_not_null(task_b);

    RUN_UNTIL(loop, loop_task_state(task_a) == LOOP_TASK_WAITING &&
                        loop_task_state(task_b) == LOOP_TASK_WAITING);

    loop_task_info_t info;
    cr_assert_eq(loop_task_info(task_a, &info), 0);
    cr_assert_eq(info.id, loop_task_id(task_a));
    cr_assert_eq(info.state, LOOP_TASK_WAITING);
    cr_assert_eq(info.wait_kind, LOOP_WAIT_FUTURE, "%s", loop_wait_kind_name(info.wait_kind));
    cr_assert_eq(info.wait_obj_id, loop_future_id(fut));
    cr_assert_eq(info.wait_task_id, 0);
    cr_assert_eq(info.timeout_ms, 5000);
    cr_assert_leq(info.since_ns, loop_now(loop));
    cr_assert_geq(info.steps, 1);
    cr_assert_not_null(info.wait_site);
    cr_assert_eq(info.wait_site->line, wait_line, "wait site line %d, want %d",
                 info.wait_site->line, wait_line);
    cr_assert_not_null(strstr(info.wait_site->file, "test_task.c"), "%s", info.wait_site->file);
    cr_assert_str_eq(info.wait_site->func, "await_fut_5s");
    cr_assert_not_null(info.create_site);
    cr_assert_eq(info.create_site->line, spawn_line, "create site line %d, want %d",
                 info.create_site->line, spawn_line);
    cr_assert_str_eq(info.create_site->func, spawn_func);
    cr_assert_not_null(strstr(info.create_site->file, "test_task.c"));

    /* a join names the task it waits for, as object and as task */
    cr_assert_eq(loop_task_info(task_b, &info), 0);
    cr_assert_eq(info.wait_kind, LOOP_WAIT_JOIN, "%s", loop_wait_kind_name(info.wait_kind));
    cr_assert_eq(info.wait_obj_id, loop_task_id(task_a));
    cr_assert_eq(info.wait_task_id, loop_task_id(task_a));
    cr_assert_eq(info.timeout_ms, LOOP_FOREVER);

    /* resolved from plain code on the loop thread: ready at once */
    cr_assert_eq(loop_future_resolve(fut, 11), 0);
    cr_assert_eq(loop_task_state(task_a), LOOP_TASK_READY);
    cr_assert_eq(loop_task_info(task_a, &info), 0);
    cr_assert_eq(info.wait_kind, LOOP_WAIT_NONE, "not waiting any more");
    cr_assert_null(info.wait_site);

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    intptr_t r = 0;
    cr_assert_eq(loop_join(task_b, &r, 0), 0);
    cr_assert_eq(r, 11, "the joiner got the waiter's result");
    loop_future_unref(fut);
    close_loop(loop);
}

Test(task, failed_task_keeps_its_error_until_joined, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_task_t *t = loop_spawn(loop, return_eio, NULL, "fails");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_task_state(t), LOOP_TASK_FAILED);
    loop_task_info_t info;
    cr_assert_eq(loop_task_info(t, &info), 0);
    cr_assert_eq(info.state, LOOP_TASK_FAILED);
    cr_assert_eq(info.error, -EIO);
    cr_assert_eq(loop_join(t, NULL, 0), -EIO);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Join                                                                     */

static int join_rc_t0, join_rc_timeout, join_rc_final, sleeper_state_after_timeout;
static uint64_t join_timeout_waited_ns;
static intptr_t join_result;

static intptr_t joiner_with_timeouts(void *arg)
{
    loop_task_t *sleeper = arg;
    join_rc_t0 = loop_join(sleeper, &join_result, 0);
    uint64_t t0 = loop_now(L);
    join_rc_timeout = loop_join(sleeper, &join_result, 10);
    join_timeout_waited_ns = loop_now(L) - t0;
    sleeper_state_after_timeout = loop_task_state(sleeper);
    join_rc_final = loop_join(sleeper, &join_result, LOOP_FOREVER);
    return 0;
}

Test(task, join_times_out_then_joins_when_the_task_finishes, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_task_t *sleeper = loop_spawn(loop, sleep_arg_ms, (void *)(intptr_t)40, "sleeper");
    loop_task_t *joiner = loop_spawn(loop, joiner_with_timeouts, sleeper, "joiner");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(join_rc_t0, -ETIMEDOUT, "timeout 0 polls: %d", join_rc_t0);
    cr_assert_eq(join_rc_timeout, -ETIMEDOUT, "%d", join_rc_timeout);
    cr_assert_geq(join_timeout_waited_ns, 10 * MS_NS, "waited %llu ns",
                  (unsigned long long)join_timeout_waited_ns);
    cr_assert_eq(sleeper_state_after_timeout, LOOP_TASK_WAITING,
                 "a join timeout leaves the joined task alone");
    cr_assert_eq(join_rc_final, 0);
    cr_assert_eq(join_result, 5);
    cr_assert_eq(loop_join(joiner, NULL, 0), 0);
    close_loop(loop);
}

static int self_join_rc;

static intptr_t join_self(void *arg)
{
    (void)arg;
    self_join_rc = loop_join(loop_task_current(), NULL, LOOP_FOREVER);
    return 0;
}

Test(task, joining_itself_is_EDEADLK, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_task_t *t = loop_spawn(loop, join_self, NULL, "narcissus");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(self_join_rc, -EDEADLK, "%d", self_join_rc);
    cr_assert_eq(loop_join(t, NULL, 0), 0);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Detach                                                                   */

static int count_task(loop_task_t *t, void *arg)
{
    (void)t;
    (*(int *)arg)++;
    return 0;
}

static int walk_count(loop_t *loop)
{
    int n = 0;
    cr_assert_eq(loop_task_walk(loop, count_task, &n), 0);
    return n;
}

Test(task, detached_tasks_are_released_when_they_finish, .timeout = 5)
{
    loop_t *loop = new_loop();
    /* detached before it runs */
    loop_task_t *early = loop_spawn(loop, return_arg, (void *)1, "early");
    cr_assert_eq(loop_task_detach(early), 0);
    /* detached after it finished */
    loop_task_t *late = loop_spawn(loop, return_arg, (void *)2, "late");
    cr_assert_eq(walk_count(loop), 2);

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(ran, 2);
    cr_assert_eq(walk_count(loop), 1, "the detached task is gone, the other awaits a join");
    cr_assert_eq(loop_task_state(late), LOOP_TASK_DONE);
    cr_assert_eq(loop_task_detach(late), 0);
    cr_assert_eq(walk_count(loop), 0, "detaching a finished task releases it");
    close_loop(loop); /* ASan: nothing leaked */
}

/* ------------------------------------------------------------------------ */
/* Cancel                                                                   */

static loop_task_t *to_cancel;
static int cancel_rc_from_cb;

static void cancel_from_timer(loop_timer_t *tm)
{
    cancel_rc_from_cb = loop_task_cancel(to_cancel);
    loop_handle_close(LOOP_HANDLE(tm), NULL);
}

static int await_rc;
static uint64_t await_waited_ns;

static intptr_t sleep_long_report(void *arg)
{
    (void)arg;
    uint64_t t0 = loop_now(L);
    await_rc = loop_sleep(10000);
    await_waited_ns = loop_now(L) - t0;
    return await_rc;
}

Test(task, cancel_wakes_the_task_at_its_await_with_ECANCELED, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_timer_t tm;
    to_cancel = loop_spawn(loop, sleep_long_report, NULL, "sleeper");
    loop_timer_init(loop, &tm);
    loop_timer_start(&tm, cancel_from_timer, 5, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);

    cr_assert_eq(cancel_rc_from_cb, 0);
    cr_assert_eq(await_rc, -ECANCELED, "%d", await_rc);
    cr_assert_lt(await_waited_ns, 5000 * MS_NS, "woken by the cancel, not the sleep");
    cr_assert_eq(loop_task_state(to_cancel), LOOP_TASK_CANCELLED, "%s",
                 loop_task_state_name(loop_task_state(to_cancel)));
    cr_assert_eq(loop_task_cancel(to_cancel), -EALREADY);
    cr_assert_eq(loop_join(to_cancel, NULL, 0), -ECANCELED);
    close_loop(loop);
}

Test(task, cancel_before_the_first_run_means_it_never_runs, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_task_t *t = loop_spawn(loop, return_arg, (void *)1, "never");
    cr_assert_eq(loop_task_cancel(t), 0);
    cr_assert_eq(loop_task_cancel(t), 0, "cancelling twice is harmless");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(ran, 0, "a task cancelled before its first step never runs");
    cr_assert_eq(loop_task_state(t), LOOP_TASK_CANCELLED);
    cr_assert_eq(loop_join(t, NULL, 0), -ECANCELED);
    close_loop(loop);
}

static int ready_state_at_cancel, next_await_rc, later_await_rc;

static intptr_t yield_then_sleep(void *arg)
{
    (void)arg;
    loop_yield();
    next_await_rc = loop_sleep(1000);
    later_await_rc = loop_yield();
    return next_await_rc;
}

static intptr_t cancel_ready_task(void *arg)
{
    loop_task_t *victim = arg;
    ready_state_at_cancel = loop_task_state(victim);
    return loop_task_cancel(victim);
}

Test(task, cancel_while_ready_fails_the_next_await, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_task_t *victim = loop_spawn(loop, yield_then_sleep, NULL, "victim");
    loop_task_t *killer = loop_spawn(loop, cancel_ready_task, victim, "killer");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(ready_state_at_cancel, LOOP_TASK_READY, "%s",
                 loop_task_state_name(ready_state_at_cancel));
    cr_assert_eq(next_await_rc, -ECANCELED, "%d", next_await_rc);
    cr_assert_eq(later_await_rc, -ECANCELED, "cancellation sticks: %d", later_await_rc);
    cr_assert_eq(loop_task_state(victim), LOOP_TASK_CANCELLED);
    cr_assert_eq(loop_join(victim, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_join(killer, NULL, 0), 0);
    close_loop(loop);
}

static int self_cancel_rc, self_sleep_rc;

static intptr_t cancel_self(void *arg)
{
    (void)arg;
    self_cancel_rc = loop_task_cancel(loop_task_current());
    self_sleep_rc = loop_sleep(0);
    return self_sleep_rc;
}

Test(task, a_task_that_cancels_itself_fails_its_next_await, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_task_t *t = loop_spawn(loop, cancel_self, NULL, "self");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(self_cancel_rc, 0);
    cr_assert_eq(self_sleep_rc, -ECANCELED);
    cr_assert_eq(loop_task_state(t), LOOP_TASK_CANCELLED);
    cr_assert_eq(loop_join(t, NULL, 0), -ECANCELED);
    close_loop(loop);
}

/* A cancelled task may still succeed: its result stands. */
static intptr_t ignore_cancel(void *arg)
{
    (void)arg;
    int rc = loop_sleep(10000);
    return rc == -ECANCELED ? 99 : -EINVAL;
}

Test(task, a_cancelled_task_that_returns_a_result_is_done, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_timer_t tm;
    to_cancel = loop_spawn(loop, ignore_cancel, NULL, "stubborn");
    loop_timer_init(loop, &tm);
    loop_timer_start(&tm, cancel_from_timer, 1, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_task_state(to_cancel), LOOP_TASK_DONE);
    intptr_t r = 0;
    cr_assert_eq(loop_join(to_cancel, &r, 0), 0);
    cr_assert_eq(r, 99);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Shield                                                                   */

static int shield_sleep_rc, shield_inner_rc, after_unshield_rc, unbalanced_rc;
static uint64_t shield_slept_ns;

static intptr_t shielded_sleeper(void *arg)
{
    (void)arg;
    loop_task_shield(1);
    loop_task_shield(1); /* nests */
    uint64_t t0 = loop_now(L);
    shield_sleep_rc = loop_sleep(20); /* cancelled at 5 ms: deferred */
    shield_slept_ns = loop_now(L) - t0;
    loop_task_shield(0);
    shield_inner_rc = loop_yield(); /* still shielded once */
    loop_task_shield(0);
    after_unshield_rc = loop_yield();
    unbalanced_rc = loop_task_shield(0);
    return after_unshield_rc;
}

Test(task, shield_defers_cancel_until_unshielded, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    loop_timer_t tm;
    to_cancel = loop_spawn(loop, shielded_sleeper, NULL, "shielded");
    loop_timer_init(loop, &tm);
    loop_timer_start(&tm, cancel_from_timer, 5, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(cancel_rc_from_cb, 0);
    cr_assert_eq(shield_sleep_rc, 0, "a shielded sleep is not cut short: %d", shield_sleep_rc);
    cr_assert_geq(shield_slept_ns, 20 * MS_NS, "slept %llu ns",
                  (unsigned long long)shield_slept_ns);
    cr_assert_eq(shield_inner_rc, 0, "one shield level left: %d", shield_inner_rc);
    cr_assert_eq(after_unshield_rc, -ECANCELED, "%d", after_unshield_rc);
    cr_assert_eq(unbalanced_rc, -EINVAL);
    cr_assert_eq(loop_task_state(to_cancel), LOOP_TASK_CANCELLED);
    cr_assert_eq(loop_join(to_cancel, NULL, 0), -ECANCELED);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Awaits outside tasks                                                      */

static intptr_t never_called(void *arg)
{
    (void)arg;
    return 0;
}

Test(task, awaits_outside_a_task_return_EPERM, .timeout = 5)
{
    loop_t *loop = new_loop();
    int p[2];
    cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    loop_future_t *f = loop_future_new(loop);
    loop_event_t *e = loop_event_new(loop);
    loop_lock_t *lk = loop_lock_new(loop);
    loop_chan_t *c = loop_chan_new(loop, 0);
    loop_group_t *g = loop_group_new(loop);
    loop_task_t *t = loop_spawn(loop, return_arg, (void *)3, "pending");
    loop_task_t *gt = loop_group_spawn(g, return_arg, (void *)4, "child");
    cr_assert_not_null(gt);
    intptr_t v;

    cr_assert_eq(loop_sleep(1), -EPERM);
    cr_assert_eq(loop_yield(), -EPERM);
    cr_assert_eq(loop_wait_fd(p[0], LOOP_READABLE, 10), -EPERM);
    cr_assert_eq(loop_join(t, NULL, 10), -EPERM);
    cr_assert_eq(loop_future_await(f, &v, 10), -EPERM);
    cr_assert_eq(loop_event_wait(e, 10), -EPERM);
    cr_assert_eq(loop_lock_acquire(lk, 10), -EPERM);
    cr_assert_eq(loop_lock_release(lk), -EPERM);
    cr_assert_eq(loop_chan_send(c, 1, 10), -EPERM);
    cr_assert_eq(loop_chan_recv(c, &v, 10), -EPERM);
    cr_assert_eq(loop_run_blocking(never_called, NULL, &v, 10), -EPERM);
    cr_assert_eq(loop_group_wait(g, 10), -EPERM);
    cr_assert_eq(loop_task_shield(1), -EPERM);

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(t, &v, 0), 0);
    cr_assert_eq(v, 3);
    cr_assert_eq(loop_group_wait(g, 0), 0, "a finished group can be checked from anywhere");
    cr_assert_eq(loop_group_free(g), 0);
    cr_assert_eq(loop_chan_free(c), 0);
    cr_assert_eq(loop_lock_free(lk), 0);
    cr_assert_eq(loop_event_free(e), 0);
    loop_future_unref(f);
    close(p[0]);
    close(p[1]);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Sleep and yield ordering                                                  */

static uint64_t slept_ns[2];

static intptr_t sleep_and_log(void *arg)
{
    intptr_t ms = (intptr_t)arg;
    uint64_t t0 = loop_now(L);
    int rc = loop_sleep(ms);
    slept_ns[ms == 10] = loop_now(L) - t0;
    trace_put(ms == 10 ? 's' : 'L');
    return rc;
}

Test(task, sleepers_wake_in_deadline_order_on_the_loop_clock, .timeout = 5)
{
    loop_t *loop = L = new_loop();
    trace_reset();
    loop_task_t *longer = loop_spawn(loop, sleep_and_log, (void *)20, "20ms");
    loop_task_t *shorter = loop_spawn(loop, sleep_and_log, (void *)10, "10ms");
    uint64_t t0 = loop_now(loop);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "sL", "the 10 ms sleeper finishes first");
    cr_assert_geq(slept_ns[1], 10 * MS_NS, "%llu", (unsigned long long)slept_ns[1]);
    cr_assert_geq(slept_ns[0], 20 * MS_NS, "%llu", (unsigned long long)slept_ns[0]);
    cr_assert_geq(loop_now(loop) - t0, 20 * MS_NS);
    cr_assert_eq(loop_join(longer, NULL, 0), 0);
    cr_assert_eq(loop_join(shorter, NULL, 0), 0);
    close_loop(loop);
}

static int neg_sleep_rc;

static intptr_t sleep_negative(void *arg)
{
    (void)arg;
    neg_sleep_rc = loop_sleep(-5);
    return 0;
}

Test(task, sleep_rejects_a_negative_duration, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_task_t *t = loop_spawn(loop, sleep_negative, NULL, "neg");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(neg_sleep_rc, -EINVAL);
    cr_assert_eq(loop_join(t, NULL, 0), 0);
    close_loop(loop);
}

static intptr_t yield_n_times(void *arg)
{
    char c = (char)(intptr_t)arg;
    for (int i = 0; i < 4; i++) {
        trace_put(c);
        if (loop_yield() != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

Test(task, yielding_tasks_alternate_deterministically, .timeout = 5)
{
    loop_t *loop = new_loop();
    trace_reset();
    loop_task_t *a = loop_spawn(loop, yield_n_times, (void *)'A', "A");
    loop_task_t *b = loop_spawn(loop, yield_n_times, (void *)'B', "B");
    loop_task_t *c = loop_spawn(loop, yield_n_times, (void *)'C', "C");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "ABCABCABCABC");
    cr_assert_eq(loop_join(a, NULL, 0), 0);
    cr_assert_eq(loop_join(b, NULL, 0), 0);
    cr_assert_eq(loop_join(c, NULL, 0), 0);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Tasks waiting on what nothing can complete                                */

static intptr_t wait_event_forever(void *arg)
{
    return loop_event_wait((loop_event_t *)arg, LOOP_FOREVER);
}

static intptr_t await_future_forever(void *arg)
{
    return loop_future_await((loop_future_t *)arg, NULL, LOOP_FOREVER);
}

Test(task, stuck_tasks_end_the_run_and_block_close_until_cancelled, .timeout = 5)
{
    loop_t *loop = new_loop();
    capture_logs();
    loop_event_t *e = loop_event_new(loop);
    loop_future_t *f = loop_future_new(loop);
    loop_task_t *a = loop_spawn(loop, wait_event_forever, e, "stuck-event");
    loop_task_t *b = loop_spawn(loop, await_future_forever, f, "stuck-future");

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "nothing can wake them: the run ends");
    cr_assert_eq(loop_task_state(a), LOOP_TASK_WAITING);
    cr_assert_eq(loop_task_state(b), LOOP_TASK_WAITING);
    cr_assert_eq(loop_alive_count(loop), 2);
    cr_assert(logs_contain("stuck-event"), "the run names the stuck tasks:\n%s", logs_text());
    cr_assert_eq(loop_close(loop), -EBUSY);
    cr_assert(logs_contain("Unfinished task"), "%s", logs_text());

    cr_assert_eq(loop_task_cancel(a), 0);
    cr_assert_eq(loop_task_cancel(b), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_task_state(a), LOOP_TASK_CANCELLED);
    cr_assert_eq(loop_task_state(b), LOOP_TASK_CANCELLED);
    cr_assert_eq(loop_join(a, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_join(b, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_event_free(e), 0);
    loop_future_unref(f);
    loop_log_set_sink(NULL, NULL);
    close_loop(loop);
}
