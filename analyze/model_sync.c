/*
 * model_sync.c — what trace format minor 1 added: futures, events, locks,
 * channels and task groups from sync_new to sync_free (kind, creation
 * site, creating task), futures settled or failed, tasks joined or
 * detached, and what goes wrong with them while the trace runs: a future
 * freed before anyone resolved it, a failed future whose error nobody
 * retrieved (no future_result),
 * a task left waiting on an object that was freed (a lost wakeup).
 *
 * Memory stays with live objects: a sync object's record goes at
 * sync_free (what must outlive it is folded into per-site aggregates),
 * a finished task's record when it is joined or detached.
 *
 * Nothing is concluded from the absence of these events in a loop whose
 * loop_new said format_minor 0 (mloop_has_joins() is false there); a
 * minor-1 event in a loop whose loop_new was not seen marks the loop too.
 */
#include "model_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct msync *model_sync(const struct mloop *l, uint64_t id)
{
    struct mobj *o = u64map_get(&l->objs, id);

    return o != NULL && o->type == OBJ_SYNC ? (struct msync *)o : NULL;
}

/* Does this wait kind name a sync object in obj_id? */
static int sync_wait_kind(uint8_t wk)
{
    return wk == WAIT_FUTURE || wk == WAIT_EVENT || wk == WAIT_LOCK || wk == WAIT_CHAN_SEND ||
           wk == WAIT_CHAN_RECV || wk == WAIT_GROUP;
}

void model__sync_wait_begin(struct model *m, struct mloop *l, struct mtask *t)
{
    struct msync *s;

    (void)m;
    t->wait_obj_site = 0;
    t->wait_obj_kind = 0;
    t->flags &= (uint8_t)~TF_WAIT_FREED;
    if (!sync_wait_kind(t->wait_kind)) {
        return;
    }
    s = model_sync(l, t->wait_obj);
    if (s == NULL) {
        return;
    }
    t->wait_obj_site = s->site;
    t->wait_obj_kind = (uint8_t)(s->kind + 1);
    /* a sender can complete receive waits, a receiver send waits */
    if (t->wait_kind == WAIT_CHAN_SEND || t->wait_kind == WAIT_CHAN_RECV) {
        model__sync_user(s, t->wait_kind == WAIT_CHAN_RECV, t->o.id);
    }
    s->waiters++;
    s->flags |= SF_AWAITED;
}

void model__sync_wait_end(struct mloop *l, struct mtask *t)
{
    struct msync *s;

    if (!sync_wait_kind(t->wait_kind)) {
        return;
    }
    s = model_sync(l, t->wait_obj);
    if (s != NULL && s->waiters > 0) {
        s->waiters--;
    }
}

/* A per-site lint counter for a sync object (see struct aggsite). */
static void agg_sync(struct model *m, struct mloop *l, enum agg_what what, uint32_t site, uint8_t kind,
                     uint32_t name, uint64_t example, uint64_t value, uint64_t ts)
{
    struct akey k = {what, site, ((uint64_t)kind << 32) | name};
    struct aggsite *a = model__agg_get(m, &m->aggs, k, sizeof(*a));

    if (a == NULL) {
        return;
    }
    if (a->count == 0) {
        a->first_ts = ts;
        a->example_id = example;
        a->vpid = l->vpid;
        a->loop_id = l->loop_id;
        a->value = value;
    }
    a->what = (uint8_t)what;
    a->kind = kind;
    a->site = site;
    a->name = name;
    a->count++;
    a->last_ts = ts;
}

static void freed_leak_add(struct model *m, struct mloop *l, const struct msync *s)
{
    struct akey k = {((uint64_t)s->kind << 32) | s->site, (uint64_t)l->vpid, l->loop_id};
    struct freedleak *f = model__agg_get(m, &m->freedleaks, k, sizeof(*f));

    if (f == NULL) {
        return;
    }
    if (f->count == 0) {
        f->vpid = l->vpid;
        f->loop_id = l->loop_id;
        f->kind = s->kind;
        f->site = s->site;
        f->first_ts = f->last_ts = s->t_new;
    }
    f->count++;
    if (s->t_new < f->first_ts) {
        f->first_ts = s->t_new;
    }
    if (s->t_new > f->last_ts) {
        f->last_ts = s->t_new;
    }
    if (f->nids < sizeof f->ids / sizeof f->ids[0]) {
        f->ids[f->nids++] = s->o.id;
    }
}

void model__on_sync_new(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mobj *o = u64map_get(&l->objs, ev->id);
    struct msync *s;

    l->flags |= LF_MINOR1;
    if (o != NULL || ev->id == 0) {
        l->anomalies++; /* a second sync_new, or an id that names a task or a handle */
        return;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL || u64map_put(&l->objs, ev->id, s) < 0) {
        free(s);
        m->oom = 1;
        return;
    }
    s->o.id = ev->id;
    s->o.type = OBJ_SYNC;
    s->kind = ev->sync_kind < SYNC_MAX ? ev->sync_kind : SYNC_MAX;
    s->flags = SF_SEEN_NEW;
    s->site = model__site_of(m, &ev->site);
    s->parent_task = ev->parent_task;
    s->t_new = ev->ts_ns;
    l->sync_new++;
    l->live_sync++;
}

