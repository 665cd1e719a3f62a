/*
 * ident.c — the rarely set part of a handle's identity, out of the header
 * (issue 20): its name (loop_handle_set_name()) and the task that created
 * it. Most handles have neither (created outside a task, never named), so
 * the header does not pay 16 bytes for them; a handle that has one is
 * flagged LOOP__H_IDENT and has an entry here, keyed by its id.
 *
 * One open-addressing table per loop (linear probing, deletion by backward
 * shift: no tombstones), at most half full; id 0 marks a free slot (ids
 * start at 1; libloop's id-less internal handles keep no name). Keyed by id,
 * not by address, so the scheduler's stack copy of a dispatched item (which
 * carries the id and the flag) finds the same entry. Changes happen on the
 * loop thread under inspect_mu (the monitor reads names from its thread).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

#define IDENT_MIN_CAP 16u

static inline uint32_t slot_of(uint64_t id, uint32_t cap)
{
    return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

const struct loop__ident *loop__ident_find(const loop_t *loop, uint64_t id)
{
    const struct loop__idents *tb = &loop->idents;

    if (tb->len == 0 || id == 0) {
        return NULL;
    }
    /* cap before ent: the watchdog's capture handler (watchdog.c) calls this
     * on the loop thread at any instruction, possibly inside a grow, which
     * publishes ent before cap; a larger array under the old mask only misses */
    uint32_t cap = tb->cap;
    atomic_signal_fence(memory_order_acquire);
    const struct loop__ident *ent = tb->ent;
    for (uint32_t i = slot_of(id, cap), n = 0; n < cap; i = (i + 1) & (cap - 1), n++) {
        if (ent[i].id == id) {
            return &ent[i];
        }
        if (ent[i].id == 0) {
            return NULL;
        }
    }
    return NULL;
}

static struct loop__ident *slot_for(struct loop__idents *tb, uint64_t id)
{
    uint32_t i = slot_of(id, tb->cap);

    while (tb->ent[i].id != 0 && tb->ent[i].id != id) {
        i = (i + 1) & (tb->cap - 1);
    }
    return &tb->ent[i];
}

int loop__ident_grow(loop_t *loop, uint32_t more)
{
    struct loop__idents *tb = &loop->idents;
    struct loop__ident *old = tb->ent, *ent;
    uint32_t ocap = tb->cap, ncap = ocap ? ocap : IDENT_MIN_CAP;

    if (more > UINT32_MAX / 4 - tb->len) {
        return -ENOMEM;
    }
    while ((uint64_t)(tb->len + more) * 2 > ncap) {
        ncap *= 2;
    }
    if (ncap == ocap) {
        return 0;
    }
    ent = calloc(ncap, sizeof(*ent));
    if (ent == NULL) {
        return -ENOMEM;
    }
    struct loop__idents fresh = {.ent = ent, .cap = ncap, .len = tb->len};
    for (uint32_t i = 0; i < ocap; i++) {
        if (old[i].id != 0) {
            *slot_for(&fresh, old[i].id) = old[i];
        }
    }
    /* filled before it is published, ent before cap (loop__ident_find) */
    tb->ent = ent;
    atomic_signal_fence(memory_order_release);
    tb->cap = ncap;
    free(old);
    return 0;
}

/* Remove the entry of id, if any; shift the entries after it back. */
static void ident_remove(struct loop__idents *tb, uint64_t id)
{
    uint32_t mask = tb->cap - 1, i, j;

    if (tb->len == 0) {
        return;
    }
    i = slot_of(id, tb->cap);
    while (tb->ent[i].id != id) {
        if (tb->ent[i].id == 0) {
            return;
        }
        i = (i + 1) & mask;
    }
    tb->len--;
    for (j = (i + 1) & mask; tb->ent[j].id != 0; j = (j + 1) & mask) {
        uint32_t home = slot_of(tb->ent[j].id, tb->cap);
        /* j's entry may move to the hole at i unless its home lies in (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            tb->ent[i] = tb->ent[j];
            i = j;
        }
    }
    tb->ent[i].id = 0;
}

int loop__ident_set(loop_t *loop, loop_handle_t *h, const char *name, uint64_t parent_task)
{
    struct loop__idents *tb = &loop->idents;
    struct loop__ident *e;

    if (name == NULL && parent_task == 0) {
        if (h->flags & LOOP__H_IDENT) {
            ident_remove(tb, h->id);
            h->flags &= (uint8_t)~LOOP__H_IDENT;
        }
        return 0;
    }
    if (h->id == 0) {
        return 0; /* libloop's own id-less handles: nothing to key on */
    }
    if (!(h->flags & LOOP__H_IDENT) && loop__ident_reserve(loop, 1) < 0) {
        return -ENOMEM;
    }
    e = slot_for(tb, h->id);
    if (e->id == 0) {
        tb->len++;
    }
    *e = (struct loop__ident){h->id, name, parent_task};
    h->flags |= LOOP__H_IDENT;
    return 0;
}

void loop__ident_del(loop_t *loop, loop_handle_t *h)
{
    ident_remove(&loop->idents, h->id);
    h->flags &= (uint8_t)~LOOP__H_IDENT;
}

void loop__ident_del_id(loop_t *loop, uint64_t id)
{
    ident_remove(&loop->idents, id);
}

void loop__ident_free(loop_t *loop)
{
    free(loop->idents.ent);
    loop->idents.ent = NULL;
    loop->idents.cap = loop->idents.len = 0;
}

const char *loop_handle_name(const loop_handle_t *h)
{
    return h != NULL ? loop__h_name(h) : NULL;
}

uint64_t loop_handle_parent_task(const loop_handle_t *h)
{
    return h != NULL ? loop__h_parent(h) : 0;
}
