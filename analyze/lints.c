/*
 * lints.c — `loop-analyze lints`: tokio-console style warnings over the
 * whole trace. Each lint is one line with fields; --json gives the list.
 *
 *  lost_wakeup          a task waits on a future/event/channel/work that
 *                       nothing can complete any more: its loop stopped, or
 *                       the object was freed (sync_free) while it waited
 *  self_wake            tasks woken by themselves in most wakeups (busy yield loops)
 *  never_yielding_step  task steps that ran over the threshold without awaiting
 *  cancel_unobserved    tasks cancelled whose outcome nobody retrieved
 *  error_unretrieved    tasks that failed whose error nobody retrieved
 *  future_error_unretrieved  futures that failed whose error nobody retrieved
 *  lock_held_at_exit    a task finished while owning a lock
 *  error_event          libloop reported an error (libloop:error)
 *  trace_anomaly        events that break the trace-format rules (lost events?)
 *
 * "Retrieved" (format_minor >= 1): a task_join retrieves a task's outcome;
 * a group-owned task is observed by its group; a task detached with
 * loop_task_detach() may be cancelled unobserved by design, but its failure
 * is an error nobody can retrieve. Decided when the task is joined,
 * detached, or at the end of the trace (model_task.c). In a loop without
 * join events (format_minor 0) the model falls back to "no task waited to
 * join it", and a join of an already finished task leaves no event there,
 * so those two lints may name tasks that were joined after the fact.
 * A future's outcome is retrieved by loop_future_result() or an await that
 * returns it (the future_result event).
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct lint {
    const char *lint;
    const struct mloop *l;
    uint64_t count, id, first_ts, last_ts, value;
    uint32_t site, name;
    uint8_t wait_kind;
    int32_t err;
    char msg[512];
};

struct lints {
    struct lint *v;
    size_t n, cap;
};

static struct lint *lint_add(struct lints *ls, const char *what, const struct mloop *l)
{
    struct lint *x;

    if (ls->n == ls->cap) {
        size_t nc = ls->cap ? ls->cap * 2 : 32;
        struct lint *nv = realloc(ls->v, nc * sizeof(*nv));
        if (nv == NULL) {
            return NULL;
        }
        ls->v = nv;
        ls->cap = nc;
    }
    x = &ls->v[ls->n++];
    memset(x, 0, sizeof(*x));
    x->lint = what;
    x->l = l;
    return x;
}

/*
 * Lost wakeups certain when a loop ran out of work (loop_stuck, format minor
 * 2), also when the program then cancelled the task; a task still waiting
 * so at the end is the HANG_STUCK case above, not repeated.
 */
static int lost_from_stucks(const struct ctx *c, struct lints *ls)
{
    char tb[128], sb[256], ob[300];
    size_t i, k;

    for (i = 0; i < c->m->nstucks; i++) {
        const struct mstuck *e = &c->m->stucks[i];
        const struct mloop *l = model_loop(c->m, e->vpid, e->loop_id);
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        for (k = 0; k < e->n; k++) {
            const struct stuck_task *st = &e->tasks[k];
            const struct mtask *t = model_task(l, st->task);
            const char *name = model_str(c->m, st->name);
            struct lint *x;
            if (st->cls != STUCK_LOST ||
                (t != NULL && !(t->flags & TF_FINISHED) && t->state == TS_WAITING &&
                 t->t_state == st->since_ns && !mloop_running(l))) {
                continue;
            }
            x = lint_add(ls, "lost_wakeup", l);
            if (x == NULL) {
                return -ENOMEM;
            }
            x->count = 1;
            x->id = st->task;
            x->site = st->wait_site;
            x->name = st->name;
            x->wait_kind = st->wait_kind;
            x->first_ts = x->last_ts = st->since_ns;
            snprintf(tb, sizeof tb, "task %" PRIu64 "%s%s%s", st->task, name[0] ? " \"" : "", name,
                     name[0] ? "\"" : "");
            snprintf(x->msg, sizeof x->msg,
                     "%s waited for %s %" PRIu64 "%s at %s since +%.6f s; when the loop ran out of work "
                     "at +%.6f s every task known to be able to complete it had ended",
                     tb, ev_wait_kind_name(st->wait_kind), st->obj,
                     describe_obj_site(c, st->obj_site, ob, sizeof ob),
                     model_site_str(c->m, st->wait_site, sb, sizeof sb), model_rel_s(c->m, st->since_ns),
                     model_rel_s(c->m, e->ts));
        }
    }
    return 0;
}

