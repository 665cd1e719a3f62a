/*
 * race_delayed — code that assumes an I/O readiness is seen in the very
 * next iteration.
 *
 * A timer writes a request to a pipe and starts a 0 ms "check" timer that
 * expects the reply to have been taken already. The pipe's watcher is ready
 * in the next iteration, before that timer runs, so the default run passes.
 * But readiness may come an iteration later (a loaded poller, a slow
 * kernel): then the check runs first and fails (exit 1). `loop-replay
 * explore -- race_delayed` finds it by holding the readiness back one
 * iteration.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <loop.h>

static int fds[2];
static int taken, failed;
static loop_io_t watcher;
static loop_timer_t kick_timer, check_timer;

static void on_readable(loop_io_t *io, int events)
{
    char c;
    (void)events;
    if (read(fds[0], &c, 1) == 1) {
        taken = 1;
    }
    loop_handle_close(LOOP_HANDLE(io), NULL);
}

static void check(loop_timer_t *t)
{
    if (!taken) {
        failed = 1; /* the bug: assumed the reply arrived within one iteration */
    }
    loop_handle_close(LOOP_HANDLE(t), NULL);
    if (!taken) {
        loop_handle_close(LOOP_HANDLE(&watcher), NULL);
    }
}

static void kick(loop_timer_t *t)
{
    if (write(fds[1], "r", 1) != 1) {
        perror("race_delayed: write");
    }
    loop_timer_init(t->handle.loop, &check_timer);
    loop_timer_start(&check_timer, check, 0, 0);
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

int main(void)
{
    loop_t *loop = loop_new();

    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
        perror("race_delayed: pipe");
        return 2;
    }
    loop_io_init(loop, &watcher, fds[0]);
    loop_io_start(&watcher, on_readable, LOOP_READABLE);
    loop_timer_init(loop, &kick_timer);
    loop_timer_start(&kick_timer, kick, 1, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_close(loop);
    printf("race_delayed: %s\n", failed ? "the check ran before the reply: FAILED" : "ok");
    return failed;
}
