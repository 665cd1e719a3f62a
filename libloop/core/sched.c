/*
 * sched.c — the scheduler: the one choke point through which every callback
 * and task step runs.
 *
 * Items (handles, task steps) become ready with loop__sched_push() and wait
 * in loop->pending. A round takes everything pending at its start (one O(1)
 * splice) and runs it; what a round makes ready runs in the next round. An
 * iteration runs at most loop->rounds_per_poll rounds before polling again,
 * so I/O is never starved and a chain of call-soons costs one epoll_wait per
 * rounds_per_poll hops.
 *
 * The policy (fifo now; chaos and replay plug in here) only chooses which
 * item of the current round runs next: loop__sched_pick().
 *
 * Tasks hand over directly (task.c): with nothing hooked, a task that yields
 * or waits switches straight to the next item of the round when that is a
 * task, and starts the next round itself when the round is over, within the
 * same rounds_per_poll budget. loop__task_dispatch() is given the rounds run
 * so far and returns how many more such a chain started; the scheduler then
 * drains what is left of the last one (its head was a callback).
 */
#include "internal.h"
#include "record/record.h"
#include "trace.h"

/*
 * inspect_mu is held by another thread (the monitor copying a chunk of rows).
 * The loop thread has priority: the count tells the monitor to end its chunk
 * after the row it is copying, so a short spin usually gets the lock without
 * sleeping; if the holder was preempted, block.
 */
