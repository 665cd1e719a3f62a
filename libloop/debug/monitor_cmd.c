/*
 * monitor_cmd.c — the monitor's commands: ps, where, cancel, handles, stats,
 * slow, help, quit. They run on the monitor thread and read the task and
 * handle tables under loop->inspect_mu (see monitor.c); cancel is posted to
 * the loop thread.
 */
#include <execinfo.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sched.h>
#include <unistd.h>

#include "core/internal.h"
#include "task/task.h"
#include "core/trace.h"
#include "monitor.h"
#include "monitor_rows.h"
#include "record/record.h"

/* Loop thread only: the task with this id (no lock: this thread writes the list). */
struct find_task {
    uint64_t id;
    loop_task_t *task;
};

static int find_task_cb(loop_task_t *t, void *arg)
{
    struct find_task *f = arg;

    if (loop_task_id(t) == f->id) {
        f->task = t;
        return 1;
    }
    return 0;
}

/* Commands ----------------------------------------------------------------------- */

struct task_rows_ctx {
    struct mon_rows *rows;
    bool hists;     /* stats: only tasks that ran, with their histograms */
};

static int task_rows_visit(loop_queue_t *node, void *arg)
{
    struct task_rows_ctx *x = arg;
    const loop_task_t *t = loop__queue_data(node, loop_task_t, task_node);
    struct mon_task_row *r;

    if (x->hists && (t->steps == 0 || t->hists == NULL)) {
        return MON_NEXT;
    }
    if (x->rows->max != 0 && x->rows->n == x->rows->max) {
        return MON_STOP;
    }
    r = loop__mon_rows_slot(x->rows);
    if (r == NULL) {
        return MON_FULL;
    }
    loop__mon_task_row(t, r, x->hists);
    x->rows->n++;
    return MON_NEXT;
}

static void out_nomem(struct mon_out *o, const struct mon_rows *r)
{
    if (r->nomem) {
        loop__mon_out(o, "error: out of memory for the snapshot; the list is incomplete\n");
    }
}

static void cmd_ps(struct loop__monitor *m, struct mon_out *o)
{
    loop_t *loop = m->loop;
    struct mon_rows rows = {.size = sizeof(struct mon_task_row)};
    struct task_rows_ctx x = {&rows, false};
    size_t alive;
    uint64_t now_ns;

    loop__mon_lock(loop);
    alive = loop->tasks_alive;
    loop__mon_unlock(loop);
    loop__mon_walk(loop, MON_TASKS, task_rows_visit, &x, &rows);
    now_ns = loop__hrtime_ns();
    out_nomem(o, &rows);
    loop__mon_out(o, "loop id=%" PRIu64 " pid=%ld tasks-alive=%zu\n", loop->id, (long)getpid(),
        alive);
    loop__mon_out_busy(o, loop, now_ns);
    loop__mon_out_allow_rows(o, rows.n);
    for (size_t i = 0; i < rows.n; i++) {
        struct mon_task_row *r = (struct mon_task_row *)rows.v + i;
        loop__mon_row_name(r);
        loop__mon_out_task_line(o, &r->ti, now_ns);
    }
    if (rows.n == 0) {
        loop__mon_out(o, "(no tasks)\n");
    }
    free(rows.v);
}

static void out_handle_line(struct mon_out *o, const struct mon_handle_row *h)
{
    int active = (h->flags & LOOP__H_ACTIVE) != 0;

    loop__mon_out(o, "%c handle id=%" PRIu64 " kind=%s name=\"%s\" %s", active ? '*' : ' ', h->id,
        loop_kind_name(h->kind), h->name,
        (h->flags & LOOP__H_CLOSING) ? "closing" : active ? "active" : "inactive");
    if (h->fd >= 0) {
        loop__mon_out(o, " fd=%d", h->fd);
    }
    if (h->parent_task != 0) {
        loop__mon_out(o, " task=%" PRIu64, h->parent_task);
    }
    loop__mon_out_site(o, "created", h->site);
    loop__mon_out(o, "\n");
}

/* The handles walk: rows of the program's handles, and a count of libloop's own. */
struct handle_walk {
    struct mon_rows rows;
    size_t internal, internal_active;
};

