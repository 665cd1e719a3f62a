/*
 * test_timer.c — timers: one-shot, repeating, stop, again, restart; equal
 * deadlines fire in start order; timers started in the past or with timeout
 * 0; repeating timers do not drift and skip missed periods; stop and close
 * from inside callbacks. Time is read from the loop (loop_now,
 * loop_timer_due_ns); nothing depends on how fast the machine is.
 */
#include "helpers.h"

/* internal (core/timer.c): the poll timeout the timers ask for */
int64_t loop__timers_next_timeout_ns(const loop_t *loop);

static int fired;
static int closes;
static uint64_t fired_at_ns;

static void count_cb(loop_timer_t *t)
{
    fired++;
    fired_at_ns = loop_now(t->handle.loop);
}

static void on_close(loop_handle_t *h)
{
    (void)h;
    closes++;
}

static void close_timer(loop_timer_t *t)
{
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(t), on_close), 0);
}

Test(timer, one_shot_fires_once_not_before_due, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t)), 0);
    cr_assert_eq(loop_timer_start(&t, count_cb, 5, 0), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t)), 1);
    uint64_t due = loop_timer_due_ns(&t);
    cr_assert_eq(due, loop_now(loop) + 5 * MS_NS, "due %llu, now %llu",
                 (unsigned long long)due, (unsigned long long)loop_now(loop));

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 1);
    cr_assert_geq(fired_at_ns, due, "fired at %llu before its due %llu",
                  (unsigned long long)fired_at_ns, (unsigned long long)due);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t)), 0, "a fired one-shot is inactive");

    close_timer(&t);
    finish_loop(loop);
    cr_assert_eq(fired, 1);
    cr_assert_eq(closes, 1);
}

/* A timer started before the first loop_run is relative to a real clock value, not 0. */
static loop_timer_t long_t, short_t;
static int long_fired;

static void long_cb(loop_timer_t *t)
{
    (void)t;
    long_fired++;
}

static void short_closes_both(loop_timer_t *t)
{
    (void)t;
    fired++;
    close_timer(&long_t);
    close_timer(&short_t);
}

Test(timer, long_timer_does_not_fire_before_a_short_one, .timeout = 30)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_timer_init(loop, &long_t), 0);
    cr_assert_eq(loop_timer_init(loop, &short_t), 0);
    cr_assert_eq(loop_timer_start(&long_t, long_cb, 60000, 0), 0);
    cr_assert_eq(loop_timer_start(&short_t, short_closes_both, 1, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 1);
    cr_assert_eq(long_fired, 0, "a 60 s timer fired within a 1 ms run");
    cr_assert_eq(closes, 2);
    finish_loop(loop);
}

static void stop_at_five(loop_timer_t *t)
{
    fired++;
    if (fired == 5) {
        cr_assert_eq(loop_timer_stop(t), 0);
    }
}

Test(timer, repeat_fires_until_stopped_from_its_callback, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, stop_at_five, 1, 1), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "stopped timer keeps the loop alive");
    cr_assert_eq(fired, 5);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t)), 0);
    close_timer(&t);
    finish_loop(loop);
    cr_assert_eq(fired, 5);
}

Test(timer, stop_before_due_prevents_the_callback, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, count_cb, 0, 0), 0);
    cr_assert_eq(loop_alive_count(loop), 1);
    cr_assert_eq(loop_timer_stop(&t), 0);
    cr_assert_eq(loop_timer_stop(&t), 0, "stopping a stopped timer is harmless");
    cr_assert_eq(loop_alive_count(loop), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t)), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 0);
    close_timer(&t);
    finish_loop(loop);
    cr_assert_eq(fired, 0);
}

Test(timer, restart_moves_the_timer_and_fires_once, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, count_cb, 60000, 0), 0);
    cr_assert_eq(loop_timer_start(&t, count_cb, 1, 0), 0);
    cr_assert_eq(loop_timer_due_ns(&t), loop_now(loop) + 1 * MS_NS);
    cr_assert_eq(loop_alive_count(loop), 1, "a restarted timer is one active handle");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 1);
    close_timer(&t);
    finish_loop(loop);
}