void loop__inspect_lock_wait(loop_t *loop)
{
    uint64_t t0 = loop__hrtime_ns(), waited;

    atomic_fetch_add_explicit(&loop->inspect_waiting, 1, memory_order_relaxed);
    for (int i = 0; i < 2000; i++) {
        if (pthread_mutex_trylock(&loop->inspect_mu) == 0) {
            goto locked;
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
    }
    pthread_mutex_lock(&loop->inspect_mu);
locked:
    atomic_fetch_sub_explicit(&loop->inspect_waiting, 1, memory_order_relaxed);
    waited = loop__hrtime_ns() - t0; /* what the monitor cost: its stats say it */
    loop->inspect_wait_ns += waited;
    if (waited > loop->inspect_wait_max_ns) {
        loop->inspect_wait_max_ns = waited;
    }
}

void loop__sched_push(loop_t *loop, loop_handle_t *h)
{
    if (h->flags & LOOP__H_QUEUED) {
        return;
    }
    loop__inspect_lock(loop);
    h->flags |= LOOP__H_QUEUED;
    loop__inspect_unlock(loop);
    loop__queue_insert_tail(&loop->pending, &h->ready);
    loop__rr_touch(loop, 'w', h->id);
    loop__rr_adopt(loop, h);
}

void loop__sched_remove(loop_t *loop, loop_handle_t *h)
{
    if (h->flags & LOOP__H_QUEUED) {
        loop__inspect_lock(loop);
        h->flags &= (uint8_t)~LOOP__H_QUEUED;
        loop__inspect_unlock(loop);
        loop__queue_remove(&h->ready);
        loop__rr_touch(loop, 'h', h->id);
        if (LOOP_UNLIKELY(loop->policy == LOOP__POLICY_REPLAY)) {
            loop__replay_forget(loop, h); /* replay.c's index of queued items */
        }
    }
}

static inline loop_handle_t *loop__sched_pick(loop_t *loop)
{
    if (LOOP_UNLIKELY(loop->policy != LOOP__POLICY_FIFO)) {
        return loop__rr_pick(loop);
    }
    return loop__queue_data(loop->round.next, loop_handle_t, ready);
}

/* The kind's callback: what every dispatch runs, hooked or plain. Returns
 * the rounds a chain of task steps started (0 unless kind is a task); rounds
 * is how many this call of loop__sched_run_rounds() has run. */
static inline int run_callback(loop_handle_t *h, int kind, int rounds)
{
    switch (kind) {
    case LOOP_KIND_TIMER:
        loop__timer_dispatch((loop_timer_t *)h);
        break;
    case LOOP_KIND_IO:
        loop__io_dispatch((loop_io_t *)h);
        break;
    case LOOP_KIND_SIGNAL:
        loop__signal_dispatch((loop_signal_t *)h);
        break;
    case LOOP_KIND_DEFER:
        if (h->flags & LOOP__H_CALL) {
            loop__defer_dispatch((loop_defer_t *)h);
        } else {
            loop__defer_run((loop_defer_t *)h);
        }
        break;
    case LOOP_KIND_ASYNC:
        loop__async_dispatch((loop_async_t *)h);
        break;
    case LOOP_KIND_WORK:
        loop__work_dispatch((loop_work_t *)h);
        break;
    case LOOP_KIND_TASK:
        return loop__task_dispatch(h, rounds);
    case LOOP_KIND_CLOSE:
        if (h->cb != NULL) {
            ((loop_close_cb)h->cb)(h);
        }
        break;
    default:
        break;
    }
    return 0;
}

void loop__dispatch(loop_t *loop, loop_handle_t *h)
{
    int kind = (h->flags & LOOP__H_CLOSED) ? LOOP_KIND_CLOSE : h->kind;
    /* What the trace says about the item: a copy, because the callback may
     * free the object (a work request, a call-soon record). */
    loop_handle_t ref; /* only these fields are read (trace.h, debug.c) */
    uint64_t t0 = 0;

    ref.loop = loop;
    ref.id = h->id;
    ref.kind = (uint8_t)kind;
    /* for loop__h_name()/_parent(): IDENT (found by loop and id), INTERNAL (the
     * owner task in data); not CALL, whose task is in the record */
    ref.flags = h->flags & (LOOP__H_IDENT | LOOP__H_INTERNAL);
    ref.data = h->data;
    ref.site = h->site;
    loop__count(&loop->n_callbacks);
    if (LOOP__INSTRUMENTED(loop)) {
        t0 = loop__dispatch_begin(loop, &ref);
    }
    if (LOOP_UNLIKELY(loop->rr != NULL) && !loop__rr_dispatch_repeat(loop, h, kind)) {
        loop__rr_dispatch(loop, h, kind);
    }
    bool fp = loop__fp_wanted(loop); /* loop-replay explore: what the item touches */
    if (fp) {
        loop__fp_begin(loop, h, kind);
    }
    LOOP_TRACE(callback_begin, loop, &ref);
    /* hooked: no budget for tasks to start rounds (they hand over within this one at most) */
    (void)run_callback(h, kind, loop->rounds_per_poll);
    LOOP_TRACE(callback_end, loop, &ref);
    if (fp) {
        loop__fp_end(loop);
    }
    if (LOOP__INSTRUMENTED(loop)) {
        loop__dispatch_end(loop, &ref, t0);
    }
}

int loop__sched_run_rounds(loop_t *loop)
{
    int rounds = 0;

    while (rounds < loop->rounds_per_poll && !loop__queue_empty(&loop->pending) &&
           !loop->stop) {
        rounds++; /* counted when it starts: a chain of task steps counts its own the same way */
        if (LOOP_LIKELY(!loop->hooked) && loop->pending.next == loop->pending.prev) {
            /* Plain, and a round of one item (a chain of call-soons, a task
             * yielding alone): run it straight from pending, no splice. */
            loop_handle_t *p = loop__queue_data(loop->pending.next, loop_handle_t, ready);
            p->flags &= (uint8_t)~LOOP__H_QUEUED;
            loop__queue_init(&loop->pending); /* it held p alone: no need to read p's links */
            loop__queue_init(&p->ready);
            loop__count(&loop->n_callbacks);
            int more = run_callback(p, (p->flags & LOOP__H_CLOSED) ? LOOP_KIND_CLOSE : p->kind,
                                    rounds);
            if (LOOP_LIKELY(more == 0)) {
                continue;
            }
            rounds += more; /* a task chain started rounds: drain the last one's rest */
        } else {
            loop__queue_splice(&loop->round, &loop->pending);
        }
        while (!loop__queue_empty(&loop->round)) {
            if (LOOP_LIKELY(!loop->hooked)) {
                /* Plain: nothing traces, records, replays, debugs or monitors
                 * this loop (policy fifo, no inspection lock to take, no
                 * trace call site can be on), so no copy for the trace, no
                 * hooks: unlink and run, as libev runs its pending array. */
                loop_handle_t *p = loop__queue_data(loop->round.next, loop_handle_t, ready);
                p->flags &= (uint8_t)~LOOP__H_QUEUED;
                loop__queue_remove(&p->ready);
                loop__count(&loop->n_callbacks);
                rounds += run_callback(p, (p->flags & LOOP__H_CLOSED) ? LOOP_KIND_CLOSE : p->kind,
                                       rounds);
                continue;
            }
            loop_handle_t *h = loop__sched_pick(loop);
            loop__sched_remove(loop, h);
            loop__dispatch(loop, h);
        }
    }
    return rounds;
}
