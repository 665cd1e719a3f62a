/*
 * chaos_clock — a chaos run must not depend on the machine's speed.
 *
 * Three timers (1, 5 and 30 ms) and a task that sleeps 3 ms twice. Every
 * callback and task step prints what ran, in which iteration, and the loop's
 * clock since start in whole milliseconds. `--stall MS` makes this a slow
 * machine: a call-soon before the first poll and every timer callback spin
 * for MS milliseconds of real time. Under LOOP_CHAOS the loop's clock is
 * virtual (it moves only where the loop waits), so the output is the same
 * with and without the stall; on the real clock, a 40 ms stall makes every
 * timer due at the first poll and they fire together.
 *
 *   chaos_clock [--stall MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <loop.h>
#include <loop_debug.h>

static loop_t *loop;
static uint64_t start_ns;
static long stall_ms;

static void spin(void)
{
    struct timespec a, b;

    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000L < stall_ms);
}

static void say(const char *what)
{
    loop_stats_t st;

    loop_get_stats(loop, &st);
    printf("%s iter=%llu t=%llu ms\n", what, (unsigned long long)st.iterations,
           (unsigned long long)((loop_now(loop) - start_ns) / 1000000u));
}

static void fired(loop_timer_t *t)
{
    say((const char *)t->handle.data);
    spin();
    loop_handle_close(&t->handle, NULL);
}

static void stall(loop_t *l, void *arg)
{
    (void)l;
    (void)arg;
    spin();
}

static intptr_t sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) {
        loop_sleep(3);
        say("sleeper woke");
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char *names[] = {"timer 1ms", "timer 5ms", "timer 30ms"};
    static const uint64_t due[] = {1, 5, 30};
    loop_timer_t timers[3];

    if (argc == 3 && strcmp(argv[1], "--stall") == 0) {
        stall_ms = atol(argv[2]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: chaos_clock [--stall MS]\n");
        return 2;
    }
    loop = loop_new();
    if (loop == NULL) {
        perror("chaos_clock: loop_new");
        return 1;
    }
    start_ns = loop_now(loop);
    for (int i = 0; i < 3; i++) {
        loop_timer_init(loop, &timers[i]);
        timers[i].handle.data = (void *)names[i];
        loop_timer_start(&timers[i], fired, due[i], 0);
    }
    loop_task_t *t = loop_spawn(loop, sleeper, NULL, "sleeper");
    loop_call_soon(loop, stall, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(t, NULL, 0);
    say("end");
    loop_close(loop);
    return 0;
}
