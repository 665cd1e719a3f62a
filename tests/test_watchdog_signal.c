/*
 * test_watchdog_signal.c — LOOP_WATCHDOG_SIGNAL: the watchdog takes the
 * stalled thread's backtrace with the signal the program leaves it. A program
 * that uses SIGRTMIN+3 itself (here: blocks it on the loop thread) gets
 * "backtrace=none" with the default and a backtrace with another signal.
 * (Each Test runs in its own process: the signal is chosen at the first
 * watchdog start of the process.)
 */
#include "helpers.h"

#define STALL_MS 50

/* Blocked in a callback until the watchdog reported (at most 10 s). Global
 * and default-visibility: backtrace_symbols() names only dynamic symbols. */
__attribute__((noinline, visibility("default"))) void watchdog_signal_test_stall_cb(
    loop_timer_t *t);

__attribute__((noinline, visibility("default"))) void watchdog_signal_test_stall_cb(
    loop_timer_t *t)
{
    uint64_t end = mono_ns() + 10000 * MS_NS;
    struct timespec nap = {0, 1000000};

    while (!logs_contain("Stall:") && mono_ns() < end) {
        nanosleep(&nap, NULL);
    }
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

/* Run one stalling callback with SIGRTMIN+3 blocked on the loop thread. */
static void run_stall(void)
{
    sigset_t rt3;
    sigemptyset(&rt3);
    sigaddset(&rt3, SIGRTMIN + 3);
    cr_assert_eq(pthread_sigmask(SIG_BLOCK, &rt3, NULL), 0); /* the program's own use */
    capture_logs();
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_watchdog_start(loop, STALL_MS), 0);
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, watchdog_signal_test_stall_cb, 0, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_watchdog_stop(loop), 0);
    finish_loop(loop);
    cr_assert(logs_contain("Stall:"), "no stall report: %s", logs_text());
}

Test(watchdog_signal, another_signal_gets_the_backtrace_when_rtmin3_is_taken, .timeout = 30)
{
    setenv("LOOP_WATCHDOG_SIGNAL", "RTMIN+5", 1);
    run_stall();
    cr_assert(!logs_contain("backtrace=none"), "%s", logs_text());
    cr_assert(logs_contain("watchdog_signal_test_stall_cb"), "the backtrace does not name the callback: %s",
              logs_text());
    struct sigaction sa;
    cr_assert_eq(sigaction(SIGRTMIN + 5, NULL, &sa), 0);
    cr_assert(sa.sa_flags & SA_SIGINFO, "no handler on SIGRTMIN+5");
    cr_assert_eq(sigaction(SIGRTMIN + 3, NULL, &sa), 0);
    cr_assert(sa.sa_handler == SIG_DFL, "SIGRTMIN+3 was taken anyway");
}

Test(watchdog_signal, the_default_is_rtmin3_and_says_so_when_blocked, .timeout = 30)
{
    unsetenv("LOOP_WATCHDOG_SIGNAL");
    run_stall();
    char want[64];
    snprintf(want, sizeof want, "did not answer signal %d", SIGRTMIN + 3);
    cr_assert(logs_contain(want), "%s", logs_text());
}

Test(watchdog_signal, a_bad_signal_is_refused_and_the_default_used, .timeout = 30)
{
    setenv("LOOP_WATCHDOG_SIGNAL", "KILL", 1);
    capture_logs();
    loop_t *loop = new_loop();
    cr_assert_eq(loop_watchdog_start(loop, STALL_MS), 0);
    cr_assert(logs_contain("LOOP_WATCHDOG_SIGNAL=\"KILL\" refused"), "%s", logs_text());
    struct sigaction sa;
    cr_assert_eq(sigaction(SIGRTMIN + 3, NULL, &sa), 0);
    cr_assert(sa.sa_flags & SA_SIGINFO, "the default signal has no handler");
    cr_assert_eq(loop_watchdog_stop(loop), 0);
    finish_loop(loop);
}
