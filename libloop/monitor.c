/*
 * monitor.c — the live monitor (the aiomonitor analog): a thread per loop
 * serving a Unix socket on which a person, or loopctl, asks what the loop is
 * doing. Commands, one per line: ps, where ID, cancel ID, handles, stats,
 * slow, help, quit. Every reply ends with a line holding a single "."; the
 * first line of an error reply starts with "error:".
 *
 * Threads. loop_monitor_start/stop run on the loop thread. The monitor
 * thread reads the task and handle tables under loop->inspect_mu, which the
 * core takes around every change of those tables while loop->monitor is set:
 * ps and where answer while the loop thread is blocked in a callback. What
 * must run on the loop thread (cancel) is posted through an internal async
 * handle that never keeps the loop alive.
 *
 * Security. Never TCP. The socket is mode 0600, in a directory we own that
 * nobody else can write (0700 when we create it); symlinks are refused, not
 * followed. Every connection's peer uid (SO_PEERCRED) must equal our
 * effective uid, root included: another uid is refused even when the file
 * permissions were loosened.
 *
 * Robustness. Client sockets are non-blocking; each has a bounded output
 * buffer. A line over MON_LINE_MAX bytes, or binary input (NUL, control
 * characters, bytes over 0x7e), gets one error reply and the connection is
 * closed. A client whose output does not drain is dropped when its buffer is
 * full or after MON_DRAIN_MS without progress, so a client that never reads
 * blocks neither the monitor nor the loop (the loop never waits on a socket).
 */
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

#include "internal.h"
#include "task.h"
#include "trace.h"

#define MON_LINE_MAX 1024          /* longest command line, bytes */
#define MON_OUT_MAX (1024 * 1024)  /* a client's pending output, bytes */
#define MON_CLIENTS 8              /* connections served at once */
#define MON_CANCELS 64             /* cancel requests waiting for the loop thread */
#define MON_POLL_MS 500            /* housekeeping period */
#define MON_DRAIN_MS 5000          /* a client with output pending and no progress this long is dropped */
#define MON_CHAIN_MAX 32           /* hops of a wait-for chain */

struct mon_out {
    char *buf;
    size_t len;
    size_t cap;
    bool overflow; /* the reply went over MON_OUT_MAX: the client is dropped */
};

struct mon_client {
    int fd;                  /* -1: free slot */
    char in[MON_LINE_MAX + 1];
    size_t in_len;
    struct mon_out out;
    size_t out_off;          /* bytes of out already sent */
    bool closing;            /* flush out, then close */
    uint64_t progress_ns;    /* last time output drained (or the client connected) */
};

struct loop__monitor {
    loop_t *loop;
    pthread_t thread;
    int listen_fd;
    int wake[2];             /* written by loop_monitor_stop to end the thread's poll */
    atomic_bool stop;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    dev_t dev;               /* the socket file we created: unlinked only if still it */
    ino_t ino;
    loop_async_t async;      /* internal: runs cancel requests on the loop thread */
    pthread_mutex_t cancel_mu;
    uint64_t cancel_ids[MON_CANCELS]; /* guarded by cancel_mu */
    size_t ncancel;                   /* guarded by cancel_mu */
    /* monitor thread only */
    struct mon_client clients[MON_CLIENTS];
    uint64_t stats_ns;       /* previous stats command, for rates */
    uint64_t stats_callbacks;
};

/* Internal async handles ------------------------------------------------------ */

/*
 * An async handle that is libloop's own (LOOP__H_INTERNAL): it takes no id
 * (the program's handle and task ids stay the same with or without a
 * monitor) and is not in the handle table (never reported, never walked),
 * never active (it neither keeps loop_run going nor makes loop_close say
 * -EBUSY), and internal_async_free() unlinks it at once, with no iteration
 * needed to close it. Loop thread. watchdog.c has the same pair.
 */
static void internal_async_init(loop_t *loop, loop_async_t *a, loop_async_cb cb, const char *name)
{
    loop_handle_t *h = &a->handle;

    memset(a, 0, sizeof(*a));
    h->loop = loop;
    h->site = LOOP_SITE();
    h->name = name;
    h->kind = LOOP_KIND_ASYNC;
    h->flags = LOOP__H_INTERNAL;
    h->magic = LOOP__MAGIC_OPEN;
    h->cb = (void (*)(void))cb;
    loop__queue_init(&h->ready);
    loop__queue_init(&h->all);
    atomic_init((atomic_int *)&a->pending, 0);
    loop__queue_insert_tail(&loop->asyncs, &a->async_node);
}

