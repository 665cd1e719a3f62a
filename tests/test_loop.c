/*
 * test_loop.c — the loop itself: run modes, stop, re-entrancy, loop_close
 * refusing open handles, the cached clock, alive counts, handle ids, sites
 * and loop_walk, close callbacks that free, and many loops in many threads.
 */
#include <fcntl.h>

#include "helpers.h"
#include "loop_task.h"
#include "core/internal.h" /* loop->idents: entries go with their handles */

static int fired;
static int closes;

static void on_close(loop_handle_t *h)
{
    (void)h;
    closes++;
}

static void free_on_close(loop_handle_t *h)
{
    closes++;
    free(h);
}

static void count_timer(loop_timer_t *t)
{
    (void)t;
    fired++;
}

Test(loop, empty_loop_runs_to_completion_in_every_mode, .timeout = 30)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_alive_count(loop), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_ONCE), 0, "ONCE with nothing active does not block");
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    cr_assert_eq(loop_close(loop), 0);
}

Test(loop, ids_follow_creation_order, .timeout = 30)
{
    loop_t *a = new_loop();
    loop_t *b = new_loop();
    loop_t *c = new_loop();
    cr_assert_geq(loop_id(a), 1);
    cr_assert_eq(loop_id(b), loop_id(a) + 1);
    cr_assert_eq(loop_id(c), loop_id(b) + 1);
    cr_assert_eq(loop_close(b), 0);
    loop_t *d = new_loop();
    cr_assert_eq(loop_id(d), loop_id(c) + 1, "loop ids are not reused");
    cr_assert_eq(loop_close(a), 0);
    cr_assert_eq(loop_close(c), 0);
    cr_assert_eq(loop_close(d), 0);
}

Test(loop, now_is_cached_until_updated, .timeout = 30)
{
    loop_t *loop = new_loop();
    uint64_t t0 = loop_now(loop);
    cr_assert_gt(t0, 0, "loop_now is a real clock value from loop_new on");
    hold_thread_ns(2 * MS_NS);
    cr_assert_eq(loop_now(loop), t0, "loop_now changes only per iteration or on update");
    loop_update_time(loop);
    uint64_t t1 = loop_now(loop);
    cr_assert_geq(t1, t0 + 1 * MS_NS, "update after 2 ms moved by only %llu ns",
                  (unsigned long long)(t1 - t0));
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, count_timer, 60000, 0), 0); /* so that NOWAIT iterates */
    hold_thread_ns(1 * MS_NS);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_gt(loop_now(loop), t1, "an iteration reads the clock");
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    finish_loop(loop);
}

Test(loop, alive_count_follows_active_handles, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t1, t2;
    loop_defer_t d;
    cr_assert_eq(loop_timer_init(loop, &t1), 0);
    cr_assert_eq(loop_timer_init(loop, &t2), 0);
    cr_assert_eq(loop_defer_init(loop, &d), 0);
    cr_assert_eq(loop_alive_count(loop), 0, "initialised handles are not active");
    cr_assert_eq(loop_timer_start(&t1, count_timer, 60000, 0), 0);
    cr_assert_eq(loop_alive_count(loop), 1);
    cr_assert_eq(loop_timer_start(&t2, count_timer, 60000, 0), 0);
    cr_assert_eq(loop_alive_count(loop), 2);
    cr_assert_eq(loop_timer_stop(&t1), 0);
    cr_assert_eq(loop_alive_count(loop), 1);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t2), on_close), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t2)), 0, "a closing handle is not active");
    cr_assert_eq(loop_alive_count(loop), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t1), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&d), on_close), 0);
    finish_loop(loop);
    cr_assert_eq(closes, 3);
    cr_assert_eq(fired, 0);
}

Test(loop, handle_states_from_init_to_closed, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t)), 0);
    cr_assert_eq(loop_handle_closing(LOOP_HANDLE(&t)), 0);
    cr_assert_eq(loop_timer_start(&t, count_timer, 60000, 0), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t)), 1);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_handle_closing(LOOP_HANDLE(&t)), 1);
    finish_loop(loop);
    cr_assert_eq(closes, 1);
    cr_assert_eq(fired, 0);
}

Test(loop, handle_active_is_ebadf_after_close, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(closes, 1);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&t)), -EBADF);
    cr_assert_eq(loop_handle_closing(LOOP_HANDLE(&t)), 1);
    finish_loop(loop);
}

