/*
 * model_task.c — task events: the state machine (new, ready, running,
 * waiting, finished), steps and waits with their sites, scheduling delays,
 * folded stacks, lock hand-offs, libloop's own fd waiters, joins and
 * detaches, and the lints decided when a task ends or when its outcome can
 * no longer be retrieved (failed or cancelled unobserved, self-wakes,
 * never-yielding steps, finished holding a lock).
 */
#include "model_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Task events                                                             */

/* Close the task's current state interval at ts. */
void model__task_close_state(struct model *m, struct mtask *t, uint64_t ts)
{
    switch (t->state) {
    case TS_READY:
        t->ready_ns += since(t->t_state, ts);
        model__ival_add(m, t->row, IV_READY, t->wake_kind, t->t_state, ts, t->wake_by, 0);
        break;
    case TS_RUNNING:
        model__ival_add(m, t->row, IV_RUN, 0, t->t_state, ts, 0, t->wait_site);
        break;
    case TS_WAITING: {
        struct ival *v;
        t->wait_ns += since(t->t_state, ts);
        v = model__ival_add(m, t->row, IV_WAIT, t->wait_kind, t->t_state, ts, t->wait_obj, t->wait_site);
        if (v != NULL) {
            v->obj_site = t->wait_obj_site;
        }
        break;
    }
    default:
        break;
    }
}

static void wait_ended(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    struct akey k = {t->wait_kind, t->wait_site, 0};
    struct waitstat *w;
    uint64_t d = since(t->t_state, ts);

    model__sync_wait_end(l, t);
    if (t->wait_kind == WAIT_YIELD) {
        return;
    }
    w = model__agg_get(m, &m->waits, k, sizeof(*w));
    if (w == NULL) {
        return;
    }
    w->wait_kind = t->wait_kind;
    w->site = t->wait_site;
    if (d > w->wait.max || w->wait.count == 0) {
        w->max_task = t->o.id;
        w->max_vpid = l->vpid;
        w->max_loop = l->loop_id;
    }
    if (hist_add(&w->wait, d) < 0) {
        m->oom = 1;
    }
    if (d > m->opts.threshold_ns && t->wait_kind != WAIT_SLEEP) {
        struct instance in = {l->vpid, l->loop_id, t->o.id, KIND_TASK, t->wait_kind,
                              t->name, t->wait_site, t->site, t->t_state, d, t->wait_obj,
                              (uint8_t)((l->flags & LF_GAP) != 0)};
        w->over++;
        model__topk_add(&m->long_waits, &in);
    }
}

void model__on_task_new(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model__task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL) {
        return;
    }
    if (t->flags & TF_SEEN_NEW) {
        l->anomalies++; /* a second task_new: keep the first identity */
        return;
    }
    t->flags |= TF_SEEN_NEW;
    t->parent = ev->parent_task;
    t->name = model__intern_name(m, ev->name);
    t->site = model__site_of(m, &ev->site);
    t->t_new = ev->ts_ns;
    if (t->row != 0) {
        m->rows[t->row - 1].name = t->name;
        m->rows[t->row - 1].site = t->site;
        m->rows[t->row - 1].t_begin = ev->ts_ns;
        m->rows[t->row - 1].parent = ev->parent_task;
    }
    l->tasks_new++;
    l->last_task_new_id = ev->id;
}

