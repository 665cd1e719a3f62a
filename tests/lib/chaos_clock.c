/*
 * chaos_clock — a chaos run must not depend on the machine's speed.
 *
 * Three timers (1, 5 and 30 ms) and a task that sleeps 3 ms twice. Every
 * callback and task step prints what ran, in which iteration, and the loop's
 * clock since start in whole milliseconds. `--stall MS` makes this a slow
 * machine: a call-soon before the first poll and every timer callback spin
 * for MS milliseconds of real time. Under LOOP_CHAOS the loop's clock is
 * virtual (it moves only where the loop waits), so the output is the same
 * with and without the stall; on the real clock, a 40 ms stall makes every
 * timer due at the first poll and they fire together. A spinner task
 * yields until the 5 ms timer has fired: the loop never waits meanwhile, and
 * the virtual clock must still move (by LOOP__VCLOCK_STEP_NS an iteration).
 *
 * `--signal`: a 300 ms timer and a SIGUSR1 watcher; a thread waits until the
 * loop thread sits in epoll_wait (/proc/self/task/TID/syscall) and sends it
 * SIGUSR1, which interrupts the poll (EINTR). The signal must be seen long
 * before the timer's due time: an interrupted poll moves the virtual clock
 * by the time it waited, not by its whole timeout.
 *
 *   chaos_clock [--stall MS | --signal]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <loop.h>
#include <loop_debug.h>

static loop_t *loop;
static uint64_t start_ns;
static long stall_ms;

static void spin(void)
{
    struct timespec a, b;

    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000L < stall_ms);
}

static void say(const char *what)
{
    loop_stats_t st;

    loop_get_stats(loop, &st);
    printf("%s iter=%llu t=%llu ms\n", what, (unsigned long long)st.iterations,
           (unsigned long long)((loop_now(loop) - start_ns) / 1000000u));
}

static int fired_5ms;

static void fired(loop_timer_t *t)
{
    say((const char *)t->handle.data);
    fired_5ms |= strcmp((const char *)t->handle.data, "timer 5ms") == 0;
    spin();
    loop_handle_close(&t->handle, NULL);
}

static void stall(loop_t *l, void *arg)
{
    (void)l;
    (void)arg;
    spin();
}

static intptr_t sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) {
        loop_sleep(3);
        say("sleeper woke");
    }
    return 0;
}

static intptr_t spinner(void *arg)
{
    long yields = 0;

    (void)arg;
    while (!fired_5ms) {
        loop_yield();
        yields++;
    }
    printf("spinner saw the 5 ms timer after %ld yields\n", yields);
    return 0;
}

static pid_t loop_tid;
static pthread_t loop_thread;

/* Wait until the loop thread blocks in epoll_wait, then interrupt it. */
static void *interrupter(void *arg)
{
    char path[64], buf[64];

    (void)arg;
    snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)loop_tid);
    for (;;) {
        FILE *f = fopen(path, "r");
        long nr = -1;
        if (f != NULL) {
            if (fgets(buf, sizeof(buf), f) != NULL) {
                nr = strtol(buf, NULL, 10);
            }
            fclose(f);
        }
        if (nr == SYS_epoll_wait || nr == SYS_epoll_pwait) {
            break;
        }
        sched_yield();
    }
    pthread_kill(loop_thread, SIGUSR1);
    return NULL;
}

static loop_timer_t long_timer;

static void on_signal(loop_signal_t *s, int signum)
{
    (void)signum;
    say("signal");
    loop_signal_stop(s);
    loop_handle_close(&s->handle, NULL);
    loop_handle_close(&long_timer.handle, NULL);
}

static int signal_mode(void)
{
    loop_signal_t sig;
    pthread_t th;

    start_ns = loop_now(loop);
    loop_tid = (pid_t)syscall(SYS_gettid);
    loop_thread = pthread_self();
    loop_timer_init(loop, &long_timer);
    long_timer.handle.data = (void *)"timer 300ms";
    loop_timer_start(&long_timer, fired, 300, 0);
    loop_signal_init(loop, &sig);
    loop_signal_start(&sig, on_signal, SIGUSR1);
    if (pthread_create(&th, NULL, interrupter, NULL) != 0) {
        fprintf(stderr, "chaos_clock: pthread_create failed\n");
        return 1;
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    pthread_join(th, NULL);
    loop_close(loop);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *names[] = {"timer 1ms", "timer 5ms", "timer 30ms"};
    static const uint64_t due[] = {1, 5, 30};
    loop_timer_t timers[3];

    int sigmode = argc == 2 && strcmp(argv[1], "--signal") == 0;
    if (argc == 3 && strcmp(argv[1], "--stall") == 0) {
        stall_ms = atol(argv[2]);
    } else if (argc != 1 && !sigmode) {
        fprintf(stderr, "usage: chaos_clock [--stall MS | --signal]\n");
        return 2;
    }
    loop = loop_new();
    if (loop == NULL) {
        perror("chaos_clock: loop_new");
        return 1;
    }
    if (sigmode) {
        return signal_mode();
    }
    start_ns = loop_now(loop);
    for (int i = 0; i < 3; i++) {
        loop_timer_init(loop, &timers[i]);
        timers[i].handle.data = (void *)names[i];
        loop_timer_start(&timers[i], fired, due[i], 0);
    }
    loop_task_t *t = loop_spawn(loop, sleeper, NULL, "sleeper");
    loop_task_t *sp = loop_spawn(loop, spinner, NULL, "spinner");
    loop_call_soon(loop, stall, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(t, NULL, 0);
    loop_join(sp, NULL, 0);
    say("end");
    loop_close(loop);
    return 0;
}
