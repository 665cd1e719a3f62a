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
#include <unistd.h>

#include "core/internal.h"
#include "task/task.h"
#include "core/trace.h"
#include "monitor.h"

/* Output ------------------------------------------------------------------------ */

static void out_vprintf(struct mon_out *o, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    if (o->overflow) {
        return;
    }
    va_copy(ap2, ap);
    n = vsnprintf(o->buf != NULL ? o->buf + o->len : NULL, o->cap - o->len, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return;
    }
    if (o->len + (size_t)n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + (size_t)n + 1) {
            cap *= 2;
        }
        if (o->len + (size_t)n > MON_OUT_MAX) {
            o->overflow = true;
            return;
        }
        char *buf = realloc(o->buf, cap);
        if (buf == NULL) {
            o->overflow = true;
            o->nomem = true;
            return;
        }
        o->buf = buf;
        o->cap = cap;
        vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    }
    o->len += (size_t)n;
}

void loop__mon_out(struct mon_out *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    out_vprintf(o, fmt, ap);
    va_end(ap);
}

static void out_site(struct mon_out *o, const char *label, const loop_site_t *s)
{
    if (s != NULL) {
        loop__mon_out(o, " %s=%s:%d (%s)", label, s->file ? s->file : "?", s->line,
            s->func ? s->func : "?");
    }
}

static double ms_since(uint64_t now_ns, uint64_t then_ns)
{
    return now_ns > then_ns ? (double)(now_ns - then_ns) / 1e6 : 0.0;
}

/* Lookups (under inspect_mu) ----------------------------------------------------- */

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

static loop_task_t *find_task(loop_t *loop, uint64_t id)
{
    struct find_task f = {id, NULL};

    loop_task_walk(loop, find_task_cb, &f);
    return f.task;
}

static loop_handle_t *find_handle(loop_t *loop, uint64_t id)
{
    loop_queue_t *q;

    loop__queue_foreach(q, &loop->handles) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        if (h->id == id && !(h->flags & LOOP__H_INTERNAL)) {
            return h;
        }
    }
    return NULL;
}

/* "loop is busy in kind=X id=Y for N ms", from what the loop thread publishes. */
static void out_busy(struct mon_out *o, loop_t *loop, uint64_t now_ns)
{
    uint64_t start = atomic_load_explicit(&loop->cur_start_ns, memory_order_acquire);
    uint64_t id = atomic_load_explicit(&loop->cur_id, memory_order_relaxed);
    int kind = atomic_load_explicit(&loop->cur_kind, memory_order_relaxed);
    const char *name = NULL;
    const loop_site_t *site = NULL;

    if (start == 0) {
        loop__mon_out(o, "loop is idle (not dispatching)\n");
        return;
    }
    if (kind == LOOP_KIND_TASK) {
        loop_task_t *t = find_task(loop, id);
        if (t != NULL) {
            name = t->hdr.name;
            site = t->hdr.site;
        }
    } else {
        loop_handle_t *h = find_handle(loop, id);
        if (h != NULL) {
            name = h->name;
            site = h->site;
        }
    }
    loop__mon_out(o, "loop is busy in kind=%s id=%" PRIu64 " for %.0f ms name=\"%s\"", loop_kind_name(kind),
        id, ms_since(now_ns, start), name ? name : "");
    out_site(o, "site", site);
    loop__mon_out(o, "\n");
}

/* Commands ----------------------------------------------------------------------- */

static void out_task_line(struct mon_out *o, const loop_task_info_t *ti, uint64_t now_ns)
{
    loop__mon_out(o, "task id=%" PRIu64 " name=\"%s\" state=%s", ti->id, ti->name ? ti->name : "",
        loop_task_state_name(ti->state));
    if (ti->state == LOOP_TASK_WAITING) {
        loop__mon_out(o, " wait=%s obj=%" PRIu64, loop_wait_kind_name(ti->wait_kind), ti->wait_obj_id);
        if (ti->wait_task_id != 0) {
            loop__mon_out(o, " %s=%" PRIu64, ti->wait_kind == LOOP_WAIT_LOCK ? "owner" : "task",
                ti->wait_task_id);
        }
        if (ti->timeout_ms >= 0) {
            loop__mon_out(o, " timeout-ms=%" PRId64, ti->timeout_ms);
        }
    }
    if (ti->state == LOOP_TASK_FAILED) {
        loop__mon_out(o, " err=%s", loop_err_name(ti->error));
    }
    loop__mon_out(o, " age-ms=%.1f parent=%" PRIu64 " steps=%" PRIu64, ms_since(now_ns, ti->since_ns),
        ti->parent_id, ti->steps);
    out_site(o, "at", ti->wait_site);
    out_site(o, "created", ti->create_site);
    loop__mon_out(o, "\n");
}

