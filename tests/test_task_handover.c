/*
 * test_task_handover.c — the direct hand-over between tasks (task.c): with
 * nothing hooked, a task that yields or waits switches straight to the next
 * task of the round and starts the next round itself. Each test runs plain
 * (the hand-over) and in debug mode (hooked: every step goes through the
 * scheduler) and asserts the same observable run: FIFO order within a round
 * with tasks and callbacks interleaved, a task cancelled before its first
 * step is never switched to, a ready task cancelled just before it is
 * switched to sees what it would through the scheduler, the poll comes every
 * rounds_per_poll rounds (I/O is not starved), the states, step counts and
 * callback counts that loop_task_info(), loopctl ps and loop_get_stats()
 * show, loop_stop() in a task, and debug mode switched on and off by a task
 * in the middle of a chain.
 *
 * Tasks record what they see in globals; the test bodies assert (Criterion's
 * fatal asserts must not longjmp out of a task stack).
 */
#include <sys/socket.h>

#include "helpers.h"

static char trace[128];
static size_t trace_len;

static void trace_put(char c)
{
    if (trace_len + 1 < sizeof trace) {
        trace[trace_len++] = c;
        trace[trace_len] = '\0';
    }
}

static loop_t *make_loop(int debug)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_set_debug(loop, debug), 0);
    trace_len = 0;
    trace[0] = '\0';
    return loop;
}

/* ------------------------------------------------------------------------ */
/* FIFO within a round, tasks and callbacks interleaved                     */

