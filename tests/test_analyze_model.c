/*
 * test_analyze_model.c — loop-analyze's model and findings on synthetic
 * event sequences (no trace, no babeltrace2): a lock deadlock, a join
 * cycle, a join chain stuck on an event, leaks grouped by site, slow
 * callbacks and stalls, lock hand-offs, filters, and garbage in any order;
 * with trace format minor 1: joins and detaches, tasks never joined, sync
 * objects (futures never resolved, locks never freed, a wait on a freed
 * object), memory bounded by live objects, and minor-0 loops left alone;
 * task I/O (task_io): sums per task name and per loop, EAGAIN, end of file,
 * errors by errno, I/O outside tasks, and minor-0 loops shown as not traced;
 * with format minor 2: lock hand-offs (no false cycle), loops that ran out
 * of work (a cycle through a channel, a lost wakeup, an unknown edge), kept
 * after the program cancels the tasks.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "report.h"

#define MS (1000 * 1000ULL)

static uint64_t now_ns = 1000 * MS;

static struct event ev(enum ev_type type, uint64_t id)
{
    struct event e;

    memset(&e, 0, sizeof e);
    e.type = type;
    e.ts_ns = now_ns;
    e.vpid = 100;
    e.vtid = 100;
    e.procname = "prog";
    e.loop_id = 1;
    e.id = id;
    e.name = "";
    e.site.file = "";
    e.site.func = "";
    e.timeout_ns = -1;
    e.fd = -1;
    e.backtrace = "";
    e.msg = "";
    return e;
}

static void feed(struct model *m, struct event e)
{
    cr_assert_eq(model_feed(m, &e), 0);
}

static void at(uint64_t ms)
{
    now_ns = 1000 * MS + ms * MS;
}

static void loop_start(struct model *m)
{
    struct event e = ev(EV_LOOP_NEW, 0);

    at(0);
    e.format_version = 1;
    e.now_ns = 5 * MS;
    feed(m, e);
    feed(m, ev(EV_RUN_BEGIN, 0));
}

static void spawn(struct model *m, uint64_t id, const char *name, const char *file, int line)
{
    struct event e = ev(EV_TASK_NEW, id);

    e.name = name;
    e.site.file = file;
    e.site.func = "main";
    e.site.line = line;
    feed(m, e);
    /* libloop's internal timeout timer: next id, same site, right after task_new */
    e = ev(EV_HANDLE_NEW, id + 1);
    e.kind = KIND_TIMER;
    e.site.file = file;
    e.site.func = "main";
    e.site.line = line;
    feed(m, e);
    e = ev(EV_TASK_READY, id);
    feed(m, e);
}

static void run(struct model *m, uint64_t id)
{
    struct event e = ev(EV_CALLBACK_BEGIN, id);

    e.kind = KIND_TASK;
    feed(m, e);
    feed(m, ev(EV_TASK_RUN, id));
}

static void suspend(struct model *m, uint64_t id, int wk, uint64_t obj, int64_t timeout_ns,
                    const char *file, int line, const char *func)
{
    struct event e = ev(EV_TASK_SUSPEND, id);

    e.wait_kind = (uint8_t)wk;
    e.obj_id = obj;
    e.timeout_ns = timeout_ns;
    e.site.file = file;
    e.site.line = line;
    e.site.func = func;
    feed(m, e);
    e = ev(EV_CALLBACK_END, id);
    e.kind = KIND_TASK;
    feed(m, e);
}

static void ready(struct model *m, uint64_t id, int by_kind, uint64_t by_id)
{
    struct event e = ev(EV_TASK_READY, id);

    e.kind = (uint8_t)by_kind;
    e.by_id = by_id;
    feed(m, e);
}

static void done(struct model *m, uint64_t id, int state, int err)
{
    struct event e = ev(EV_TASK_DONE, id);

    e.state = (uint8_t)state;
    e.err = err;
    feed(m, e);
    e = ev(EV_CALLBACK_END, id);
    e.kind = KIND_TASK;
    feed(m, e);
}

static void handle(struct model *m, uint64_t id, int kind, const char *file, int line)
{
    struct event e = ev(EV_HANDLE_NEW, id);

    e.kind = (uint8_t)kind;
    e.site.file = file;
    e.site.line = line;
    e.site.func = "setup";
    feed(m, e);
}

static void handle_ev(struct model *m, enum ev_type t, uint64_t id, int kind)
{
    struct event e = ev(t, id);

    e.kind = (uint8_t)kind;
    feed(m, e);
}

static struct model *new_model(void)
{
    struct model_opts o = {.threshold_ns = 100 * MS, .keep_intervals = 1, .pid = -1, .loop = -1};
    struct model *m = model_new(&o);

    cr_assert_not_null(m);
    return m;
}

static struct aopts opts = {.command = "test", .threshold_ns = 100 * MS, .pid = -1, .loop = -1, .width = 40};

static struct ctx ctx_of(struct model *m)
{
    struct ctx c;

    memset(&c, 0, sizeof c);
    c.m = m;
    c.o = &opts;
    c.out = stdout;
    return c;
}

static const char *site_file(const struct model *m, uint32_t site)
{
    return model_str(m, model_site(m, site)->file);
}

/* Two tasks take two locks in opposite order (ids 1, 2 are the locks). */
static void two_lock_deadlock(struct model *m)
{
    loop_start(m);
    spawn(m, 3, "alpha", "dl.c", 20);
    spawn(m, 5, "beta", "dl.c", 21);
    at(1);
    run(m, 3); /* takes lock 1 (not traced), sleeps */
    suspend(m, 3, WAIT_SLEEP, 0, 10 * MS, "dl.c", 8, "ta");
    run(m, 5); /* takes lock 2, sleeps */
    suspend(m, 5, WAIT_SLEEP, 0, 10 * MS, "dl.c", 14, "tb");
    at(11);
    ready(m, 3, KIND_TIMER, 4);
    ready(m, 5, KIND_TIMER, 6);
    run(m, 3);
    suspend(m, 3, WAIT_LOCK, 2, -1, "dl.c", 9, "ta");
    run(m, 5);
    suspend(m, 5, WAIT_LOCK, 1, -1, "dl.c", 15, "tb");
}

Test(analyze_model, lock_deadlock_is_one_cycle_naming_both_tasks_and_lock_sites, .timeout = 5)
{
    struct model *m = new_model();
    const struct cycle *c;
    int seen3 = 0, seen5 = 0;
    size_t i;

    two_lock_deadlock(m);
    at(100);
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);
    cr_assert_eq(m->ncycles, 1, "cycles: %zu", m->ncycles);
    c = &m->cycles[0];
    cr_assert_eq(c->n, 2);
    cr_assert_eq(c->broken_ts, 0);
    for (i = 0; i < c->n; i++) {
        const struct cycle_edge *e = &c->edges[i];
        const struct msite *s = model_site(m, e->wait_site);
        cr_assert_eq(e->wait_kind, WAIT_LOCK);
        cr_assert_eq(e->inferred, 1, "owner inferred from the only candidate");
        cr_assert_str_eq(site_file(m, e->wait_site), "dl.c");
        if (e->task == 3) {
            seen3 = 1;
            cr_assert_eq(e->obj, 2);
            cr_assert_eq(s->line, 9);
            cr_assert_str_eq(model_str(m, e->name), "alpha");
        } else if (e->task == 5) {
            seen5 = 1;
            cr_assert_eq(e->obj, 1);
            cr_assert_eq(s->line, 15);
            cr_assert_str_eq(model_str(m, e->name), "beta");
        }
    }
    cr_assert(seen3 && seen5);
    model_free(m);
}

Test(analyze_model, deadlocked_tasks_are_classified_deadlock_and_counted_by_check, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct hang *h;
    struct findings f;
    size_t n, i;

    two_lock_deadlock(m);
    at(100);
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);
    cr_assert_eq(hangs_collect(&c, &h, &n), 0);
    cr_assert_eq(n, 2);
    for (i = 0; i < n; i++) {
        cr_assert_eq(h[i].cls, HANG_DEADLOCK, "task %llu: %s", (unsigned long long)h[i].t->o.id,
                     hang_class_name(h[i].cls));
    }
    free(h);
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.deadlocks, 1);
    cr_assert_eq(f.leaked_tasks, 2, "the deadlocked tasks never finish");
    cr_assert_eq(f.leaked_handles, 0, "task timeout timers are not user handles");
    model_free(m);
}

Test(analyze_model, deadlock_broken_by_a_timeout_is_still_reported, .timeout = 5)
{
    struct model *m = new_model();

    loop_start(m);
    spawn(m, 3, "a", "x.c", 1);
    spawn(m, 5, "b", "x.c", 2);
    run(m, 3);
    suspend(m, 3, WAIT_LOCK, 2, 50 * MS, "x.c", 10, "fa");
    run(m, 5);
    suspend(m, 5, WAIT_LOCK, 1, -1, "x.c", 20, "fb");
    at(60);
    ready(m, 3, KIND_TIMER, 4); /* the acquire timed out */
    run(m, 3);
    done(m, 3, TS_FAILED, -110);
    model_finish(m);
    cr_assert_eq(m->ncycles, 1);
    cr_assert_neq(m->cycles[0].broken_ts, 0);
    model_free(m);
}

Test(analyze_model, join_cycle_needs_no_inference, .timeout = 5)
{
    struct model *m = new_model();

    loop_start(m);
    spawn(m, 1, "p", "j.c", 1);
    spawn(m, 3, "q", "j.c", 2);
    spawn(m, 5, "other", "j.c", 3); /* alive, not involved */
    run(m, 1);
    suspend(m, 1, WAIT_JOIN, 3, -1, "j.c", 10, "p");
    run(m, 3);
    suspend(m, 3, WAIT_JOIN, 1, -1, "j.c", 20, "q");
    cr_assert_eq(m->ncycles, 1, "found as soon as the second join suspends");
    cr_assert_eq(m->cycles[0].n, 2);
    cr_assert_eq(m->cycles[0].edges[0].inferred, 0);
    cr_assert_eq(m->cycles[0].edges[1].inferred, 0);
    model_finish(m);
    cr_assert_eq(m->ncycles, 1, "deduplicated");
    model_free(m);
}

