/*
 * timer.c — uv timers: libuv's semantics on a binary min-heap of the loop.
 *
 * Due times are in the loop's millisecond clock; equal due times fire in
 * start order (start_id). A repeating timer is re-armed from the loop's
 * time when it fires (uv_timer_again), as in libuv. Each callback runs as a
 * dispatch of the timer's libloop handle.
 */
#include "uv-internal.h"

static int timer_less(const uv_timer_t *a, const uv_timer_t *b)
{
    if (a->timeout != b->timeout) {
        return a->timeout < b->timeout;
    }
    return a->start_id < b->start_id;
}

static void heap_set(uv_loop_t *loop, unsigned int i, uv_timer_t *t)
{
    loop->timer_heap[i] = t;
    t->heap_index = i + 1;
}

static void heap_up(uv_loop_t *loop, unsigned int i)
{
    uv_timer_t *t = loop->timer_heap[i];

    while (i > 0) {
        unsigned int parent = (i - 1) / 2;
        uv_timer_t *p = loop->timer_heap[parent];
        if (!timer_less(t, p)) {
            break;
        }
        heap_set(loop, i, p);
        i = parent;
    }
    heap_set(loop, i, t);
}

static void heap_down(uv_loop_t *loop, unsigned int i)
{
    uv_timer_t *t = loop->timer_heap[i];

    for (;;) {
        unsigned int l = 2 * i + 1, r = l + 1, m = i;
        uv_timer_t *best = t;
        if (l < loop->timer_len && timer_less(loop->timer_heap[l], best)) {
            m = l;
            best = loop->timer_heap[l];
        }
        if (r < loop->timer_len && timer_less(loop->timer_heap[r], best)) {
            m = r;
            best = loop->timer_heap[r];
        }
        if (m == i) {
            break;
        }
        heap_set(loop, i, best);
        i = m;
    }
    heap_set(loop, i, t);
}

static int heap_insert(uv_loop_t *loop, uv_timer_t *t)
{
    if (loop->timer_len == loop->timer_cap) {
        unsigned int cap = loop->timer_cap ? loop->timer_cap * 2 : 16;
        void **h = realloc(loop->timer_heap, cap * sizeof(*h));
        if (h == NULL) {
            return UV_ENOMEM;
        }
        loop->timer_heap = h;
        loop->timer_cap = cap;
    }
    loop->timer_heap[loop->timer_len++] = t;
    heap_up(loop, loop->timer_len - 1);
    return 0;
}

static void heap_remove(uv_loop_t *loop, uv_timer_t *t)
{
    unsigned int i = t->heap_index - 1;
    uv_timer_t *last;

    t->heap_index = 0;
    last = loop->timer_heap[--loop->timer_len];
    if (last == t) {
        return;
    }
    heap_set(loop, i, last);
    if (i > 0 && timer_less(last, loop->timer_heap[(i - 1) / 2])) {
        heap_up(loop, i);
    } else {
        heap_down(loop, i);
    }
}

int uv_timer_init_at(uv_loop_t *loop, uv_timer_t *handle, const loop_site_t *site)
{
    uv__handle_init(loop, (uv_handle_t *)handle, UV_TIMER, site);
    handle->timer_cb = NULL;
    handle->heap_index = 0;
    handle->timeout = 0;
    handle->repeat = 0;
    handle->start_id = 0;
    return 0;
}

int uv_timer_start(uv_timer_t *handle, uv_timer_cb cb, uint64_t timeout, uint64_t repeat)
{
    uint64_t clamped;
    int err;

    if (uv__is_closing(handle) || cb == NULL) {
        return UV_EINVAL;
    }
    if (uv__is_active(handle)) {
        uv_timer_stop(handle);
    }
    clamped = handle->loop->time + timeout;
    if (clamped < timeout) {
        clamped = (uint64_t)-1;
    }
    handle->timer_cb = cb;
    handle->timeout = clamped;
    handle->repeat = repeat;
    handle->start_id = handle->loop->timer_counter++;
    err = heap_insert(handle->loop, handle);
    if (err < 0) {
        return err;
    }
    uv__handle_start(handle);
    return 0;
}

int uv_timer_stop(uv_timer_t *handle)
{
    if (!uv__is_active(handle)) {
        return 0;
    }
    if (handle->heap_index != 0) {
        heap_remove(handle->loop, handle);
    }
    uv__handle_stop(handle);
    return 0;
}

int uv_timer_again(uv_timer_t *handle)
{
    if (handle->timer_cb == NULL) {
        return UV_EINVAL;
    }
    if (handle->repeat) {
        uv_timer_stop(handle);
        uv_timer_start(handle, handle->timer_cb, handle->repeat, handle->repeat);
    }
    return 0;
}

void uv_timer_set_repeat(uv_timer_t *handle, uint64_t repeat)
{
    handle->repeat = repeat;
}

uint64_t uv_timer_get_repeat(const uv_timer_t *handle)
{
    return handle->repeat;
}

uint64_t uv_timer_get_due_in(const uv_timer_t *handle)
{
    if (handle->timeout <= handle->loop->time) {
        return 0;
    }
    return handle->timeout - handle->loop->time;
}

int uv__next_timeout(const uv_loop_t *loop)
{
    const uv_timer_t *t;
    uint64_t diff;

    if (loop->timer_len == 0) {
        return -1; /* block indefinitely */
    }
    t = loop->timer_heap[0];
    if (t->timeout <= loop->time) {
        return 0;
    }
    diff = t->timeout - loop->time;
    if (diff > INT32_MAX) {
        diff = INT32_MAX;
    }
    return (int)diff;
}

static void timer_thunk(uv_handle_t *h, void *arg)
{
    (void)arg;
    ((uv_timer_t *)h)->timer_cb((uv_timer_t *)h);
}

void uv__run_timers(uv_loop_t *loop)
{
    while (loop->timer_len > 0) {
        uv_timer_t *t = loop->timer_heap[0];
        if (t->timeout > loop->time) {
            break;
        }
        uv_timer_stop(t);
        uv_timer_again(t);
        uv__dispatch((uv_handle_t *)t, timer_thunk, NULL);
    }
}

void uv__timer_close(uv_timer_t *handle)
{
    uv_timer_stop(handle);
}
