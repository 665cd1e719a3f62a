/*
 * summary.c — `loop-analyze summary`: one screen about the trace.
 *
 * Processes and their loops (versions, policy, life, counts of tasks and
 * handles, task I/O totals, busy fraction), the slowest callback sites and task names, and
 * one line for every hang, deadlock, stall and leak finding; the other
 * reports give the details.
 */
#include "report.h"
#include "symbolize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *policy_name(uint8_t p)
{
    return p == 0 ? "fifo" : p == 1 ? "chaos" : p == 2 ? "replay" : "?";
}

static double util_of(const struct mloop *l)
{
    uint64_t span = l->run_ns ? l->run_ns : (l->t_last - l->t_first);

    return span ? (double)l->busy_ns / (double)span : 0.0;
}

/* The worst profiles by their longest step. */
static size_t worst_profs(const struct ctx *c, const struct prof **out, size_t cap)
{
    size_t it = 0, n = 0, i, j;
    void *cur = NULL;

    while ((cur = model_agg_next(&c->m->profs, &it, cur)) != NULL) {
        const struct prof *p = cur;
        if (p->step.count == 0) {
            continue;
        }
        for (i = 0; i < n && out[i]->step.max >= p->step.max; i++) {
        }
        if (i >= cap) {
            continue;
        }
        if (n < cap) {
            n++;
        }
        for (j = n - 1; j > i; j--) {
            out[j] = out[j - 1];
        }
        out[i] = p;
    }
    return n;
}

static void text_loop(const struct ctx *c, const struct mloop *l)
{
    char a[32], b[32];

    fprintf(c->out, "  loop %" PRIu64 ": ", l->loop_id);
    if (l->flags & LF_SEEN_NEW) {
        fprintf(c->out, "trace format %u, libloop %u.%u, policy %s%s, ", l->format_version,
                l->version_major, l->version_minor, policy_name(l->policy), l->debug ? ", debug mode" : "");
    } else if (l->flags & LF_SNAPSHOT) {
        fprintf(c->out, "attached mid-run (state from a snapshot at +%.6f s), trace format %u.%u, "
                        "libloop %u.%u, policy %s%s, ",
                model_rel_s(c->m, l->t_snapshot), l->format_version, l->format_minor, l->version_major,
                l->version_minor, policy_name(l->policy), l->debug ? ", debug mode" : "");
    } else {
        fprintf(c->out, "(created before the trace started; no state snapshot: what existed before "
                        "the attach point is unknown), ");
    }
    fprintf(c->out, "+%.6f s .. +%.6f s, ", model_rel_s(c->m, l->t_first), model_rel_s(c->m, l->t_last));
    if (l->flags & LF_CLOSED) {
        fprintf(c->out, "closed");
    } else if (l->flags & LF_RUNNING) {
        fprintf(c->out, "still running at the end of the trace");
    } else if (l->flags & LF_RAN) {
        fprintf(c->out, "loop_run returned %d, never closed", (int)l->last_rc);
    } else {
        fprintf(c->out, "never closed");
    }
    fprintf(c->out, "%s\n", (l->flags & LF_GAP) ? " (events were lost)" : "");
    fprintf(c->out,
            "    tasks: %" PRIu64 " spawned, %" PRIu64 " done, %" PRIu64 " cancelled, %" PRIu64
            " failed, %" PRIu64 " alive at the end\n",
            l->tasks_new, l->tasks_done, l->tasks_cancelled, l->tasks_failed, l->live_tasks);
    if (mloop_has_joins(l)) {
        fprintf(c->out, "    tasks: %" PRIu64 " joined, %" PRIu64 " detached\n", l->tasks_joined, l->tasks_detached);
    }
    fprintf(c->out,
            "    handles: %" PRIu64 " created, %" PRIu64 " closed; %" PRIu64 " call-soons and %" PRIu64
            " work items run\n",
            l->handles_new, l->handles_closed, l->call_soons, l->work_items);
    if (mloop_has_joins(l)) {
        fprintf(c->out,
                "    sync objects: %" PRIu64 " created, %" PRIu64 " freed, %" PRIu64 " alive; futures: %" PRIu64
                " resolved, %" PRIu64 " failed\n",
                l->sync_new, l->sync_freed, l->live_sync, l->futures_resolved, l->futures_failed);
    } else {
        fprintf(c->out, "    no join or sync-object events (trace format minor 0): joins and sync "
                        "objects are not analyzed\n");
    }
    if (mloop_has_io(l)) {
        fprintf(c->out,
                "    task I/O: %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64 " accepts, %" PRIu64
                " connects; %" PRIu64 " bytes read, %" PRIu64 " written; %" PRIu64 " found nothing, %" PRIu64
                " errors\n",
                l->io.calls[IO_READ], l->io.calls[IO_WRITE], mio_ok(&l->io, IO_ACCEPT), mio_ok(&l->io, IO_CONNECT),
                l->io.bytes_read, l->io.bytes_written, mio_again(&l->io), mio_failed(&l->io));
    }
    fprintf(c->out,
            "    busy %.1f%% (%s of %s in loop_run), %" PRIu64 " iterations, %" PRIu64
            " callbacks, %" PRIu64 " slow_callback events, %" PRIu64 " stalls, %" PRIu64 " errors\n",
            100.0 * util_of(l), fmt_dur(a, sizeof a, l->busy_ns), fmt_dur(b, sizeof b, l->run_ns), l->iters,
            l->callbacks, l->slow_callbacks, l->stalls, l->errors);
}

