/*
 * hangs.c — `loop-analyze hangs`: what never finished waiting, and why.
 *
 * Reports, per selected loop: deadlock cycles (recorded by the model when
 * they formed, with the lock owners it could tell or infer), tasks still
 * blocked at the end of the trace with their whole wait-for chain
 * (task → join → task → lock → owner → ...), completed waits longer than
 * the threshold, stalls (watchdog events with their backtrace, callbacks
 * and steps over the threshold, slow_callback events), and where the trace
 * ends inside a callback (the likely crash or hang site). A wait on a
 * future, event, lock, channel or group names the object's creation site
 * when the trace has its sync_new (format_minor >= 1).
 */
#include "report.h"
#include "symbolize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *hang_class_name(enum hang_class cls)
{
    switch (cls) {
    case HANG_DEADLOCK:
        return "deadlock";
    case HANG_STUCK:
        return "stuck";
    case HANG_LONG:
        return "long_wait";
    case HANG_OVERDUE:
        return "overdue";
    case HANG_IDLE:
        return "idle";
    case HANG_ABANDONED:
        return "abandoned";
    default:
        return "none";
    }
}

int hang_is_finding(enum hang_class cls)
{
    return cls == HANG_DEADLOCK || cls == HANG_STUCK || cls == HANG_LONG || cls == HANG_OVERDUE;
}

static int is_sync_wait(uint8_t k)
{
    return k == WAIT_JOIN || k == WAIT_LOCK || k == WAIT_FUTURE || k == WAIT_EVENT ||
           k == WAIT_CHAN_SEND || k == WAIT_CHAN_RECV || k == WAIT_WORK || k == WAIT_GROUP ||
           k == WAIT_NONE || k >= WAIT_MAX;
}

static enum hang_class classify(const struct ctx *c, const struct mloop *l, const struct mtask *t,
                                const struct u64map *dead, uint64_t end, uint64_t *waited)
{
    int running = mloop_running(l);
    uint64_t w = end > t->t_state ? end - t->t_state : 0;

    *waited = w;
    switch (t->state) {
    case TS_WAITING:
        if (u64map_get(dead, t->o.id) != NULL) {
            return HANG_DEADLOCK;
        }
        if (is_sync_wait(t->wait_kind)) {
            if (!running) {
                return HANG_STUCK;
            }
            return w > c->o->threshold_ns ? HANG_LONG : HANG_IDLE;
        }
        if (!running) {
            return HANG_ABANDONED;
        }
        if (t->wait_kind == WAIT_SLEEP && t->wait_timeout_ns >= 0 &&
            w > (uint64_t)t->wait_timeout_ns + c->o->threshold_ns) {
            return HANG_OVERDUE;
        }
        return HANG_IDLE;
    case TS_NEW:
    case TS_READY:
        return running ? HANG_IDLE : HANG_ABANDONED;
    default:
        return HANG_IDLE;
    }
}

