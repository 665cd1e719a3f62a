/*
 * async.c — async wakeups: loop_async_send() from any thread makes the
 * handle's callback run on the loop thread.
 *
 * A send counts itself in the handle's pending count and, if it was 0,
 * wakes the loop (one eventfd write per wakeup of the loop, whatever the
 * number of sends). The loop clears its wake flag before it scans the
 * handles, and the dispatch takes the count (resetting it to 0) before the
 * callback runs, so a send that races with either is seen by this dispatch
 * or causes another wakeup: no send is lost. The count taken is how many
 * sends the callback answers; the recorder notes it (replay checks it).
 */
#include <limits.h>
#include <string.h>

#include "internal.h"
#include "record/record.h"
#include "trace.h"

/* pending: the sends since the last dispatch (0: none), or ASYNC_CLOSED once
 * closed (sends refused). The count is what the recorder notes: how many
 * sends one dispatch coalesced. */
#define ASYNC_CLOSED (-1)

int loop_async_init_at(loop_t *loop, loop_async_t *a, loop_async_cb cb, const loop_site_t *site)
{
    if (loop == NULL || a == NULL || cb == NULL) {
        return -EINVAL;
    }
    int rc = loop__handle_init_fast(loop, &a->handle, LOOP_KIND_ASYNC, site);

    if (rc < 0) {
        return rc;
    }
    a->handle.cb = (void (*)(void))cb;
    atomic_init((atomic_int *)&a->pending, 0);
    loop__queue_insert_tail(&loop->asyncs, &a->async_node);
    loop__handle_start(&a->handle);
    return 0;
}

int loop_async_send(loop_async_t *a)
{
    atomic_int *p;
    int v;

    if (a == NULL || a->handle.kind != LOOP_KIND_ASYNC || a->handle.loop == NULL) {
        return -EINVAL;
    }
    p = (atomic_int *)&a->pending;
    v = atomic_load(p);
    do {
        if (v == ASYNC_CLOSED) {
            return -EBADF;
        }
        if (v == INT_MAX) {
            return 0; /* coalesced; the count saturates */
        }
    } while (!atomic_compare_exchange_weak(p, &v, v + 1));
    if (v == 0) {
        loop__wake(a->handle.loop); /* the first send since the last dispatch */
    }
    return 0;
}

void loop__async_close(loop_async_t *a)
{
    atomic_store((atomic_int *)&a->pending, ASYNC_CLOSED);
    loop__queue_remove(&a->async_node);
}

void loop__async_collect(loop_t *loop)
{
    loop_queue_t *q;

    loop__queue_foreach(q, &loop->asyncs) {
        loop_async_t *a = loop__queue_data(q, loop_async_t, async_node);
        if (atomic_load((atomic_int *)&a->pending) > 0) {
            loop__sched_push_fast(loop, &a->handle);
        }
    }
}

void loop__async_dispatch(loop_async_t *a)
{
    loop_t *loop = a->handle.loop;
    atomic_int *p = (atomic_int *)&a->pending;
    int n;

    if (LOOP_UNLIKELY(loop->rr != NULL) && a->handle.id != 0) {
        loop__rr_async_wait(loop, a->handle.id, p); /* replaying: the recorded sends */
    }
    n = atomic_load(p);
    while (n > 0 && !atomic_compare_exchange_weak(p, &n, 0)) {
    }
    if (n <= 0) {
        return;
    }
    loop__rr_outcome(loop, LOOP__NOTE_ASYNC_SENDS, a->handle.id, n);
    ((loop_async_cb)a->handle.cb)(a);
}

/*
 * An async handle that is libloop's own (the monitor's, the watchdog's):
 * it takes no id (the program's handle and task ids stay the same with or
 * without them), is not in the handle table (never reported, never walked),
 * is never active (it neither keeps loop_run going nor makes loop_close say
 * -EBUSY), and loop__async_free_internal() unlinks it at once, with no
 * iteration needed to close it. Loop thread.
 */
void loop__async_init_internal(loop_t *loop, loop_async_t *a, loop_async_cb cb, const char *name)
{
    loop_handle_t *h = &a->handle;

    (void)name; /* id-less: no side-table entry to keep a name in (ident.c) */
    memset(a, 0, sizeof(*a));
    h->loop = loop;
    h->site = LOOP_SITE();
    h->kind = LOOP_KIND_ASYNC;
    h->flags = LOOP__H_INTERNAL;
    h->magic = LOOP__MAGIC_OPEN;
    h->cb = (void (*)(void))cb;
    loop__queue_init(&h->ready);
    loop__queue_init(&h->all);
    atomic_init((atomic_int *)&a->pending, 0);
    loop__queue_insert_tail(&loop->asyncs, &a->async_node);
}

void loop__async_free_internal(loop_t *loop, loop_async_t *a)
{
    loop__sched_remove(loop, &a->handle);
    loop__queue_remove(&a->async_node);
    a->handle.flags |= LOOP__H_CLOSED;
    a->handle.magic = LOOP__MAGIC_CLOSED;
}
