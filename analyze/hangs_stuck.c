/*
 * hangs_stuck.c — the loops that ran out of work with tasks waiting
 * (model.stucks, from libloop:loop_stuck, trace format minor 2). Each is a
 * hang, reported also when the program then cancelled those tasks: text
 * ("HANG: ... ran out of work ..."), JSON ("ran_out_of_work") and the
 * counts `check` fails on. See docs/analyze.md, "Which hangs are reported".
 */
#include "hangs_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *how_name(uint8_t how)
{
    switch (how) {
    case WK_JOINED:
        return "joined";
    case WK_OWNER:
        return "lock_owner";
    case WK_OWNER_INFERRED:
        return "lock_owner_inferred";
    case WK_CREATOR:
        return "creator";
    case WK_USER:
        return "seen_completing";
    case WK_CHILD:
        return "group_child";
    default:
        return "unknown";
    }
}

static const char *cls_name(uint8_t cls)
{
    switch (cls) {
    case STUCK_CYCLE:
        return "cycle";
    case STUCK_LOST:
        return "lost_wakeup";
    case STUCK_CHAIN:
        return "waits_on_stuck";
    default:
        return "unknown_waker";
    }
}

/* "task 3 \"D\"" */
static const char *tname(const struct ctx *c, uint64_t id, uint32_t name, char *buf, size_t len)
{
    const char *n = model_str(c->m, name);

    if (n[0]) {
        snprintf(buf, len, "task %" PRIu64 " \"%s\"", id, n);
    } else {
        snprintf(buf, len, "task %" PRIu64, id);
    }
    return buf;
}

/* The name of task id as the episode knows it (a stuck task or a waker). */
static uint32_t name_in(const struct mstuck *e, uint64_t id)
{
    size_t i;
    uint8_t k;

    for (i = 0; i < e->n; i++) {
        if (e->tasks[i].task == id) {
            return e->tasks[i].name;
        }
        for (k = 0; k < e->tasks[i].nwakers; k++) {
            if (e->tasks[i].wakers[k].task == id) {
                return e->tasks[i].wakers[k].name;
            }
        }
    }
    return 0;
}

/* "join of task 4 \"B\" at f.c:9 (a_fn)", "channel_recv on channel 5 (created at ...) at ..." */
static const char *stuck_wait(const struct ctx *c, const struct mstuck *e, const struct stuck_task *st,
                              char *buf, size_t len)
{
    char site[256], tb[128], ob[300];

    model_site_str(c->m, st->wait_site, site, sizeof site);
    if (st->state != TS_WAITING) {
        snprintf(buf, len, "nothing (%s)", ev_task_state_name(st->state));
    } else if (st->wait_kind == WAIT_JOIN) {
        snprintf(buf, len, "join of %s at %s", tname(c, st->obj, name_in(e, st->obj), tb, sizeof tb), site);
    } else if (st->obj_kind != 0 && strcmp(ev_wait_kind_name(st->wait_kind), ev_sync_kind_name(st->obj_kind - 1)) == 0) {
        snprintf(buf, len, "%s %" PRIu64 "%s%s at %s", ev_wait_kind_name(st->wait_kind), st->obj,
                 describe_obj_site(c, st->obj_site, ob, sizeof ob), st->freed ? " (freed)" : "", site);
    } else if (st->obj_kind != 0) {
        snprintf(buf, len, "%s on %s %" PRIu64 "%s%s at %s", ev_wait_kind_name(st->wait_kind),
                 ev_sync_kind_name(st->obj_kind - 1), st->obj, describe_obj_site(c, st->obj_site, ob, sizeof ob),
                 st->freed ? " (freed)" : "", site);
    } else {
        snprintf(buf, len, "%s %" PRIu64 " at %s", ev_wait_kind_name(st->wait_kind), st->obj, site);
    }
    return buf;
}

/* ", held by task 2 \"A\"" / ", which task 3 \"D\" (its creator) could complete" */
static void text_edge(const struct ctx *c, uint64_t id, uint32_t name, uint8_t how)
{
    char tb[128];

    tname(c, id, name, tb, sizeof tb);
    switch (how) {
    case WK_JOINED:
        break;
    case WK_OWNER:
        fprintf(c->out, ", held by %s", tb);
        break;
    case WK_OWNER_INFERRED:
        fprintf(c->out, ", held by %s (inferred: the only task that can hold it)", tb);
        break;
    case WK_CREATOR:
        fprintf(c->out, ", which %s (its creator) could complete", tb);
        break;
    case WK_USER:
        fprintf(c->out, ", which %s (seen completing such waits) could complete", tb);
        break;
    case WK_CHILD:
        fprintf(c->out, ", until its child %s finishes", tb);
        break;
    default:
        break;
    }
}