void model__on_task_ready(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model__task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    if (t->state == TS_WAITING) {
        /* a lock waiter woken by another task (not a cancel, not a timeout) got the lock */
        if (t->wait_kind == WAIT_LOCK && ev->kind == KIND_TASK && ev->by_id != 0 &&
            ev->by_id != t->o.id && !((t->flags & TF_CANCEL_REQ) && t->cancel_by == ev->by_id &&
                                      t->t_cancel >= t->t_state)) {
            struct mlock *k = model__lock_get(m, l, t->wait_obj);
            if (k != NULL) {
                k->owner = t->o.id;
                k->how = OWNER_HANDOFF;
                k->t_owner = ev->ts_ns;
            }
        }
        int cancelled = (t->flags & TF_CANCEL_REQ) && t->t_cancel >= t->t_state;
        /* its own timeout timer (any timer when that one is unknown; a callback that completes it is another) */
        int timed_out = ev->kind == KIND_TIMER && (t->timer_id == 0 || ev->by_id == t->timer_id);
        /* a task woke a waiter on a sync object: it can complete such waits */
        if (ev->kind == KIND_TASK && ev->by_id != 0 && ev->by_id != t->o.id && model__obj_wait(t->wait_kind) &&
            !(cancelled && t->cancel_by == ev->by_id)) {
            model__sync_user(model_sync(l, t->wait_obj), t->wait_kind == WAIT_CHAN_SEND, ev->by_id);
        }
        model__stuck_woken(m, l, t, ev->ts_ns);
        /* a wait broken by a timeout or a cancel: was it a deadlock? (else: completed, not one) */
        if (t->wait_kind == WAIT_LOCK || t->wait_kind == WAIT_JOIN || model__obj_wait(t->wait_kind)) {
            model__cycles_woken(m, l, t, timed_out || cancelled, ev->ts_ns);
        }
        if (model__obj_wait(t->wait_kind)) {
            model__lost_wait_end(m, l, t, cancelled ? 2 : timed_out ? 1 : 3, ev->ts_ns);
        }
        wait_ended(m, l, t, ev->ts_ns);
    } else if (t->state == TS_RUNNING && ev->kind == KIND_TASK && ev->by_id == t->o.id) {
        /* yield without a suspend first: treat as a zero wait */
    } else if (t->state == TS_READY) {
        return; /* already ready: a duplicate wake */
    }
    t->wakes += t->state != TS_NEW;
    if (t->state != TS_NEW && ev->kind == KIND_TASK && ev->by_id == t->o.id) {
        t->self_wakes++;
    }
    model__task_close_state(m, t, ev->ts_ns);
    t->wake_kind = ev->kind;
    t->wake_by = ev->by_id;
    t->state = TS_READY;
    t->t_state = ev->ts_ns;
    t->t_ready = ev->ts_ns;
}

void model__on_task_run(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model__task_get(m, l, ev->id, ev->ts_ns);
    struct prof *p;

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    if (t->state == TS_READY && t->t_ready != 0) {
        p = model__prof_task(m, t->name, t->site);
        if (p != NULL && hist_add(&p->delay, since(t->t_ready, ev->ts_ns)) < 0) {
            m->oom = 1;
        }
    } else {
        l->anomalies++; /* a run without a ready */
    }
    model__task_close_state(m, t, ev->ts_ns);
    t->state = TS_RUNNING;
    t->t_state = ev->ts_ns;
    t->t_run = ev->ts_ns;
    t->steps++;
    l->cur_task = t->o.id;
}

/* A step ends (suspend or done): its time, and the folded stack at its resume site. */
static void step_ended(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    uint64_t d;
    struct akey k;
    struct fold *f;

    if (t->state != TS_RUNNING) {
        return;
    }
    d = since(t->t_run, ts);
    t->run_ns += d;
    if (d > t->max_step_ns) {
        t->max_step_ns = d;
    }
    k.a = ((uint64_t)l->proc->procname << 32) | KIND_TASK;
    k.b = ((uint64_t)t->name << 32) | t->wait_site;
    k.c = ((uint64_t)t->site << 32) ^ l->loop_id;
    f = model__agg_get(m, &m->folds, k, sizeof(*f));
    if (f != NULL) {
        f->proc = l->proc->procname;
        f->loop_id = l->loop_id;
        f->kind = KIND_TASK;
        f->name = t->name;
        f->site = t->wait_site;
        f->spawn_site = t->site;
        f->ns += d;
        f->count++;
    }
    if (d > m->opts.threshold_ns) {
        struct akey ka = {AGG_LONG_STEP, t->name, t->name ? 0 : t->site};
        struct aggsite *a = model__agg_get(m, &m->aggs, ka, sizeof(*a));
        if (a != NULL) {
            if (a->count == 0) {
                a->first_ts = t->t_run;
                a->example_id = t->o.id;
                a->vpid = l->vpid;
                a->loop_id = l->loop_id;
            }
            a->what = AGG_LONG_STEP;
            a->kind = KIND_TASK;
            a->name = t->name;
            a->site = t->wait_site;
            a->count++;
            a->last_ts = t->t_run;
            if (d > a->value) {
                a->value = d;
            }
        }
    }
    if (l->cur_task == t->o.id) {
        l->cur_task = 0;
    }
}

