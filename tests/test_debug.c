/*
 * Debug mode: each warning fires with the exact name, id and site; a clean
 * program gets none; leaks are grouped by site; lost wakeups, the finished-task
 * history with its cancellation chain, the backtrace at a task's suspension,
 * the error handler's context, loop_dump's marks, misuse reports.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "loop.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Burn CPU until ms have passed: a callback that really is slow. */
static void spin_ms(int ms)
{
    uint64_t end = now_ns() + (uint64_t)ms * 1000000u;
    while (now_ns() < end) {
    }
}

static int slow_line;
static void slow_timer(loop_timer_t *t)
{
    spin_ms(30);
    loop_handle_close(&t->handle, NULL);
}

Test(debug, slow_callback_warning_names_the_handle, .timeout = 10)
{
    capture_logs();
    loop_t *loop = loop_new();
    loop_timer_t t;
    char want[256];

    cr_assert_eq(loop_set_debug(loop, 1), 0);
    cr_assert_eq(loop_set_slow_callback_ms(loop, 10), 0);
    slow_line = __LINE__ + 1;
    loop_timer_init(loop, &t);
    loop_handle_set_name(&t.handle, "flush");
    loop_timer_start(&t, slow_timer, 0, 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    snprintf(want, sizeof(want), "Slow callback: kind=timer id=%llu name=\"flush\"",
             (unsigned long long)t.handle.id);
    cr_assert(logs_contain(want), "%s", logs_text());
    snprintf(want, sizeof(want), "test_debug.c:%d", slow_line);
    cr_assert(logs_contain(want), "%s", logs_text());
    loop_stats_t st;
    cr_assert_eq(loop_get_stats(loop, &st), 0);
    cr_assert_eq(st.slow_callbacks, 1);
    cr_assert_eq(loop_close(loop), 0);
}

static intptr_t quick_task(void *arg)
{
    (void)arg;
    loop_sleep(1);
    return 0;
}

static void quick_timer(loop_timer_t *t)
{
    loop_handle_close(&t->handle, NULL);
}

Test(debug, a_clean_program_gets_no_warning, .timeout = 10)
{
    capture_logs();
    loop_t *loop = loop_new();
    loop_timer_t t;

    loop_set_debug(loop, 1);
    loop_timer_init(loop, &t);
    loop_timer_start(&t, quick_timer, 1, 0);
    loop_task_t *k = loop_spawn(loop, quick_task, NULL, "quick");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(k, NULL, 0), 0);
    cr_assert_eq(loop_close(loop), 0);
    cr_assert_eq(log_lines(), 0, "%s", logs_text());
}

Test(debug, leaks_are_grouped_by_site_with_backtraces, .timeout = 10)
{
    capture_logs();
    loop_t *loop = loop_new();
    loop_timer_t t[50];
    char want[256];
    int line;

    loop_set_debug(loop, 1);
    for (int i = 0; i < 50; i++) {
        line = __LINE__ + 1;
        loop_timer_init(loop, &t[i]);
    }
    cr_assert_eq(loop_close(loop), -EBUSY);
    snprintf(want, sizeof(want), "50 timer handles created at tests/test_debug.c:%d", line);
    if (!logs_contain(want)) {
        snprintf(want, sizeof(want), "50 timer handles created at");
    }
    cr_assert(logs_contain(want), "%s", logs_text());
    cr_assert(logs_contain("created by id="), "no creation backtrace:\n%s", logs_text());
    for (int i = 0; i < 50; i++) {
        loop_handle_close(&t[i].handle, NULL);
    }
    loop_run(loop, LOOP_RUN_DEFAULT);
    cr_assert_eq(loop_close(loop), 0);
}

static loop_future_t *lost;

static intptr_t await_lost(void *arg)
{
    (void)arg;
    return loop_future_await(lost, NULL, LOOP_FOREVER);
}

static void drop_future(loop_timer_t *t)
{
    loop_future_unref(lost); /* the only other reference: nobody can resolve it now */
    loop_handle_close(&t->handle, NULL);
}

