/*
 * race — a check-then-act bug that the fifo order hides: two depositors read
 * the balance, yield, and write it back plus their amount. In the default
 * order the first depositor wakes (1 ms) and finishes before the second
 * (2 ms) wakes; when the loop is late (chaos: LOOP_CHAOS=seed) both wake in
 * the same iteration, interleave, and one deposit is lost. Exits 1 then.
 */
#include <stdio.h>

#include <loop.h>

static long balance;

static intptr_t deposit(void *arg)
{
    long ms = (long)(intptr_t)arg;
    loop_sleep(ms);
    long seen = balance;
    loop_yield(); /* e.g. an await on a database */
    balance = seen + 100;
    return 0;
}

int main(void)
{
    loop_t *loop = loop_new();
    if (loop == NULL) {
        perror("race: loop_new");
        return 1;
    }
    loop_task_t *a = loop_spawn(loop, deposit, (void *)1, "deposit-a");
    loop_task_t *b = loop_spawn(loop, deposit, (void *)2, "deposit-b");
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(a, NULL, 0);
    loop_join(b, NULL, 0);
    loop_close(loop);
    printf("race: balance %ld (expected 200)\n", balance);
    return balance == 200 ? 0 : 1;
}
