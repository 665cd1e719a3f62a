/*
 * model.c — rebuilds processes, loops, tasks and handles from libloop events
 * (model.h), and keeps the aggregates the reports read.
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
 */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TASK_PROFS 1024  /* distinct task-name profiles; more go to "(other)" */
#define MAX_INFER_TASKS 4096 /* above this many live tasks, owners are not inferred */
#define MAX_ONLINE_CHECKS 10000
#define MAX_BACKTRACE 8192

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint32_t intern(struct model *m, const char *s)
{
    int64_t idx;

    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    idx = strtab_intern(&m->strs, s);
    if (idx < 0) {
        m->oom = 1;
        return 0;
    }
    return (uint32_t)idx;
}

static uint32_t site_of(struct model *m, const struct ev_site *s)
{
    uint32_t file, func;
    uint64_t h;
    uintptr_t chain;
    size_t i;

    if (s == NULL || (s->file[0] == '\0' && s->func[0] == '\0' && s->line == 0)) {
        return 0;
    }
    file = intern(m, s->file);
    func = intern(m, s->func);
    h = mix(((uint64_t)file << 32) ^ mix(((uint64_t)func << 32) ^ (uint32_t)s->line)) | 1;
    /* the map holds the first index + 1 with this hash; collisions probe h+2, h+4... */
    for (;;) {
        chain = (uintptr_t)u64map_get(&m->site_idx, h);
        if (chain == 0) {
            break;
        }
        i = chain - 1;
        if (m->sites[i].file == file && m->sites[i].func == func && m->sites[i].line == s->line) {
            return (uint32_t)i;
        }
        h += 2;
    }
    if (m->nsites == m->capsites) {
        size_t nc = m->capsites ? m->capsites * 2 : 256;
        struct msite *ns = realloc(m->sites, nc * sizeof(*ns));
        if (ns == NULL) {
            m->oom = 1;
            return 0;
        }
        m->sites = ns;
        m->capsites = nc;
    }
    i = m->nsites;
    m->sites[i].file = file;
    m->sites[i].func = func;
    m->sites[i].line = s->line;
    if (u64map_put(&m->site_idx, h, (void *)(uintptr_t)(i + 1)) < 0) {
        m->oom = 1;
        return 0;
    }
    m->nsites++;
    return (uint32_t)i;
}

const struct msite *model_site(const struct model *m, uint32_t idx)
{
    static const struct msite unknown = {0, 0, 0};

    return idx < m->nsites ? &m->sites[idx] : &unknown;
}

const char *model_site_str(const struct model *m, uint32_t idx, char *buf, size_t len)
{
    const struct msite *s = model_site(m, idx);

    return fmt_site(buf, len, model_str(m, s->file), s->line, model_str(m, s->func));
}

double model_rel_s(const struct model *m, uint64_t ts)
{
    return ts >= m->t_first ? (double)(ts - m->t_first) / 1e9 : 0.0;
}

/* An aggregate keyed exactly by k; created zeroed (size bytes) when absent. */
static void *agg_get(struct model *m, struct u64map *map, struct akey k, size_t size)
{
    uint64_t h = mix(k.a ^ mix(k.b ^ mix(k.c)));
    struct aghdr *head = u64map_get(map, h), *a;

    for (a = head; a != NULL; a = a->next) {
        if (a->k.a == k.a && a->k.b == k.b && a->k.c == k.c) {
            return a;
        }
    }
    a = calloc(1, size);
    if (a == NULL) {
        m->oom = 1;
        return NULL;
    }
    a->k = k;
    a->next = head;
    if (u64map_put(map, h, a) < 0) {
        free(a);
        m->oom = 1;
        return NULL;
    }
    return a;
}

void *model_agg_next(const struct u64map *map, size_t *iter, void *cur)
{
    struct aghdr *a = cur;
    void *v;

    if (a != NULL && a->next != NULL) {
        return a->next;
    }
    if (u64map_next(map, iter, NULL, &v)) {
        return v;
    }
    return NULL;
}

static void agg_free_all(struct u64map *map, void (*fin)(void *))
{
    size_t it = 0;
    void *v;

    while (u64map_next(map, &it, NULL, &v)) {
        struct aghdr *a = v;
        while (a != NULL) {
            struct aghdr *next = a->next;
            if (fin != NULL) {
                fin(a);
            }
            free(a);
            a = next;
        }
    }
    u64map_free(map);
}

static void topk_add(struct topk *k, const struct instance *in)
{
    size_t i, min = 0;

    k->total++;
    if (k->n < MODEL_TOPK) {
        k->v[k->n++] = *in;
        return;
    }
    for (i = 1; i < k->n; i++) {
        if (k->v[i].duration_ns < k->v[min].duration_ns) {
            min = i;
        }
    }
    if (in->duration_ns > k->v[min].duration_ns) {
        k->v[min] = *in;
    }
}

static inline uint64_t since(uint64_t from, uint64_t to)
{
    return to > from ? to - from : 0;
}

/* ---------------------------------------------------------------------- */
/* Processes and loops                                                     */