static void text_task(const struct ctx *c, const struct mstuck *e, const struct stuck_task *st)
{
    char tb[128], sb[256], wb[700];
    uint8_t k;

    tname(c, st->task, st->name, tb, sizeof tb);
    model_site_str(c->m, st->spawn_site, sb, sizeof sb);
    stuck_wait(c, e, st, wb, sizeof wb);
    switch (st->cls) {
    case STUCK_CYCLE:
        fprintf(c->out, "    %s (spawned at %s) waits for %s", tb, sb, wb);
        text_edge(c, st->next, name_in(e, st->next), st->next_how);
        break;
    case STUCK_LOST:
        fprintf(c->out, "  LOST WAKEUP: %s (spawned at %s) waits for %s: %s", tb, sb, wb,
                st->freed ? "the object was freed while it waited"
                : st->wait_kind == WAIT_CHAN_SEND || st->wait_kind == WAIT_CHAN_RECV
                    ? "nobody else holds it: its creator and every task seen using the other end had ended"
                    : "every task known to be able to complete it had ended");
        if (st->ended > 0 && !st->freed) {
            fprintf(c->out, " (%u known)", st->ended);
        }
        break;
    case STUCK_CHAIN:
        fprintf(c->out, "  waits on stuck tasks: %s (spawned at %s) waits for %s", tb, sb, wb);
        for (k = 0; k < st->nwakers; k++) {
            text_edge(c, st->wakers[k].task, st->wakers[k].name, st->wakers[k].how);
        }
        break;
    default:
        fprintf(c->out, "  unknown edge: %s (spawned at %s) waits for %s: the trace names no task that "
                        "could complete it", tb, sb, wb);
        break;
    }
    fputc('\n', c->out);
}

void hangs__text_stucks(const struct ctx *c, size_t *shown)
{
    char lb[256], tb[128];
    size_t i, k;

    for (i = 0; i < c->m->nstucks; i++) {
        const struct mstuck *e = &c->m->stucks[i];
        const struct mloop *l = model_loop(c->m, e->vpid, e->loop_id);
        const struct stuck_task *st;
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        (*shown)++;
        fprintf(c->out, "HANG: %s: the loop ran out of work at +%.6f s with %" PRIu64 " task%s waiting: "
                        "nothing could wake them",
                describe_loop(c, l, lb, sizeof lb), model_rel_s(c->m, e->ts), e->count,
                e->count == 1 ? "" : "s");
        if (e->ended_ts != 0) {
            fprintf(c->out, "; ended at +%.6f s by %s", model_rel_s(c->m, e->ended_ts),
                    e->ended_by_cancel ? "cancellation" : "a wake-up from outside the tasks");
        } else {
            fprintf(c->out, "; still so at the end of the trace");
        }
        fprintf(c->out, "%s\n", e->gap ? " (gap: events were lost)" : "");
        if (e->ncycle > 0) {
            uint64_t cur = e->cycle_first;
            fprintf(c->out, "  DEADLOCK: a cycle of %zu tasks waiting for each other:\n", e->ncycle);
            for (k = 0; k < e->ncycle; k++) {
                size_t j;
                for (j = 0; j < e->n && e->tasks[j].task != cur; j++) {
                }
                if (j == e->n) {
                    break;
                }
                text_task(c, e, &e->tasks[j]);
                cur = e->tasks[j].next;
            }
            fprintf(c->out, "    → back to %s\n", tname(c, e->cycle_first, name_in(e, e->cycle_first), tb, sizeof tb));
        }
        for (k = 0; k < e->n; k++) {
            st = &e->tasks[k];
            if (st->cls != STUCK_CYCLE) {
                text_task(c, e, st);
            }
        }
        if (e->count > e->n) {
            fprintf(c->out, "  (%" PRIu64 " more tasks not kept)\n", e->count - e->n);
        }
    }
    if (c->m->stucks_total > c->m->nstucks) {
        fprintf(c->out, "  (%" PRIu64 " more loop_stuck events not kept)\n", c->m->stucks_total - c->m->nstucks);
    }
}