static void internal_async_free(loop_t *loop, loop_async_t *a)
{
    loop__sched_remove(loop, &a->handle);
    loop__queue_remove(&a->async_node);
    a->handle.flags |= LOOP__H_CLOSED;
    a->handle.magic = LOOP__MAGIC_CLOSED;
}

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
            return;
        }
        o->buf = buf;
        o->cap = cap;
        vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    }
    o->len += (size_t)n;
}

static void __attribute__((format(printf, 2, 3))) out(struct mon_out *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    out_vprintf(o, fmt, ap);
    va_end(ap);
}

static void out_site(struct mon_out *o, const char *label, const loop_site_t *s)
{
    if (s != NULL) {
        out(o, " %s=%s:%d (%s)", label, s->file ? s->file : "?", s->line,
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
        out(o, "loop is idle (not dispatching)\n");
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
    out(o, "loop is busy in kind=%s id=%" PRIu64 " for %.0f ms name=\"%s\"", loop_kind_name(kind),
        id, ms_since(now_ns, start), name ? name : "");
    out_site(o, "site", site);
    out(o, "\n");
}

/* Commands ----------------------------------------------------------------------- */

static void out_task_line(struct mon_out *o, const loop_task_info_t *ti, uint64_t now_ns)
{
    out(o, "task id=%" PRIu64 " name=\"%s\" state=%s", ti->id, ti->name ? ti->name : "",
        loop_task_state_name(ti->state));
    if (ti->state == LOOP_TASK_WAITING) {
        out(o, " wait=%s obj=%" PRIu64, loop_wait_kind_name(ti->wait_kind), ti->wait_obj_id);
        if (ti->wait_task_id != 0) {
            out(o, " %s=%" PRIu64, ti->wait_kind == LOOP_WAIT_LOCK ? "owner" : "task",
                ti->wait_task_id);
        }
        if (ti->timeout_ms >= 0) {
            out(o, " timeout-ms=%" PRId64, ti->timeout_ms);
        }
    }
    if (ti->state == LOOP_TASK_FAILED) {
        out(o, " err=%s", loop_err_name(ti->error));
    }
    out(o, " age-ms=%.1f parent=%" PRIu64 " steps=%" PRIu64, ms_since(now_ns, ti->since_ns),
        ti->parent_id, ti->steps);
    out_site(o, "at", ti->wait_site);
    out_site(o, "created", ti->create_site);
    out(o, "\n");
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
    out(o, "loop id=%" PRIu64 " pid=%ld tasks-alive=%zu\n", loop->id, (long)getpid(),
        loop->tasks_alive);
    out_busy(o, loop, x.now_ns);
    loop_task_walk(loop, ps_cb, &x);
    loop__inspect_unlock(loop);
    if (x.n == 0) {
        out(o, "(no tasks)\n");
    }
}

static void out_handle_line(struct mon_out *o, const loop_handle_t *h)
{
    int active = (h->flags & LOOP__H_ACTIVE) != 0;

    out(o, "%c handle id=%" PRIu64 " kind=%s name=\"%s\" %s", active ? '*' : ' ', h->id,
        loop_kind_name(h->kind), h->name ? h->name : "",
        (h->flags & LOOP__H_CLOSING) ? "closing" : active ? "active" : "inactive");
    if (h->kind == LOOP_KIND_IO) {
        out(o, " fd=%d", ((const loop_io_t *)h)->fd);
    }
    if (h->parent_task != 0) {
        out(o, " task=%" PRIu64, h->parent_task);
    }
    out_site(o, "created", h->site);
    out(o, "\n");
}

static void cmd_handles(struct loop__monitor *m, struct mon_out *o)
{
    loop_t *loop = m->loop;
    loop_queue_t *q;
    size_t n = 0;

    loop__inspect_lock(loop);
    out(o, "loop id=%" PRIu64 " active-handles=%zu (* keeps the loop alive)\n", loop->id,
        loop->active);
    out_busy(o, loop, loop__hrtime_ns());
    loop__queue_foreach(q, &loop->handles) {
        const loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        if (!(h->flags & LOOP__H_INTERNAL)) {
            out_handle_line(o, h);
            n++;
        }
    }
    loop__inspect_unlock(loop);
    if (n == 0) {
        out(o, "(no handles)\n");
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
    out(o, "  wait-for: task %" PRIu64, ti.id);
    seen[nseen++] = ti.id;
    while (ti.state == LOOP_TASK_WAITING && ti.wait_task_id != 0) {
        uint64_t next = ti.wait_task_id;
        const char *how = ti.wait_kind == LOOP_WAIT_LOCK ? "lock owned by" : "joins";
        for (size_t i = 0; i < nseen; i++) {
            if (seen[i] == next) {
                out(o, " -> %s task %" PRIu64 ": a cycle (deadlock)\n", how, next);
                return;
            }
        }
        loop_task_t *t = find_task(loop, next);
        if (t == NULL) {
            out(o, " -> %s task %" PRIu64 " (released)\n", how, next);
            return;
        }
        loop_task_info(t, &ti);
        out(o, " -> %s task %" PRIu64 " (%s", how, ti.id, loop_task_state_name(ti.state));
        if (ti.state == LOOP_TASK_WAITING) {
            out(o, " on %s", loop_wait_kind_name(ti.wait_kind));
        }
        out(o, ")");
        if (nseen == MON_CHAIN_MAX) {
            out(o, " ...\n");
            return;
        }
        seen[nseen++] = ti.id;
    }
    out(o, "\n");
}

static void out_site_line(struct mon_out *o, const char *label, const loop_site_t *s)
{
    if (s != NULL) {
        out(o, "  %s: %s:%d (%s)\n", label, s->file ? s->file : "?", s->line,
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
        out(o, "error: usage: where ID (a task or handle id, see ps and handles)\n");
        return;
    }
    loop__inspect_lock(loop);
    now_ns = loop__hrtime_ns();
    t = find_task(loop, id);
    h = t == NULL ? find_handle(loop, id) : NULL;
    if (t == NULL && h == NULL) {
        out(o, "error: no task or handle id=%" PRIu64 "\n", id); /* errors come first */
    } else {
        out_busy(o, loop, now_ns);
    }
    if (t != NULL) {
        loop_task_info_t ti;
        loop_task_info(t, &ti);
        out_task_line(o, &ti, now_ns);
        out(o, "  state: %s for %.1f ms, %" PRIu64 " steps, %.3f ms running\n",
            loop_task_state_name(ti.state), ms_since(now_ns, ti.since_ns), ti.steps,
            (double)ti.run_ns / 1e6);
        if (ti.state == LOOP_TASK_WAITING) {
            out(o, "  waits on: %s obj=%" PRIu64, loop_wait_kind_name(ti.wait_kind),
                ti.wait_obj_id);
            if (ti.timeout_ms >= 0) {
                out(o, " timeout-ms=%" PRId64, ti.timeout_ms);
            } else {
                out(o, " no timeout");
            }
            out(o, "\n");
        }
        if (ti.state == LOOP_TASK_RUNNING &&
            atomic_load_explicit(&loop->cur_start_ns, memory_order_acquire) != 0 &&
            atomic_load_explicit(&loop->cur_id, memory_order_relaxed) == ti.id) {
            out(o, "  running now: this task's step is what the loop thread runs\n");
        }
        out_site_line(o, "suspended at", ti.wait_site);
        out_site_line(o, "created at", ti.create_site);
        if (ti.parent_id != 0) {
            out(o, "  parent: task %" PRIu64 "\n", ti.parent_id);
        }
        out_chain(o, loop, &ti);
    } else if (h != NULL) {
        out_handle_line(o, h);
        out_site_line(o, "created at", h->site);
    }
    loop__inspect_unlock(loop);
}

/* Loop thread: carry out the cancel requests the monitor thread queued. */
static void on_cancel_requests(loop_async_t *a)
{
    struct loop__monitor *m = loop__container_of(a, struct loop__monitor, async);
    uint64_t ids[MON_CANCELS];
    size_t n;

    pthread_mutex_lock(&m->cancel_mu);
    n = m->ncancel;
    memcpy(ids, m->cancel_ids, n * sizeof(ids[0]));
    m->ncancel = 0;
    pthread_mutex_unlock(&m->cancel_mu);
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
        out(o, "error: usage: cancel ID (a task id, see ps)\n");
        return;
    }
    loop__inspect_lock(loop);
    loop_task_t *t = find_task(loop, id);
    if (t == NULL) {
        out(o, "error: no task id=%" PRIu64 "\n", id);
    } else if (loop__task_finished(t)) {
        out(o, "error: task id=%" PRIu64 " already finished (%s)\n", id,
            loop_task_state_name(t->state));
    } else {
        pthread_mutex_lock(&m->cancel_mu);
        if (m->ncancel < MON_CANCELS) {
            m->cancel_ids[m->ncancel++] = id;
            queued = true;
        }
        pthread_mutex_unlock(&m->cancel_mu);
        if (queued) {
            out(o, "cancel requested: task id=%" PRIu64 " name=\"%s\" (the loop thread carries it out)\n",
                id, t->hdr.name ? t->hdr.name : "");
        } else {
            out(o, "error: too many cancel requests pending, try again\n");
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

static void cmd_stats(struct loop__monitor *m, struct mon_out *o)
{
    loop_stats_t s;
    uint64_t now_ns = loop__hrtime_ns();

    loop_get_stats(m->loop, &s);
    out(o, "loop id=%" PRIu64 "\n", m->loop->id);
    out(o, "iterations=%" PRIu64 "\n", s.iterations);
    out(o, "callbacks=%" PRIu64 "\n", s.callbacks);
    out(o, "callbacks-per-s=%.1f (since the monitor started or the previous stats)\n",
        now_ns > m->stats_ns ? (double)(s.callbacks - m->stats_callbacks) * 1e9 /
                                   (double)(now_ns - m->stats_ns)
                             : 0.0);
    out(o, "tasks-spawned=%" PRIu64 "\n", s.tasks_spawned);
    out(o, "tasks-alive=%" PRIu64 "\n", s.tasks_alive);
    out(o, "handles-open=%" PRIu64 "\n", s.handles_open);
    out(o, "handles-active=%" PRIu64 "\n", s.handles_active);
    out(o, "slow-callbacks=%" PRIu64 "\n", s.slow_callbacks);
    out(o, "stalls=%" PRIu64 "\n", s.stalls);
    out(o, "busy-ms=%.1f\n", (double)s.busy_ns / 1e6);
    out(o, "poll-ms=%.1f\n", (double)s.poll_ns / 1e6);
    if (s.poll_ns > 0) {
        out(o, "busy-fraction=%.3f\n", (double)s.busy_ns / (double)(s.busy_ns + s.poll_ns));
    }
    loop__inspect_lock(m->loop);
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

    out(x->o, "slow kind=%s id=%" PRIu64 " name=\"%s\" took-ms=%.1f ago-ms=%.0f",
        loop_kind_name(kind), id, name ? name : "", (double)duration_ns / 1e6,
        ms_since(x->now_ns, at_ns));
    out_site(x->o, "site", site);
    out(x->o, "\n");
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
        out(o, "(no slow callbacks recorded%s)\n",
            debug ? "" : "; they are recorded in debug mode: LOOP_DEBUG=1");
    }
}

static const char help_text[] =
    "commands:\n"
    "  ps          tasks: id, name, state, what each waits on, age, where suspended, created\n"
    "  where ID    one task (or handle) in detail, with its wait-for chain\n"
    "  cancel ID   cancel a task (carried out by the loop thread)\n"
    "  handles     handles; * marks what keeps the loop alive\n"
    "  stats       counters: iterations, callbacks, tasks, handles, busy time, stalls\n"
    "  slow        the most recent slow callbacks (debug mode)\n"
    "  help        this text\n"
    "  quit        close the connection\n"
    "every reply ends with a line \".\"\n";

/* Run one command line; false when the connection should close after the reply. */
static bool run_command(struct loop__monitor *m, struct mon_out *o, char *line)
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
    } else if (strcmp(cmd, "help") == 0) {
        out(o, "%s", help_text);
    } else if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "exit") == 0) {
        out(o, "bye\n");
        keep = false;
    } else {
        out(o, "error: unknown command or arguments: \"%.64s\" (try help)\n", cmd);
    }
    out(o, ".\n");
    return keep;
}

/* Clients ---------------------------------------------------------------------- */

static void client_drop(struct mon_client *c)
{
    if (c->fd >= 0) {
        /* Unread input would turn our reply into ECONNRESET at the peer: drain it. */
        char sink[4096];
        for (int i = 0; i < 16 && recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++) {
        }
        close(c->fd);
    }
    free(c->out.buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* Queue an error reply and close once it is sent. */
static void client_refuse(struct mon_client *c, const char *why)
{
    out(&c->out, "error: %s\n.\n", why);
    c->closing = true;
    c->in_len = 0;
}

static bool is_text(unsigned char b)
{
    return (b >= 0x20 && b <= 0x7e) || b == '\t' || b == '\r';
}

static void client_input(struct loop__monitor *m, struct mon_client *c)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        client_drop(c);
        return;
    }
    for (ssize_t i = 0; i < n && !c->closing; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (b == '\n') {
            c->in[c->in_len] = '\0';
            c->in_len = 0;
            if (!run_command(m, &c->out, c->in)) {
                c->closing = true;
            }
        } else if (!is_text(b)) {
            client_refuse(c, "binary input (commands are lines of printable text); closing");
        } else if (c->in_len == MON_LINE_MAX) {
            client_refuse(c, "line too long (at most 1024 bytes); closing");
        } else {
            c->in[c->in_len++] = (char)b;
        }
    }
    if (c->out.overflow) {
        loop_log(LOOP_LOG_WARN, "Monitor: dropped a client: reply over %d bytes unsent path=%s",
                 MON_OUT_MAX, m->path);
        client_drop(c);
    }
}

static void client_output(struct mon_client *c, uint64_t now_ns)
{
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                client_drop(c);
            }
            return;
        }
        c->out_off += (size_t)n;
        c->progress_ns = now_ns;
    }
    c->out.len = 0;
    c->out_off = 0;
    if (c->closing) {
        client_drop(c);
    }
}

