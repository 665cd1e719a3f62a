/*
 * chaos_busy — a program whose chaos run depends on how fast the machine is
 * unless chaos's time perturbations are virtual (tests/chaos_repro.sh).
 *
 * Two tasks ping-pong 40 bytes over two pipes while a call-soon chain keeps
 * the loop busy (it never blocks in poll). At every pong the pinger notes
 * how far the chain got. Chaos holds readiness back now and then: released
 * after a span of real time, the chain's progress by then (and so the
 * printed digest, and every later random draw) depends on the machine's
 * speed and load; released after a number of iterations, it does not.
 * Prints "digest N"; exits 1 when the digest is odd (a stand-in for a bug
 * that only some interleavings show), else 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <loop.h>
#include <loop_task.h>

static int ping[2], pong[2];
static long chain;
static int done;
static uint64_t digest = 1469598103934665603ull;

static void on_chain(loop_defer_t *d)
{
    chain++;
    if (!done) {
        loop_defer_start(d, on_chain);
    } else {
        loop_handle_close(LOOP_HANDLE(d), NULL);
    }
}

static intptr_t pinger(void *arg)
{
    char c = 'x';
    (void)arg;
    for (int i = 0; i < 40; i++) {
        if (loop_write(ping[1], &c, 1, 5000) != 1 || loop_read(pong[0], &c, 1, 5000) != 1) {
            return -1;
        }
        digest = (digest ^ (uint64_t)chain) * 1099511628211ull;
    }
    done = 1;
    return 0;
}

static intptr_t ponger(void *arg)
{
    char c;
    (void)arg;
    for (int i = 0; i < 40; i++) {
        if (loop_read(ping[0], &c, 1, 5000) != 1 || loop_write(pong[1], &c, 1, 5000) != 1) {
            return -1;
        }
    }
    return 0;
}

int main(void)
{
    loop_t *loop = loop_new();
    loop_defer_t d;
    intptr_t r1 = -1, r2 = -1;

    if (loop == NULL || pipe2(ping, O_NONBLOCK | O_CLOEXEC) < 0 ||
        pipe2(pong, O_NONBLOCK | O_CLOEXEC) < 0) {
        perror("chaos_busy");
        return 2;
    }
    loop_task_t *a = loop_spawn(loop, pinger, NULL, "pinger");
    loop_task_t *b = loop_spawn(loop, ponger, NULL, "ponger");
    loop_defer_init(loop, &d);
    loop_defer_start(&d, on_chain);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(a, &r1, 0);
    loop_join(b, &r2, 0);
    loop_close(loop);
    printf("digest %llu (%s)\n", (unsigned long long)digest, r1 == 0 && r2 == 0 ? "ok" : "failed");
    return r1 != 0 || r2 != 0 ? 2 : (int)(digest & 1);
}