/* loop_close --------------------------------------------------------------- */

Test(loop, close_refuses_open_handles_and_names_them, .timeout = 30)
{
    capture_logs();
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    loop_handle_set_name(LOOP_HANDLE(&t), "flusher");
    cr_assert_eq(loop_close(loop), -EBUSY, "an initialised (unstarted) handle is open");
    cr_assert(logs_contain("flusher"), "the open handle's name is logged:\n%s", logs_text());
    cr_assert(logs_contain("timer"), "the open handle's kind is logged:\n%s", logs_text());
    cr_assert(logs_contain("test_loop.c"), "the creation site is logged:\n%s", logs_text());

    /* the loop stays usable after -EBUSY */
    cr_assert_eq(loop_timer_start(&t, count_timer, 1, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 1);
    cr_assert_eq(loop_close(loop), -EBUSY, "a stopped handle is still open");
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    finish_loop(loop);
    cr_assert_eq(closes, 1);
}

Test(loop, close_is_busy_until_close_callbacks_ran, .timeout = 30)
{
    capture_logs(); /* loop_close reports the closing handle */
    loop_t *loop = new_loop();
    loop_timer_t *t = malloc(sizeof *t);
    cr_assert_eq(loop_timer_init(loop, t), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(t), free_on_close), 0);
    cr_assert_eq(loop_close(loop), -EBUSY, "a close callback is still due");
    cr_assert_eq(closes, 0);
    finish_loop(loop);
    cr_assert_eq(closes, 1);
}

/* Each kind's memory may be freed in its close callback (ASan checks the loop never touches it again). */
static void noop_io(loop_io_t *io, int events)
{
    (void)io;
    (void)events;
}

static void noop_signal(loop_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
}

static void noop_defer(loop_defer_t *d)
{
    (void)d;
}

static void noop_async(loop_async_t *a)
{
    (void)a;
}

Test(loop, close_callbacks_may_free_every_kind, .timeout = 30)
{
    loop_t *loop = new_loop();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    loop_timer_t *t = malloc(sizeof *t);
    loop_io_t *io = malloc(sizeof *io);
    loop_signal_t *s = malloc(sizeof *s);
    loop_defer_t *d = malloc(sizeof *d);
    loop_async_t *a = malloc(sizeof *a);
    cr_assert_eq(loop_timer_init(loop, t), 0);
    cr_assert_eq(loop_io_init(loop, io, p[0]), 0);
    cr_assert_eq(loop_signal_init(loop, s), 0);
    cr_assert_eq(loop_defer_init(loop, d), 0);
    cr_assert_eq(loop_async_init(loop, a, noop_async), 0);
    cr_assert_eq(loop_timer_start(t, count_timer, 0, 0), 0);
    cr_assert_eq(loop_io_start(io, noop_io, LOOP_READABLE), 0);
    cr_assert_eq(loop_signal_start(s, noop_signal, SIGWINCH), 0);
    cr_assert_eq(loop_defer_start(d, noop_defer), 0);
    cr_assert_eq(loop_async_send(a), 0);
    /* close everything while started and pending */
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(t), free_on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(io), free_on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(s), free_on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(d), free_on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(a), free_on_close), 0);
    finish_loop(loop);
    cr_assert_eq(closes, 5);
    cr_assert_eq(fired, 0);
    close(p[0]);
    close(p[1]);
}

/* Stop and re-entrancy --------------------------------------------------------- */

static void stop_at_three(loop_timer_t *t)
{
    fired++;
    if (fired == 3) {
        loop_stop(t->handle.loop);
    }
    if (fired == 5) {
        cr_assert_eq(loop_handle_close(LOOP_HANDLE(t), on_close), 0);
    }
}

Test(loop, stop_from_a_callback_returns_after_the_iteration, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, stop_at_three, 1, 1), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 1, "stopped with the timer still active");
    cr_assert_eq(fired, 3);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "a later run continues");
    cr_assert_eq(fired, 5);
    finish_loop(loop);
    cr_assert_eq(closes, 1);
}

static int nested_rc[3];

static void run_inside(loop_timer_t *t)
{
    loop_t *loop = t->handle.loop;
    fired++;
    nested_rc[0] = loop_run(loop, LOOP_RUN_DEFAULT);
    nested_rc[1] = loop_run(loop, LOOP_RUN_ONCE);
    nested_rc[2] = loop_run(loop, LOOP_RUN_NOWAIT);
}

