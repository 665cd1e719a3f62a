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

#include "record.h"
#include "core/trace.h"

static loop_handle_t *find_queued(loop_t *loop, uint64_t id, int kind)
{
    loop_queue_t *lists[2] = {&loop->round, &loop->pending};
    loop_queue_t *q;

    for (int i = 0; i < 2; i++) {
        loop__queue_foreach(q, lists[i]) {
            loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
            if (h->id == id && h->kind == kind) {
                return h;
            }
        }
    }
    return NULL;
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
                         (unsigned long long)h->id, h->name ? h->name : "", s ? s->file : "?",
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
           rr->next.type == LOOP__REC_DISPATCH && rr->next.kind != LOOP_KIND_CLOSE) {
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
    }
    if (loop->policy == LOOP__POLICY_REPLAY && extra_timer(loop)) {
        return; /* diverged and continuing: the next iteration is fifo */
    }
    loop__run_closing(loop);
}