Test(debug, a_future_nobody_holds_is_a_lost_wakeup, .timeout = 10)
{
    capture_logs();
    loop_t *loop = loop_new();
    loop_timer_t t;

    loop_set_debug(loop, 1);
    lost = loop_future_new(loop);
    loop_task_t *k = loop_spawn(loop, await_lost, NULL, "waiter");
    loop_timer_init(loop, &t);
    loop_timer_start(&t, drop_future, 1, 0);
    loop_run(loop, LOOP_RUN_DEFAULT);
    cr_assert(logs_contain("Lost wakeup: task id="), "%s", logs_text());
    cr_assert(logs_contain("name=\"waiter\""), "%s", logs_text());
    cr_assert_eq(loop_task_state(k), LOOP_TASK_WAITING);
    loop_task_cancel(k);
    loop_run(loop, LOOP_RUN_DEFAULT);
    cr_assert_eq(loop_join(k, NULL, 0), -ECANCELED);
    cr_assert_eq(loop_close(loop), 0);
}

static loop_event_t *never;
static loop_task_t *victim;

__attribute__((visibility("default"))) intptr_t test_debug_sleeper(void *arg); /* named by backtrace_symbols */
static volatile int sleepers_woken;

intptr_t test_debug_sleeper(void *arg)
{
    (void)arg;
    int rc = loop_event_wait(never, LOOP_FOREVER); /* not a tail call: keep the frame */
    sleepers_woken++;
    return rc;
}

static intptr_t canceller(void *arg)
{
    (void)arg;
    loop_task_cancel(victim);
    return 7;
}

struct hist {
    loop_task_done_info_t d[8];
    int n;
};

static int collect(const loop_task_done_info_t *d, void *arg)
{
    struct hist *h = arg;
    if (h->n < 8) {
        h->d[h->n++] = *d;
    }
    return 0;
}

Test(debug, history_says_who_cancelled_whom_and_backtrace_at_suspension, .timeout = 10)
{
    loop_t *loop = loop_new();
    struct hist h = {.n = 0};
    void *frames[16];

    loop_set_debug(loop, 1);
    never = loop_event_new(loop);
    victim = loop_spawn(loop, test_debug_sleeper, NULL, "victim");
    loop_run(loop, LOOP_RUN_NOWAIT);
    cr_assert_eq(loop_task_state(victim), LOOP_TASK_WAITING);
    int depth = loop_task_backtrace(victim, frames, 16);
    cr_assert_gt(depth, 1);
    char **syms = backtrace_symbols(frames, depth);
    char all[2048] = "";
    int found = 0;
    for (int i = 0; i < depth; i++) {
        found |= syms != NULL && strstr(syms[i], "test_debug_sleeper") != NULL;
        strncat(all, syms ? syms[i] : "?", sizeof(all) - strlen(all) - 2);
        strcat(all, "\n");
    }
    free(syms);
    cr_assert(found, "the suspension backtrace does not name the task function:\n%s", all);

    loop_task_t *c = loop_spawn(loop, canceller, NULL, "canceller");
    loop_run(loop, LOOP_RUN_DEFAULT);
    cr_assert_eq(loop_task_history(loop, collect, &h), 0);
    cr_assert_eq(h.n, 2);
    /* newest first: the victim finished after its canceller */
    cr_assert_eq(h.d[0].id, loop_task_id(victim));
    cr_assert_eq(h.d[0].state, LOOP_TASK_CANCELLED);
    cr_assert_eq(h.d[0].cancelled_by, loop_task_id(c));
    cr_assert_eq(h.d[0].cancel_source, LOOP_CANCEL_TASK);
    cr_assert_eq(h.d[1].cancel_source, LOOP_CANCEL_NONE);
    cr_assert_eq(h.d[1].id, loop_task_id(c));
    cr_assert_eq(h.d[1].state, LOOP_TASK_DONE);
    loop_join(victim, NULL, 0);
    loop_join(c, NULL, 0);
    loop_event_free(never);
    cr_assert_eq(loop_close(loop), 0);
}

struct errseen {
    int calls;
    int err;
    uint64_t task;
    const loop_site_t *site;
    char msg[128];
};

