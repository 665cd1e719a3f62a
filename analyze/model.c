/*
 * model.c — rebuilds processes, loops, tasks and handles from libloop events
 * (model.h), and keeps the aggregates the reports read: the feed and the
 * life cycle here; the rest in model_*.c (see model_int.h).
 *
 * Contract: model_feed() accepts any sequence of events. Nothing in an
 * event is trusted: ids may be unknown (a placeholder is made), ends may
 * come without begins (counted in `anomalies`, skipped), values may be
 * absurd (durations are computed only when time goes forward). Memory is
 * bounded by live objects plus aggregates keyed by site / task name, with
 * a cap on distinct task-name profiles; lists of instances are top-K.
 *
 * What the trace does not say, and how it is inferred:
 *  - lock owners: from the optional `wait_task` field of task_suspend when
 *    the trace has it; else from FIFO hand-offs (a lock waiter woken by a
 *    task now owns the lock); else, for the wait-for analysis, the owner is
 *    one of the live tasks not waiting on that lock (inferred when only one).
 *  - a task's internal timeout timer: the timer handle_new right after its
 *    task_new, with the next id (libloop creates it there); it is the task's,
 *    not a user handle, and is neither profiled nor reported as a leak.
 *  - a task's fd-wait watcher: an io handle_new inside a task step whose
 *    fd is what that step then suspends on (WAIT_FD); libloop keeps one per
 *    fd for the task layer and frees it without handle_close.
 *  - call-soon records are defer handles never started: done after their callback.
 *  - in a loop whose loop_new says format_minor 0 (an older libloop) there are
 *    no joins, detaches, sync objects or task_io events: a finished task is
 *    forgotten at once, "nobody joined it" falls back to "no task waited to
 *    join it", and its tasks' I/O is unknown (not zero).
 */
#include "model_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* The feed                                                                */

