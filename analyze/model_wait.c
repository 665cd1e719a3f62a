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

int model_deadlocked(const struct model *m, const struct mloop *l, int include_timeouts,
                     struct deadlock_set *out)
{
    struct u64map set = {0}, locks = {0};
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
        if (t->state != TS_WAITING || (t->wait_kind != WAIT_JOIN && t->wait_kind != WAIT_LOCK) ||
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
    free(b);
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * Record the cycle through `start` within the deadlocked set (each step: the
 * join target, or the lock owner; an unknown owner is the one candidate in
 * the set that waits itself, preferring lock waiters). Deduplicated by task set.
 */
static void record_cycle(struct model *m, struct mloop *l, uint64_t start, const struct u64map *dset,
                         uint64_t ts, uint64_t broken_ts)
{
    struct cycle_edge path[64];
    uint64_t ids[64], key;
    size_t n = 0, i, first = 0;
    uint64_t cur = start;
    struct cycle *c;

    while (n < 64) {
        struct mtask *t = model_task(l, cur);
        int inferred = 0;
        size_t ncand = 0;
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
        next = model_wait_target(m, l, t, &inferred, &ncand);
        if (next == 0 && t->wait_kind == WAIT_LOCK && dset != NULL) {
            /* several candidates: take one in the deadlocked set, a lock waiter first */
            size_t it = 0;
            void *v;
            uint64_t any = 0;
            while (u64map_next(dset, &it, NULL, &v)) {
                struct mtask *c2 = v;
                if (c2 == t || waits_on_lock(c2, t->wait_obj)) {
                    continue;
                }
                if (c2->wait_kind == WAIT_LOCK) {
                    next = c2->o.id;
                    break;
                }
                if (any == 0) {
                    any = c2->o.id;
                }
            }
            if (next == 0) {
                next = any;
            }
            inferred = 2;
        }
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
        path[n].obj_site = t->wait_kind == WAIT_LOCK ? t->wait_obj_site : 0;
        path[n].inferred = (uint8_t)inferred;
        n++;
        cur = next;
    }
    if (n == 64 || n - first < 1) {
        return;
    }
    for (i = first; i < n; i++) {
        ids[i - first] = path[i].task;
    }
    qsort(ids, n - first, sizeof(ids[0]), cmp_u64);
    key = mix((uint64_t)l->vpid) ^ mix(l->loop_id + 1);
    for (i = 0; i < n - first; i++) {
        key = mix(key ^ ids[i]);
    }
    for (i = 0; i < m->ncycles; i++) {
        if (m->cycles[i].key == key) {
            if (broken_ts != 0 && m->cycles[i].broken_ts == 0) {
                m->cycles[i].broken_ts = broken_ts;
            }
            return;
        }
    }
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
    c->edges = malloc((n - first) * sizeof(*c->edges));
    if (c->edges == NULL) {
        m->oom = 1;
        return;
    }
    memcpy(c->edges, path + first, (n - first) * sizeof(*c->edges));
    c->n = n - first;
    c->vpid = l->vpid;
    c->loop_id = l->loop_id;
    c->ts = ts;
    c->broken_ts = broken_ts;
    c->key = key;
    c->gap = (l->flags & LF_GAP) != 0;
    m->ncycles++;
}

/* Full check of a loop: record every cycle among its deadlocked tasks. */
void model__check_deadlocks(struct model *m, struct mloop *l, uint64_t ts, uint64_t broken_ts)
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
    for (i = 0; i < d.n; i++) {
        record_cycle(m, l, d.tasks[i], &dset, ts, broken_ts);
    }
    u64map_free(&dset);
    free(d.tasks);
}

/* After a join/lock suspend: follow known edges only (cheap), record a cycle back to t. */
void model__quick_cycle_check(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    uint64_t cur = t->o.id;
    int steps;

    for (steps = 0; steps < 64; steps++) {
        struct mtask *c = model_task(l, cur);
        uint64_t next = 0;
        if (c == NULL || c->state != TS_WAITING) {
            return;
        }
        if (c->wait_kind == WAIT_JOIN) {
            next = c->wait_obj;
        } else if (c->wait_kind == WAIT_LOCK) {
            next = model_lock_owner_for(l, c);
        }
        if (next == 0) {
            return;
        }
        if (next == t->o.id) {
            record_cycle(m, l, t->o.id, NULL, ts, 0);
            return;
        }
        cur = next;
    }
}