static void on_error(const loop_error_ctx_t *ctx, void *ud)
{
    struct errseen *e = ud;
    e->calls++;
    e->err = ctx->err;
    e->task = ctx->task_id;
    e->site = ctx->site;
    snprintf(e->msg, sizeof(e->msg), "%s", ctx->message);
}

static int report_line;
static intptr_t reporting_task(void *arg)
{
    loop_t *loop = arg;
    report_line = __LINE__ + 1;
    loop_report_error(loop, -EIO, "disk went away");
    return 0;
}

Test(debug, the_error_handler_gets_the_context, .timeout = 10)
{
    loop_t *loop = loop_new();
    struct errseen e = {0};

    cr_assert_eq(loop_set_error_handler(loop, on_error, &e), 0);
    loop_task_t *k = loop_spawn(loop, reporting_task, loop, "reporter");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(e.calls, 1);
    cr_assert_eq(e.err, -EIO);
    cr_assert_eq(e.task, loop_task_id(k));
    cr_assert_str_eq(e.msg, "disk went away");
    cr_assert_not_null(e.site);
    cr_assert_eq(e.site->line, report_line);
    cr_assert_eq(loop_join(k, NULL, 0), 0, "an error report does not take the task down");
    cr_assert_eq(loop_close(loop), 0);
}

static loop_timer_t *cross_timer;
static int cross_rc;

static void *from_other_thread(void *arg)
{
    (void)arg;
    cross_rc = loop_timer_stop(cross_timer);
    return NULL;
}

Test(debug, misuse_is_reported_wrong_thread_and_closed_handle, .timeout = 10)
{
    capture_logs();
    loop_t *loop = loop_new();
    loop_timer_t t;
    pthread_t th;

    loop_set_debug(loop, 1);
    loop_timer_init(loop, &t);
    cross_timer = &t;
    pthread_create(&th, NULL, from_other_thread, NULL);
    pthread_join(th, NULL);
    cr_assert_eq(cross_rc, -EINVAL);
    cr_assert(logs_contain("Misuse: loop_timer_stop: called from a thread other than the loop's"),
              "%s", logs_text());
    loop_handle_close(&t.handle, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    cr_assert_eq(loop_timer_start(&t, quick_timer, 1, 0), -EBADF);
    cr_assert(logs_contain("Misuse: loop_timer_start: handle is closed"), "%s", logs_text());
    cr_assert_eq(loop_close(loop), 0);
}

Test(debug, dump_marks_what_keeps_the_loop_alive, .timeout = 10)
{
    loop_t *loop = loop_new();
    loop_timer_t active, idle;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    loop_timer_init(loop, &active);
    loop_timer_init(loop, &idle);
    loop_timer_start(&active, quick_timer, 1000, 0);
    never = loop_event_new(loop);
    loop_task_t *k = loop_spawn(loop, test_debug_sleeper, NULL, "blocked");
    loop_run(loop, LOOP_RUN_NOWAIT);
    cr_assert_eq(loop_dump(loop, f), 0);
    fclose(f);
    char want[128];
    snprintf(want, sizeof(want), "* handle id=%llu kind=timer", (unsigned long long)active.handle.id);
    cr_assert(strstr(text, want) != NULL, "%s", text);
    snprintf(want, sizeof(want), "  handle id=%llu kind=timer", (unsigned long long)idle.handle.id);
    cr_assert(strstr(text, want) != NULL, "%s", text);
    cr_assert(strstr(text, "* task id=") != NULL && strstr(text, "wait=event") != NULL, "%s", text);
    free(text);
    loop_task_cancel(k);
    loop_handle_close(&active.handle, NULL);
    loop_handle_close(&idle.handle, NULL);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(k, NULL, 0);
    loop_event_free(never);
    cr_assert_eq(loop_close(loop), 0);
}

static int dump_ticks;

static void raise_then_stop(loop_timer_t *t)
{
    if (dump_ticks++ == 0) {
        kill(getpid(), SIGUSR1); /* blocked: delivered through the loop's signalfd */
        return;
    }
    loop_handle_close(&t->handle, NULL);
}

static void redirect_stderr(void)
{
    cr_redirect_stderr();
}

Test(debug, the_dump_signal_prints_the_tables, .init = redirect_stderr, .timeout = 10)
{
    setenv("LOOP_DUMP_SIGNAL", "USR1", 1);
    loop_t *loop = loop_new();
    loop_timer_t t;

    cr_assert_not_null(loop);
    loop_timer_init(loop, &t);
    loop_handle_set_name(&t.handle, "ticker");
    loop_timer_start(&t, raise_then_stop, 1, 5);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_close(loop), 0, "the dump watcher is not a handle of the program");
    fflush(stderr);
    FILE *err = cr_get_redirected_stderr();
    char buf[4096] = "";
    size_t n = fread(buf, 1, sizeof(buf) - 1, err);
    buf[n] = '\0';
    cr_assert(strstr(buf, "loop id=") != NULL, "no dump on stderr: %s", buf);
    cr_assert(strstr(buf, "name=\"ticker\"") != NULL, "%s", buf);
}