/* Lost wakeups certain while the loop still ran (model.losts, hangs_lost.c). */
static int lost_while_running(const struct ctx *c, struct lints *ls)
{
    char tb[128], sb[256], ob[300], yb[200];
    size_t i;

    for (i = 0; i < c->m->nlosts; i++) {
        const struct mlost *y = &c->m->losts[i];
        const struct mloop *l = model_loop(c->m, y->vpid, y->loop_id);
        const char *name = model_str(c->m, y->name);
        struct lint *x;
        if (!hangs_lost_shown(c, y)) {
            continue;
        }
        x = lint_add(ls, "lost_wakeup", l);
        if (x == NULL) {
            return -ENOMEM;
        }
        x->count = 1;
        x->id = y->task;
        x->site = y->wait_site;
        x->name = y->name;
        x->wait_kind = y->wait_kind;
        x->first_ts = x->last_ts = y->since_ns;
        snprintf(tb, sizeof tb, "task %" PRIu64 "%s%s%s", y->task, name[0] ? " \"" : "", name,
                 name[0] ? "\"" : "");
        snprintf(x->msg, sizeof x->msg, "%s waited for %s %" PRIu64 "%s at %s since +%.6f s; from +%.6f s %s",
                 tb, ev_wait_kind_name(y->wait_kind), y->obj, describe_obj_site(c, y->obj_site, ob, sizeof ob),
                 model_site_str(c->m, y->wait_site, sb, sizeof sb), model_rel_s(c->m, y->since_ns),
                 model_rel_s(c->m, y->ts), hangs_lost_why(y, yb, sizeof yb));
    }
    return 0;
}