static void on_loop_event(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h;

    switch (ev->type) {
    case EV_LOOP_NEW:
        if (l->flags & LF_SEEN_NEW) {
            l->anomalies++;
        }
        l->flags |= LF_SEEN_NEW;
        l->flags &= ~(uint32_t)LF_CLOSED;
        l->t_new = ev->ts_ns;
        l->format_version = ev->format_version;
        l->version_major = ev->version_major;
        l->version_minor = ev->version_minor;
        l->format_minor = ev->format_minor;
        if (ev->format_minor >= 1) {
            l->flags |= LF_MINOR1;
        }
        l->policy = ev->policy;
        l->debug = ev->debug;
        l->clock_off = (int64_t)(ev->ts_ns - ev->now_ns);
        l->have_clock_off = ev->now_ns != 0;
        break;
    case EV_LOOP_CLOSE:
        l->flags |= LF_CLOSED;
        l->t_close = ev->ts_ns;
        break;
    case EV_RUN_BEGIN:
        l->flags |= LF_RUNNING;
        l->t_run_begin = ev->ts_ns;
        break;
    case EV_RUN_END:
        if (l->flags & LF_RUNNING) {
            l->run_ns += since(l->t_run_begin, ev->ts_ns);
        } else {
            l->anomalies++;
        }
        l->flags &= ~(uint32_t)LF_RUNNING;
        l->flags |= LF_RAN;
        l->t_run_end = ev->ts_ns;
        l->last_rc = ev->rc;
        /* the loop stopped: tasks blocked on each other stay so */
        model__check_deadlocks(m, l, ev->ts_ns, 0, 0);
        /* an older libloop (no loop_stuck): loop_run returned 0 (nothing alive) with tasks unfinished */
        if (ev->rc == 0 && (l->flags & LF_SEEN_NEW) && l->format_minor < 2) {
            model__stuck_from_run_end(m, l, ev->ts_ns);
        }
        break;
    case EV_ITER_BEGIN:
        if (l->iters > 0 && l->t_iter != 0 && ev->ts_ns >= l->t_iter) {
            uint64_t d = ev->ts_ns - l->t_iter;
            if (hist_add(&l->iter_hist, d) < 0) {
                m->oom = 1;
            }
            model__util_add(&l->util, l->t_iter, 0, d, 1);
        }
        l->iters++;
        l->t_iter = ev->ts_ns;
        /* fallthrough */
    case EV_TIME_UPDATE:
        if (ev->now_ns != 0) {
            l->clock_off = (int64_t)(ev->ts_ns - ev->now_ns);
            l->have_clock_off = 1;
        }
        break;
    case EV_POLL_BEGIN:
        l->flags |= LF_IN_POLL;
        l->poll_begin = ev->ts_ns;
        l->polls++;
        break;
    case EV_POLL_END:
        if (l->flags & LF_IN_POLL) {
            l->poll_ns += since(l->poll_begin, ev->ts_ns);
            model__ival_add(m, model__loop_row(m, l), IV_POLL, 0, l->poll_begin, ev->ts_ns, 0, 0);
        }
        l->flags &= ~(uint32_t)LF_IN_POLL;
        break;
    case EV_IO_READY:
        h = model__handle_get(m, l, ev->id, KIND_IO, ev->ts_ns);
        if (h != NULL && h->t_pending == 0) {
            h->t_pending = ev->ts_ns;
        }
        break;
    case EV_SIGNAL_RECV:
        break;
    case EV_HANDLE_NEW:
        model__on_handle_new(m, l, ev);
        break;
    case EV_POOL_SUBMIT:
        h = model__handle_get(m, l, ev->id, KIND_WORK, ev->ts_ns);
        if (h != NULL && !(h->flags & HF_SEEN_NEW)) {
            model__on_handle_new(m, l, ev);
        }
        if (h != NULL) {
            h->t_pending = 0; /* the delay that matters is the pool's; see pool_end */
        }
        break;
    case EV_HANDLE_NAME:
        h = model__handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
        if (h != NULL) {
            h->name = model__intern_name(m, ev->name);
        }
        break;
    case EV_HANDLE_START:
        model__on_handle_start(m, l, ev);
        break;
    case EV_HANDLE_STOP:
        h = model__handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
        if (h != NULL) {
            h->flags &= (uint8_t)~HF_ACTIVE;
        }
        break;
    case EV_HANDLE_CLOSE:
        model__on_handle_close(m, l, ev);
        break;
    case EV_CALLBACK_BEGIN:
        model__on_callback_begin(m, l, ev);
        break;
    case EV_CALLBACK_END:
        model__on_callback_end(m, l, ev);
        break;
    case EV_POOL_BEGIN:
        break;
    case EV_POOL_END:
        h = model_handle(l, ev->id);
        if (h != NULL) {
            h->t_pending = ev->ts_ns; /* done on the worker: now waits for the loop */
        }
        break;
    case EV_POOL_DONE:
        break;
    case EV_TASK_NEW:
        model__on_task_new(m, l, ev);
        break;
    case EV_TASK_READY:
        model__on_task_ready(m, l, ev);
        break;
    case EV_TASK_RUN:
        model__on_task_run(m, l, ev);
        break;
    case EV_TASK_SUSPEND:
        model__on_task_suspend(m, l, ev);
        break;
    case EV_TASK_DONE:
        model__on_task_done(m, l, ev);
        break;
    case EV_TASK_CANCEL:
        model__on_task_cancel(m, l, ev);
        break;
    case EV_TASK_JOIN:
        model__on_task_join(m, l, ev);
        break;
    case EV_TASK_DETACH:
        model__on_task_detach(m, l, ev);
        break;
    case EV_TASK_IO:
        model__on_task_io(m, l, ev);
        break;
    case EV_SYNC_NEW:
        model__on_sync_new(m, l, ev);
        break;
    case EV_SYNC_FREE:
        model__on_sync_free(m, l, ev);
        break;
    case EV_EVENT_SET:
        model__on_event_set(m, l, ev);
        break;
    case EV_FUTURE_SETTLE:
        model__on_future_settle(m, l, ev);
        break;
    case EV_FUTURE_RESULT:
        model__on_future_result(m, l, ev);
        break;
    case EV_LOCK_HANDOFF:
        model__on_lock_handoff(m, l, ev);
        break;
    case EV_LOOP_STUCK:
        model__on_loop_stuck(m, l, ev);
        break;
    case EV_SLOW_CALLBACK:
        model__on_slow_callback(m, l, ev);
        break;
    case EV_STALL:
        model__on_stall(m, l, ev);
        break;
    case EV_ERROR:
        model__on_error(m, l, ev);
        break;
    case EV_SNAPSHOT_BEGIN: case EV_SNAPSHOT_HANDLE: case EV_SNAPSHOT_TASK: case EV_SNAPSHOT_WAIT: case EV_SNAPSHOT_END:
        model__on_snapshot(m, l, ev);
        break;
    default:
        break;
    }
}

