/*
 * replay.c — one loop iteration in the recorded order (LOOP_REPLAY).
 *
 * The iteration takes its clock from the schedule, collects whatever I/O is
 * ready without blocking, runs the timers on the recorded clock, then runs
 * exactly the items the schedule lists for this iteration, in its order. An
 * item recorded as run but not ready yet (its I/O, wakeup or pool completion
 * has not happened) is waited for, with the others held back: real I/O still
 * happens, only its timing is taken away. Each dispatch is checked against
 * the schedule in loop__rr_dispatch(), and each task I/O attempt a step
 * makes against the IO records that follow it (task_io.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "record.h"
#include "core/trace.h"

/*
 * The queued items by id: an open-addressing table (linear probing) over the
 * items of loop->pending, so that finding the recorded item costs O(1)
 * whatever the number of ready items and their order. Items stay in
 * loop->pending (its order is fifo's, should the replay diverge and
 * continue); new ones are its unindexed tail, indexed before each look-up,
 * and loop__sched_remove() forgets an item as it leaves the queue.
 */
struct loop__replay_ent {
    uint64_t id; /* 0: free */
    loop_handle_t *h;
};

static size_t slot_of(uint64_t id, size_t cap)
{
    uint64_t x = id * 0x9e3779b97f4a7c15ull;
    return (size_t)(x ^ (x >> 29)) & (cap - 1);
}

static struct loop__replay_ent *index_lookup(struct loop__rr *rr, uint64_t id)
{
    if (rr->index_cap == 0) {
        return NULL;
    }
    for (size_t i = slot_of(id, rr->index_cap);; i = (i + 1) & (rr->index_cap - 1)) {
        struct loop__replay_ent *e = &rr->index_tab[i];
        if (e->id == id) {
            return e;
        }
        if (e->id == 0) {
            return NULL;
        }
    }
}

static void index_insert(struct loop__replay_ent *tab, size_t cap, uint64_t id, loop_handle_t *h)
{
    size_t i = slot_of(id, cap);

    while (tab[i].id != 0 && tab[i].id != id) {
        i = (i + 1) & (cap - 1);
    }
    tab[i].id = id;
    tab[i].h = h;
}

static bool index_put(struct loop__rr *rr, uint64_t id, loop_handle_t *h)
{
    if ((rr->index_len + 1) * 2 > rr->index_cap) {
        size_t cap = rr->index_cap ? rr->index_cap * 2 : 64;
        struct loop__replay_ent *tab = calloc(cap, sizeof(*tab));
        if (tab == NULL) {
            return false;
        }
        for (size_t i = 0; i < rr->index_cap; i++) {
            if (rr->index_tab[i].id != 0) {
                index_insert(tab, cap, rr->index_tab[i].id, rr->index_tab[i].h);
            }
        }
        free(rr->index_tab);
        rr->index_tab = tab;
        rr->index_cap = cap;
    }
    index_insert(rr->index_tab, rr->index_cap, id, h);
    rr->index_len++;
    return true;
}

/* Backward-shift deletion: the probe sequences of the entries after it stay whole. */
static void index_del(struct loop__rr *rr, struct loop__replay_ent *e)
{
    size_t cap = rr->index_cap, i = (size_t)(e - rr->index_tab), j = i;

    for (;;) {
        j = (j + 1) & (cap - 1);
        if (rr->index_tab[j].id == 0) {
            break;
        }
        size_t k = slot_of(rr->index_tab[j].id, cap);
        /* move j into the hole at i unless its home k lies cyclically in (i, j] */
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            rr->index_tab[i] = rr->index_tab[j];
            i = j;
        }
    }
    rr->index_tab[i].id = 0;
    rr->index_tab[i].h = NULL;
    rr->index_len--;
}

void loop__replay_forget(loop_t *loop, loop_handle_t *h)
{
    struct loop__rr *rr = loop->rr;
    struct loop__replay_ent *e;

    if (rr == NULL || rr->index_len == 0 || h->id == 0) {
        return;
    }
    e = index_lookup(rr, h->id);
    if (e != NULL && e->h == h) {
        index_del(rr, e);
    }
}

void loop__replay_unindex_all(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;

    free(rr->index_tab);
    rr->index_tab = NULL;
    rr->index_cap = rr->index_len = 0;
}

