/*
 * model_snapshot.c — a trace that starts mid-run: the state snapshot
 * (snapshot_begin .. snapshot_end, format minor 3) that libloop emits when
 * tracing is turned on in a running process (loopctl PID trace on,
 * loop-trace attach) and every 2 s while it stays on.
 *
 * Objects known only from the snapshot (no task_new / handle_new in the
 * trace) are created from it, with their state and, for a waiting task, its
 * wait (kind, object, site, the lock owner or joined task), so the wait-for
 * analysis sees a deadlock that formed before tracing started. What the
 * trace's own events said first wins: an object already known (created in
 * the trace or by an earlier snapshot) is left alone; a placeholder (events
 * seen, never its creation) gets its identity, and its state only while no
 * event gave it one. Snapshot objects do not count as created or spawned in
 * the trace's counters.
 *
 * A loop with neither loop_new nor a complete snapshot is one whose trace
 * starts mid-run with its earlier state unknown (mloop_state_unknown): the
 * reports say that findings from before the attach point are missing.
 */
#include "model_int.h"

static void on_begin(struct model *m, struct mloop *l, const struct event *ev)
{
    (void)m;
    if (!(l->flags & LF_SEEN_NEW) && !(l->flags & LF_SNAPSHOT)) {
        /* the loop_new facts, as of now */
        l->format_version = ev->format_version;
        l->version_major = ev->version_major;
        l->version_minor = ev->version_minor;
        l->format_minor = ev->format_minor;
        if (ev->format_minor >= 1) {
            l->flags |= LF_MINOR1;
        }
        l->policy = ev->policy;
        l->debug = ev->debug;
        if (ev->now_ns != 0 && !l->have_clock_off) {
            l->clock_off = (int64_t)(ev->ts_ns - ev->now_ns);
            l->have_clock_off = 1;
        }
    }
    l->snap_task = 0;
    l->snap_open = 1;
}

static void on_handle(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h = model_handle(l, ev->id);

    if (h != NULL && (h->flags & HF_SEEN_NEW)) {
        return; /* known from the trace (or an earlier snapshot) */
    }
    if (h == NULL && u64map_get(&l->objs, ev->id) != NULL) {
        l->anomalies++;
        return; /* the id names something else */
    }
    if (h == NULL) {
        h = model__handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
        if (h == NULL) {
            return;
        }
        if (ev->hflags & 1) {
            h->flags |= HF_ACTIVE | HF_STARTED;
        }
    }
    h->flags |= HF_SEEN_NEW;
    h->kind = ev->kind < KIND_MAX && ev->kind != KIND_TASK ? ev->kind : KIND_NONE;
    h->name = model__intern(m, ev->name);
    h->site = model__site_of(m, &ev->site);
    h->parent_task = ev->parent_task;
    if (ev->hflags & 2) {
        h->flags |= HF_INTERNAL; /* libloop's own: a task's timer */
        h->owner_task = ev->parent_task;
    }
    if (h->kind == KIND_IO && ev->fd >= 0) {
        h->fd = ev->fd;
    }
}

static void on_task(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = model_task(l, ev->id);

    l->snap_task = 0;
    if (t != NULL && (t->flags & (TF_SEEN_NEW | TF_SNAPSHOT))) {
        return; /* known: its own events say more than the snapshot */
    }
    if (t == NULL) {
        t = model__task_get(m, l, ev->id, ev->ts_ns);
        if (t == NULL) {
            return;
        }
    }
    t->flags |= TF_SNAPSHOT;
    t->parent = ev->parent_task;
    t->name = model__intern(m, ev->name);
    t->site = model__site_of(m, &ev->site);
    if (t->row != 0) {
        m->rows[t->row - 1].name = t->name;
        m->rows[t->row - 1].site = t->site;
        m->rows[t->row - 1].parent = ev->parent_task;
    }
    if (t->state != TS_NEW || (t->flags & TF_FINISHED) || ev->state >= TS_DONE) {
        return; /* its events already gave it a state */
    }
    t->state = ev->state;
    t->t_state = ev->age_ns < ev->ts_ns ? ev->ts_ns - ev->age_ns : ev->ts_ns;
    if (t->state == TS_READY) {
        t->t_ready = t->t_state;
    }
    if (t->state == TS_WAITING) {
        l->snap_task = t->o.id; /* its snapshot_wait follows */
    }
}

static void on_wait(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t;

    if (l->snap_task == 0 || ev->id != l->snap_task) {
        return;
    }
    l->snap_task = 0;
    t = model_task(l, ev->id);
    if (t == NULL || t->state != TS_WAITING) {
        return;
    }
    t->wait_kind = ev->wait_kind;
    t->wait_obj = ev->obj_id;
    t->wait_task = ev->wait_kind == WAIT_LOCK || ev->wait_kind == WAIT_JOIN ? ev->wait_task : 0;
    t->wait_timeout_ns = ev->timeout_ns;
    t->wait_site = model__site_of(m, &ev->site);
    model__sync_wait_begin(m, l, t);
    if (ev->wait_kind == WAIT_JOIN) {
        struct mtask *target = model_task(l, ev->obj_id);
        if (target != NULL) {
            target->flags |= TF_JOIN_WAITED;
        }
    } else if (ev->wait_kind == WAIT_LOCK && ev->wait_task != 0) {
        struct mlock *k = model__lock_get(m, l, ev->obj_id);
        if (k != NULL && k->how == OWNER_UNKNOWN) {
            k->owner = ev->wait_task;
            k->how = OWNER_FIELD;
            k->t_owner = ev->ts_ns;
        }
    }
}

void model__on_snapshot(struct model *m, struct mloop *l, const struct event *ev)
{
    switch (ev->type) {
    case EV_SNAPSHOT_BEGIN:
        on_begin(m, l, ev);
        break;
    case EV_SNAPSHOT_HANDLE:
        on_handle(m, l, ev);
        break;
    case EV_SNAPSHOT_TASK:
        on_task(m, l, ev);
        break;
    case EV_SNAPSHOT_WAIT:
        on_wait(m, l, ev);
        break;
    case EV_SNAPSHOT_END:
        if (!l->snap_open) {
            l->anomalies++; /* an end without its begin: the state may be partial */
            break;
        }
        l->snap_open = 0;
        l->snap_task = 0;
        if (!(l->flags & LF_SNAPSHOT)) {
            l->t_snapshot = ev->ts_ns;
        }
        l->flags |= LF_SNAPSHOT;
        l->snapshots++;
        /* waits that formed before the trace: a deadlock among them is one now */
        model__check_deadlocks(m, l, ev->ts_ns, 0, 0);
        break;
    default:
        break;
    }
}
