/*
 * test_errors.c — errors are values: bad arguments give -EINVAL (never an
 * abort), a failed call never runs its callback, use after close and double
 * close are refused, loop_strerror/loop_err_name name errors, the log sink,
 * and fd exhaustion (EMFILE) is reported as an error value and survived.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>

#include "helpers.h"

static int cb_calls;
static int closes;

static void on_close(loop_handle_t *h)
{
    (void)h;
    closes++;
}

static void timer_cb(loop_timer_t *t)
{
    (void)t;
    cb_calls++;
}

static void io_cb(loop_io_t *io, int events)
{
    (void)io;
    (void)events;
    cb_calls++;
}

static void signal_cb(loop_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
    cb_calls++;
}

static void defer_cb(loop_defer_t *d)
{
    (void)d;
    cb_calls++;
}

static void async_cb(loop_async_t *a)
{
    (void)a;
    cb_calls++;
}

static void call_fn(loop_t *loop, void *arg)
{
    (void)loop;
    (void)arg;
    cb_calls++;
}

static int walk_fn(loop_handle_t *h, void *arg)
{
    (void)h;
    (void)arg;
    return 0;
}

/* Either misuse answer allowed by the contract for a closed or foreign handle. */
#define cr_assert_misuse(expr)                                                           \
    do {                                                                                 \
        int misuse_rc_ = (expr);                                                         \
        cr_assert(misuse_rc_ == -EBADF || misuse_rc_ == -EINVAL, "%s: %d (%s)", #expr,   \
                  misuse_rc_, loop_strerror(misuse_rc_));                                \
    } while (0)

Test(errors, null_arguments_are_einval, .timeout = 10)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    loop_io_t io;
    loop_signal_t s;
    loop_defer_t d;
    loop_async_t a;

    cr_assert_eq(loop_run(NULL, LOOP_RUN_DEFAULT), -EINVAL);
    cr_assert_eq(loop_close(NULL), -EINVAL);
    cr_assert_eq(loop_configure(NULL, LOOP_OPT_ROUNDS_PER_POLL, 1), -EINVAL);
    cr_assert_eq(loop_call_soon(NULL, call_fn, NULL), -EINVAL);
    cr_assert_eq(loop_call_soon(loop, NULL, NULL), -EINVAL);
    cr_assert_eq(loop_walk(NULL, walk_fn, NULL), -EINVAL);
    cr_assert_eq(loop_walk(loop, NULL, NULL), -EINVAL);
    cr_assert_eq(loop_handle_close(NULL, NULL), -EINVAL);

    cr_assert_eq(loop_timer_init(NULL, &t), -EINVAL);
    cr_assert_eq(loop_timer_init(loop, NULL), -EINVAL);
    cr_assert_eq(loop_timer_start(NULL, timer_cb, 1, 0), -EINVAL);
    cr_assert_eq(loop_timer_start_ns(NULL, timer_cb, 1, 0), -EINVAL);
    cr_assert_eq(loop_timer_stop(NULL), -EINVAL);
    cr_assert_eq(loop_timer_again(NULL), -EINVAL);

    cr_assert_eq(loop_io_init(NULL, &io, 0), -EINVAL);
    cr_assert_eq(loop_io_init(loop, NULL, 0), -EINVAL);
    cr_assert_eq(loop_io_start(NULL, io_cb, LOOP_READABLE), -EINVAL);
    cr_assert_eq(loop_io_stop(NULL), -EINVAL);

    cr_assert_eq(loop_signal_init(NULL, &s), -EINVAL);
    cr_assert_eq(loop_signal_init(loop, NULL), -EINVAL);
    cr_assert_eq(loop_signal_start(NULL, signal_cb, SIGUSR1), -EINVAL);
    cr_assert_eq(loop_signal_stop(NULL), -EINVAL);

    cr_assert_eq(loop_defer_init(NULL, &d), -EINVAL);
    cr_assert_eq(loop_defer_init(loop, NULL), -EINVAL);
    cr_assert_eq(loop_defer_start(NULL, defer_cb), -EINVAL);
    cr_assert_eq(loop_defer_stop(NULL), -EINVAL);

    cr_assert_eq(loop_async_init(NULL, &a, async_cb), -EINVAL);
    cr_assert_eq(loop_async_init(loop, NULL, async_cb), -EINVAL);
    cr_assert_eq(loop_async_send(NULL), -EINVAL);

    cr_assert_eq(loop_work_cancel(NULL), -EINVAL);

    cr_assert_eq(loop_alive_count(loop), 0, "nothing was created by the failed calls");
    finish_loop(loop);
    cr_assert_eq(cb_calls, 0);
}

