/*
 * common.c — helpers the reports share (report.h): descriptions of tasks,
 * waits, loops and errors, the JSON trace header, and the findings count
 * behind `check` and `summary`.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *err_name(int32_t err, char *buf, size_t len)
{
    const char *n;

    if (err == 0) {
        snprintf(buf, len, "0");
        return buf;
    }
    n = strerrorname_np(err < 0 ? -err : err);
    if (n != NULL) {
        snprintf(buf, len, "%s%s", err < 0 ? "-" : "", n);
    } else {
        snprintf(buf, len, "%d", (int)err);
    }
    return buf;
}

int ctx_loop_selected(const struct ctx *c, const struct mloop *l)
{
    return (c->o->pid < 0 || l->vpid == c->o->pid) &&
           (c->o->loop < 0 || l->loop_id == (uint64_t)c->o->loop);
}

const char *describe_loop(const struct ctx *c, const struct mloop *l, char *buf, size_t len)
{
    const char *pn = model_str(c->m, l->proc->procname);

    if (pn[0] != '\0') {
        snprintf(buf, len, "pid %" PRId64 " (%s) loop %" PRIu64, l->vpid, pn, l->loop_id);
    } else {
        snprintf(buf, len, "pid %" PRId64 " loop %" PRIu64, l->vpid, l->loop_id);
    }
    return buf;
}

const char *describe_task(const struct ctx *c, const struct mloop *l, uint64_t id, char *buf,
                          size_t len)
{
    const struct mtask *t = model_task(l, id);

    if (t != NULL && t->name != 0) {
        snprintf(buf, len, "task %" PRIu64 " \"%s\"", id, model_str(c->m, t->name));
    } else {
        snprintf(buf, len, "task %" PRIu64, id);
    }
    return buf;
}

const char *describe_obj_site(const struct ctx *c, uint32_t obj_site, char *buf, size_t len)
{
    char sb[256];

    if (obj_site == 0) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, len, " (created at %s)", model_site_str(c->m, obj_site, sb, sizeof sb));
    return buf;
}

const char *describe_wait(const struct ctx *c, const struct mloop *l, const struct mtask *t,
                          char *buf, size_t len)
{
    char site[256], tb[128], dur[32], ob[300];
    const char *k = ev_wait_kind_name(t->wait_kind);

    model_site_str(c->m, t->wait_site, site, sizeof site);
    switch (t->wait_kind) {
    case WAIT_SLEEP:
        snprintf(buf, len, "sleep %s at %s",
                 t->wait_timeout_ns >= 0 ? fmt_dur(dur, sizeof dur, (uint64_t)t->wait_timeout_ns)
                                         : "forever",
                 site);
        break;
    case WAIT_YIELD:
        snprintf(buf, len, "yield at %s", site);
        break;
    case WAIT_FD:
        snprintf(buf, len, "fd %" PRIu64 " at %s", t->wait_obj, site);
        break;
    case WAIT_JOIN:
        snprintf(buf, len, "join %s at %s", describe_task(c, l, t->wait_obj, tb, sizeof tb), site);
        break;
    default:
        snprintf(buf, len, "%s %" PRIu64 "%s%s at %s", k, t->wait_obj,
                 describe_obj_site(c, t->wait_obj_site, ob, sizeof ob),
                 (t->flags & TF_WAIT_FREED) ? " (freed)" : "", site);
        break;
    }
    return buf;
}

void json_site(const struct ctx *c, struct jw *w, const char *key, uint32_t site)
{
    const struct msite *s = model_site(c->m, site);

    if (site == 0) {
        jw_null(w, key);
        return;
    }
    jw_obj(w, key);
    jw_str(w, "file", model_str(c->m, s->file));
    jw_i64(w, "line", s->line);
    jw_str(w, "func", model_str(c->m, s->func));
    jw_end_obj(w);
}

void json_loop_ref(struct jw *w, const struct mloop *l)
{
    jw_i64(w, "vpid", l->vpid);
    jw_u64(w, "loop", l->loop_id);
}

void json_trace_info(const struct ctx *c, struct jw *w)
{
    size_t i;

    jw_obj(w, "trace");
    jw_arr(w, "inputs");
    for (i = 0; i < c->ninputs; i++) {
        jw_str(w, NULL, c->inputs[i]);
    }
    jw_end_arr(w);
    jw_u64(w, "events", c->rs ? c->rs->libloop_events : c->m->events);
    jw_u64(w, "events_analyzed", c->m->events);
    jw_u64(w, "start_ns", c->m->t_first);
    jw_u64(w, "end_ns", c->m->t_last);
    jw_u64(w, "duration_ns", c->m->t_last - c->m->t_first);
    jw_u64(w, "discarded_events", c->m->discarded_events);
    jw_u64(w, "discarded_packets", c->m->discarded_packets);
    jw_bool(w, "truncated", c->rs ? c->rs->truncated : 0);
    jw_u64(w, "anomalies", c->m->anomalies);
    jw_u64(w, "threshold_ns", c->o->threshold_ns);
    jw_u64(w, "names_folded", c->m->names_folded);
    jw_arr(w, "notes");
    for (i = 0; i < c->nnotes; i++) {
        jw_str(w, NULL, c->notes[i]);
    }
    jw_end_arr(w);
    jw_end_obj(w);
}

void json_begin(const struct ctx *c, struct jw *w)
{
    jw_init(w, c->out, 1);
    jw_obj(w, NULL);
    jw_str(w, "command", c->o->command);
    jw_u64(w, "format", ANALYZE_JSON_VERSION);
    json_trace_info(c, w);
}

/* A trace captured without the vpid / procname contexts: say so, and how to add them. */
static void text_context_note(const struct ctx *c)
{
    size_t i;
    int no_vpid = 0, no_name = 0, any = 0;

    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        any = 1;
        no_vpid |= l->vpid < 0;
        no_name |= l->proc == NULL || model_str(c->m, l->proc->procname)[0] == '\0';
    }
    if (!any || (!no_vpid && !no_name)) {
        return;
    }
    fprintf(c->out,
            "note: the trace has no %s context%s (%s): capture with loop-trace, or run `lttng add-context "
            "-u -t vpid -t vtid -t procname` before `lttng start`\n",
            no_vpid && no_name ? "vpid and procname" : no_vpid ? "vpid" : "procname", no_vpid && no_name ? "s" : "",
            no_vpid ? "processes show as pid -1 and the loops of several processes are mixed up"
                    : "processes are shown without their names");
}

