/*
 * queue.h — intrusive circular doubly linked lists (loop_queue_t), after
 * libuv's queue.h. A queue head is a node pointing at itself when empty.
 */
#ifndef LOOP_QUEUE_H
#define LOOP_QUEUE_H

#include <stddef.h>

#include "loop.h"

#define loop__queue_data(ptr, type, field) ((type *)((char *)(ptr)-offsetof(type, field)))

static inline void loop__queue_init(loop_queue_t *q)
{
    q->next = q;
    q->prev = q;
}

static inline int loop__queue_empty(const loop_queue_t *q)
{
    return q->next == q;
}

/* A node that is in no queue points at itself (after init or remove). */
static inline int loop__queue_linked(const loop_queue_t *n)
{
    return n->next != n && n->next != NULL;
}

static inline void loop__queue_insert_tail(loop_queue_t *h, loop_queue_t *n)
{
    n->next = h;
    n->prev = h->prev;
    n->prev->next = n;
    h->prev = n;
}

static inline void loop__queue_insert_head(loop_queue_t *h, loop_queue_t *n)
{
    n->next = h->next;
    n->prev = h;
    n->next->prev = n;
    h->next = n;
}

static inline void loop__queue_remove(loop_queue_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n;
    n->prev = n;
}

/* Move every node of src to the tail of dst; src ends empty. */
static inline void loop__queue_splice(loop_queue_t *dst, loop_queue_t *src)
{
    if (src->next == src) {
        return;
    }
    src->next->prev = dst->prev;
    dst->prev->next = src->next;
    src->prev->next = dst;
    dst->prev = src->prev;
    src->next = src;
    src->prev = src;
}

#define loop__queue_foreach(q, h) for ((q) = (h)->next; (q) != (h); (q) = (q)->next)

#endif /* LOOP_QUEUE_H */
