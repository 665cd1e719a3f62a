/*
 * test_watchdog.c — the stall watchdog: a callback (or task step) blocking
 * past the threshold produces exactly one report naming it (kind, id, name,
 * site) with a backtrace that contains the blocking function; the count and
 * the error handler follow on the loop thread; fast callbacks produce none.
 *
 * The blocking functions are global, default-visibility and never inlined:
 * backtrace_symbols() names only symbols in the dynamic symbol table (the
 * tests link with -rdynamic, but build with -fvisibility=hidden).
 */
#include "helpers.h"

#define STALL_MS 50

static int count_lines_with(const char *needle)
{
    const char *text = logs_text();
    int n = 0;

    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* The first log line that contains needle (static copy), or "". */
static const char *line_with(const char *needle)
{
    static char line[1024];
    const char *text = logs_text();
    const char *p = strstr(text, needle);

    line[0] = '\0';
    if (p != NULL) {
        while (p > text && p[-1] != '\n') {
            p--;
        }
        size_t n = strcspn(p, "\n");
        snprintf(line, sizeof(line), "%.*s", (int)n, p);
    }
    return line;
}

/* Wait (blocked, in this function) until the watchdog reported, then linger
 * another eight watchdog periods so that a second report would show. */
__attribute__((noinline, visibility("default"))) void watchdog_test_blocking_function(void)
{
    uint64_t end = mono_ns() + 10000 * MS_NS;
    struct timespec nap = {0, 1000000};

    while (!logs_contain("Stall:") && mono_ns() < end) {
        nanosleep(&nap, NULL);
    }
    end = mono_ns() + 2 * STALL_MS * MS_NS;
    while (mono_ns() < end) {
        nanosleep(&nap, NULL);
    }
}

/* The same, burning CPU instead of sleeping. */
__attribute__((noinline, visibility("default"))) void watchdog_test_spinning_function(void)
{
    uint64_t end = mono_ns() + 10000 * MS_NS;
    volatile uint64_t spins = 0;

    while (!logs_contain("Stall:") && mono_ns() < end) {
        spins++;
    }
}

static int handler_calls;
static int handler_err;
static uint64_t handler_task;
static char handler_msg[512];
static int checker_stalls = -1;
static int checker_handler_calls = -1;

static void on_error(const loop_error_ctx_t *ctx, void *ud)
{
    (void)ud;
    handler_calls++;
    handler_err = ctx->err;
    handler_task = ctx->task_id;
    snprintf(handler_msg, sizeof(handler_msg), "%s", ctx->message);
}

static loop_timer_t check_timer;

/* Runs in the iteration after the stalled callback: the stall is counted by then. */
static void checker(loop_timer_t *t);

static void slowpoke(loop_timer_t *t)
{
    (void)t;
    watchdog_test_blocking_function();
    loop_timer_start(&check_timer, checker, 0, 0);
}

static void checker(loop_timer_t *t)
{
    loop_stats_t s;

    loop_get_stats(t->handle.loop, &s);
    checker_stalls = (int)s.stalls;
    checker_handler_calls = handler_calls;
}

Test(watchdog, a_blocked_callback_is_reported_once_with_its_backtrace, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_timer_t slow;
    char want[256];

    capture_logs();
    loop_set_error_handler(loop, on_error, NULL);
    cr_assert_eq(loop_watchdog_start(loop, STALL_MS), 0);
    loop_timer_init(loop, &slow);
    loop_handle_set_name(LOOP_HANDLE(&slow), "slowpoke");
    loop_timer_init(loop, &check_timer);
    loop_timer_start(&slow, slowpoke, 0, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_expect_eq(loop_watchdog_stop(loop), 0); /* joins the thread: its report is complete */

    cr_expect_eq(count_lines_with("Stall:"), 1, "exactly one report:\n%s", logs_text());
    snprintf(want, sizeof(want), "Stall: loop=%llu kind=timer id=%llu name=\"slowpoke\" running-ms=",
             (unsigned long long)loop_id(loop), (unsigned long long)slow.handle.id);
    cr_expect(logs_contain(want), "header names the culprit:\n%s", logs_text());
    cr_expect(strstr(line_with("Stall:"), "site=tests/test_watchdog.c:") != NULL, "site:\n%s",
              line_with("Stall:"));
    cr_expect(logs_contain("watchdog_test_blocking_function"),
              "the backtrace names the blocking function:\n%s", logs_text());
    cr_expect(logs_contain("  #0 "), "backtrace lines:\n%s", logs_text());

    cr_expect_eq(checker_stalls, 1, "stats.stalls counted on the loop thread");
    cr_expect_eq(checker_handler_calls, 1, "the error handler ran on the loop thread");
    cr_expect_eq(handler_err, -ETIMEDOUT);
    cr_expect(strstr(handler_msg, "name=\"slowpoke\"") != NULL, "%s", handler_msg);
    loop_handle_close(LOOP_HANDLE(&slow), NULL);
    loop_handle_close(LOOP_HANDLE(&check_timer), NULL);
    finish_loop(loop);
}

static intptr_t spinner(void *arg)
{
    (void)arg;
    watchdog_test_spinning_function();
    return 0;
}

Test(watchdog, a_spinning_task_step_is_reported_with_its_task, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_task_t *t;
    char want[256];
    loop_stats_t s;

    capture_logs();
    loop_set_error_handler(loop, on_error, NULL);
    cr_assert_eq(loop_watchdog_start(loop, STALL_MS), 0);
    t = loop_spawn(loop, spinner, NULL, "spinner");
    cr_assert_not_null(t);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    /* The spinner returned as soon as the report's first line was out: stopping
     * joins the watchdog (the backtrace lines are written) and, since the loop
     * ended before the count's async ran, counts the stall. */
    cr_expect_eq(loop_watchdog_stop(loop), 0);

    snprintf(want, sizeof(want), "Stall: loop=%llu kind=task id=%llu name=\"spinner\"",
             (unsigned long long)loop_id(loop), (unsigned long long)loop_task_id(t));
    cr_expect(logs_contain(want), "%s", logs_text());
    cr_expect_eq(count_lines_with("Stall:"), 1, "%s", logs_text());
    cr_expect(logs_contain("watchdog_test_spinning_function"), "%s", logs_text());
    loop_get_stats(loop, &s);
    cr_expect_eq(s.stalls, 1);
    cr_expect_eq(handler_calls, 1);
    cr_expect_eq(handler_task, loop_task_id(t), "a task's stall names the task");
    cr_expect_eq(loop_join(t, NULL, 0), 0);
    finish_loop(loop);
}

static int fast_ticks;

static void fast(loop_timer_t *t)
{
    hold_thread_ns(2 * MS_NS);
    if (++fast_ticks == 30) {
        loop_handle_close(LOOP_HANDLE(t), NULL);
    }
}

Test(watchdog, fast_callbacks_are_not_reported, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    loop_stats_t s;

    capture_logs();
    cr_assert_eq(loop_watchdog_start(loop, 100), 0);
    loop_timer_init(loop, &t);
    loop_timer_start(&t, fast, 1, 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_expect_eq(fast_ticks, 30);
    cr_expect_eq(count_lines_with("Stall"), 0, "%s", logs_text());
    cr_expect_eq(loop_watchdog_stop(loop), 0);
    loop_get_stats(loop, &s);
    cr_expect_eq(s.stalls, 0);
    cr_expect_eq(loop_close(loop), 0);
}

Test(watchdog, start_and_stop_contracts, .timeout = 60)
{
    loop_t *loop = new_loop();

    cr_expect_eq(loop_watchdog_start(NULL, 10), -EINVAL);
    cr_expect_eq(loop_watchdog_start(loop, 0), -EINVAL);
    cr_expect_eq(loop_watchdog_stop(loop), -EALREADY);
    cr_expect_eq(loop_watchdog_stop(NULL), -EINVAL);
    cr_expect_eq(loop_watchdog_start(loop, 10), 0);
    cr_expect_eq(loop_watchdog_start(loop, 10), -EBUSY);
    cr_expect_eq(loop_watchdog_stop(loop), 0);
    cr_expect_eq(loop_watchdog_start(loop, 10), 0);
    /* loop_close stops it */
    cr_expect_eq(loop_close(loop), 0);

    setenv("LOOP_STALL_MS", "200", 1);
    loop = new_loop();
    unsetenv("LOOP_STALL_MS");
    cr_expect_eq(loop_watchdog_stop(loop), 0, "LOOP_STALL_MS started it");
    cr_expect_eq(loop_close(loop), 0);
}
