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
 * when the trace has its sync_new (format_minor >= 1), and every time a
 * loop ran out of work with tasks waiting (hangs_stuck.c, format minor 2).
 *
 * Split by seam: hangs.c classifies and writes the text report;
 * hangs_text.c its cycles, stalls and crash sections; hangs_json.c the JSON
 * report; hangs_stuck.c the loops that ran out of work; hangs_live.c the
 * live (lttng-live) reporting. hangs_int.h is what they share.
 */
#include "hangs_int.h"

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

int hangs__is_sync_wait(uint8_t k)
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
        if (hangs__is_sync_wait(t->wait_kind)) {
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
            cls = classify(c, l, t, &dead, model_proc_end(c->m, l), &waited);
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

int hangs__cmp(const void *a, const void *b)
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
    hangs__text_cycles(c, &shown);
    hangs__text_stucks(c, &shown);
    hangs__text_losts(c, &shown);
    rc = hangs_collect(c, &h, &nh);
    if (rc < 0) {
        return rc;
    }
    if (nh > 1) {
        qsort(h, nh, sizeof(*h), hangs__cmp);
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
        hangs__sorted_topk(&c->m->long_waits, v, &n);
        for (i = 0; i < n && i < 10; i++) {
            hangs__text_instance(c, &v[i], "wait");
        }
        shown++;
    }
    hangs__text_stalls(c, &shown);
    hangs__text_crashes(c, &shown);
    if (shown == 0 && unknown > 0) {
        fprintf(c->out, "hangs: incomplete: nothing seen after the attach point (no deadlock, no blocked "
                        "task, no stall over %s); what formed before it is unknown\n",
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


int report_hangs(const struct ctx *c)
{
    return c->o->json ? hangs__json_report(c) : text_report(c);
}

