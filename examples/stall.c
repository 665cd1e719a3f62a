/*
 * stall — a callback and a task step that block the loop thread: a timer
 * callback that computes for 300 ms, and a task that never yields for 200 ms.
 * Debug mode (LOOP_DEBUG=1) warns about both; the watchdog reports the stall.
 */
#include <stdio.h>
#include <time.h>

#include <loop.h>

static void spin_ms(int ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static void slow_flush(loop_timer_t *t)
{
    spin_ms(300);
    loop_handle_close(&t->handle, NULL);
}

static intptr_t busy_task(void *arg)
{
    (void)arg;
    loop_sleep(1);
    spin_ms(200); /* never yields */
    return 0;
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t flush;

    if (loop == NULL) {
        perror("stall: loop_new");
        return 1;
    }
    loop_timer_init(loop, &flush);
    loop_handle_set_name(&flush.handle, "flush");
    loop_timer_start(&flush, slow_flush, 1, 0);
    loop_task_t *t = loop_spawn(loop, busy_task, NULL, "busy");
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(t, NULL, 0);
    printf("stall: done\n");
    return loop_close(loop) == 0 ? 0 : 1;
}