/* Tasks still waiting on s, which is going away: nothing can complete their wait. */
static void waiters_lost(struct model *m, struct mloop *l, const struct msync *s, uint64_t ts)
{
    size_t it = 0;
    void *v;

    while (u64map_next(&l->objs, &it, NULL, &v)) {
        struct mtask *t = v;
        if (t->o.type != OBJ_TASK || (t->flags & TF_FINISHED) || t->state != TS_WAITING ||
            t->wait_obj != s->o.id || !sync_wait_kind(t->wait_kind)) {
            continue;
        }
        t->flags |= TF_WAIT_FREED;
        t->t_freed = ts;
        agg_sync(m, l, AGG_WAIT_ON_FREED, t->wait_site, s->kind, t->name, t->o.id, s->o.id, ts);
    }
}

void model__on_sync_free(struct model *m, struct mloop *l, const struct event *ev)
{
    struct msync *s = model_sync(l, ev->id);
    struct mlock *k;

    l->flags |= LF_MINOR1;
    if (s == NULL) {
        if (u64map_get(&l->objs, ev->id) != NULL) {
            l->anomalies++; /* the id names a task or a handle */
        }
        return; /* created before the trace started */
    }
    if (s->waiters > 0) {
        waiters_lost(m, l, s, ev->ts_ns);
    }
    if (s->kind == SYNC_FUTURE && !(s->flags & SF_SETTLED)) {
        freed_leak_add(m, l, s);
    }
    if (s->kind == SYNC_FUTURE && (s->flags & SF_FAILED) && !(s->flags & SF_RETRIEVED)) {
        agg_sync(m, l, AGG_FUTURE_ERR_UNRETRIEVED, s->site, s->kind, 0, s->o.id,
                 (uint64_t)(int64_t)s->err, s->t_settle);
    }
    k = s->kind == SYNC_LOCK ? model_lock(l, s->o.id) : NULL;
    if (k != NULL) {
        u64map_del(&l->locks, s->o.id);
        free(k);
    }
    u64map_del(&l->objs, s->o.id);
    free(s);
    l->sync_freed++;
    if (l->live_sync > 0) {
        l->live_sync--;
    }
}

void model__on_future_settle(struct model *m, struct mloop *l, const struct event *ev)
{
    struct msync *s = model_sync(l, ev->id);

    l->flags |= LF_MINOR1;
    if (s == NULL) {
        return;
    }
    if ((s->flags & SF_SETTLED) || s->kind != SYNC_FUTURE) {
        l->anomalies++; /* settled twice, or not a future */
        return;
    }
    s->flags |= SF_SETTLED;
    s->t_settle = ev->ts_ns;
    model__lost_resolved(m, l, s->o.id); /* resolved by someone: its waiters' wakeups were not lost */
    s->err = ev->err;
    if (ev->err != 0) {
        s->flags |= SF_FAILED;
        l->futures_failed++;
    } else {
        l->futures_resolved++;
    }
}

void model__on_event_set(struct model *m, struct mloop *l, const struct event *ev)
{
    struct msync *s = model_sync(l, ev->id);

    if (s == NULL || s->kind != SYNC_EVENT) {
        return;
    }
    model__sync_user(s, 0, ev->by_id);
    model__lost_resolved(m, l, s->o.id);
}

/* Someone read a settled future's outcome (loop_future_result, an await). */
void model__on_future_result(struct model *m, struct mloop *l, const struct event *ev)
{
    struct msync *s = model_sync(l, ev->id);

    (void)m;
    l->flags |= LF_MINOR1;
    if (s == NULL) {
        return;
    }
    if (!(s->flags & SF_SETTLED) || s->kind != SYNC_FUTURE) {
        l->anomalies++; /* read before it settled, or not a future */
        return;
    }
    s->flags |= SF_RETRIEVED;
}

/* The end of the trace: failed futures still alive whose error nobody read. */
void model__sync_finish(struct model *m, struct mloop *l)
{
    size_t it = 0;
    void *v;

    if (!mloop_has_joins(l)) {
        return;
    }
    while (u64map_next(&l->objs, &it, NULL, &v)) {
        struct msync *s = v;
        if (s->o.type != OBJ_SYNC || s->kind != SYNC_FUTURE || !(s->flags & SF_FAILED) ||
            (s->flags & SF_RETRIEVED)) {
            continue;
        }
        agg_sync(m, l, AGG_FUTURE_ERR_UNRETRIEVED, s->site, s->kind, 0, s->o.id, (uint64_t)(int64_t)s->err,
                 s->t_settle);
    }
}