static int collect(const struct ctx *c, struct lints *ls)
{
    struct hang *h = NULL;
    size_t nh = 0, i, it;
    char sb[256], tb[128], wb[512], db[32], eb[32];
    void *cur = NULL;
    struct lint *x;
    int rc = hangs_collect(c, &h, &nh);

    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < nh; i++) {
        struct mtask *t = h[i].t;
        if (h[i].cls == HANG_STUCK && t->wait_kind != WAIT_JOIN && t->wait_kind != WAIT_LOCK &&
            !(t->flags & TF_WAIT_FREED)) { /* a freed object: the lost_wakeup below */
            x = lint_add(ls, "lost_wakeup", h[i].l);
            if (x == NULL) {
                goto nomem;
            }
            x->count = 1;
            x->id = t->o.id;
            x->site = t->wait_site;
            x->name = t->name;
            x->wait_kind = t->wait_kind;
            x->first_ts = x->last_ts = t->t_state;
            snprintf(x->msg, sizeof x->msg,
                     "%s waits for %s since +%.6f s; nothing can complete it: its loop no longer runs",
                     describe_task(c, h[i].l, t->o.id, tb, sizeof tb),
                     describe_wait(c, h[i].l, t, wb, sizeof wb), model_rel_s(c->m, t->t_state));
        }
        if (t->wakes >= 10 && t->self_wakes * 2 > t->wakes) {
            x = lint_add(ls, "self_wake", h[i].l);
            if (x == NULL) {
                goto nomem;
            }
            x->count = 1;
            x->id = t->o.id;
            x->site = t->site;
            x->name = t->name;
            x->value = t->self_wakes * 100 / t->wakes;
            snprintf(x->msg, sizeof x->msg,
                     "%s (still alive) woke itself in %" PRIu64 "%% of %" PRIu64
                     " wakeups (spawned at %s): a busy yield loop?",
                     describe_task(c, h[i].l, t->o.id, tb, sizeof tb), x->value, t->wakes,
                     model_site_str(c->m, t->site, sb, sizeof sb));
        }
    }
    free(h);
    h = NULL;
    rc = lost_from_stucks(c, ls);
    if (rc == 0) {
        rc = lost_while_running(c, ls);
    }
    if (rc < 0) {
        goto nomem;
    }
    it = 0;
    while ((cur = model_agg_next(&c->m->aggs, &it, cur)) != NULL) {
        const struct aggsite *a = cur;
        const struct mloop *l = model_loop(c->m, a->vpid, a->loop_id);
        const char *name = model_str(c->m, a->name);
        const char *what;
        if (l == NULL || !ctx_loop_selected(c, l) || a->what == AGG_SLOW_EVENT) {
            continue;
        }
        switch (a->what) {
        case AGG_FAILED_UNJOINED:
            what = "error_unretrieved";
            break;
        case AGG_CANCELLED_UNOBSERVED:
            what = "cancel_unobserved";
            break;
        case AGG_SELF_WAKE:
            what = "self_wake";
            break;
        case AGG_LONG_STEP:
            what = "never_yielding_step";
            break;
        case AGG_HELD_LOCK_AT_END:
            what = "lock_held_at_exit";
            break;
        case AGG_FUTURE_ERR_UNRETRIEVED:
            what = "future_error_unretrieved";
            break;
        case AGG_WAIT_ON_FREED:
            what = "lost_wakeup";
            break;
        default:
            continue;
        }
        x = lint_add(ls, what, l);
        if (x == NULL) {
            goto nomem;
        }
        x->count = a->count;
        x->id = a->example_id;
        x->site = a->site;
        x->name = a->name;
        x->first_ts = a->first_ts;
        x->last_ts = a->last_ts;
        x->value = a->value;
        model_site_str(c->m, a->site, sb, sizeof sb);
        switch (a->what) {
        case AGG_FAILED_UNJOINED:
            x->err = (int32_t)(int64_t)a->value;
            snprintf(x->msg, sizeof x->msg,
                     "%" PRIu64 " task(s)%s%s%s spawned at %s failed (e.g. task %" PRIu64
                     " with %s) and %s: the error was never retrieved",
                     a->count, name[0] ? " \"" : "", name, name[0] ? "\"" : "", sb, a->example_id,
                     err_name(x->err, eb, sizeof eb),
                     mloop_has_joins(l) ? "nobody joined them (or they were detached)"
                                        : "no task waited to join them");
            break;
        case AGG_CANCELLED_UNOBSERVED:
            snprintf(x->msg, sizeof x->msg,
                     "%" PRIu64 " task(s)%s%s%s spawned at %s were cancelled (e.g. task %" PRIu64
                     ") and %s",
                     a->count, name[0] ? " \"" : "", name, name[0] ? "\"" : "", sb, a->example_id,
                     mloop_has_joins(l) ? "nobody joined them" : "no task waited to join them");
            break;
        case AGG_FUTURE_ERR_UNRETRIEVED:
            x->err = (int32_t)(int64_t)a->value;
            snprintf(x->msg, sizeof x->msg,
                     "%" PRIu64 " future(s) created at %s failed (e.g. future %" PRIu64
                     " with %s) and nobody retrieved the error (no loop_future_result() or await "
                     "returned it)",
                     a->count, sb, a->example_id, err_name(x->err, eb, sizeof eb));
            break;
        case AGG_WAIT_ON_FREED:
            snprintf(x->msg, sizeof x->msg,
                     "%" PRIu64 " wait(s) of task(s)%s%s%s at %s were on an object (%s) that was freed "
                     "while they waited (e.g. task %" PRIu64 " on %s %" PRIu64 "): nothing can complete them",
                     a->count, name[0] ? " \"" : "", name, name[0] ? "\"" : "", sb,
                     ev_sync_kind_name(a->kind), a->example_id, ev_sync_kind_name(a->kind), a->value);
            break;
        case AGG_SELF_WAKE:
            snprintf(x->msg, sizeof x->msg,
                     "%" PRIu64 " task(s)%s%s%s spawned at %s woke themselves in up to %" PRIu64
                     "%% of their wakeups: busy yield loops?",
                     a->count, name[0] ? " \"" : "", name, name[0] ? "\"" : "", sb, a->value);
            break;
        case AGG_LONG_STEP:
            snprintf(x->msg, sizeof x->msg,
                     "%" PRIu64 " step(s) of task(s)%s%s%s ran over %s without awaiting (longest %s, "
                     "e.g. task %" PRIu64 " resumed at %s): they block the loop",
                     a->count, name[0] ? " \"" : "", name, name[0] ? "\"" : "",
                     fmt_dur(db, sizeof db, c->o->threshold_ns), fmt_dur(wb, sizeof wb, a->value),
                     a->example_id, sb);
            break;
        default:
            snprintf(x->msg, sizeof x->msg,
                     "%" PRIu64 " task(s)%s%s%s spawned at %s finished while owning a lock (e.g. "
                     "lock %" PRIu64 "): whoever waits for it waits forever",
                     a->count, name[0] ? " \"" : "", name, name[0] ? "\"" : "", sb, a->value);
            break;
        }
    }
    for (i = 0; i < c->m->nerrors; i++) {
        const struct merror *e = &c->m->errors[i];
        const struct mloop *l = model_loop(c->m, e->vpid, e->loop_id);
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        x = lint_add(ls, "error_event", l);
        if (x == NULL) {
            goto nomem;
        }
        x->count = e->count;
        x->id = e->id;
        x->err = e->err;
        x->first_ts = e->ts_first;
        x->last_ts = e->ts_last;
        snprintf(x->msg, sizeof x->msg, "libloop reported %s %" PRIu64 " time(s)%s%s %" PRIu64 ": %s",
                 err_name(e->err, eb, sizeof eb), e->count, e->kind ? " for " : "",
                 e->kind ? ev_kind_name(e->kind) : "", e->id, model_str(c->m, e->msg));
    }
    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        if (!ctx_loop_selected(c, l) || l->anomalies == 0) {
            continue;
        }
        x = lint_add(ls, "trace_anomaly", l);
        if (x == NULL) {
            goto nomem;
        }
        x->count = l->anomalies;
        snprintf(x->msg, sizeof x->msg,
                 "%" PRIu64 " event(s) broke the trace-format rules (an end without a begin, an "
                 "unknown id...)%s",
                 l->anomalies,
                 (l->flags & LF_GAP) ? ": events were lost" : "; the trace may have started late");
    }
    return 0;