Test(analyze_model, join_chain_ending_on_an_event_is_stuck_with_its_chain, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct hang *h;
    size_t n, i, stuck = 0;
    int inferred;
    size_t ncand;

    loop_start(m);
    spawn(m, 1, "top", "c.c", 1);
    spawn(m, 3, "mid", "c.c", 2);
    spawn(m, 5, "leaf", "c.c", 3);
    run(m, 1);
    suspend(m, 1, WAIT_JOIN, 3, -1, "c.c", 10, "top");
    run(m, 3);
    suspend(m, 3, WAIT_JOIN, 5, -1, "c.c", 20, "mid");
    run(m, 5);
    suspend(m, 5, WAIT_EVENT, 9, -1, "c.c", 30, "leaf");
    at(500);
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);
    cr_assert_eq(m->ncycles, 0);
    cr_assert_eq(model_wait_target(m, m->loops[0], model_task(m->loops[0], 1), &inferred, &ncand), 3);
    cr_assert_eq(model_wait_target(m, m->loops[0], model_task(m->loops[0], 3), &inferred, &ncand), 5);
    cr_assert_eq(model_wait_target(m, m->loops[0], model_task(m->loops[0], 5), &inferred, &ncand), 0);
    cr_assert_eq(hangs_collect(&c, &h, &n), 0);
    for (i = 0; i < n; i++) {
        cr_assert_eq(h[i].cls, HANG_STUCK, "the loop stopped: nothing completes these waits");
        stuck++;
    }
    cr_assert_eq(stuck, 3);
    free(h);
    model_free(m);
}

Test(analyze_model, blocked_wait_in_a_running_loop_is_a_hang_after_the_threshold, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct hang *h;
    size_t n;

    loop_start(m);
    spawn(m, 1, "w", "h.c", 1);
    spawn(m, 3, "server", "h.c", 2);
    run(m, 1);
    suspend(m, 1, WAIT_FUTURE, 7, -1, "h.c", 10, "w");
    run(m, 3);
    suspend(m, 3, WAIT_FD, 4, -1, "h.c", 20, "accept");
    at(50);
    feed(m, ev(EV_ITER_BEGIN, 0));
    model_finish(m); /* still running: killed */
    cr_assert_eq(hangs_collect(&c, &h, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(h[0].t->o.id == 1 ? h[0].cls : h[1].cls, HANG_IDLE, "50 ms < threshold");
    free(h);
    model_free(m);

    m = new_model();
    c = ctx_of(m);
    loop_start(m);
    spawn(m, 1, "w", "h.c", 1);
    spawn(m, 3, "server", "h.c", 2);
    run(m, 1);
    suspend(m, 1, WAIT_FUTURE, 7, -1, "h.c", 10, "w");
    run(m, 3);
    suspend(m, 3, WAIT_FD, 4, -1, "h.c", 20, "accept");
    at(2000);
    feed(m, ev(EV_ITER_BEGIN, 0));
    model_finish(m);
    cr_assert_eq(hangs_collect(&c, &h, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(h[0].t->o.id == 1 ? h[0].cls : h[1].cls, HANG_LONG);
    cr_assert_eq(h[0].t->o.id == 3 ? h[0].cls : h[1].cls, HANG_IDLE, "an fd wait is not a hang");
    free(h);
    model_free(m);
}

Test(analyze_model, leaks_are_grouped_by_site_with_counts_and_times, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct leak_group *g;
    size_t n, i;
    int timers = 0, ios = 0, tasks = 0;

    loop_start(m);
    at(1);
    handle(m, 1, KIND_TIMER, "leak.c", 10);
    at(2);
    handle(m, 2, KIND_TIMER, "leak.c", 10);
    at(3);
    handle(m, 3, KIND_TIMER, "leak.c", 10);
    handle(m, 4, KIND_TIMER, "leak.c", 10); /* closed below */
    handle(m, 5, KIND_IO, "leak.c", 20);
    handle(m, 6, KIND_IO, "leak.c", 20);
    handle(m, 7, KIND_DEFER, "leak.c", 30); /* a call-soon that runs */
    handle_ev(m, EV_HANDLE_CLOSE, 4, KIND_TIMER);
    handle_ev(m, EV_CALLBACK_BEGIN, 4, KIND_CLOSE);
    handle_ev(m, EV_CALLBACK_END, 4, KIND_CLOSE);
    handle_ev(m, EV_CALLBACK_BEGIN, 7, KIND_DEFER);
    handle_ev(m, EV_HANDLE_STOP, 7, KIND_DEFER);
    handle_ev(m, EV_CALLBACK_END, 7, KIND_DEFER);
    spawn(m, 8, "forgotten", "leak.c", 40);
    spawn(m, 10, "fine", "leak.c", 41);
    run(m, 10);
    done(m, 10, TS_DONE, 0);
    run(m, 8);
    suspend(m, 8, WAIT_SLEEP, 0, 1000 * MS, "leak.c", 50, "f");
    at(5);
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);
    cr_assert_eq(leaks_collect(&c, &g, &n), 0);
    for (i = 0; i < n; i++) {
        const struct msite *s = model_site(m, g[i].site);
        cr_assert(g[i].confirmed);
        if (!g[i].is_task && g[i].kind == KIND_TIMER) {
            timers++;
            cr_assert_eq(g[i].count, 3);
            cr_assert_eq(s->line, 10);
            cr_assert_eq(g[i].first_ts, 1000 * MS + 1 * MS);
            cr_assert_eq(g[i].last_ts, 1000 * MS + 3 * MS);
        } else if (!g[i].is_task && g[i].kind == KIND_IO) {
            ios++;
            cr_assert_eq(g[i].count, 2);
            cr_assert_eq(s->line, 20);
        } else if (g[i].is_task) {
            tasks++;
            cr_assert_eq(g[i].count, 1);
            cr_assert_eq(s->line, 40);
            cr_assert_str_eq(model_str(m, g[i].names[0]), "forgotten");
        } else {
            cr_assert_fail("unexpected leak group kind %d", g[i].kind);
        }
    }
    cr_assert_eq(timers, 1);
    cr_assert_eq(ios, 1);
    cr_assert_eq(tasks, 1);
    free(g);
    model_free(m);
}

Test(analyze_model, objects_alive_in_a_running_loop_are_not_confirmed_leaks, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct findings f;

    loop_start(m);
    handle(m, 1, KIND_IO, "srv.c", 5);
    feed(m, ev(EV_ITER_BEGIN, 0));
    model_finish(m);
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.leaked_handles, 0);
    cr_assert_eq(f.total, 0);
    model_free(m);
}

Test(analyze_model, slow_callback_stall_and_crash_site_are_found, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct findings f;
    struct event e;

    loop_start(m);
    handle(m, 1, KIND_TIMER, "stall.c", 12);
    handle_ev(m, EV_HANDLE_START, 1, KIND_TIMER);
    at(10);
    handle_ev(m, EV_CALLBACK_BEGIN, 1, KIND_TIMER);
    at(260);
    e = ev(EV_STALL, 1);
    e.duration_ns = 250 * MS;
    e.vtid = 101;
    e.backtrace = "#0 nanosleep\n#1 block_the_loop (stall.c:30)\n#2 on_timer";
    feed(m, e);
    at(300);
    handle_ev(m, EV_CALLBACK_END, 1, KIND_TIMER);
    e = ev(EV_SLOW_CALLBACK, 1);
    e.kind = KIND_TIMER;
    e.duration_ns = 290 * MS;
    e.site.file = "stall.c";
    e.site.line = 12;
    e.site.func = "main";
    feed(m, e);
    /* then a task step that never ends: the process died inside it */
    spawn(m, 2, "victim", "stall.c", 40);
    at(310);
    run(m, 2);
    model_finish(m);
    cr_assert_eq(m->stalls_total, 1);
    cr_assert_eq(m->stalls[0].kind, KIND_TIMER);
    cr_assert_not_null(strstr(m->stalls[0].backtrace, "block_the_loop"));
    cr_assert_eq(m->slow_steps.total, 1);
    cr_assert_eq(m->slow_steps.v[0].duration_ns, 290 * MS);
    cr_assert_eq(m->slow_events.total, 1);
    cr_assert_eq(m->ncrashes, 1);
    cr_assert_eq(m->crashes[0].id, 2);
    cr_assert_eq(m->crashes[0].kind, KIND_TASK);
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.stalls, 1);
    cr_assert_eq(f.slow_steps, 1);
    model_free(m);
}

Test(analyze_model, a_lock_handoff_names_the_new_owner, .timeout = 5)
{
    struct model *m = new_model();
    const struct mlock *k;

    loop_start(m);
    spawn(m, 3, "holder", "l.c", 1);
    spawn(m, 5, "waiter", "l.c", 2);
    run(m, 3);
    suspend(m, 3, WAIT_SLEEP, 0, MS, "l.c", 10, "h"); /* holds lock 1 */
    run(m, 5);
    suspend(m, 5, WAIT_LOCK, 1, -1, "l.c", 20, "w");
    ready(m, 3, KIND_TIMER, 4);
    run(m, 3);
    ready(m, 5, KIND_TASK, 3); /* released: handed to 5 */
    done(m, 3, TS_DONE, 0);
    k = model_lock(m->loops[0], 1);
    cr_assert_not_null(k);
    cr_assert_eq(k->owner, 5);
    cr_assert_eq(k->how, OWNER_HANDOFF);
    model_finish(m);
    model_free(m);
}

Test(analyze_model, traced_lock_owner_beats_inference, .timeout = 5)
{
    struct model *m = new_model();
    struct event e;

    loop_start(m);
    spawn(m, 3, "a", "o.c", 1);
    spawn(m, 5, "b", "o.c", 2);
    spawn(m, 7, "bystander", "o.c", 3); /* makes inference ambiguous */
    run(m, 3);
    e = ev(EV_TASK_SUSPEND, 3);
    e.wait_kind = WAIT_LOCK;
    e.obj_id = 2;
    e.wait_task = 5;
    e.site.file = "o.c";
    e.site.line = 10;
    feed(m, e);
    handle_ev(m, EV_CALLBACK_END, 3, KIND_TASK);
    run(m, 5);
    e = ev(EV_TASK_SUSPEND, 5);
    e.wait_kind = WAIT_LOCK;
    e.obj_id = 1;
    e.wait_task = 3;
    e.site.file = "o.c";
    e.site.line = 20;
    feed(m, e);
    cr_assert_eq(m->ncycles, 1, "known owners: found at the suspend");
    cr_assert_eq(m->cycles[0].edges[0].inferred, 0);
    model_finish(m);
    model_free(m);
}

Test(analyze_model, filters_keep_only_the_selected_process_and_loop, .timeout = 5)
{
    struct model_opts o = {.threshold_ns = 100 * MS, .pid = 100, .loop = 2};
    struct model *m = model_new(&o);
    struct event e;

    e = ev(EV_LOOP_NEW, 0);
    feed(m, e);
    e.loop_id = 2;
    feed(m, e);
    e.vpid = 200;
    feed(m, e);
    model_finish(m);
    cr_assert_eq(m->nloops, 1);
    cr_assert_eq(m->loops[0]->vpid, 100);
    cr_assert_eq(m->loops[0]->loop_id, 2);
    cr_assert_eq(m->filtered, 2);
    model_free(m);
}

Test(analyze_model, ends_without_begins_and_unknown_ids_are_anomalies_not_crashes, .timeout = 5)
{
    struct model *m = new_model();
    struct event e;

    /* no loop_new, no task_new, no callback_begin */
    handle_ev(m, EV_CALLBACK_END, 9, KIND_TIMER);
    feed(m, ev(EV_TASK_DONE, 42));
    feed(m, ev(EV_TASK_RUN, 43));
    feed(m, ev(EV_RUN_END, 0));
    feed(m, ev(EV_POLL_END, 0));
    handle_ev(m, EV_HANDLE_CLOSE, 77, KIND_IO);
    handle_ev(m, EV_CALLBACK_BEGIN, 1, KIND_TIMER);
    handle_ev(m, EV_CALLBACK_BEGIN, 2, KIND_TIMER); /* nested: the first never ended */
    e = ev(EV_TASK_NEW, 43);
    e.name = "late";
    feed(m, e);
    feed(m, e); /* twice */
    e = ev(EV_TASK_SUSPEND, 0); /* id 0 */
    feed(m, e);
    e = ev(EV_TASK_READY, 1); /* id of a handle */
    feed(m, e);
    model_finish(m);
    cr_assert_gt(m->anomalies, 3);
    cr_assert_eq(m->nloops, 1);
    model_free(m);
}

Test(analyze_model, random_event_sequences_never_crash, .timeout = 20)
{
    static const char *const strs[] = {"", "a", "b", "x.c", "a-much-longer-name-with-\n-newline"};
    unsigned seed = 12345;
    int round, i;

    for (round = 0; round < 50; round++) {
        struct model_opts o = {.threshold_ns = (uint64_t)(1 + round) * MS, .keep_intervals = round & 1,
                               .pid = -1, .loop = -1};
        struct model *m = model_new(&o);
        struct ctx c = ctx_of(m);
        struct findings f;
        struct hang *h;
        struct leak_group *g;
        size_t n;

        cr_assert_not_null(m);
        for (i = 0; i < 3000; i++) {
            struct event e = ev((enum ev_type)(rand_r(&seed) % (EV_TYPE_MAX + 2)), (uint64_t)(rand_r(&seed) % 12));
            e.ts_ns = (uint64_t)rand_r(&seed) * 1000; /* time jumps both ways */
            e.vpid = rand_r(&seed) % 3;
            e.loop_id = (uint64_t)(rand_r(&seed) % 3);
            e.kind = (uint8_t)(rand_r(&seed) % 12);
            e.wait_kind = (uint8_t)(rand_r(&seed) % 14);
            e.state = (uint8_t)(rand_r(&seed) % 9);
            e.obj_id = (uint64_t)(rand_r(&seed) % 12);
            e.by_id = (uint64_t)(rand_r(&seed) % 12);
            e.wait_task = (uint64_t)(rand_r(&seed) % 4 == 0 ? rand_r(&seed) % 12 : 0);
            e.timeout_ns = rand_r(&seed) % 2 ? -1 : (int64_t)(rand_r(&seed) % 1000) * 1000;
            e.name = strs[rand_r(&seed) % 5];
            e.site.file = strs[rand_r(&seed) % 5];
            e.site.func = strs[rand_r(&seed) % 5];
            e.site.line = rand_r(&seed) % 50 - 5;
            e.backtrace = strs[rand_r(&seed) % 5];
            e.msg = strs[rand_r(&seed) % 5];
            e.duration_ns = (uint64_t)rand_r(&seed) * 100;
            e.due_ns = (uint64_t)rand_r(&seed);
            e.now_ns = (uint64_t)rand_r(&seed);
            e.count = (uint64_t)(rand_r(&seed) % 5);
            e.format_version = (uint16_t)(rand_r(&seed) % 3);
            e.format_minor = (uint16_t)(rand_r(&seed) % 3);
            e.sync_kind = (uint8_t)(rand_r(&seed) % 7);
            e.group_id = (uint64_t)(rand_r(&seed) % 12);
            e.err = -(int32_t)(rand_r(&seed) % 3);
            e.op = (uint8_t)(rand_r(&seed) % (IO_OP_MAX + 2));
            e.result = rand_r(&seed) % 3 == 0 ? -(int64_t)(rand_r(&seed) % 140) : (int64_t)rand_r(&seed);
            cr_assert_eq(model_feed(m, &e), 0);
        }
        model_finish(m);
        cr_assert_eq(findings_count(&c, &f), 0);
        cr_assert_eq(hangs_collect(&c, &h, &n), 0);
        free(h);
        cr_assert_eq(leaks_collect(&c, &g, &n), 0);
        free(g);
        model_free(m);
    }
}

/* ---------------------------------------------------------------------- */
/* Trace format minor 1: joins, detaches, sync objects                    */

static void loop_start_minor(struct model *m, uint16_t minor)
{
    struct event e = ev(EV_LOOP_NEW, 0);

    at(0);
    e.format_version = 1;
    e.format_minor = minor;
    e.now_ns = 5 * MS;
    feed(m, e);
    feed(m, ev(EV_RUN_BEGIN, 0));
}

static void loop_end(struct model *m)
{
    feed(m, ev(EV_RUN_END, 0));
    feed(m, ev(EV_LOOP_CLOSE, 0));
}

static void join(struct model *m, uint64_t id, uint64_t by, int err)
{
    struct event e = ev(EV_TASK_JOIN, id);

    e.by_id = by;
    e.err = err;
    feed(m, e);
}

static void detach(struct model *m, uint64_t id, uint64_t group)
{
    struct event e = ev(EV_TASK_DETACH, id);

    e.group_id = group;
    feed(m, e);
}

static void sync_new(struct model *m, uint64_t id, int kind, const char *file, int line)
{
    struct event e = ev(EV_SYNC_NEW, id);

    e.sync_kind = (uint8_t)kind;
    e.site.file = file;
    e.site.line = line;
    e.site.func = "main";
    feed(m, e);
}

static void sync_free(struct model *m, uint64_t id)
{
    feed(m, ev(EV_SYNC_FREE, id));
}

static void settle(struct model *m, uint64_t id, int err)
{
    struct event e = ev(EV_FUTURE_SETTLE, id);

    e.err = err;
    feed(m, e);
}

static void result(struct model *m, uint64_t id, int err)
{
    struct event e = ev(EV_FUTURE_RESULT, id);

    e.err = err;
    feed(m, e);
}

/* A task's whole life in one step. */
static void life(struct model *m, uint64_t id, const char *name, int line, int state, int err)
{
    spawn(m, id, name, "j.c", line);
    run(m, id);
    done(m, id, state, err);
}

static const struct aggsite *find_agg(const struct model *m, enum agg_what what, int line)
{
    size_t it = 0;
    void *cur = NULL;

    while ((cur = model_agg_next(&m->aggs, &it, cur)) != NULL) {
        const struct aggsite *a = cur;
        if (a->what == what && model_site(m, a->site)->line == line) {
            return a;
        }
    }
    return NULL;
}

static size_t count_aggs(const struct model *m, enum agg_what what)
{
    size_t it = 0, n = 0;
    void *cur = NULL;

    while ((cur = model_agg_next(&m->aggs, &it, cur)) != NULL) {
        n += ((const struct aggsite *)cur)->what == what;
    }
    return n;
}

static const struct leak_group *find_group(const struct model *m, const struct leak_group *g, size_t n,
                                           enum leak_what what, int line)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (g[i].what == what && model_site(m, g[i].site)->line == line) {
            return &g[i];
        }
    }
    return NULL;
}