/* Index the tail of loop->pending pushed since the last look-up. */
static void index_new(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;
    loop_queue_t *q;

    for (q = loop->pending.prev; q != &loop->pending; q = q->prev) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
        if (h->id == 0) {
            continue; /* libloop's own (the monitor's): never in a schedule */
        }
        struct loop__replay_ent *e = index_lookup(rr, h->id);
        if (e != NULL && e->h == h) {
            break; /* this one and everything before it are indexed */
        }
        if (!index_put(rr, h->id, h)) {
            loop_log(LOOP_LOG_ERROR, "replay: out of memory");
            exit(2);
        }
    }
}

static loop_handle_t *find_queued(loop_t *loop, uint64_t id, int kind)
{
    struct loop__replay_ent *e;

    index_new(loop);
    e = index_lookup(loop->rr, id);
    return e != NULL && e->h->kind == kind ? e->h : NULL;
}

/*
 * Timers are due by the (recorded) clock alone, and the recorded run ran
 * every timer its timers_run made ready within that iteration (in its first
 * round). A timer still queued when the schedule moves on is one the
 * program did not have then: it changed since the recording.
 */
static bool extra_timer(loop_t *loop)
{
    loop_queue_t *lists[2] = {&loop->round, &loop->pending};
    loop_queue_t *q;

    for (int i = 0; i < 2; i++) {
        loop__queue_foreach(q, lists[i]) {
            loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
            if (h->kind == LOOP_KIND_TIMER) {
                const loop_site_t *s = h->site;
                char did[400];
                snprintf(did, sizeof(did),
                         "had kind=timer id=%llu name=\"%s\" site=%s:%d (%s) due (not in "
                         "the recording)",
                         (unsigned long long)h->id, loop__h_label(h), s ? s->file : "?",
                         s ? s->line : 0, s ? s->func : "?");
                loop__rr_diverge(loop, did);
                return true;
            }
        }
    }
    return false;
}

void loop__replay_iteration(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;

    loop__time_update(loop, LOOP__REC_ITER);
    LOOP_TRACE(iter_begin, loop);
    if (loop->policy != LOOP__POLICY_REPLAY) {
        return; /* diverged and continuing: the next iteration is fifo */
    }
    loop__poll(loop, 0);
    if (rr->next_rc == 1 && rr->next.type == LOOP__REC_CLOCK) {
        loop_update_time(loop); /* the recorded run blocked in poll here */
    }
    loop__timers_run(loop);
    while (loop->policy == LOOP__POLICY_REPLAY && rr->next_rc == 1 &&
           ((rr->next.type == LOOP__REC_DISPATCH && rr->next.kind != LOOP_KIND_CLOSE) ||
            (rr->next.type == LOOP__REC_NOTE && rr->next.what == LOOP__NOTE_MON_CANCEL))) {
        if (rr->next.type == LOOP__REC_NOTE) {
            loop__replay_monitor_cancel(loop); /* it came from outside: do it here */
            continue;
        }
        uint64_t id = rr->next.id;
        int kind = rr->next.kind;
        loop_handle_t *h = find_queued(loop, id, kind);
        uint64_t start = h == NULL ? loop__hrtime_ns() : 0; /* a clock read per dispatch is dear */

        while (h == NULL) {
            if (rr->wait_ms >= 0 && loop__hrtime_ns() - start > (uint64_t)rr->wait_ms * 1000000u) {
                loop__rr_diverge(loop, "never made it ready (waited LOOP_REPLAY_WAIT_MS)");
                return;
            }
            loop__poll(loop, 10 * 1000000);
            h = find_queued(loop, id, kind);
        }
        loop__sched_remove(loop, h);
        loop__dispatch(loop, h);
        if (loop->policy == LOOP__POLICY_REPLAY && rr->next_rc == 1 &&
            rr->next.type == LOOP__REC_IO) {
            /* the recorded step made one more I/O call: this one returned first */
            loop__rr_diverge(loop, "ended the step without that call");
            return;
        }
        if (loop->policy == LOOP__POLICY_REPLAY && rr->notes && rr->next_rc == 1 &&
            rr->next.type == LOOP__REC_NOTE && rr->next.what != LOOP__NOTE_MON_CANCEL) {
            loop__rr_diverge(loop, "ended the step without it");
            return;
        }
    }
    if (loop->policy == LOOP__POLICY_REPLAY && extra_timer(loop)) {
        return; /* diverged and continuing: the next iteration is fifo */
    }
    loop__run_closing(loop);
}