static int handle_rows_visit(loop_queue_t *node, void *arg)
{
    struct handle_walk *hw = arg;
    struct mon_rows *rows = &hw->rows;
    const loop_handle_t *h = loop__queue_data(node, loop_handle_t, all);
    struct mon_handle_row *r;

    if (h->flags & LOOP__H_INTERNAL) {
        hw->internal++;
        hw->internal_active += (h->flags & LOOP__H_ACTIVE) != 0;
        return MON_NEXT;
    }
    r = loop__mon_rows_slot(rows);
    if (r == NULL) {
        return MON_FULL;
    }
    loop__mon_handle_row(h, r);
    rows->n++;
    return MON_NEXT;
}

static void cmd_handles(struct loop__monitor *m, struct mon_out *o)
{
    loop_t *loop = m->loop;
    struct handle_walk hw = {.rows = {.size = sizeof(struct mon_handle_row)}};
    size_t active;

    loop__mon_lock(loop);
    active = loop->active;
    loop__mon_unlock(loop);
    loop__mon_walk(loop, MON_HANDLES, handle_rows_visit, &hw, &hw.rows);
    out_nomem(o, &hw.rows);
    loop__mon_out(o, "loop id=%" PRIu64 " active-handles=%zu (* keeps the loop alive)\n", loop->id,
        active);
    loop__mon_out_busy(o, loop, loop__hrtime_ns());
    loop__mon_out_allow_rows(o, hw.rows.n);
    for (size_t i = 0; i < hw.rows.n; i++) {
        out_handle_line(o, (struct mon_handle_row *)hw.rows.v + i);
    }
    if (hw.rows.n == 0) {
        loop__mon_out(o, "(no handles of the program)\n");
    }
    /* active-handles (and stats) count them too: say what they are */
    if (hw.internal > 0) {
        loop__mon_out(o, "(%zu internal handle(s) not listed, %zu active: libloop's own, such as "
                         "the timers of waiting tasks and the dump signal)\n",
                      hw.internal, hw.internal_active);
    }
    free(hw.rows.v);
}

/* The wait-for chain: who waits for whom, until a task that waits for no task. */
static void out_chain(struct mon_out *o, loop_t *loop, const loop_task_info_t *first,
                      struct mon_find *f)
{
    uint64_t seen[MON_CHAIN_MAX];
    size_t nseen = 0;
    loop_task_info_t ti = *first;

    if (ti.state != LOOP_TASK_WAITING || ti.wait_task_id == 0) {
        return;
    }
    loop__mon_out(o, "  wait-for: task %" PRIu64, ti.id);
    seen[nseen++] = ti.id;
    while (ti.state == LOOP_TASK_WAITING && ti.wait_task_id != 0) {
        uint64_t next = ti.wait_task_id;
        const char *how = ti.wait_kind == LOOP_WAIT_LOCK ? "lock owned by" : "joins";
        for (size_t i = 0; i < nseen; i++) {
            if (seen[i] == next) {
                loop__mon_out(o, " -> %s task %" PRIu64 ": a cycle (deadlock)\n", how, next);
                return;
            }
        }
        if (!loop__mon_find_task(loop, next, f)) {
            loop__mon_out(o, " -> %s task %" PRIu64 " (released)\n", how, next);
            return;
        }
        ti = f->task.ti;
        loop__mon_out(o, " -> %s task %" PRIu64 " (%s", how, ti.id, loop_task_state_name(ti.state));
        if (ti.state == LOOP_TASK_WAITING) {
            loop__mon_out(o, " on %s", loop_wait_kind_name(ti.wait_kind));
        }
        loop__mon_out(o, ")");
        if (nseen == MON_CHAIN_MAX) {
            loop__mon_out(o, " ...\n");
            return;
        }
        seen[nseen++] = ti.id;
    }
    loop__mon_out(o, "\n");
}

static void out_site_line(struct mon_out *o, const char *label, const loop_site_t *s)
{
    if (s != NULL) {
        loop__mon_out(o, "  %s: %s:%d (%s)\n", label, s->file ? s->file : "?", s->line,
            s->func ? s->func : "?");
    }
}