Test(loop, run_from_inside_a_callback_is_ebusy, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t, other;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_init(loop, &other), 0);
    cr_assert_eq(loop_timer_start(&t, run_inside, 0, 0), 0);
    cr_assert_eq(loop_timer_start(&other, count_timer, 0, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(nested_rc[0], -EBUSY);
    cr_assert_eq(nested_rc[1], -EBUSY);
    cr_assert_eq(nested_rc[2], -EBUSY);
    cr_assert_eq(fired, 2, "the nested calls ran nothing and the outer run went on");
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&other), on_close), 0);
    finish_loop(loop);
}

static void io_count(loop_io_t *io, int events)
{
    (void)io;
    (void)events;
    fired++;
}

Test(loop, nowait_never_blocks, .timeout = 30)
{
    loop_t *loop = new_loop();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    loop_io_t io;
    loop_timer_t t;
    loop_async_t a;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, io_count, LOOP_READABLE), 0); /* never readable */
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, count_timer, 600000, 0), 0); /* 10 minutes */
    cr_assert_eq(loop_async_init(loop, &a, noop_async), 0);
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1); /* a block would hit .timeout */
    }
    cr_assert_eq(fired, 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&io), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&a), on_close), 0);
    finish_loop(loop);
    cr_assert_eq(closes, 3);
    close(p[0]);
    close(p[1]);
}

Test(loop, once_blocks_until_something_happens, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, count_timer, 20, 0), 0);
    uint64_t due = loop_timer_due_ns(&t);
    int runs = 0;
    do {
        int rc = loop_run(loop, LOOP_RUN_ONCE);
        cr_assert_geq(rc, 0);
        runs++;
    } while (fired == 0);
    cr_assert_leq(runs, 2, "ONCE returned %d times without anything to do", runs);
    cr_assert_geq(loop_now(loop), due);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    finish_loop(loop);
}

/* Ids, sites, walk --------------------------------------------------------------- */

struct walk_rec {
    loop_handle_t *h[16];
    int n;
    int stop_at;
};

static int walk_collect(loop_handle_t *h, void *arg)
{
    struct walk_rec *r = arg;
    r->h[r->n++] = h;
    return r->n == r->stop_at;
}

Test(loop, walk_visits_handles_in_creation_order_with_ids_and_sites, .timeout = 30)
{
    loop_t *loop = new_loop();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    loop_timer_t t;
    loop_io_t io;
    loop_signal_t s;
    loop_defer_t d;
    loop_async_t a;
    int line[5];
    line[0] = __LINE__; cr_assert_eq(loop_timer_init(loop, &t), 0);
    line[1] = __LINE__; cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    line[2] = __LINE__; cr_assert_eq(loop_signal_init(loop, &s), 0);
    line[3] = __LINE__; cr_assert_eq(loop_defer_init(loop, &d), 0);
    line[4] = __LINE__; cr_assert_eq(loop_async_init(loop, &a, noop_async), 0);
    loop_handle_set_name(LOOP_HANDLE(&io), "reader");

    loop_handle_t *expect[5] = {LOOP_HANDLE(&t), LOOP_HANDLE(&io), LOOP_HANDLE(&s),
                                LOOP_HANDLE(&d), LOOP_HANDLE(&a)};
    const int kinds[5] = {LOOP_KIND_TIMER, LOOP_KIND_IO, LOOP_KIND_SIGNAL, LOOP_KIND_DEFER,
                          LOOP_KIND_ASYNC};
    struct walk_rec r = {.n = 0, .stop_at = -1};
    cr_assert_geq(loop_walk(loop, walk_collect, &r), 0);
    cr_assert_eq(r.n, 5);
    for (int i = 0; i < 5; i++) {
        loop_handle_t *h = r.h[i];
        cr_assert_eq(h, expect[i], "walk position %d", i);
        cr_assert_eq(h->id, (uint64_t)i + 1, "handle %d has id %llu", i,
                     (unsigned long long)h->id);
        cr_assert_eq(h->kind, kinds[i]);
        cr_assert_eq(h->loop, loop);
        cr_assert_eq(loop_handle_parent_task(h), 0);
        cr_assert_not_null(h->site);
        cr_assert_not_null(strstr(h->site->file, "test_loop.c"), "site file %s",
                           h->site->file);
        cr_assert_eq(h->site->line, line[i], "site line %d, created on %d", h->site->line,
                     line[i]);
        cr_assert_str_eq(h->site->func, __func__);
    }
    cr_assert_null(loop_handle_name(&t.handle));
    cr_assert_str_eq(loop_handle_name(&io.handle), "reader");

    /* a non-zero return stops the walk */
    struct walk_rec early = {.n = 0, .stop_at = 2};
    loop_walk(loop, walk_collect, &early);
    cr_assert_eq(early.n, 2);

    /* closed handles are no longer visited */
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&io), on_close), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1); /* the async keeps it alive */
    cr_assert_eq(closes, 1);
    struct walk_rec after = {.n = 0, .stop_at = -1};
    loop_walk(loop, walk_collect, &after);
    cr_assert_eq(after.n, 4);
    cr_assert_eq(after.h[0]->id, 1);
    cr_assert_eq(after.h[1]->id, 3);
    cr_assert_eq(after.h[2]->id, 4);
    cr_assert_eq(after.h[3]->id, 5);

    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&s), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&d), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&a), on_close), 0);
    finish_loop(loop);
    cr_assert_eq(closes, 5);
    close(p[0]);
    close(p[1]);
}

