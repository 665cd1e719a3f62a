/*
 * race_timer_io — a timeout timer against the I/O it guards.
 *
 * A request goes out; a simulated server (a timer at 10 ms) writes the
 * reply to a pipe, and the client task waits for it with its own 25 ms
 * deadline timer, which it treats as a failed request (exit 1). In the
 * default order the reply is read long before the deadline. When the loop
 * runs late (a loaded machine), the reply's timer and the deadline fire in
 * the same iteration, the deadline before the reply's readiness is polled,
 * and the request fails. `loop-replay explore -- race_timer_io` finds it
 * with one deviation (timer lateness).
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <loop.h>

static int fds[2];
static int replied, timed_out;
static loop_io_t reply_io;
static loop_timer_t server, deadline;

static void on_reply(loop_io_t *io, int events)
{
    char c;
    (void)events;
    if (read(fds[0], &c, 1) == 1 && !timed_out) {
        replied = 1;
        loop_handle_close(LOOP_HANDLE(&deadline), NULL);
    }
    loop_handle_close(LOOP_HANDLE(io), NULL);
}

static void on_deadline(loop_timer_t *t)
{
    timed_out = 1; /* the request is given up */
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

static void serve(loop_timer_t *t)
{
    if (write(fds[1], "r", 1) != 1) {
        perror("race_timer_io: write");
    }
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

int main(void)
{
    loop_t *loop = loop_new();

    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
        perror("race_timer_io: pipe");
        return 2;
    }
    loop_io_init(loop, &reply_io, fds[0]);
    loop_io_start(&reply_io, on_reply, LOOP_READABLE);
    loop_timer_init(loop, &server);
    loop_timer_start(&server, serve, 10, 0);
    loop_timer_init(loop, &deadline);
    loop_timer_start(&deadline, on_deadline, 25, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_close(loop);
    printf("race_timer_io: %s\n", timed_out ? "the deadline beat the reply: FAILED" : "ok");
    return timed_out;
}