Test(timer, start_ns_takes_nanoseconds, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start_ns(&t, count_cb, 1500000, 0), 0);
    cr_assert_eq(loop_timer_due_ns(&t), loop_now(loop) + 1500000);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 1);
    cr_assert_geq(fired_at_ns, loop_timer_due_ns(&t));
    close_timer(&t);
    finish_loop(loop);
}

static uint64_t again_due;

static void again_cb(loop_timer_t *t)
{
    fired++;
    if (fired == 1) {
        cr_assert_geq(loop_now(t->handle.loop), again_due);
    }
    if (fired == 3) {
        cr_assert_eq(loop_timer_stop(t), 0);
    }
}

Test(timer, again_restarts_with_repeat_as_timeout, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t, never;
    cr_assert_eq(loop_timer_init(loop, &never), 0);
    cr_assert_eq(loop_timer_again(&never), -EINVAL, "again on a never-started timer");
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&never)), 0);

    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, again_cb, 60000, 2), 0);
    cr_assert_eq(loop_timer_again(&t), 0);
    again_due = loop_timer_due_ns(&t);
    cr_assert_eq(again_due, loop_now(loop) + 2 * MS_NS, "again uses repeat as the timeout");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 3);

    close_timer(&t);
    close_timer(&never);
    finish_loop(loop);
    cr_assert_eq(closes, 2);
}

/* Ordering ----------------------------------------------------------------- */

static int order[64];
static int norder;

static void record_cb(loop_timer_t *t)
{
    order[norder++] = (int)(intptr_t)t->handle.data;
}

Test(timer, same_deadline_fires_in_start_order, .timeout = 30)
{
    static const int start_order[8] = {3, 1, 7, 0, 5, 2, 6, 4};
    loop_t *loop = new_loop();
    loop_timer_t t[8];
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(loop_timer_init(loop, &t[i]), 0);
        t[i].handle.data = (void *)(intptr_t)i;
    }
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(loop_timer_start(&t[start_order[i]], record_cb, 2, 0), 0);
    }
    for (int i = 1; i < 8; i++) {
        cr_assert_eq(loop_timer_due_ns(&t[i]), loop_timer_due_ns(&t[0]), "same deadline");
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 8);
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(order[i], start_order[i], "position %d: timer %d fired, expected %d", i,
                     order[i], start_order[i]);
    }
    for (int i = 0; i < 8; i++) {
        close_timer(&t[i]);
    }
    finish_loop(loop);
}

/*
 * The same promise on a deep heap: 5000 timers over four deadlines, started
 * in a scattered order, a fifth of them restarted (a restart is a new start:
 * it goes to the back of its deadline), so that ties are broken in every
 * sift of a heap of several levels.
 */
#define NTIE 5000
static loop_timer_t tie_t[NTIE];
static uint64_t tie_seq[NTIE]; /* the test's own start counter */
static uint64_t tie_last_due, tie_last_seq;
static int tie_fired, tie_bad;

static void tie_cb(loop_timer_t *t)
{
    int i = (int)(t - tie_t);
    uint64_t due = loop_timer_due_ns(t);

    if (due < tie_last_due || (due == tie_last_due && tie_seq[i] < tie_last_seq)) {
        tie_bad++;
    }
    tie_last_due = due;
    tie_last_seq = tie_seq[i];
    tie_fired++;
}

Test(timer, equal_deadlines_fire_in_start_order_in_a_deep_heap, .timeout = 30)
{
    loop_t *loop = new_loop();
    uint64_t rng = 12345, seq = 0;

    for (int i = 0; i < NTIE; i++) {
        cr_assert_eq(loop_timer_init(loop, &tie_t[i]), 0);
    }
    for (int k = 0; k < NTIE; k++) {
        int i = (int)(((uint64_t)k * 2654435761u) % NTIE); /* a permutation: NTIE is 2^3 * 5^4 */
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        cr_assert_eq(loop_timer_start(&tie_t[i], tie_cb, 1 + (rng >> 33) % 4, 0), 0);
        tie_seq[i] = ++seq;
    }
    for (int k = 0; k < NTIE; k += 5) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        cr_assert_eq(loop_timer_start(&tie_t[k], tie_cb, 1 + (rng >> 33) % 4, 0), 0);
        tie_seq[k] = ++seq;
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(tie_fired, NTIE);
    cr_assert_eq(tie_bad, 0, "%d timers fired before one due with them but started earlier",
                 tie_bad);
    for (int i = 0; i < NTIE; i++) {
        close_timer(&tie_t[i]);
    }
    finish_loop(loop);
}