int hangs_collect(const struct ctx *c, struct hang **out, size_t *n)
{
    struct hang *v = NULL;
    size_t nv = 0, cap = 0, i, it, k;
    void *p;
    int rc = 0;

    *out = NULL;
    *n = 0;
    for (i = 0; i < c->m->nloops && rc == 0; i++) {
        struct mloop *l = c->m->loops[i];
        struct deadlock_set d;
        struct u64map dead = {0};

        if (!ctx_loop_selected(c, l)) {
            continue;
        }
        rc = model_deadlocked(c->m, l, 1, &d);
        if (rc < 0) {
            break;
        }
        for (k = 0; k < d.n && rc == 0; k++) {
            rc = u64map_put(&dead, d.tasks[k], (void *)1);
        }
        free(d.tasks);
        it = 0;
        while (rc == 0 && u64map_next(&l->objs, &it, NULL, &p)) {
            struct mtask *t = p;
            uint64_t waited;
            enum hang_class cls;
            if (t->o.type != OBJ_TASK || (t->flags & TF_FINISHED)) {
                continue;
            }
            cls = classify(c, l, t, &dead, c->m->t_last, &waited);
            if (nv == cap) {
                size_t nc = cap ? cap * 2 : 32;
                struct hang *nvp = realloc(v, nc * sizeof(*nvp));
                if (nvp == NULL) {
                    rc = -ENOMEM;
                    break;
                }
                v = nvp;
                cap = nc;
            }
            v[nv].l = l;
            v[nv].t = t;
            v[nv].waited_ns = waited;
            v[nv].cls = cls;
            nv++;
        }
        u64map_free(&dead);
    }
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

static int cmp_hang(const void *a, const void *b)
{
    const struct hang *x = a, *y = b;

    if (x->l != y->l) {
        return x->l->vpid != y->l->vpid ? (x->l->vpid < y->l->vpid ? -1 : 1)
                                        : (x->l->loop_id < y->l->loop_id ? -1 : 1);
    }
    return x->t->o.id < y->t->o.id ? -1 : x->t->o.id > y->t->o.id;
}

/* ---------------------------------------------------------------------- */
/* Text                                                                    */

static void text_chain(const struct ctx *c, const struct mloop *l, const struct mtask *t)
{
    char tb[128], wb[512];
    const struct mtask *cur = t;
    uint64_t seen[32];
    size_t n = 0, i;

    fprintf(c->out, "    chain: %s", describe_task(c, l, t->o.id, tb, sizeof tb));
    while (n < 32) {
        int inferred;
        size_t ncand;
        uint64_t next;

        seen[n++] = cur->o.id;
        if (cur->state != TS_WAITING) {
            fprintf(c->out, " (%s)", ev_task_state_name(cur->state));
            break;
        }
        fprintf(c->out, " → %s", describe_wait(c, l, cur, wb, sizeof wb));
        next = model_wait_target(c->m, l, cur, &inferred, &ncand);
        if (cur->wait_kind == WAIT_LOCK) {
            if (next == 0) {
                if (ncand > 1) {
                    fprintf(c->out, " → held by one of %zu tasks (the trace has no lock owner)", ncand);
                } else {
                    fprintf(c->out, " → held by no live task (left locked by a finished task?)");
                }
                break;
            }
            fprintf(c->out, " → held by %s%s", describe_task(c, l, next, tb, sizeof tb),
                    inferred ? " (inferred)" : "");
        } else if (cur->wait_kind != WAIT_JOIN || next == 0) {
            break;
        }
        for (i = 0; i < n; i++) {
            if (seen[i] == next) {
                fprintf(c->out, " → back to %s: a cycle", describe_task(c, l, next, tb, sizeof tb));
                fputc('\n', c->out);
                return;
            }
        }
        cur = model_task(l, next);
        if (cur == NULL) {
            fprintf(c->out, " (not alive in the trace)");
            break;
        }
    }
    fputc('\n', c->out);
}

static void text_cycles(const struct ctx *c, size_t *shown)
{
    char lb[256], tb[128], sb[256], sb2[256], ob[512], db[32];
    size_t i, k;

    for (i = 0; i < c->m->ncycles; i++) {
        const struct cycle *cy = &c->m->cycles[i];
        const struct mloop *l = model_loop(c->m, cy->vpid, cy->loop_id);
        uint64_t formed = 0;

        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        for (k = 0; k < cy->n; k++) {
            if (cy->edges[k].since_ns > formed) {
                formed = cy->edges[k].since_ns;
            }
        }
        (*shown)++;
        if (formed < c->m->t_first) { /* known from a state snapshot: it formed before tracing began */
            fprintf(c->out, "DEADLOCK: %s: a cycle of %zu tasks waiting for each other, formed %s before "
                            "the trace started (state snapshot)",
                    describe_loop(c, l, lb, sizeof lb), cy->n, fmt_dur(db, sizeof db, c->m->t_first - formed));
        } else {
            fprintf(c->out, "DEADLOCK: %s: a cycle of %zu tasks waiting for each other, formed at +%.6f s",
                    describe_loop(c, l, lb, sizeof lb), cy->n, model_rel_s(c->m, formed));
        }
        if (cy->broken_ts) {
            fprintf(c->out, ", broken at +%.6f s by a timeout or cancellation",
                    model_rel_s(c->m, cy->broken_ts));
        } else {
            fprintf(c->out, ", still there at the end of the trace (%s)",
                    fmt_dur(db, sizeof db, c->m->t_last - formed));
        }
        fprintf(c->out, "%s\n", cy->gap ? " (gap: events were lost)" : "");
        for (k = 0; k < cy->n; k++) {
            const struct cycle_edge *e = &cy->edges[k];
            const struct cycle_edge *nx = &cy->edges[(k + 1) % cy->n];
            const char *name = model_str(c->m, e->name);
            model_site_str(c->m, e->spawn_site, sb, sizeof sb);
            model_site_str(c->m, e->wait_site, sb2, sizeof sb2);
            if (name[0]) {
                snprintf(tb, sizeof tb, "task %" PRIu64 " \"%s\"", e->task, name);
            } else {
                snprintf(tb, sizeof tb, "task %" PRIu64, e->task);
            }
            if (e->wait_kind == WAIT_LOCK) {
                char cb[300];
                snprintf(ob, sizeof ob, "lock %" PRIu64 "%s", e->obj, describe_obj_site(c, e->obj_site, cb, sizeof cb));
            } else {
                snprintf(ob, sizeof ob, "join of task %" PRIu64, e->obj);
            }
            fprintf(c->out, "  %s (spawned at %s) waits for %s at %s", tb, sb, ob, sb2);
            if (e->wait_kind == WAIT_LOCK) {
                const char *nn = model_str(c->m, nx->name);
                fprintf(c->out, ", held by task %" PRIu64 "%s%s%s%s", nx->task, nn[0] ? " \"" : "",
                        nn, nn[0] ? "\"" : "",
                        e->inferred == 1   ? " (owner inferred: the only task that can hold it)"
                        : e->inferred == 2 ? " (owner inferred among several blocked tasks)"
                                           : "");
            }
            fputc('\n', c->out);
        }
    }
}

static void text_instance(const struct ctx *c, const struct instance *in, const char *what)
{
    char sb[256], sb2[256], db[32], eb[256];
    const struct mloop *l = model_loop(c->m, in->vpid, in->loop_id);
    const char *name = model_str(c->m, in->name);

    if (l == NULL || !ctx_loop_selected(c, l)) {
        return;
    }
    model_site_str(c->m, in->site, sb, sizeof sb);
    model_site_str(c->m, in->site2, sb2, sizeof sb2);
    snprintf(eb, sizeof eb, "%s", "");
    if (in->kind == KIND_TASK && what[0] == 'w') {
        fprintf(c->out,
                "  long wait: %s: task %" PRIu64 "%s%s%s waited %s for %s %" PRIu64
                " at %s, from +%.6f s%s\n",
                describe_loop(c, l, eb, sizeof eb), in->id, name[0] ? " \"" : "", name,
                name[0] ? "\"" : "", fmt_dur(db, sizeof db, in->duration_ns),
                ev_wait_kind_name(in->wait_kind), in->obj, sb, model_rel_s(c->m, in->ts),
                in->gap ? " (gap)" : "");
    } else if (in->kind == KIND_TASK) {
        fprintf(c->out, "  %s: %s: task %" PRIu64 "%s%s%s step%s%s ran %s at +%.6f s (spawned at %s)%s\n",
                what, describe_loop(c, l, eb, sizeof eb), in->id, name[0] ? " \"" : "", name,
                name[0] ? "\"" : "", in->site2 ? " resumed at " : "", in->site2 ? sb2 : "",
                fmt_dur(db, sizeof db, in->duration_ns), model_rel_s(c->m, in->ts), sb,
                in->gap ? " (gap)" : "");
    } else {
        fprintf(c->out, "  %s: %s: %s %" PRIu64 "%s%s%s created at %s ran %s at +%.6f s%s\n", what,
                describe_loop(c, l, eb, sizeof eb), ev_kind_name(in->kind), in->id,
                name[0] ? " \"" : "", name, name[0] ? "\"" : "", sb,
                fmt_dur(db, sizeof db, in->duration_ns), model_rel_s(c->m, in->ts),
                in->gap ? " (gap)" : "");
    }
}

static int cmp_instance(const void *a, const void *b)
{
    const struct instance *x = a, *y = b;

    return x->duration_ns < y->duration_ns ? 1 : x->duration_ns > y->duration_ns ? -1 : 0;
}

static void sorted_topk(const struct topk *k, struct instance *out, size_t *n)
{
    memcpy(out, k->v, k->n * sizeof(*out));
    *n = k->n;
    if (*n > 1) {
        qsort(out, *n, sizeof(*out), cmp_instance);
    }
}

static void text_stalls(const struct ctx *c, size_t *shown)
{
    struct instance v[MODEL_TOPK];
    char lb[256], sb[256], sb2[256], db[32];
    size_t i, n;

    for (i = 0; i < c->m->nstalls; i++) {
        const struct stall *s = &c->m->stalls[i];
        const struct mloop *l = model_loop(c->m, s->vpid, s->loop_id);
        const char *name = model_str(c->m, s->name);
        const char *p;
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        (*shown)++;
        model_site_str(c->m, s->site, sb, sizeof sb);
        model_site_str(c->m, s->site2, sb2, sizeof sb2);
        fprintf(c->out, "STALL: %s: %s %" PRIu64 "%s%s%s (created at %s", describe_loop(c, l, lb, sizeof lb),
                ev_kind_name(s->kind), s->id, name[0] ? " \"" : "", name, name[0] ? "\"" : "", sb);
        if (s->kind == KIND_TASK) {
            fprintf(c->out, ", resumed at %s", sb2);
        }
        fprintf(c->out, ") blocked the loop for %s at +%.6f s\n", fmt_dur(db, sizeof db, s->duration_ns),
                model_rel_s(c->m, s->ts));
        if (s->backtrace != NULL && s->backtrace[0] != '\0') {
            char first[512] = "";
            char *sym = c->o->no_symbolize ? NULL : symbolize_backtrace(s->backtrace, s->ts, first, sizeof first);
            if (first[0] != '\0') {
                fprintf(c->out, "  blocked in %s\n", first);
            }
            fprintf(c->out, "  backtrace:\n");
            for (p = sym != NULL ? sym : s->backtrace; *p;) {
                const char *e = strchr(p, '\n');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                if (len > 0) {
                    fprintf(c->out, "    %.*s\n", (int)len, p);
                }
                p += len + (e != NULL);
            }
            free(sym);
        }
    }
    if (c->m->stalls_total > c->m->nstalls) {
        fprintf(c->out, "  (%" PRIu64 " more stall events not kept)\n", c->m->stalls_total - c->m->nstalls);
    }
    if (c->m->slow_steps.n > 0) {
        fprintf(c->out, "SLOW: %" PRIu64 " callbacks or task steps ran over %s; the longest:\n",
                c->m->slow_steps.total, fmt_dur(db, sizeof db, c->o->threshold_ns));
        sorted_topk(&c->m->slow_steps, v, &n);
        for (i = 0; i < n && i < 10; i++) {
            text_instance(c, &v[i], "slow");
        }
        (*shown)++;
    }
    if (c->m->slow_events.n > 0) {
        fprintf(c->out, "SLOW (reported by libloop debug mode): %" PRIu64 " slow_callback events; the longest:\n",
                c->m->slow_events.total);
        sorted_topk(&c->m->slow_events, v, &n);
        for (i = 0; i < n && i < 10; i++) {
            text_instance(c, &v[i], "slow_callback");
        }
        (*shown)++;
    }
}

static void text_crashes(const struct ctx *c, size_t *shown)
{
    char lb[256], sb[256], sb2[256], db[32];
    size_t i;

    for (i = 0; i < c->m->ncrashes; i++) {
        const struct crash *cr = &c->m->crashes[i];
        const struct mloop *l = model_loop(c->m, cr->vpid, cr->loop_id);
        const char *name = model_str(c->m, cr->name);
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        (*shown)++;
        model_site_str(c->m, cr->site, sb, sizeof sb);
        model_site_str(c->m, cr->site2, sb2, sizeof sb2);
        fprintf(c->out, "TRACE ENDS INSIDE A CALLBACK: %s: %s %" PRIu64 "%s%s%s",
                describe_loop(c, l, lb, sizeof lb), ev_kind_name(cr->kind), cr->id,
                name[0] ? " \"" : "", name, name[0] ? "\"" : "");
        if (cr->kind == KIND_TASK && cr->site2 != 0) {
            fprintf(c->out, " was running after %s (where it resumed; spawned at %s)", sb2, sb);
        } else if (cr->kind == KIND_TASK) {
            fprintf(c->out, " was running its first step (spawned at %s)", sb);
        } else {
            fprintf(c->out, " (created at %s) was running", sb);
        }
        fprintf(c->out, " for %s when the trace ends: the likely crash or hang site\n",
                fmt_dur(db, sizeof db, c->m->t_last - cr->begin_ts));
    }
}

/*
 * Loops whose trace starts mid-run without a state snapshot (attach): one
 * line each, so that "none" is never read as "none before the attach point".
 */
static size_t text_state_unknown(const struct ctx *c)
{
    char lb[256];
    size_t i, n = 0;

    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        if (!ctx_loop_selected(c, l) || !mloop_state_unknown(l)) {
            continue;
        }
        n++;
        fprintf(c->out,
                "INCOMPLETE: %s: the trace starts mid-run (no loop_new) and holds no state snapshot: "
                "findings from before the attach point are missing (trace it with `loop-trace attach "
                "PID`, or read on until the next snapshot, every 2 s while tracing is on)\n",
                describe_loop(c, l, lb, sizeof lb));
    }
    return n;
}