static void accept_clients(struct loop__monitor *m, uint64_t now_ns)
{
    for (;;) {
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct ucred cr;
        socklen_t len = sizeof(cr);
        struct mon_client *c = NULL;

        if (fd < 0) {
            return; /* EAGAIN, or a connection that went away: nothing to do */
        }
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr) ||
            cr.uid != geteuid()) {
            static const char refused[] = "error: permission denied\n.\n";
            (void)!send(fd, refused, sizeof(refused) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            loop_log(LOOP_LOG_WARN,
                     "Monitor: refused a connection from uid=%ld pid=%ld (only uid %ld) path=%s",
                     len == sizeof(cr) ? (long)cr.uid : -1L, len == sizeof(cr) ? (long)cr.pid : -1L,
                     (long)geteuid(), m->path);
            close(fd);
            continue;
        }
        for (int i = 0; i < MON_CLIENTS; i++) {
            if (m->clients[i].fd < 0) {
                c = &m->clients[i];
                break;
            }
        }
        if (c == NULL) {
            static const char busy[] = "error: too many monitor clients\n.\n";
            (void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->progress_ns = now_ns;
    }
}

/* The monitor thread ------------------------------------------------------------ */

static void *monitor_main(void *arg)
{
    struct loop__monitor *m = arg;
    struct pollfd pfd[2 + MON_CLIENTS];
    int who[2 + MON_CLIENTS];

    while (!atomic_load(&m->stop)) {
        nfds_t n = 0;
        pfd[n] = (struct pollfd){.fd = m->wake[0], .events = POLLIN};
        who[n++] = -1;
        pfd[n] = (struct pollfd){.fd = m->listen_fd, .events = POLLIN};
        who[n++] = -2;
        for (int i = 0; i < MON_CLIENTS; i++) {
            struct mon_client *c = &m->clients[i];
            if (c->fd < 0) {
                continue;
            }
            short ev = c->closing ? 0 : POLLIN;
            if (c->out_off < c->out.len) {
                ev |= POLLOUT;
            }
            pfd[n] = (struct pollfd){.fd = c->fd, .events = ev};
            who[n++] = i;
        }
        int rc = poll(pfd, n, MON_POLL_MS);
        uint64_t now_ns = loop__hrtime_ns();
        if (rc < 0 && errno != EINTR) {
            loop_log(LOOP_LOG_ERROR, "Monitor: poll failed: %s; the monitor stops path=%s",
                     strerror(errno), m->path);
            break;
        }
        for (nfds_t i = 0; rc > 0 && i < n; i++) {
            if (pfd[i].revents == 0) {
                continue;
            }
            if (who[i] == -1) {
                char drain[64];
                while (read(m->wake[0], drain, sizeof(drain)) > 0) {
                }
            } else if (who[i] == -2) {
                accept_clients(m, now_ns);
            } else {
                struct mon_client *c = &m->clients[who[i]];
                if (c->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                    if (c->closing) {
                        client_drop(c);
                        continue;
                    }
                    client_input(m, c);
                }
                if (c->fd >= 0) {
                    client_output(c, now_ns);
                }
            }
        }
        /* A client whose output has not moved for MON_DRAIN_MS is dropped. */
        for (int i = 0; i < MON_CLIENTS; i++) {
            struct mon_client *c = &m->clients[i];
            if (c->fd >= 0 && c->out_off < c->out.len &&
                now_ns - c->progress_ns > (uint64_t)MON_DRAIN_MS * 1000000u) {
                loop_log(LOOP_LOG_WARN, "Monitor: dropped a client that does not read path=%s",
                         m->path);
                client_drop(c);
            }
        }
    }
    for (int i = 0; i < MON_CLIENTS; i++) {
        client_drop(&m->clients[i]);
    }
    return NULL;
}

/* The socket -------------------------------------------------------------------- */

/*
 * A directory we may put the socket in: a real directory (not a symlink),
 * owned by our effective uid, that nobody else can write to (and, when
 * private, that nobody else can even enter).
 */
static int check_dir(const char *dir, bool private_dir)
{
    struct stat st;

    if (lstat(dir, &st) != 0) {
        return -errno;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        return -EACCES;
    }
    if ((st.st_mode & (private_dir ? 077 : 022)) != 0) {
        return -EACCES;
    }
    return 0;
}

static int default_path(loop_t *loop, char *path, size_t len)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int n, rc;

    /* $XDG_RUNTIME_DIR counts only when it is ours and private; else /tmp */
    if (xdg != NULL && xdg[0] == '/' && check_dir(xdg, true) == 0) {
        n = snprintf(dir, sizeof(dir), "%s/libloop", xdg);
    } else {
        n = snprintf(dir, sizeof(dir), "/tmp/libloop-%ld", (long)geteuid());
    }
    if (n < 0 || (size_t)n >= sizeof(dir)) {
        return -ENAMETOOLONG;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return -errno;
    }
    rc = check_dir(dir, true);
    if (rc < 0) {
        loop_log(LOOP_LOG_WARN,
                 "Monitor: refusing directory %s: not a directory of uid %ld with mode 0700", dir,
                 (long)geteuid());
        return rc;
    }
    n = snprintf(path, len, "%s/%ld-%" PRIu64 ".sock", dir, (long)getpid(), loop->id);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* An explicit path: its directory must be ours and not writable by others. */
static int check_path(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *slash = strrchr(path, '/');
    int rc;

    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    rc = check_dir(dir, false);
    if (rc < 0) {
        loop_log(LOOP_LOG_WARN,
                 "Monitor: refusing socket path %s: its directory is not owned by uid %ld or is "
                 "writable by others (or is a symlink)",
                 path, (long)geteuid());
    }
    return rc;
}

/* Something at path already: a stale socket of ours is replaced, anything else refused. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
    struct stat st;
    int fd, rc;

    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
        loop_log(LOOP_LOG_WARN, "Monitor: refusing socket path %s: something else is there",
                 path);
        return -EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    close(fd);
    if (rc == 0) {
        return -EADDRINUSE; /* a live monitor serves it */
    }
    return unlink(path) == 0 ? 0 : -errno;
}

