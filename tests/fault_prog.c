/*
 * fault_prog.c — the program the fault scripts (tests/fault_*.sh) run: a
 * steady libloop workload whose only wrapped write(2)s are the schedule
 * recorder's, so that LOOP_FAULT="write:N:ENOSPC" hits the recorder.
 *
 *   fault_prog [--ticks N] [--tasks K] [--steps M] [--forever]
 * A 1 ms repeating timer ticks N times (default 1000) while K tasks (default
 * 4) sleep 1 ms and yield in turn; prints "fault_prog: started pid PID" once the
 * loop runs, and "fault_prog: done N ticks" at the end, and exits 0 when the
 * loop closed cleanly. --forever ticks until killed. --steps M: each task
 * sleeps and yields exactly M times, then returns (instead of until the
 * ticks end), so that what the program does, counted per callback and task,
 * is the same in every run.
 * Built by the scripts themselves against $BUILD/lib/libloop.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <loop.h>

static long ticks, max_ticks = 1000;
static int forever, stopping;
static long steps = -1; /* -1: until the ticks end */

static void tick(loop_timer_t *t)
{
    if (++ticks == 1) {
        printf("fault_prog: started pid %ld\n", (long)getpid());
        fflush(stdout);
    }
    if (!forever && ticks >= max_ticks) {
        stopping = 1;
        loop_timer_stop(t);
    }
}

static intptr_t worker(void *arg)
{
    (void)arg;
    for (long i = 0; steps < 0 ? !stopping : i < steps; i++) {
        if (loop_sleep(1) < 0 || loop_yield() < 0) {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int ntasks = 4;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ticks") == 0 && i + 1 < argc) {
            max_ticks = atol(argv[++i]);
        } else if (strcmp(argv[i], "--tasks") == 0 && i + 1 < argc) {
            ntasks = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
            steps = atol(argv[++i]);
        } else if (strcmp(argv[i], "--forever") == 0) {
            forever = 1;
        } else {
            fprintf(stderr, "usage: fault_prog [--ticks N] [--tasks K] [--steps M] [--forever]\n");
            return 2;
        }
    }
    loop_t *loop = loop_new();
    if (loop == NULL) {
        perror("fault_prog: loop_new");
        return 1;
    }
    loop_timer_t t;
    loop_timer_init(loop, &t);
    loop_timer_start(&t, tick, 1, 1);
    loop_task_t *tasks[64];
    if (ntasks > 64) {
        ntasks = 64;
    }
    for (int i = 0; i < ntasks; i++) {
        tasks[i] = loop_spawn(loop, worker, NULL, "worker");
        if (tasks[i] == NULL) {
            perror("fault_prog: loop_spawn");
            return 1;
        }
    }
    int rc = loop_run(loop, LOOP_RUN_DEFAULT);
    int failed = 0;
    for (int i = 0; i < ntasks; i++) {
        intptr_t res = 0;
        failed += loop_join(tasks[i], &res, 0) != 0 || res != 0;
    }
    loop_handle_close(&t.handle, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    printf("fault_prog: done %ld ticks\n", ticks);
    if (loop_close(loop) != 0 || rc != 0 || failed) {
        return 1;
    }
    return 0;
}
