/*
 * handle.c — what every handle kind shares: identity (id, kind, site; the
 * name and parent task in ident.c's side table), the active count that keeps
 * loop_run() going, asynchronous close, the walk, and the report of what is
 * still open at loop_close().
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "trace.h"

static const char *const kind_names[LOOP_KIND_MAX] = {
    [LOOP_KIND_NONE] = "none",   [LOOP_KIND_TIMER] = "timer", [LOOP_KIND_IO] = "io",
    [LOOP_KIND_SIGNAL] = "signal", [LOOP_KIND_DEFER] = "defer", [LOOP_KIND_ASYNC] = "async",
    [LOOP_KIND_WORK] = "work",   [LOOP_KIND_TASK] = "task",   [LOOP_KIND_CLOSE] = "close",
};

const char *loop_kind_name(int kind)
{
    if (kind < 0 || kind >= LOOP_KIND_MAX) {
        return "unknown";
    }
    return kind_names[kind];
}

uint64_t loop__current_task_id(const loop_t *loop)
{
    return loop->current_task;
}

int loop__handle_init(loop_t *loop, loop_handle_t *h, int kind, const loop_site_t *site)
{
    uint64_t parent = loop->init_internal ? loop->init_parent : loop->current_task;

    h->loop = loop;
    h->site = site;
    h->id = ++loop->next_id;
    h->kind = (uint8_t)kind;
    h->flags = loop->init_internal ? LOOP__H_INTERNAL : 0;
    loop->init_internal = 0;
    h->magic = LOOP__MAGIC_OPEN;
    h->aux = 0;
    h->cb = NULL;
    loop__queue_init(&h->ready);
    if (h->flags & LOOP__H_INTERNAL) {
        h->data = (void *)(uintptr_t)parent; /* its owner task: see loop__h_parent() */
        parent = 0;
    }
    loop__inspect_lock(loop);
    if (LOOP_UNLIKELY(parent != 0) && loop__ident_set(loop, h, NULL, parent) < 0) {
        loop__inspect_unlock(loop);
        loop->next_id--; /* the ids that follow stay those of a run with memory */
        h->magic = 0;
        return -ENOMEM;
    }
    loop__queue_insert_tail(&loop->handles, &h->all);
    loop__inspect_unlock(loop);
    if (LOOP_UNLIKELY(loop->debug)) {
        loop__debug_handle_new(loop, h->id);
    }
    LOOP_TRACE(handle_new, h);
    return 0;
}

void loop__handle_next_internal(loop_t *loop, uint64_t parent_task)
{
    loop->init_internal = 1;
    loop->init_parent = parent_task;
}

void loop__handle_unlink(loop_handle_t *h)
{
    loop__inspect_lock(h->loop);
    loop__inspect_unlink(h->loop, &h->all);
    loop__ident_drop(h->loop, h);
    loop__inspect_unlock(h->loop);
}

void loop__handle_start(loop_handle_t *h)
{
    if (!(h->flags & LOOP__H_ACTIVE)) {
        loop__inspect_lock(h->loop);
        h->flags |= LOOP__H_ACTIVE;
        h->loop->active++;
        loop__inspect_unlock(h->loop);
    }
    LOOP_TRACE(handle_start, h);
}

void loop__handle_stop(loop_handle_t *h)
{
    if (h->flags & LOOP__H_ACTIVE) {
        loop__inspect_lock(h->loop);
        h->flags &= (uint8_t)~LOOP__H_ACTIVE;
        h->loop->active--;
        loop__inspect_unlock(h->loop);
        LOOP_TRACE(handle_stop, h);
    }
}

int loop__handle_check(const loop_handle_t *h, int kind, const char *api)
{
    if (h == NULL) {
        return -EINVAL;
    }
    if (h->magic != LOOP__MAGIC_OPEN || (h->flags & (LOOP__H_CLOSING | LOOP__H_CLOSED))) {
        if (h->magic == LOOP__MAGIC_OPEN || h->magic == LOOP__MAGIC_CLOSED) {
            loop__misuse(h->loop, h, api, "handle is closed");
        }
        return -EBADF;
    }
    if (kind != LOOP_KIND_NONE && h->kind != kind) {
        return -EINVAL;
    }
    if (LOOP_UNLIKELY(h->loop->debug) && !loop__on_loop_thread(h->loop)) {
        loop__misuse(h->loop, h, api, "called from a thread other than the loop's");
        return -EINVAL;
    }
    return 0;
}