static intptr_t put_and_yield(void *arg)
{
    for (int i = 0; i < 4; i++) {
        trace_put((char)(intptr_t)arg);
        if (loop_yield() != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

static int soon_runs;

static void put_c_again(loop_t *loop, void *arg)
{
    (void)arg;
    trace_put('c');
    if (++soon_runs < 4) {
        loop_call_soon(loop, put_c_again, NULL);
    }
}

static void fifo_with_callbacks(int debug)
{
    loop_t *loop = make_loop(debug);
    soon_runs = 0;
    loop_task_t *a = loop_spawn(loop, put_and_yield, (void *)'A', "A");
    loop_task_t *b = loop_spawn(loop, put_and_yield, (void *)'B', "B");
    cr_assert_eq(loop_call_soon(loop, put_c_again, NULL), 0);
    loop_task_t *d = loop_spawn(loop, put_and_yield, (void *)'D', "D");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    /* every round: what was ready at its start, in the order it became ready */
    cr_assert_str_eq(trace, "ABcDABcDABcDABcD", "debug=%d", debug);
    cr_assert_eq(loop_join(a, NULL, 0), 0);
    cr_assert_eq(loop_join(b, NULL, 0), 0);
    cr_assert_eq(loop_join(d, NULL, 0), 0);
    close_loop(loop);
}

Test(handover, fifo_per_round_with_tasks_and_callbacks_interleaved, .timeout = 10)
{
    fifo_with_callbacks(0);
    fifo_with_callbacks(1);
}

/* A task woken in a round runs in the next one, after those already queued. */
static loop_event_t *ev;

static intptr_t wait_then_put(void *arg)
{
    (void)arg;
    trace_put('w');
    if (loop_event_wait(ev, LOOP_FOREVER) != 0) {
        return -EINVAL;
    }
    trace_put('W');
    return 0;
}

static intptr_t set_and_yield(void *arg)
{
    (void)arg;
    trace_put('A');
    loop_event_set(ev);
    loop_yield();
    trace_put('A');
    return 0;
}

static intptr_t put_yield_put(void *arg)
{
    trace_put((char)(intptr_t)arg);
    loop_yield();
    trace_put((char)(intptr_t)arg);
    return 0;
}

static void woken_in_next_round(int debug)
{
    loop_t *loop = make_loop(debug);
    ev = loop_event_new(loop);
    loop_task_t *w = loop_spawn(loop, wait_then_put, NULL, "W");
    loop_task_t *a = loop_spawn(loop, set_and_yield, NULL, "A");
    loop_task_t *b = loop_spawn(loop, put_yield_put, (void *)'B', "B");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "wABWAB", "debug=%d", debug);
    cr_assert_eq(loop_join(w, NULL, 0), 0);
    cr_assert_eq(loop_join(a, NULL, 0), 0);
    cr_assert_eq(loop_join(b, NULL, 0), 0);
    loop_event_free(ev);
    close_loop(loop);
}

Test(handover, a_woken_task_runs_in_the_next_round_after_those_queued, .timeout = 10)
{
    woken_in_next_round(0);
    woken_in_next_round(1);
}

/* ------------------------------------------------------------------------ */
/* Cancellation of the task next in the round                               */

static int victim_ran;

static intptr_t victim(void *arg)
{
    (void)arg;
    victim_ran++;
    return 0;
}

static loop_task_t *victim_t;

static intptr_t cancel_next_then_yield(void *arg)
{
    (void)arg;
    trace_put('K');
    if (loop_task_cancel(victim_t) != 0) {
        return -EINVAL;
    }
    loop_yield();
    trace_put('K');
    return 0;
}

static void cancel_before_first_step(int debug)
{
    loop_t *loop = make_loop(debug);
    victim_ran = 0;
    loop_task_t *k = loop_spawn(loop, cancel_next_then_yield, NULL, "killer");
    loop_task_t *v = victim_t = loop_spawn(loop, victim, NULL, "victim");
    loop_task_t *b = loop_spawn(loop, put_yield_put, (void *)'B', "B");
    /* the victim follows the killer in the first round */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(victim_ran, 0, "debug=%d: a task cancelled before its first step never runs",
                 debug);
    cr_assert_str_eq(trace, "KBKB", "debug=%d", debug);
    cr_assert_eq(loop_task_state(v), LOOP_TASK_CANCELLED);
    cr_assert_eq(loop_join(v, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_join(k, NULL, 0), 0);
    cr_assert_eq(loop_join(b, NULL, 0), 0);
    close_loop(loop);
}

Test(handover, a_task_cancelled_before_its_first_step_is_never_switched_to, .timeout = 10)
{
    cancel_before_first_step(0);
    cancel_before_first_step(1);
}

/* The woken task W is next in the round when A cancels it and yields. */
static loop_task_t *to_cancel;
static int state_at_cancel, w_first_rc, w_second_rc;

static intptr_t yield_cancel_yield(void *arg)
{
    (void)arg;
    trace_put('A');
    loop_yield();
    trace_put('A');
    state_at_cancel = loop_task_state(to_cancel);
    loop_task_cancel(to_cancel);
    loop_yield();
    trace_put('A');
    return 0;
}

static intptr_t wait_then_yield(void *arg)
{
    (void)arg;
    trace_put('w');
    w_first_rc = loop_event_wait(ev, LOOP_FOREVER);
    trace_put('W');
    w_second_rc = loop_yield();
    return w_second_rc;
}

static intptr_t set_event(void *arg)
{
    (void)arg;
    trace_put('S');
    return loop_event_set(ev);
}

static void cancel_ready_next(int debug)
{
    loop_t *loop = make_loop(debug);
    ev = loop_event_new(loop);
    state_at_cancel = w_first_rc = w_second_rc = -1;
    loop_task_t *a = loop_spawn(loop, yield_cancel_yield, NULL, "A");
    loop_task_t *w = to_cancel = loop_spawn(loop, wait_then_yield, NULL, "W");
    loop_task_t *s = loop_spawn(loop, set_event, NULL, "S");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    /* round 1: A yields, W waits, S wakes W; round 2: A cancels W, W runs next */
    cr_assert_str_eq(trace, "AwSAWA", "debug=%d", debug);
    cr_assert_eq(state_at_cancel, LOOP_TASK_READY, "debug=%d: %s", debug,
                 loop_task_state_name(state_at_cancel));
    cr_assert_eq(w_first_rc, 0, "debug=%d: woken before the cancel: %d", debug, w_first_rc);
    cr_assert_eq(w_second_rc, -ECANCELED, "debug=%d: %d", debug, w_second_rc);
    cr_assert_eq(loop_join(w, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_join(a, NULL, 0), 0);
    cr_assert_eq(loop_join(s, NULL, 0), 0);
    loop_event_free(ev);
    close_loop(loop);
}

Test(handover, a_ready_task_cancelled_just_before_it_is_switched_to, .timeout = 10)
{
    cancel_ready_next(0);
    cancel_ready_next(1);
}

/* ------------------------------------------------------------------------ */
/* The poll every rounds_per_poll rounds                                    */

static long yields_total, yields_at_io;

static intptr_t yield_until_io(void *arg)
{
    (void)arg;
    while (yields_at_io < 0 && yields_total < 100000) {
        yields_total++;
        loop_yield();
    }
    return 0;
}

static void on_readable(loop_io_t *io, int events)
{
    (void)events;
    yields_at_io = yields_total;
    loop_io_stop(io);
}

static void io_not_starved(int debug, int ntasks)
{
    loop_t *loop = make_loop(debug);
    int sp[2];
    loop_io_t io;
    loop_task_t *t[3];

    cr_assert_eq(loop_configure(loop, LOOP_OPT_ROUNDS_PER_POLL, 8), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
    yields_total = 0;
    yields_at_io = -1;
    for (int i = 0; i < ntasks; i++) {
        t[i] = loop_spawn(loop, yield_until_io, NULL, "yielder");
    }
    /* the tasks' first round, then the readable fd must be seen within 8 rounds */
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(write(sp[1], "x", 1), 1);
    long before = yields_total;
    cr_assert_eq(loop_io_init(loop, &io, sp[0]), 0);
    cr_assert_eq(loop_io_start(&io, on_readable, LOOP_READABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_geq(yields_at_io, 0, "debug=%d tasks=%d: the watcher never ran", debug, ntasks);
    cr_assert_leq(yields_at_io - before, (long)ntasks * (8 + 1),
                  "debug=%d tasks=%d: %ld yields before the poll (rounds_per_poll 8)", debug,
                  ntasks, yields_at_io - before);
    for (int i = 0; i < ntasks; i++) {
        cr_assert_eq(loop_join(t[i], NULL, 0), 0);
    }
    loop_handle_close(&io.handle, NULL);
    close(sp[0]);
    close(sp[1]);
    finish_loop(loop);
}

Test(handover, io_is_polled_every_rounds_per_poll_rounds, .timeout = 10)
{
    for (int n = 1; n <= 3; n++) {
        io_not_starved(0, n);
        io_not_starved(1, n);
    }
}

/* ------------------------------------------------------------------------ */
/* What inspection sees                                                     */

static loop_task_t *peer[2];
static int seen_bad;

static intptr_t look_at_peer(void *arg)
{
    int me = (int)(intptr_t)arg;
    loop_task_t *other = peer[1 - me];

    for (int i = 0; i < 5; i++) {
        loop_task_info_t info;
        /* running: me; the other task yielded (ready) or has not run yet (new) */
        if (loop_task_current() != peer[me] || loop_task_state(peer[me]) != LOOP_TASK_RUNNING) {
            seen_bad++;
        }
        if (loop_task_info(peer[me], &info) != 0 || info.steps != (uint64_t)i + 1) {
            seen_bad++;
        }
        int st = loop_task_state(other);
        if (i > 0 && st != LOOP_TASK_READY && st != LOOP_TASK_DONE) {
            seen_bad++;
        }
        loop_yield();
    }
    return 0;
}

static void inspection(int debug)
{
    loop_t *loop = make_loop(debug);
    loop_stats_t s0, s1;

    seen_bad = 0;
    peer[0] = loop_spawn(loop, look_at_peer, (void *)0, "p0");
    peer[1] = loop_spawn(loop, look_at_peer, (void *)1, "p1");
    cr_assert_eq(loop_get_stats(loop, &s0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_get_stats(loop, &s1), 0);
    cr_assert_eq(seen_bad, 0, "debug=%d", debug);
    for (int i = 0; i < 2; i++) {
        loop_task_info_t info;
        cr_assert_eq(loop_task_info(peer[i], &info), 0);
        cr_assert_eq(info.steps, 6, "debug=%d: %llu steps", debug,
                     (unsigned long long)info.steps);
        cr_assert_eq(loop_join(peer[i], NULL, 0), 0);
    }
    /* each step is a dispatch, direct or not */
    cr_assert_eq(s1.callbacks - s0.callbacks, 12, "debug=%d: %llu", debug,
                 (unsigned long long)(s1.callbacks - s0.callbacks));
    close_loop(loop);
}

Test(handover, states_steps_and_counts_are_what_the_scheduler_shows, .timeout = 10)
{
    inspection(0);
    inspection(1);
}

/* ------------------------------------------------------------------------ */
/* loop_stop() in a task ends the run at the end of the round               */

static intptr_t stop_and_yield(void *arg)
{
    trace_put('A');
    loop_stop((loop_t *)arg);
    loop_yield();
    trace_put('A');
    return 0;
}

static void stop_in_chain(int debug)
{
    loop_t *loop = make_loop(debug);
    loop_task_t *a = loop_spawn(loop, stop_and_yield, loop, "A");
    loop_task_t *b = loop_spawn(loop, put_yield_put, (void *)'B', "B");
    loop_run(loop, LOOP_RUN_DEFAULT);
    cr_assert_str_eq(trace, "AB", "debug=%d: the round ends, no other begins", debug);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "ABAB", "debug=%d", debug);
    cr_assert_eq(loop_join(a, NULL, 0), 0);
    cr_assert_eq(loop_join(b, NULL, 0), 0);
    close_loop(loop);
}

Test(handover, loop_stop_in_a_task_ends_the_run_after_the_round, .timeout = 10)
{
    stop_in_chain(0);
    stop_in_chain(1);
}

/* ------------------------------------------------------------------------ */
/* Debug mode switched on and off by a task in the middle of a chain        */

static intptr_t toggle_debug(void *arg)
{
    loop_t *loop = arg;

    for (int i = 0; i < 6; i++) {
        trace_put('T');
        if (i == 1 || i == 3) {
            loop_set_debug(loop, i == 1); /* hooked from here on, then plain again */
        }
        if (loop_yield() != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

static intptr_t put_and_yield6(void *arg)
{
    for (int i = 0; i < 6; i++) {
        trace_put((char)(intptr_t)arg);
        if (loop_yield() != 0) {
            return -EINVAL;
        }
    }
    return 0;
}

Test(handover, debug_mode_turned_on_and_off_by_a_task_keeps_the_order, .timeout = 10)
{
    loop_t *loop = make_loop(0);
    loop_task_t *t = loop_spawn(loop, toggle_debug, loop, "T");
    loop_task_t *b = loop_spawn(loop, put_and_yield6, (void *)'B', "B");
    loop_task_t *c = loop_spawn(loop, put_and_yield6, (void *)'C', "C");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_str_eq(trace, "TBCTBCTBCTBCTBCTBC");
    loop_task_info_t info;
    cr_assert_eq(loop_task_info(b, &info), 0);
    cr_assert_eq(info.steps, 7);
    cr_assert_eq(loop_join(t, NULL, 0), 0);
    cr_assert_eq(loop_join(b, NULL, 0), 0);
    cr_assert_eq(loop_join(c, NULL, 0), 0);
    close_loop(loop);
}