static int open_socket(struct loop__monitor *m)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, rc;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, m->path, strlen(m->path) + 1);
    rc = clear_stale(m->path, &sa);
    if (rc < 0) {
        return rc;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        rc = -errno;
        goto fail_fd;
    }
    /* The directory is ours and nobody else can write it: the file we chmod is ours. */
    if (chmod(m->path, 0600) != 0 || lstat(m->path, &st) != 0) {
        rc = -errno;
        goto fail_unlink;
    }
    if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
        rc = -EACCES;
        goto fail_unlink;
    }
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    if (listen(fd, 16) != 0) {
        rc = -errno;
        goto fail_unlink;
    }
    m->listen_fd = fd;
    return 0;

fail_unlink:
    unlink(m->path);
fail_fd:
    close(fd);
    return rc;
}

static void close_socket(struct loop__monitor *m)
{
    struct stat st;

    if (m->listen_fd >= 0) {
        close(m->listen_fd);
        m->listen_fd = -1;
    }
    if (lstat(m->path, &st) == 0 && st.st_dev == m->dev && st.st_ino == m->ino) {
        unlink(m->path);
    }
}

/* API ------------------------------------------------------------------------------ */

/* Debug mode: these run on the loop thread (they create and free its handles). */
static int wrong_thread(loop_t *loop, const char *api)
{
    if (LOOP_UNLIKELY(loop->debug) && !loop__on_loop_thread(loop)) {
        loop__misuse(loop, NULL, api, "called from a thread other than the loop's");
        return 1;
    }
    return 0;
}

