/*
 * tl_onepercent.c — a program whose picture has a known truth, for
 * tests/timeline_views.sh: "busy" runs 1% of the time (0.2 ms of CPU, then
 * a 19.8 ms sleep, 25 times), "waker" wakes "sleeper" through an event,
 * and "child" is spawned by "busy"; `tl_onepercent N` adds N short tasks
 * (many rows).
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <loop.h>

static loop_event_t *ev;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static intptr_t child(void *arg)
{
    (void)arg;
    return loop_sleep(1);
}

static intptr_t busy(void *arg)
{
    loop_task_t *c = loop_spawn(loop_task_loop(loop_task_current()), child, NULL, "child");
    int i;

    (void)arg;
    for (i = 0; i < 25; i++) {
        uint64_t end = now_ns() + 200 * 1000;
        while (now_ns() < end) {
        }
        loop_sleep(20);
    }
    return loop_join(c, NULL, LOOP_FOREVER);
}

static intptr_t sleeper(void *arg)
{
    (void)arg;
    return loop_event_wait(ev, LOOP_FOREVER);
}

static intptr_t waker(void *arg)
{
    (void)arg;
    loop_sleep(50);
    return loop_event_set(ev);
}

static int failed;
static long extra;

static intptr_t tiny(void *arg)
{
    (void)arg;
    return loop_sleep(1);
}

static intptr_t root(void *arg)
{
    loop_t *loop = arg;
    loop_task_t *t[3];
    int i;

    t[0] = loop_spawn(loop, busy, NULL, "busy");
    t[1] = loop_spawn(loop, sleeper, NULL, "sleeper");
    t[2] = loop_spawn(loop, waker, NULL, "waker");
    for (long k = 0; k < extra; k++) {
        loop_task_t *x = loop_spawn(loop, tiny, NULL, "tiny");
        failed |= x == NULL || loop_task_detach(x) != 0;
    }
    for (i = 0; i < 3; i++) {
        intptr_t r = -1;
        failed |= loop_join(t[i], &r, LOOP_FOREVER) != 0 || r != 0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    loop_t *loop = loop_new();
    loop_task_t *r;

    extra = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    ev = loop_event_new(loop);
    r = loop_spawn(loop, root, loop, "root");
    loop_task_detach(r);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_event_free(ev);
    return failed | (loop_close(loop) != 0);
}
