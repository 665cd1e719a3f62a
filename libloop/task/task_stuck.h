/*
 * task_stuck.h — the trace fact "this loop ran out of work with tasks
 * waiting" (libloop:loop_stuck, trace format minor 2), for loop-analyze.
 */
#ifndef LOOP_TASK_STUCK_H
#define LOOP_TASK_STUCK_H

#include "core/internal.h"

/*
 * loop_run(LOOP_RUN_DEFAULT) found nothing alive while loop->tasks_alive > 0:
 * emit libloop:loop_stuck with the count and the first ids of the
 * unfinished tasks. Loop thread; costs nothing when the event is off.
 */
void loop__tasks_trace_stuck(loop_t *loop);

#endif /* LOOP_TASK_STUCK_H */