static intptr_t stepper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        if (i == 50) {
            spin_ms(2); /* one long step */
        }
        loop_yield();
    }
    return 0;
}

Test(debug, tasks_have_step_and_delay_histograms, .timeout = 10)
{
    loop_t *loop = loop_new();
    loop_task_info_t ti;

    loop_set_debug(loop, 1);
    loop_task_t *k = loop_spawn(loop, stepper, NULL, "stepper");
    loop_task_t *other = loop_spawn(loop, stepper, NULL, "other");
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    while (loop_task_state(k) != LOOP_TASK_DONE) {
        loop_run(loop, LOOP_RUN_NOWAIT);
    }
    cr_assert_eq(loop_task_info(k, &ti), 0);
    cr_assert_eq(ti.steps, 101);
    cr_assert_geq(ti.step_max_ns, 2000000u, "the 2 ms step: max %llu ns",
                  (unsigned long long)ti.step_max_ns);
    cr_assert_lt(ti.step_p50_ns, 2000000u, "most steps are short: p50 %llu ns",
                 (unsigned long long)ti.step_p50_ns);
    cr_assert_geq(ti.step_p99_ns, ti.step_p50_ns);
    cr_assert_gt(ti.delay_max_ns, 0u);
    cr_assert_geq(ti.delay_max_ns, ti.delay_p50_ns);
    loop_run(loop, LOOP_RUN_DEFAULT);
    loop_join(k, NULL, 0);
    loop_join(other, NULL, 0);
    cr_assert_eq(loop_close(loop), 0);
}

/* ---------------------------------------------------------------------- */
/* Errors nobody retrieves; the leak report once                           */

static intptr_t fail_eio(void *arg)
{
    (void)arg;
    return -EIO;
}

static intptr_t group_parent(void *arg)
{
    loop_group_t *g = loop_group_new(loop_task_loop(loop_task_current()));
    (void)arg;
    loop_group_spawn(g, fail_eio, NULL, "group-child");
    int rc = loop_group_wait(g, LOOP_FOREVER);
    loop_group_free(g);
    return rc == -EIO ? 0 : -EINVAL; /* the group handed the child's error over */
}