static int parse_id(const char *s, uint64_t *id)
{
    char *end;

    if (s == NULL || *s < '0' || *s > '9') {
        return -EINVAL;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0) {
        return -EINVAL;
    }
    *id = v;
    return 0;
}

static void out_where_task(struct mon_out *o, loop_t *loop, struct mon_find *f, uint64_t now_ns)
{
    loop_task_info_t ti = f->task.ti;
    void *frames[LOOP__TASK_BT_DEPTH];
    int depth = f->depth;

    memcpy(frames, f->frames, sizeof(frames));
    loop__mon_out_task_line(o, &ti, now_ns);
    loop__mon_out(o, "  state: %s for %.1f ms, %" PRIu64 " steps, %.3f ms running\n",
        loop_task_state_name(ti.state), loop__mon_ms_since(now_ns, ti.since_ns), ti.steps,
        (double)ti.run_ns / 1e6);
    if (ti.state == LOOP_TASK_WAITING) {
        loop__mon_out(o, "  waits on: %s obj=%" PRIu64, loop_wait_kind_name(ti.wait_kind),
            ti.wait_obj_id);
        if (ti.timeout_ms >= 0) {
            loop__mon_out(o, " timeout-ms=%" PRId64, ti.timeout_ms);
        } else {
            loop__mon_out(o, " no timeout");
        }
        loop__mon_out(o, "\n");
    }
    if (ti.state == LOOP_TASK_RUNNING &&
        atomic_load_explicit(&loop->cur_start_ns, memory_order_acquire) != 0 &&
        atomic_load_explicit(&loop->cur_id, memory_order_relaxed) == ti.id) {
        loop__mon_out(o, "  running now: this task's step is what the loop thread runs\n");
    }
    out_site_line(o, "suspended at", ti.wait_site);
    if (depth > 0) {
        char **syms = backtrace_symbols(frames, depth);
        loop__mon_out(o, "  backtrace at its suspension:\n");
        for (int i = 1; i < depth; i++) { /* 0 is loop__task_suspend */
            loop__mon_out(o, "    #%d %s\n", i - 1, syms ? syms[i] : "?");
        }
        free(syms);
    }
    out_site_line(o, "created at", ti.create_site);
    if (ti.parent_id != 0) {
        loop__mon_out(o, "  parent: task %" PRIu64 "\n", ti.parent_id);
    }
    out_chain(o, loop, &ti, f);
}

static void cmd_where(struct loop__monitor *m, struct mon_out *o, const char *arg)
{
    loop_t *loop = m->loop;
    struct mon_find *f;
    uint64_t id;

    if (parse_id(arg, &id) < 0) {
        loop__mon_out(o, "error: usage: where ID (a task or handle id, see ps and handles)\n");
        return;
    }
    f = malloc(sizeof(*f));
    if (f == NULL) {
        loop__mon_out(o, "error: out of memory\n");
        return;
    }
    if (loop__mon_find_task(loop, id, f)) {
        loop__mon_out_busy(o, loop, loop__hrtime_ns());
        out_where_task(o, loop, f, loop__hrtime_ns());
    } else if (loop__mon_find_handle(loop, id, f)) {
        struct mon_handle_row h = f->handle;
        loop__mon_out_busy(o, loop, loop__hrtime_ns());
        out_handle_line(o, &h);
        out_site_line(o, "created at", h.site);
    } else {
        loop__mon_out(o, "error: no task or handle id=%" PRIu64 "\n", id); /* errors come first */
    }
    free(f);
}