Test(analyze_model, minor1_tasks_never_joined_are_leaks_joined_and_detached_are_not, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct leak_group *g;
    const struct leak_group *x;
    const struct aggsite *a;
    struct findings f;
    struct mloop *l;
    size_t n;

    loop_start_minor(m, 1);
    l = model_loop(m, 100, 1);
    cr_assert(mloop_has_joins(l));
    spawn(m, 12, "detached", "j.c", 11);
    detach(m, 12, 0);
    spawn(m, 14, "grouped", "j.c", 12);
    detach(m, 14, 90);
    spawn(m, 24, "fire", "j.c", 16);
    detach(m, 24, 0);
    life(m, 10, "joined", 10, TS_DONE, 0);
    run(m, 12);
    done(m, 12, TS_DONE, 0);
    run(m, 14);
    done(m, 14, TS_FAILED, -5);
    run(m, 24);
    done(m, 24, TS_FAILED, -5);
    life(m, 16, "lost", 13, TS_DONE, 0);
    life(m, 18, "lost", 13, TS_DONE, 0);
    life(m, 20, "broken", 14, TS_FAILED, -5);
    life(m, 22, "victim", 15, TS_CANCELLED, -125);
    cr_assert_not_null(model_task(l, 10), "finished, not yet joined: kept");
    join(m, 10, 0, 0);
    cr_assert_null(model_task(l, 10), "joined and finished: forgotten, as libloop frees it");
    cr_assert_null(model_task(l, 12), "detached and finished: forgotten");
    cr_assert_null(model_task(l, 14));
    cr_assert_not_null(model_task(l, 16), "finished, never joined: kept for the report");
    cr_assert_eq(l->tasks_joined, 1);
    cr_assert_eq(l->tasks_detached, 3);
    loop_end(m);
    model_finish(m);

    cr_assert_eq(leaks_collect(&c, &g, &n), 0);
    cr_assert_eq(n, 3, "three sites of tasks never joined, got %zu groups", n);
    x = find_group(m, g, n, LEAK_TASK_UNJOINED, 13);
    cr_assert_not_null(x);
    cr_assert_eq(x->count, 2);
    cr_assert(x->confirmed && x->is_task);
    cr_assert_str_eq(leak_what_name(x), "never_joined");
    x = find_group(m, g, n, LEAK_TASK_UNJOINED, 14);
    cr_assert(x != NULL && x->count == 1 && x->failed == 1 && x->cancelled == 0);
    x = find_group(m, g, n, LEAK_TASK_UNJOINED, 15);
    cr_assert(x != NULL && x->count == 1 && x->failed == 0 && x->cancelled == 1);
    free(g);
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.unjoined_tasks, 4);
    cr_assert_eq(f.leaked_tasks, 0);
    cr_assert_eq(f.total, 4);

    /* lints: the unjoined failure and cancellation, the detached failure; not the group's child */
    a = find_agg(m, AGG_FAILED_UNJOINED, 14);
    cr_assert(a != NULL && a->count == 1 && (int64_t)a->value == -5);
    a = find_agg(m, AGG_FAILED_UNJOINED, 16);
    cr_assert(a != NULL && a->count == 1, "a failed task detached with loop_task_detach lost its error");
    cr_assert_null(find_agg(m, AGG_FAILED_UNJOINED, 12), "a group-owned task is observed by its group");
    cr_assert_eq(count_aggs(m, AGG_FAILED_UNJOINED), 2);
    a = find_agg(m, AGG_CANCELLED_UNOBSERVED, 15);
    cr_assert(a != NULL && a->count == 1);
    cr_assert_eq(count_aggs(m, AGG_CANCELLED_UNOBSERVED), 1);
    model_free(m);
}