Test(timer, restarted_timer_goes_after_equal_deadlines, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t[3];
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(loop_timer_init(loop, &t[i]), 0);
        t[i].handle.data = (void *)(intptr_t)i;
        cr_assert_eq(loop_timer_start(&t[i], record_cb, 0, 0), 0);
    }
    cr_assert_eq(loop_timer_start(&t[0], record_cb, 0, 0), 0); /* moves 0 behind 1 and 2 */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 3);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 2);
    cr_assert_eq(order[2], 0);
    for (int i = 0; i < 3; i++) {
        close_timer(&t[i]);
    }
    finish_loop(loop);
}

/* Many timers with scattered timeouts fire by due time, ties by start order. */
#define MANY 20000
static loop_timer_t *many;
static int *many_seq;
static int nmany;

static void many_cb(loop_timer_t *t)
{
    many_seq[nmany++] = (int)(t - many);
}

Test(timer, many_timers_fire_in_due_then_start_order, .timeout = 30)
{
    loop_t *loop = new_loop();
    many = calloc(MANY, sizeof *many);
    many_seq = calloc(MANY, sizeof *many_seq);
    int *started_as = calloc(MANY, sizeof *started_as);
    uint64_t *due_of = calloc(MANY, sizeof *due_of);
    cr_assert(many && many_seq && started_as && due_of);
    for (int i = 0; i < MANY; i++) {
        cr_assert_eq(loop_timer_init(loop, &many[i]), 0);
    }
    /* start in a scattered order; timeouts 0..19 ms, many equal */
    for (int k = 0; k < MANY; k++) {
        int i = (int)(((long)k * 7919) % MANY);
        started_as[i] = k;
        cr_assert_eq(loop_timer_start(&many[i], many_cb, (uint64_t)((i * 31) % 20), 0), 0);
        due_of[i] = loop_timer_due_ns(&many[i]);
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(nmany, MANY);
    for (int k = 1; k < MANY; k++) {
        loop_timer_t *a = &many[many_seq[k - 1]], *b = &many[many_seq[k]];
        uint64_t da = due_of[a - many], db = due_of[b - many];
        cr_assert(da < db || (da == db && started_as[a - many] < started_as[b - many]),
                  "fire %d: timer %d (due %llu, start %d) before timer %d (due %llu, start %d)",
                  k, (int)(a - many), (unsigned long long)da, started_as[a - many],
                  (int)(b - many), (unsigned long long)db, started_as[b - many]);
    }
    for (int i = 0; i < MANY; i++) {
        close_timer(&many[i]);
    }
    finish_loop(loop);
    cr_assert_eq(closes, MANY);
    free(due_of);
    free(started_as);
    free(many_seq);
    free(many);
}

/* Timers in the past -------------------------------------------------------- */

Test(timer, zero_timeout_fires_in_the_next_iteration, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, count_cb, 0, 0), 0);
    cr_assert_eq(fired, 0, "a timer never fires from inside start");
    int rc = loop_run(loop, LOOP_RUN_NOWAIT);
    cr_assert_eq(rc, 0, "nothing active after the one-shot fired: %d", rc);
    cr_assert_eq(fired, 1);
    close_timer(&t);
    finish_loop(loop);
}

Test(timer, started_with_a_stale_clock_fires_at_once, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    uint64_t before = loop_now(loop);
    hold_thread_ns(3 * MS_NS); /* the cached loop time is now 3 ms old */
    cr_assert_eq(loop_now(loop), before, "loop_now is cached");
    cr_assert_eq(loop_timer_start(&t, count_cb, 1, 0), 0);
    cr_assert_eq(loop_timer_due_ns(&t), before + 1 * MS_NS, "due is relative to loop_now");
    /* Its due time is already in the past: one non-blocking iteration runs it. */
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    cr_assert_eq(fired, 1);
    cr_assert_gt(loop_now(loop), before, "the iteration refreshed the clock");
    close_timer(&t);
    finish_loop(loop);
}