nomem:
    free(h);
    return -ENOMEM;
}

int report_lints(const struct ctx *c)
{
    struct lints ls = {0};
    size_t i;
    char lb[256];
    int rc = collect(c, &ls);

    if (rc < 0) {
        free(ls.v);
        return rc;
    }
    if (c->o->json) {
        struct jw w;
        json_begin(c, &w);
        jw_arr(&w, "lints");
        for (i = 0; i < ls.n; i++) {
            const struct lint *x = &ls.v[i];
            jw_obj(&w, NULL);
            jw_str(&w, "lint", x->lint);
            json_loop_ref(&w, x->l);
            jw_u64(&w, "count", x->count);
            jw_u64(&w, "example_id", x->id);
            jw_str(&w, "name", model_str(c->m, x->name));
            json_site(c, &w, "site", x->site);
            jw_u64(&w, "first_ns", x->first_ts);
            jw_u64(&w, "last_ns", x->last_ts);
            jw_u64(&w, "value", x->value);
            jw_i64(&w, "err", x->err);
            jw_str(&w, "message", x->msg);
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_end_obj(&w);
    } else {
        int unjoined = 0;
        text_trace_warnings(c);
        for (i = 0; i < ls.n; i++) {
            fprintf(c->out, "lint: %s: %s: %s\n", ls.v[i].lint,
                    describe_loop(c, ls.v[i].l, lb, sizeof lb), ls.v[i].msg);
            unjoined |= (strcmp(ls.v[i].lint, "cancel_unobserved") == 0 ||
                         strcmp(ls.v[i].lint, "error_unretrieved") == 0) &&
                        !mloop_has_joins(ls.v[i].l);
        }
        if (unjoined) {
            fprintf(c->out, "note: in a trace without join events (format_minor 0), a join of a task "
                            "that already finished leaves no event: tasks joined that way are listed as "
                            "never joined\n");
        }
        if (ls.n == 0) {
            fprintf(c->out, "lints: none\n");
        }
    }
    free(ls.v);
    return 0;
}
