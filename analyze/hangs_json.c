/*
 * hangs_json.c — `loop-analyze hangs --json` (analyze/loop-analyze.schema.json).
 */
#include "hangs_int.h"

#include <stdlib.h>
#include <string.h>

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

    hangs__sorted_topk(k, v, &n);
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

int hangs__json_report(const struct ctx *c)
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
        qsort(h, nh, sizeof(*h), hangs__cmp);
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
        if (l == NULL || !ctx_loop_selected(c, l) || !cycle_reported(cy)) {
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
            jw_str(&w, "owner", e->how == WK_CREATOR        ? "creator"
                                : e->how == WK_USER         ? "seen_completing"
                                : e->how == WK_CHILD        ? "group_child"
                                : e->wait_kind != WAIT_LOCK ? "joined"
                                : e->inferred == 0          ? "traced"
                                : e->inferred == 1          ? "inferred"
                                                            : "inferred_among_several");
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_end_obj(&w);
    }
    jw_end_arr(&w);
    hangs__json_stucks(c, &w);
    hangs__json_losts(c, &w);
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
        jw_u64(&w, "detected_ns", s->detected_ns);
        jw_bool(&w, "returned", s->ended);
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