Test(errors, null_callbacks_are_einval_and_leave_the_handle_inactive, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    loop_timer_t t;
    loop_io_t io;
    loop_signal_t s;
    loop_defer_t d;
    loop_async_t a;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_io_init(loop, &io, p[1]), 0);
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    cr_assert_eq(loop_defer_init(loop, &d), 0);
    cr_assert_eq(loop_async_init(loop, &a, NULL), -EINVAL);

    cr_assert_eq(loop_timer_start(&t, NULL, 0, 0), -EINVAL);
    cr_assert_eq(loop_io_start(&io, NULL, LOOP_WRITABLE), -EINVAL);
    cr_assert_eq(loop_signal_start(&s, NULL, SIGUSR1), -EINVAL);
    cr_assert_eq(loop_defer_start(&d, NULL), -EINVAL);
    cr_assert_eq(loop_alive_count(loop), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);

    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&io), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&s), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&d), on_close), 0);
    finish_loop(loop);
    cr_assert_eq(closes, 4);
    cr_assert_eq(cb_calls, 0);
    close(p[0]);
    close(p[1]);
}

Test(errors, bad_io_events_and_fds_are_refused, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    loop_io_t io, bad;
    int rc = loop_io_init(loop, &bad, -1);
    cr_assert(rc == -EINVAL || rc == -EBADF, "fd -1: %d", rc);

    cr_assert_eq(loop_io_init(loop, &io, p[1]), 0);
    const int bad_events[] = {16, 64, 1 << 20, -1};
    for (size_t i = 0; i < sizeof bad_events / sizeof bad_events[0]; i++) {
        rc = loop_io_start(&io, io_cb, bad_events[i]);
        cr_assert_eq(rc, -EINVAL, "events %#x: %d (%s)", bad_events[i], rc, loop_strerror(rc));
        cr_assert_eq(loop_handle_active(LOOP_HANDLE(&io)), 0);
    }

    /* an fd number that is not open */
    loop_io_t closed;
    int nfd = dup(p[0]);
    cr_assert_geq(nfd, 0);
    close(nfd);
    rc = loop_io_init(loop, &closed, nfd);
    if (rc == 0) {
        rc = loop_io_start(&closed, io_cb, LOOP_READABLE);
        cr_assert_eq(rc, -EBADF, "watching a closed fd: %d (%s)", rc, loop_strerror(rc));
        cr_assert_eq(loop_handle_close(LOOP_HANDLE(&closed), on_close), 0);
    } else {
        cr_assert_eq(rc, -EBADF);
    }

    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(cb_calls, 0, "a failed call ran its callback");
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&io), on_close), 0);
    finish_loop(loop);
    close(p[0]);
    close(p[1]);
}

Test(errors, bad_run_mode_is_einval, .timeout = 10)
{
    loop_t *loop = new_loop();
    cr_assert_eq(loop_run(loop, (loop_run_mode_t)42), -EINVAL);
    cr_assert_eq(loop_run(loop, (loop_run_mode_t)-1), -EINVAL);
    finish_loop(loop);
}

Test(errors, use_after_close_is_refused, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
    loop_timer_t t;
    loop_io_t io;
    loop_signal_t s;
    loop_defer_t d;
    loop_async_t a;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_io_init(loop, &io, p[1]), 0);
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    cr_assert_eq(loop_defer_init(loop, &d), 0);
    cr_assert_eq(loop_async_init(loop, &a, async_cb), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&io), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&s), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&d), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&a), on_close), 0);

    /* while closing */
    cr_assert_misuse(loop_timer_start(&t, timer_cb, 0, 0));
    cr_assert_misuse(loop_defer_start(&d, defer_cb));
    cr_assert_misuse(loop_async_send(&a));
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(closes, 5);

    /* after the close callbacks ran */
    cr_assert_misuse(loop_timer_start(&t, timer_cb, 0, 0));
    cr_assert_misuse(loop_timer_stop(&t));
    cr_assert_misuse(loop_timer_again(&t));
    cr_assert_misuse(loop_io_start(&io, io_cb, LOOP_WRITABLE));
    cr_assert_misuse(loop_io_stop(&io));
    cr_assert_misuse(loop_signal_start(&s, signal_cb, SIGUSR1));
    cr_assert_misuse(loop_defer_start(&d, defer_cb));
    cr_assert_misuse(loop_async_send(&a));
    cr_assert_eq(loop_alive_count(loop), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(cb_calls, 0);
    finish_loop(loop);
    close(p[0]);
    close(p[1]);
}

