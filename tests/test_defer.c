/*
 * test_defer.c — deferred calls and call-soon: FIFO in start order, one call
 * per start, what a round queues runs in the next round, stop and close
 * before running, call-soon and defer share one FIFO, and a chain of
 * call-soons does not starve I/O (LOOP_OPT_ROUNDS_PER_POLL).
 */
#include <fcntl.h>

#include "helpers.h"

static int order[256];
static int norder;
static int closes;

static void on_close(loop_handle_t *h)
{
    (void)h;
    closes++;
}

static void record_defer(loop_defer_t *d)
{
    order[norder++] = (int)(intptr_t)d->handle.data;
}

static void record_call(loop_t *loop, void *arg)
{
    (void)loop;
    order[norder++] = (int)(intptr_t)arg;
}

static void close_defer(loop_defer_t *d)
{
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(d), on_close), 0);
}

Test(defer, runs_once_per_start_in_the_next_round, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_defer_t d;
    cr_assert_eq(loop_defer_init(loop, &d), 0);
    d.handle.data = (void *)(intptr_t)7;
    cr_assert_eq(loop_defer_start(&d, record_defer), 0);
    cr_assert_eq(norder, 0, "never runs from inside start");
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&d)), 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 1);
    cr_assert_eq(order[0], 7);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&d)), 0, "not active once it ran");
    cr_assert_eq(loop_defer_start(&d, record_defer), 0); /* reusable */
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    cr_assert_eq(norder, 2);
    close_defer(&d);
    finish_loop(loop);
}

Test(defer, starting_a_queued_defer_again_runs_it_once, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_defer_t d;
    cr_assert_eq(loop_defer_init(loop, &d), 0);
    cr_assert_eq(loop_defer_start(&d, record_defer), 0);
    cr_assert_eq(loop_defer_start(&d, record_defer), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 1);
    close_defer(&d);
    finish_loop(loop);
}

Test(defer, runs_fifo_in_start_order, .timeout = 5)
{
    static const int start_order[6] = {4, 0, 5, 2, 1, 3};
    loop_t *loop = new_loop();
    loop_defer_t d[6];
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(loop_defer_init(loop, &d[i]), 0);
        d[i].handle.data = (void *)(intptr_t)i;
    }
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(loop_defer_start(&d[start_order[i]], record_defer), 0);
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 6);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(order[i], start_order[i], "position %d", i);
        close_defer(&d[i]);
    }
    finish_loop(loop);
}

static loop_defer_t ra, rb;

static void restart_self(loop_defer_t *d)
{
    record_defer(d);
    if (norder == 1) {
        cr_assert_eq(loop_defer_start(d, restart_self), 0);
    }
}

Test(defer, restarted_from_its_callback_runs_in_the_next_round, .timeout = 5)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_defer_init(loop, &ra), 0);
    cr_assert_eq(loop_defer_init(loop, &rb), 0);
    ra.handle.data = (void *)(intptr_t)1;
    rb.handle.data = (void *)(intptr_t)2;
    cr_assert_eq(loop_defer_start(&ra, restart_self), 0);
    cr_assert_eq(loop_defer_start(&rb, record_defer), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 3);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 2, "the restart ran before what was already queued");
    cr_assert_eq(order[2], 1);
    close_defer(&ra);
    close_defer(&rb);
    finish_loop(loop);
}

Test(defer, stop_before_it_runs_cancels_it, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_defer_t a, b;
    cr_assert_eq(loop_defer_init(loop, &a), 0);
    cr_assert_eq(loop_defer_init(loop, &b), 0);
    a.handle.data = (void *)(intptr_t)1;
    b.handle.data = (void *)(intptr_t)2;
    cr_assert_eq(loop_defer_start(&a, record_defer), 0);
    cr_assert_eq(loop_defer_start(&b, record_defer), 0);
    cr_assert_eq(loop_defer_stop(&a), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&a)), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 1);
    cr_assert_eq(order[0], 2);
    close_defer(&a);
    close_defer(&b);
    finish_loop(loop);
}

static loop_defer_t *later;

static void free_on_close(loop_handle_t *h)
{
    closes++;
    free(h);
}

static void close_later(loop_defer_t *d)
{
    record_defer(d);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(later), free_on_close), 0);
}