/* The same sequence of calls gives the same ids, in any loop; ids are never reused. */
static void id_script(loop_t *loop, uint64_t ids[6])
{
    loop_timer_t *t1 = malloc(sizeof *t1), *t2 = malloc(sizeof *t2), *t3 = malloc(sizeof *t3);
    loop_defer_t *d = malloc(sizeof *d);
    cr_assert_eq(loop_timer_init(loop, t1), 0);
    cr_assert_eq(loop_defer_init(loop, d), 0);
    cr_assert_eq(loop_timer_init(loop, t2), 0);
    ids[0] = t1->handle.id;
    ids[1] = d->handle.id;
    ids[2] = t2->handle.id;
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(t2), free_on_close), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_timer_init(loop, t3), 0); /* may reuse t2's memory slot, not its id */
    ids[3] = t3->handle.id;
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(t1), free_on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(d), free_on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(t3), free_on_close), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    loop_defer_t *d2 = malloc(sizeof *d2);
    cr_assert_eq(loop_defer_init(loop, d2), 0);
    ids[4] = d2->handle.id;
    ids[5] = loop_id(loop);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(d2), free_on_close), 0);
}

Test(loop, handle_ids_are_deterministic_and_never_reused, .timeout = 30)
{
    loop_t *a = new_loop();
    loop_t *b = new_loop();
    uint64_t ia[6], ib[6];
    id_script(a, ia);
    id_script(b, ib);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(ia[i], ib[i], "id %d differs between identical loops: %llu vs %llu", i,
                     (unsigned long long)ia[i], (unsigned long long)ib[i]);
    }
    cr_assert_eq(ia[0], 1);
    cr_assert_eq(ia[1], 2);
    cr_assert_eq(ia[2], 3);
    cr_assert_eq(ia[3], 4, "a closed handle's id is not reused");
    cr_assert_eq(ia[4], 5);
    cr_assert_neq(ia[5], ib[5], "loops have distinct ids");
    finish_loop(a);
    finish_loop(b);
    cr_assert_eq(closes, 10);
}

/*
 * Names and parent tasks live in a per-loop side table (ident.c), not in the
 * header: many handles, some named, some created by a task, closed in a
 * scattered order, must keep exactly their own name and parent throughout
 * (the table grows and deletes by backward shift), and a closed handle's
 * entry goes with it.
 */
#define NIDENT 3000
static loop_timer_t ident_timers[NIDENT];
static char ident_names[NIDENT][16];

static void ident_check(int closed_upto_odd)
{
    for (int i = 0; i < NIDENT; i++) {
        loop_handle_t *h = LOOP_HANDLE(&ident_timers[i]);
        if (closed_upto_odd && i % 2 == 1) {
            continue; /* closed */
        }
        if (i % 3 == 0) {
            cr_assert_str_eq(loop_handle_name(h), ident_names[i], "timer %d", i);
        } else {
            cr_assert_null(loop_handle_name(h), "timer %d has name %s", i, loop_handle_name(h));
        }
        cr_assert_eq(loop_handle_parent_task(h), 0);
    }
}

static loop_timer_t task_timer;
static uint64_t task_timer_parent, task_self;

