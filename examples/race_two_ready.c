/*
 * race_two_ready — two items ready in one iteration, and code that assumes
 * their order.
 *
 * A timer writes to two pipes at once: the "config" task reads the first
 * and sets the configuration, the "worker" task reads the second and uses
 * it. Both become ready in the same iteration; fifo runs them in the order
 * the pipes were written, so the default run always passes. libloop does
 * not promise that order: run the worker first and it finds no
 * configuration (exit 1). `loop-replay explore -- race_two_ready` finds it
 * with one deviation.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <loop.h>
#include <loop_task.h>

static int pipes[2][2];
static int config;
static int failed;

static intptr_t config_task(void *arg)
{
    char c;
    (void)arg;
    if (loop_read(pipes[0][0], &c, 1, 5000) == 1) {
        config = 42;
    }
    return 0;
}

static intptr_t worker_task(void *arg)
{
    char c;
    (void)arg;
    if (loop_read(pipes[1][0], &c, 1, 5000) == 1 && config != 42) {
        failed = 1; /* the bug: used before it was set */
    }
    return 0;
}

static void kick(loop_timer_t *t)
{
    if (write(pipes[0][1], "c", 1) != 1 || write(pipes[1][1], "w", 1) != 1) {
        perror("race_two_ready: write");
    }
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t t;
    loop_task_t *a, *b;

    for (int i = 0; i < 2; i++) {
        if (pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC) < 0) {
            perror("race_two_ready: pipe");
            return 2;
        }
    }
    a = loop_spawn(loop, config_task, NULL, "config");
    b = loop_spawn(loop, worker_task, NULL, "worker");
    loop_timer_init(loop, &t);
    loop_timer_start(&t, kick, 1, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(a, NULL, 0);
    loop_join(b, NULL, 0);
    loop_close(loop);
    printf("race_two_ready: %s\n", failed ? "worker ran before config: FAILED" : "ok");
    return failed;
}
