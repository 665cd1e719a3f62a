/*
 * hangs_live.c — hangs reported while an lttng-live trace is still read:
 * new deadlock cycles, and sync waits past the threshold, each once; a loop
 * traced from mid-run is said incomplete until its state snapshot arrives.
 */
#include "hangs_int.h"

#include <inttypes.h>
#include <errno.h>

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
        if (l == NULL || !cycle_reported(cy)) {
            continue; /* a cycle through a possible edge: shown at the end once confirmed */
        }
        fprintf(c->out, "live: DEADLOCK: %s:", describe_loop(c, l, lb, sizeof lb));
        for (k = 0; k < cy->n; k++) {
            const struct cycle_edge *e = &cy->edges[k];
            const char *name = model_str(c->m, e->name);
            char ob[300];
            fprintf(c->out, "%s task %" PRIu64 "%s%s%s waits %s %" PRIu64 "%s at %s", k ? " →" : "", e->task,
                    name[0] ? " \"" : "", name, name[0] ? "\"" : "",
                    e->wait_kind == WAIT_LOCK ? "for lock" : e->wait_kind == WAIT_JOIN ? "to join"
                                                                 : ev_wait_kind_name(e->wait_kind), e->obj,
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
    for (i = s->stucks_shown; i < c->m->nstucks; i++) {
        const struct mstuck *e = &c->m->stucks[i];
        const struct mloop *l = model_loop(c->m, e->vpid, e->loop_id);
        if (l == NULL) {
            continue;
        }
        fprintf(c->out, "live: HANG: %s: the loop ran out of work with %" PRIu64 " task%s waiting%s\n",
                describe_loop(c, l, lb, sizeof lb), e->count, e->count == 1 ? "" : "s",
                e->ncycle ? " (a cycle through them: see hangs)" : "");
    }
    s->stucks_shown = c->m->nstucks;
    for (i = 0; i < c->m->nloops; i++) {
        struct mloop *l = c->m->loops[i];
        it = 0;
        while (u64map_next(&l->objs, &it, NULL, &p)) {
            struct mtask *t = p;
            uint64_t key;
            if (t->o.type != OBJ_TASK || t->state != TS_WAITING || !hangs__is_sync_wait(t->wait_kind) ||
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