static intptr_t ident_task(void *arg)
{
    loop_t *loop = arg;

    task_self = loop_task_id(loop_task_current());
    cr_assert_eq(loop_timer_init(loop, &task_timer), 0);
    task_timer_parent = loop_handle_parent_task(LOOP_HANDLE(&task_timer));
    cr_assert_eq(loop_handle_set_name(LOOP_HANDLE(&task_timer), "in-task"), 0);
    return 0;
}

static const char *ident_close_name;
static uint64_t ident_close_parent;

static void ident_on_close(loop_handle_t *h)
{
    ident_close_name = loop_handle_name(h);
    ident_close_parent = loop_handle_parent_task(h);
}

Test(loop, names_and_parent_tasks_survive_many_handles_and_closes, .timeout = 30)
{
    loop_t *loop = new_loop();

    for (int i = 0; i < NIDENT; i++) {
        cr_assert_eq(loop_timer_init(loop, &ident_timers[i]), 0);
        if (i % 3 == 0) {
            snprintf(ident_names[i], sizeof(ident_names[i]), "t%d", i);
            cr_assert_eq(loop_handle_set_name(LOOP_HANDLE(&ident_timers[i]), ident_names[i]), 0);
        }
    }
    /* a second name replaces the first; NULL removes it */
    cr_assert_eq(loop_handle_set_name(LOOP_HANDLE(&ident_timers[1]), "gone"), 0);
    cr_assert_eq(loop_handle_set_name(LOOP_HANDLE(&ident_timers[1]), NULL), 0);
    cr_assert_eq(loop_handle_set_name(LOOP_HANDLE(&ident_timers[3]), "x"), 0);
    cr_assert_eq(loop_handle_set_name(LOOP_HANDLE(&ident_timers[3]), ident_names[3]), 0);
    ident_check(0);

    loop_task_t *t = loop_spawn(loop, ident_task, loop, "namer");
    cr_assert_not_null(t);
    cr_assert_str_eq(loop_task_name(t), "namer");
    cr_assert_eq(loop_task_detach(t), 0); /* freed when it ends: its entry goes */
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    cr_assert_neq(task_self, 0);
    cr_assert_eq(task_timer_parent, task_self, "a handle created in a task names the task");
    cr_assert_str_eq(loop_handle_name(LOOP_HANDLE(&task_timer)), "in-task");
    cr_assert_eq(loop_handle_parent_task(LOOP_HANDLE(&task_timer)), task_self);
    cr_assert_eq(loop_handle_parent_task(LOOP_HANDLE(&ident_timers[0])), 0);

    /* close every odd one, from the end: the entries of the rest must move right */
    for (int i = NIDENT - 1; i >= 0; i--) {
        if (i % 2 == 1) {
            cr_assert_eq(loop_handle_close(LOOP_HANDLE(&ident_timers[i]), NULL), 0);
        }
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    ident_check(1);
    cr_assert_str_eq(loop_handle_name(LOOP_HANDLE(&task_timer)), "in-task");
    cr_assert_eq(loop_handle_set_name(LOOP_HANDLE(&ident_timers[1]), "late"), -EBADF,
                 "a closed handle takes no name (its entry would outlive it)");
    cr_assert_eq(loop_handle_set_name(NULL, "x"), -EINVAL);
    cr_assert_null(loop_handle_name(NULL));

    for (int i = 0; i < NIDENT; i += 2) {
        cr_assert_eq(loop_handle_close(LOOP_HANDLE(&ident_timers[i]), NULL), 0);
    }
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&task_timer), ident_on_close), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    cr_assert_str_eq(ident_close_name, "in-task", "the close callback still sees the name");
    cr_assert_eq(ident_close_parent, task_self);
    cr_assert_eq(loop->idents.len, 0, "%u side-table entries outlive their handles",
                 loop->idents.len);
    cr_assert_eq(loop_close(loop), 0);
}

/* Many loops in many threads ------------------------------------------------------ */

#define NTHREADS 8
#define TICKS 20

struct worker {
    pthread_t th;
    pthread_t self; /* set by the worker itself */
    int index;
    pthread_barrier_t *ready;
    pthread_barrier_t *sent;
    loop_t *loop;
    loop_timer_t timer;
    loop_async_t async;
    atomic_int quit;
    int ticks;
    int async_calls;
    int timer_closed;
    int quit_seen;
    int wrong_thread;
    uint64_t loop_id;
    int init_rc;
    int run_rc;
    int close_rc;
    int closes;
};