int loop_monitor_start(loop_t *loop, const char *path)
{
    struct loop__monitor *m;
    sigset_t all, old;
    int rc;

    if (loop == NULL) {
        return -EINVAL;
    }
    if (wrong_thread(loop, "loop_monitor_start")) {
        return -EINVAL;
    }
    if (loop->monitor != NULL) {
        return -EBUSY;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return -ENOMEM;
    }
    m->loop = loop;
    m->listen_fd = -1;
    m->wake[0] = m->wake[1] = -1;
    for (int i = 0; i < MON_CLIENTS; i++) {
        m->clients[i].fd = -1;
    }
    if (path != NULL) {
        if (*path == '\0') {
            rc = -EINVAL;
            goto fail_free;
        }
        if (strlen(path) >= sizeof(m->path)) {
            rc = -ENAMETOOLONG;
            goto fail_free;
        }
        strcpy(m->path, path);
        rc = check_path(m->path);
    } else {
        rc = default_path(loop, m->path, sizeof(m->path));
    }
    if (rc < 0) {
        goto fail_free;
    }
    if (pipe2(m->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        rc = -errno;
        goto fail_free;
    }
    rc = open_socket(m);
    if (rc < 0) {
        goto fail_pipe;
    }
    internal_async_init(loop, &m->async, on_cancel_requests, "libloop-monitor");
    pthread_mutex_init(&m->cancel_mu, NULL);
    m->stats_ns = loop__hrtime_ns();
    /* The core locks inspect_mu around table changes from now on: set it before
     * the thread can read the tables. */
    loop->monitor = m;
    loop__update_instrument(loop);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread takes no process signals */
    rc = -pthread_create(&m->thread, NULL, monitor_main, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        loop->monitor = NULL;
        loop__update_instrument(loop);
        goto fail_async;
    }
    pthread_setname_np(m->thread, "loop-monitor");
    loop_log(LOOP_LOG_INFO, "Monitor: loop=%" PRIu64 " listening on %s", loop->id, m->path);
    return 0;

fail_async:
    pthread_mutex_destroy(&m->cancel_mu);
    internal_async_free(loop, &m->async);
    close_socket(m);
fail_pipe:
    close(m->wake[0]);
    close(m->wake[1]);
fail_free:
    free(m);
    return rc;
}

const char *loop_monitor_path(const loop_t *loop)
{
    return loop != NULL && loop->monitor != NULL ? loop->monitor->path : NULL;
}

int loop_monitor_stop(loop_t *loop)
{
    struct loop__monitor *m;

    if (loop == NULL) {
        return -EINVAL;
    }
    if (wrong_thread(loop, "loop_monitor_stop")) {
        return -EINVAL;
    }
    m = loop->monitor;
    if (m == NULL) {
        return -EALREADY;
    }
    atomic_store(&m->stop, true);
    (void)!write(m->wake[1], "x", 1);
    pthread_join(m->thread, NULL);
    /* The thread is gone: nobody reads the tables any more. */
    loop->monitor = NULL;
    loop__update_instrument(loop);
    internal_async_free(loop, &m->async);
    pthread_mutex_destroy(&m->cancel_mu);
    close_socket(m);
    close(m->wake[0]);
    close(m->wake[1]);
    free(m);
    return 0;
}

/* loop_close(): stop the thread and remove the socket. */
void loop__monitor_free(loop_t *loop)
{
    if (loop->monitor != NULL) {
        loop_monitor_stop(loop);
    }
}
