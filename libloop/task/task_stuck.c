/*
 * task_stuck.c — emits libloop:loop_stuck (declared in core/internal.h): the moment a loop
 * ran out of work with tasks still waiting, which is a hang by definition
 * (nothing runnable, no timer, no watched fd, no pool work can wake them).
 * loop-analyze reports it even when the program then cancels and joins
 * those tasks and exits cleanly.
 */
#include "task.h"

#include "core/trace.h"

void loop__tasks_trace_stuck(loop_t *loop)
{
#ifndef LOOP_NO_TRACE
    if (LOOP_TRACE_ENABLED(loop_stuck)) {
        uint64_t ids[LOOP__TP_STUCK_IDS];
        uint32_t n = 0;
        struct loop__tasks *ts = loop->tasks;
        loop_queue_t *q;

        if (ts != NULL) {
            loop__queue_foreach(q, &ts->tasks) {
                const loop_task_t *t = loop__queue_data(q, loop_task_t, task_node);
                if (!loop__task_finished(t) && n < LOOP__TP_STUCK_IDS) {
                    ids[n++] = t->hdr.id;
                }
            }
        }
        LOOP_TRACE_DO(loop_stuck, loop->id, (uint64_t)loop->tasks_alive, ids, n);
    }
#else
    (void)loop;
#endif
}
