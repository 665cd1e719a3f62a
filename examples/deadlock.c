/*
 * deadlock — two tasks take two locks in opposite order and wait forever.
 * loop_run returns (nothing can wake them) and says which tasks are stuck;
 * a trace of it shows the cycle to loop-analyze hangs.
 */
#include <stdio.h>

#include <loop.h>

static loop_lock_t *accounts, *audit;

static intptr_t transfer(void *arg)
{
    (void)arg;
    loop_lock_acquire(accounts, LOOP_FOREVER);
    loop_sleep(5); /* let the other task take its first lock */
    int rc = loop_lock_acquire(audit, LOOP_FOREVER);
    if (rc == 0) {
        loop_lock_release(audit);
    }
    loop_lock_release(accounts);
    return rc;
}

static intptr_t report(void *arg)
{
    (void)arg;
    loop_lock_acquire(audit, LOOP_FOREVER);
    loop_sleep(5);
    int rc = loop_lock_acquire(accounts, LOOP_FOREVER);
    if (rc == 0) {
        loop_lock_release(accounts);
    }
    loop_lock_release(audit);
    return rc;
}

int main(void)
{
    loop_t *loop = loop_new();
    if (loop == NULL) {
        perror("deadlock: loop_new");
        return 1;
    }
    accounts = loop_lock_new(loop);
    audit = loop_lock_new(loop);
    loop_task_t *a = loop_spawn(loop, transfer, NULL, "transfer");
    loop_task_t *b = loop_spawn(loop, report, NULL, "report");
    loop_run(loop, LOOP_RUN_DEFAULT);
    int stuck = loop_task_state(a) == LOOP_TASK_WAITING && loop_task_state(b) == LOOP_TASK_WAITING;
    printf("deadlock: %s\n", stuck ? "both tasks are stuck waiting for each other's lock"
                                   : "no deadlock this time");
    /* clean up so the process exits normally: cancel both, let them unwind */
    loop_task_cancel(a);
    loop_task_cancel(b);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(a, NULL, 0);
    loop_join(b, NULL, 0);
    loop_lock_free(accounts);
    loop_lock_free(audit);
    loop_close(loop);
    return stuck ? 3 : 0;
}