Test(analyze_model, minor1_a_join_retrieves_a_failure_and_a_cancellation, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct findings f;

    loop_start_minor(m, 1);
    life(m, 10, "broken", 10, TS_FAILED, -5);
    life(m, 12, "victim", 11, TS_CANCELLED, -125);
    join(m, 10, 0, -5);
    join(m, 12, 0, -125);
    loop_end(m);
    model_finish(m);
    cr_assert_eq(count_aggs(m, AGG_FAILED_UNJOINED), 0);
    cr_assert_eq(count_aggs(m, AGG_CANCELLED_UNOBSERVED), 0);
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.total, 0);
    model_free(m);
}

Test(analyze_model, minor1_unjoined_tasks_in_a_running_loop_are_only_alive, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct leak_group *g;
    struct findings f;
    size_t n;

    loop_start_minor(m, 1);
    life(m, 10, "later", 10, TS_DONE, 0);
    feed(m, ev(EV_ITER_BEGIN, 0));
    model_finish(m);
    cr_assert_eq(leaks_collect(&c, &g, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(g[0].what, LEAK_TASK_UNJOINED);
    cr_assert_not(g[0].confirmed, "the loop still runs: it may be joined later");
    free(g);
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.total, 0);
    model_free(m);
}

Test(analyze_model, minor1_futures_never_resolved_and_locks_never_freed_by_site, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct leak_group *g;
    const struct leak_group *x;
    const struct aggsite *a;
    struct findings f;
    struct mloop *l;
    size_t n;
    uint64_t id;

    loop_start_minor(m, 1);
    l = model_loop(m, 100, 1);
    at(1);
    sync_new(m, 1, SYNC_FUTURE, "s.c", 5);  /* alive, never resolved */
    sync_new(m, 2, SYNC_FUTURE, "s.c", 6);  /* freed unresolved */
    at(2);
    sync_new(m, 3, SYNC_FUTURE, "s.c", 6);  /* freed unresolved too, later */
    sync_new(m, 4, SYNC_FUTURE, "s.c", 7);  /* failed, never awaited */
    sync_new(m, 5, SYNC_FUTURE, "s.c", 8);  /* resolved */
    sync_new(m, 6, SYNC_LOCK, "s.c", 9);    /* never freed */
    sync_new(m, 7, SYNC_EVENT, "s.c", 10);  /* freed */
    sync_new(m, 8, SYNC_FUTURE, "s.c", 11); /* resolved, still referenced: not a leak */
    settle(m, 4, -32);
    settle(m, 5, 0);
    settle(m, 8, 0);
    sync_free(m, 2);
    sync_free(m, 3);
    sync_free(m, 4);
    sync_free(m, 5);
    sync_free(m, 7);
    cr_assert_null(model_sync(l, 2), "a freed object's record goes");
    cr_assert_not_null(model_sync(l, 1));
    cr_assert_eq(l->live_sync, 3);
    /* memory follows live objects: a thousand futures made and freed leave nothing behind */
    for (id = 100; id < 1100; id++) {
        sync_new(m, id, SYNC_FUTURE, "s.c", 12);
        settle(m, id, 0);
        sync_free(m, id);
    }
    cr_assert_eq(l->objs.len, 3);
    cr_assert_eq(l->futures_resolved, 1002);
    cr_assert_eq(l->futures_failed, 1);
    loop_end(m);
    model_finish(m);

    cr_assert_eq(leaks_collect(&c, &g, &n), 0);
    cr_assert_eq(n, 3, "got %zu groups", n);
    x = find_group(m, g, n, LEAK_FUTURE_UNRESOLVED, 5);
    cr_assert(x != NULL && x->count == 1 && x->freed == 0 && x->confirmed);
    cr_assert_str_eq(leak_kind_name(x), "future");
    x = find_group(m, g, n, LEAK_FUTURE_UNRESOLVED, 6);
    cr_assert(x != NULL && x->count == 2 && x->freed == 2 && x->confirmed);
    cr_assert_eq(x->first_ts, 1000 * MS + 1 * MS);
    cr_assert_eq(x->last_ts, 1000 * MS + 2 * MS);
    cr_assert(x->nids == 2 && x->ids[0] == 2 && x->ids[1] == 3);
    x = find_group(m, g, n, LEAK_SYNC_UNFREED, 9);
    cr_assert(x != NULL && x->count == 1 && x->ids[0] == 6);
    cr_assert_str_eq(leak_kind_name(x), "lock");
    cr_assert_str_eq(leak_type_name(x), "sync");
    free(g);
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.unresolved_futures, 3);
    cr_assert_eq(f.unfreed_sync, 1);
    a = find_agg(m, AGG_FUTURE_ERR_UNRETRIEVED, 7);
    cr_assert(a != NULL && a->count == 1 && a->example_id == 4 && (int64_t)a->value == -32);
    cr_assert_eq(count_aggs(m, AGG_FUTURE_ERR_UNRETRIEVED), 1);
    model_free(m);
}

Test(analyze_model, minor1_a_failed_future_a_task_awaited_is_not_a_lint, .timeout = 5)
{
    struct model *m = new_model();

    loop_start_minor(m, 1);
    sync_new(m, 1, SYNC_FUTURE, "s.c", 5);
    spawn(m, 2, "waiter", "s.c", 6);
    run(m, 2);
    suspend(m, 2, WAIT_FUTURE, 1, -1, "s.c", 20, "waiter");
    settle(m, 1, -5);
    ready(m, 2, KIND_TASK, 0);
    run(m, 2);
    result(m, 1, -5); /* the await returns the failure */
    done(m, 2, TS_FAILED, -5);
    join(m, 2, 0, -5);
    sync_free(m, 1);
    loop_end(m);
    model_finish(m);
    cr_assert_eq(count_aggs(m, AGG_FUTURE_ERR_UNRETRIEVED), 0);
    cr_assert_eq(count_aggs(m, AGG_FAILED_UNJOINED), 0);
    model_free(m);
}

/* Retrieval, not waiting, is what counts: a read of the result with no await
 * retrieves the error; an await that timed out before the failure does not. */
Test(analyze_model, minor1_a_failed_future_is_unretrieved_until_someone_reads_it, .timeout = 5)
{
    struct model *m = new_model();

    loop_start_minor(m, 1);
    sync_new(m, 1, SYNC_FUTURE, "s.c", 5); /* read with loop_future_result, never awaited */
    sync_new(m, 2, SYNC_FUTURE, "s.c", 6); /* awaited, the waiter timed out, then it failed */
    spawn(m, 3, "waiter", "s.c", 7);
    run(m, 3);
    suspend(m, 3, WAIT_FUTURE, 2, 10 * (int64_t)MS, "s.c", 21, "waiter");
    ready(m, 3, KIND_TIMER, 0);
    run(m, 3);
    done(m, 3, TS_DONE, 0);
    join(m, 3, 0, 0);
    settle(m, 1, -5);
    result(m, 1, -5);
    settle(m, 2, -32);
    sync_free(m, 1);
    sync_free(m, 2);
    loop_end(m);
    model_finish(m);
    cr_assert_eq(count_aggs(m, AGG_FUTURE_ERR_UNRETRIEVED), 1);
    const struct aggsite *a = find_agg(m, AGG_FUTURE_ERR_UNRETRIEVED, 6);
    cr_assert(a != NULL && a->example_id == 2 && (int64_t)a->value == -32);
    model_free(m);
}