/* Loop thread: carry out the cancel requests the monitor thread queued. */
void loop__mon_on_cancel_requests(loop_async_t *a)
{
    struct loop__monitor *m = loop__container_of(a, struct loop__monitor, async);
    uint64_t ids[MON_CANCELS];
    size_t n;

    pthread_mutex_lock(&m->cancel_mu);
    n = m->ncancel;
    memcpy(ids, m->cancel_ids, n * sizeof(ids[0]));
    m->ncancel = 0;
    pthread_mutex_unlock(&m->cancel_mu);
    loop__attach_on_loop(m); /* trace on/off and snapshot requests (attach.c) */
    for (size_t i = 0; i < n; i++) {
        struct find_task f = {ids[i], NULL};
        loop_task_walk(m->loop, find_task_cb, &f);
        loop_task_t *t = f.task;
        /* the done record says who asked: ps-done's "cancelled by the monitor" */
        int rc = t != NULL ? loop__task_cancel_from(t, LOOP_CANCEL_MONITOR) : -ESRCH;
        loop__rr_outcome(m->loop, LOOP__NOTE_MON_CANCEL, ids[i], rc); /* replay does it again */
        loop_log(LOOP_LOG_INFO, "Monitor: cancel task id=%" PRIu64 " name=\"%s\": %s", ids[i],
                 t != NULL ? loop__h_label(&t->hdr) : "", rc == 0 ? "done" : loop_err_name(rc));
    }
}

static void cmd_cancel(struct loop__monitor *m, struct mon_out *o, const char *arg)
{
    loop_t *loop = m->loop;
    struct mon_find *f;
    uint64_t id;
    bool queued = false;

    if (parse_id(arg, &id) < 0) {
        loop__mon_out(o, "error: usage: cancel ID (a task id, see ps)\n");
        return;
    }
    f = malloc(sizeof(*f));
    if (f == NULL) {
        loop__mon_out(o, "error: out of memory\n");
        return;
    }
    if (!loop__mon_find_task(loop, id, f)) {
        loop__mon_out(o, "error: no task id=%" PRIu64 "\n", id);
    } else if (f->task.ti.state >= LOOP_TASK_DONE) {
        loop__mon_out(o, "error: task id=%" PRIu64 " already finished (%s)\n", id,
            loop_task_state_name(f->task.ti.state));
    } else {
        pthread_mutex_lock(&m->cancel_mu);
        if (m->ncancel < MON_CANCELS) {
            m->cancel_ids[m->ncancel++] = id;
            queued = true;
        }
        pthread_mutex_unlock(&m->cancel_mu);
        if (queued) {
            loop__mon_out(o, "cancel requested: task id=%" PRIu64 " name=\"%s\" (the loop thread carries it out)\n",
                id, f->task.name);
            loop__mon_out_busy(o, loop, loop__hrtime_ns());
        } else {
            loop__mon_out(o, "error: too many cancel requests pending, try again\n");
        }
    }
    free(f);
    if (queued) {
        loop_async_send(&m->async);
    }
}

static int count_handles_visit(loop_queue_t *node, void *arg)
{
    size_t *n = arg;

    *n += !(loop__queue_data(node, loop_handle_t, all)->flags & LOOP__H_INTERNAL);
    return MON_NEXT;
}