static void worker_close_cb(loop_handle_t *h)
{
    struct worker *w = h->data;
    w->closes++;
}

static void worker_maybe_stop(struct worker *w)
{
    if (w->timer_closed && w->quit_seen) {
        loop_stop(w->loop);
    }
}

static void worker_tick(loop_timer_t *t)
{
    struct worker *w = t->handle.data;
    if (!pthread_equal(pthread_self(), w->self)) {
        w->wrong_thread++;
    }
    if (++w->ticks == TICKS) {
        loop_handle_close(LOOP_HANDLE(t), worker_close_cb);
        w->timer_closed = 1;
        worker_maybe_stop(w);
    }
}

static void worker_async(loop_async_t *a)
{
    struct worker *w = a->handle.data;
    if (!pthread_equal(pthread_self(), w->self)) {
        w->wrong_thread++;
    }
    w->async_calls++;
    if (atomic_load(&w->quit)) {
        w->quit_seen = 1;
        worker_maybe_stop(w);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->self = pthread_self();
    w->loop = loop_new();
    if (w->loop == NULL) {
        w->init_rc = -errno;
        pthread_barrier_wait(w->ready);
        pthread_barrier_wait(w->sent);
        return NULL;
    }
    w->loop_id = loop_id(w->loop);
    w->init_rc = loop_timer_init(w->loop, &w->timer);
    w->timer.handle.data = w;
    if (w->init_rc == 0) {
        w->init_rc = loop_timer_start(&w->timer, worker_tick, 1, 1);
    }
    if (w->init_rc == 0) {
        w->init_rc = loop_async_init(w->loop, &w->async, worker_async);
        w->async.handle.data = w;
    }
    pthread_barrier_wait(w->ready);
    w->run_rc = loop_run(w->loop, LOOP_RUN_DEFAULT);
    /* the async stays open until every sender is done with it */
    pthread_barrier_wait(w->sent);
    loop_handle_close(LOOP_HANDLE(&w->async), worker_close_cb);
    int rc = loop_run(w->loop, LOOP_RUN_DEFAULT);
    if (w->run_rc == 1 && rc != 0) {
        w->run_rc = rc;
    }
    w->close_rc = loop_close(w->loop);
    return NULL;
}

Test(loop, many_loops_in_many_threads, .timeout = 30)
{
    static struct worker w[NTHREADS];
    pthread_barrier_t ready, sent;
    pthread_barrier_init(&ready, NULL, NTHREADS + 1);
    pthread_barrier_init(&sent, NULL, NTHREADS + 1);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].index = i;
        w[i].ready = &ready;
        w[i].sent = &sent;
        atomic_init(&w[i].quit, 0);
        cr_assert_eq(pthread_create(&w[i].th, NULL, worker_main, &w[i]), 0);
    }
    pthread_barrier_wait(&ready);
    for (int i = 0; i < NTHREADS; i++) {
        cr_assert_eq(w[i].init_rc, 0, "worker %d: %s", i, loop_strerror(w[i].init_rc));
    }
    /* wake every loop a few times from this thread, then tell it to quit */
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < NTHREADS; i++) {
            cr_assert_eq(loop_async_send(&w[i].async), 0);
        }
    }
    for (int i = 0; i < NTHREADS; i++) {
        atomic_store(&w[i].quit, 1);
        cr_assert_eq(loop_async_send(&w[i].async), 0);
    }
    pthread_barrier_wait(&sent);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(w[i].th, NULL);
    }
    for (int i = 0; i < NTHREADS; i++) {
        cr_assert_eq(w[i].run_rc, 1, "worker %d: loop_run %d (stopped with the async open)", i,
                     w[i].run_rc);
        cr_assert_eq(w[i].ticks, TICKS, "worker %d", i);
        cr_assert_geq(w[i].async_calls, 1, "worker %d", i);
        cr_assert_leq(w[i].async_calls, 101, "worker %d", i);
        cr_assert_eq(w[i].wrong_thread, 0, "worker %d: callback on another thread", i);
        cr_assert_eq(w[i].closes, 2, "worker %d", i);
        cr_assert_eq(w[i].close_rc, 0, "worker %d: loop_close %d", i, w[i].close_rc);
        for (int j = 0; j < i; j++) {
            cr_assert_neq(w[i].loop_id, w[j].loop_id, "loops %d and %d share an id", i, j);
        }
    }
    pthread_barrier_destroy(&ready);
    pthread_barrier_destroy(&sent);
}