Test(analyze_model, minor1_a_wait_on_a_freed_object_is_a_lost_wakeup_named_with_its_site, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct mloop *l;
    struct mtask *t;
    const struct aggsite *a;
    char buf[512];
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    loop_start_minor(m, 1);
    l = model_loop(m, 100, 1);
    sync_new(m, 1, SYNC_EVENT, "w.c", 3);
    spawn(m, 2, "waiter", "w.c", 4);
    run(m, 2);
    suspend(m, 2, WAIT_EVENT, 1, -1, "w.c", 9, "waiter");
    t = model_task(l, 2);
    cr_assert_not_null(t);
    cr_assert_str_eq(describe_wait(&c, l, t, buf, sizeof buf), "event 1 (created at w.c:3 (main)) at w.c:9 (waiter)");
    cr_assert_eq(model_sync(l, 1)->waiters, 1);
    sync_free(m, 1);
    cr_assert(t->flags & TF_WAIT_FREED);
    cr_assert_str_eq(describe_wait(&c, l, t, buf, sizeof buf),
                     "event 1 (created at w.c:3 (main)) (freed) at w.c:9 (waiter)");
    a = find_agg(m, AGG_WAIT_ON_FREED, 9);
    cr_assert(a != NULL && a->count == 1 && a->example_id == 2 && a->value == 1 && a->kind == SYNC_EVENT);
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);
    f = open_memstream(&out, &len);
    cr_assert_not_null(f);
    c.out = f;
    cr_assert_eq(report_lints(&c), 0);
    fclose(f);
    cr_assert_not_null(strstr(out, "lint: lost_wakeup: pid 100 (prog) loop 1: 1 wait(s) of task(s) \"waiter\" at "
                                   "w.c:9 (waiter) were on an object (event) that was freed"),
                       "%s", out);
    cr_assert_null(strstr(out, "its loop no longer runs"), "reported once, not again as stuck: %s", out);
    free(out);
    model_free(m);
}