Test(debug, a_detached_task_that_failed_is_reported_with_its_site_and_error, .timeout = 10)
{
    capture_logs();
    loop_t *loop = loop_new();
    char want[256];
    intptr_t res = -1;

    loop_set_debug(loop, 1);
    int line = __LINE__ + 1;
    loop_task_t *detached = loop_spawn(loop, fail_eio, NULL, "fire-and-forget");
    loop_task_t *joined = loop_spawn(loop, fail_eio, NULL, "joined");
    loop_task_t *parent = loop_spawn(loop, group_parent, NULL, "parent");
    uint64_t detached_id = loop_task_id(detached); /* freed when it finishes */
    cr_assert_eq(loop_task_detach(detached), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    /* reported when it finished (and was freed), not at loop_close */
    snprintf(want, sizeof(want),
             "Task error never retrieved: task id=%llu name=\"fire-and-forget\" state=failed "
             "err=EIO created=tests/test_debug.c:%d",
             (unsigned long long)detached_id, line);
    cr_assert(logs_contain(want), "%s", logs_text());
    cr_assert(logs_contain("created by id="), "no creation backtrace:\n%s", logs_text());
    /* one joined, the group child's error went to its group: neither reported */
    cr_assert_eq(loop_join(joined, NULL, 0), -EIO);
    cr_assert_eq(loop_join(parent, &res, 0), 0);
    cr_assert_eq(res, 0);
    cr_assert(!logs_contain("name=\"joined\""), "%s", logs_text());
    cr_assert(!logs_contain("name=\"group-child\""), "%s", logs_text());
    cr_assert_eq(loop_close(loop), 0);
}

Test(debug, a_failed_task_never_joined_is_reported_at_loop_close, .timeout = 10)
{
    capture_logs();
    loop_t *loop = loop_new();
    char want[256];

    loop_set_debug(loop, 1);
    int line = __LINE__ + 1;
    loop_task_t *t = loop_spawn(loop, fail_eio, NULL, "forgotten");
    uint64_t id = loop_task_id(t);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert(!logs_contain("never retrieved"), "reported before loop_close:\n%s", logs_text());
    cr_assert_eq(loop_close(loop), 0);
    snprintf(want, sizeof(want),
             "Task error never retrieved: task id=%llu name=\"forgotten\" state=failed err=EIO "
             "created=tests/test_debug.c:%d",
             (unsigned long long)id, line);
    cr_assert(logs_contain(want), "%s", logs_text());
}

/* The child: a debug loop with a leak whose loop_close() is refused, then exit(). */
static void leak_then_exit(void)
{
    static loop_timer_t t;
    loop_t *loop = loop_new();

    loop_set_debug(loop, 1);
    loop_timer_init(loop, &t);
    if (loop_close(loop) != -EBUSY) {
        _exit(2);
    }
    exit(0); /* the atexit report runs */
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* Run fn (which exits) in a child with its stderr captured into out; its wait status. */
static int run_child(void (*fn)(void), char *out, size_t cap)
{
    size_t len = 0;
    int fds[2], status;

    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        loop_log_set_sink(NULL, NULL);
        fn();
        _exit(3); /* fn exits */
    }
    close(fds[1]);
    for (;;) {
        ssize_t n = read(fds[0], out + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    out[len] = '\0';
    close(fds[0]);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

Test(debug, the_leak_report_is_printed_once_not_at_close_and_again_at_exit, .timeout = 10)
{
    char out[8192];
    int status = run_child(leak_then_exit, out, sizeof(out));

    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d:\n%s", status, out);
    cr_assert_eq(count_of(out, "Unclosed handle: kind=timer"), 1, "%s", out);
    cr_assert_eq(count_of(out, "Loop still open at exit"), 1, "%s", out);
}

/*
 * The child: a debug loop whose timer lives in a stack frame that has
 * returned (and been written over), then exit() without loop_close(): a
 * common libuv-style ending. The report at exit must not read the handle.
 */
static void on_never(loop_timer_t *t)
{
    (void)t;
}

static void __attribute__((noinline)) timer_on_a_dead_frame(loop_t *loop)
{
    loop_timer_t t;

    loop_timer_init(loop, &t);
    loop_timer_start(&t, on_never, 60000, 0);
}

static void __attribute__((noinline)) scribble_the_stack(void)
{
    volatile unsigned char junk[8192];

    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = 0xa5;
    }
}

static void dead_frame_then_exit(void)
{
    loop_t *loop = loop_new();

    loop_set_debug(loop, 1);
    timer_on_a_dead_frame(loop);
    scribble_the_stack();
    exit(0); /* the atexit report runs */
}

Test(debug, the_report_at_exit_never_reads_handles_the_program_may_have_freed, .timeout = 10)
{
    char out[8192];
    int status = run_child(dead_frame_then_exit, out, sizeof(out));

    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d:\n%s", status, out);
    cr_assert_eq(count_of(out, "Loop still open at exit: loop="), 1, "%s", out);
    cr_assert(strstr(out, "active=1 ") != NULL, "%s", out);
}