struct ps_ctx {
    struct mon_out *o;
    uint64_t now_ns;
    size_t n;
};

static int ps_cb(loop_task_t *t, void *arg)
{
    struct ps_ctx *x = arg;
    loop_task_info_t ti;

    loop_task_info(t, &ti);
    out_task_line(x->o, &ti, x->now_ns);
    x->n++;
    return 0;
}

static void cmd_ps(struct loop__monitor *m, struct mon_out *o)
{
    loop_t *loop = m->loop;
    struct ps_ctx x = {o, 0, 0};

    loop__inspect_lock(loop);
    x.now_ns = loop__hrtime_ns();
    loop__mon_out(o, "loop id=%" PRIu64 " pid=%ld tasks-alive=%zu\n", loop->id, (long)getpid(),
        loop->tasks_alive);
    out_busy(o, loop, x.now_ns);
    loop_task_walk(loop, ps_cb, &x);
    loop__inspect_unlock(loop);
    if (x.n == 0) {
        loop__mon_out(o, "(no tasks)\n");
    }
}

static void out_handle_line(struct mon_out *o, const loop_handle_t *h)
{
    int active = (h->flags & LOOP__H_ACTIVE) != 0;

    loop__mon_out(o, "%c handle id=%" PRIu64 " kind=%s name=\"%s\" %s", active ? '*' : ' ', h->id,
        loop_kind_name(h->kind), h->name ? h->name : "",
        (h->flags & LOOP__H_CLOSING) ? "closing" : active ? "active" : "inactive");
    if (h->kind == LOOP_KIND_IO) {
        loop__mon_out(o, " fd=%d", ((const loop_io_t *)h)->fd);
    }
    if (h->parent_task != 0) {
        loop__mon_out(o, " task=%" PRIu64, h->parent_task);
    }
    out_site(o, "created", h->site);
    loop__mon_out(o, "\n");
}

static void cmd_handles(struct loop__monitor *m, struct mon_out *o)
{
    loop_t *loop = m->loop;
    loop_queue_t *q;
    size_t n = 0, internal = 0, internal_active = 0;

    loop__inspect_lock(loop);
    loop__mon_out(o, "loop id=%" PRIu64 " active-handles=%zu (* keeps the loop alive)\n", loop->id,
        loop->active);
    out_busy(o, loop, loop__hrtime_ns());
    loop__queue_foreach(q, &loop->handles) {
        const loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        if (!(h->flags & LOOP__H_INTERNAL)) {
            out_handle_line(o, h);
            n++;
        } else {
            internal++;
            internal_active += (h->flags & LOOP__H_ACTIVE) != 0;
        }
    }
    loop__inspect_unlock(loop);
    if (n == 0) {
        loop__mon_out(o, "(no handles of the program)\n");
    }
    /* active-handles (and stats) count them too: say what they are */
    if (internal > 0) {
        loop__mon_out(o, "(%zu internal handle(s) not listed, %zu active: libloop's own, such as "
                         "the timers of waiting tasks and the dump signal)\n",
                      internal, internal_active);
    }
}

/* The wait-for chain: who waits for whom, until a task that waits for no task. */
static void out_chain(struct mon_out *o, loop_t *loop, const loop_task_info_t *first)
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
        loop_task_t *t = find_task(loop, next);
        if (t == NULL) {
            loop__mon_out(o, " -> %s task %" PRIu64 " (released)\n", how, next);
            return;
        }
        loop_task_info(t, &ti);
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