Test(analyze_model, minor0_loops_report_no_join_or_sync_findings_and_say_so, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    const struct mloop *old;
    struct leak_group *g;
    struct mloop *l;
    char *out = NULL;
    size_t len = 0, n;
    FILE *f;

    loop_start_minor(m, 0);
    l = model_loop(m, 100, 1);
    cr_assert_not(mloop_has_joins(l));
    life(m, 10, "unjoined", 10, TS_DONE, 0);
    cr_assert_null(model_task(l, 10), "no joins in the trace: a finished task is forgotten at once");
    loop_end(m);
    model_finish(m);
    cr_assert_eq(leaks_collect(&c, &g, &n), 0);
    cr_assert_eq(n, 0);
    free(g);
    cr_assert_eq(leaks_loops_without_joins(&c, &old), 1);
    cr_assert_eq(old, l);
    f = open_memstream(&out, &len);
    cr_assert_not_null(f);
    c.out = f;
    cr_assert_eq(report_leaks(&c), 0);
    fclose(f);
    cr_assert_not_null(strstr(out, "leaks: none"), "%s", out);
    cr_assert_not_null(strstr(out, "format_minor 0"), "%s", out);
    cr_assert_eq(strstr(strstr(out, "format_minor 0") + 1, "format_minor 0"), NULL, "said once: %s", out);
    free(out);
    model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Task I/O (task_io, minor 1)                                            */

static void io(struct model *m, uint64_t task, int op, int64_t result)
{
    struct event e = ev(EV_TASK_IO, task);

    e.fd = 7;
    e.op = (uint8_t)op;
    e.result = result;
    feed(m, e);
}

/* The task profile named name ("" and line: the unnamed tasks spawned at that line). */
static const struct prof *task_prof(const struct model *m, const char *name, int line)
{
    size_t it = 0;
    void *cur = NULL;

    while ((cur = model_agg_next(&m->profs, &it, cur)) != NULL) {
        const struct prof *p = cur;
        if (p->kind == KIND_TASK && strcmp(model_str(m, p->name), name) == 0 &&
            (name[0] != '\0' || model_site(m, p->site)->line == line)) {
            return p;
        }
    }
    return NULL;
}

static char *report_to_string(struct model *m, int (*report)(const struct ctx *), int json)
{
    struct aopts o = opts;
    struct ctx c = ctx_of(m);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    cr_assert_not_null(f);
    o.json = json;
    c.o = &o;
    c.out = f;
    cr_assert_eq(report(&c), 0);
    fclose(f);
    return out;
}

Test(analyze_model, minor1_task_io_is_summed_per_task_name_with_again_eof_and_errnos, .timeout = 5)
{
    struct model *m = new_model();
    const struct prof *conn, *acc, *unnamed, *unknown;
    const struct mloop *l;
    char *out;

    loop_start_minor(m, 1);
    spawn(m, 10, "conn", "srv.c", 20);
    spawn(m, 20, "conn", "srv.c", 20);
    spawn(m, 30, "acceptor", "srv.c", 30);
    spawn(m, 40, "", "cli.c", 77);
    run(m, 30);
    io(m, 30, IO_ACCEPT, -EAGAIN);
    io(m, 30, IO_ACCEPT, 8);
    io(m, 30, IO_ACCEPT, 9);
    io(m, 30, IO_ACCEPT, -EMFILE);
    suspend(m, 30, WAIT_FD, 0, -1, "srv.c", 31, "acceptor");
    run(m, 10);
    io(m, 10, IO_READ, 100);
    io(m, 10, IO_READ, -EAGAIN);
    suspend(m, 10, WAIT_FD, 0, -1, "srv.c", 21, "serve");
    ready(m, 10, KIND_IO, 0);
    run(m, 10);
    io(m, 10, IO_READ, 50);
    io(m, 10, IO_WRITE, 150);
    io(m, 10, IO_READ, 0);
    done(m, 10, TS_DONE, 0);
    run(m, 20);
    io(m, 20, IO_READ, 64);
    io(m, 20, IO_WRITE, 64);
    io(m, 20, IO_WRITE, -EPIPE);
    io(m, 20, IO_READ, -ECONNRESET);
    done(m, 20, TS_FAILED, -ECONNRESET);
    run(m, 40);
    io(m, 40, IO_CONNECT, -EINPROGRESS);
    io(m, 40, IO_CONNECT, 0);
    io(m, 40, IO_CONNECT, -ECONNREFUSED);
    done(m, 40, TS_DONE, 0);
    io(m, 99, IO_WRITE, 5); /* a task the trace never introduced */
    {
        struct event e = ev(EV_TASK_IO, 0); /* outside any task: loop id 0 */
        e.loop_id = 0;
        e.op = IO_CONNECT;
        e.result = 0;
        feed(m, e);
    }
    loop_end(m);
    model_finish(m);

    cr_assert_eq(m->nloops, 1, "I/O outside tasks makes no loop 0");
    cr_assert_eq(m->io_outside.calls[IO_CONNECT], 1);
    l = model_loop(m, 100, 1);
    cr_assert(mloop_has_io(l));

    conn = task_prof(m, "conn", 0);
    cr_assert_not_null(conn);
    cr_assert(conn->io_traced);
    cr_assert_eq(conn->io.calls[IO_READ], 6);
    cr_assert_eq(conn->io.calls[IO_WRITE], 3);
    cr_assert_eq(conn->io.bytes_read, 100 + 50 + 64);
    cr_assert_eq(conn->io.bytes_written, 150 + 64);
    cr_assert_eq(conn->io.again[IO_READ], 1);
    cr_assert_eq(conn->io.eof, 1);
    cr_assert_eq(conn->io.failed[IO_READ], 1);
    cr_assert_eq(conn->io.failed[IO_WRITE], 1);
    cr_assert_eq(mio_ok(&conn->io, IO_READ), 4, "EOF is a successful read");
    cr_assert_eq(conn->io.errs[0].err, EPIPE);
    cr_assert_eq(conn->io.errs[0].count, 1);
    cr_assert_eq(conn->io.errs[1].err, ECONNRESET);
    cr_assert_eq(conn->io.errs[1].count, 1);
    cr_assert_eq(mio_calls(&conn->io), 9);

    acc = task_prof(m, "acceptor", 0);
    cr_assert_not_null(acc);
    cr_assert_eq(acc->io.calls[IO_ACCEPT], 4);
    cr_assert_eq(mio_ok(&acc->io, IO_ACCEPT), 2);
    cr_assert_eq(acc->io.again[IO_ACCEPT], 1);
    cr_assert_eq(acc->io.errs[0].err, EMFILE);
    cr_assert_eq(acc->io.bytes_read + acc->io.bytes_written, 0, "an accepted fd is not bytes");

    unnamed = task_prof(m, "", 77);
    cr_assert_not_null(unnamed, "unnamed tasks are grouped by spawn site");
    cr_assert_eq(unnamed->io.calls[IO_CONNECT], 3);
    cr_assert_eq(unnamed->io.again[IO_CONNECT], 1, "a connect in progress found nothing yet");
    cr_assert_eq(mio_ok(&unnamed->io, IO_CONNECT), 1);
    cr_assert_eq(unnamed->io.errs[0].err, ECONNREFUSED);

    unknown = task_prof(m, "", 0);
    cr_assert_not_null(unknown);
    cr_assert_eq(unknown->io.bytes_written, 5);

    /* the loop's totals are the sum of its tasks' */
    cr_assert_eq(l->io.bytes_read, 214);
    cr_assert_eq(l->io.bytes_written, 214 + 5);
    cr_assert_eq(mio_calls(&l->io), 9 + 4 + 3 + 1);
    cr_assert_eq(mio_again(&l->io), 3);
    cr_assert_eq(mio_failed(&l->io), 4);

    out = report_to_string(m, report_profile, 0);
    cr_assert_not_null(strstr(out, "task I/O by task name"), "%s", out);
    cr_assert_not_null(strstr(out, "errors: EPIPE 1, ECONNRESET 1"), "%s", out);
    cr_assert_not_null(strstr(out, "(outside tasks)"), "%s", out);
    cr_assert_null(strstr(out, "not traced"), "%s", out);
    free(out);
    out = report_to_string(m, report_profile, 1);
    cr_assert_not_null(strstr(out, "\"bytes_read\": 214"), "%s", out);
    cr_assert_not_null(strstr(out, "\"errno\": \"ECONNREFUSED\""), "%s", out);
    free(out);
    out = report_to_string(m, report_summary, 0);
    cr_assert_not_null(strstr(out, "task I/O: 6 reads, 4 writes, 2 accepts, 1 connects; 214 bytes read, 219 written; "
                                   "3 found nothing, 4 errors"), "%s", out);
    free(out);
    model_free(m);
}

Test(analyze_model, task_io_errnos_past_the_slots_are_counted_as_other, .timeout = 5)
{
    struct model *m = new_model();
    const struct prof *p;
    int i;

    loop_start_minor(m, 1);
    spawn(m, 10, "w", "w.c", 1);
    run(m, 10);
    for (i = 1; i <= MIO_ERRS + 3; i++) {
        io(m, 10, IO_WRITE, -(int64_t)(100 + i));
        io(m, 10, IO_WRITE, -(int64_t)(100 + i));
    }
    done(m, 10, TS_DONE, 0);
    loop_end(m);
    model_finish(m);
    p = task_prof(m, "w", 0);
    cr_assert_not_null(p);
    cr_assert_eq(p->io.failed[IO_WRITE], 2 * (MIO_ERRS + 3));
    for (i = 0; i < MIO_ERRS; i++) {
        cr_assert_eq(p->io.errs[i].err, 101 + i);
        cr_assert_eq(p->io.errs[i].count, 2);
    }
    cr_assert_eq(p->io.errs_other, 2 * 3);
    model_free(m);
}

Test(analyze_model, task_io_memory_grows_with_names_not_events, .timeout = 10)
{
    struct model *m = new_model();
    const struct prof *p;
    size_t profs_before;
    uint64_t id;
    int k;

    loop_start_minor(m, 1);
    life(m, 2, "warmup", 1, TS_DONE, 0);
    profs_before = m->profs.len;
    for (id = 10; id < 10 + 3 * 2000; id += 3) {
        spawn(m, id, "conn", "s.c", 5);
        run(m, id);
        for (k = 0; k < 20; k++) {
            io(m, id, IO_READ, 64);
            io(m, id, IO_WRITE, 64);
        }
        io(m, id, IO_READ, 0);
        done(m, id, TS_DONE, 0);
    }
    loop_end(m);
    model_finish(m);
    cr_assert_eq(m->profs.len, profs_before + 1, "one profile for 2000 tasks of one name");
    p = task_prof(m, "conn", 0);
    cr_assert_not_null(p);
    cr_assert_eq(p->io.bytes_read, 2000 * 20 * 64);
    cr_assert_eq(p->io.bytes_written, 2000 * 20 * 64);
    cr_assert_eq(p->io.eof, 2000);
    model_free(m);
}

Test(analyze_model, minor0_loops_show_task_io_as_not_traced_and_minor1_without_io_as_none, .timeout = 5)
{
    struct model *m = new_model();
    const struct mloop *l;
    const struct prof *p;
    char *out;

    loop_start_minor(m, 0);
    life(m, 10, "old", 10, TS_DONE, 0);
    loop_end(m);
    model_finish(m);
    l = model_loop(m, 100, 1);
    cr_assert_not(mloop_has_io(l));
    p = task_prof(m, "old", 0);
    cr_assert_not_null(p);
    cr_assert_not(p->io_traced, "a minor-0 task's I/O is unknown, not zero");
    out = report_to_string(m, report_profile, 0);
    cr_assert_not_null(strstr(out, "task I/O: not traced (trace format minor 0)"), "%s", out);
    cr_assert_not_null(strstr(out, "  not traced: the loops come from a libloop before trace format 1.1"), "%s", out);
    free(out);
    out = report_to_string(m, report_profile, 1);
    cr_assert_not_null(strstr(out, "\"io\": null"), "%s", out);
    cr_assert_not_null(strstr(out, "\"io_outside_tasks\": null"), "%s", out);
    cr_assert_null(strstr(out, "\"bytes_read\""), "no zero where nothing is known: %s", out);
    free(out);
    out = report_to_string(m, report_summary, 1);
    cr_assert_not_null(strstr(out, "\"task_io\": null"), "%s", out);
    free(out);
    out = report_to_string(m, report_summary, 0);
    cr_assert_null(strstr(out, "task I/O"), "%s", out);
    free(out);
    model_free(m);

    m = new_model();
    loop_start_minor(m, 1);
    life(m, 10, "quiet", 10, TS_DONE, 0);
    loop_end(m);
    model_finish(m);
    p = task_prof(m, "quiet", 0);
    cr_assert_not_null(p);
    cr_assert(p->io_traced, "a minor-1 task without task_io did no I/O");
    out = report_to_string(m, report_profile, 0);
    cr_assert_not_null(strstr(out, "none: no task called loop_read"), "%s", out);
    free(out);
    out = report_to_string(m, report_summary, 0);
    cr_assert_not_null(strstr(out, "task I/O: 0 reads, 0 writes"), "%s", out);
    free(out);
    model_free(m);
}

/* ---------------------------------------------------------------------- */
/* Format minor 2: lock hand-offs and loops that ran out of work           */

static void suspend_owner(struct model *m, uint64_t id, uint64_t lock, uint64_t owner, int line)
{
    struct event e = ev(EV_TASK_SUSPEND, id);

    e.wait_kind = WAIT_LOCK;
    e.obj_id = lock;
    e.wait_task = owner;
    e.site.file = "h.c";
    e.site.line = line;
    feed(m, e);
    handle_ev(m, EV_CALLBACK_END, id, KIND_TASK);
}

/*
 * A (3) holds lock 1; B (5) and C (7) queue (their suspends name A); A
 * releases (to B) and joins C. Not a deadlock: C waits for B now.
 */
static void handoff_then_join(struct model *m, int with_event)
{
    struct event e;

    loop_start_minor(m, 2);
    spawn(m, 3, "A", "h.c", 1);
    spawn(m, 5, "B", "h.c", 2);
    spawn(m, 7, "C", "h.c", 3);
    run(m, 3);
    suspend(m, 3, WAIT_SLEEP, 0, 20 * MS, "h.c", 10, "a");
    run(m, 5);
    suspend_owner(m, 5, 1, 3, 20);
    run(m, 7);
    suspend_owner(m, 7, 1, 3, 30);
    at(20);
    ready(m, 3, KIND_TIMER, 4);
    run(m, 3);
    if (with_event) {
        e = ev(EV_LOCK_HANDOFF, 1);
        e.wait_task = 5;
        e.by_id = 3;
        feed(m, e);
    }
    ready(m, 5, KIND_TASK, 3);
    suspend(m, 3, WAIT_JOIN, 7, -1, "h.c", 11, "a");
}

Test(analyze_model, minor2_waiters_queued_before_a_handoff_wait_for_the_new_owner, .timeout = 5)
{
    for (int with_event = 0; with_event < 2; with_event++) {
        struct model *m = new_model();
        struct ctx c = ctx_of(m);
        struct findings f;
        int inferred;
        size_t ncand;

        handoff_then_join(m, with_event);
        cr_assert_eq(m->ncycles, 0, "no cycle: C waits for B, not A (event %d)", with_event);
        cr_assert_eq(model_wait_target(m, m->loops[0], model_task(m->loops[0], 7), &inferred, &ncand), 5);
        /* B runs, releases to C; C and then A finish */
        run(m, 5);
        ready(m, 7, KIND_TASK, 5);
        done(m, 5, TS_DONE, 0);
        run(m, 7);
        ready(m, 3, KIND_TASK, 7);
        done(m, 7, TS_DONE, 0);
        run(m, 3);
        done(m, 3, TS_DONE, 0);
        feed(m, ev(EV_RUN_END, 0));
        model_finish(m);
        cr_assert_eq(m->ncycles, 0);
        cr_assert_eq(findings_count(&c, &f), 0);
        cr_assert_eq(f.deadlocks, 0);
        model_free(m);
    }
}

static void sync_by(struct model *m, uint64_t id, int kind, uint64_t parent, int line)
{
    struct event e = ev(EV_SYNC_NEW, id);

    e.sync_kind = (uint8_t)kind;
    e.parent_task = parent;
    e.site.file = "s.c";
    e.site.func = "mk";
    e.site.line = line;
    feed(m, e);
}

static void stuck(struct model *m, uint64_t count)
{
    struct event e = ev(EV_LOOP_STUCK, 0);

    e.count = count;
    feed(m, e);
}

/*
 * A (3) holds lock 1 and joins B (7); B receives on channel 9, made by D
 * (5); D waits for lock 1. The loop runs out of work; then every task is
 * cancelled and finishes.
 */
Test(analyze_model, minor2_a_cycle_through_a_channel_is_found_when_the_loop_runs_out_of_work, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct findings f;
    const struct mstuck *e;
    size_t i;

    loop_start_minor(m, 2);
    sync_by(m, 1, SYNC_LOCK, 0, 1);
    spawn(m, 3, "A", "s.c", 10);
    spawn(m, 5, "D", "s.c", 11);
    run(m, 3);
    suspend(m, 3, WAIT_SLEEP, 0, 5 * MS, "s.c", 20, "a");
    run(m, 5);
    sync_by(m, 9, SYNC_CHANNEL, 5, 30);
    spawn(m, 7, "B", "s.c", 31);
    suspend_owner(m, 5, 1, 3, 32);
    run(m, 7);
    suspend(m, 7, WAIT_CHAN_RECV, 9, -1, "s.c", 40, "b");
    at(5);
    ready(m, 3, KIND_TIMER, 4);
    run(m, 3);
    suspend(m, 3, WAIT_JOIN, 7, -1, "s.c", 21, "a");
    /* lock and join edges alone close no cycle; through the channel's creator it is only possible */
    cr_assert_eq(m->ncycles, 1);
    cr_assert(m->cycles[0].possible && !cycle_reported(&m->cycles[0]), "not a finding until confirmed");
    at(6);
    stuck(m, 3);
    feed(m, ev(EV_RUN_END, 0));
    /* the program cancels them all: they finish */
    at(7);
    feed(m, ev(EV_RUN_BEGIN, 0));
    for (i = 0; i < 3; i++) {
        uint64_t id = i == 0 ? 3 : i == 1 ? 5 : 7;
        struct event x = ev(EV_TASK_CANCEL, id);
        feed(m, x);
        ready(m, id, KIND_NONE, 0);
        run(m, id);
        done(m, id, TS_CANCELLED, -ECANCELED);
    }
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);

    cr_assert_eq(m->nstucks, 1);
    e = &m->stucks[0];
    cr_assert_eq(e->count, 3);
    cr_assert_eq(e->n, 3);
    cr_assert_eq(e->ncycle, 3, "the cycle A → B → D → A");
    cr_assert_neq(e->ended_ts, 0, "ended by the cancellations");
    cr_assert(e->ended_by_cancel);
    for (i = 0; i < e->n; i++) {
        const struct stuck_task *st = &e->tasks[i];
        cr_assert_eq(st->cls, STUCK_CYCLE);
        if (st->task == 7) {
            cr_assert_eq(st->next, 5);
            cr_assert_eq(st->next_how, WK_CREATOR, "B's edge: D made the channel");
        } else if (st->task == 5) {
            cr_assert_eq(st->next, 3);
            cr_assert_eq(st->next_how, WK_OWNER);
        } else {
            cr_assert_eq(st->next, 7);
            cr_assert_eq(st->next_how, WK_JOINED);
        }
    }
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.ran_out, 1);
    cr_assert_eq(f.lost_wakeups, 0);
    cr_assert_eq(f.deadlocks, 1, "confirmed when the loop ran out of work");
    cr_assert(cycle_reported(&m->cycles[0]) && m->cycles[0].broken_ts != 0, "and broken by the cancels");
    cr_assert_geq(f.total, 1, "check fails");
    model_free(m);
}