void model__on_task_suspend(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model__task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    if (t->state != TS_RUNNING) {
        l->anomalies++;
    }
    if (t->state == TS_WAITING) {
        model__sync_wait_end(l, t); /* a second suspend without a wake */
    }
    step_ended(m, l, t, ev->ts_ns);
    model__task_close_state(m, t, ev->ts_ns);
    t->state = TS_WAITING;
    t->t_state = ev->ts_ns;
    t->wait_kind = ev->wait_kind;
    t->wait_obj = ev->obj_id;
    t->wait_task = ev->wait_kind == WAIT_LOCK || ev->wait_kind == WAIT_JOIN ? ev->wait_task : 0;
    t->wait_timeout_ns = ev->timeout_ns;
    t->wait_site = model__site_of(m, &ev->site);
    model__sync_wait_begin(m, l, t);
    if (model__obj_wait(t->wait_kind)) {
        model__lost_wait_begin(m, l, t, ev->ts_ns);
    }
    if (l->fdw_candidate != 0) {
        struct mhandle *h = model_handle(l, l->fdw_candidate);
        if (h != NULL && ev->wait_kind == WAIT_FD && h->fd >= 0 && (uint64_t)h->fd == ev->obj_id &&
            !(h->flags & (HF_INTERNAL | HF_CLOSING))) {
            h->flags |= HF_INTERNAL;
            h->owner_task = t->o.id;
            if (l->handles_new > 0) {
                l->handles_new--;
            }
        }
        l->fdw_candidate = 0;
    }
    if (ev->wait_kind == WAIT_JOIN) {
        struct mtask *target = model_task(l, ev->obj_id);
        if (target != NULL) {
            target->flags |= TF_JOIN_WAITED;
        }
        model__quick_cycle_check(m, l, t, ev->ts_ns);
    } else if (ev->wait_kind == WAIT_LOCK) {
        struct mlock *k = model__lock_get(m, l, ev->obj_id);
        if (k != NULL) {
            if (ev->wait_task != 0) {
                k->owner = ev->wait_task;
                k->how = OWNER_FIELD;
                k->t_owner = ev->ts_ns;
            } else if (k->owner == t->o.id) {
                k->how = OWNER_UNKNOWN; /* it waits for it: it does not hold it */
                k->owner = 0;
            }
        }
        model__quick_cycle_check(m, l, t, ev->ts_ns);
    } else if (model__obj_wait(ev->wait_kind)) {
        model__quick_cycle_check(m, l, t, ev->ts_ns);
    }
}

static void agg_task_end(struct model *m, struct mloop *l, struct mtask *t, enum agg_what what,
                         uint64_t value, uint64_t ts)
{
    struct akey k = {what, t->site, what == AGG_SELF_WAKE ? t->name : 0};
    struct aggsite *a = model__agg_get(m, &m->aggs, k, sizeof(*a));

    if (a == NULL) {
        return;
    }
    if (a->count == 0) {
        a->first_ts = ts;
        a->example_id = t->o.id;
        a->vpid = l->vpid;
        a->loop_id = l->loop_id;
    }
    a->what = (uint8_t)what;
    a->kind = KIND_TASK;
    a->site = t->site;
    a->name = t->name;
    a->count++;
    a->last_ts = ts;
    if (value > a->value) {
        a->value = value;
    }
}