static void rearm_zero(loop_timer_t *t)
{
    fired++;
    cr_assert_eq(loop_timer_start(t, rearm_zero, 0, 0), 0);
}

Test(timer, self_rearming_zero_timer_does_not_livelock_an_iteration, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, rearm_zero, 0, 0), 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1, "the re-armed timer stays active");
    }
    cr_assert_geq(fired, 3, "once per iteration at least");
    close_timer(&t);
    finish_loop(loop);
}

static loop_timer_t chain_a, chain_b;

static void chain_b_cb(loop_timer_t *t)
{
    (void)t;
    order[norder++] = 2;
}

static void chain_a_cb(loop_timer_t *t)
{
    (void)t;
    order[norder++] = 1;
    cr_assert_eq(loop_timer_start(&chain_b, chain_b_cb, 0, 0), 0);
}

Test(timer, started_from_a_callback_fires_after_it, .timeout = 30)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_timer_init(loop, &chain_a), 0);
    cr_assert_eq(loop_timer_init(loop, &chain_b), 0);
    cr_assert_eq(loop_timer_start(&chain_a, chain_a_cb, 0, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 2);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 2);
    close_timer(&chain_a);
    close_timer(&chain_b);
    finish_loop(loop);
}

/* Repeat drift --------------------------------------------------------------- */

#define PERIOD_NS (4 * MS_NS)
static uint64_t fire_now[64];

static void drift_cb(loop_timer_t *t)
{
    fire_now[fired++] = loop_now(t->handle.loop);
    hold_thread_ns(PERIOD_NS / 4); /* callback work that a naive re-arm would add up */
}

Test(timer, repeat_due_times_advance_by_exactly_repeat, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start_ns(&t, drift_cb, PERIOD_NS, PERIOD_NS), 0);
    const uint64_t first_due = loop_timer_due_ns(&t);
    cr_assert_eq(first_due, loop_now(loop) + PERIOD_NS);

    uint64_t due = first_due;
    int exact_steps = 0;
    while (fired < 12) {
        int before = fired;
        cr_assert_eq(loop_run(loop, LOOP_RUN_ONCE), 1);
        if (fired == before) {
            continue;
        }
        cr_assert_eq(fired, before + 1, "a repeating timer fired %d times in one iteration",
                     fired - before);
        loop_update_time(loop);
        uint64_t after = loop_now(loop);
        uint64_t fired_now = fire_now[before];
        uint64_t next = loop_timer_due_ns(&t);

        cr_assert_geq(fired_now, due, "fire %d at %llu, before its due %llu", before,
                      (unsigned long long)fired_now, (unsigned long long)due);
        cr_assert_eq((next - first_due) % PERIOD_NS, 0,
                     "fire %d: next due %llu is not first due + k*repeat (drift %llu ns)", before,
                     (unsigned long long)next,
                     (unsigned long long)((next - first_due) % PERIOD_NS));
        cr_assert_gt(next, due, "the due time moves forward");
        if (after < due + PERIOD_NS) {
            /* not a period behind: nothing to skip, next is exactly one period later */
            cr_assert_eq(next, due + PERIOD_NS);
            exact_steps++;
        }
        cr_assert_gt(next + PERIOD_NS, fired_now, "more than one period left to catch up");
        due = next;
    }
    cr_assert_gt(exact_steps, 0, "every period was skipped: the test could not observe drift");
    close_timer(&t);
    finish_loop(loop);
}

#define SKIP_PERIOD_NS (10 * MS_NS)
static uint64_t skip_first_due;

static void held_up_cb(loop_timer_t *t)
{
    loop_t *loop = t->handle.loop;
    fire_now[fired++] = loop_now(loop);
    if (fired == 1) {
        /* hold the loop up for 3.5 periods, measured on the loop's clock */
        uint64_t until = skip_first_due + 3 * SKIP_PERIOD_NS + SKIP_PERIOD_NS / 2;
        do {
            loop_update_time(loop);
        } while (loop_now(loop) < until);
    }
}

