/*
 * race_three — a bug that needs one specific order of three tasks.
 *
 * A timer wakes three tasks at once (one pipe each). Each appends its
 * letter to a log; the program breaks (exit 1) only when they ran in one
 * order: b, c, a by default, one of the six, or the one given:
 *
 *   race_three [ORDER]   e.g. cba, which takes two changes from fifo's abc
 *
 * `loop-replay explore -- race_three cba` finds it with two deviations;
 * random chaos needs luck.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <loop.h>
#include <loop_task.h>

static int pipes[3][2];
static char order[4];
static int n;

static intptr_t step(void *arg)
{
    int i = (int)(intptr_t)arg;
    char c;
    if (loop_read(pipes[i][0], &c, 1, 5000) == 1 && n < 3) {
        order[n++] = (char)('a' + i);
    }
    return 0;
}

static void kick(loop_timer_t *t)
{
    for (int i = 0; i < 3; i++) {
        if (write(pipes[i][1], "x", 1) != 1) {
            perror("race_three: write");
        }
    }
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

int main(int argc, char **argv)
{
    const char *bad_order = argc > 1 ? argv[1] : "bca";
    loop_t *loop = loop_new();
    loop_task_t *tasks[3];
    loop_timer_t t;
    static const char *const names[] = {"a", "b", "c"};

    for (int i = 0; i < 3; i++) {
        if (pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC) < 0) {
            perror("race_three: pipe");
            return 2;
        }
        tasks[i] = loop_spawn(loop, step, (void *)(intptr_t)i, names[i]);
    }
    loop_timer_init(loop, &t);
    loop_timer_start(&t, kick, 1, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    for (int i = 0; i < 3; i++) {
        loop_join(tasks[i], NULL, 0);
    }
    loop_close(loop);
    int bad = strcmp(order, bad_order) == 0;
    printf("race_three: order %s%s\n", order, bad ? ": FAILED" : "");
    return bad;
}