static int text_summary(const struct ctx *c)
{
    const struct prof *worst[5];
    struct findings f;
    struct hang *h = NULL;
    struct leak_group *g = NULL;
    size_t nh = 0, ng = 0, nw, i, j, nproc = 0;
    char sb[256], lb[256], tb[128], wb[512], a[32], b[32];
    int rc;

    rc = findings_count(c, &f);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < c->m->nloops; i++) {
        for (j = 0; j < i && c->m->loops[j]->proc != c->m->loops[i]->proc; j++) {
        }
        nproc += j == i;
    }
    fprintf(c->out, "trace: %" PRIu64 " libloop events over %s, %zu process(es), %zu loop(s)", c->m->events,
            fmt_dur(a, sizeof a, c->m->t_last - c->m->t_first), nproc, c->m->nloops);
    if (c->m->discarded_events || c->m->discarded_packets) {
        fprintf(c->out, "; LOST %" PRIu64 " events, %" PRIu64 " packets", c->m->discarded_events,
                c->m->discarded_packets);
    } else {
        fprintf(c->out, "; no events lost");
    }
    fprintf(c->out, "%s\n", c->rs != NULL && c->rs->truncated ? "; TRUNCATED" : "");
    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        for (j = 0; j < i && c->m->loops[j]->proc != l->proc; j++) {
        }
        if (j == i) {
            const char *pn = model_str(c->m, l->proc->procname);
            fprintf(c->out, "process %" PRId64 "%s%s%s:\n", l->vpid, pn[0] ? " (" : "", pn, pn[0] ? ")" : "");
            for (j = i; j < c->m->nloops; j++) {
                if (c->m->loops[j]->proc == l->proc) {
                    text_loop(c, c->m->loops[j]);
                }
            }
        }
    }
    nw = worst_profs(c, worst, 5);
    if (nw > 0) {
        fprintf(c->out, "slowest callbacks and tasks (by longest step):\n");
        for (i = 0; i < nw; i++) {
            const char *name = model_str(c->m, worst[i]->name);
            fprintf(c->out, "  %-5s %s%s%s%s%s: max %s, p99 %s, %" PRIu64 " runs\n",
                    ev_kind_name(worst[i]->kind), model_site_str(c->m, worst[i]->site, sb, sizeof sb),
                    name[0] ? " \"" : "", name, name[0] ? "\"" : "",
                    worst[i]->internal ? " [for a task]" : "",
                    fmt_dur(a, sizeof a, worst[i]->step.max),
                    fmt_dur(b, sizeof b, hist_quantile(&worst[i]->step, 0.99)), worst[i]->step.count);
        }
    }
    fprintf(c->out,
            "findings: %" PRIu64 " deadlock(s), %" PRIu64 " hung task(s), %" PRIu64
            " stall(s) (%" PRIu64 " over %s, %" PRIu64 " caught by the watchdog, %" PRIu64
            " slow_callback events), %" PRIu64 " leaked handle(s), %" PRIu64 " leaked task(s), %" PRIu64
            " task(s) never joined, %" PRIu64 " future(s) never resolved, %" PRIu64
            " sync object(s) never freed\n",
            f.deadlocks, f.stuck + f.long_waits + f.overdue, f.stall_findings, f.slow_steps,
            fmt_dur(a, sizeof a, c->o->threshold_ns), f.stalls, f.slow_events, f.leaked_handles,
            f.leaked_tasks, f.unjoined_tasks, f.unresolved_futures, f.unfreed_sync);
    if (f.ran_out) {
        fprintf(c->out, "  ran out of work with tasks waiting: %" PRIu64 " time(s), %" PRIu64
                        " lost wakeup(s) (loop-analyze hangs)\n", f.ran_out, f.lost_wakeups);
    }
    for (i = 0; i < c->m->ncycles; i++) {
        const struct cycle *cy = &c->m->cycles[i];
        const struct mloop *l = model_loop(c->m, cy->vpid, cy->loop_id);
        if (!cycle_reported(cy)) {
            continue;
        }
        fprintf(c->out, "  deadlock: %s:", describe_loop(c, l, lb, sizeof lb));
        for (j = 0; j < cy->n; j++) {
            const struct cycle_edge *e = &cy->edges[j];
            const char *name = model_str(c->m, e->name);
            char ob[300];
            fprintf(c->out, "%s task %" PRIu64 "%s%s%s waits %s %" PRIu64 "%s at %s", j ? " →" : "", e->task,
                    name[0] ? " \"" : "", name, name[0] ? "\"" : "", e->wait_kind == WAIT_LOCK ? "lock" : e->wait_kind == WAIT_JOIN ? "join"
                                                                            : ev_wait_kind_name(e->wait_kind),
                    e->obj, describe_obj_site(c, e->obj_site, ob, sizeof ob),
                    model_site_str(c->m, e->wait_site, sb, sizeof sb));
        }
        fprintf(c->out, "%s\n", cy->broken_ts ? " (later broken)" : "");
    }
    rc = hangs_collect(c, &h, &nh);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < nh; i++) {
        if (!hang_is_finding(h[i].cls) || h[i].cls == HANG_DEADLOCK) {
            continue;
        }
        fprintf(c->out, "  %s: %s: %s waits for %s for %s\n", hang_class_name(h[i].cls),
                describe_loop(c, h[i].l, lb, sizeof lb), describe_task(c, h[i].l, h[i].t->o.id, tb, sizeof tb),
                describe_wait(c, h[i].l, h[i].t, wb, sizeof wb), fmt_dur(a, sizeof a, h[i].waited_ns));
    }
    free(h);
    for (i = 0; i < c->m->nstalls; i++) {
        const struct stall *s = &c->m->stalls[i];
        const struct mloop *l = model_loop(c->m, s->vpid, s->loop_id);
        const char *bt = s->backtrace ? s->backtrace : "";
        const char *nl = strchr(bt, '\n');
        char first[512] = "";
        char *sym = c->o->no_symbolize || !bt[0] ? NULL : symbolize_backtrace(bt, s->ts, first, sizeof first);
        fprintf(c->out, "  stall: %s: %s %" PRIu64 " blocked the loop for %s at %s; ",
                describe_loop(c, l, lb, sizeof lb), ev_kind_name(s->kind), s->id,
                fmt_dur(a, sizeof a, s->duration_ns), model_site_str(c->m, s->site, sb, sizeof sb));
        if (first[0] != '\0') {
            fprintf(c->out, "in %s\n", first);
        } else {
            fprintf(c->out, "top frame: %.*s\n", (int)(nl ? (size_t)(nl - bt) : strlen(bt)), bt);
        }
        free(sym);
    }
    for (i = 0; i < c->m->slow_events.n && i < 5; i++) {
        const struct instance *in = &c->m->slow_events.v[i];
        fprintf(c->out, "  slow callback: %s %" PRIu64 " created at %s took %s\n", ev_kind_name(in->kind),
                in->id, model_site_str(c->m, in->site, sb, sizeof sb), fmt_dur(a, sizeof a, in->duration_ns));
    }
    for (i = 0; i < c->m->ncrashes; i++) {
        const struct crash *cr = &c->m->crashes[i];
        const struct mloop *l = model_loop(c->m, cr->vpid, cr->loop_id);
        uint32_t where = cr->kind == KIND_TASK ? cr->site2 : cr->site;
        fprintf(c->out, "  trace ends inside %s %" PRIu64 " (%s%s) in %s: likely crash or hang site\n",
                ev_kind_name(cr->kind), cr->id, cr->kind == KIND_TASK && where ? "after " : "",
                where ? model_site_str(c->m, where, sb, sizeof sb)
                      : cr->kind == KIND_TASK ? "its first step" : "?",
                describe_loop(c, l, lb, sizeof lb));
    }
    rc = leaks_collect(c, &g, &ng);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < ng; i++) {
        if (!g[i].confirmed) {
            continue;
        }
        fprintf(c->out, "  leak: %s: %" PRIu64 " %s%s %s, created at %s\n",
                describe_loop(c, model_loop(c->m, g[i].vpid, g[i].loop_id), lb, sizeof lb), g[i].count,
                leak_kind_name(&g[i]), g[i].count == 1 ? "" : "s",
                g[i].what == LEAK_HANDLE            ? "never closed"
                : g[i].what == LEAK_TASK_UNFINISHED ? "never finished"
                : g[i].what == LEAK_TASK_UNJOINED   ? "finished but never joined"
                : g[i].what == LEAK_FUTURE_UNRESOLVED ? "never resolved"
                                                      : "never freed",
                model_site_str(c->m, g[i].site, sb, sizeof sb));
    }
    free(g);
    if (f.total == 0 && c->m->ncrashes == 0) {
        fprintf(c->out, "  none\n");
    }
    return 0;
}

