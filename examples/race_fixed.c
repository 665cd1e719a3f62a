/*
 * race_fixed — examples/race.c with the bug fixed: each depositor holds a
 * lock across its read-modify-write, so no order of the two makes a deposit
 * disappear. `loop-replay explore -- race_fixed` tries every schedule with
 * up to K deviations from fifo and prints "no failure with up to K
 * deviations: N schedules explored, M pruned as equivalent".
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <loop.h>
#include <loop_task.h>

static long balance;
static int pipes[2][2];
static loop_lock_t *lock;

static intptr_t depositor(void *arg)
{
    int i = (int)(intptr_t)arg;
    char c;

    if (loop_read(pipes[i][0], &c, 1, 5000) != 1) { /* the paycheck */
        return -EIO;
    }
    if (loop_lock_acquire(lock, 5000) != 0) {
        return -EIO;
    }
    long seen = balance;
    loop_yield(); /* e.g. await the database */
    balance = seen + 100;
    loop_lock_release(lock);
    return 0;
}

static void pay(loop_timer_t *t)
{
    int i = (int)(intptr_t)t->handle.data;
    if (write(pipes[i][1], "$", 1) != 1) {
        perror("race_fixed: write");
    }
    loop_handle_close(&t->handle, NULL);
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t timers[2];
    loop_task_t *tasks[2];

    if (loop == NULL) {
        perror("race_fixed: loop_new");
        return 1;
    }
    lock = loop_lock_new(loop);
    for (int i = 0; i < 2; i++) {
        if (pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC) < 0) {
            perror("race_fixed: pipe");
            return 1;
        }
        tasks[i] = loop_spawn(loop, depositor, (void *)(intptr_t)i, i ? "deposit-b" : "deposit-a");
        loop_timer_init(loop, &timers[i]);
        timers[i].handle.data = (void *)(intptr_t)i;
        loop_timer_start(&timers[i], pay, i ? 30 : 1, 0);
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    for (int i = 0; i < 2; i++) {
        loop_join(tasks[i], NULL, 0);
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
    loop_lock_free(lock);
    loop_close(loop);
    printf("race_fixed: balance %ld (expected 200)%s\n", balance,
           balance == 200 ? "" : ": LOST UPDATE");
    return balance == 200 ? 0 : 1;
}
