/*
 * top_prog.c — a long-running program for tests/loopctl_top.sh: tasks
 * "worker-a" and "worker-b" sleep in a loop, "holder" waits on an event
 * nobody sets, a repeating timer "ticker" fires every 50 ms. It runs until
 * every task has ended (the test cancels them through the monitor) or
 * SIGTERM. Start it with LOOP_MONITOR=PATH.
 */
#include <signal.h>
#include <stdint.h>

#include <loop.h>

static loop_event_t *never;
static loop_timer_t ticker;
static volatile sig_atomic_t stop;

static intptr_t worker(void *arg)
{
    (void)arg;
    for (;;) {
        int rc = loop_sleep(20);
        if (rc < 0) {
            return rc;
        }
    }
}

static intptr_t holder(void *arg)
{
    (void)arg;
    return loop_event_wait(never, LOOP_FOREVER);
}

static void tick(loop_timer_t *t)
{
    if (stop || loop_alive_count(t->handle.loop) <= 1) {
        loop_timer_stop(t);
    }
}

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

int main(void)
{
    loop_t *loop = loop_new();

    signal(SIGTERM, on_term);
    never = loop_event_new(loop);
    loop_task_detach(loop_spawn(loop, worker, NULL, "worker-a"));
    loop_task_detach(loop_spawn(loop, worker, NULL, "worker-b"));
    loop_task_detach(loop_spawn(loop, holder, NULL, "holder"));
    loop_timer_init(loop, &ticker);
    loop_handle_set_name(&ticker.handle, "ticker");
    loop_timer_start(&ticker, tick, 50, 50);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_handle_close(&ticker.handle, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_event_free(never);
    return loop_close(loop) != 0;
}