static void json_task(const struct ctx *c, struct jw *w, const struct mstuck *e, const struct stuck_task *st)
{
    uint8_t k;

    jw_obj(w, NULL);
    jw_u64(w, "id", st->task);
    jw_str(w, "name", model_str(c->m, st->name));
    json_site(c, w, "spawn_site", st->spawn_site);
    jw_str(w, "class", cls_name(st->cls));
    jw_str(w, "state", ev_task_state_name(st->state));
    jw_str(w, "wait_kind", ev_wait_kind_name(st->wait_kind));
    jw_u64(w, "obj", st->obj);
    if (st->obj_kind != 0) {
        jw_str(w, "obj_kind", ev_sync_kind_name(st->obj_kind - 1));
    } else {
        jw_null(w, "obj_kind");
    }
    json_site(c, w, "obj_site", st->obj_site);
    jw_bool(w, "obj_freed", st->freed);
    json_site(c, w, "wait_site", st->wait_site);
    jw_u64(w, "since_ns", st->since_ns);
    if (st->cls == STUCK_CYCLE) {
        jw_u64(w, "waits_for", st->next);
        jw_str(w, "edge", how_name(st->next_how));
    } else {
        jw_null(w, "waits_for");
        jw_null(w, "edge");
    }
    jw_arr(w, "could_be_woken_by");
    for (k = 0; k < st->nwakers; k++) {
        jw_obj(w, NULL);
        jw_u64(w, "id", st->wakers[k].task);
        jw_str(w, "name", model_str(c->m, st->wakers[k].name));
        jw_str(w, "how", how_name(st->wakers[k].how));
        jw_end_obj(w);
    }
    jw_end_arr(w);
    jw_u64(w, "ended_wakers", st->ended);
    jw_end_obj(w);
    (void)e;
}

void hangs__json_stucks(const struct ctx *c, struct jw *w)
{
    size_t i, k;

    jw_arr(w, "ran_out_of_work");
    for (i = 0; i < c->m->nstucks; i++) {
        const struct mstuck *e = &c->m->stucks[i];
        const struct mloop *l = model_loop(c->m, e->vpid, e->loop_id);
        uint64_t cur;
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        jw_obj(w, NULL);
        json_loop_ref(w, l);
        jw_u64(w, "ts_ns", e->ts);
        jw_u64(w, "count", e->count);
        if (e->ended_ts != 0) {
            jw_u64(w, "ended_ns", e->ended_ts);
            jw_str(w, "ended_by", e->ended_by_cancel ? "cancellation" : "wakeup");
        } else {
            jw_null(w, "ended_ns");
            jw_null(w, "ended_by");
        }
        jw_bool(w, "gap", e->gap);
        jw_arr(w, "cycle");
        cur = e->cycle_first;
        for (k = 0; k < e->ncycle; k++) {
            size_t j;
            for (j = 0; j < e->n && e->tasks[j].task != cur; j++) {
            }
            if (j == e->n) {
                break;
            }
            json_task(c, w, e, &e->tasks[j]);
            cur = e->tasks[j].next;
        }
        jw_end_arr(w);
        jw_arr(w, "tasks");
        for (k = 0; k < e->n; k++) {
            json_task(c, w, e, &e->tasks[k]);
        }
        jw_end_arr(w);
        jw_end_obj(w);
    }
    jw_end_arr(w);
    jw_u64(w, "ran_out_of_work_total", c->m->stucks_total);
}

void hangs_count_ran_out(const struct ctx *c, uint64_t *episodes, uint64_t *lost)
{
    size_t i, k;

    *episodes = 0;
    *lost = 0;
    for (i = 0; i < c->m->nstucks; i++) {
        const struct mstuck *e = &c->m->stucks[i];
        const struct mloop *l = model_loop(c->m, e->vpid, e->loop_id);
        if (l == NULL || !ctx_loop_selected(c, l)) {
            continue;
        }
        (*episodes)++;
        for (k = 0; k < e->n; k++) {
            *lost += e->tasks[k].cls == STUCK_LOST;
        }
    }
    if (c->m->stucks_total > c->m->nstucks) {
        *episodes += c->m->stucks_total - c->m->nstucks; /* not kept: counted, unselectable */
    }
}