struct mloop *model_loop(const struct model *m, int64_t vpid, uint64_t loop_id)
{
    struct mproc *p = u64map_get(&m->procs, (uint64_t)vpid);
    size_t i;

    if (p == NULL) {
        return NULL;
    }
    for (i = 0; i < p->nloops; i++) {
        if (p->loops[i]->loop_id == loop_id) {
            return p->loops[i];
        }
    }
    return NULL;
}

static struct mloop *loop_get(struct model *m, const struct event *ev)
{
    struct mproc *p = u64map_get(&m->procs, (uint64_t)ev->vpid);
    struct mloop *l, **nl;
    size_t i;

    if (p != NULL) {
        for (i = 0; i < p->nloops; i++) {
            if (p->loops[i]->loop_id == ev->loop_id) {
                return p->loops[i];
            }
        }
    } else {
        p = calloc(1, sizeof(*p));
        if (p == NULL || u64map_put(&m->procs, (uint64_t)ev->vpid, p) < 0) {
            free(p);
            m->oom = 1;
            return NULL;
        }
        p->vpid = ev->vpid;
    }
    if (p->procname == 0) {
        p->procname = intern(m, ev->procname);
    }
    l = calloc(1, sizeof(*l));
    nl = realloc(p->loops, (p->nloops + 1) * sizeof(*nl));
    if (l == NULL || nl == NULL) {
        free(l);
        if (nl != NULL) {
            p->loops = nl;
        }
        m->oom = 1;
        return NULL;
    }
    p->loops = nl;
    if (m->nloops == m->caploops) {
        size_t nc = m->caploops ? m->caploops * 2 : 8;
        struct mloop **all = realloc(m->loops, nc * sizeof(*all));
        if (all == NULL) {
            free(l);
            m->oom = 1;
            return NULL;
        }
        m->loops = all;
        m->caploops = nc;
    }
    l->vpid = ev->vpid;
    l->loop_id = ev->loop_id;
    l->proc = p;
    l->t_first = ev->ts_ns;
    p->loops[p->nloops++] = l;
    m->loops[m->nloops++] = l;
    return l;
}

/* ---------------------------------------------------------------------- */
/* Objects                                                                 */

struct mtask *model_task(const struct mloop *l, uint64_t id)
{
    struct mobj *o = u64map_get(&l->objs, id);

    return o != NULL && o->type == OBJ_TASK ? (struct mtask *)o : NULL;
}

struct mhandle *model_handle(const struct mloop *l, uint64_t id)
{
    struct mobj *o = u64map_get(&l->objs, id);

    return o != NULL && o->type == OBJ_HANDLE ? (struct mhandle *)o : NULL;
}

struct mlock *model_lock(const struct mloop *l, uint64_t id)
{
    return u64map_get(&l->locks, id);
}

static uint32_t row_new(struct model *m, uint8_t type, const struct mloop *l, uint64_t id,
                        uint32_t name, uint32_t site, uint64_t ts)
{
    struct trow *r;

    if (!m->opts.keep_intervals) {
        return 0;
    }
    if (m->nrows == m->caprows) {
        size_t nc = m->caprows ? m->caprows * 2 : 256;
        struct trow *nr = realloc(m->rows, nc * sizeof(*nr));
        if (nr == NULL) {
            m->oom = 1;
            return 0;
        }
        m->rows = nr;
        m->caprows = nc;
    }
    r = &m->rows[m->nrows];
    memset(r, 0, sizeof(*r));
    r->type = type;
    r->vpid = l->vpid;
    r->loop_id = l->loop_id;
    r->id = id;
    r->name = name;
    r->site = site;
    r->t_begin = ts;
    r->t_end = ts;
    return (uint32_t)++m->nrows;
}

static void ival_add(struct model *m, uint32_t row, uint8_t state, uint8_t kind, uint64_t start,
                     uint64_t end, uint64_t obj, uint32_t site)
{
    struct ival *v;

    if (row == 0 || !m->opts.keep_intervals || end < start) {
        return;
    }
    if (m->nivals == m->capivals) {
        size_t nc = m->capivals ? m->capivals * 2 : 4096;
        struct ival *nv = realloc(m->ivals, nc * sizeof(*nv));
        if (nv == NULL) {
            m->oom = 1;
            return;
        }
        m->ivals = nv;
        m->capivals = nc;
    }
    v = &m->ivals[m->nivals++];
    v->start = start;
    v->end = end;
    v->obj = obj;
    v->row = row - 1;
    v->site = site;
    v->state = state;
    v->kind = kind;
    if (end > m->rows[row - 1].t_end) {
        m->rows[row - 1].t_end = end;
    }
}

/* The timeline row of a loop's own states (polling, dispatching), made on first use. */
static uint32_t loop_row(struct model *m, struct mloop *l)
{
    if (l->cb_row == 0 && m->opts.keep_intervals) {
        l->cb_row = row_new(m, ROW_LOOP, l, 0, 0, 0, l->t_first);
    }
    return l->cb_row;
}

