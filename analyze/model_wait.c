/*
 * model_wait.c — the wait-for graph of a loop: who a waiting task waits for
 * (the joined task, the lock's owner: traced, handed off (lock_handoff, or a
 * waiter woken by the releaser: newer than the waiter's own suspend, so a
 * waiter queued before a hand-off waits for the new owner) or inferred), the
 * set of tasks that can never be woken (deadlocked), and the cycles through
 * it, recorded once each (deduplicated by task set), also when a timeout or
 * a cancellation breaks them later.
 */
#include "model_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Wait-for analysis                                                       */

static int is_live_task(const struct mobj *o)
{
    return o->type == OBJ_TASK && !(((const struct mtask *)o)->flags & TF_FINISHED);
}

static int waits_on_lock(const struct mtask *t, uint64_t lock)
{
    return t->state == TS_WAITING && t->wait_kind == WAIT_LOCK && t->wait_obj == lock;
}

static void wakers_add(const struct mloop *l, const struct mtask *t, struct wakers *w, uint64_t id, uint8_t how)
{
    const struct mtask *x;
    uint8_t i;

    if (id == 0 || id == t->o.id) {
        return;
    }
    for (i = 0; i < w->n; i++) {
        if (w->id[i] == id) {
            return;
        }
    }
    x = model_task(l, id);
    if (x == NULL || (x->flags & TF_FINISHED)) {
        w->ended++; /* a freed record is a finished task */
        return;
    }
    if (w->n == WAKERS_MAX) {
        w->more = 1;
        return;
    }
    w->id[w->n] = id;
    w->how[w->n] = how;
    w->n++;
}

void model__wakers(const struct mloop *l, const struct mtask *t, struct wakers *w)
{
    const struct msync *s;
    size_t it = 0;
    int side = 0;
    uint8_t i;
    void *v;

    memset(w, 0, sizeof(*w));
    if (t->state != TS_WAITING || !model__obj_wait(t->wait_kind)) {
        return;
    }
    if (t->wait_kind == WAIT_GROUP) {
        if (l->live_tasks > MAX_INFER_TASKS) {
            w->more = 1;
            return;
        }
        while (u64map_next(&l->objs, &it, NULL, &v)) {
            const struct mtask *c = v;
            if (c->o.type == OBJ_TASK && (c->flags & TF_DETACHED) && c->group_id == t->wait_obj &&
                !(c->flags & TF_FINISHED)) {
                wakers_add(l, t, w, c->o.id, WK_CHILD);
            }
        }
        return;
    }
    side = t->wait_kind == WAIT_CHAN_SEND;
    s = model_sync(l, t->wait_obj);
    if (s == NULL) {
        return;
    }
    wakers_add(l, t, w, s->parent_task, WK_CREATOR);
    for (i = 0; i < s->nusers[side]; i++) {
        if (s->users[side][i] != s->parent_task) { /* counted once, as its creator */
            wakers_add(l, t, w, s->users[side][i], WK_USER);
        }
    }
}

uint64_t model_lock_owner_for(const struct mloop *l, const struct mtask *t)
{
    const struct mlock *k = model_lock(l, t->wait_obj);

    if (k != NULL && k->how != OWNER_UNKNOWN && k->owner != 0 && k->owner != t->o.id &&
        (t->wait_task == 0 || k->t_owner >= t->t_state)) {
        return k->owner;
    }
    return t->wait_task;
}

uint64_t model_wait_target(const struct model *m, const struct mloop *l, const struct mtask *t,
                           int *inferred, size_t *ncand)
{
    uint64_t cand = 0;
    size_t it = 0, n = 0;
    void *v;

    (void)m;
    *inferred = 0;
    *ncand = 0;
    if (t->state != TS_WAITING) {
        return 0;
    }
    if (t->wait_kind == WAIT_JOIN) {
        return t->wait_obj;
    }
    if (t->wait_kind != WAIT_LOCK) {
        return 0;
    }
    cand = model_lock_owner_for(l, t);
    if (cand != 0) {
        return cand;
    }
    if (l->live_tasks > MAX_INFER_TASKS) {
        return 0;
    }
    while (u64map_next(&l->objs, &it, NULL, &v)) {
        const struct mtask *c = v;
        if (!is_live_task(v) || c == t || waits_on_lock(c, t->wait_obj)) {
            continue;
        }
        n++;
        cand = c->o.id;
    }
    *ncand = n;
    if (n == 1) {
        *inferred = 1;
        return cand;
    }
    return 0;
}