Test(defer, closing_a_queued_defer_from_a_callback_cancels_it, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_defer_t first;
    later = malloc(sizeof *later);
    cr_assert_eq(loop_defer_init(loop, &first), 0);
    cr_assert_eq(loop_defer_init(loop, later), 0);
    first.handle.data = (void *)(intptr_t)1;
    later->handle.data = (void *)(intptr_t)2;
    cr_assert_eq(loop_defer_start(&first, close_later), 0);
    cr_assert_eq(loop_defer_start(later, record_defer), 0); /* same round, after first */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 1, "the closed defer ran");
    cr_assert_eq(closes, 1);
    close_defer(&first);
    finish_loop(loop);
}

static void close_self(loop_defer_t *d)
{
    record_defer(d);
    close_defer(d);
}

Test(defer, close_from_its_own_callback, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_defer_t d;
    cr_assert_eq(loop_defer_init(loop, &d), 0);
    cr_assert_eq(loop_defer_start(&d, close_self), 0);
    finish_loop(loop);
    cr_assert_eq(norder, 1);
    cr_assert_eq(closes, 1);
}

/* Call-soon --------------------------------------------------------------------------- */

Test(defer, call_soon_runs_fifo, .timeout = 5)
{
    loop_t *loop = new_loop();
    for (int i = 0; i < 200; i++) {
        cr_assert_eq(loop_call_soon(loop, record_call, (void *)(intptr_t)i), 0);
    }
    cr_assert_eq(norder, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "queued calls run, then the loop is idle");
    cr_assert_eq(norder, 200);
    for (int i = 0; i < 200; i++) {
        cr_assert_eq(order[i], i, "position %d ran call %d", i, order[i]);
    }
    finish_loop(loop);
}

static void queue_next(loop_t *loop, void *arg)
{
    int v = (int)(intptr_t)arg;
    order[norder++] = v;
    if (v < 10) {
        /* 1 queues 11, 2 queues 12: they run in the next round, after 3 */
        cr_assert_eq(loop_call_soon(loop, queue_next, (void *)(intptr_t)(v + 10)), 0);
    }
}

Test(defer, call_soon_queued_during_a_round_runs_in_the_next_round, .timeout = 5)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_call_soon(loop, queue_next, (void *)(intptr_t)1), 0);
    cr_assert_eq(loop_call_soon(loop, queue_next, (void *)(intptr_t)2), 0);
    cr_assert_eq(loop_call_soon(loop, record_call, (void *)(intptr_t)3), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    const int want[5] = {1, 2, 3, 11, 12};
    cr_assert_eq(norder, 5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(order[i], want[i], "position %d: %d, want %d", i, order[i], want[i]);
    }
    finish_loop(loop);
}

Test(defer, call_soon_and_defers_share_one_fifo, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_defer_t a, b;
    cr_assert_eq(loop_defer_init(loop, &a), 0);
    cr_assert_eq(loop_defer_init(loop, &b), 0);
    a.handle.data = (void *)(intptr_t)1;
    b.handle.data = (void *)(intptr_t)3;
    cr_assert_eq(loop_defer_start(&a, record_defer), 0);
    cr_assert_eq(loop_call_soon(loop, record_call, (void *)(intptr_t)2), 0);
    cr_assert_eq(loop_defer_start(&b, record_defer), 0);
    cr_assert_eq(loop_call_soon(loop, record_call, (void *)(intptr_t)4), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(order[i], i + 1, "position %d: %d", i, order[i]);
    }
    close_defer(&a);
    close_defer(&b);
    finish_loop(loop);
}

/* I/O is not starved by a chain of call-soons -------------------------------------------- */

static int hops;
static int hops_at_io;
static int chain_stop;

static void hop(loop_t *loop, void *arg)
{
    (void)arg;
    if (chain_stop) {
        return;
    }
    hops++;
    cr_assert_lt(hops, 100000, "I/O never ran during a call-soon chain");
    cr_assert_eq(loop_call_soon(loop, hop, NULL), 0);
}

static void io_stops_chain(loop_io_t *io, int events)
{
    (void)events;
    hops_at_io = hops;
    chain_stop = 1;
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(io), on_close), 0);
}

static void chain_vs_io(long rounds_per_poll)
{
    loop_t *loop = new_loop();
    if (rounds_per_poll > 0) {
        cr_assert_eq(loop_configure(loop, LOOP_OPT_ROUNDS_PER_POLL, rounds_per_poll), 0);
    }
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, io_stops_chain, LOOP_READABLE), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(loop_call_soon(loop, hop, NULL), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    long limit = (rounds_per_poll > 0 ? rounds_per_poll : 64) + 1;
    cr_assert_gt(hops_at_io, 0);
    cr_assert_leq(hops_at_io, limit, "I/O waited %d call-soon rounds (limit %ld)", hops_at_io,
                  limit);
    finish_loop(loop);
    close(p[0]);
    close(p[1]);
}