/*
 * Is a live task other than t waiting on this lock? A lock release leaves no
 * event, but a release with waiters hands the lock to the first of them (a
 * task_ready): a lock still owned by t while another task waits on it was
 * never released. Without waiters nothing tells whether it was.
 */
static int lock_has_waiter(const struct mloop *l, const struct mtask *t, uint64_t lock)
{
    const struct msync *s = model_sync(l, lock);
    size_t it = 0;
    void *v;

    if (s != NULL) {
        return s->waiters > 0;
    }
    if (l->live_tasks > MAX_INFER_TASKS) {
        return 0;
    }
    while (u64map_next(&l->objs, &it, NULL, &v)) {
        const struct mtask *w = v;
        if (w->o.type == OBJ_TASK && w != t && !(w->flags & TF_FINISHED) && w->state == TS_WAITING &&
            w->wait_kind == WAIT_LOCK && w->wait_obj == lock) {
            return 1;
        }
    }
    return 0;
}

/* The task finished: the locks it was known to hold go (its timer at its handle_close). */
static void task_release(struct model *m, struct mloop *l, struct mtask *t)
{
    size_t it = 0;
    void *v;

    /* its timeout timer stays until its handle_close (when libloop frees the task) */
    /* locks it was known to hold are now in an unknown state */
    while (u64map_next(&l->locks, &it, NULL, &v)) {
        struct mlock *k = v;
        if (k->owner == t->o.id && k->how != OWNER_UNKNOWN) {
            if (lock_has_waiter(l, t, k->o.id)) {
                agg_task_end(m, l, t, AGG_HELD_LOCK_AT_END, k->o.id, t->t_state);
            }
            k->owner = 0;
            k->how = OWNER_UNKNOWN;
        }
    }
}

/* Its record goes: libloop freed the task (finished, and joined or detached). */
static void task_forget(struct mloop *l, struct mtask *t)
{
    u64map_del(&l->objs, t->o.id);
    free(t);
}

/*
 * Can the outcome of a finished task still be retrieved, so that the record
 * must stay? Only where the trace says who joins (format_minor >= 1), for a
 * task neither joined nor detached whose task_new was seen.
 */
static int task_awaits_join(const struct mloop *l, const struct mtask *t)
{
    return mloop_has_joins(l) && (t->flags & TF_SEEN_NEW) && !(t->flags & (TF_JOINED | TF_DETACHED));
}

/*
 * Lints of a task whose outcome nobody will retrieve, decided when that is
 * known (see docs/analyze.md): a task detached with loop_task_detach() that
 * failed lost its error; a group-owned task is observed by its group (the
 * group's wait returns the first error and cancels the rest); a detached
 * task's cancellation is the caller's choice, not an oversight.
 */
static void task_unretrieved(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    if (t->flags & TF_JOINED) {
        return;
    }
    if (t->flags & TF_DETACHED) {
        if (t->group_id == 0 && t->state == TS_FAILED) {
            agg_task_end(m, l, t, AGG_FAILED_UNJOINED, (uint64_t)(int64_t)t->err, ts);
        }
        return;
    }
    if (t->state == TS_FAILED) {
        agg_task_end(m, l, t, AGG_FAILED_UNJOINED, (uint64_t)(int64_t)t->err, ts);
    } else if (t->state == TS_CANCELLED) {
        agg_task_end(m, l, t, AGG_CANCELLED_UNOBSERVED, 0, ts);
    }
}