static struct prof *prof_for_task(struct model *m, uint32_t name, uint32_t site)
{
    struct akey k;
    struct prof *p;
    size_t n = 0, it = 0;
    void *cur = NULL;

    /* named tasks by name, unnamed by spawn site */
    k.a = KIND_TASK;
    k.b = name != 0 ? 1 : 2;
    k.c = name != 0 ? name : site;
    if (name != 0) {
        /* cap distinct names (memory stays bounded with per-task names) */
        struct aghdr *h = u64map_get(&m->profs, mix(k.a ^ mix(k.b ^ mix(k.c))));
        if (h == NULL && m->profs.len > MAX_TASK_PROFS) {
            while ((cur = model_agg_next(&m->profs, &it, cur)) != NULL) {
                n += ((struct prof *)cur)->kind == KIND_TASK;
            }
            if (n > MAX_TASK_PROFS) {
                k.b = 3;
                k.c = 0;
                name = intern(m, "(other task names)");
            }
        }
    }
    p = agg_get(m, &m->profs, k, sizeof(*p));
    if (p != NULL && p->step.count == 0 && p->delay.count == 0 && p->name == 0) {
        p->kind = KIND_TASK;
        p->name = name;
        p->site = site;
    }
    return p;
}

static struct prof *prof_for_handle(struct model *m, uint8_t kind, const struct mhandle *h)
{
    struct akey k = {kind, 0, h != NULL ? h->site : 0};
    struct prof *p = agg_get(m, &m->profs, k, sizeof(*p));

    if (p != NULL) {
        p->kind = kind;
        p->site = k.c;
        if (p->name == 0 && h != NULL) {
            p->name = h->name;
        }
    }
    return p;
}

static struct mtask *task_get(struct model *m, struct mloop *l, uint64_t id, uint64_t ts)
{
    struct mobj *o = u64map_get(&l->objs, id);
    struct mtask *t;

    if (o != NULL) {
        if (o->type == OBJ_TASK) {
            return (struct mtask *)o;
        }
        l->anomalies++;
        return NULL; /* the id names something else */
    }
    if (id == 0) {
        l->anomalies++;
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL || u64map_put(&l->objs, id, t) < 0) {
        free(t);
        m->oom = 1;
        return NULL;
    }
    t->o.id = id;
    t->o.type = OBJ_TASK;
    t->state = TS_NEW;
    t->t_new = ts;
    t->t_state = ts;
    t->wait_timeout_ns = -1;
    t->row = row_new(m, ROW_TASK, l, id, 0, 0, ts);
    l->live_tasks++;
    return t;
}

static struct mhandle *handle_get(struct model *m, struct mloop *l, uint64_t id, uint8_t kind,
                                  uint64_t ts)
{
    struct mobj *o = u64map_get(&l->objs, id);
    struct mhandle *h;

    if (o != NULL) {
        if (o->type == OBJ_HANDLE) {
            return (struct mhandle *)o;
        }
        if (o->type == OBJ_TASK && kind == KIND_TASK) {
            return NULL; /* a task step: the caller handles tasks */
        }
        l->anomalies++;
        return NULL;
    }
    if (id == 0 || kind == KIND_TASK) {
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL || u64map_put(&l->objs, id, h) < 0) {
        free(h);
        m->oom = 1;
        return NULL;
    }
    h->o.id = id;
    h->o.type = OBJ_HANDLE;
    h->fd = -1;
    h->kind = kind == KIND_CLOSE ? KIND_NONE : kind;
    h->t_new = ts;
    l->live_handles++;
    return h;
}

static void handle_free(struct mloop *l, struct mhandle *h)
{
    u64map_del(&l->objs, h->o.id);
    if (l->live_handles > 0) {
        l->live_handles--;
    }
    free(h);
}

static struct mlock *lock_get(struct model *m, struct mloop *l, uint64_t id)
{
    struct mlock *k = u64map_get(&l->locks, id);

    if (k != NULL || id == 0) {
        return k;
    }
    k = calloc(1, sizeof(*k));
    if (k == NULL || u64map_put(&l->locks, id, k) < 0) {
        free(k);
        m->oom = 1;
        return NULL;
    }
    k->o.id = id;
    k->o.type = OBJ_LOCK;
    return k;
}

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

