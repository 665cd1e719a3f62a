/*
 * race — two tasks read-modify-write a shared balance across an await.
 *
 * Each depositor waits for its paycheck to arrive on a pipe, reads the
 * balance, awaits (a stand-in for a database round trip), and writes the
 * balance back plus its deposit. The paychecks arrive 1 ms and 30 ms after
 * start, so in the default order the first deposit is long finished when the
 * second begins, and the program never fails. libloop does not promise when
 * timers fire, though: when the loop is late (a loaded machine, or chaos
 * scheduling with LOOP_CHAOS=SEED, which makes it so now and then) both
 * paychecks arrive in the same iteration, both depositors run in the same
 * round, one deposit is lost, and the program exits 1. Record that run
 * (LOOP_RECORD=FILE) and it replays to the same failure every time.
 *
 *   race [--second-ms N]   delay of the second paycheck (default 30)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <loop.h>

static long balance;
static int pipes[2][2];

static intptr_t depositor(void *arg)
{
    int i = (int)(intptr_t)arg;
    char c;

    if (loop_read(pipes[i][0], &c, 1, 5000) != 1) { /* the paycheck */
        return -EIO;
    }
    long seen = balance;
    loop_yield(); /* e.g. await the database */
    balance = seen + 100;
    return 0;
}

static void pay(loop_timer_t *t)
{
    int i = (int)(intptr_t)t->handle.data;
    if (write(pipes[i][1], "$", 1) != 1) {
        perror("race: write");
    }
    loop_handle_close(&t->handle, NULL);
}

int main(int argc, char **argv)
{
    long second_ms = 30;
    loop_t *loop = loop_new();
    loop_timer_t timers[2];
    loop_task_t *tasks[2];

    if (argc == 3 && strcmp(argv[1], "--second-ms") == 0) {
        second_ms = atol(argv[2]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: race [--second-ms N]\n");
        return 2;
    }
    if (loop == NULL) {
        perror("race: loop_new");
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        if (pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC) < 0) {
            perror("race: pipe");
            return 1;
        }
        tasks[i] = loop_spawn(loop, depositor, (void *)(intptr_t)i, i ? "deposit-b" : "deposit-a");
        loop_timer_init(loop, &timers[i]);
        timers[i].handle.data = (void *)(intptr_t)i;
        loop_timer_start(&timers[i], pay, i ? (uint64_t)second_ms : 1, 0);
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    for (int i = 0; i < 2; i++) {
        loop_join(tasks[i], NULL, 0);
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
    loop_close(loop);
    printf("race: balance %ld (expected 200)%s\n", balance, balance == 200 ? "" : ": LOST UPDATE");
    return balance == 200 ? 0 : 1;
}
