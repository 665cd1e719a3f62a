/*
 * defer.c — call-soon: reusable defer handles, and loop_call_soon() records.
 *
 * Both are ready items that run once in the next round, in FIFO order with
 * each other (the scheduler's rounds guarantee it; chaos never reorders them).
 * loop_call_soon() records come from a per-loop free list, so a steady stream
 * of calls allocates nothing; each call gets its own id and site.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "trace.h"

struct call {
    loop_handle_t handle; /* must be first; kind DEFER, flag CALL */
    loop_call_fn fn;
    void *arg;
    uint64_t parent_task; /* the task that called loop_call_soon(), 0 if none */
};

uint64_t loop__call_parent(const loop_handle_t *h)
{
    return ((const struct call *)h)->parent_task;
}

int loop_defer_init_at(loop_t *loop, loop_defer_t *d, const loop_site_t *site)
{
    if (loop == NULL || d == NULL) {
        return -EINVAL;
    }
    return loop__handle_init_fast(loop, &d->handle, LOOP_KIND_DEFER, site);
}

static int defer_start(loop_defer_t *d, loop_defer_cb cb);

/* kind, flags and magic are adjacent in the header: one 32-bit load tests all
 * three (the constants below are laid out the same way, so byte order does
 * not matter). */
struct hdr_bytes {
    uint8_t kind, flags;
    uint16_t magic;
};
_Static_assert(offsetof(loop_handle_t, flags) == offsetof(loop_handle_t, kind) + 1 &&
                   offsetof(loop_handle_t, magic) == offsetof(loop_handle_t, kind) + 2,
               "kind, flags, magic adjacent");

static inline uint32_t hdr_word(const loop_handle_t *h)
{
    uint32_t w;

    memcpy(&w, &h->kind, sizeof(w));
    return w;
}

static inline uint32_t hdr_const(uint8_t kind, uint8_t flags, uint16_t magic)
{
    struct hdr_bytes b = {kind, flags, magic};
    uint32_t w;

    memcpy(&w, &b, sizeof(w));
    return w;
}

/* An open defer, active, not queued, not closing, not a call-soon record. */
#define RESTART_MASK                                                                       \
    hdr_const(0xff,                                                                        \
              LOOP__H_ACTIVE | LOOP__H_QUEUED | LOOP__H_CLOSING | LOOP__H_CLOSED | LOOP__H_CALL, \
              0xffff)
#define RESTART_WANT hdr_const(LOOP_KIND_DEFER, LOOP__H_ACTIVE, LOOP__MAGIC_OPEN)

int loop_defer_start(loop_defer_t *d, loop_defer_cb cb)
{
    /* The chain's restart (the defer is active, its callback is running or
     * done, nothing hooks the loop): the checks of defer_start() would all
     * pass and handle_start has no probe to reach. Queue it; a leaf, so the
     * common call saves no register. */
    if (LOOP_LIKELY(d != NULL && cb != NULL && (hdr_word(&d->handle) & RESTART_MASK) == RESTART_WANT &&
                    !d->handle.loop->hooked)) {
        d->handle.cb = (void (*)(void))cb;
        d->handle.flags |= LOOP__H_QUEUED;
        loop__queue_insert_tail(&d->handle.loop->pending, &d->handle.ready);
        return 0;
    }
    return defer_start(d, cb);
}

__attribute__((noinline)) static int defer_start(loop_defer_t *d, loop_defer_cb cb)
{
    int rc = loop__handle_check((loop_handle_t *)d, LOOP_KIND_DEFER, "loop_defer_start");

    if (rc < 0) {
        return rc;
    }
    if (cb == NULL) {
        return -EINVAL;
    }
    d->handle.cb = (void (*)(void))cb;
    loop__handle_start(&d->handle);
    loop__sched_push(d->handle.loop, &d->handle);
    return 0;
}

int loop_defer_stop(loop_defer_t *d)
{
    int rc = loop__handle_check((loop_handle_t *)d, LOOP_KIND_DEFER, "loop_defer_stop");

    if (rc < 0) {
        return rc;
    }
    loop__sched_remove(d->handle.loop, &d->handle);
    loop__handle_stop(&d->handle);
    return 0;
}

int loop_call_soon_at(loop_t *loop, loop_call_fn fn, void *arg, const loop_site_t *site)
{
    struct call *c;

    if (loop == NULL || fn == NULL) {
        return -EINVAL;
    }
    c = loop->call_free;
    if (c != NULL) {
        loop->call_free = c->arg;
    } else {
        c = malloc(sizeof(*c));
        if (c == NULL) {
            return -ENOMEM;
        }
    }
    c->handle.loop = loop;
    c->handle.site = site;
    c->handle.data = NULL;
    c->handle.id = ++loop->next_id;
    c->parent_task = loop->current_task;
    c->handle.kind = LOOP_KIND_DEFER;
    c->handle.flags = LOOP__H_CALL | LOOP__H_ACTIVE;
    c->handle.magic = LOOP__MAGIC_OPEN;
    c->handle.cb = NULL;
    loop__queue_init(&c->handle.all);
    c->fn = fn;
    c->arg = arg;
    loop__inspect_lock(loop); /* the monitor reads the active count */
    loop->active++;
    loop__inspect_unlock(loop);
    LOOP_TRACE(handle_new, &c->handle);
    loop__sched_push(loop, &c->handle);
    return 0;
}

void loop__defer_dispatch(loop_defer_t *d)
{
    loop_handle_t *h = &d->handle;

    if (h->flags & LOOP__H_CALL) {
        struct call *c = (struct call *)h;
        loop_t *loop = h->loop;
        loop__handle_stop(h);
        c->fn(loop, c->arg);
        h->magic = LOOP__MAGIC_CLOSED;
        c->arg = loop->call_free;
        loop->call_free = c;
        return;
    }
    loop__defer_run(d);
}

/* Free the recycled records and any call that never ran. */
void loop__call_free_all(loop_t *loop)
{
    struct call *c = loop->call_free;

    while (c != NULL) {
        struct call *next = c->arg;
        free(c);
        c = next;
    }
    loop->call_free = NULL;
}