int model_feed(struct model *m, const struct event *ev)
{
    struct mloop *l;
    int oom_before = m->oom;

    if (ev == NULL || m->finished) {
        return 0;
    }
    if (ev->type == EV_DISCARDED) {
        model__on_discarded(m, ev);
        return 0;
    }
    if (ev->type <= EV_NONE || ev->type >= EV_DISCARDED) {
        return 0; /* ticks and unknown types carry nothing for the model */
    }
    if ((m->opts.pid >= 0 && ev->vpid != m->opts.pid) ||
        (m->opts.loop >= 0 && ev->loop_id != (uint64_t)m->opts.loop)) {
        m->filtered++;
        return 0;
    }
    if (m->events == 0 || ev->ts_ns < m->t_first) {
        m->t_first = ev->ts_ns;
    }
    if (ev->ts_ns > m->t_last) {
        m->t_last = ev->ts_ns;
    }
    m->events++;
    if (ev->type == EV_TASK_IO && ev->loop_id == 0) {
        /* outside any task and loop (loop ids start at 1): no loop 0 for it */
        model__io_add(&m->io_outside, ev->op, ev->result);
        return 0;
    }
    l = model__loop_get(m, ev);
    if (l == NULL) {
        return -ENOMEM;
    }
    l->events++;
    if (ev->ts_ns < l->t_first) {
        l->t_first = ev->ts_ns;
    }
    if (ev->ts_ns > l->t_last) {
        l->t_last = ev->ts_ns;
    }
    on_loop_event(m, l, ev);
    l->prev_type = (uint8_t)ev->type;
    return m->oom && !oom_before ? -ENOMEM : 0;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                              */

struct model *model_new(const struct model_opts *opts)
{
    struct model *m = calloc(1, sizeof(*m));
    struct msite unknown = {0, 0, 0};

    if (m == NULL) {
        return NULL;
    }
    if (opts != NULL) {
        m->opts = *opts;
    } else {
        m->opts.pid = -1;
        m->opts.loop = -1;
    }
    if (m->opts.threshold_ns == 0) {
        m->opts.threshold_ns = 100 * 1000 * 1000;
    }
    if (strtab_init(&m->strs) < 0) {
        free(m);
        return NULL;
    }
    m->sites = malloc(256 * sizeof(*m->sites));
    if (m->sites == NULL) {
        strtab_free(&m->strs);
        free(m);
        return NULL;
    }
    m->capsites = 256;
    m->sites[0] = unknown;
    m->nsites = 1;
    return m;
}

uint64_t model_proc_end(const struct model *m, const struct mloop *l)
{
    const struct mproc *p = l->proc;
    uint64_t end = l->t_last;
    size_t i;

    if (p == NULL) {
        return mloop_running(l) ? m->t_last : end;
    }
    for (i = 0; i < p->nloops; i++) {
        if (mloop_running(p->loops[i])) {
            return m->t_last; /* it may still be alive, blocked: to the end of the trace */
        }
        if (p->loops[i]->t_last > end) {
            end = p->loops[i]->t_last;
        }
    }
    return end;
}

void model_scan_deadlocks(struct model *m, uint64_t now)
{
    size_t i;

    for (i = 0; i < m->nloops; i++) {
        if (m->loops[i]->live_tasks > 1) {
            model__check_deadlocks(m, m->loops[i], now, 0, 0);
        }
    }
}

void model_finish(struct model *m)
{
    size_t i, it;
    void *v;

    if (m->finished) {
        return;
    }
    m->finished = 1;
    for (i = 0; i < m->nloops; i++) {
        struct mloop *l = m->loops[i];
        if (l->flags & LF_CB_OPEN) {
            struct crash *c = realloc(m->crashes, (m->ncrashes + 1) * sizeof(*c));
            if (c == NULL) {
                m->oom = 1;
            } else {
                m->crashes = c;
                c = &m->crashes[m->ncrashes++];
                memset(c, 0, sizeof(*c));
                c->vpid = l->vpid;
                c->loop_id = l->loop_id;
                c->id = l->cb_id;
                c->kind = l->cb_kind;
                c->begin_ts = l->cb_begin;
                if (l->cb_kind == KIND_TASK) {
                    struct mtask *t = model_task(l, l->cb_id);
                    if (t != NULL) {
                        c->name = t->name;
                        c->site = t->site;
                        c->site2 = t->wait_site;
                    }
                } else {
                    struct mhandle *h = model_handle(l, l->cb_id);
                    if (h != NULL) {
                        c->name = h->name;
                        c->site = h->site;
                    }
                }
            }
            model__ival_add(m, model__loop_row(m, l), IV_CALLBACK, l->cb_kind, l->cb_begin, m->t_last, l->cb_id, 0);
        }
        if (l->flags & LF_RUNNING) {
            l->run_ns += since(l->t_run_begin, l->t_last);
        }
        model__check_deadlocks(m, l, m->t_last, 0, 1);
        model__tasks_finish(m, l);
        model__sync_finish(m, l);
        m->anomalies += l->anomalies;
        /* close the open intervals of live tasks */
        it = 0;
        while (u64map_next(&l->objs, &it, NULL, &v)) {
            struct mtask *t = v;
            if (t->o.type != OBJ_TASK || (t->flags & TF_FINISHED)) {
                continue;
            }
            if (t->state == TS_RUNNING) {
                t->run_ns += since(t->t_run, m->t_last);
            }
            if (t->row != 0) {
                struct trow *r = &m->rows[t->row - 1];
                model__task_close_state(m, t, m->t_last);
                r->t_end = m->t_last;
                r->end_state = t->state;
                r->end_wait = t->state == TS_WAITING ? t->wait_kind : 0;
                r->end_site = t->wait_site;
                r->end_obj = t->wait_obj;
                r->end_obj_site = t->state == TS_WAITING ? t->wait_obj_site : 0;
                if (r->name == 0) {
                    r->name = t->name;
                }
            }
        }
    }
}

static void prof_fin(void *p)
{
    hist_free(&((struct prof *)p)->step);
    hist_free(&((struct prof *)p)->delay);
}

static void wait_fin(void *p)
{
    hist_free(&((struct waitstat *)p)->wait);
}

void model_free(struct model *m)
{
    size_t i, it;
    void *v;

    if (m == NULL) {
        return;
    }
    for (i = 0; i < m->nloops; i++) {
        struct mloop *l = m->loops[i];
        it = 0;
        while (u64map_next(&l->objs, &it, NULL, &v)) {
            free(v);
        }
        u64map_free(&l->objs);
        it = 0;
        while (u64map_next(&l->locks, &it, NULL, &v)) {
            free(v);
        }
        u64map_free(&l->locks);
        hist_free(&l->iter_hist);
        free(l);
    }
    free(m->loops);
    it = 0;
    while (u64map_next(&m->procs, &it, NULL, &v)) {
        free(((struct mproc *)v)->loops);
        free(v);
    }
    u64map_free(&m->procs);
    model__agg_free_all(&m->profs, prof_fin);
    model__agg_free_all(&m->waits, wait_fin);
    model__agg_free_all(&m->folds, NULL);
    model__agg_free_all(&m->aggs, NULL);
    model__agg_free_all(&m->freedleaks, NULL);
    for (i = 0; i < m->nstalls; i++) {
        free(m->stalls[i].backtrace);
    }
    free(m->stalls);
    for (i = 0; i < m->ncycles; i++) {
        free(m->cycles[i].edges);
    }
    free(m->cycles);
    model__stucks_free(m);
    model__losts_free(m);
    free(m->errors);
    free(m->gaps);
    free(m->crashes);
    free(m->rows);
    free(m->ivals);
    u64map_free(&m->site_idx);
    free(m->sites);
    strtab_free(&m->strs);
    free(m);
}
