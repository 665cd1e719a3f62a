/*
 * hangs_text.c — sections of the text `hangs` report: deadlock cycles,
 * stalls (with the symbolized watchdog backtrace), slow steps, and where
 * the trace ends inside a callback.
 */
#include "hangs_int.h"

static uint64_t since_ns(uint64_t from, uint64_t to)
{
    return to > from ? to - from : 0;
}

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void hangs__text_cycles(const struct ctx *c, size_t *shown)
{
    char lb[256], tb[128], sb[256], sb2[256], ob[512], db[32];
    size_t i, k;

    for (i = 0; i < c->m->ncycles; i++) {
        const struct cycle *cy = &c->m->cycles[i];
        const struct mloop *l = model_loop(c->m, cy->vpid, cy->loop_id);
        uint64_t formed = 0;

        if (l == NULL || !ctx_loop_selected(c, l) || !cycle_reported(cy)) {
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
                    fmt_dur(db, sizeof db, since_ns(formed, model_proc_end(c->m, l))));
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
            } else if (e->wait_kind == WAIT_JOIN) {
                snprintf(ob, sizeof ob, "join of task %" PRIu64, e->obj);
            } else {
                char cb[300];
                snprintf(ob, sizeof ob, "%s %s %" PRIu64 "%s", ev_wait_kind_name(e->wait_kind),
                         e->obj_kind ? ev_sync_kind_name(e->obj_kind - 1) : "object", e->obj,
                         describe_obj_site(c, e->obj_site, cb, sizeof cb));
            }
            fprintf(c->out, "  %s (spawned at %s) waits for %s at %s", tb, sb, ob, sb2);
            if (e->how != 0) {
                const char *nn = model_str(c->m, nx->name);
                fprintf(c->out, ", which task %" PRIu64 "%s%s%s %s", nx->task, nn[0] ? " \"" : "", nn,
                        nn[0] ? "\"" : "",
                        e->how == WK_CREATOR ? "(its creator) could complete"
                        : e->how == WK_USER  ? "(seen completing such waits) could complete"
                                             : "(its child) must finish first");
            } else if (e->wait_kind == WAIT_LOCK) {
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

void hangs__text_instance(const struct ctx *c, const struct instance *in, const char *what)
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

void hangs__sorted_topk(const struct topk *k, struct instance *out, size_t *n)
{
    memcpy(out, k->v, k->n * sizeof(*out));
    *n = k->n;
    if (*n > 1) {
        qsort(out, *n, sizeof(*out), cmp_instance);
    }
}

void hangs__text_stalls(const struct ctx *c, size_t *shown)
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
        if (s->ended && s->duration_ns > s->detected_ns) {
            char db2[32];
            fprintf(c->out, ") blocked the loop for %s from +%.6f s (the watchdog caught it after %s)\n",
                    fmt_dur(db, sizeof db, s->duration_ns), model_rel_s(c->m, s->cb_begin),
                    fmt_dur(db2, sizeof db2, s->detected_ns));
        } else if (s->ended) {
            fprintf(c->out, ") blocked the loop for %s from +%.6f s\n", fmt_dur(db, sizeof db, s->duration_ns),
                    model_rel_s(c->m, s->cb_begin));
        } else {
            fprintf(c->out, ") blocked the loop for at least %s (caught at +%.6f s; it had not returned when "
                            "the trace ends)\n",
                    fmt_dur(db, sizeof db, s->duration_ns), model_rel_s(c->m, s->ts));
        }
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
        hangs__sorted_topk(&c->m->slow_steps, v, &n);
        for (i = 0; i < n && i < 10; i++) {
            hangs__text_instance(c, &v[i], "slow");
        }
        (*shown)++;
    }
    if (c->m->slow_events.n > 0) {
        fprintf(c->out, "SLOW (reported by libloop debug mode): %" PRIu64 " slow_callback events; the longest:\n",
                c->m->slow_events.total);
        hangs__sorted_topk(&c->m->slow_events, v, &n);
        for (i = 0; i < n && i < 10; i++) {
            hangs__text_instance(c, &v[i], "slow_callback");
        }
        (*shown)++;
    }
}

void hangs__text_crashes(const struct ctx *c, size_t *shown)
{
    char lb[256], sb[256], sb2[256];
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
        /* nothing after its callback_begin: how long it really ran is not in the trace */
        fprintf(c->out,
                " since +%.6f s, and still when its process's trace ends at +%.6f s (how long it ran "
                "after that is not in the trace): the likely crash or hang site\n",
                model_rel_s(c->m, cr->begin_ts), model_rel_s(c->m, model_proc_end(c->m, l)));
    }
}

