/*
 * leaks.c — `loop-analyze leaks`: objects alive at the end of the trace,
 * grouped by creation site: handles never closed (not a task's internal
 * timer, not a call-soon or work item that completed), tasks never
 * finished, and, where the loop's trace has joins and sync objects
 * (format_minor >= 1): tasks finished but never joined nor detached,
 * futures never resolved (freed unresolved, or alive unresolved at the
 * end), events, locks, channels and task groups never freed.
 * A group is "confirmed" when its loop no longer runs at the end (the
 * program left loop_run and never closed them), or, for a future freed
 * unresolved, always; in a trace that ends while the loop runs they are
 * only alive, not necessarily leaked. Loops from an older libloop
 * (format_minor 0) are said once to have no join/sync data.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *leak_type_name(const struct leak_group *g)
{
    switch (g->what) {
    case LEAK_HANDLE:
        return "handle";
    case LEAK_TASK_UNFINISHED:
    case LEAK_TASK_UNJOINED:
        return "task";
    default:
        return "sync";
    }
}

const char *leak_kind_name(const struct leak_group *g)
{
    if (g->what == LEAK_FUTURE_UNRESOLVED || g->what == LEAK_SYNC_UNFREED) {
        return ev_sync_kind_name(g->kind);
    }
    return ev_kind_name(g->kind);
}

const char *leak_what_name(const struct leak_group *g)
{
    switch (g->what) {
    case LEAK_HANDLE:
        return "never_closed";
    case LEAK_TASK_UNFINISHED:
        return "never_finished";
    case LEAK_TASK_UNJOINED:
        return "never_joined";
    case LEAK_FUTURE_UNRESOLVED:
        return "never_resolved";
    default:
        return "never_freed";
    }
}

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

struct groups {
    struct u64map idx;
    struct leak_group *v;
    size_t n, cap;
};

/* The group of (loop, what, kind, site, confirmed), made empty when new; NULL on ENOMEM. */
static struct leak_group *group_get(struct groups *gs, const struct mloop *l, uint8_t what, uint8_t kind,
                                    uint32_t site, int confirmed)
{
    uint64_t key = ((uint64_t)what << 58) ^ ((uint64_t)confirmed << 57) ^ ((uint64_t)kind << 48) ^
                   ((uint64_t)site << 8) ^ (l->loop_id * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)l->vpid << 24);
    uintptr_t at;
    struct leak_group *g;

    for (;;) {
        at = (uintptr_t)u64map_get(&gs->idx, key);
        if (at == 0) {
            break;
        }
        g = &gs->v[at - 1];
        if (g->what == what && g->kind == kind && g->site == site && g->vpid == l->vpid &&
            g->loop_id == l->loop_id && g->confirmed == confirmed) {
            return g;
        }
        key++;
    }
    if (gs->n == gs->cap) {
        size_t nc = gs->cap ? gs->cap * 2 : 16;
        struct leak_group *nv = realloc(gs->v, nc * sizeof(*nv));
        if (nv == NULL) {
            return NULL;
        }
        gs->v = nv;
        gs->cap = nc;
    }
    g = &gs->v[gs->n];
    memset(g, 0, sizeof(*g));
    g->what = what;
    g->is_task = what == LEAK_TASK_UNFINISHED || what == LEAK_TASK_UNJOINED;
    g->kind = kind;
    g->site = site;
    g->vpid = l->vpid;
    g->loop_id = l->loop_id;
    g->first_ts = UINT64_MAX;
    g->confirmed = confirmed;
    g->gap = (l->flags & LF_GAP) != 0;
    if (u64map_put(&gs->idx, key, (void *)(uintptr_t)(gs->n + 1)) < 0) {
        return NULL;
    }
    gs->n++;
    return g;
}

/* One more object in g: count, creation time range, name, id. */
static void group_note(struct leak_group *g, uint32_t name, uint64_t id, uint64_t ts)
{
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
    /* the smallest ids (the first made: ids follow creation order), whatever the map order */
    if (g->nids < sizeof g->ids / sizeof g->ids[0]) {
        g->ids[g->nids++] = id;
    } else {
        size_t k, max = 0;
        for (k = 1; k < g->nids; k++) {
            max = g->ids[k] > g->ids[max] ? k : max;
        }
        if (id < g->ids[max]) {
            g->ids[max] = id;
        }
    }
}