static int json_summary(const struct ctx *c)
{
    const struct prof *worst[10];
    struct findings f;
    struct jw w;
    size_t i, j, nw;
    int rc = findings_count(c, &f);

    if (rc < 0) {
        return rc;
    }
    json_begin(c, &w);
    jw_arr(&w, "processes");
    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l0 = c->m->loops[i];
        for (j = 0; j < i && c->m->loops[j]->proc != l0->proc; j++) {
        }
        if (j != i) {
            continue;
        }
        jw_obj(&w, NULL);
        jw_i64(&w, "vpid", l0->vpid);
        jw_str(&w, "procname", model_str(c->m, l0->proc->procname));
        jw_arr(&w, "loops");
        for (j = i; j < c->m->nloops; j++) {
            const struct mloop *l = c->m->loops[j];
            if (l->proc != l0->proc) {
                continue;
            }
            jw_obj(&w, NULL);
            jw_u64(&w, "loop", l->loop_id);
            jw_bool(&w, "seen_new", (l->flags & LF_SEEN_NEW) != 0);
            jw_u64(&w, "format_version", l->format_version);
            jw_u64(&w, "version_major", l->version_major);
            jw_u64(&w, "version_minor", l->version_minor);
            jw_str(&w, "policy", policy_name(l->policy));
            jw_bool(&w, "debug", l->debug);
            jw_u64(&w, "first_ns", l->t_first);
            jw_u64(&w, "last_ns", l->t_last);
            jw_bool(&w, "closed", (l->flags & LF_CLOSED) != 0);
            jw_bool(&w, "running_at_end", mloop_running(l));
            jw_i64(&w, "last_run_rc", l->last_rc);
            jw_obj(&w, "tasks");
            jw_u64(&w, "spawned", l->tasks_new);
            jw_u64(&w, "done", l->tasks_done);
            jw_u64(&w, "cancelled", l->tasks_cancelled);
            jw_u64(&w, "failed", l->tasks_failed);
            jw_u64(&w, "alive", l->live_tasks);
            if (mloop_has_joins(l)) {
                jw_u64(&w, "joined", l->tasks_joined);
                jw_u64(&w, "detached", l->tasks_detached);
            }
            jw_end_obj(&w);
            jw_u64(&w, "format_minor", l->format_minor);
            jw_bool(&w, "join_data", mloop_has_joins(l));
            if (mloop_has_joins(l)) {
                jw_obj(&w, "sync");
                jw_u64(&w, "created", l->sync_new);
                jw_u64(&w, "freed", l->sync_freed);
                jw_u64(&w, "alive", l->live_sync);
                jw_u64(&w, "futures_resolved", l->futures_resolved);
                jw_u64(&w, "futures_failed", l->futures_failed);
                jw_end_obj(&w);
            } else {
                jw_null(&w, "sync");
            }
            if (mloop_has_io(l)) {
                jw_obj(&w, "task_io");
                jw_u64(&w, "reads", l->io.calls[IO_READ]);
                jw_u64(&w, "writes", l->io.calls[IO_WRITE]);
                jw_u64(&w, "accepts", mio_ok(&l->io, IO_ACCEPT));
                jw_u64(&w, "connects", mio_ok(&l->io, IO_CONNECT));
                jw_u64(&w, "bytes_read", l->io.bytes_read);
                jw_u64(&w, "bytes_written", l->io.bytes_written);
                jw_u64(&w, "again", mio_again(&l->io));
                jw_u64(&w, "failed", mio_failed(&l->io));
                jw_end_obj(&w);
            } else {
                jw_null(&w, "task_io");
            }
            jw_obj(&w, "handles");
            jw_u64(&w, "created", l->handles_new);
            jw_u64(&w, "closed", l->handles_closed);
            jw_u64(&w, "call_soons", l->call_soons);
            jw_u64(&w, "work_items", l->work_items);
            jw_end_obj(&w);
            jw_u64(&w, "iterations", l->iters);
            jw_u64(&w, "callbacks", l->callbacks);
            jw_u64(&w, "run_ns", l->run_ns);
            jw_u64(&w, "busy_ns", l->busy_ns);
            jw_dbl(&w, "utilization", util_of(l));
            jw_u64(&w, "slow_callback_events", l->slow_callbacks);
            jw_u64(&w, "stalls", l->stalls);
            jw_u64(&w, "errors", l->errors);
            jw_u64(&w, "anomalies", l->anomalies);
            jw_bool(&w, "gap", (l->flags & LF_GAP) != 0);
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_end_obj(&w);
    }
    jw_end_arr(&w);
    nw = worst_profs(c, worst, 10);
    jw_arr(&w, "slowest");
    for (i = 0; i < nw; i++) {
        jw_obj(&w, NULL);
        jw_str(&w, "kind", ev_kind_name(worst[i]->kind));
        json_site(c, &w, "site", worst[i]->site);
        jw_str(&w, "name", model_str(c->m, worst[i]->name));
        jw_bool(&w, "internal", worst[i]->internal);
        jw_u64(&w, "count", worst[i]->step.count);
        jw_u64(&w, "max_ns", worst[i]->step.max);
        jw_u64(&w, "p99_ns", hist_quantile(&worst[i]->step, 0.99));
        jw_end_obj(&w);
    }
    jw_end_arr(&w);
    jw_obj(&w, "findings");
    jw_u64(&w, "deadlocks", f.deadlocks);
    jw_u64(&w, "ran_out_of_work", f.ran_out);
    jw_u64(&w, "lost_wakeups", f.lost_wakeups);
    jw_u64(&w, "stuck_tasks", f.stuck);
    jw_u64(&w, "long_waits", f.long_waits);
    jw_u64(&w, "overdue_sleeps", f.overdue);
    jw_u64(&w, "stalls", f.stalls);
    jw_u64(&w, "slow_steps", f.slow_steps);
    jw_u64(&w, "slow_callback_events", f.slow_events);
    jw_u64(&w, "stall_findings", f.stall_findings);
    jw_u64(&w, "leaked_handles", f.leaked_handles);
    jw_u64(&w, "leaked_tasks", f.leaked_tasks);
    jw_u64(&w, "unjoined_tasks", f.unjoined_tasks);
    jw_u64(&w, "unresolved_futures", f.unresolved_futures);
    jw_u64(&w, "unfreed_sync_objects", f.unfreed_sync);
    jw_u64(&w, "trace_ends_in_callback", f.crashes);
    jw_u64(&w, "total", f.total);
    jw_end_obj(&w);
    jw_end_obj(&w);
    return 0;
}

int report_summary(const struct ctx *c)
{
    return c->o->json ? json_summary(c) : text_summary(c);
}