Test(errors, double_close_is_refused_and_the_close_callback_runs_once, .timeout = 10)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_misuse(loop_handle_close(LOOP_HANDLE(&t), on_close));
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_misuse(loop_handle_close(LOOP_HANDLE(&t), on_close));
    finish_loop(loop);
    cr_assert_eq(closes, 1);
}

Test(errors, a_handle_of_another_kind_is_refused, .timeout = 10)
{
    loop_t *loop = new_loop();
    /* big enough for any handle, so a wrong-kind call cannot write out of bounds */
    static union {
        loop_timer_t t;
        loop_io_t io;
        loop_signal_t s;
        loop_defer_t d;
        loop_async_t a;
        loop_work_t w;
    } u;
    cr_assert_eq(loop_defer_init(loop, &u.d), 0);
    cr_assert_eq(loop_timer_start(&u.t, timer_cb, 0, 0), -EINVAL);
    cr_assert_eq(loop_timer_stop(&u.t), -EINVAL);
    cr_assert_eq(loop_io_start(&u.io, io_cb, LOOP_READABLE), -EINVAL);
    cr_assert_eq(loop_signal_start(&u.s, signal_cb, SIGUSR1), -EINVAL);
    cr_assert_eq(loop_async_send(&u.a), -EINVAL);
    cr_assert_eq(loop_work_cancel(&u.w), -EINVAL);
    cr_assert_eq(u.d.handle.kind, LOOP_KIND_DEFER);
    cr_assert_eq(loop_alive_count(loop), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(cb_calls, 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&u.d), on_close), 0);
    finish_loop(loop);
}

Test(errors, an_uninitialised_handle_is_refused, .timeout = 10)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    loop_defer_t d;
    loop_async_t a;
    memset(&t, 0, sizeof t);
    memset(&d, 0, sizeof d);
    memset(&a, 0, sizeof a);
    cr_assert_misuse(loop_timer_start(&t, timer_cb, 0, 0));
    cr_assert_misuse(loop_defer_start(&d, defer_cb));
    cr_assert_misuse(loop_async_send(&a));
    cr_assert_misuse(loop_handle_close(LOOP_HANDLE(&t), on_close));
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(cb_calls, 0);
    cr_assert_eq(closes, 0);
    finish_loop(loop);
}

Test(errors, strerror_names_errors, .timeout = 10)
{
    const int errs[] = {-EINVAL, -EBUSY, -EBADF, -ENOMEM, -EMFILE, -ECANCELED, -ETIMEDOUT,
                        -EEXIST, -EAGAIN};
    const char *names[] = {"EINVAL", "EBUSY",  "EBADF",  "ENOMEM", "EMFILE",
                           "ECANCELED", "ETIMEDOUT", "EEXIST", "EAGAIN"};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        const char *msg = loop_strerror(errs[i]);
        cr_assert_not_null(msg);
        cr_assert_gt(strlen(msg), 0);
        cr_assert_str_eq(loop_err_name(errs[i]), names[i]);
        for (size_t k = 0; k < i; k++) {
            cr_assert_neq(strcmp(msg, loop_strerror(errs[k])), 0, "%s and %s share a message",
                          names[i], names[k]);
        }
    }
    /* anything else still gets a string, never NULL or a crash */
    const int odd[] = {0, 1, -99999, 99999, -2147483647 - 1};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        cr_assert_not_null(loop_strerror(odd[i]));
        cr_assert_not_null(loop_err_name(odd[i]));
    }
}

Test(errors, kind_names, .timeout = 10)
{
    cr_assert_str_eq(loop_kind_name(LOOP_KIND_TIMER), "timer");
    cr_assert_str_eq(loop_kind_name(LOOP_KIND_IO), "io");
    cr_assert_str_eq(loop_kind_name(LOOP_KIND_SIGNAL), "signal");
    cr_assert_str_eq(loop_kind_name(LOOP_KIND_DEFER), "defer");
    cr_assert_str_eq(loop_kind_name(LOOP_KIND_ASYNC), "async");
    cr_assert_str_eq(loop_kind_name(LOOP_KIND_WORK), "work");
    cr_assert_str_eq(loop_kind_name(LOOP_KIND_TASK), "task");
    cr_assert_not_null(loop_kind_name(-1));
    cr_assert_not_null(loop_kind_name(1000));
}