/* W (5) awaits future 9, made by R (3); R is cancelled; the loop runs out of work. */
Test(analyze_model, minor2_a_lost_wakeup_is_kept_after_the_program_cleans_up, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct findings f;
    struct event x;

    loop_start_minor(m, 2);
    spawn(m, 3, "R", "f.c", 1);
    run(m, 3);
    sync_by(m, 9, SYNC_FUTURE, 3, 2);
    spawn(m, 5, "W", "f.c", 3);
    suspend(m, 3, WAIT_SLEEP, 0, 50 * MS, "f.c", 4, "r");
    run(m, 5);
    suspend(m, 5, WAIT_FUTURE, 9, -1, "f.c", 10, "w");
    at(5);
    feed(m, ev(EV_TASK_CANCEL, 3));
    ready(m, 3, KIND_NONE, 0);
    run(m, 3);
    done(m, 3, TS_CANCELLED, -ECANCELED);
    stuck(m, 1);
    feed(m, ev(EV_RUN_END, 0));
    /* clean-up: W cancelled, the future resolved and freed */
    feed(m, ev(EV_RUN_BEGIN, 0));
    feed(m, ev(EV_TASK_CANCEL, 5));
    ready(m, 5, KIND_NONE, 0);
    run(m, 5);
    done(m, 5, TS_CANCELLED, -ECANCELED);
    x = ev(EV_FUTURE_SETTLE, 9);
    feed(m, x);
    feed(m, ev(EV_SYNC_FREE, 9));
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);

    cr_assert_eq(m->nstucks, 1);
    cr_assert_eq(m->stucks[0].n, 1);
    cr_assert_eq(m->stucks[0].tasks[0].cls, STUCK_LOST);
    cr_assert_eq(m->stucks[0].tasks[0].ended, 1, "its creator had ended");
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.ran_out, 1);
    cr_assert_eq(f.lost_wakeups, 1);
    model_free(m);
}

/*
 * A (3) made event 8 and receives on channel 9; D (5) made channel 9 and
 * waits for event 8: a cycle through the creators, only possible. A timer
 * callback (call-soon 20) then sets the event: someone the
 * trace did not name held it, and the cycle is not reported. In the second
 * run D's own timeout breaks it instead: reported, formed and broken. In
 * the third a task P (11) sleeps meanwhile: it could hold the channel or the
 * event (a producer not seen sending yet), so the timeout settles nothing.
 */
Test(analyze_model, a_cycle_through_possible_edges_is_reported_only_when_a_timeout_breaks_it, .timeout = 5)
{
    int pass;

    for (pass = 0; pass < 3; pass++) {
        struct model *m = new_model();
        struct ctx c = ctx_of(m);
        struct findings f;

        loop_start_minor(m, 2);
        spawn(m, 3, "A", "c.c", 1);
        spawn(m, 5, "D", "c.c", 2);
        if (pass == 2) {
            spawn(m, 11, "P", "c.c", 9);
            run(m, 11);
            suspend(m, 11, WAIT_SLEEP, 0, 100 * MS, "c.c", 10, "p");
        }
        run(m, 3);
        sync_by(m, 8, SYNC_EVENT, 3, 3);
        suspend(m, 3, WAIT_SLEEP, 0, 2 * MS, "c.c", 4, "a");
        run(m, 5);
        sync_by(m, 9, SYNC_CHANNEL, 5, 5);
        suspend(m, 5, WAIT_EVENT, 8, 60 * MS, "c.c", 6, "d");
        at(2);
        ready(m, 3, KIND_TIMER, 0);
        run(m, 3);
        suspend(m, 3, WAIT_CHAN_RECV, 9, -1, "c.c", 7, "a");
        cr_assert_eq(m->ncycles, 1, "the cycle A → D → A through the creators");
        cr_assert(!cycle_reported(&m->cycles[0]), "only possible so far");
        at(30);
        ready(m, 5, pass == 0 ? KIND_DEFER : KIND_TIMER, pass == 0 ? 20 : 6); /* 6: D's timeout timer */
        model_finish(m);
        cr_assert_eq(findings_count(&c, &f), 0);
        if (pass == 0) {
            cr_assert(m->cycles[0].refuted, "completed by a callback: not a deadlock");
            cr_assert_eq(f.deadlocks, 0);
        } else if (pass == 2) {
            cr_assert(!cycle_reported(&m->cycles[0]), "P may hold the channel or the event");
            cr_assert_eq(f.deadlocks, 0);
        } else {
            cr_assert(cycle_reported(&m->cycles[0]), "broken by D's timeout: a deadlock");
            cr_assert_neq(m->cycles[0].broken_ts, 0);
            cr_assert_eq(f.deadlocks, 1);
            cr_assert_eq(m->cycles[0].edges[0].how, WK_CREATOR);
        }
        model_free(m);
    }
}

/*
 * W (5) awaits future 9 made by R (3), R is cancelled while a timer keeps
 * the loop busy: a lost wakeup from R's end. In the second run another task
 * (7) resolves the future after W timed out: not lost.
 */
Test(analyze_model, a_lost_wakeup_is_certain_when_the_last_resolver_ends_unless_resolved_later, .timeout = 5)
{
    int pass;

    for (pass = 0; pass < 2; pass++) {
        struct model *m = new_model();
        struct ctx c = ctx_of(m);
        struct findings f;

        loop_start_minor(m, 2);
        spawn(m, 3, "R", "f.c", 1);
        run(m, 3);
        sync_by(m, 9, SYNC_FUTURE, 3, 2);
        spawn(m, 5, "W", "f.c", 3);
        suspend(m, 3, WAIT_SLEEP, 0, 50 * MS, "f.c", 4, "r");
        run(m, 5);
        suspend(m, 5, WAIT_FUTURE, 9, 60 * MS, "f.c", 10, "w");
        cr_assert_eq(m->nlosts, 0, "R may still resolve it");
        at(5);
        feed(m, ev(EV_TASK_CANCEL, 3));
        ready(m, 3, KIND_NONE, 0);
        run(m, 3);
        done(m, 3, TS_CANCELLED, -ECANCELED);
        cr_assert_eq(m->nlosts, 1, "certain when its only resolver ended");
        cr_assert_eq(m->losts[0].ts, 1000 * MS + 5 * MS);
        at(60);
        ready(m, 5, KIND_TIMER, 6); /* W's timeout timer */
        run(m, 5);
        done(m, 5, TS_DONE, 0);
        if (pass == 1) {
            feed(m, ev(EV_FUTURE_SETTLE, 9));
        }
        model_finish(m);
        cr_assert_eq(findings_count(&c, &f), 0);
        cr_assert_eq(f.lost_running, pass == 0 ? 1 : 0);
        cr_assert_eq(m->losts[0].end_how, 1, "ended by its timeout");
        model_free(m);
    }
}

/* A wait nobody in the trace can complete (a channel made outside tasks, never used): unknown edge. */
Test(analyze_model, minor2_a_wait_with_no_known_waker_says_the_edge_is_unknown, .timeout = 5)
{
    struct model *m = new_model();

    loop_start_minor(m, 2);
    sync_by(m, 9, SYNC_CHANNEL, 0, 1);
    spawn(m, 3, "rx", "u.c", 1);
    run(m, 3);
    suspend(m, 3, WAIT_CHAN_RECV, 9, -1, "u.c", 5, "rx");
    stuck(m, 1);
    model_finish(m);
    cr_assert_eq(m->nstucks, 1);
    cr_assert_eq(m->stucks[0].tasks[0].cls, STUCK_UNKNOWN);
    cr_assert_eq(m->stucks[0].ended_ts, 0);
    model_free(m);
}

/*
 * babeltrace2 2.0 can decode an empty string field as an earlier event's
 * value: an unnamed timer's handle_close may then carry another's name.
 * Names come from handle_new / handle_name only.
 */
/*
 * P (3) waits on group 9; its child C (5, spawned into the group) waits on
 * event 11 that only P was seen setting before: a cycle through a group edge
 * and a "seen completing" edge.
 */
Test(analyze_model, minor2_cycles_close_through_groups_and_past_setters, .timeout = 5)
{
    struct model *m = new_model();
    const struct mstuck *e;
    struct event x;
    size_t i;

    loop_start_minor(m, 2);
    sync_by(m, 11, SYNC_EVENT, 0, 1);
    spawn(m, 7, "early", "g.c", 2);
    run(m, 7);
    suspend(m, 7, WAIT_EVENT, 11, -1, "g.c", 3, "early");
    spawn(m, 3, "P", "g.c", 4);
    run(m, 3);
    ready(m, 7, KIND_TASK, 3); /* P set the event once: it can set it */
    sync_by(m, 9, SYNC_GROUP, 3, 5);
    spawn(m, 5, "C", "g.c", 6);
    x = ev(EV_TASK_DETACH, 5);
    x.group_id = 9;
    feed(m, x);
    suspend(m, 3, WAIT_GROUP, 9, -1, "g.c", 7, "P");
    run(m, 7);
    done(m, 7, TS_DONE, 0);
    run(m, 5);
    suspend(m, 5, WAIT_EVENT, 11, -1, "g.c", 8, "C");
    stuck(m, 2);
    model_finish(m);
    cr_assert_eq(m->nstucks, 1);
    e = &m->stucks[0];
    cr_assert_eq(e->ncycle, 2);
    for (i = 0; i < e->n; i++) {
        if (e->tasks[i].task == 3) {
            cr_assert_eq(e->tasks[i].next, 5);
            cr_assert_eq(e->tasks[i].next_how, WK_CHILD);
        } else {
            cr_assert_eq(e->tasks[i].next, 3);
            cr_assert_eq(e->tasks[i].next_how, WK_USER);
        }
    }
    model_free(m);
}