/* Per-lock waiter counts for the fixpoint below. */
struct lockcount {
    uint64_t all, in_set;
};

/* Can the task, waiting on a future/event/channel/group, only be woken by tasks of set? */
static int wakers_all_in(const struct wakers *w, const struct u64map *set)
{
    uint8_t i;

    if (w->n == 0 || w->more) {
        return 0;
    }
    for (i = 0; i < w->n; i++) {
        if (u64map_get(set, w->id[i]) == NULL) {
            return 0;
        }
    }
    return 1;
}

int model_deadlocked(const struct model *m, const struct mloop *l, int include_timeouts,
                     struct deadlock_set *out)
{
    struct u64map set = {0}, locks = {0};
    struct wakers *wk = NULL;
    struct mtask **b = NULL;
    size_t nb = 0, cap = 0, it = 0, i, live = 0;
    int changed = 1, rc = 0;
    void *v;

    (void)m;
    out->tasks = NULL;
    out->n = 0;
    /* live tasks, and per lock its waiters */
    while (u64map_next(&l->objs, &it, NULL, &v)) {
        struct mtask *t = v;
        if (!is_live_task(v)) {
            continue;
        }
        live++;
        if (t->state == TS_WAITING && t->wait_kind == WAIT_LOCK) {
            struct lockcount *lc = u64map_get(&locks, t->wait_obj);
            if (lc == NULL) {
                lc = calloc(1, sizeof(*lc));
                if (lc == NULL || u64map_put(&locks, t->wait_obj, lc) < 0) {
                    free(lc);
                    rc = -ENOMEM;
                    goto out;
                }
            }
            lc->all++;
        }
        if (t->state != TS_WAITING ||
            (t->wait_kind != WAIT_JOIN && t->wait_kind != WAIT_LOCK && !model__obj_wait(t->wait_kind)) ||
            (!include_timeouts && t->wait_timeout_ns >= 0)) {
            continue;
        }
        if (nb == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct mtask **nbp = realloc(b, nc * sizeof(*nbp));
            if (nbp == NULL) {
                rc = -ENOMEM;
                goto out;
            }
            b = nbp;
            cap = nc;
        }
        b[nb++] = t;
        if (u64map_put(&set, t->o.id, t) < 0) {
            rc = -ENOMEM;
            goto out;
        }
    }
    for (i = 0; i < nb; i++) {
        if (b[i]->wait_kind == WAIT_LOCK) {
            struct lockcount *lc = u64map_get(&locks, b[i]->wait_obj);
            lc->in_set++;
        } else if (model__obj_wait(b[i]->wait_kind)) {
            if (wk == NULL && (wk = calloc(nb, sizeof(*wk))) == NULL) {
                rc = -ENOMEM;
                goto out;
            }
            model__wakers(l, b[i], &wk[i]);
        }
    }
    /* Remove every task that may still be woken, until nothing changes. */
    while (changed) {
        changed = 0;
        for (i = 0; i < nb; i++) {
            struct mtask *t = b[i];
            int keep;
            if (t == NULL) {
                continue;
            }
            if (t->wait_kind == WAIT_JOIN) {
                keep = u64map_get(&set, t->wait_obj) != NULL;
            } else if (t->wait_kind != WAIT_LOCK) {
                keep = wakers_all_in(&wk[i], &set);
            } else {
                uint64_t owner = model_lock_owner_for(l, t);
                if (owner != 0) {
                    keep = u64map_get(&set, owner) != NULL;
                } else if (live > MAX_INFER_TASKS) {
                    keep = 0;
                } else {
                    /* the unknown owner is a live task not waiting on this lock: all in the set? */
                    struct lockcount *lc = u64map_get(&locks, t->wait_obj);
                    uint64_t cands = live - lc->all;
                    uint64_t cands_in = set.len - lc->in_set;
                    keep = cands >= 1 && cands_in == cands;
                }
            }
            if (!keep) {
                u64map_del(&set, t->o.id);
                if (t->wait_kind == WAIT_LOCK) {
                    struct lockcount *lc = u64map_get(&locks, t->wait_obj);
                    lc->in_set--;
                }
                b[i] = NULL;
                changed = 1;
            }
        }
    }
    if (set.len > 0) {
        out->tasks = malloc(set.len * sizeof(*out->tasks));
        if (out->tasks == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        for (i = 0; i < nb; i++) {
            if (b[i] != NULL) {
                out->tasks[out->n++] = b[i]->o.id;
            }
        }
    }
out:
    it = 0;
    while (u64map_next(&locks, &it, NULL, &v)) {
        free(v);
    }
    u64map_free(&locks);
    u64map_free(&set);
    free(wk);
    free(b);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * The next task from t on a cycle: the join target, or the lock owner (an
 * unknown owner is the one candidate in dset that waits itself, preferring
 * lock waiters: *inferred 2); for a future, event, channel or group wait,
 * its first waker in dset (*how says how it is known). 0 when none.
 */
static uint64_t cycle_next(const struct model *m, const struct mloop *l, const struct mtask *t,
                           const struct u64map *dset, int *inferred, uint8_t *how)
{
    size_t ncand = 0, it = 0;
    uint64_t next, any = 0;
    struct wakers w;
    uint8_t i;
    void *v;

    *how = 0;
    if (model__obj_wait(t->wait_kind)) {
        model__wakers(l, t, &w);
        for (i = 0; i < w.n; i++) {
            if (dset == NULL || u64map_get(dset, w.id[i]) != NULL) {
                *how = w.how[i];
                return w.id[i];
            }
        }
        return 0;
    }
    next = model_wait_target(m, l, t, inferred, &ncand);
    if (next != 0 || t->wait_kind != WAIT_LOCK || dset == NULL) {
        return next;
    }
    /* several candidates: take one in the deadlocked set, a lock waiter first */
    while (u64map_next(dset, &it, NULL, &v)) {
        struct mtask *c2 = v;
        if (c2 == t || waits_on_lock(c2, t->wait_obj)) {
            continue;
        }
        if (c2->wait_kind == WAIT_LOCK) {
            *inferred = 2;
            return c2->o.id;
        }
        if (any == 0) {
            any = c2->o.id;
        }
    }
    *inferred = 2;
    return any;
}

/* The edge's "how" makes the cycle only possible (see struct cycle)? */
static int edge_possible(uint8_t how)
{
    return how == WK_CREATOR || how == WK_USER;
}

/*
 * Record the cycle through `start` within the deadlocked set (dset; NULL:
 * follow the first edge of each task). Deduplicated by task set.
 */
static void record_cycle(struct model *m, struct mloop *l, uint64_t start, const struct u64map *dset,
                         uint64_t ts, uint64_t broken_ts, int confirm)
{
    struct cycle_edge path[64];
    uint64_t ids[64], key;
    size_t n = 0, i, first = 0;
    uint64_t cur = start;
    uint8_t possible = 0;
    struct cycle *c;

    while (n < 64) {
        struct mtask *t = model_task(l, cur);
        int inferred = 0;
        uint8_t how = 0;
        uint64_t next;

        if (t == NULL) {
            return;
        }
        for (i = 0; i < n; i++) {
            if (path[i].task == cur) {
                break;
            }
        }
        if (i < n) {
            first = i;
            break;
        }
        next = cycle_next(m, l, t, dset, &inferred, &how);
        if (next == 0) {
            return;
        }
        path[n].task = cur;
        path[n].since_ns = t->t_state;
        path[n].name = t->name;
        path[n].spawn_site = t->site;
        path[n].wait_kind = t->wait_kind;
        path[n].obj = t->wait_obj;
        path[n].wait_site = t->wait_site;
        path[n].obj_site = t->wait_kind != WAIT_JOIN ? t->wait_obj_site : 0;
        path[n].obj_kind = t->wait_obj_kind;
        path[n].inferred = (uint8_t)inferred;
        path[n].how = how;
        n++;
        cur = next;
    }
    if (n == 64 || n - first < 1) {
        return;
    }
    for (i = first; i < n; i++) {
        ids[i - first] = path[i].task;
        possible |= (uint8_t)edge_possible(path[i].how);
    }
    qsort(ids, n - first, sizeof(ids[0]), cmp_u64);
    key = mix((uint64_t)l->vpid) ^ mix(l->loop_id + 1);
    for (i = 0; i < n - first; i++) {
        key = mix(key ^ ids[i]);
    }
    c = NULL;
    for (i = 0; i < m->ncycles; i++) {
        if (m->cycles[i].key != key) {
            continue;
        }
        c = &m->cycles[i];
        if (!c->refuted) {
            if (broken_ts != 0 && c->broken_ts == 0) {
                c->broken_ts = broken_ts;
            }
            if (confirm && c->possible && !c->confirmed) {
                c->confirmed = 1;
                m->ncycles_possible--;
            }
            return;
        }
        break; /* refuted earlier: the same tasks formed it again; reuse the record */
    }
    if (c == NULL) {
        if (m->ncycles >= MODEL_MAX_LIST) {
            return;
        }
        c = realloc(m->cycles, (m->ncycles + 1) * sizeof(*c));
        if (c == NULL) {
            m->oom = 1;
            return;
        }
        m->cycles = c;
        c = &m->cycles[m->ncycles];
        memset(c, 0, sizeof(*c));
        c->edges = malloc(64 * sizeof(*c->edges));
        if (c->edges == NULL) {
            m->oom = 1;
            return;
        }
        m->ncycles++;
    }
    memcpy(c->edges, path + first, (n - first) * sizeof(*c->edges));
    c->n = n - first;
    c->vpid = l->vpid;
    c->loop_id = l->loop_id;
    c->ts = ts;
    c->broken_ts = broken_ts;
    c->key = key;
    c->gap = (l->flags & LF_GAP) != 0;
    c->refuted = 0;
    c->possible = possible;
    c->confirmed = possible && confirm;
    if (possible && !c->confirmed) {
        m->ncycles_possible++;
    }
}

/*
 * A timeout or cancel broke a wait: may its possible cycles be confirmed?
 * Only when every live task outside the deadlocked set is itself blocked
 * on a task or sync object: one sleeping, ready or waiting on I/O could be
 * a holder of the object the trace has not named yet (a producer that has
 * not sent so far), so the cycle stays a possibility.
 */
static int others_blocked(const struct mloop *l, const struct u64map *dset)
{
    size_t it = 0;
    void *v;

    while (u64map_next(&l->objs, &it, NULL, &v)) {
        const struct mtask *t = v;
        if (!is_live_task(v) || u64map_get(dset, t->o.id) != NULL) {
            continue;
        }
        if (t->state != TS_WAITING || (t->wait_kind != WAIT_JOIN && t->wait_kind != WAIT_LOCK &&
                                       t->wait_kind != WAIT_WORK && !model__obj_wait(t->wait_kind))) {
            return 0;
        }
    }
    return 1;
}

void model__check_deadlocks(struct model *m, struct mloop *l, uint64_t ts, uint64_t broken_ts, int confirm)
{
    struct deadlock_set d;
    struct u64map dset = {0};
    size_t i;

    if (m->online_checks >= MAX_ONLINE_CHECKS && !m->finished) {
        return;
    }
    m->online_checks++;
    if (model_deadlocked(m, l, 1, &d) < 0) {
        m->oom = 1;
        return;
    }
    if (d.n > 1) {
        qsort(d.tasks, d.n, sizeof(d.tasks[0]), cmp_u64); /* report cycles from their oldest task */
    }
    for (i = 0; i < d.n; i++) {
        if (u64map_put(&dset, d.tasks[i], model_task(l, d.tasks[i])) < 0) {
            m->oom = 1;
            break;
        }
    }
    if (broken_ts != 0 && !confirm && d.n > 0) {
        confirm = others_blocked(l, &dset);
    }
    for (i = 0; i < d.n; i++) {
        record_cycle(m, l, d.tasks[i], &dset, ts, broken_ts, confirm);
    }
    u64map_free(&dset);
    free(d.tasks);
}

/*
 * Can t reach itself through wait edges of every kind (joins, known lock
 * owners, the wakers of futures, events, channels and groups)? A bounded
 * depth-first walk: a cheap filter before the full check.
 */
static int reaches_itself(const struct mloop *l, const struct mtask *t)
{
    uint64_t stack[64], seen[64];
    size_t ns = 0, nseen = 0, i;

    stack[ns++] = t->o.id;
    while (ns > 0 && nseen < 64) {
        const struct mtask *c = model_task(l, stack[--ns]);
        struct wakers w;
        uint8_t k;

        if (c == NULL || c->state != TS_WAITING) {
            continue;
        }
        for (i = 0; i < nseen && seen[i] != c->o.id; i++) {
        }
        if (i < nseen) {
            continue;
        }
        seen[nseen++] = c->o.id;
        if (c->wait_kind == WAIT_JOIN || c->wait_kind == WAIT_LOCK) {
            w.n = 1;
            w.id[0] = c->wait_kind == WAIT_JOIN ? c->wait_obj : model_lock_owner_for(l, c);
        } else if (model__obj_wait(c->wait_kind) && (c->wait_kind != WAIT_GROUP || l->live_tasks <= 256)) {
            model__wakers(l, c, &w); /* a group's children are found by a scan: only in small loops here */
        } else {
            continue;
        }
        for (k = 0; k < w.n; k++) {
            if (w.id[k] == t->o.id) {
                return 1;
            }
            if (w.id[k] != 0 && ns < 64) {
                stack[ns++] = w.id[k];
            }
        }
    }
    return 0;
}

void model__quick_cycle_check(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    uint64_t cur = t->o.id;
    int steps;

    /* joins and known lock owners only: a certain cycle, recorded at once */
    for (steps = 0; steps < 64; steps++) {
        struct mtask *c = model_task(l, cur);
        uint64_t next = 0;
        if (c == NULL || c->state != TS_WAITING) {
            break;
        }
        if (c->wait_kind == WAIT_JOIN) {
            next = c->wait_obj;
        } else if (c->wait_kind == WAIT_LOCK) {
            next = model_lock_owner_for(l, c);
        }
        if (next == 0) {
            break;
        }
        if (next == t->o.id) {
            record_cycle(m, l, t->o.id, NULL, ts, 0, 0);
            return;
        }
        cur = next;
    }
    /* through futures, events, channels or groups: the full check decides */
    if (l->live_sync > 0 && reaches_itself(l, t)) {
        model__check_deadlocks(m, l, ts, 0, 0);
    }
}

void model__cycles_woken(struct model *m, struct mloop *l, const struct mtask *t, int by_timeout_or_cancel,
                         uint64_t ts)
{
    size_t i, k;

    if (by_timeout_or_cancel) {
        /* a cycle through t broken now: record (or confirm) it, broken at ts */
        if (t->wait_kind == WAIT_LOCK || t->wait_kind == WAIT_JOIN || reaches_itself(l, t)) {
            model__check_deadlocks(m, l, ts, ts, 0);
        }
        return;
    }
    if (m->ncycles_possible == 0) {
        return;
    }
    /* completed by someone: a provisional cycle through t was not one */
    for (i = 0; i < m->ncycles; i++) {
        struct cycle *c = &m->cycles[i];
        if (!c->possible || c->confirmed || c->refuted || c->vpid != l->vpid || c->loop_id != l->loop_id) {
            continue;
        }
        for (k = 0; k < c->n; k++) {
            if (c->edges[k].task == t->o.id && c->edges[k].since_ns == t->t_state) {
                c->refuted = 1;
                m->ncycles_possible--;
                break;
            }
        }
    }
}
