/*
 * monitor_rows.c — the monitor's view of the loop without stalling it:
 * rows (names copied) are copied from the task and handle lists under
 * loop->inspect_mu, at most MON_CHUNK_ROWS per hold, letting go as soon as
 * the loop thread wants the lock; a paused walk resumes at a cursor that
 * every removal moves on (loop__inspect_unlink), so the monitor never reads
 * an object outside the lock. Also: finding one task or handle by id, and
 * the "loop is busy" line.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>

#include "monitor_rows.h"

void loop__mon_copy_name(char *dst, const char *src)
{
    size_t n = src != NULL ? strnlen(src, MON_NAME_MAX - 1) : 0;

    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
}

void *loop__mon_rows_slot(struct mon_rows *r)
{
    return r->n < r->cap ? (char *)r->v + r->n * r->size : NULL;
}

static int loop__mon_rows_grow(struct mon_rows *r)
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
void loop__mon_lock(loop_t *loop)
{
    pthread_mutex_lock(&loop->inspect_mu);
}

void loop__mon_unlock(loop_t *loop)
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
int loop__mon_walk(loop_t *loop, int list, mon_visit_fn visit, void *arg, struct mon_rows *rows)
{
    bool resume = false;

    for (;;) {
        int v = MON_NEXT, n = 0;
        loop_queue_t *head, *q;

        loop__mon_lock(loop);
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
        loop__mon_unlock(loop);
        if (done) {
            return 0;
        }
        if (v == MON_FULL && (rows == NULL || loop__mon_rows_grow(rows) < 0)) {
            return -ENOMEM;
        }
        resume = true;
        mon_let_loop_in(loop);
    }
}

/* Under the lock: one task's row (the histogram figures only when asked). */
void loop__mon_task_row(const loop_task_t *t, struct mon_task_row *r, bool hists)
{
    loop_task_info_t *ti = &r->ti;
    bool waiting = t->state == LOOP_TASK_WAITING;

    memset(ti, 0, sizeof(*ti));
    ti->id = t->hdr.id;
    ti->parent_id = loop__h_parent(&t->hdr);
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
    loop__mon_copy_name(r->name, loop__h_name(&t->hdr));
    ti->name = NULL; /* set by the reader: the row may move while the array grows */
}

void loop__mon_handle_row(const loop_handle_t *h, struct mon_handle_row *r)
{
    r->id = h->id;
    r->parent_task = loop__h_parent(h);
    r->site = h->site;
    r->kind = h->kind;
    r->flags = h->flags;
    /* io->fd is set just after the handle is listed; started, it is published */
    r->fd = h->kind == LOOP_KIND_IO && (h->flags & (LOOP__H_ACTIVE | LOOP__H_CLOSING))
                ? ((const loop_io_t *)h)->fd
                : -1;
    loop__mon_copy_name(r->name, loop__h_name(h));
}

const char *loop__mon_row_name(struct mon_task_row *r)
{
    r->ti.name = r->name;
    return r->name;
}


static int find_task_visit(loop_queue_t *node, void *arg)
{
    struct mon_find *f = arg;
    const loop_task_t *t = loop__queue_data(node, loop_task_t, task_node);

    if (t->hdr.id != f->id) {
        return MON_NEXT;
    }
    loop__mon_task_row(t, &f->task, false);
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
    loop__mon_handle_row(h, &f->handle);
    f->found = true;
    return MON_STOP;
}

bool loop__mon_find_task(loop_t *loop, uint64_t id, struct mon_find *f)
{
    f->id = id;
    f->found = false;
    f->depth = 0;
    loop__mon_walk(loop, MON_TASKS, find_task_visit, f, NULL);
    if (f->found) {
        loop__mon_row_name(&f->task);
    }
    return f->found;
}

bool loop__mon_find_handle(loop_t *loop, uint64_t id, struct mon_find *f)
{
    f->id = id;
    f->found = false;
    loop__mon_walk(loop, MON_HANDLES, find_handle_visit, f, NULL);
    return f->found;
}

/* "loop is busy in kind=X id=Y for N ms", from what the loop thread publishes. */
void loop__mon_out_busy(struct mon_out *o, loop_t *loop, uint64_t now_ns)
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
    if (f != NULL && kind == LOOP_KIND_TASK && loop__mon_find_task(loop, id, f)) {
        name = f->task.name;
        site = f->task.ti.create_site;
    } else if (f != NULL && kind != LOOP_KIND_TASK && loop__mon_find_handle(loop, id, f)) {
        name = f->handle.name;
        site = f->handle.site;
    }
    loop__mon_out(o, "loop is busy in kind=%s id=%" PRIu64 " for %.0f ms name=\"%s\"", loop_kind_name(kind),
        id, loop__mon_ms_since(now_ns, start), name ? name : "");
    loop__mon_out_site(o, "site", site);
    loop__mon_out(o, "\n");
    free(f);
}