Test(defer, call_soon_chain_does_not_starve_io, .timeout = 5)
{
    chain_vs_io(0);
}

Test(defer, rounds_per_poll_one_polls_between_hops, .timeout = 5)
{
    chain_vs_io(1);
}

Test(defer, rounds_per_poll_rejects_bad_values, .timeout = 5)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_configure(loop, LOOP_OPT_ROUNDS_PER_POLL, 0), -EINVAL);
    cr_assert_eq(loop_configure(loop, LOOP_OPT_ROUNDS_PER_POLL, -5), -EINVAL);
    cr_assert_eq(loop_configure(loop, (loop_option_t)999, 1), -EINVAL);
    cr_assert_eq(loop_configure(NULL, LOOP_OPT_ROUNDS_PER_POLL, 4), -EINVAL);
    cr_assert_eq(loop_configure(loop, LOOP_OPT_ROUNDS_PER_POLL, 8), 0);
    finish_loop(loop);
}

/* The plain path (nothing hooks the loop: the restart of an active defer from
 * its own callback skips loop__handle_check) must answer misuse exactly as the
 * full checks do, and must give way as soon as something hooks the loop. */
static int plain_hops;
static int plain_rc[4];

static void other_cb(loop_defer_t *d)
{
    (void)d;
    plain_hops += 100;
}

static void plain_restart(loop_defer_t *d)
{
    plain_hops++;
    if (plain_hops == 1) {
        plain_rc[0] = loop_defer_start(d, NULL);      /* active, not queued: -EINVAL */
        plain_rc[1] = loop_defer_start(d, other_cb);  /* the new callback runs next */
        plain_rc[2] = loop_defer_start(d, other_cb);  /* already queued: 0, runs once */
    }
}

Test(defer, restart_from_its_callback_checks_like_a_first_start, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_defer_t d;
    loop_io_t io;
    loop_stats_t st;

    plain_hops = 0;
    cr_assert_eq(loop_defer_init(loop, &d), 0);
    cr_assert_eq(loop_defer_start(&d, plain_restart), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(plain_rc[0], -EINVAL);
    cr_assert_eq(plain_rc[1], 0);
    cr_assert_eq(plain_rc[2], 0);
    cr_assert_eq(plain_hops, 101, "the restarted callback ran once: %d", plain_hops);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&d)), 0);
    cr_assert_eq(loop_get_stats(loop, &st), 0);
    cr_assert_eq(st.callbacks, 2, "plain dispatches are counted: %llu",
                 (unsigned long long)st.callbacks);
    /* a handle of another kind is refused on the plain path as on the full one */
    cr_assert_eq(loop_io_init(loop, &io, 0), 0);
    cr_assert_eq(loop_defer_start((loop_defer_t *)&io, other_cb), -EINVAL);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&io), NULL), 0);
    close_defer(&d);
    cr_assert_eq(loop_defer_start(&d, other_cb), -EBADF);
    finish_loop(loop);
}

static int slow_hops;

static void slow_chain(loop_defer_t *d)
{
    loop_t *loop = d->handle.loop;

    if (++slow_hops == 2) {
        loop_set_debug(loop, 1); /* from inside the chain: the next hop is hooked */
    } else if (slow_hops == 3) {
        uint64_t t0 = loop_now(loop);
        do {
            loop_update_time(loop); /* busy for 3 ms of the loop's clock */
        } while (loop_now(loop) - t0 < 3000000u);
    }
    if (slow_hops < 4) {
        cr_assert_eq(loop_defer_start(d, slow_chain), 0);
    }
}

Test(defer, debug_mode_switched_on_inside_a_chain_sees_the_next_hop, .timeout = 5)
{
    loop_t *loop = new_loop();
    loop_defer_t d;
    loop_stats_t st;

    slow_hops = 0;
    cr_assert_eq(loop_set_slow_callback_ms(loop, 1), 0);
    cr_assert_eq(loop_defer_init(loop, &d), 0);
    cr_assert_eq(loop_defer_start(&d, slow_chain), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(slow_hops, 4);
    cr_assert_eq(loop_get_stats(loop, &st), 0);
    cr_assert_eq(st.slow_callbacks, 1, "the 3 ms hop was timed: %llu",
                 (unsigned long long)st.slow_callbacks);
    loop_set_debug(loop, 0);
    close_defer(&d);
    finish_loop(loop);
}
