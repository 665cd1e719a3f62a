/*
 * chaos.c — seeded chaos scheduling (LOOP_CHAOS=SEED).
 *
 * Chaos perturbs only what libloop does not promise:
 *   - which ready item runs next (any item of the round, not just the head),
 *   - I/O readiness, held back for one to three iterations now and then,
 *   - timer lateness: a blocking poll oversleeps by up to LOOP_CHAOS_LATE_MS
 *     (default 3), so timers fire late and together,
 *   - the order of thread-pool completions and of tasks woken by different
 *     events (both are ready items).
 * It keeps every documented promise: call-soons (defer handles and
 * loop_call_soon) run in FIFO order among themselves, timers run in due
 * order with ties in start order, a lock is handed to its waiters FIFO, and
 * close callbacks run in close order. Every choice comes from the seed.
 */
#include "record.h"

#define WINDOW 16

static uint64_t rnd(loop_t *loop, uint64_t n)
{
    return n ? loop__rr_rand(&loop->rr->chaos_rng) % n : 0;
}

loop_handle_t *loop__chaos_pick(loop_t *loop)
{
    loop_handle_t *cand[WINDOW];
    int n = 0, seen_defer = 0, seen_timer = 0;
    loop_queue_t *q;

    loop__queue_foreach(q, &loop->round) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
        if (h->kind == LOOP_KIND_DEFER) {
            if (seen_defer++) {
                continue; /* only the oldest call-soon may go next */
            }
        } else if (h->kind == LOOP_KIND_TIMER) {
            if (seen_timer++) {
                continue; /* timers keep their order */
            }
        }
        cand[n++] = h;
        if (n == WINDOW) {
            break;
        }
    }
    return cand[rnd(loop, (uint64_t)n)];
}

void loop__chaos_iteration_begin(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;
    loop_queue_t *q, *next;

    /* held-back readiness: each item comes back after its countdown */
    for (q = rr->delayed.next; q != &rr->delayed; q = next) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
        next = q->next;
        if (h->aux >> 24 == 0) {
            loop__queue_remove(&h->ready);
            loop__queue_insert_tail(&loop->pending, &h->ready);
        } else {
            h->aux -= 1u << 24;
        }
    }
}

int64_t loop__chaos_timeout(loop_t *loop, int64_t timeout_ns)
{
    if (timeout_ns <= 0 || loop->rr->late_max_ns == 0) {
        return timeout_ns;
    }
    return timeout_ns + (int64_t)rnd(loop, loop->rr->late_max_ns);
}

/* Maybe hold back h's readiness: true when it was put aside. */
bool loop__chaos_delay_io(loop_t *loop, loop_handle_t *h)
{
    if (h->flags & LOOP__H_QUEUED) {
        return true; /* already queued or held back */
    }
    if (rnd(loop, 4) != 0) {
        return false;
    }
    /* the countdown lives in aux's top byte; io uses the low 24 bits */
    h->aux = (h->aux & 0xffffffu) | ((uint32_t)rnd(loop, 3) << 24);
    h->flags |= LOOP__H_QUEUED;
    loop__queue_insert_tail(&loop->rr->delayed, &h->ready);
    return true;
}