Test(timer, repeat_skips_missed_periods_when_the_loop_is_held_up, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start_ns(&t, held_up_cb, SKIP_PERIOD_NS, SKIP_PERIOD_NS), 0);
    skip_first_due = loop_timer_due_ns(&t);
    const uint64_t resume_due = skip_first_due + 4 * SKIP_PERIOD_NS;

    /* run until the timer fired at or after the first due past the hold-up */
    while (fired == 0 || fire_now[fired - 1] < resume_due) {
        cr_assert_lt(fired, 8, "timer fired %d times", fired);
        cr_assert_eq(loop_run(loop, LOOP_RUN_ONCE), 1);
        if (loop_handle_active(LOOP_HANDLE(&t)) == 1) {
            uint64_t d = loop_timer_due_ns(&t);
            cr_assert_eq((d - skip_first_due) % SKIP_PERIOD_NS, 0, "due %llu drifted",
                         (unsigned long long)d);
        }
    }
    /*
     * Periods due at first+1p, +2p, +3p passed while the loop was held: at most
     * one late catch-up call for them, not three in a burst.
     */
    int catch_up = fired - 2;
    cr_assert_leq(catch_up, 1, "%d calls for the missed periods (fires at +%llu, +%llu, +%llu ns)",
                  catch_up, (unsigned long long)(fire_now[1] - skip_first_due),
                  (unsigned long long)(fired > 2 ? fire_now[2] - skip_first_due : 0),
                  (unsigned long long)(fired > 3 ? fire_now[3] - skip_first_due : 0));
    uint64_t d = loop_timer_due_ns(&t);
    cr_assert_eq((d - skip_first_due) % SKIP_PERIOD_NS, 0);
    cr_assert_gt(d, fire_now[fired - 1]);
    close_timer(&t);
    finish_loop(loop);
}

/* Close and stop from callbacks ------------------------------------------------ */

static void close_self(loop_timer_t *t)
{
    fired++;
    close_timer(t);
}

Test(timer, close_from_own_callback_stops_a_repeating_timer, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, close_self, 1, 1), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 1);
    cr_assert_eq(closes, 1);
    cr_assert_eq(loop_handle_closing(LOOP_HANDLE(&t)), 1);
    finish_loop(loop);
}

static loop_timer_t *victim;

static void free_on_close(loop_handle_t *h)
{
    closes++;
    free(h);
}

static void close_victim(loop_timer_t *t)
{
    (void)t;
    order[norder++] = 1;
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(victim), free_on_close), 0);
}

static void victim_cb(loop_timer_t *t)
{
    (void)t;
    order[norder++] = 2;
}

Test(timer, closing_a_due_timer_from_a_callback_cancels_it, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t a;
    victim = malloc(sizeof *victim); /* freed in its close callback: ASan sees late use */
    cr_assert_eq(loop_timer_init(loop, &a), 0);
    cr_assert_eq(loop_timer_init(loop, victim), 0);
    cr_assert_eq(loop_timer_start(&a, close_victim, 0, 0), 0);
    cr_assert_eq(loop_timer_start(victim, victim_cb, 0, 0), 0); /* same deadline, after a */
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 1, "the closed timer fired anyway");
    cr_assert_eq(closes, 1);
    close_timer(&a);
    finish_loop(loop);
}

static loop_timer_t stop_a, stop_b;

static void stop_b_cb(loop_timer_t *t)
{
    (void)t;
    order[norder++] = 1;
    cr_assert_eq(loop_timer_stop(&stop_b), 0);
}