void model__on_task_done(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model__task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    if (t->state == TS_WAITING) {
        wait_ended(m, l, t, ev->ts_ns);
    }
    step_ended(m, l, t, ev->ts_ns);
    model__task_close_state(m, t, ev->ts_ns);
    l->done_id = t->o.id;
    l->done_name = t->name;
    l->done_site = t->site;
    l->done_wait_site = t->wait_site;
    l->fdw_candidate = 0;
    t->state = ev->state <= TS_FAILED && ev->state >= TS_DONE ? ev->state : TS_DONE;
    t->err = ev->err;
    t->t_state = ev->ts_ns;
    t->flags |= TF_FINISHED;
    if (l->live_tasks > 0) {
        l->live_tasks--;
    }
    if (t->watch[0] != 0) {
        model__lost_task_done(m, l, t, ev->ts_ns);
    }
    if (t->state == TS_CANCELLED) {
        l->tasks_cancelled++;
    } else if (t->state == TS_FAILED) {
        l->tasks_failed++;
    } else {
        l->tasks_done++;
    }
    if (t->row != 0) {
        struct trow *r = &m->rows[t->row - 1];
        r->t_end = ev->ts_ns;
        r->end_state = t->state;
    }
    if (t->wakes >= 10 && t->self_wakes * 2 > t->wakes) {
        agg_task_end(m, l, t, AGG_SELF_WAKE, t->self_wakes * 100 / t->wakes, ev->ts_ns);
    }
    task_release(m, l, t);
    if (!mloop_has_joins(l)) {
        /* no join events (format_minor 0): "nobody waited to join it" is the best guess */
        if (t->state == TS_FAILED && !(t->flags & TF_JOIN_WAITED)) {
            agg_task_end(m, l, t, AGG_FAILED_UNJOINED, (uint64_t)(int64_t)t->err, ev->ts_ns);
        }
        if (t->state == TS_CANCELLED && !(t->flags & TF_JOIN_WAITED)) {
            agg_task_end(m, l, t, AGG_CANCELLED_UNOBSERVED, 0, ev->ts_ns);
        }
        task_forget(l, t);
    } else if (!task_awaits_join(l, t)) {
        task_unretrieved(m, l, t, ev->ts_ns);
        task_forget(l, t);
    }
    /* else kept (finished) until task_join, task_detach or the end of the trace */
}

void model__on_task_join(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model_task(l, ev->id);

    (void)m;
    l->flags |= LF_MINOR1;
    if (t == NULL) {
        return; /* spawned before the trace started */
    }
    if (t->flags & TF_JOINED) {
        l->anomalies++; /* an outcome is retrieved once */
        return;
    }
    t->flags |= TF_JOINED;
    l->tasks_joined++;
    if (t->flags & TF_FINISHED) {
        task_forget(l, t);
    } else {
        l->anomalies++; /* joined before its task_done: kept until it */
    }
}

void model__on_task_detach(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model_task(l, ev->id);

    l->flags |= LF_MINOR1;
    if (t == NULL) {
        return;
    }
    if (t->flags & (TF_DETACHED | TF_JOINED)) {
        l->anomalies++;
        return;
    }
    t->flags |= TF_DETACHED;
    t->group_id = ev->group_id;
    l->tasks_detached++;
    if (t->flags & TF_FINISHED) {
        task_unretrieved(m, l, t, ev->ts_ns);
        task_forget(l, t);
    }
}

/* The end of the trace: finished tasks nobody joined, in loops whose trace has joins. */
void model__tasks_finish(struct model *m, struct mloop *l)
{
    size_t it = 0;
    void *v;

    if (!mloop_has_joins(l)) {
        return;
    }
    while (u64map_next(&l->objs, &it, NULL, &v)) {
        struct mtask *t = v;
        if (t->o.type == OBJ_TASK && (t->flags & TF_FINISHED) && task_awaits_join(l, t)) {
            task_unretrieved(m, l, t, t->t_state);
        }
    }
}

void model__on_task_cancel(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model__task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    t->flags |= TF_CANCEL_REQ;
    t->cancel_by = ev->by_id;
    t->t_cancel = ev->ts_ns;
}
