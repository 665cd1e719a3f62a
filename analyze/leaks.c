/*
 * leaks.c — `loop-analyze leaks`: objects alive at the end of the trace,
 * grouped by creation site: handles never closed (not a task's internal
 * timer, not a call-soon or work item that completed), tasks never finished.
 * A group is "confirmed" when its loop no longer runs at the end (the
 * program left loop_run and never closed them); in a trace that ends while
 * the loop runs they are only alive, not necessarily leaked.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int cmp_group(const void *a, const void *b)
{
    const struct leak_group *x = a, *y = b;

    if (x->confirmed != y->confirmed) {
        return y->confirmed - x->confirmed;
    }
    if (x->count != y->count) {
        return x->count < y->count ? 1 : -1;
    }
    if (x->is_task != y->is_task) {
        return y->is_task - x->is_task;
    }
    return x->first_ts < y->first_ts ? -1 : x->first_ts > y->first_ts;
}

static int group_add(struct u64map *idx, struct leak_group **v, size_t *n, size_t *cap,
                     const struct mloop *l, int is_task, uint8_t kind, uint32_t site, uint32_t name,
                     uint64_t id, uint64_t ts)
{
    uint64_t key = ((uint64_t)is_task << 63) ^ ((uint64_t)kind << 56) ^ ((uint64_t)site << 8) ^
                   (l->loop_id * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)l->vpid << 24);
    uintptr_t at;
    struct leak_group *g;

    for (;;) {
        at = (uintptr_t)u64map_get(idx, key);
        if (at == 0) {
            break;
        }
        g = &(*v)[at - 1];
        if (g->is_task == is_task && g->kind == kind && g->site == site && g->vpid == l->vpid &&
            g->loop_id == l->loop_id) {
            goto found;
        }
        key++;
    }
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct leak_group *nv = realloc(*v, nc * sizeof(*nv));
        if (nv == NULL) {
            return -ENOMEM;
        }
        *v = nv;
        *cap = nc;
    }
    g = &(*v)[*n];
    memset(g, 0, sizeof(*g));
    g->is_task = is_task;
    g->kind = kind;
    g->site = site;
    g->vpid = l->vpid;
    g->loop_id = l->loop_id;
    g->first_ts = ts;
    g->last_ts = ts;
    g->confirmed = !mloop_running(l);
    g->gap = (l->flags & LF_GAP) != 0;
    if (u64map_put(idx, key, (void *)(uintptr_t)(*n + 1)) < 0) {
        return -ENOMEM;
    }
    (*n)++;
found:
    g->count++;
    if (ts < g->first_ts) {
        g->first_ts = ts;
    }
    if (ts > g->last_ts) {
        g->last_ts = ts;
    }
    if (name != 0 && g->nnames < sizeof g->names / sizeof g->names[0]) {
        size_t k;
        for (k = 0; k < g->nnames && g->names[k] != name; k++) {
        }
        if (k == g->nnames) {
            g->names[g->nnames++] = name;
        }
    }
    if (g->nids < sizeof g->ids / sizeof g->ids[0]) {
        g->ids[g->nids++] = id;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

int leaks_collect(const struct ctx *c, struct leak_group **out, size_t *n)
{
    struct u64map idx = {0};
    struct leak_group *v = NULL;
    size_t nv = 0, cap = 0, i, it;
    void *p;
    int rc = 0;

    for (i = 0; i < c->m->nloops && rc == 0; i++) {
        struct mloop *l = c->m->loops[i];
        if (!ctx_loop_selected(c, l)) {
            continue;
        }
        it = 0;
        while (rc == 0 && u64map_next(&l->objs, &it, NULL, &p)) {
            struct mobj *o = p;
            if (o->type == OBJ_TASK) {
                struct mtask *t = p;
                if (!(t->flags & TF_FINISHED)) {
                    rc = group_add(&idx, &v, &nv, &cap, l, 1, KIND_TASK, t->site, t->name, t->o.id,
                                   t->t_new);
                }
            } else if (o->type == OBJ_HANDLE) {
                struct mhandle *h = p;
                if (!(h->flags & (HF_CLOSING | HF_INTERNAL))) {
                    rc = group_add(&idx, &v, &nv, &cap, l, 0, h->kind, h->site, h->name, h->o.id,
                                   h->t_new);
                }
            }
        }
    }
    u64map_free(&idx);
    if (rc < 0) {
        free(v);
        *out = NULL;
        *n = 0;
        return rc;
    }
    for (i = 0; i < nv; i++) {
        qsort(v[i].ids, v[i].nids, sizeof(v[i].ids[0]), cmp_u64);
    }
    if (nv > 1) {
        qsort(v, nv, sizeof(*v), cmp_group);
    }
    *out = v;
    *n = nv;
    return 0;
}

int report_leaks(const struct ctx *c)
{
    struct leak_group *g = NULL;
    size_t n = 0, i, k;
    uint64_t confirmed = 0, alive = 0;
    char sb[256], lb[256];
    int rc = leaks_collect(c, &g, &n);

    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < n; i++) {
        if (g[i].confirmed) {
            confirmed += g[i].count;
        } else {
            alive += g[i].count;
        }
    }
    if (c->o->json) {
        struct jw w;
        json_begin(c, &w);
        jw_u64(&w, "leaked", confirmed);
        jw_u64(&w, "alive_while_running", alive);
        jw_arr(&w, "groups");
        for (i = 0; i < n; i++) {
            const struct mloop *l = model_loop(c->m, g[i].vpid, g[i].loop_id);
            jw_obj(&w, NULL);
            json_loop_ref(&w, l);
            jw_str(&w, "type", g[i].is_task ? "task" : "handle");
            jw_str(&w, "kind", ev_kind_name(g[i].kind));
            json_site(c, &w, "site", g[i].site);
            jw_arr(&w, "names");
            for (k = 0; k < g[i].nnames; k++) {
                jw_str(&w, NULL, model_str(c->m, g[i].names[k]));
            }
            jw_end_arr(&w);
            jw_u64(&w, "count", g[i].count);
            jw_u64(&w, "first_ns", g[i].first_ts);
            jw_u64(&w, "last_ns", g[i].last_ts);
            jw_arr(&w, "ids");
            for (k = 0; k < g[i].nids; k++) {
                jw_u64(&w, NULL, g[i].ids[k]);
            }
            jw_end_arr(&w);
            jw_bool(&w, "confirmed", g[i].confirmed);
            jw_bool(&w, "gap", g[i].gap);
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_end_obj(&w);
        free(g);
        return 0;
    }
    text_trace_warnings(c);
    if (n == 0) {
        fprintf(c->out, "leaks: none: every handle was closed and every task finished\n");
    }
    for (i = 0; i < n; i++) {
        const struct mloop *l = model_loop(c->m, g[i].vpid, g[i].loop_id);
        model_site_str(c->m, g[i].site, sb, sizeof sb);
        fprintf(c->out, "%s: %s: %" PRIu64 " %s%s %s at %s", g[i].confirmed ? "LEAK" : "ALIVE",
                describe_loop(c, l, lb, sizeof lb), g[i].count, g[i].is_task ? "task" : ev_kind_name(g[i].kind),
                g[i].count == 1 ? "" : "s", g[i].is_task ? "never finished, spawned" : "never closed, created",
                sb);
        for (k = 0; k < g[i].nnames; k++) {
            fprintf(c->out, "%s\"%s\"", k ? ", " : " named ", model_str(c->m, g[i].names[k]));
        }
        fprintf(c->out, ", created +%.6f s .. +%.6f s, ids", model_rel_s(c->m, g[i].first_ts),
                model_rel_s(c->m, g[i].last_ts));
        for (k = 0; k < g[i].nids; k++) {
            fprintf(c->out, "%s%" PRIu64, k ? "," : " ", g[i].ids[k]);
        }
        fprintf(c->out, "%s%s\n", g[i].count > g[i].nids ? ",..." : "", g[i].gap ? " (gap)" : "");
    }
    if (alive > 0) {
        fprintf(c->out,
                "note: ALIVE objects belong to loops still running when the trace ends: they may be "
                "closed later\n");
    }
    free(g);
    return 0;
}