Test(timer, stopping_a_due_timer_from_a_callback_cancels_it, .timeout = 30)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_timer_init(loop, &stop_a), 0);
    cr_assert_eq(loop_timer_init(loop, &stop_b), 0);
    cr_assert_eq(loop_timer_start(&stop_a, stop_b_cb, 0, 0), 0);
    cr_assert_eq(loop_timer_start(&stop_b, victim_cb, 0, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 1, "the stopped timer fired anyway");
    /* it can be started again */
    cr_assert_eq(loop_timer_start(&stop_b, victim_cb, 0, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(norder, 2);
    cr_assert_eq(order[1], 2);
    close_timer(&stop_a);
    close_timer(&stop_b);
    finish_loop(loop);
}

Test(timer, closing_a_pending_timer_runs_only_its_close_callback, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t *t = malloc(sizeof *t);
    cr_assert_eq(loop_timer_init(loop, t), 0);
    cr_assert_eq(loop_timer_start(t, count_cb, 0, 0), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(t), free_on_close), 0);
    cr_assert_eq(closes, 0, "close callbacks run later, from the loop");
    finish_loop(loop);
    cr_assert_eq(fired, 0);
    cr_assert_eq(closes, 1);
}

/* Huge periods and timeouts (issue 13 item 5) ------------------------------- */

static loop_timer_t huge_t, guard_t;
static int huge_fired;

static void huge_cb(loop_timer_t *t)
{
    if (++huge_fired >= 2) { /* fired again at once: stop the spin, the test fails */
        loop_timer_stop(t);
    }
}

static void guard_cb(loop_timer_t *t)
{
    (void)t;
    loop_timer_stop(&huge_t);
}

/* A repeating timer whose next due time overflows fires once, then never. */
static void assert_huge_repeat_fires_once(uint64_t repeat_ns)
{
    loop_t *loop = new_loop();
    huge_fired = 0;
    cr_assert_eq(loop_timer_init(loop, &huge_t), 0);
    cr_assert_eq(loop_timer_init(loop, &guard_t), 0);
    cr_assert_eq(loop_timer_start_ns(&huge_t, huge_cb, 0, repeat_ns), 0);
    cr_assert_eq(loop_timer_start(&guard_t, guard_cb, 20, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(huge_fired, 1, "repeat %llu ns: fired %d times in 20 ms",
                 (unsigned long long)repeat_ns, huge_fired);
    close_timer(&huge_t);
    close_timer(&guard_t);
    finish_loop(loop);
}

Test(timer, a_repeat_of_uint64_max_saturates_instead_of_wrapping, .timeout = 30)
{
    assert_huge_repeat_fires_once(UINT64_MAX);
}

Test(timer, a_repeat_whose_next_due_overflows_saturates, .timeout = 30)
{
    /* due + repeat wraps, but (due + repeat) > repeat: not only UINT64_MAX */
    assert_huge_repeat_fires_once(UINT64_MAX - 1000);
    assert_huge_repeat_fires_once(UINT64_MAX / 2 + 1);
}

Test(timer, the_due_time_of_a_saturated_repeat_is_never, .timeout = 30)
{
    loop_t *loop = new_loop();
    huge_fired = 0;
    cr_assert_eq(loop_timer_init(loop, &huge_t), 0);
    cr_assert_eq(loop_timer_start_ns(&huge_t, huge_cb, 0, UINT64_MAX), 0);
    RUN_UNTIL(loop, huge_fired == 1);
    cr_assert_eq(loop_timer_due_ns(&huge_t), UINT64_MAX);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&huge_t)), 1, "a repeating timer stays active");
    close_timer(&huge_t);
    finish_loop(loop);
}

Test(timer, uint64_max_timeout_and_repeat_never_fire_and_bound_the_poll, .timeout = 30)
{
    loop_t *loop = new_loop();
    huge_fired = 0;
    cr_assert_eq(loop_timer_init(loop, &huge_t), 0);
    cr_assert_eq(loop_timer_start(&huge_t, huge_cb, UINT64_MAX, UINT64_MAX), 0);
    cr_assert_eq(loop_timer_due_ns(&huge_t), UINT64_MAX);
    /* the poll timeout fits the poller's millisecond int (no overflow when rounding) */
    int64_t to = loop__timers_next_timeout_ns(loop);
    cr_assert(to > 0 && to <= (int64_t)INT32_MAX * 1000000, "next timeout %lld ns",
              (long long)to);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(huge_fired, 0);
    cr_assert_eq(loop_timer_start_ns(&huge_t, huge_cb, UINT64_MAX, UINT64_MAX), 0);
    cr_assert_eq(loop_timer_due_ns(&huge_t), UINT64_MAX);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(huge_fired, 0);
    close_timer(&huge_t);
    finish_loop(loop);
}