/* stats: counters, and per task the step-time and ready-to-run histograms (like tokio-console). */
static void cmd_stats(struct loop__monitor *m, struct mon_out *o)
{
    loop_t *loop = m->loop;
    struct mon_rows rows = {.size = sizeof(struct mon_task_row), .max = 51};
    struct task_rows_ctx x = {&rows, true};
    struct loop__hist lag;
    uint64_t wait_ns, wait_max_ns;
    loop_stats_t s;
    size_t open = 0;
    uint64_t now_ns = loop__hrtime_ns();

    loop__mon_lock(loop);
    s = loop->stats;
    s.tasks_alive = loop->tasks_alive;
    s.handles_active = loop->active;
    lag = loop->lag;
    wait_ns = loop->inspect_wait_ns;
    wait_max_ns = loop->inspect_wait_max_ns;
    loop__mon_unlock(loop);
    s.callbacks = atomic_load_explicit(&loop->n_callbacks, memory_order_relaxed);
    s.iterations = atomic_load_explicit(&loop->n_iterations, memory_order_relaxed);
    loop__mon_walk(loop, MON_HANDLES, count_handles_visit, &open, NULL);
    s.handles_open = open;
    loop__mon_walk(loop, MON_TASKS, task_rows_visit, &x, &rows);

    loop__mon_out(o, "loop id=%" PRIu64 "\n", loop->id);
    loop__mon_out(o, "iterations=%" PRIu64 "\n", s.iterations);
    loop__mon_out(o, "callbacks=%" PRIu64 "\n", s.callbacks);
    loop__mon_out(o, "callbacks-per-s=%.1f (since the monitor started or the previous stats)\n",
        now_ns > m->stats_ns ? (double)(s.callbacks - m->stats_callbacks) * 1e9 /
                                   (double)(now_ns - m->stats_ns)
                             : 0.0);
    loop__mon_out(o, "tasks-spawned=%" PRIu64 "\n", s.tasks_spawned);
    loop__mon_out(o, "tasks-alive=%" PRIu64 "\n", s.tasks_alive);
    loop__mon_out(o, "handles-open=%" PRIu64 "\n", s.handles_open);
    loop__mon_out(o, "handles-active=%" PRIu64 "\n", s.handles_active);
    loop__mon_out(o, "slow-callbacks=%" PRIu64 "\n", s.slow_callbacks);
    loop__mon_out(o, "stalls=%" PRIu64 "\n", s.stalls);
    loop__mon_out(o, "busy-ms=%.1f\n", (double)s.busy_ns / 1e6);
    loop__mon_out(o, "poll-ms=%.1f\n", (double)s.poll_ns / 1e6);
    if (s.poll_ns > 0) {
        loop__mon_out(o, "busy-fraction=%.3f\n", (double)s.busy_ns / (double)(s.busy_ns + s.poll_ns));
    }
    if (lag.count > 0) {
        loop__mon_out(o, "loop-lag-ms p50=%.3f p99=%.3f max=%.3f (how late timers fired)\n",
                      (double)loop__hist_pct(&lag, 50) / 1e6, (double)loop__hist_pct(&lag, 99) / 1e6,
                      (double)lag.max_ns / 1e6);
    }
    loop__mon_out(o, "monitor-wait-ms total=%.3f max=%.3f (the loop thread waiting for the monitor)\n",
                  (double)wait_ns / 1e6, (double)wait_max_ns / 1e6);
    out_nomem(o, &rows);
    for (size_t i = 0; i < rows.n; i++) {
        struct mon_task_row *r = (struct mon_task_row *)rows.v + i;
        const loop_task_info_t *ti = &r->ti;
        if (ti->step_max_ns == 0 && ti->delay_max_ns == 0) {
            continue;
        }
        if (i == 0) {
            loop__mon_out(o, "tasks (step time and ready-to-run delay, us: p50 p99 max):\n");
        }
        if (i == 50) {
            loop__mon_out(o, "  ... (first 50 shown)\n");
            break;
        }
        loop__mon_out(o,
                      "  %-6" PRIu64 " %-16s steps=%-8" PRIu64 " step %.1f %.1f %.1f  delay %.1f %.1f %.1f\n",
                      ti->id, r->name, ti->steps, (double)ti->step_p50_ns / 1e3,
                      (double)ti->step_p99_ns / 1e3, (double)ti->step_max_ns / 1e3,
                      (double)ti->delay_p50_ns / 1e3, (double)ti->delay_p99_ns / 1e3,
                      (double)ti->delay_max_ns / 1e3);
    }
    free(rows.v);
    loop__mon_out_busy(o, loop, now_ns);
    m->stats_ns = now_ns;
    m->stats_callbacks = s.callbacks;
}

/* slow: the ring of recent slow callbacks, copied under the lock. */
struct slow_row {
    uint64_t id, duration_ns, at_ns;
    int kind;
    const loop_site_t *site;
    char name[MON_NAME_MAX];
};

struct slow_ctx {
    struct slow_row rows[MON_SLOW_MAX];
    size_t n;
};

static void slow_cb(void *arg, uint64_t id, int kind, const char *name, const loop_site_t *site,
                    uint64_t duration_ns, uint64_t at_ns)
{
    struct slow_ctx *x = arg;

    if (x->n < MON_SLOW_MAX) {
        struct slow_row *r = &x->rows[x->n++];
        *r = (struct slow_row){id, duration_ns, at_ns, kind, site, ""};
        loop__mon_copy_name(r->name, name);
    }
}

