/*
 * trace_hello.c — the smallest libloop program, for the start-up measurement
 * of bench/trace_overhead.sh: create a loop, run it once without blocking,
 * close it. Built against the traced libloop.a (and the LOOP_NO_TRACE one).
 */
#include "loop.h"

int main(void)
{
    loop_t *loop = loop_new();

    if (loop == NULL || loop_run(loop, LOOP_RUN_NOWAIT) < 0) {
        return 1;
    }
    return loop_close(loop) == 0 ? 0 : 1;
}