void text_trace_warnings(const struct ctx *c)
{
    const struct model *m = c->m;

    if (m->discarded_events || m->discarded_packets) {
        fprintf(c->out,
                "warning: the trace lost %" PRIu64 " events and %" PRIu64
                " packets (buffers full); findings marked (gap) may be wrong\n",
                m->discarded_events, m->discarded_packets);
    }
    if (c->rs != NULL && c->rs->truncated) {
        fprintf(c->out, "warning: the trace is truncated; the analysis covers what could be read\n");
    }
    text_context_note(c);
    if (m->names_folded) {
        fprintf(c->out,
                "note: more than %d distinct task/handle names: %" PRIu64
                " later ones are shown as \"(other)\" (the analyzer's memory stays bounded)\n",
                MODEL_MAX_NAMES, m->names_folded);
    }
}

/* ---------------------------------------------------------------------- */
/* Findings                                                                */

int findings_count(const struct ctx *c, struct findings *f)
{
    struct hang *h = NULL;
    struct leak_group *g = NULL;
    size_t nh = 0, ng = 0, i;
    int rc;

    memset(f, 0, sizeof(*f));
    rc = hangs_collect(c, &h, &nh);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < nh; i++) {
        switch (h[i].cls) {
        case HANG_STUCK:
            f->stuck++;
            break;
        case HANG_LONG:
            f->long_waits++;
            break;
        case HANG_OVERDUE:
            f->overdue++;
            break;
        default:
            break;
        }
    }
    free(h);
    for (i = 0; i < c->m->ncycles; i++) {
        struct mloop *l = model_loop(c->m, c->m->cycles[i].vpid, c->m->cycles[i].loop_id);
        if (l != NULL && ctx_loop_selected(c, l) && cycle_reported(&c->m->cycles[i])) {
            f->deadlocks++;
        }
    }
    hangs_count_ran_out(c, &f->ran_out, &f->lost_wakeups);
    f->lost_running = hangs_count_lost(c);
    f->stalls = c->m->stalls_total;
    f->slow_steps = c->m->slow_steps.total;
    f->slow_events = c->m->slow_events.total;
    f->crashes = c->m->ncrashes;
    rc = leaks_collect(c, &g, &ng);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < ng; i++) {
        if (!g[i].confirmed) {
            continue;
        }
        switch (g[i].what) {
        case LEAK_HANDLE:
            f->leaked_handles += g[i].count;
            break;
        case LEAK_TASK_UNFINISHED:
            f->leaked_tasks += g[i].count;
            break;
        case LEAK_TASK_UNJOINED:
            f->unjoined_tasks += g[i].count;
            break;
        case LEAK_FUTURE_UNRESOLVED:
            f->unresolved_futures += g[i].count;
            break;
        default:
            f->unfreed_sync += g[i].count;
            break;
        }
    }
    free(g);
    f->stall_findings = f->stalls;
    if (f->slow_steps > f->stall_findings) {
        f->stall_findings = f->slow_steps;
    }
    if (f->slow_events > f->stall_findings) {
        f->stall_findings = f->slow_events;
    }
    f->total = f->deadlocks + f->ran_out + f->lost_running + f->stuck + f->long_waits + f->overdue + f->stall_findings +
               f->leaked_handles + f->leaked_tasks + f->unjoined_tasks + f->unresolved_futures +
               f->unfreed_sync;
    return 0;
}

