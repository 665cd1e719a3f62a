/*
 * model_lost.c — lost wakeups that became certain while the loop still ran
 * (docs/analyze.md, "Which hangs are reported", rule 5): a task waits on a
 * future, event or channel, and every task the trace names as able to
 * complete that wait (the object's creator and the tasks seen completing
 * such waits on it; for a channel, those of the other end: model__wakers)
 * has ended. Recorded from that moment (struct mlost), whatever happens
 * after — the waiter timed out or was cancelled and the program exited
 * cleanly — unless the object is then resolved by someone (a future
 * settled, an event set, a waiter of it woken other than by a timeout or a
 * cancel, a task waiting on the other end of the channel):
 * then a task the trace did not name held it, and it was not lost.
 *
 * When: at the wait's start (its resolvers had all ended already), or when
 * the last of them ends. For the second, a task named as a resolver of an
 * object with waiters keeps the object's id (mtask.watch, two slots: a
 * task resolving more objects at once may be missed, never wrongly found);
 * its task_done re-checks those objects.
 * Memory: MODEL_MAX_LIST records; more are counted (losts_total).
 */
#include "model_int.h"

#include <stdlib.h>
#include <string.h>

/* Every resolver the trace names had ended, and it names at least one. */
static int certain(const struct mloop *l, const struct mtask *t, struct wakers *w)
{
    const struct msync *s;

    memset(w, 0, sizeof(*w));
    if (t->state != TS_WAITING || t->wait_kind == WAIT_GROUP || !model__obj_wait(t->wait_kind) ||
        (t->flags & TF_WAIT_FREED)) {
        return 0;
    }
    s = model_sync(l, t->wait_obj);
    if (s == NULL || (s->flags & SF_SETTLED)) {
        return 0;
    }
    model__wakers(l, t, w);
    return w->n == 0 && !w->more && w->ended > 0;
}

static void lost_add(struct model *m, const struct mloop *l, const struct mtask *t, uint8_t ended, uint64_t ts)
{
    struct mlost *x;
    size_t i;

    for (i = 0; i < m->nlosts; i++) {
        x = &m->losts[i];
        if (x->task == t->o.id && x->since_ns == t->t_state && x->loop_id == l->loop_id && x->vpid == l->vpid) {
            return; /* already certain */
        }
    }
    m->losts_total++;
    if (m->nlosts >= MODEL_MAX_LIST) {
        return;
    }
    x = realloc(m->losts, (m->nlosts + 1) * sizeof(*x));
    if (x == NULL) {
        m->oom = 1;
        return;
    }
    m->losts = x;
    x = &m->losts[m->nlosts++];
    memset(x, 0, sizeof(*x));
    x->vpid = l->vpid;
    x->loop_id = l->loop_id;
    x->task = t->o.id;
    x->obj = t->wait_obj;
    x->name = t->name;
    x->spawn_site = t->site;
    x->wait_site = t->wait_site;
    x->obj_site = t->wait_obj_site;
    x->wait_kind = t->wait_kind;
    x->obj_kind = t->wait_obj_kind;
    x->ended = ended;
    x->since_ns = t->t_state;
    x->ts = ts;
}

static void watch(struct mtask *x, uint64_t obj)
{
    if (x->watch[0] == obj || x->watch[1] == obj) {
        return;
    }
    if (x->watch[0] == 0) {
        x->watch[0] = obj;
    } else {
        x->watch[1] = obj; /* the newest; an older one is no longer re-checked */
    }
}

void model__lost_wait_begin(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    struct wakers w;
    uint8_t i;

    if (m->nlosts > 0 && (t->wait_kind == WAIT_CHAN_SEND || t->wait_kind == WAIT_CHAN_RECV)) {
        /* a task uses the other end: it held the channel, so a wait on this end was not lost */
        size_t k;
        for (k = 0; k < m->nlosts; k++) {
            struct mlost *x = &m->losts[k];
            if (x->obj == t->wait_obj && x->wait_kind != t->wait_kind && x->loop_id == l->loop_id &&
                x->vpid == l->vpid) {
                x->refuted = 1;
            }
        }
    }

    if (certain(l, t, &w)) {
        lost_add(m, l, t, w.ended, ts);
        return;
    }
    for (i = 0; i < w.n; i++) {
        struct mtask *x = model_task(l, w.id[i]);
        if (x != NULL) {
            watch(x, t->wait_obj);
        }
    }
}

void model__lost_task_done(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    int k;

    for (k = 0; k < 2; k++) {
        const struct msync *s = model_sync(l, t->watch[k]);
        size_t it = 0;
        void *v;

        if (s == NULL || s->waiters == 0) {
            continue;
        }
        while (u64map_next(&l->objs, &it, NULL, &v)) {
            const struct mtask *w = v;
            struct wakers wk;
            if (w->o.type == OBJ_TASK && !(w->flags & TF_FINISHED) && w->state == TS_WAITING &&
                w->wait_obj == s->o.id && certain(l, w, &wk)) {
                lost_add(m, l, w, wk.ended, ts);
            }
        }
    }
    t->watch[0] = t->watch[1] = 0;
}

void model__lost_wait_end(struct model *m, struct mloop *l, const struct mtask *t, int how, uint64_t ts)
{
    size_t i;

    if (m->nlosts == 0) {
        return;
    }
    for (i = 0; i < m->nlosts; i++) {
        struct mlost *x = &m->losts[i];
        if (x->task == t->o.id && x->since_ns == t->t_state && x->loop_id == l->loop_id && x->vpid == l->vpid &&
            x->end_ts == 0) {
            x->end_ts = ts;
            x->end_how = (uint8_t)how;
        }
    }
    if (how == 3) {
        model__lost_resolved(m, l, t->wait_obj); /* someone completed a wait on it: it was not lost */
    }
}

void model__lost_resolved(struct model *m, const struct mloop *l, uint64_t id)
{
    size_t i;

    for (i = 0; i < m->nlosts; i++) {
        struct mlost *x = &m->losts[i];
        if (x->obj == id && x->loop_id == l->loop_id && x->vpid == l->vpid) {
            x->refuted = 1;
        }
    }
}

void model__losts_free(struct model *m)
{
    free(m->losts);
    m->losts = NULL;
    m->nlosts = 0;
}