/* An older libloop (minor 1, no loop_stuck): run_end with rc 0 and a task waiting is the same fact. */
Test(analyze_model, minor1_run_end_with_tasks_waiting_is_a_loop_out_of_work, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct findings f;
    struct event e;

    loop_start_minor(m, 1);
    sync_by(m, 9, SYNC_EVENT, 0, 1);
    spawn(m, 3, "w", "o.c", 1);
    run(m, 3);
    suspend(m, 3, WAIT_EVENT, 9, -1, "o.c", 5, "w");
    e = ev(EV_RUN_END, 0);
    e.rc = 0;
    feed(m, e);
    cr_assert_eq(m->nstucks, 1);
    cr_assert_eq(m->stucks[0].count, 1);
    /* the program cancels it: still a finding */
    feed(m, ev(EV_RUN_BEGIN, 0));
    feed(m, ev(EV_TASK_CANCEL, 3));
    ready(m, 3, KIND_NONE, 0);
    run(m, 3);
    done(m, 3, TS_CANCELLED, -ECANCELED);
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);
    cr_assert_eq(m->nstucks, 1, "the second run_end has nothing waiting");
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.ran_out, 1);
    model_free(m);
}

Test(analyze_model, a_close_event_never_renames_a_handle_seen_made, .timeout = 5)
{
    struct model *m = new_model();
    struct event e;
    const struct mhandle *h;

    loop_start(m);
    handle(m, 10, KIND_TIMER, "n.c", 5); /* unnamed */
    e = ev(EV_HANDLE_CLOSE, 10);
    e.kind = KIND_TIMER;
    e.name = "creator"; /* what the decoder made of "" */
    feed(m, e);
    h = model_handle(m->loops[0], 10);
    cr_assert_not_null(h);
    cr_assert_str_eq(model_str(m, h->name), "", "the close event's name is not taken");
    /* a handle made before the trace started: its close is all there is */
    e = ev(EV_HANDLE_CLOSE, 20);
    e.kind = KIND_TIMER;
    e.name = "old";
    feed(m, e);
    h = model_handle(m->loops[0], 20);
    cr_assert_not_null(h);
    cr_assert_str_eq(model_str(m, h->name), "old");
    model_finish(m);
    model_free(m);
}

/* The watchdog catches a callback after 100 ms; it returns after 300 ms: the stall is 300 ms. */
Test(analyze_model, a_stall_lasts_until_its_callback_returns, .timeout = 5)
{
    struct model *m = new_model();
    struct event e;

    loop_start(m);
    handle(m, 1, KIND_TIMER, "st.c", 3);
    at(1);
    e = ev(EV_CALLBACK_BEGIN, 1);
    e.kind = KIND_TIMER;
    feed(m, e);
    at(101);
    e = ev(EV_STALL, 1);
    e.duration_ns = 100 * MS;
    e.backtrace = "#0 x";
    feed(m, e);
    at(301);
    e = ev(EV_CALLBACK_END, 1);
    e.kind = KIND_TIMER;
    feed(m, e);
    model_finish(m);
    cr_assert_eq(m->nstalls, 1);
    cr_assert_eq(m->stalls[0].detected_ns, 100 * MS);
    cr_assert_eq(m->stalls[0].duration_ns, 300 * MS);
    cr_assert(m->stalls[0].ended);
    model_free(m);
}

/* 100,000 uniquely named tasks: the name table stops at MODEL_MAX_NAMES, the rest is "(other)". */
Test(analyze_model, distinct_task_names_are_bounded_and_the_tail_folds_into_other, .timeout = 30)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct findings f;
    char name[32];
    uint64_t id, n = 0;
    const struct mtask *last;

    loop_start(m);
    for (id = 10; n < MODEL_MAX_NAMES + 1000; id += 2, n++) {
        snprintf(name, sizeof name, "conn-%llu", (unsigned long long)n);
        spawn(m, id, name, "s.c", 5);
        run(m, id);
        done(m, id, TS_DONE, 0);
    }
    spawn(m, id, "conn-0", "s.c", 5); /* a name already known keeps its name */
    cr_assert_str_eq(model_str(m, model_task(m->loops[0], id)->name), "conn-0");
    last = model_task(m->loops[0], id);
    cr_assert_not_null(last);
    cr_assert_leq(m->strs.len, MODEL_MAX_NAMES + 16, "names kept: %zu", m->strs.len);
    cr_assert_geq(m->names_folded, 1000);
    spawn(m, id + 2, "conn-new", "s.c", 5);
    cr_assert_str_eq(model_str(m, model_task(m->loops[0], id + 2)->name), "(other)");
    feed(m, ev(EV_RUN_END, 0));
    model_finish(m);
    cr_assert_eq(findings_count(&c, &f), 0);
    model_free(m);
}

/* ---------------------------------------------------------------------- */
/* A trace that starts mid-run: the state snapshot (format minor 3)        */

static void snap_begin(struct model *m)
{
    struct event e = ev(EV_SNAPSHOT_BEGIN, 0);

    e.format_version = 1;
    e.format_minor = 3;
    e.now_ns = 900 * MS;
    feed(m, e);
}

static void snap_task_waiting(struct model *m, uint64_t id, const char *name, uint64_t age_ms,
                              uint64_t lock, uint64_t owner, int line)
{
    struct event e = ev(EV_SNAPSHOT_TASK, id);

    e.name = name;
    e.site.file = "mid.c";
    e.site.func = "main";
    e.site.line = 40;
    e.state = TS_WAITING;
    e.age_ns = age_ms * MS;
    feed(m, e);
    e = ev(EV_SNAPSHOT_WAIT, id);
    e.wait_kind = WAIT_LOCK;
    e.obj_id = lock;
    e.wait_task = owner;
    e.site.file = "mid.c";
    e.site.func = name;
    e.site.line = line;
    feed(m, e);
}

Test(analyze_model, snapshot_a_deadlock_formed_before_the_trace_is_found_with_sites, .timeout = 5)
{
    struct model *m = new_model();
    struct ctx c = ctx_of(m);
    struct hang *h;
    struct findings f;
    struct event e;
    size_t n, i;
    const struct mloop *l;

    at(10);
    snap_begin(m);
    e = ev(EV_SNAPSHOT_HANDLE, 4); /* task 3's timer: libloop's own */
    e.kind = KIND_TIMER;
    e.parent_task = 3;
    e.hflags = 2;
    feed(m, e);
    snap_task_waiting(m, 3, "alpha", 7, 2, 5, 15);
    snap_task_waiting(m, 5, "beta", 7, 1, 3, 28);
    feed(m, ev(EV_SNAPSHOT_END, 0));
    at(50);
    feed(m, ev(EV_ITER_BEGIN, 0));
    model_finish(m);
    l = m->loops[0];
    cr_assert(!mloop_state_unknown(l));
    cr_assert_eq(l->tasks_new, 0, "snapshot tasks are not spawned in the trace");
    cr_assert_eq(l->format_minor, 3);
    cr_assert_eq(m->ncycles, 1, "cycles: %zu", m->ncycles);
    cr_assert_eq(m->cycles[0].n, 2);
    for (i = 0; i < m->cycles[0].n; i++) {
        const struct cycle_edge *ce = &m->cycles[0].edges[i];
        cr_assert_eq(ce->inferred, 0, "the owner comes from the snapshot");
        cr_assert_eq(model_site(m, ce->wait_site)->line, ce->task == 3 ? 15 : 28);
    }
    cr_assert_eq(model_task(l, 3)->t_state, now_ns - 40 * MS - 7 * MS, "since: the snapshot's age");
    cr_assert_eq(hangs_collect(&c, &h, &n), 0);
    cr_assert_eq(n, 2);
    for (i = 0; i < n; i++) {
        cr_assert_eq(h[i].cls, HANG_DEADLOCK);
    }
    free(h);
    cr_assert_eq(findings_count(&c, &f), 0);
    cr_assert_eq(f.deadlocks, 1);
    cr_assert_eq(f.leaked_handles, 0, "libloop's own timer is no leak");
    model_free(m);
}

Test(analyze_model, snapshot_does_not_override_what_the_trace_said, .timeout = 5)
{
    struct model *m = new_model();
    const struct mtask *t;

    loop_start(m);
    spawn(m, 3, "alpha", "dl.c", 20);
    at(1);
    run(m, 3);
    suspend(m, 3, WAIT_SLEEP, 0, 50 * MS, "dl.c", 8, "alpha");
    at(20);
    snap_begin(m);
    snap_task_waiting(m, 3, "other", 19, 2, 0, 99);
    feed(m, ev(EV_SNAPSHOT_END, 0));
    model_finish(m);
    t = model_task(m->loops[0], 3);
    cr_assert_not_null(t);
    cr_assert_eq(t->wait_kind, WAIT_SLEEP);
    cr_assert_str_eq(model_str(m, t->name), "alpha");
    cr_assert_eq(m->loops[0]->tasks_new, 1);
    cr_assert_eq(m->loops[0]->format_minor, 0, "loop_new's facts stay");
    model_free(m);
}

Test(analyze_model, midrun_without_a_complete_snapshot_is_state_unknown, .timeout = 5)
{
    struct model *m = new_model();
    struct event e;

    at(5);
    e = ev(EV_TASK_READY, 7); /* mid-run: a task never created in the trace */
    e.kind = KIND_TASK;
    e.by_id = 9;
    feed(m, e);
    cr_assert(mloop_state_unknown(m->loops[0]));
    feed(m, ev(EV_SNAPSHOT_WAIT, 7)); /* no snapshot_task before it: ignored */
    feed(m, ev(EV_SNAPSHOT_END, 0));  /* no begin: not a snapshot */
    cr_assert(mloop_state_unknown(m->loops[0]));
    cr_assert_eq(model_task(m->loops[0], 7)->wait_kind, WAIT_NONE);
    snap_begin(m);
    cr_assert(mloop_state_unknown(m->loops[0]), "a snapshot counts once complete");
    feed(m, ev(EV_SNAPSHOT_END, 0));
    cr_assert(!mloop_state_unknown(m->loops[0]));
    model_finish(m);
    model_free(m);
}
