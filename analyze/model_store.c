/*
 * model_store.c — the model's storage: interned strings and sites, exact-key
 * aggregates, top-K lists, loops by (vpid, loop_id), objects by id (tasks,
 * handles, locks, made as placeholders when an event names an unknown id),
 * timeline rows and intervals, and profiles per callback site / task name.
 */
#include "model_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */

uint32_t model__intern(struct model *m, const char *s)
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

uint32_t model__intern_name(struct model *m, const char *s)
{
    int64_t idx;

    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    idx = strtab_find(&m->strs, s);
    if (idx >= 0) {
        return (uint32_t)idx;
    }
    if (m->names >= MODEL_MAX_NAMES) {
        /* the tail of distinct names folds into one: memory stays bounded */
        m->names_folded++;
        if (m->name_other == 0) {
            m->name_other = model__intern(m, "(other)");
        }
        return m->name_other;
    }
    m->names++;
    return model__intern(m, s);
}

uint32_t model__site_of(struct model *m, const struct ev_site *s)
{
    uint32_t file, func;
    uint64_t h;
    uintptr_t chain;
    size_t i;

    if (s == NULL || (s->file[0] == '\0' && s->func[0] == '\0' && s->line == 0)) {
        return 0;
    }
    file = model__intern(m, s->file);
    func = model__intern(m, s->func);
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
void *model__agg_get(struct model *m, struct u64map *map, struct akey k, size_t size)
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

void model__agg_free_all(struct u64map *map, void (*fin)(void *))
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

void model__topk_add(struct topk *k, const struct instance *in)
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

struct mloop *model__loop_get(struct model *m, const struct event *ev)
{
    struct mproc *p;
    struct mloop *l, **nl;
    size_t i;

    /* consecutive events are mostly of one loop: no lookup (loops live until model_free) */
    l = m->last_loop;
    if (l != NULL && l->loop_id == ev->loop_id && l->vpid == ev->vpid) {
        return l;
    }
    p = u64map_get(&m->procs, (uint64_t)ev->vpid);
    if (p != NULL) {
        for (i = 0; i < p->nloops; i++) {
            if (p->loops[i]->loop_id == ev->loop_id) {
                m->last_loop = p->loops[i];
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
        p->procname = model__intern(m, ev->procname);
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
    m->last_loop = l;
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

uint32_t model__row_new(struct model *m, uint8_t type, const struct mloop *l, uint64_t id,
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

struct ival *model__ival_add(struct model *m, uint32_t row, uint8_t state, uint8_t kind, uint64_t start,
                             uint64_t end, uint64_t obj, uint32_t site)
{
    struct ival *v;

    if (row == 0 || !m->opts.keep_intervals || end < start) {
        return NULL;
    }
    if (m->nivals == m->capivals) {
        size_t nc = m->capivals ? m->capivals * 2 : 4096;
        struct ival *nv = realloc(m->ivals, nc * sizeof(*nv));
        if (nv == NULL) {
            m->oom = 1;
            return NULL;
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
    v->obj_site = 0;
    v->state = state;
    v->kind = kind;
    if (end > m->rows[row - 1].t_end) {
        m->rows[row - 1].t_end = end;
    }
    return v;
}

/* The timeline row of a loop's own states (polling, dispatching), made on first use. */
uint32_t model__loop_row(struct model *m, struct mloop *l)
{
    if (l->cb_row == 0 && m->opts.keep_intervals) {
        l->cb_row = model__row_new(m, ROW_LOOP, l, 0, 0, 0, l->t_first);
    }
    return l->cb_row;
}

struct prof *model__prof_task(struct model *m, uint32_t name, uint32_t site)
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
                name = model__intern(m, "(other task names)");
            }
        }
    }
    p = model__agg_get(m, &m->profs, k, sizeof(*p));
    if (p != NULL && p->step.count == 0 && p->delay.count == 0 && p->name == 0) {
        p->kind = KIND_TASK;
        p->name = name;
        p->site = site;
    }
    return p;
}

struct prof *model__prof_handle(struct model *m, uint8_t kind, const struct mhandle *h)
{
    int internal = h != NULL && (h->flags & HF_INTERNAL);
    struct akey k = {kind, (uint64_t)internal, h != NULL ? h->site : 0};
    struct prof *p = model__agg_get(m, &m->profs, k, sizeof(*p));

    if (p != NULL) {
        p->kind = kind;
        p->site = (uint32_t)k.c;
        p->internal = (uint8_t)internal;
        if (p->name == 0 && h != NULL) {
            p->name = h->name;
        }
    }
    return p;
}

struct mtask *model__task_get(struct model *m, struct mloop *l, uint64_t id, uint64_t ts)
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
    t->row = model__row_new(m, ROW_TASK, l, id, 0, 0, ts);
    l->live_tasks++;
    return t;
}

struct mhandle *model__handle_get(struct model *m, struct mloop *l, uint64_t id, uint8_t kind,
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

void model__handle_free(struct mloop *l, struct mhandle *h)
{
    u64map_del(&l->objs, h->o.id);
    if (l->live_handles > 0) {
        l->live_handles--;
    }
    free(h);
}

struct mlock *model__lock_get(struct model *m, struct mloop *l, uint64_t id)
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