int loop_handle_set_name(loop_handle_t *h, const char *name)
{
    int rc;

    if (h == NULL || h->loop == NULL) {
        return -EINVAL;
    }
    if ((h->flags & LOOP__H_CLOSED) || h->magic != LOOP__MAGIC_OPEN) {
        /* closed, a finished work request, a failed init: its entry would
         * outlive it (nothing drops it before the next init clears the flags) */
        return -EBADF;
    }
    loop__inspect_lock(h->loop); /* the monitor reads names */
    rc = loop__ident_set(h->loop, h, name, loop__h_parent(h));
    loop__inspect_unlock(h->loop);
    if (rc == 0) {
        LOOP_TRACE(handle_name, h);
    }
    return rc;
}

int loop_handle_active(const loop_handle_t *h)
{
    if (h == NULL) {
        return -EINVAL;
    }
    if (h->magic != LOOP__MAGIC_OPEN || (h->flags & LOOP__H_CLOSED)) {
        return -EBADF;
    }
    return (h->flags & LOOP__H_ACTIVE) ? 1 : 0;
}

int loop_handle_closing(const loop_handle_t *h)
{
    return h != NULL && (h->flags & (LOOP__H_CLOSING | LOOP__H_CLOSED)) ? 1 : 0;
}

int loop_handle_close(loop_handle_t *h, loop_close_cb close_cb)
{
    int rc = loop__handle_check(h, LOOP_KIND_NONE, "loop_handle_close");
    loop_t *loop;

    if (rc < 0) {
        return rc;
    }
    loop = h->loop;
    switch (h->kind) {
    case LOOP_KIND_TIMER:
        loop_timer_stop((loop_timer_t *)h);
        break;
    case LOOP_KIND_IO:
        loop__io_forget((loop_io_t *)h);
        break;
    case LOOP_KIND_SIGNAL:
        loop_signal_stop((loop_signal_t *)h);
        break;
    case LOOP_KIND_DEFER:
        loop_defer_stop((loop_defer_t *)h);
        break;
    case LOOP_KIND_ASYNC:
        loop__async_close((loop_async_t *)h);
        loop__handle_stop(h);
        break;
    default:
        /* work requests finish by themselves; tasks are not handles */
        return -EINVAL;
    }
    loop__sched_remove(loop, h);
    loop__inspect_lock(loop);
    h->flags |= LOOP__H_CLOSING;
    loop__inspect_unlock(loop);
    h->cb = (void (*)(void))close_cb;
    loop__queue_insert_tail(&loop->closing, &h->ready);
    LOOP_TRACE(handle_close, h);
    return 0;
}

void loop__run_closing(loop_t *loop)
{
    loop_queue_t q;

    if (loop__queue_empty(&loop->closing)) {
        return;
    }
    loop__queue_init(&q);
    loop__queue_splice(&q, &loop->closing);
    while (!loop__queue_empty(&q)) {
        loop_handle_t *h = loop__queue_data(q.next, loop_handle_t, ready);
        uint64_t id = h->id;
        bool named = (h->flags & LOOP__H_IDENT) != 0;
        loop__queue_remove(&h->ready);
        loop__inspect_lock(loop);
        loop__inspect_unlink(loop, &h->all);
        h->flags |= LOOP__H_CLOSED;
        loop__inspect_unlock(loop);
        if (LOOP_UNLIKELY(loop->debug)) {
            loop__debug_handle_gone(loop, h->id);
        }
        h->magic = LOOP__MAGIC_CLOSED;
        loop__dispatch(loop, h); /* the close callback: may free h or init it again */
        if (LOOP_UNLIKELY(named)) { /* its name served the callback's messages and trace */
            loop__inspect_lock(loop);
            loop__ident_del_id(loop, id);
            loop__inspect_unlock(loop);
        }
    }
}

int loop_walk(loop_t *loop, loop_walk_cb fn, void *arg)
{
    loop_queue_t *q, *next;

    if (loop == NULL || fn == NULL) {
        return -EINVAL;
    }
    for (q = loop->handles.next; q != &loop->handles; q = next) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        next = q->next;
        if (h->flags & LOOP__H_INTERNAL) {
            continue;
        }
        int rc = fn(h, arg);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Report open handles grouped by (kind, site): one line per group, in order. */
size_t loop__report_open(loop_t *loop)
{
    size_t total = 0;
    loop_queue_t *q;

    loop__queue_foreach(q, &loop->handles) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        if (!(h->flags & LOOP__H_INTERNAL)) {
            total++;
        }
    }
    if (total > 0) {
        loop__report_handles(loop, total);
    }
    if (loop->active > 0 && total == 0) {
        loop_log(LOOP_LOG_WARN, "Loop not closed: loop=%llu reason=pending-calls count=%zu",
                 (unsigned long long)loop->id, loop->active);
        total += loop->active;
    }
    total += loop__tasks_report_open(loop);
    return total;
}