int report_check(const struct ctx *c, uint64_t *findings)
{
    struct findings f;
    struct jw w;
    int rc = findings_count(c, &f);

    if (rc < 0) {
        return rc;
    }
    size_t unknown = 0;
    for (size_t i = 0; i < c->m->nloops; i++) { /* traced mid-run without a state snapshot */
        unknown += ctx_loop_selected(c, c->m->loops[i]) && mloop_state_unknown(c->m->loops[i]);
    }
    *findings = f.total;
    if (c->o->json) {
        json_begin(c, &w);
        jw_bool(&w, "ok", f.total == 0);
        jw_u64(&w, "incomplete_loops", unknown); /* findings before their attach point are missing */
        jw_obj(&w, "findings");
        jw_u64(&w, "deadlocks", f.deadlocks);
        jw_u64(&w, "ran_out_of_work", f.ran_out);
        jw_u64(&w, "lost_wakeups", f.lost_wakeups);
        jw_u64(&w, "lost_wakeups_while_running", f.lost_running);
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
        jw_u64(&w, "total", f.total);
        jw_end_obj(&w);
        jw_u64(&w, "trace_ends_in_callback", f.crashes);
        jw_end_obj(&w);
        return 0;
    }
    text_trace_warnings(c);
    if (f.deadlocks) {
        fprintf(c->out, "check: FAIL: %" PRIu64 " deadlock cycle(s) (loop-analyze hangs)\n", f.deadlocks);
    }
    if (f.ran_out) {
        fprintf(c->out,
                "check: FAIL: %" PRIu64 " loop(s) ran out of work with tasks waiting, %" PRIu64
                " lost wakeup(s) among them (loop-analyze hangs)\n",
                f.ran_out, f.lost_wakeups);
    }
    if (f.lost_running) {
        fprintf(c->out,
                "check: FAIL: %" PRIu64 " lost wakeup(s) while the loop still ran: every task known to be able "
                "to complete the wait had ended (loop-analyze hangs)\n",
                f.lost_running);
    }
    if (f.stuck || f.long_waits || f.overdue) {
        fprintf(c->out,
                "check: FAIL: %" PRIu64 " hung task(s): %" PRIu64 " stuck, %" PRIu64
                " waiting over the threshold, %" PRIu64 " overdue sleeps (loop-analyze hangs)\n",
                f.stuck + f.long_waits + f.overdue, f.stuck, f.long_waits, f.overdue);
    }
    if (f.stall_findings) {
        char db[32];
        fprintf(c->out,
                "check: FAIL: %" PRIu64 " stall(s): %" PRIu64 " callbacks/steps ran over %s, %" PRIu64
                " caught by the watchdog, %" PRIu64 " slow_callback events (loop-analyze hangs)\n",
                f.stall_findings, f.slow_steps, fmt_dur(db, sizeof db, c->o->threshold_ns), f.stalls,
                f.slow_events);
    }
    if (f.leaked_handles || f.leaked_tasks || f.unjoined_tasks || f.unresolved_futures || f.unfreed_sync) {
        fprintf(c->out,
                "check: FAIL: leaks: %" PRIu64 " handle(s) never closed, %" PRIu64
                " task(s) never finished, %" PRIu64 " finished but never joined, %" PRIu64
                " future(s) never resolved, %" PRIu64
                " lock(s)/event(s)/channel(s)/group(s) never freed (loop-analyze leaks)\n",
                f.leaked_handles, f.leaked_tasks, f.unjoined_tasks, f.unresolved_futures, f.unfreed_sync);
    }
    if (f.total == 0 && unknown > 0) {
        fprintf(c->out, "check: incomplete: nothing found in %" PRIu64 " events, but %zu loop(s) were traced "
                        "from mid-run without a state snapshot: findings from before the attach point are "
                        "missing (loop-analyze hangs)\n", c->m->events, unknown);
    } else if (f.total == 0) {
        fprintf(c->out, "check: ok: no hang, deadlock, stall or leak in %" PRIu64 " events\n",
                c->m->events);
    }
    return 0;
}