uint64_t model_wait_target(const struct model *m, const struct mloop *l, const struct mtask *t,
                           int *inferred, size_t *ncand)
{
    const struct mlock *k;
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
    if (t->wait_task != 0) {
        return t->wait_task;
    }
    k = model_lock(l, t->wait_obj);
    if (k != NULL && k->how != OWNER_UNKNOWN && k->owner != 0) {
        return k->owner;
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
                const struct mlock *k = model_lock(l, t->wait_obj);
                uint64_t owner = t->wait_task;
                if (owner == 0 && k != NULL && k->how != OWNER_UNKNOWN) {
                    owner = k->owner;
                }
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
static void check_deadlocks(struct model *m, struct mloop *l, uint64_t ts, uint64_t broken_ts)
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
static void quick_cycle_check(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    uint64_t cur = t->o.id;
    int steps;

    for (steps = 0; steps < 64; steps++) {
        struct mtask *c = model_task(l, cur);
        const struct mlock *k;
        uint64_t next = 0;
        if (c == NULL || c->state != TS_WAITING) {
            return;
        }
        if (c->wait_kind == WAIT_JOIN) {
            next = c->wait_obj;
        } else if (c->wait_kind == WAIT_LOCK) {
            next = c->wait_task;
            k = model_lock(l, c->wait_obj);
            if (next == 0 && k != NULL && k->how != OWNER_UNKNOWN) {
                next = k->owner;
            }
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

/* ---------------------------------------------------------------------- */
/* Task events                                                             */

/* Close the task's current state interval at ts. */
static void task_close_state(struct model *m, struct mtask *t, uint64_t ts)
{
    switch (t->state) {
    case TS_READY:
        t->ready_ns += since(t->t_state, ts);
        ival_add(m, t->row, IV_READY, 0, t->t_state, ts, 0, 0);
        break;
    case TS_RUNNING:
        ival_add(m, t->row, IV_RUN, 0, t->t_state, ts, 0, t->wait_site);
        break;
    case TS_WAITING:
        t->wait_ns += since(t->t_state, ts);
        ival_add(m, t->row, IV_WAIT, t->wait_kind, t->t_state, ts, t->wait_obj, t->wait_site);
        break;
    default:
        break;
    }
}

static void wait_ended(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts)
{
    struct akey k = {t->wait_kind, t->wait_site, 0};
    struct waitstat *w;
    uint64_t d = since(t->t_state, ts);

    if (t->wait_kind == WAIT_YIELD) {
        return;
    }
    w = agg_get(m, &m->waits, k, sizeof(*w));
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
        topk_add(&m->long_waits, &in);
    }
}

static void on_task_new(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL) {
        return;
    }
    if (t->flags & TF_SEEN_NEW) {
        l->anomalies++; /* a second task_new: keep the first identity */
        return;
    }
    t->flags |= TF_SEEN_NEW;
    t->parent = ev->parent_task;
    t->name = intern(m, ev->name);
    t->site = site_of(m, &ev->site);
    t->t_new = ev->ts_ns;
    if (t->row != 0) {
        m->rows[t->row - 1].name = t->name;
        m->rows[t->row - 1].site = t->site;
        m->rows[t->row - 1].t_begin = ev->ts_ns;
    }
    l->tasks_new++;
    l->last_task_new_id = ev->id;
}

static void on_task_ready(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    if (t->state == TS_WAITING) {
        /* a lock waiter woken by another task (not a cancel, not a timeout) got the lock */
        if (t->wait_kind == WAIT_LOCK && ev->kind == KIND_TASK && ev->by_id != 0 &&
            ev->by_id != t->o.id && !((t->flags & TF_CANCEL_REQ) && t->cancel_by == ev->by_id &&
                                      t->t_cancel >= t->t_state)) {
            struct mlock *k = lock_get(m, l, t->wait_obj);
            if (k != NULL) {
                k->owner = t->o.id;
                k->how = OWNER_HANDOFF;
                k->t_owner = ev->ts_ns;
            }
        }
        /* a lock/join wait broken by a timeout or a cancel: was it a deadlock? */
        if ((t->wait_kind == WAIT_LOCK || t->wait_kind == WAIT_JOIN) &&
            (ev->kind == KIND_TIMER || ((t->flags & TF_CANCEL_REQ) && t->t_cancel >= t->t_state))) {
            check_deadlocks(m, l, ev->ts_ns, ev->ts_ns);
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
    task_close_state(m, t, ev->ts_ns);
    t->state = TS_READY;
    t->t_state = ev->ts_ns;
    t->t_ready = ev->ts_ns;
}

static void on_task_run(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = task_get(m, l, ev->id, ev->ts_ns);
    struct prof *p;

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    if (t->state == TS_READY && t->t_ready != 0) {
        p = prof_for_task(m, t->name, t->site);
        if (p != NULL && hist_add(&p->delay, since(t->t_ready, ev->ts_ns)) < 0) {
            m->oom = 1;
        }
    } else {
        l->anomalies++; /* a run without a ready */
    }
    task_close_state(m, t, ev->ts_ns);
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
    f = agg_get(m, &m->folds, k, sizeof(*f));
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
        struct aggsite *a = agg_get(m, &m->aggs, ka, sizeof(*a));
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

static void on_task_suspend(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    if (t->state != TS_RUNNING) {
        l->anomalies++;
    }
    step_ended(m, l, t, ev->ts_ns);
    task_close_state(m, t, ev->ts_ns);
    t->state = TS_WAITING;
    t->t_state = ev->ts_ns;
    t->wait_kind = ev->wait_kind;
    t->wait_obj = ev->obj_id;
    t->wait_task = ev->wait_kind == WAIT_LOCK || ev->wait_kind == WAIT_JOIN ? ev->wait_task : 0;
    t->wait_timeout_ns = ev->timeout_ns;
    t->wait_site = site_of(m, &ev->site);
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
        quick_cycle_check(m, l, t, ev->ts_ns);
    } else if (ev->wait_kind == WAIT_LOCK) {
        struct mlock *k = lock_get(m, l, ev->obj_id);
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
        quick_cycle_check(m, l, t, ev->ts_ns);
    }
}

static void agg_task_end(struct model *m, struct mloop *l, struct mtask *t, enum agg_what what,
                         uint64_t value, uint64_t ts)
{
    struct akey k = {what, t->site, what == AGG_SELF_WAKE ? t->name : 0};
    struct aggsite *a = agg_get(m, &m->aggs, k, sizeof(*a));

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

static void task_release(struct model *m, struct mloop *l, struct mtask *t)
{
    struct mhandle *tm = t->timer_id ? model_handle(l, t->timer_id) : NULL;
    size_t it = 0;
    void *v;

    (void)m;
    if (tm != NULL && (tm->flags & HF_INTERNAL)) {
        handle_free(l, tm);
    }
    /* locks it was known to hold are now in an unknown state */
    while (u64map_next(&l->locks, &it, NULL, &v)) {
        struct mlock *k = v;
        if (k->owner == t->o.id && k->how != OWNER_UNKNOWN) {
            agg_task_end(m, l, t, AGG_HELD_LOCK_AT_END, k->o.id, t->t_state);
            k->owner = 0;
            k->how = OWNER_UNKNOWN;
        }
    }
    u64map_del(&l->objs, t->o.id);
    free(t);
}

static void on_task_done(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    if (t->state == TS_WAITING) {
        wait_ended(m, l, t, ev->ts_ns);
    }
    step_ended(m, l, t, ev->ts_ns);
    task_close_state(m, t, ev->ts_ns);
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
    if (t->state == TS_FAILED && !(t->flags & TF_JOIN_WAITED)) {
        agg_task_end(m, l, t, AGG_FAILED_UNJOINED, (uint64_t)(int64_t)t->err, ev->ts_ns);
    }
    if (t->state == TS_CANCELLED && !(t->flags & TF_JOIN_WAITED)) {
        agg_task_end(m, l, t, AGG_CANCELLED_UNOBSERVED, 0, ev->ts_ns);
    }
    if (t->wakes >= 10 && t->self_wakes * 2 > t->wakes) {
        agg_task_end(m, l, t, AGG_SELF_WAKE, t->self_wakes * 100 / t->wakes, ev->ts_ns);
    }
    task_release(m, l, t);
}

static void on_task_cancel(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask *t = task_get(m, l, ev->id, ev->ts_ns);

    if (t == NULL || (t->flags & TF_FINISHED)) {
        return;
    }
    t->flags |= TF_CANCEL_REQ;
    t->cancel_by = ev->by_id;
    t->t_cancel = ev->ts_ns;
}

/* ---------------------------------------------------------------------- */
/* Handle and dispatch events                                              */

static void on_handle_new(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h;
    struct mtask *owner = NULL;

    if (ev->kind == KIND_TIMER && l->prev_type == EV_TASK_NEW && l->last_task_new_id != 0 &&
        ev->id == l->last_task_new_id + 1) {
        owner = model_task(l, l->last_task_new_id);
    }
    h = handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
    if (h == NULL) {
        return;
    }
    if (h->flags & HF_SEEN_NEW) {
        l->anomalies++;
        return;
    }
    h->flags |= HF_SEEN_NEW;
    h->kind = ev->kind < KIND_MAX ? ev->kind : KIND_NONE;
    h->name = intern(m, ev->name);
    h->site = site_of(m, &ev->site);
    h->parent_task = ev->parent_task;
    h->t_new = ev->ts_ns;
    if (owner != NULL) {
        h->flags |= HF_INTERNAL;
        h->owner_task = owner->o.id;
        owner->timer_id = h->o.id;
        return;
    }
    if (h->kind == KIND_DEFER) {
        h->t_pending = ev->ts_ns; /* a call-soon is queued at once */
    }
    if (h->kind == KIND_IO && l->cur_task != 0) {
        l->fdw_candidate = h->o.id;
    }
    l->handles_new++;
}

static void on_handle_start(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h = handle_get(m, l, ev->id, ev->kind, ev->ts_ns);

    if (h == NULL) {
        return;
    }
    h->flags |= HF_ACTIVE | HF_STARTED;
    if (h->kind == KIND_IO) {
        h->fd = ev->fd;
    }
    if (h->kind == KIND_TIMER && l->have_clock_off) {
        h->t_pending = (uint64_t)((int64_t)ev->due_ns + l->clock_off);
    } else {
        h->t_pending = ev->ts_ns;
    }
}

static void on_handle_close(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h = handle_get(m, l, ev->id, ev->kind, ev->ts_ns);

    if (h == NULL) {
        return;
    }
    if (!(h->flags & HF_CLOSING)) {
        l->handles_closed++;
    }
    h->flags |= HF_CLOSING;
    h->flags &= (uint8_t)~HF_ACTIVE;
    h->t_close = ev->ts_ns;
    if (ev->name[0] != '\0') {
        h->name = intern(m, ev->name);
    }
}

static void on_callback_begin(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h;
    struct prof *p;

    if (l->flags & LF_CB_OPEN) {
        l->anomalies++; /* the previous callback never ended */
    }
    l->flags |= LF_CB_OPEN;
    l->cb_id = ev->id;
    l->cb_kind = ev->kind;
    l->cb_begin = ev->ts_ns;
    if (ev->kind == KIND_TASK) {
        return;
    }
    h = handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
    if (h == NULL || (h->flags & HF_INTERNAL)) {
        return;
    }
    if (h->t_pending != 0 && ev->kind != KIND_CLOSE) {
        p = prof_for_handle(m, ev->kind, h);
        if (p != NULL && hist_add(&p->delay, since(h->t_pending, ev->ts_ns)) < 0) {
            m->oom = 1;
        }
        h->t_pending = 0;
    }
}

static void util_add(struct util_series *u, uint64_t ts, uint64_t busy, uint64_t iter_ns, int iter)
{
    size_t b, i;

    if (u->width == 0) {
        u->t0 = ts;
        u->width = 10 * 1000 * 1000; /* 10 ms, doubling as the trace goes on */
    }
    if (ts < u->t0) {
        ts = u->t0;
    }
    while ((ts - u->t0) / u->width >= UTIL_BUCKETS) {
        for (i = 0; i < UTIL_BUCKETS / 2; i++) {
            u->busy[i] = u->busy[2 * i] + u->busy[2 * i + 1];
            u->iters[i] = u->iters[2 * i] + u->iters[2 * i + 1];
            u->max_iter[i] = u->max_iter[2 * i] > u->max_iter[2 * i + 1] ? u->max_iter[2 * i]
                                                                          : u->max_iter[2 * i + 1];
        }
        memset(u->busy + UTIL_BUCKETS / 2, 0, sizeof(u->busy) / 2);
        memset(u->iters + UTIL_BUCKETS / 2, 0, sizeof(u->iters) / 2);
        memset(u->max_iter + UTIL_BUCKETS / 2, 0, sizeof(u->max_iter) / 2);
        u->width *= 2;
    }
    b = (size_t)((ts - u->t0) / u->width);
    u->busy[b] += busy;
    if (iter) {
        u->iters[b]++;
        if (iter_ns > u->max_iter[b]) {
            u->max_iter[b] = iter_ns;
        }
    }
}

static void on_callback_end(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h = NULL;
    struct mtask *t = NULL;
    struct prof *p = NULL;
    uint64_t d;
    uint32_t site = 0, name = 0, site2 = 0;

    if (!(l->flags & LF_CB_OPEN) || l->cb_id != ev->id || l->cb_kind != ev->kind) {
        l->anomalies++;
        l->flags &= ~(uint32_t)LF_CB_OPEN;
        return;
    }
    l->flags &= ~(uint32_t)LF_CB_OPEN;
    l->fdw_candidate = 0;
    d = since(l->cb_begin, ev->ts_ns);
    l->callbacks++;
    l->busy_ns += d;
    util_add(&l->util, l->cb_begin, d, 0, 0);
    if (ev->kind == KIND_TASK) {
        t = model_task(l, ev->id);
        if (t != NULL) {
            p = prof_for_task(m, t->name, t->site);
            name = t->name;
            site = t->site;
            site2 = t->wait_site;
        } else if (l->done_id == ev->id) {
            /* the step that finished the task (already released at task_done) */
            p = prof_for_task(m, l->done_name, l->done_site);
            name = l->done_name;
            site = l->done_site;
            site2 = l->done_wait_site;
        }
    } else {
        h = model_handle(l, ev->id);
        if (h != NULL && !(h->flags & HF_INTERNAL)) {
            p = prof_for_handle(m, ev->kind, h);
            name = h->name;
            site = h->site;
            h->callbacks++;
        }
    }
    ival_add(m, loop_row(m, l), IV_CALLBACK, ev->kind, l->cb_begin, ev->ts_ns, ev->id, site);
    if (p != NULL && hist_add(&p->step, d) < 0) {
        m->oom = 1;
    }
    if (h != NULL && ev->kind != KIND_TASK && !(h->flags & HF_INTERNAL)) {
        struct akey k = {((uint64_t)l->proc->procname << 32) | ev->kind, h->site, l->loop_id};
        struct fold *f = agg_get(m, &m->folds, k, sizeof(*f));
        if (f != NULL) {
            f->proc = l->proc->procname;
            f->loop_id = l->loop_id;
            f->kind = ev->kind;
            f->name = h->name;
            f->site = h->site;
            f->ns += d;
            f->count++;
        }
    }
    if (d > m->opts.threshold_ns && (h == NULL || !(h->flags & HF_INTERNAL))) {
        struct instance in = {l->vpid, l->loop_id, ev->id, ev->kind, 0, name, site, site2,
                              l->cb_begin, d, 0, (uint8_t)((l->flags & LF_GAP) != 0)};
        topk_add(&m->slow_steps, &in);
        if (p != NULL) {
            p->over++;
        }
    }
    if (h == NULL) {
        return;
    }
    /* objects whose life ends with this callback */
    if (ev->kind == KIND_CLOSE ||
        (ev->kind == KIND_DEFER && !(h->flags & HF_STARTED) && (h->flags & HF_SEEN_NEW)) ||
        ev->kind == KIND_WORK) {
        if (ev->kind == KIND_DEFER) {
            l->call_soons++;
        } else if (ev->kind == KIND_WORK) {
            l->work_items++;
        }
        handle_free(l, h);
    }
}

static void on_stall(struct model *m, struct mloop *l, const struct event *ev)
{
    struct stall *s, *ns;
    size_t len;

    l->stalls++;
    m->stalls_total++;
    if (m->nstalls >= MODEL_MAX_LIST) {
        return;
    }
    ns = realloc(m->stalls, (m->nstalls + 1) * sizeof(*ns));
    if (ns == NULL) {
        m->oom = 1;
        return;
    }
    m->stalls = ns;
    s = &m->stalls[m->nstalls];
    memset(s, 0, sizeof(*s));
    s->vpid = l->vpid;
    s->loop_id = l->loop_id;
    s->id = ev->id;
    s->ts = ev->ts_ns;
    s->duration_ns = ev->duration_ns;
    s->kind = (l->flags & LF_CB_OPEN) && l->cb_id == ev->id ? l->cb_kind : KIND_NONE;
    if (s->kind == KIND_NONE && model_task(l, ev->id) != NULL) {
        s->kind = KIND_TASK;
    }
    if (s->kind == KIND_TASK) {
        struct mtask *t = model_task(l, ev->id);
        if (t != NULL) {
            s->name = t->name;
            s->site = t->site;
            s->site2 = t->wait_site;
        }
    } else {
        struct mhandle *h = model_handle(l, ev->id);
        if (h != NULL) {
            s->kind = h->kind;
            s->name = h->name;
            s->site = h->site;
        }
    }
    len = strlen(ev->backtrace);
    if (len > MAX_BACKTRACE) {
        len = MAX_BACKTRACE;
    }
    s->backtrace = malloc(len + 1);
    if (s->backtrace == NULL) {
        m->oom = 1;
        return;
    }
    memcpy(s->backtrace, ev->backtrace, len);
    s->backtrace[len] = '\0';
    m->nstalls++;
}

static void on_slow_callback(struct model *m, struct mloop *l, const struct event *ev)
{
    uint32_t site = site_of(m, &ev->site), name = intern(m, ev->name);
    struct instance in = {l->vpid, l->loop_id, ev->id, ev->kind, 0, name, site, 0,
                          ev->ts_ns > ev->duration_ns ? ev->ts_ns - ev->duration_ns : ev->ts_ns,
                          ev->duration_ns, 0, (uint8_t)((l->flags & LF_GAP) != 0)};
    struct akey k = {AGG_SLOW_EVENT, ev->kind, site};
    struct aggsite *a;

    l->slow_callbacks++;
    topk_add(&m->slow_events, &in);
    a = agg_get(m, &m->aggs, k, sizeof(*a));
    if (a != NULL) {
        if (a->count == 0) {
            a->first_ts = ev->ts_ns;
            a->example_id = ev->id;
            a->vpid = l->vpid;
            a->loop_id = l->loop_id;
        }
        a->what = AGG_SLOW_EVENT;
        a->kind = ev->kind;
        a->site = site;
        a->name = name;
        a->count++;
        a->last_ts = ev->ts_ns;
        if (ev->duration_ns > a->value) {
            a->value = ev->duration_ns;
        }
    }
}

static void on_error(struct model *m, struct mloop *l, const struct event *ev)
{
    struct merror *e;
    size_t i;
    uint32_t msg;

    l->errors++;
    for (i = 0; i < m->nerrors; i++) {
        e = &m->errors[i];
        if (e->vpid == l->vpid && e->loop_id == l->loop_id && e->err == ev->err &&
            strcmp(model_str(m, e->msg), ev->msg) == 0) {
            e->count++;
            e->ts_last = ev->ts_ns;
            return;
        }
    }
    if (m->nerrors >= MODEL_MAX_LIST) {
        return;
    }
    msg = intern(m, ev->msg);
    e = realloc(m->errors, (m->nerrors + 1) * sizeof(*e));
    if (e == NULL) {
        m->oom = 1;
        return;
    }
    m->errors = e;
    e = &m->errors[m->nerrors++];
    memset(e, 0, sizeof(*e));
    e->vpid = l->vpid;
    e->loop_id = l->loop_id;
    e->err = ev->err;
    e->msg = msg;
    e->kind = ev->kind;
    e->id = ev->id;
    e->ts_first = e->ts_last = ev->ts_ns;
    e->count = 1;
}

static void on_discarded(struct model *m, const struct event *ev)
{
    size_t i;
    struct gap *g;

    if (ev->packets) {
        m->discarded_packets += ev->count ? ev->count : 1;
    } else {
        m->discarded_events += ev->count;
    }
    /* every loop alive during the gap may have lost events */
    for (i = 0; i < m->nloops; i++) {
        struct mloop *l = m->loops[i];
        if (!(l->flags & LF_CLOSED) || ev->gap_begin_ns == 0 || l->t_close >= ev->gap_begin_ns) {
            l->flags |= LF_GAP;
        }
    }
    if (m->ngaps >= MODEL_MAX_LIST) {
        return;
    }
    g = realloc(m->gaps, (m->ngaps + 1) * sizeof(*g));
    if (g == NULL) {
        m->oom = 1;
        return;
    }
    m->gaps = g;
    g = &m->gaps[m->ngaps++];
    g->begin_ns = ev->gap_begin_ns;
    g->end_ns = ev->gap_end_ns;
    g->count = ev->count;
    g->packets = ev->packets;
    g->trace = ev->trace;
}

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
        check_deadlocks(m, l, ev->ts_ns, 0);
        break;
    case EV_ITER_BEGIN:
        if (l->iters > 0 && l->t_iter != 0 && ev->ts_ns >= l->t_iter) {
            uint64_t d = ev->ts_ns - l->t_iter;
            if (hist_add(&l->iter_hist, d) < 0) {
                m->oom = 1;
            }
            util_add(&l->util, l->t_iter, 0, d, 1);
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
            ival_add(m, loop_row(m, l), IV_POLL, 0, l->poll_begin, ev->ts_ns, 0, 0);
        }
        l->flags &= ~(uint32_t)LF_IN_POLL;
        break;
    case EV_IO_READY:
        h = handle_get(m, l, ev->id, KIND_IO, ev->ts_ns);
        if (h != NULL && h->t_pending == 0) {
            h->t_pending = ev->ts_ns;
        }
        break;
    case EV_SIGNAL_RECV:
        break;
    case EV_HANDLE_NEW:
        on_handle_new(m, l, ev);
        break;
    case EV_POOL_SUBMIT:
        h = handle_get(m, l, ev->id, KIND_WORK, ev->ts_ns);
        if (h != NULL && !(h->flags & HF_SEEN_NEW)) {
            on_handle_new(m, l, ev);
        }
        if (h != NULL) {
            h->t_pending = 0; /* the delay that matters is the pool's; see pool_end */
        }
        break;
    case EV_HANDLE_NAME:
        h = handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
        if (h != NULL) {
            h->name = intern(m, ev->name);
        }
        break;
    case EV_HANDLE_START:
        on_handle_start(m, l, ev);
        break;
    case EV_HANDLE_STOP:
        h = handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
        if (h != NULL) {
            h->flags &= (uint8_t)~HF_ACTIVE;
        }
        break;
    case EV_HANDLE_CLOSE:
        on_handle_close(m, l, ev);
        break;
    case EV_CALLBACK_BEGIN:
        on_callback_begin(m, l, ev);
        break;
    case EV_CALLBACK_END:
        on_callback_end(m, l, ev);
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
        on_task_new(m, l, ev);
        break;
    case EV_TASK_READY:
        on_task_ready(m, l, ev);
        break;
    case EV_TASK_RUN:
        on_task_run(m, l, ev);
        break;
    case EV_TASK_SUSPEND:
        on_task_suspend(m, l, ev);
        break;
    case EV_TASK_DONE:
        on_task_done(m, l, ev);
        break;
    case EV_TASK_CANCEL:
        on_task_cancel(m, l, ev);
        break;
    case EV_SLOW_CALLBACK:
        on_slow_callback(m, l, ev);
        break;
    case EV_STALL:
        on_stall(m, l, ev);
        break;
    case EV_ERROR:
        on_error(m, l, ev);
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
        on_discarded(m, ev);
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
    l = loop_get(m, ev);
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

void model_scan_deadlocks(struct model *m, uint64_t now)
{
    size_t i;

    for (i = 0; i < m->nloops; i++) {
        if (m->loops[i]->live_tasks > 1) {
            check_deadlocks(m, m->loops[i], now, 0);
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
            ival_add(m, loop_row(m, l), IV_CALLBACK, l->cb_kind, l->cb_begin, m->t_last, l->cb_id, 0);
        }
        if (l->flags & LF_RUNNING) {
            l->run_ns += since(l->t_run_begin, l->t_last);
        }
        check_deadlocks(m, l, m->t_last, 0);
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
                task_close_state(m, t, m->t_last);
                r->t_end = m->t_last;
                r->end_state = t->state;
                r->end_wait = t->state == TS_WAITING ? t->wait_kind : 0;
                r->end_site = t->wait_site;
                r->end_obj = t->wait_obj;
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
    agg_free_all(&m->profs, prof_fin);
    agg_free_all(&m->waits, wait_fin);
    agg_free_all(&m->folds, NULL);
    agg_free_all(&m->aggs, NULL);
    for (i = 0; i < m->nstalls; i++) {
        free(m->stalls[i].backtrace);
    }
    free(m->stalls);
    for (i = 0; i < m->ncycles; i++) {
        free(m->cycles[i].edges);
    }
    free(m->cycles);
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