static int add_obj(struct groups *gs, const struct mloop *l, const struct mobj *o)
{
    int running = mloop_running(l);
    struct leak_group *g;

    if (o->type == OBJ_TASK) {
        const struct mtask *t = (const struct mtask *)o;
        uint8_t what;
        if (!(t->flags & TF_FINISHED)) {
            what = LEAK_TASK_UNFINISHED;
        } else if (mloop_has_joins(l) && (t->flags & TF_SEEN_NEW) &&
                   !(t->flags & (TF_JOINED | TF_DETACHED))) {
            what = LEAK_TASK_UNJOINED;
        } else {
            return 0;
        }
        g = group_get(gs, l, what, KIND_TASK, t->site, !running);
        if (g == NULL) {
            return -ENOMEM;
        }
        group_note(g, t->name, t->o.id, t->t_new);
        g->failed += what == LEAK_TASK_UNJOINED && t->state == TS_FAILED;
        g->cancelled += what == LEAK_TASK_UNJOINED && t->state == TS_CANCELLED;
    } else if (o->type == OBJ_HANDLE) {
        const struct mhandle *h = (const struct mhandle *)o;
        if (h->flags & (HF_CLOSING | HF_INTERNAL)) {
            return 0;
        }
        g = group_get(gs, l, LEAK_HANDLE, h->kind, h->site, !running);
        if (g == NULL) {
            return -ENOMEM;
        }
        group_note(g, h->name, h->o.id, h->t_new);
    } else if (o->type == OBJ_SYNC) {
        const struct msync *s = (const struct msync *)o;
        if (s->kind == SYNC_FUTURE && (s->flags & SF_SETTLED)) {
            return 0; /* resolved: what a future promises was done */
        }
        g = group_get(gs, l, s->kind == SYNC_FUTURE ? LEAK_FUTURE_UNRESOLVED : LEAK_SYNC_UNFREED, s->kind,
                      s->site, !running);
        if (g == NULL) {
            return -ENOMEM;
        }
        group_note(g, 0, s->o.id, s->t_new);
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

size_t leaks_loops_without_joins(const struct ctx *c, const struct mloop **first)
{
    size_t i, n = 0;

    *first = NULL;
    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        if (ctx_loop_selected(c, l) && !mloop_has_joins(l)) {
            if (n++ == 0) {
                *first = l;
            }
        }
    }
    return n;
}

int leaks_collect(const struct ctx *c, struct leak_group **out, size_t *n)
{
    struct groups gs = {0};
    size_t i, it;
    void *p;
    int rc = 0;

    for (i = 0; i < c->m->nloops && rc == 0; i++) {
        struct mloop *l = c->m->loops[i];
        if (!ctx_loop_selected(c, l)) {
            continue;
        }
        it = 0;
        while (rc == 0 && u64map_next(&l->objs, &it, NULL, &p)) {
            rc = add_obj(&gs, l, p);
        }
    }
    /* futures freed unresolved while the trace ran */
    it = 0;
    p = NULL;
    while (rc == 0 && (p = model_agg_next(&c->m->freedleaks, &it, p)) != NULL) {
        const struct freedleak *f = p;
        const struct mloop *l = model_loop(c->m, f->vpid, f->loop_id);
        struct leak_group *g;
        size_t k;
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        g = group_get(&gs, l, LEAK_FUTURE_UNRESOLVED, f->kind, f->site, 1);
        if (g == NULL) {
            rc = -ENOMEM;
            break;
        }
        for (k = 0; k < f->nids; k++) {
            group_note(g, 0, f->ids[k], f->first_ts);
        }
        g->count += f->count - f->nids;
        g->freed += f->count;
        if (f->first_ts < g->first_ts) {
            g->first_ts = f->first_ts;
        }
        if (f->last_ts > g->last_ts) {
            g->last_ts = f->last_ts;
        }
    }
    u64map_free(&gs.idx);
    if (rc < 0) {
        free(gs.v);
        *out = NULL;
        *n = 0;
        return rc;
    }
    for (i = 0; i < gs.n; i++) {
        qsort(gs.v[i].ids, gs.v[i].nids, sizeof(gs.v[i].ids[0]), cmp_u64);
    }
    if (gs.n > 1) {
        qsort(gs.v, gs.n, sizeof(*gs.v), cmp_group);
    }
    *out = gs.v;
    *n = gs.n;
    return 0;
}

/* "3 timers never closed, created at", "2 tasks finished but never joined (1 failed), spawned at"... */
static void text_what(FILE *out, const struct leak_group *g)
{
    const char *plural = g->count == 1 ? "" : "s";

    switch (g->what) {
    case LEAK_HANDLE:
        fprintf(out, "%" PRIu64 " %s%s never closed, created at", g->count, leak_kind_name(g), plural);
        break;
    case LEAK_TASK_UNFINISHED:
        fprintf(out, "%" PRIu64 " task%s never finished, spawned at", g->count, plural);
        break;
    case LEAK_TASK_UNJOINED:
        fprintf(out, "%" PRIu64 " task%s finished but never joined", g->count, plural);
        if (g->failed || g->cancelled) {
            fprintf(out, " (%" PRIu64 " failed, %" PRIu64 " cancelled)", g->failed, g->cancelled);
        }
        fprintf(out, ", spawned at");
        break;
    case LEAK_FUTURE_UNRESOLVED:
        fprintf(out, "%" PRIu64 " future%s never resolved", g->count, plural);
        if (g->freed) {
            fprintf(out, " (%" PRIu64 " freed so)", g->freed);
        }
        fprintf(out, ", created at");
        break;
    default:
        fprintf(out, "%" PRIu64 " %s%s never freed, created at", g->count, leak_kind_name(g), plural);
        break;
    }
}

int report_leaks(const struct ctx *c)
{
    struct leak_group *g = NULL;
    const struct mloop *old = NULL;
    size_t n = 0, i, k, nold = leaks_loops_without_joins(c, &old);
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
            jw_str(&w, "type", leak_type_name(&g[i]));
            jw_str(&w, "kind", leak_kind_name(&g[i]));
            jw_str(&w, "leak", leak_what_name(&g[i]));
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
            if (g[i].what == LEAK_TASK_UNJOINED) {
                jw_u64(&w, "failed", g[i].failed);
                jw_u64(&w, "cancelled", g[i].cancelled);
            } else if (g[i].what == LEAK_FUTURE_UNRESOLVED) {
                jw_u64(&w, "freed", g[i].freed);
            }
            jw_bool(&w, "confirmed", g[i].confirmed);
            jw_bool(&w, "gap", g[i].gap);
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        /* loops whose trace cannot say "never joined", "never resolved", "never freed" */
        jw_arr(&w, "no_join_data");
        for (i = 0; i < c->m->nloops; i++) {
            const struct mloop *l = c->m->loops[i];
            if (ctx_loop_selected(c, l) && !mloop_has_joins(l)) {
                jw_obj(&w, NULL);
                json_loop_ref(&w, l);
                jw_end_obj(&w);
            }
        }
        jw_end_arr(&w);
        jw_end_obj(&w);
        free(g);
        return 0;
    }
    text_trace_warnings(c);
    if (n == 0) {
        fprintf(c->out, "leaks: none: every handle was closed and every task finished%s\n",
                nold < c->m->nloops ? ", was joined or detached; every future was resolved and every lock, "
                                      "event, channel and group freed"
                                    : "");
    }
    for (i = 0; i < n; i++) {
        const struct mloop *l = model_loop(c->m, g[i].vpid, g[i].loop_id);
        model_site_str(c->m, g[i].site, sb, sizeof sb);
        fprintf(c->out, "%s: %s: ", g[i].confirmed ? "LEAK" : "ALIVE", describe_loop(c, l, lb, sizeof lb));
        text_what(c->out, &g[i]);
        fprintf(c->out, " %s", sb);
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
                "closed, joined or freed later\n");
    }
    if (nold > 0) {
        fprintf(c->out,
                "note: %s%s: its trace has no join, detach or sync-object events (format_minor 0, an "
                "older libloop): tasks never joined, futures never resolved and locks, events, channels "
                "and groups never freed are not reported there\n",
                describe_loop(c, old, lb, sizeof lb),
                nold > 1 ? " and other loops" : "");
    }
    free(g);
    return 0;
}