static void cmd_slow(struct loop__monitor *m, struct mon_out *o)
{
    struct slow_ctx *x = calloc(1, sizeof(*x));
    uint64_t now_ns;

    if (x == NULL) {
        loop__mon_out(o, "error: out of memory\n");
        return;
    }
    loop__mon_lock(m->loop);
    loop__debug_slow_list(m->loop, slow_cb, x);
    loop__mon_unlock(m->loop);
    now_ns = loop__hrtime_ns();
    for (size_t i = 0; i < x->n; i++) {
        const struct slow_row *r = &x->rows[i];
        loop__mon_out(o, "slow kind=%s id=%" PRIu64 " name=\"%s\" took-ms=%.1f ago-ms=%.0f",
            loop_kind_name(r->kind), r->id, r->name, (double)r->duration_ns / 1e6,
            loop__mon_ms_since(now_ns, r->at_ns));
        loop__mon_out_site(o, "site", r->site);
        loop__mon_out(o, "\n");
    }
    if (x->n == 0) {
        loop__mon_out(o, "(no slow callbacks recorded%s)\n",
            loop_get_debug(m->loop) ? "" : "; they are recorded in debug mode: LOOP_DEBUG=1");
    }
    free(x);
}

/* ps-done: the recently finished tasks, newest first, with cancellation chains. */
struct done_snap {
    loop_task_done_info_t d[LOOP__TASK_HISTORY]; /* newest first */
    char names[LOOP__TASK_HISTORY][MON_NAME_MAX];
    unsigned n;
};

static const loop_task_done_info_t *history_find(const struct done_snap *h, uint64_t id)
{
    for (unsigned i = 0; i < h->n; i++) {
        if (h->d[i].id == id) {
            return &h->d[i];
        }
    }
    return NULL;
}

static void out_done(struct mon_out *o, const struct done_snap *h, unsigned i, uint64_t now_ns)
{
    const loop_task_done_info_t *d = &h->d[i];
    const loop_site_t *s = d->create_site;

    loop__mon_out(o, "  %-6" PRIu64 " %-16s %-9s %-10s ended %.1f ms ago, %" PRIu64 " steps",
                  d->id, h->names[i], loop_task_state_name(d->state),
                  d->state == LOOP_TASK_FAILED ? loop_err_name(d->error) : "",
                  loop__mon_ms_since(now_ns, d->end_ns), d->steps);
    if (d->state == LOOP_TASK_CANCELLED) {
        uint64_t by = d->cancelled_by;
        loop__mon_out(o, ", cancelled by %s",
                      by                                         ? ""
                      : d->cancel_source == LOOP_CANCEL_MONITOR ? "the monitor"
                                                                 : "a callback");
        for (int hop = 0; by != 0 && hop < MON_CHAIN_MAX; hop++) {
            const loop_task_done_info_t *c = history_find(h, by);
            loop__mon_out(o, "%stask %" PRIu64, hop ? " <- cancelled by " : "", by);
            by = c != NULL && c->state == LOOP_TASK_CANCELLED ? c->cancelled_by : 0;
        }
    }
    if (s != NULL) {
        loop__mon_out(o, " created=%s:%d (%s)", s->file, s->line, s->func);
    }
    loop__mon_out(o, "\n");
}

static void cmd_ps_done(struct loop__monitor *m, struct mon_out *o)
{
    struct done_snap *h = calloc(1, sizeof(*h));
    uint64_t now_ns;

    if (h == NULL) {
        loop__mon_out(o, "error: out of memory\n");
        return;
    }
    loop__mon_lock(m->loop);
    struct loop__tasks *ts = m->loop->tasks;
    for (unsigned i = 0; ts != NULL && i < LOOP__TASK_HISTORY && i < ts->history_next; i++) {
        h->d[h->n] = ts->history[(ts->history_next - 1 - i) % LOOP__TASK_HISTORY];
        loop__mon_copy_name(h->names[h->n], h->d[h->n].name);
        h->n++;
    }
    loop__mon_unlock(m->loop);
    now_ns = loop__hrtime_ns(); /* end_ns is the loop's clock: monotonic ns */
    for (unsigned i = 0; i < h->n; i++) {
        out_done(o, h, i, now_ns);
    }
    if (h->n == 0) {
        loop__mon_out(o, "(no finished tasks recorded yet)\n");
    }
    free(h);
}

