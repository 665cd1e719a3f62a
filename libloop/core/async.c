/*
 * async.c — async wakeups: loop_async_send() from any thread makes the
 * handle's callback run on the loop thread.
 *
 * A send sets the handle's pending flag and, if it was clear, wakes the loop
 * (one eventfd write per wakeup of the loop, whatever the number of sends).
 * The loop clears its wake flag before it scans the handles, and each
 * handle's flag before queueing it, so a send that races with either is seen
 * by this scan or causes another wakeup: no send is lost.
 */
#include <string.h>

#include "internal.h"
#include "trace.h"

#define ASYNC_CLOSED 2 /* pending's value once closed: sends are refused */

int loop_async_init_at(loop_t *loop, loop_async_t *a, loop_async_cb cb, const loop_site_t *site)
{
    if (loop == NULL || a == NULL || cb == NULL) {
        return -EINVAL;
    }
    loop__handle_init(loop, &a->handle, LOOP_KIND_ASYNC, site);
    a->handle.cb = (void (*)(void))cb;
    atomic_init((atomic_int *)&a->pending, 0);
    loop__queue_insert_tail(&loop->asyncs, &a->async_node);
    loop__handle_start(&a->handle);
    return 0;
}

int loop_async_send(loop_async_t *a)
{
    int expected = 0;

    if (a == NULL || a->handle.kind != LOOP_KIND_ASYNC || a->handle.loop == NULL) {
        return -EINVAL;
    }
    if (atomic_compare_exchange_strong((atomic_int *)&a->pending, &expected, 1)) {
        loop__wake(a->handle.loop);
        return 0;
    }
    /* already pending (coalesced), or closed */
    return expected == ASYNC_CLOSED ? -EBADF : 0;
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
        if (atomic_load((atomic_int *)&a->pending) == 1) {
            loop__sched_push_fast(loop, &a->handle);
        }
    }
}

void loop__async_dispatch(loop_async_t *a)
{
    int expected = 1;

    if (!atomic_compare_exchange_strong((atomic_int *)&a->pending, &expected, 0)) {
        return;
    }
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

void loop__async_free_internal(loop_t *loop, loop_async_t *a)
{
    loop__sched_remove(loop, &a->handle);
    loop__queue_remove(&a->async_node);
    a->handle.flags |= LOOP__H_CLOSED;
    a->handle.magic = LOOP__MAGIC_CLOSED;
}