static void cmd_where(struct loop__monitor *m, struct mon_out *o, const char *arg)
{
    loop_t *loop = m->loop;
    uint64_t id, now_ns;
    loop_task_t *t;
    loop_handle_t *h;

    if (parse_id(arg, &id) < 0) {
        loop__mon_out(o, "error: usage: where ID (a task or handle id, see ps and handles)\n");
        return;
    }
    loop__inspect_lock(loop);
    now_ns = loop__hrtime_ns();
    t = find_task(loop, id);
    h = t == NULL ? find_handle(loop, id) : NULL;
    if (t == NULL && h == NULL) {
        loop__mon_out(o, "error: no task or handle id=%" PRIu64 "\n", id); /* errors come first */
    } else {
        out_busy(o, loop, now_ns);
    }
    if (t != NULL) {
        loop_task_info_t ti;
        loop_task_info(t, &ti);
        out_task_line(o, &ti, now_ns);
        loop__mon_out(o, "  state: %s for %.1f ms, %" PRIu64 " steps, %.3f ms running\n",
            loop_task_state_name(ti.state), ms_since(now_ns, ti.since_ns), ti.steps,
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
        void *frames[LOOP__TASK_BT_DEPTH];
        int depth = ti.state == LOOP_TASK_WAITING ? loop_task_backtrace(t, frames, LOOP__TASK_BT_DEPTH) : 0;
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
        out_chain(o, loop, &ti);
    } else if (h != NULL) {
        out_handle_line(o, h);
        out_site_line(o, "created at", h->site);
    }
    loop__inspect_unlock(loop);
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
        loop_task_t *t = find_task(m->loop, ids[i]);
        int rc = t != NULL ? loop_task_cancel(t) : -ESRCH;
        loop_log(LOOP_LOG_INFO, "Monitor: cancel task id=%" PRIu64 " name=\"%s\": %s", ids[i],
                 t != NULL && t->hdr.name ? t->hdr.name : "", rc == 0 ? "done" : loop_err_name(rc));
    }
}

static void cmd_cancel(struct loop__monitor *m, struct mon_out *o, const char *arg)
{
    loop_t *loop = m->loop;
    uint64_t id;
    bool queued = false;

    if (parse_id(arg, &id) < 0) {
        loop__mon_out(o, "error: usage: cancel ID (a task id, see ps)\n");
        return;
    }
    loop__inspect_lock(loop);
    loop_task_t *t = find_task(loop, id);
    if (t == NULL) {
        loop__mon_out(o, "error: no task id=%" PRIu64 "\n", id);
    } else if (loop__task_finished(t)) {
        loop__mon_out(o, "error: task id=%" PRIu64 " already finished (%s)\n", id,
            loop_task_state_name(t->state));
    } else {
        pthread_mutex_lock(&m->cancel_mu);
        if (m->ncancel < MON_CANCELS) {
            m->cancel_ids[m->ncancel++] = id;
            queued = true;
        }
        pthread_mutex_unlock(&m->cancel_mu);
        if (queued) {
            loop__mon_out(o, "cancel requested: task id=%" PRIu64 " name=\"%s\" (the loop thread carries it out)\n",
                id, t->hdr.name ? t->hdr.name : "");
        } else {
            loop__mon_out(o, "error: too many cancel requests pending, try again\n");
        }
    }
    if (queued) {
        out_busy(o, loop, loop__hrtime_ns());
    }
    loop__inspect_unlock(loop);
    if (queued) {
        loop_async_send(&m->async);
    }
}

/* stats: per task, the step-time and ready-to-run histograms (like tokio-console). */
struct hist_ctx {
    struct mon_out *o;
    int n;
};

static int task_hist_cb(loop_task_t *t, void *arg)
{
    struct hist_ctx *x = arg;
    loop_task_info_t ti;

    loop_task_info(t, &ti);
    if (ti.steps == 0 || (ti.step_max_ns == 0 && ti.delay_max_ns == 0)) {
        return 0;
    }
    if (x->n++ == 0) {
        loop__mon_out(x->o, "tasks (step time and ready-to-run delay, us: p50 p99 max):\n");
    }
    if (x->n > 50) {
        return x->n == 51 ? (loop__mon_out(x->o, "  ... (first 50 shown)\n"), 0) : 0;
    }
    loop__mon_out(x->o,
                  "  %-6" PRIu64 " %-16s steps=%-8" PRIu64 " step %.1f %.1f %.1f  delay %.1f %.1f %.1f\n",
                  ti.id, ti.name ? ti.name : "", ti.steps, (double)ti.step_p50_ns / 1e3,
                  (double)ti.step_p99_ns / 1e3, (double)ti.step_max_ns / 1e3,
                  (double)ti.delay_p50_ns / 1e3, (double)ti.delay_p99_ns / 1e3,
                  (double)ti.delay_max_ns / 1e3);
    return 0;
}