Test(errors, log_lines_go_to_the_sink_prefixed_and_filtered, .timeout = 10)
{
    capture_logs();
    loop_log(LOOP_LOG_ERROR, "hello %d", 42);
    cr_assert(logs_contain("libloop: hello 42"), "got:\n%s", logs_text());
    cr_assert_eq(log_lines(), 1);
    loop_log_set_level(LOOP_LOG_WARN);
    loop_log(LOOP_LOG_DEBUG, "too quiet");
    loop_log(LOOP_LOG_INFO, "too quiet");
    cr_assert_eq(log_lines(), 1, "below the level but logged:\n%s", logs_text());
    loop_log(LOOP_LOG_WARN, "loud");
    cr_assert_eq(log_lines(), 2);
    loop_log_set_sink(NULL, NULL);
}

/* fd exhaustion ----------------------------------------------------------------------------- */

static int signal_seen;

static void seen_signal(loop_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
    signal_seen++;
}

static int work_done_calls;
static int work_status;

static void noop_work(loop_work_t *w)
{
    (void)w;
}

static void work_done(loop_work_t *w, int status)
{
    (void)w;
    work_done_calls++;
    work_status = status;
}

Test(errors, fd_exhaustion_is_reported_and_survived, .timeout = 10)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    cr_assert_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);

    loop_t *loop = new_loop(); /* made before the fds run out */
    loop_timer_t t;
    loop_signal_t s;
    static loop_work_t w;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_signal_init(loop, &s), 0);

    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    lim = old;
    lim.rlim_cur = 64;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
    int fds[64], n = 0, fd;
    while (n < 64 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
        fds[n++] = fd;
    }
    cr_assert_eq(errno, EMFILE);
    cr_assert_gt(n, 0);

    /* a new loop cannot get its fds: NULL with errno EMFILE */
    errno = 0;
    loop_t *l2 = loop_new();
    cr_assert_null(l2, "loop_new succeeded without fds");
    cr_assert_eq(errno, EMFILE, "errno %d (%s)", errno, strerror(errno));

    /* with a single fd free it still fails, and gives that fd back */
    close(fds[--n]);
    errno = 0;
    l2 = loop_new();
    if (l2 == NULL) {
        cr_assert_eq(errno, EMFILE);
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0, "a failed loop_new kept an fd");
        fds[n++] = fd;
    } else {
        cr_assert_eq(loop_close(l2), 0);
        fds[n++] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }

    /* the existing loop goes on working without new fds */
    cr_assert_eq(loop_timer_start(&t, timer_cb, 1, 0), 0);
    cr_assert_eq(loop_call_soon(loop, call_fn, NULL), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(cb_calls, 2);

    /* a watcher that needs an fd fails with EMFILE, as a value, and runs nothing */
    int rc = loop_signal_start(&s, seen_signal, SIGUSR1);
    cr_assert(rc == 0 || rc == -EMFILE, "signal start: %d (%s)", rc, loop_strerror(rc));
    if (rc < 0) {
        cr_assert_eq(loop_handle_active(LOOP_HANDLE(&s)), 0);
    }
    int wrc = loop_work_submit(loop, &w, noop_work, work_done);
    cr_assert(wrc == 0 || wrc == -EMFILE || wrc == -EAGAIN, "work submit: %d", wrc);
    cr_assert_geq(loop_run(loop, LOOP_RUN_NOWAIT), 0);

    /* fds come back: everything works again */
    while (n > 0) {
        close(fds[--n]);
    }
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    if (rc < 0) {
        cr_assert_eq(loop_signal_start(&s, seen_signal, SIGUSR1), 0);
    }
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    RUN_UNTIL(loop, signal_seen > 0);
    cr_assert_eq(signal_seen, 1);
    if (wrc == 0) {
        RUN_UNTIL(loop, work_done_calls > 0);
        cr_assert_eq(work_status, 0);
    } else {
        cr_assert_eq(work_done_calls, 0, "a failed submit called done");
    }

    l2 = new_loop();
    loop_timer_t t2;
    cr_assert_eq(loop_timer_init(l2, &t2), 0);
    cr_assert_eq(loop_timer_start(&t2, timer_cb, 0, 0), 0);
    cr_assert_eq(loop_run(l2, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(cb_calls, 3);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t2), on_close), 0);
    finish_loop(l2);

    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&s), on_close), 0);
    finish_loop(loop);
    cr_assert_eq(closes, 3);
}
