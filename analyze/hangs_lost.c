/*
 * hangs_lost.c — lost wakeups certain while the loop still ran
 * (model.losts, model_lost.c): a task waited on a future, event or channel
 * whose every resolver the trace names had ended. Text ("LOST WAKEUP: ..."),
 * JSON ("lost_wakeups"), lints and the count `check` fails on. One the
 * other sections already report is left out: the task is a lost wakeup of
 * a loop that ran out of work (hangs_stuck.c) with the same wait, or is
 * still waiting so at the end in a loop that no longer runs (STUCK).
 */
#include "hangs_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int hangs_lost_shown(const struct ctx *c, const struct mlost *x)
{
    const struct mloop *l = model_loop(c->m, x->vpid, x->loop_id);
    const struct mtask *t;
    size_t i, k;

    if (x->refuted || l == NULL || !ctx_loop_selected(c, l)) {
        return 0;
    }
    for (i = 0; i < c->m->nstucks; i++) {
        const struct mstuck *e = &c->m->stucks[i];
        if (e->vpid != x->vpid || e->loop_id != x->loop_id) {
            continue;
        }
        for (k = 0; k < e->n; k++) {
            if (e->tasks[k].task == x->task && e->tasks[k].since_ns == x->since_ns &&
                e->tasks[k].cls == STUCK_LOST) {
                return 0;
            }
        }
    }
    t = model_task(l, x->task);
    if (x->end_ts == 0 && t != NULL && !(t->flags & TF_FINISHED) && t->state == TS_WAITING &&
        t->t_state == x->since_ns && !mloop_running(l)) {
        return 0; /* STUCK at the end */
    }
    return 1;
}

uint64_t hangs_count_lost(const struct ctx *c)
{
    uint64_t n = 0;
    size_t i;

    for (i = 0; i < c->m->nlosts; i++) {
        n += (uint64_t)hangs_lost_shown(c, &c->m->losts[i]);
    }
    if (c->m->losts_total > c->m->nlosts) {
        n += c->m->losts_total - c->m->nlosts; /* not kept: counted */
    }
    return n;
}

/* "its creator and every task seen resolving it had ended (2 known)" */
const char *hangs_lost_why(const struct mlost *x, char *buf, size_t len)
{
    if (x->wait_kind == WAIT_CHAN_SEND || x->wait_kind == WAIT_CHAN_RECV) {
        snprintf(buf, len, "nobody else holds it: its creator and every task seen using the other end "
                           "had ended (%u known)", x->ended);
    } else {
        snprintf(buf, len, "its creator and every task seen %s it had ended (%u known)",
                 x->wait_kind == WAIT_EVENT ? "setting" : "resolving", x->ended);
    }
    return buf;
}

static const char *end_how(uint8_t how)
{
    return how == 1 ? "a timeout" : how == 2 ? "cancellation" : "a wake-up";
}

void hangs__text_losts(const struct ctx *c, size_t *shown)
{
    char lb[256], tb[128], sb[256], wb[256], ob[300], yb[200], kb[40];
    size_t i;

    for (i = 0; i < c->m->nlosts; i++) {
        const struct mlost *x = &c->m->losts[i];
        const struct mloop *l = model_loop(c->m, x->vpid, x->loop_id);
        const char *name = model_str(c->m, x->name);
        if (!hangs_lost_shown(c, x)) {
            continue;
        }
        (*shown)++;
        snprintf(tb, sizeof tb, "task %" PRIu64 "%s%s%s", x->task, name[0] ? " \"" : "", name, name[0] ? "\"" : "");
        kb[0] = '\0';
        if (x->obj_kind == 0 || strcmp(ev_wait_kind_name(x->wait_kind), ev_sync_kind_name(x->obj_kind - 1)) != 0) {
            snprintf(kb, sizeof kb, "%s on ", ev_wait_kind_name(x->wait_kind));
        }
        fprintf(c->out, "LOST WAKEUP: %s: %s (spawned at %s) waits for %s%s %" PRIu64 "%s at %s since +%.6f s: "
                        "certain from +%.6f s, %s",
                describe_loop(c, l, lb, sizeof lb), tb, model_site_str(c->m, x->spawn_site, sb, sizeof sb), kb,
                x->obj_kind ? ev_sync_kind_name(x->obj_kind - 1) : "object",
                x->obj, describe_obj_site(c, x->obj_site, ob, sizeof ob),
                model_site_str(c->m, x->wait_site, wb, sizeof wb), model_rel_s(c->m, x->since_ns),
                model_rel_s(c->m, x->ts), hangs_lost_why(x, yb, sizeof yb));
        if (x->end_ts != 0) {
            fprintf(c->out, "; the wait ended at +%.6f s by %s\n", model_rel_s(c->m, x->end_ts), end_how(x->end_how));
        } else {
            fprintf(c->out, "; still waiting at the end of the trace\n");
        }
    }
    if (c->m->losts_total > c->m->nlosts) {
        fprintf(c->out, "  (%" PRIu64 " more lost wakeups not kept)\n", c->m->losts_total - c->m->nlosts);
    }
}

void hangs__json_losts(const struct ctx *c, struct jw *w)
{
    size_t i;

    jw_arr(w, "lost_wakeups");
    for (i = 0; i < c->m->nlosts; i++) {
        const struct mlost *x = &c->m->losts[i];
        const struct mloop *l = model_loop(c->m, x->vpid, x->loop_id);
        if (!hangs_lost_shown(c, x)) {
            continue;
        }
        jw_obj(w, NULL);
        json_loop_ref(w, l);
        jw_u64(w, "id", x->task);
        jw_str(w, "name", model_str(c->m, x->name));
        json_site(c, w, "spawn_site", x->spawn_site);
        jw_str(w, "wait_kind", ev_wait_kind_name(x->wait_kind));
        jw_u64(w, "obj", x->obj);
        if (x->obj_kind != 0) {
            jw_str(w, "obj_kind", ev_sync_kind_name(x->obj_kind - 1));
        } else {
            jw_null(w, "obj_kind");
        }
        json_site(c, w, "obj_site", x->obj_site);
        json_site(c, w, "wait_site", x->wait_site);
        jw_u64(w, "since_ns", x->since_ns);
        jw_u64(w, "certain_ns", x->ts);
        jw_u64(w, "ended_resolvers", x->ended);
        if (x->end_ts != 0) {
            jw_u64(w, "wait_ended_ns", x->end_ts);
            jw_str(w, "wait_ended_by", x->end_how == 1 ? "timeout" : x->end_how == 2 ? "cancellation" : "wakeup");
        } else {
            jw_null(w, "wait_ended_ns");
            jw_null(w, "wait_ended_by");
        }
        jw_end_obj(w);
    }
    jw_end_arr(w);
    jw_u64(w, "lost_wakeups_total", hangs_count_lost(c));
}