static void cmd_stats(struct loop__monitor *m, struct mon_out *o)
{
    loop_stats_t s;
    uint64_t now_ns = loop__hrtime_ns();

    loop_get_stats(m->loop, &s);
    loop__mon_out(o, "loop id=%" PRIu64 "\n", m->loop->id);
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
    loop__inspect_lock(m->loop);
    if (m->loop->lag.count > 0) {
        loop__mon_out(o, "loop-lag-ms p50=%.3f p99=%.3f max=%.3f (how late timers fired)\n",
                      (double)loop__hist_pct(&m->loop->lag, 50) / 1e6,
                      (double)loop__hist_pct(&m->loop->lag, 99) / 1e6,
                      (double)m->loop->lag.max_ns / 1e6);
    }
    struct hist_ctx hx = {o, 0};
    loop_task_walk(m->loop, task_hist_cb, &hx);
    out_busy(o, m->loop, now_ns);
    loop__inspect_unlock(m->loop);
    m->stats_ns = now_ns;
    m->stats_callbacks = s.callbacks;
}

struct slow_ctx {
    struct mon_out *o;
    uint64_t now_ns;
};

static void slow_cb(void *arg, uint64_t id, int kind, const char *name, const loop_site_t *site,
                    uint64_t duration_ns, uint64_t at_ns)
{
    struct slow_ctx *x = arg;

    loop__mon_out(x->o, "slow kind=%s id=%" PRIu64 " name=\"%s\" took-ms=%.1f ago-ms=%.0f",
        loop_kind_name(kind), id, name ? name : "", (double)duration_ns / 1e6,
        ms_since(x->now_ns, at_ns));
    out_site(x->o, "site", site);
    loop__mon_out(x->o, "\n");
}

static void cmd_slow(struct loop__monitor *m, struct mon_out *o)
{
    struct slow_ctx x = {o, 0};
    size_t n;
    int debug;

    loop__inspect_lock(m->loop);
    x.now_ns = loop__hrtime_ns();
    n = loop__debug_slow_list(m->loop, slow_cb, &x);
    loop__inspect_unlock(m->loop);
    debug = loop_get_debug(m->loop);
    if (n == 0) {
        loop__mon_out(o, "(no slow callbacks recorded%s)\n",
            debug ? "" : "; they are recorded in debug mode: LOOP_DEBUG=1");
    }
}

/* ps-done: the recently finished tasks, newest first, with cancellation chains. */
struct done_ctx {
    struct mon_out *o;
    loop_t *loop;
    uint64_t now_ns;
    size_t n;
};

static const loop_task_done_info_t *history_find(loop_t *loop, uint64_t id)
{
    struct loop__tasks *ts = loop->tasks;

    for (unsigned i = 0; ts != NULL && i < LOOP__TASK_HISTORY && i < ts->history_next; i++) {
        const loop_task_done_info_t *d = &ts->history[(ts->history_next - 1 - i) % LOOP__TASK_HISTORY];
        if (d->id == id) {
            return d;
        }
    }
    return NULL;
}

static int done_cb(const loop_task_done_info_t *d, void *arg)
{
    struct done_ctx *x = arg;
    const loop_site_t *s = d->create_site;

    x->n++;
    loop__mon_out(x->o, "  %-6" PRIu64 " %-16s %-9s %-10s ended %.1f ms ago, %" PRIu64 " steps",
                  d->id, d->name ? d->name : "", loop_task_state_name(d->state),
                  d->state == LOOP_TASK_FAILED ? loop_err_name(d->error) : "",
                  d->end_ns <= x->now_ns ? (double)(x->now_ns - d->end_ns) / 1e6 : 0.0, d->steps);
    if (d->state == LOOP_TASK_CANCELLED) {
        uint64_t by = d->cancelled_by;
        loop__mon_out(x->o, ", cancelled by %s", by ? "" : "a callback");
        for (int hop = 0; by != 0 && hop < MON_CHAIN_MAX; hop++) {
            const loop_task_done_info_t *c = history_find(x->loop, by);
            loop__mon_out(x->o, "%stask %" PRIu64, hop ? " <- cancelled by " : "", by);
            by = c != NULL && c->state == LOOP_TASK_CANCELLED ? c->cancelled_by : 0;
        }
    }
    if (s != NULL) {
        loop__mon_out(x->o, " created=%s:%d (%s)", s->file, s->line, s->func);
    }
    loop__mon_out(x->o, "\n");
    return 0;
}

static void cmd_ps_done(struct loop__monitor *m, struct mon_out *o)
{
    struct done_ctx x = {o, m->loop, 0, 0};

    loop__inspect_lock(m->loop);
    x.now_ns = m->loop->now_ns;
    loop_task_history(m->loop, done_cb, &x);
    loop__inspect_unlock(m->loop);
    if (x.n == 0) {
        loop__mon_out(o, "(no finished tasks recorded yet)\n");
    }
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
    return keep;
}