static int text_report(const struct ctx *c)
{
    struct hang *h = NULL;
    size_t nh = 0, i, shown = 0, idle = 0, abandoned = 0, unknown;
    char lb[256], tb[128], wb[512], db[32], sb[256];
    struct instance v[MODEL_TOPK];
    size_t n;
    int rc;

    text_trace_warnings(c);
    unknown = text_state_unknown(c);
    text_cycles(c, &shown);
    rc = hangs_collect(c, &h, &nh);
    if (rc < 0) {
        return rc;
    }
    if (nh > 1) {
        qsort(h, nh, sizeof(*h), cmp_hang);
    }
    for (i = 0; i < nh; i++) {
        const struct hang *x = &h[i];
        if (x->cls == HANG_IDLE) {
            idle++;
            continue;
        }
        if (x->cls == HANG_ABANDONED) {
            abandoned++;
            continue;
        }
        if (x->cls == HANG_DEADLOCK) {
            continue; /* shown with its cycle */
        }
        shown++;
        model_site_str(c->m, x->t->site, sb, sizeof sb);
        fprintf(c->out, "%s: %s: %s (spawned at %s) waits for %s for %s", 
                x->cls == HANG_STUCK ? "STUCK" : x->cls == HANG_LONG ? "HANG" : "OVERDUE",
                describe_loop(c, x->l, lb, sizeof lb), describe_task(c, x->l, x->t->o.id, tb, sizeof tb),
                sb, describe_wait(c, x->l, x->t, wb, sizeof wb), fmt_dur(db, sizeof db, x->waited_ns));
        if (x->cls == HANG_STUCK) {
            fprintf(c->out, ": the loop no longer runs, nothing can complete it");
        } else if (x->cls == HANG_OVERDUE) {
            fprintf(c->out, ": past its timeout, the loop did not run its timers");
        }
        fprintf(c->out, "%s\n", (x->l->flags & LF_GAP) ? " (gap)" : "");
        if (x->t->wait_kind == WAIT_JOIN || x->t->wait_kind == WAIT_LOCK) {
            text_chain(c, x->l, x->t);
        }
    }
    free(h);
    if (c->m->long_waits.n > 0) {
        fprintf(c->out, "LONG WAITS: %" PRIu64 " waits (not sleeps) lasted over %s; the longest:\n",
                c->m->long_waits.total, fmt_dur(db, sizeof db, c->o->threshold_ns));
        sorted_topk(&c->m->long_waits, v, &n);
        for (i = 0; i < n && i < 10; i++) {
            text_instance(c, &v[i], "wait");
        }
        shown++;
    }
    text_stalls(c, &shown);
    text_crashes(c, &shown);
    if (shown == 0 && unknown > 0) {
        fprintf(c->out, "hangs: incomplete: nothing seen after the attach point (no deadlock, no blocked task, no "
                        "stall over %s); what formed before it is unknown\n",
                fmt_dur(db, sizeof db, c->o->threshold_ns));
    } else if (shown == 0) {
        fprintf(c->out, "hangs: none: no deadlock, no blocked task, no stall over %s\n",
                fmt_dur(db, sizeof db, c->o->threshold_ns));
    }
    if (idle || abandoned) {
        fprintf(c->out,
                "also alive at the end (not hangs): %zu task(s) waiting on time or I/O or about to "
                "run%s%zu left behind by a loop that stopped (see leaks)\n",
                idle, abandoned ? ", " : ", ", abandoned);
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

static void json_wait(const struct ctx *c, struct jw *w, const char *key, const struct mtask *t)
{
    if (t->state != TS_WAITING) {
        jw_null(w, key);
        return;
    }
    jw_obj(w, key);
    jw_str(w, "kind", ev_wait_kind_name(t->wait_kind));
    jw_u64(w, "obj", t->wait_obj);
    /* the awaited sync object, when the trace has its sync_new (format_minor >= 1) */
    if (t->wait_obj_kind != 0) {
        jw_str(w, "obj_kind", ev_sync_kind_name(t->wait_obj_kind - 1));
    } else {
        jw_null(w, "obj_kind");
    }
    json_site(c, w, "obj_site", t->wait_obj_site);
    jw_bool(w, "obj_freed", (t->flags & TF_WAIT_FREED) != 0);
    json_site(c, w, "site", t->wait_site);
    jw_i64(w, "timeout_ns", t->wait_timeout_ns);
    jw_u64(w, "since_ns", t->t_state);
    jw_end_obj(w);
}

static void json_chain(const struct ctx *c, struct jw *w, const struct mloop *l, const struct mtask *t)
{
    const struct mtask *cur = t;
    uint64_t seen[32];
    size_t n = 0, i;

    jw_arr(w, "chain");
    while (cur != NULL && n < 32) {
        int inferred = 0, cycle = 0;
        size_t ncand = 0;
        uint64_t next = 0;

        seen[n++] = cur->o.id;
        if (cur->state == TS_WAITING) {
            next = model_wait_target(c->m, l, cur, &inferred, &ncand);
        }
        for (i = 0; i < n && next != 0; i++) {
            cycle |= seen[i] == next;
        }
        jw_obj(w, NULL);
        jw_u64(w, "id", cur->o.id);
        jw_str(w, "name", model_str(c->m, cur->name));
        jw_str(w, "state", ev_task_state_name(cur->state));
        json_wait(c, w, "wait", cur);
        if (next != 0) {
            jw_u64(w, "next", next);
        } else {
            jw_null(w, "next");
        }
        jw_bool(w, "inferred", inferred);
        jw_u64(w, "owner_candidates", ncand);
        jw_bool(w, "cycle", cycle);
        jw_end_obj(w);
        if (next == 0 || cycle) {
            break;
        }
        cur = model_task(l, next);
    }
    jw_end_arr(w);
}

static void json_instances(const struct ctx *c, struct jw *w, const char *key, const struct topk *k)
{
    struct instance v[MODEL_TOPK];
    size_t n, i;

    sorted_topk(k, v, &n);
    jw_obj(w, key);
    jw_u64(w, "total", k->total);
    jw_arr(w, "worst");
    for (i = 0; i < n; i++) {
        const struct mloop *l = model_loop(c->m, v[i].vpid, v[i].loop_id);
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        jw_obj(w, NULL);
        json_loop_ref(w, l);
        jw_u64(w, "id", v[i].id);
        jw_str(w, "kind", ev_kind_name(v[i].kind));
        jw_str(w, "name", model_str(c->m, v[i].name));
        json_site(c, w, "site", v[i].site);
        if (v[i].kind == KIND_TASK) {
            json_site(c, w, "site2", v[i].site2);
        }
        if (v[i].wait_kind != 0) {
            jw_str(w, "wait_kind", ev_wait_kind_name(v[i].wait_kind));
            jw_u64(w, "obj", v[i].obj);
        }
        jw_u64(w, "start_ns", v[i].ts);
        jw_u64(w, "duration_ns", v[i].duration_ns);
        jw_bool(w, "gap", v[i].gap);
        jw_end_obj(w);
    }
    jw_end_arr(w);
    jw_end_obj(w);
}

/* A JSON object opened with what stalled or crashed: loop, id, kind, name, sites. */
static void json_dispatch_ref(const struct ctx *c, struct jw *w, const struct mloop *l, uint64_t id,
                              int kind, uint32_t name, uint32_t site, uint32_t resume_site)
{
    jw_obj(w, NULL);
    json_loop_ref(w, l);
    jw_u64(w, "id", id);
    jw_str(w, "kind", ev_kind_name(kind));
    jw_str(w, "name", model_str(c->m, name));
    json_site(c, w, "site", site);
    json_site(c, w, "resume_site", resume_site);
}

static int json_report(const struct ctx *c)
{
    struct jw w;
    struct hang *h = NULL;
    size_t nh = 0, i, k, idle = 0, abandoned = 0;
    int rc;

    rc = hangs_collect(c, &h, &nh);
    if (rc < 0) {
        return rc;
    }
    if (nh > 1) {
        qsort(h, nh, sizeof(*h), cmp_hang);
    }
    json_begin(c, &w);
    /* loops traced from mid-run without a state snapshot: findings before the attach point missing */
    jw_arr(&w, "incomplete_loops");
    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        if (ctx_loop_selected(c, l) && mloop_state_unknown(l)) {
            jw_obj(&w, NULL);
            json_loop_ref(&w, l);
            jw_end_obj(&w);
        }
    }
    jw_end_arr(&w);
    jw_arr(&w, "deadlocks");
    for (i = 0; i < c->m->ncycles; i++) {
        const struct cycle *cy = &c->m->cycles[i];
        const struct mloop *l = model_loop(c->m, cy->vpid, cy->loop_id);
        uint64_t formed = 0;
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        for (k = 0; k < cy->n; k++) {
            formed = cy->edges[k].since_ns > formed ? cy->edges[k].since_ns : formed;
        }
        jw_obj(&w, NULL);
        json_loop_ref(&w, l);
        jw_u64(&w, "formed_ns", formed);
        jw_u64(&w, "detected_ns", cy->ts);
        if (cy->broken_ts) {
            jw_u64(&w, "broken_ns", cy->broken_ts);
        } else {
            jw_null(&w, "broken_ns");
        }
        jw_bool(&w, "gap", cy->gap);
        jw_arr(&w, "tasks");
        for (k = 0; k < cy->n; k++) {
            const struct cycle_edge *e = &cy->edges[k];
            jw_obj(&w, NULL);
            jw_u64(&w, "id", e->task);
            jw_str(&w, "name", model_str(c->m, e->name));
            json_site(c, &w, "spawn_site", e->spawn_site);
            jw_str(&w, "wait_kind", ev_wait_kind_name(e->wait_kind));
            jw_u64(&w, "obj", e->obj);
            json_site(c, &w, "obj_site", e->obj_site);
            json_site(c, &w, "wait_site", e->wait_site);
            jw_u64(&w, "since_ns", e->since_ns);
            jw_u64(&w, "waits_for", cy->edges[(k + 1) % cy->n].task);
            jw_str(&w, "owner", e->wait_kind != WAIT_LOCK ? "joined"
                                : e->inferred == 0         ? "traced"
                                : e->inferred == 1         ? "inferred"
                                                           : "inferred_among_several");
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_end_obj(&w);
    }
    jw_end_arr(&w);
    jw_arr(&w, "hung_tasks");
    for (i = 0; i < nh; i++) {
        const struct hang *x = &h[i];
        if (x->cls == HANG_IDLE) {
            idle++;
            continue;
        }
        if (x->cls == HANG_ABANDONED) {
            abandoned++;
            continue;
        }
        jw_obj(&w, NULL);
        json_loop_ref(&w, x->l);
        jw_str(&w, "class", hang_class_name(x->cls));
        jw_u64(&w, "id", x->t->o.id);
        jw_str(&w, "name", model_str(c->m, x->t->name));
        json_site(c, &w, "spawn_site", x->t->site);
        jw_str(&w, "state", ev_task_state_name(x->t->state));
        json_wait(c, &w, "wait", x->t);
        jw_u64(&w, "waited_ns", x->waited_ns);
        jw_bool(&w, "loop_running", mloop_running(x->l));
        jw_bool(&w, "gap", (x->l->flags & LF_GAP) != 0);
        json_chain(c, &w, x->l, x->t);
        jw_end_obj(&w);
    }
    jw_end_arr(&w);
    jw_obj(&w, "not_hung");
    jw_u64(&w, "idle", idle);
    jw_u64(&w, "abandoned", abandoned);
    jw_end_obj(&w);
    free(h);
    json_instances(c, &w, "long_waits", &c->m->long_waits);
    jw_arr(&w, "stalls");
    for (i = 0; i < c->m->nstalls; i++) {
        const struct stall *s = &c->m->stalls[i];
        const struct mloop *l = model_loop(c->m, s->vpid, s->loop_id);
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        json_dispatch_ref(c, &w, l, s->id, s->kind, s->name, s->site, s->site2);
        jw_u64(&w, "ts_ns", s->ts);
        jw_u64(&w, "duration_ns", s->duration_ns);
        jw_str(&w, "backtrace", s->backtrace ? s->backtrace : "");
        if (!c->o->no_symbolize && s->backtrace != NULL && s->backtrace[0] != '\0') {
            char first[512] = "";
            char *sym = symbolize_backtrace(s->backtrace, s->ts, first, sizeof first);
            jw_str(&w, "backtrace_symbolized", sym != NULL ? sym : s->backtrace);
            jw_str(&w, "blocked_in", first);
            free(sym);
        } else {
            jw_str(&w, "backtrace_symbolized", s->backtrace ? s->backtrace : "");
            jw_str(&w, "blocked_in", "");
        }
        jw_end_obj(&w);
    }
    jw_end_arr(&w);
    jw_u64(&w, "stalls_total", c->m->stalls_total);
    json_instances(c, &w, "slow_steps", &c->m->slow_steps);
    json_instances(c, &w, "slow_callback_events", &c->m->slow_events);
    jw_arr(&w, "trace_ends_in_callback");
    for (i = 0; i < c->m->ncrashes; i++) {
        const struct crash *cr = &c->m->crashes[i];
        const struct mloop *l = model_loop(c->m, cr->vpid, cr->loop_id);
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        json_dispatch_ref(c, &w, l, cr->id, cr->kind, cr->name, cr->site, cr->site2);
        jw_u64(&w, "begin_ns", cr->begin_ts);
        jw_end_obj(&w);
    }
    jw_end_arr(&w);
    jw_end_obj(&w);
    return 0;
}

int report_hangs(const struct ctx *c)
{
    return c->o->json ? json_report(c) : text_report(c);
}

/* ---------------------------------------------------------------------- */
/* Live                                                                    */

/* live_key(l, 0, ...) marks of what was said about a loop (task 0 is never a task) */
#define LIVE_SAID_INCOMPLETE 0xfffffffffffffff1ULL
#define LIVE_SAID_SNAPSHOT 0xfffffffffffffff2ULL

static uint64_t live_key(const struct mloop *l, uint64_t task, uint64_t since)
{
    return ((uint64_t)l->vpid * 0x9E3779B97F4A7C15ULL) ^ (l->loop_id << 48) ^ (task << 20) ^ since;
}

int hangs_live_poll(const struct ctx *c, struct live_state *s, uint64_t now)
{
    char lb[256], tb[128], wb[512], db[32], sb[256];
    size_t i, k, it;
    void *p;

    if (now < s->last_scan + 200 * 1000 * 1000ULL) {
        return 0;
    }
    s->last_scan = now;
    model_scan_deadlocks(c->m, now);
    /* a loop whose trace starts mid-run: what is missing until its state snapshot comes */
    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        uint64_t said = live_key(l, 0, LIVE_SAID_INCOMPLETE), snap = live_key(l, 0, LIVE_SAID_SNAPSHOT);
        if (!ctx_loop_selected(c, l)) {
            continue;
        }
        if (mloop_state_unknown(l) && u64map_get(&s->seen, said) == NULL) {
            if (u64map_put(&s->seen, said, (void *)1) < 0) {
                return -ENOMEM;
            }
            fprintf(c->out, "live: INCOMPLETE: %s: the trace starts mid-run (no loop_new): findings from "
                            "before the attach point are missing until its state snapshot arrives (every 2 s "
                            "while the process is traced with its monitor on)\n",
                    describe_loop(c, l, lb, sizeof lb));
        } else if (!mloop_state_unknown(l) && u64map_get(&s->seen, said) != NULL &&
                   u64map_get(&s->seen, snap) == NULL) {
            if (u64map_put(&s->seen, snap, (void *)1) < 0) {
                return -ENOMEM;
            }
            fprintf(c->out, "live: %s: state snapshot received: findings now include what formed before "
                            "the attach point\n", describe_loop(c, l, lb, sizeof lb));
        }
    }
    for (i = s->cycles_shown; i < c->m->ncycles; i++) {
        const struct cycle *cy = &c->m->cycles[i];
        const struct mloop *l = model_loop(c->m, cy->vpid, cy->loop_id);
        if (l == NULL) {
            continue;
        }
        fprintf(c->out, "live: DEADLOCK: %s:", describe_loop(c, l, lb, sizeof lb));
        for (k = 0; k < cy->n; k++) {
            const struct cycle_edge *e = &cy->edges[k];
            const char *name = model_str(c->m, e->name);
            char ob[300];
            fprintf(c->out, "%s task %" PRIu64 "%s%s%s waits %s %" PRIu64 "%s at %s", k ? " →" : "", e->task,
                    name[0] ? " \"" : "", name, name[0] ? "\"" : "",
                    e->wait_kind == WAIT_LOCK ? "for lock" : "to join", e->obj,
                    describe_obj_site(c, e->obj_site, ob, sizeof ob),
                    model_site_str(c->m, e->wait_site, sb, sizeof sb));
            /* its tasks are not reported again as hangs */
            if (u64map_put(&s->seen, live_key(l, e->task, e->since_ns), (void *)1) < 0) {
                return -ENOMEM;
            }
        }
        fputc('\n', c->out);
    }
    s->cycles_shown = c->m->ncycles;
    for (i = 0; i < c->m->nloops; i++) {
        struct mloop *l = c->m->loops[i];
        it = 0;
        while (u64map_next(&l->objs, &it, NULL, &p)) {
            struct mtask *t = p;
            uint64_t key;
            if (t->o.type != OBJ_TASK || t->state != TS_WAITING || !is_sync_wait(t->wait_kind) ||
                now < t->t_state + c->o->threshold_ns) {
                continue;
            }
            key = live_key(l, t->o.id, t->t_state);
            if (u64map_get(&s->seen, key) != NULL) {
                continue;
            }
            if (u64map_put(&s->seen, key, (void *)1) < 0) {
                return -ENOMEM;
            }
            fprintf(c->out, "live: HANG: %s: %s waits for %s for %s\n", describe_loop(c, l, lb, sizeof lb),
                    describe_task(c, l, t->o.id, tb, sizeof tb), describe_wait(c, l, t, wb, sizeof wb),
                    fmt_dur(db, sizeof db, now - t->t_state));
        }
    }
    fflush(c->out);
    return 0;
}

void hangs_live_free(struct live_state *s)
{
    u64map_free(&s->seen);
}
