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
#include "record/record.h"

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
        if (o->len + (size_t)n > (o->max ? o->max : MON_OUT_MAX)) {
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

/* Append n bytes (no formatting). */
static void out_write(struct mon_out *o, const char *p, size_t n)
{
    if (o->overflow) {
        return;
    }
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1) {
            cap *= 2;
        }
        if (o->len + n > (o->max ? o->max : MON_OUT_MAX)) {
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
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    o->buf[o->len] = '\0';
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

/* Snapshots --------------------------------------------------------------------- */

/*
 * Every command reads the loop's tables the same way: rows are copied under
 * inspect_mu into a plain array (a bounded copy: no formatting, no allocation,
 * names copied so nothing is read after the lock is dropped), then formatted
 * outside the lock. Walks hold the lock for at most MON_CHUNK_ROWS nodes and
 * end a chunk as soon as the loop thread waits for the lock
 * (loop->inspect_waiting); between chunks the position is loop->inspect_cursor,
 * which every unlink moves past the node it removes (loop__inspect_unlink), so
 * a walk never touches a node that left its list. Each row is consistent; rows
 * are not one instant of the whole table (like ps(1) reading /proc).
 */

struct mon_task_row {
    loop_task_info_t ti;      /* ti.name points at name below */
    char name[MON_NAME_MAX];
};

struct mon_handle_row {
    uint64_t id;
    uint64_t parent_task;
    const loop_site_t *site;  /* sites are static (LOOP_SITE) */
    int kind;
    int fd;                   /* io handles that were started; else -1 */
    uint8_t flags;
    char name[MON_NAME_MAX];
};

/* A growable array of rows; grown only outside the lock. */
struct mon_rows {
    void *v;
    size_t n, cap, size, max; /* max: rows wanted at most (0: all) */
    bool nomem;
};

enum { MON_NEXT, MON_STOP, MON_FULL };
enum { MON_TASKS, MON_HANDLES };

/* Visit one node under inspect_mu: copy, or ask for room (MON_FULL: not copied). */
typedef int (*mon_visit_fn)(loop_queue_t *node, void *arg);

static void copy_name(char *dst, const char *src)
{
    size_t n = src != NULL ? strnlen(src, MON_NAME_MAX - 1) : 0;

    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
}

static void *rows_slot(struct mon_rows *r)
{
    return r->n < r->cap ? (char *)r->v + r->n * r->size : NULL;
}

static int rows_grow(struct mon_rows *r)
{
    size_t cap = r->cap ? r->cap * 2 : 256;
    void *v = realloc(r->v, cap * r->size);

    if (v == NULL) {
        r->nomem = true;
        return -ENOMEM;
    }
    r->v = v;
    r->cap = cap;
    return 0;
}

static loop_queue_t *list_head(loop_t *loop, int list)
{
    if (list == MON_HANDLES) {
        return &loop->handles;
    }
    struct loop__tasks *ts = loop->tasks;
    return ts != NULL ? &ts->tasks : NULL;
}

/* The monitor thread's side of the lock: plain (the loop thread's has priority). */
static void mon_lock(loop_t *loop)
{
    pthread_mutex_lock(&loop->inspect_mu);
}

static void mon_unlock(loop_t *loop)
{
    pthread_mutex_unlock(&loop->inspect_mu);
}

/* Between chunks: if the loop thread waits for the lock, let it take it first. */
static void mon_let_loop_in(loop_t *loop)
{
    for (int i = 0; i < 1000 && atomic_load_explicit(&loop->inspect_waiting,
                                                     memory_order_relaxed) != 0; i++) {
        sched_yield();
    }
}

/*
 * Walk the task list or the handle list in chunks, calling visit under the
 * lock. rows (may be NULL) is grown outside the lock when visit says MON_FULL.
 * 0, or -ENOMEM.
 */
static int mon_walk(loop_t *loop, int list, mon_visit_fn visit, void *arg, struct mon_rows *rows)
{
    bool resume = false;

    for (;;) {
        int v = MON_NEXT, n = 0;
        loop_queue_t *head, *q;

        mon_lock(loop);
        head = list_head(loop, list);
        q = head == NULL ? NULL : resume ? loop->inspect_cursor : head->next;
        while (q != NULL && q != head) {
            if (n++ == MON_CHUNK_ROWS ||
                atomic_load_explicit(&loop->inspect_waiting, memory_order_relaxed) != 0) {
                break; /* pause here: q is not visited yet */
            }
            v = visit(q, arg);
            if (v != MON_NEXT) {
                break;
            }
            q = q->next;
        }
        bool done = q == NULL || q == head || v == MON_STOP;
        loop->inspect_cursor = done ? NULL : q;
        mon_unlock(loop);
        if (done) {
            return 0;
        }
        if (v == MON_FULL && (rows == NULL || rows_grow(rows) < 0)) {
            return -ENOMEM;
        }
        resume = true;
        mon_let_loop_in(loop);
    }
}

/* Under the lock: one task's row (the histogram figures only when asked). */
static void task_row(const loop_task_t *t, struct mon_task_row *r, bool hists)
{
    loop_task_info_t *ti = &r->ti;
    bool waiting = t->state == LOOP_TASK_WAITING;

    memset(ti, 0, sizeof(*ti));
    ti->id = t->hdr.id;
    ti->parent_id = t->hdr.parent_task;
    ti->state = t->state;
    ti->wait_kind = waiting ? t->wait_kind : LOOP_WAIT_NONE;
    ti->wait_obj_id = waiting ? t->wait_obj : 0;
    ti->wait_task_id = waiting ? t->wait_task : 0;
    ti->since_ns = t->since_ns;
    ti->timeout_ms = waiting ? t->wait_timeout_ms : LOOP_FOREVER;
    ti->wait_site = waiting ? t->wait_site : NULL;
    ti->create_site = t->hdr.site;
    ti->error = t->error;
    ti->steps = t->steps;
    ti->run_ns = t->run_ns;
    if (hists && t->hists != NULL) {
        ti->step_p50_ns = loop__hist_pct(&t->hists->step, 50);
        ti->step_p99_ns = loop__hist_pct(&t->hists->step, 99);
        ti->step_max_ns = t->hists->step.max_ns;
        ti->delay_p50_ns = loop__hist_pct(&t->hists->delay, 50);
        ti->delay_p99_ns = loop__hist_pct(&t->hists->delay, 99);
        ti->delay_max_ns = t->hists->delay.max_ns;
    }
    copy_name(r->name, t->hdr.name);
    ti->name = NULL; /* set by the reader: the row may move while the array grows */
}

static void handle_row(const loop_handle_t *h, struct mon_handle_row *r)
{
    r->id = h->id;
    r->parent_task = h->parent_task;
    r->site = h->site;
    r->kind = h->kind;
    r->flags = h->flags;
    /* io->fd is set just after the handle is listed; started, it is published */
    r->fd = h->kind == LOOP_KIND_IO && (h->flags & (LOOP__H_ACTIVE | LOOP__H_CLOSING))
                ? ((const loop_io_t *)h)->fd
                : -1;
    copy_name(r->name, h->name);
}

static const char *row_name(struct mon_task_row *r)
{
    r->ti.name = r->name;
    return r->name;
}

/* Find one task (with its suspension backtrace) or one user handle by id. */
struct mon_find {
    uint64_t id;
    bool found;
    struct mon_task_row task;
    struct mon_handle_row handle;
    void *frames[LOOP__TASK_BT_DEPTH];
    int depth;
};

static int find_task_visit(loop_queue_t *node, void *arg)
{
    struct mon_find *f = arg;
    const loop_task_t *t = loop__queue_data(node, loop_task_t, task_node);

    if (t->hdr.id != f->id) {
        return MON_NEXT;
    }
    task_row(t, &f->task, false);
    f->depth = t->state == LOOP_TASK_WAITING && t->susp_bt != NULL
                   ? (t->susp_depth < LOOP__TASK_BT_DEPTH ? t->susp_depth : LOOP__TASK_BT_DEPTH)
                   : 0;
    if (f->depth > 0) {
        memcpy(f->frames, t->susp_bt, (size_t)f->depth * sizeof(void *));
    }
    f->found = true;
    return MON_STOP;
}

static int find_handle_visit(loop_queue_t *node, void *arg)
{
    struct mon_find *f = arg;
    const loop_handle_t *h = loop__queue_data(node, loop_handle_t, all);

    if (h->id != f->id || (h->flags & LOOP__H_INTERNAL)) {
        return MON_NEXT;
    }
    handle_row(h, &f->handle);
    f->found = true;
    return MON_STOP;
}

static bool mon_find_task(loop_t *loop, uint64_t id, struct mon_find *f)
{
    f->id = id;
    f->found = false;
    f->depth = 0;
    mon_walk(loop, MON_TASKS, find_task_visit, f, NULL);
    if (f->found) {
        row_name(&f->task);
    }
    return f->found;
}

static bool mon_find_handle(loop_t *loop, uint64_t id, struct mon_find *f)
{
    f->id = id;
    f->found = false;
    mon_walk(loop, MON_HANDLES, find_handle_visit, f, NULL);
    return f->found;
}

/* "loop is busy in kind=X id=Y for N ms", from what the loop thread publishes. */
static void out_busy(struct mon_out *o, loop_t *loop, uint64_t now_ns)
{
    uint64_t start = atomic_load_explicit(&loop->cur_start_ns, memory_order_acquire);
    uint64_t id = atomic_load_explicit(&loop->cur_id, memory_order_relaxed);
    int kind = atomic_load_explicit(&loop->cur_kind, memory_order_relaxed);
    const char *name = NULL;
    const loop_site_t *site = NULL;
    struct mon_find *f;

    if (start == 0) {
        loop__mon_out(o, "loop is idle (not dispatching)\n");
        return;
    }
    f = malloc(sizeof(*f));
    if (f != NULL && kind == LOOP_KIND_TASK && mon_find_task(loop, id, f)) {
        name = f->task.name;
        site = f->task.ti.create_site;
    } else if (f != NULL && kind != LOOP_KIND_TASK && mon_find_handle(loop, id, f)) {
        name = f->handle.name;
        site = f->handle.site;
    }
    loop__mon_out(o, "loop is busy in kind=%s id=%" PRIu64 " for %.0f ms name=\"%s\"", loop_kind_name(kind),
        id, ms_since(now_ns, start), name ? name : "");
    out_site(o, "site", site);
    loop__mon_out(o, "\n");
    free(f);
}

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

/* Replies built from a snapshot may be longer than MON_OUT_MAX: allow this much per row. */
static void out_allow_rows(struct mon_out *o, size_t rows)
{
    o->max = MON_OUT_MAX + rows * MON_ROW_OUT_MAX;
}

/*
 * A task line is built without printf: ps prints one per task (20,000 tasks
 * make 3 MB), and the monitor thread's CPU is taken from the loop's on a busy
 * machine. The text is what "%.1f" and PRIu64 would give.
 */
struct line {
    char b[3 * MON_NAME_MAX + 512];
    size_t n;
};

static void line_str(struct line *l, const char *s)
{
    size_t n = s != NULL ? strnlen(s, sizeof(l->b) - 1 - l->n) : 0;

    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void line_u64(struct line *l, uint64_t v)
{
    char d[20];
    int i = 0;

    do {
        d[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (i > 0 && l->n < sizeof(l->b) - 1) {
        l->b[l->n++] = d[--i];
    }
}

static void line_i64(struct line *l, int64_t v)
{
    if (v < 0) {
        line_str(l, "-");
        line_u64(l, (uint64_t)0 - (uint64_t)v);
    } else {
        line_u64(l, (uint64_t)v);
    }
}

/* Milliseconds with one decimal, rounded. */
static void line_ms1(struct line *l, uint64_t ns)
{
    uint64_t tenths = (ns + 50000) / 100000;

    line_u64(l, tenths / 10);
    line_str(l, ".");
    line_u64(l, tenths % 10);
}

static void line_site(struct line *l, const char *label, const loop_site_t *s)
{
    if (s != NULL) {
        line_str(l, " ");
        line_str(l, label);
        line_str(l, "=");
        line_str(l, s->file ? s->file : "?");
        line_str(l, ":");
        line_i64(l, s->line);
        line_str(l, " (");
        line_str(l, s->func ? s->func : "?");
        line_str(l, ")");
    }
}

static void out_task_line(struct mon_out *o, const loop_task_info_t *ti, uint64_t now_ns)
{
    struct line l;

    l.n = 0;
    line_str(&l, "task id=");
    line_u64(&l, ti->id);
    line_str(&l, " name=\"");
    line_str(&l, ti->name ? ti->name : "");
    line_str(&l, "\" state=");
    line_str(&l, loop_task_state_name(ti->state));
    if (ti->state == LOOP_TASK_WAITING) {
        line_str(&l, " wait=");
        line_str(&l, loop_wait_kind_name(ti->wait_kind));
        line_str(&l, " obj=");
        line_u64(&l, ti->wait_obj_id);
        if (ti->wait_task_id != 0) {
            line_str(&l, ti->wait_kind == LOOP_WAIT_LOCK ? " owner=" : " task=");
            line_u64(&l, ti->wait_task_id);
        }
        if (ti->timeout_ms >= 0) {
            line_str(&l, " timeout-ms=");
            line_i64(&l, ti->timeout_ms);
        }
    }
    if (ti->state == LOOP_TASK_FAILED) {
        line_str(&l, " err=");
        line_str(&l, loop_err_name(ti->error));
    }
    line_str(&l, " age-ms=");
    line_ms1(&l, now_ns > ti->since_ns ? now_ns - ti->since_ns : 0);
    line_str(&l, " parent=");
    line_u64(&l, ti->parent_id);
    line_str(&l, " steps=");
    line_u64(&l, ti->steps);
    line_site(&l, "at", ti->wait_site);
    line_site(&l, "created", ti->create_site);
    line_str(&l, "\n");
    out_write(o, l.b, l.n);
}

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
    r = rows_slot(x->rows);
    if (r == NULL) {
        return MON_FULL;
    }
    task_row(t, r, x->hists);
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

    mon_lock(loop);
    alive = loop->tasks_alive;
    mon_unlock(loop);
    mon_walk(loop, MON_TASKS, task_rows_visit, &x, &rows);
    now_ns = loop__hrtime_ns();
    out_nomem(o, &rows);
    loop__mon_out(o, "loop id=%" PRIu64 " pid=%ld tasks-alive=%zu\n", loop->id, (long)getpid(),
        alive);
    out_busy(o, loop, now_ns);
    out_allow_rows(o, rows.n);
    for (size_t i = 0; i < rows.n; i++) {
        struct mon_task_row *r = (struct mon_task_row *)rows.v + i;
        row_name(r);
        out_task_line(o, &r->ti, now_ns);
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
    out_site(o, "created", h->site);
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
    r = rows_slot(rows);
    if (r == NULL) {
        return MON_FULL;
    }
    handle_row(h, r);
    rows->n++;
    return MON_NEXT;
}

static void cmd_handles(struct loop__monitor *m, struct mon_out *o)
{
    loop_t *loop = m->loop;
    struct handle_walk hw = {.rows = {.size = sizeof(struct mon_handle_row)}};
    size_t active;

    mon_lock(loop);
    active = loop->active;
    mon_unlock(loop);
    mon_walk(loop, MON_HANDLES, handle_rows_visit, &hw, &hw.rows);
    out_nomem(o, &hw.rows);
    loop__mon_out(o, "loop id=%" PRIu64 " active-handles=%zu (* keeps the loop alive)\n", loop->id,
        active);
    out_busy(o, loop, loop__hrtime_ns());
    out_allow_rows(o, hw.rows.n);
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
        if (!mon_find_task(loop, next, f)) {
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
    if (mon_find_task(loop, id, f)) {
        out_busy(o, loop, loop__hrtime_ns());
        out_where_task(o, loop, f, loop__hrtime_ns());
    } else if (mon_find_handle(loop, id, f)) {
        struct mon_handle_row h = f->handle;
        out_busy(o, loop, loop__hrtime_ns());
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
        int rc = t != NULL ? loop_task_cancel(t) : -ESRCH;
        loop__rr_outcome(m->loop, LOOP__NOTE_MON_CANCEL, ids[i], rc); /* replay does it again */
        loop_log(LOOP_LOG_INFO, "Monitor: cancel task id=%" PRIu64 " name=\"%s\": %s", ids[i],
                 t != NULL && t->hdr.name ? t->hdr.name : "", rc == 0 ? "done" : loop_err_name(rc));
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
    if (!mon_find_task(loop, id, f)) {
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
            out_busy(o, loop, loop__hrtime_ns());
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

    mon_lock(loop);
    s = loop->stats;
    s.tasks_alive = loop->tasks_alive;
    s.handles_active = loop->active;
    lag = loop->lag;
    wait_ns = loop->inspect_wait_ns;
    wait_max_ns = loop->inspect_wait_max_ns;
    mon_unlock(loop);
    s.callbacks = atomic_load_explicit(&loop->n_callbacks, memory_order_relaxed);
    s.iterations = atomic_load_explicit(&loop->n_iterations, memory_order_relaxed);
    mon_walk(loop, MON_HANDLES, count_handles_visit, &open, NULL);
    s.handles_open = open;
    mon_walk(loop, MON_TASKS, task_rows_visit, &x, &rows);

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
    out_busy(o, loop, now_ns);
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
        copy_name(r->name, name);
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
    mon_lock(m->loop);
    loop__debug_slow_list(m->loop, slow_cb, x);
    mon_unlock(m->loop);
    now_ns = loop__hrtime_ns();
    for (size_t i = 0; i < x->n; i++) {
        const struct slow_row *r = &x->rows[i];
        loop__mon_out(o, "slow kind=%s id=%" PRIu64 " name=\"%s\" took-ms=%.1f ago-ms=%.0f",
            loop_kind_name(r->kind), r->id, r->name, (double)r->duration_ns / 1e6,
            ms_since(now_ns, r->at_ns));
        out_site(o, "site", r->site);
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
                  ms_since(now_ns, d->end_ns), d->steps);
    if (d->state == LOOP_TASK_CANCELLED) {
        uint64_t by = d->cancelled_by;
        loop__mon_out(o, ", cancelled by %s", by ? "" : "a callback");
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
    mon_lock(m->loop);
    struct loop__tasks *ts = m->loop->tasks;
    for (unsigned i = 0; ts != NULL && i < LOOP__TASK_HISTORY && i < ts->history_next; i++) {
        h->d[h->n] = ts->history[(ts->history_next - 1 - i) % LOOP__TASK_HISTORY];
        copy_name(h->names[h->n], h->d[h->n].name);
        h->n++;
    }
    mon_unlock(m->loop);
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
