/*
 * chaos.c — seeded chaos scheduling (LOOP_CHAOS=SEED).
 *
 * Chaos perturbs only what libloop does not promise:
 *   - which ready item runs next (any item of the round, not just the head),
 *   - I/O readiness, held back for up to 2 ms now and then,
 *   - timer lateness: a blocking poll oversleeps, mostly by up to 2 ms, one
 *     time in eight by up to LOOP_CHAOS_LATE_MS (default 80), so timers fire
 *     late and together as on a loaded machine,
 *   - the order of thread-pool completions and of tasks woken by different
 *     events (both are ready items).
 * It keeps every documented promise: call-soons (defer handles and
 * loop_call_soon) run in FIFO order among themselves, timers run in due
 * order with ties in start order, a lock is handed to its waiters FIFO, and
 * close callbacks run in close order. Every choice comes from the seed.
 */
#include "record.h"

#define WINDOW 16

/* Only I/O watchers are held back; their release time lives in the watcher. */
static uint64_t loop__chaos_release_ns(const loop_handle_t *h)
{
    return ((const loop_io_t *)h)->chaos_release_ns;
}

static void loop__chaos_hold(loop_handle_t *h, uint64_t until_ns)
{
    ((loop_io_t *)h)->chaos_release_ns = until_ns;
}

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

    /* held-back readiness comes back once its loop-time deadline passed */
    for (q = rr->delayed.next; q != &rr->delayed; q = next) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
        next = q->next;
        if (loop->now_ns >= loop__chaos_release_ns(h)) {
            loop__queue_remove(&h->ready);
            loop__queue_insert_tail(&loop->pending, &h->ready);
        }
    }
}

int64_t loop__chaos_timeout(loop_t *loop, int64_t timeout_ns)
{
    struct loop__rr *rr = loop->rr;
    int64_t late;

    if (!loop__queue_empty(&rr->delayed)) {
        /* wake up for the held-back items (they are still ready in the kernel) */
        uint64_t first = UINT64_MAX;
        loop_queue_t *q;
        loop__queue_foreach(q, &rr->delayed) {
            uint64_t r = loop__chaos_release_ns(loop__queue_data(q, loop_handle_t, ready));
            first = r < first ? r : first;
        }
        int64_t until = first > loop->now_ns ? (int64_t)(first - loop->now_ns) : 0;
        if (timeout_ns < 0 || until < timeout_ns) {
            timeout_ns = until;
        }
    }
    if (timeout_ns <= 0 || rr->late_max_ns == 0) {
        return timeout_ns;
    }
    /* mostly a little late, now and then very late, like a loaded machine */
    if (rnd(loop, 8) == 0) {
        late = (int64_t)rnd(loop, rr->late_max_ns);
    } else {
        late = (int64_t)rnd(loop, 2000000);
    }
    return timeout_ns + late;
}

/* Maybe hold back h's readiness for up to 2 ms of loop time: true when put aside. */
bool loop__chaos_delay_io(loop_t *loop, loop_handle_t *h)
{
    struct loop__rr *rr = loop->rr;

    if (h->flags & LOOP__H_QUEUED) {
        return true; /* already queued or held back */
    }
    if (rnd(loop, 4) != 0) {
        return false;
    }
    loop__chaos_hold(h, loop->now_ns + 1 + rnd(loop, 2000000));
    h->flags |= LOOP__H_QUEUED;
    loop__queue_insert_tail(&rr->delayed, &h->ready);
    return true;
}
