/*
 * race — an order bug that the default order hides. A payday timer sets two
 * events: first "deposit", then "withdraw". The withdrawing task assumes the
 * depositing one has run, because its event was set first. libloop does not
 * promise that tasks woken by different events run in the order the events
 * were set: in the default (fifo) order they do, so the bug never shows; under
 * chaos scheduling (LOOP_CHAOS=SEED) the withdrawal sometimes runs first, the
 * account is overdrawn, and the program exits 1. Record that run
 * (LOOP_RECORD=FILE) and it replays to the same failure every time.
 */
#include <stdio.h>

#include <loop.h>

static long balance;
static int overdrawn;
static loop_event_t *deposit_ev, *withdraw_ev;

static intptr_t depositor(void *arg)
{
    (void)arg;
    loop_event_wait(deposit_ev, LOOP_FOREVER);
    balance += 100;
    return 0;
}

static intptr_t withdrawer(void *arg)
{
    (void)arg;
    loop_event_wait(withdraw_ev, LOOP_FOREVER);
    if (balance < 100) { /* "cannot happen: the deposit event was set first" */
        overdrawn = 1;
        return -ERANGE;
    }
    balance -= 100;
    return 0;
}

static void payday(loop_timer_t *t)
{
    loop_event_set(deposit_ev);
    loop_event_set(withdraw_ev);
    loop_handle_close(&t->handle, NULL);
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_timer_t timer;

    if (loop == NULL) {
        perror("race: loop_new");
        return 1;
    }
    deposit_ev = loop_event_new(loop);
    withdraw_ev = loop_event_new(loop);
    loop_task_t *a = loop_spawn(loop, depositor, NULL, "depositor");
    loop_task_t *b = loop_spawn(loop, withdrawer, NULL, "withdrawer");
    loop_timer_init(loop, &timer);
    loop_timer_start(&timer, payday, 1, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(a, NULL, 0);
    loop_join(b, NULL, 0);
    loop_event_free(deposit_ev);
    loop_event_free(withdraw_ev);
    loop_close(loop);
    printf("race: %s, balance %ld\n", overdrawn ? "OVERDRAWN" : "ok", balance);
    return overdrawn ? 1 : 0;
}
