/*
 * race_chan_close — a channel closed while a producer may still send.
 *
 * One timer tick wakes a producer (its last item) and a closer (end of
 * input) at once; the consumer drains the channel until it is closed. In
 * the default order the producer sends before the closer closes. In the
 * other order the producer's send fails on the closed channel and its item
 * is lost (exit 1). `loop-replay explore -- race_chan_close` finds it with
 * one deviation.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <loop.h>
#include <loop_task.h>

static int pipes[2][2];
static loop_chan_t *chan;
static int received, lost;

static intptr_t producer(void *arg)
{
    char c;
    (void)arg;
    if (loop_read(pipes[0][0], &c, 1, 5000) == 1 && loop_chan_send(chan, 1, 1000) != 0) {
        lost = 1;
    }
    return 0;
}

static intptr_t closer(void *arg)
{
    char c;
    (void)arg;
    if (loop_read(pipes[1][0], &c, 1, 5000) == 1) {
        loop_chan_close(chan);
    }
    return 0;
}

static intptr_t consumer(void *arg)
{
    intptr_t v;
    (void)arg;
    while (loop_chan_recv(chan, &v, 5000) == 0) {
        received++;
    }
    return 0;
}

static void tick(loop_timer_t *t)
{
    if (write(pipes[0][1], "p", 1) != 1 || write(pipes[1][1], "c", 1) != 1) {
        perror("race_chan_close: write");
    }
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_task_t *t[3];
    loop_timer_t timer;

    for (int i = 0; i < 2; i++) {
        if (pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC) < 0) {
            perror("race_chan_close: pipe");
            return 2;
        }
    }
    chan = loop_chan_new(loop, 4);
    t[0] = loop_spawn(loop, consumer, NULL, "consumer");
    t[1] = loop_spawn(loop, producer, NULL, "producer");
    t[2] = loop_spawn(loop, closer, NULL, "closer");
    loop_timer_init(loop, &timer);
    loop_timer_start(&timer, tick, 1, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    for (int i = 0; i < 3; i++) {
        loop_join(t[i], NULL, 0);
    }
    loop_chan_free(chan);
    loop_close(loop);
    printf("race_chan_close: %d received%s\n", received, lost ? ", 1 lost: FAILED" : "");
    return lost || received != 1;
}