/* trace [on|off]: tracing a running process (attach.c does the work). */
static void cmd_trace(struct loop__monitor *m, struct mon_out *o, const char *arg)
{
    if (arg != NULL && (strcmp(arg, "on") == 0 || strcmp(arg, "off") == 0)) {
        bool on = arg[1] == 'n';
        loop__attach_request(m, on);
        loop__mon_out(o, on ? "trace on requested: the loop thread loads the probe and emits a state "
                              "snapshot, then one every 2 s (see trace)\n"
                            : "trace off requested: no more snapshots; events stop when the LTTng "
                              "session stops\n");
        return;
    }
    if (arg != NULL) {
        loop__mon_out(o, "error: usage: trace [on|off]\n");
        return;
    }
    int err = atomic_load(&m->trace_err);
    loop__mon_out(o, "trace=%s probe=%s snapshots=%" PRIu64 "%s%s\n",
                  atomic_load(&m->trace_on) ? "on" : "off",
                  loop__trace_probe_loaded() ? "loaded" : "not-loaded",
                  (uint64_t)atomic_load(&m->trace_snapshots), err < 0 ? " error=" : "",
                  err < 0 ? loop_err_name(err) : "");
}

static const char help_text[] =
    "commands:\n"
    "  ps          tasks: id, name, state, what each waits on, age, where suspended, created\n"
    "  ps-done     the last finished tasks: how each ended, who cancelled whom\n"
    "  where ID    one task (or handle) in detail, with its wait-for chain\n"
    "  cancel ID   cancel a task (carried out by the loop thread)\n"
    "  handles     handles; * marks what keeps the loop alive\n"
    "  stats       counters: iterations, callbacks, tasks, handles, busy time, stalls\n"
    "  slow        the most recent slow callbacks (debug mode)\n"
    "  trace on|off  trace this running process: load the probe, emit state snapshots\n"
    "  trace       tracing state: on/off, probe loaded, snapshots emitted\n"
    "  help        this text\n"
    "  quit        close the connection\n"
    "every reply ends with a line \".\"\n";

bool loop__mon_run_command(struct loop__monitor *m, struct mon_out *o, char *line)
{
    char *cmd = line, *arg, *end;

    while (*cmd == ' ' || *cmd == '\t') {
        cmd++;
    }
    end = cmd + strlen(cmd);
    while (end > cmd && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) {
        *--end = '\0';
    }
    if (*cmd == '\0') {
        return true; /* empty line: nothing to answer */
    }
    arg = cmd + strcspn(cmd, " \t");
    if (*arg != '\0') {
        *arg++ = '\0';
        arg += strspn(arg, " \t");
    } else {
        arg = NULL;
    }
    bool keep = true;
    if (strcmp(cmd, "ps") == 0 && arg == NULL) {
        cmd_ps(m, o);
    } else if (strcmp(cmd, "where") == 0) {
        cmd_where(m, o, arg);
    } else if (strcmp(cmd, "cancel") == 0) {
        cmd_cancel(m, o, arg);
    } else if (strcmp(cmd, "handles") == 0 && arg == NULL) {
        cmd_handles(m, o);
    } else if (strcmp(cmd, "stats") == 0 && arg == NULL) {
        cmd_stats(m, o);
    } else if (strcmp(cmd, "slow") == 0 && arg == NULL) {
        cmd_slow(m, o);
    } else if (strcmp(cmd, "ps-done") == 0 && arg == NULL) {
        cmd_ps_done(m, o);
    } else if (strcmp(cmd, "trace") == 0) {
        cmd_trace(m, o, arg);
    } else if (strcmp(cmd, "help") == 0) {
        loop__mon_out(o, "%s", help_text);
    } else if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "exit") == 0) {
        loop__mon_out(o, "bye\n");
        keep = false;
    } else {
        loop__mon_out(o, "error: unknown command or arguments: \"%.64s\" (try help)\n", cmd);
    }
    loop__mon_out(o, ".\n");
    o->max = 0;
    return keep;
}
