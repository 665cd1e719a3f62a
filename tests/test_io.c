/*
 * test_io.c — I/O watchers: readable, writable, changing the watched events,
 * level triggering, stop, hang-up, close from callbacks, many fds, fd number
 * reuse, and an fd closed behind the loop's back (reported, no crash, no busy
 * loop).
 */
#include <fcntl.h>
#include <sys/socket.h>

#include "helpers.h"
#include "core/sys.h"

static int calls;
static int last_events;
static int all_events;
static int closes;

static void on_close(loop_handle_t *h)
{
    (void)h;
    closes++;
}

static void record_io(loop_io_t *io, int events)
{
    (void)io;
    calls++;
    last_events = events;
    all_events |= events;
}

static void make_pipe(int p[2])
{
    cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0, "pipe2: %s", strerror(errno));
}

static void close_io(loop_io_t *io)
{
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(io), on_close), 0);
}

static void read_then_stop(loop_io_t *io, int events)
{
    char buf[16];
    calls++;
    last_events = events;
    cr_assert(events & LOOP_READABLE, "events %#x", events);
    cr_assert_eq(read(io->fd, buf, sizeof buf), 1);
    cr_assert_eq(loop_io_stop(io), 0);
}

Test(io, readable_when_data_arrives, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    make_pipe(p);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(io.fd, p[0]);
    cr_assert_eq(io.status, 0);
    cr_assert_eq(loop_io_start(&io, read_then_stop, LOOP_READABLE), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&io)), 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 0, "an empty pipe is not readable");
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "stopped in its callback");
    cr_assert_eq(calls, 1);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&io)), 0);
    close_io(&io);
    finish_loop(loop);
    cr_assert_eq(closes, 1);
    close(p[0]);
    close(p[1]);
}

static void writable_then_stop(loop_io_t *io, int events)
{
    calls++;
    last_events = events;
    cr_assert_eq(loop_io_stop(io), 0);
}

Test(io, writable_at_once_on_an_empty_pipe, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    make_pipe(p);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[1]), 0);
    cr_assert_eq(loop_io_start(&io, writable_then_stop, LOOP_WRITABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(calls, 1);
    cr_assert(last_events & LOOP_WRITABLE, "events %#x", last_events);
    cr_assert_eq(last_events & LOOP_READABLE, 0, "not asked for, not reported");
    close_io(&io);
    finish_loop(loop);
    close(p[0]);
    close(p[1]);
}

Test(io, level_triggered_until_drained, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    make_pipe(p);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, record_io, LOOP_READABLE), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    }
    cr_assert_geq(calls, 4, "unread data is reported again each iteration (%d calls)", calls);
    cr_assert_leq(calls, 5, "at most one call per iteration (%d calls)", calls);
    char c;
    cr_assert_eq(read(p[0], &c, 1), 1);
    int before = calls;
    loop_run(loop, LOOP_RUN_NOWAIT);
    loop_run(loop, LOOP_RUN_NOWAIT);
    cr_assert_leq(calls, before + 1, "reported after the pipe was drained");
    close_io(&io);
    finish_loop(loop);
    close(p[0]);
    close(p[1]);
}

Test(io, changing_events_takes_effect, .timeout = 10)
{
    loop_t *loop = new_loop();
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, sv[0]), 0);

    /* readable only: nothing to read, nothing reported */
    cr_assert_eq(loop_io_start(&io, record_io, LOOP_READABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 0);

    /* writable: reported */
    cr_assert_eq(loop_io_start(&io, record_io, LOOP_WRITABLE), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&io)), 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 1);
    cr_assert_eq(last_events, LOOP_WRITABLE, "events %#x", last_events);

    /* both, with data waiting: both reported */
    cr_assert_eq(write(sv[1], "x", 1), 1);
    cr_assert_eq(loop_io_start(&io, record_io, LOOP_READABLE | LOOP_WRITABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 2);
    cr_assert_eq(last_events, LOOP_READABLE | LOOP_WRITABLE, "events %#x", last_events);

    /* back to readable only, data drained: silence */
    char c;
    cr_assert_eq(read(sv[0], &c, 1), 1);
    cr_assert_eq(loop_io_start(&io, record_io, LOOP_READABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 2, "still reported writable after the change (events %#x)",
                 last_events);

    close_io(&io);
    finish_loop(loop);
    close(sv[0]);
    close(sv[1]);
}

Test(io, stop_silences_and_start_resumes, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    make_pipe(p);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, record_io, LOOP_READABLE), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(loop_io_stop(&io), 0);
    cr_assert_eq(loop_io_stop(&io), 0, "stopping twice is harmless");
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&io)), 0);
    cr_assert_eq(loop_alive_count(loop), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0, "a stopped watcher keeps nothing alive");
    cr_assert_eq(calls, 0);
    cr_assert_eq(loop_io_start(&io, record_io, LOOP_READABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 1);
    close_io(&io);
    finish_loop(loop);
    close(p[0]);
    close(p[1]);
}

Test(io, stop_between_ready_and_dispatch_prevents_the_callback, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    make_pipe(p);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, record_io, LOOP_READABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1); /* registered */
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(loop_io_stop(&io), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    cr_assert_eq(calls, 0);
    close_io(&io);
    finish_loop(loop);
    close(p[0]);
    close(p[1]);
}

static void hangup_cb(loop_io_t *io, int events)
{
    calls++;
    all_events |= events;
    cr_assert_eq(loop_io_stop(io), 0);
}

Test(io, hangup_is_reported_without_asking, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    make_pipe(p);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, hangup_cb, LOOP_READABLE), 0);
    cr_assert_eq(close(p[1]), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(calls, 1);
    cr_assert(all_events & LOOP_HANGUP, "events %#x", all_events);
    cr_assert_eq(io.status, 0, "a hang-up is not an fd failure");
    close_io(&io);
    finish_loop(loop);
    close(p[0]);
}

static void close_in_cb(loop_io_t *io, int events)
{
    (void)events;
    calls++;
    close_io(io);
}

Test(io, close_from_callback_with_data_left, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2];
    make_pipe(p);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, close_in_cb, LOOP_READABLE), 0);
    cr_assert_eq(write(p[1], "xyz", 3), 3); /* never read */
    finish_loop(loop);
    cr_assert_eq(calls, 1);
    cr_assert_eq(closes, 1);
    close(p[0]);
    close(p[1]);
}

static loop_io_t *pair[2];

static void free_on_close(loop_handle_t *h)
{
    closes++;
    free(h);
}

static void close_the_other(loop_io_t *io, int events)
{
    (void)events;
    calls++;
    loop_io_t *other = io == pair[0] ? pair[1] : pair[0];
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(other), free_on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(io), free_on_close), 0);
}

Test(io, closing_a_ready_watcher_from_another_callback_cancels_it, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2], q[2];
    make_pipe(p);
    make_pipe(q);
    pair[0] = malloc(sizeof(loop_io_t));
    pair[1] = malloc(sizeof(loop_io_t));
    cr_assert_eq(loop_io_init(loop, pair[0], p[0]), 0);
    cr_assert_eq(loop_io_init(loop, pair[1], q[0]), 0);
    cr_assert_eq(loop_io_start(pair[0], close_the_other, LOOP_READABLE), 0);
    cr_assert_eq(loop_io_start(pair[1], close_the_other, LOOP_READABLE), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(write(q[1], "x", 1), 1); /* both ready in the same poll */
    finish_loop(loop);
    cr_assert_eq(calls, 1, "the closed watcher's callback ran");
    cr_assert_eq(closes, 2);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

#define NPIPES 64
static int hits[NPIPES];

static void count_hit(loop_io_t *io, int events)
{
    (void)events;
    hits[(intptr_t)io->handle.data]++;
    char c;
    cr_assert_eq(read(io->fd, &c, 1), 1);
}

Test(io, many_fds_report_only_the_ready_ones, .timeout = 10)
{
    loop_t *loop = new_loop();
    static int fds[NPIPES][2];
    static loop_io_t io[NPIPES];
    for (int i = 0; i < NPIPES; i++) {
        make_pipe(fds[i]);
        cr_assert_eq(loop_io_init(loop, &io[i], fds[i][0]), 0);
        io[i].handle.data = (void *)(intptr_t)i;
        cr_assert_eq(loop_io_start(&io[i], count_hit, LOOP_READABLE), 0);
    }
    for (int i = 0; i < NPIPES; i += 3) {
        cr_assert_eq(write(fds[i][1], "x", 1), 1);
    }
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    }
    for (int i = 0; i < NPIPES; i++) {
        cr_assert_eq(hits[i], i % 3 == 0 ? 1 : 0, "pipe %d: %d calls", i, hits[i]);
    }
    for (int i = 0; i < NPIPES; i++) {
        close_io(&io[i]);
    }
    finish_loop(loop);
    cr_assert_eq(closes, NPIPES);
    for (int i = 0; i < NPIPES; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
}

Test(io, fd_number_reused_after_stop_and_close_works, .timeout = 10)
{
    loop_t *loop = new_loop();
    int p[2], q[2];
    make_pipe(p);
    loop_io_t a, b;
    cr_assert_eq(loop_io_init(loop, &a, p[0]), 0);
    cr_assert_eq(loop_io_start(&a, record_io, LOOP_READABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(loop_io_stop(&a), 0);
    close_io(&a);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    int old = p[0];
    close(p[0]);
    close(p[1]);
    make_pipe(q); /* takes the lowest free numbers: the old ones */
    cr_assert_eq(q[0], old, "fd %d was not reused (got %d)", old, q[0]);
    cr_assert_eq(loop_io_init(loop, &b, q[0]), 0);
    cr_assert_eq(loop_io_start(&b, record_io, LOOP_READABLE), 0);
    cr_assert_eq(write(q[1], "x", 1), 1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(calls, 1);
    close_io(&b);
    finish_loop(loop);
    close(q[0]);
    close(q[1]);
}

/* An fd closed behind the loop's back ------------------------------------------------ */

static int error_calls;
static int error_status;

static void stop_on_error(loop_io_t *io, int events)
{
    calls++;
    all_events |= events;
    if (events & LOOP_ERROR) {
        error_calls++;
        error_status = io->status;
        loop_io_stop(io);
    }
}

Test(io, fd_closed_while_watched_is_reported_when_events_change, .timeout = 10)
{
    capture_logs();
    loop_t *loop = new_loop();
    int p[2];
    make_pipe(p);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, stop_on_error, LOOP_READABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(close(p[0]), 0); /* behind the loop's back */

    int rc = loop_io_start(&io, stop_on_error, LOOP_READABLE | LOOP_WRITABLE);
    if (rc == 0) {
        for (int i = 0; i < 5 && error_calls == 0; i++) {
            cr_assert_geq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
        }
        cr_assert(error_calls == 1 || log_lines() > 0,
                  "the vanished fd was neither refused nor reported (calls %d, events %#x)",
                  calls, all_events);
        if (error_calls > 0) {
            cr_assert_eq(error_status, -EBADF, "io->status %d", error_status);
        }
    } else {
        cr_assert_eq(rc, -EBADF, "loop_io_start: %d (%s)", rc, loop_strerror(rc));
        cr_assert_eq(calls, 0, "a failed start runs no callback");
    }
    loop_io_stop(&io);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&io)), 0);
    close_io(&io);
    finish_loop(loop);
    close(p[1]);
}

/*
 * A duplicate keeps the pipe open, so the kernel keeps the epoll registration
 * and goes on reporting readiness for an fd number that is closed; the
 * registration cannot be removed through the closed number any more.
 */
static int closed_fd_pipe(loop_t *loop, loop_io_t *io, loop_io_cb cb, int p[2])
{
    make_pipe(p);
    cr_assert_eq(loop_io_init(loop, io, p[0]), 0);
    cr_assert_eq(loop_io_start(io, cb, LOOP_READABLE), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1); /* registered with the poller */
    int keep = dup(p[0]);
    cr_assert_geq(keep, 0);
    cr_assert_eq(close(p[0]), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    return keep;
}

/* Found without a syscall per event (io.c): at most one readiness report reaches
 * the callback before the error, at the watcher's 2nd consecutive ready iteration. */
Test(io, fd_closed_while_watched_is_reported_readable_at_most_once, .timeout = 10)
{
    capture_logs();
    loop_t *loop = new_loop();
    int p[2];
    loop_io_t io;
    int keep = closed_fd_pipe(loop, &io, stop_on_error, p);

    for (int i = 0; i < 10; i++) {
        cr_assert_geq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    }
    cr_assert_leq(calls, 2, "callback ran %d times for a closed fd (events %#x)", calls,
                  all_events);
    cr_assert_eq(error_calls, 1, "not reported as an error: %d calls, events %#x, %d log lines",
                 calls, all_events, log_lines());
    cr_assert_eq(error_status, -EBADF, "io->status %d", error_status);
    loop_io_stop(&io);
    close_io(&io);
    finish_loop(loop);
    close(keep);
    close(p[1]);
}

static loop_timer_t guard;
static int guard_fired;
static int readable_calls;

static void closed_fd_cb(loop_io_t *io, int events)
{
    calls++;
    all_events |= events;
    if (events & LOOP_READABLE) {
        readable_calls++;
    }
    if (events & LOOP_ERROR) {
        error_calls++;
        error_status = io->status;
        loop_io_stop(io);
        loop_timer_stop(&guard);
    }
}

static void guard_cb(loop_timer_t *t)
{
    guard_fired++;
    loop_io_stop(t->handle.data);
}

static void noop_timer(loop_timer_t *t)
{
    (void)t;
}

Test(io, fd_closed_while_watched_is_reported_and_does_not_busy_loop, .timeout = 10)
{
    capture_logs();
    loop_t *loop = new_loop();
    int p[2];
    loop_io_t io;
    cr_assert_eq(loop_timer_init(loop, &guard), 0);
    int keep = closed_fd_pipe(loop, &io, closed_fd_cb, p);
    guard.handle.data = &io;
    cr_assert_eq(loop_timer_start(&guard, guard_cb, 3000, 0), 0);

    /* as a program runs it: DEFAULT until the error stops the watcher */
    uint64_t cpu0 = thread_cpu_ns();
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    uint64_t cpu = thread_cpu_ns() - cpu0;
    cr_assert_eq(guard_fired, 0, "no error within 3 s (%d calls, events %#x, %llu ms CPU)",
                 calls, all_events, (unsigned long long)(cpu / MS_NS));
    cr_assert_eq(error_calls, 1, "LOOP_ERROR callbacks: %d", error_calls);
    cr_assert_eq(error_status, -EBADF, "io->status %d", error_status);
    cr_assert_leq(readable_calls, 1, "reported readable %d times for a closed fd",
                  readable_calls);
    cr_assert(logs_contain("fd"), "the error is logged:\n%s", logs_text());

    /* and it stays idle afterwards: waiting for a timer does not spin on the stale fd */
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, noop_timer, 300, 0), 0);
    cpu0 = thread_cpu_ns();
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cpu = thread_cpu_ns() - cpu0;
    cr_assert_lt(cpu, 60 * MS_NS, "a 300 ms wait used %llu ms of CPU: busy loop",
                 (unsigned long long)(cpu / MS_NS));
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&guard), on_close), 0);
    close_io(&io);
    finish_loop(loop);
    close(keep);
    close(p[1]);
}

/* An fd number reused after a close behind the loop's back ------------------------ */

/*
 * epoll keys a registration on (fd number, open file description). Watcher A
 * watches fd N; a duplicate keeps A's description open, N is closed and a new
 * file gets number N; watcher B starts on it. A's old registration lives on
 * (and reports A's readiness); B's is a second one under the same number.
 */
struct reuse {
    int p[2];      /* A's pipe; p[0] is closed behind the loop's back */
    int keep;      /* the duplicate that keeps A's description open */
    int q[2];      /* B's pipe; q[0] has A's old number */
    loop_io_t a, b;
};

static int a_calls, a_errors, a_status, b_calls, b_readable, b_bytes;

static void a_cb(loop_io_t *io, int events)
{
    a_calls++;
    if (events & LOOP_ERROR) {
        a_errors++;
        a_status = io->status;
        loop_io_stop(io);
    }
}

static void b_cb(loop_io_t *io, int events)
{
    char buf[16];
    b_calls++;
    if (events & LOOP_READABLE) {
        b_readable++;
        ssize_t n = read(io->fd, buf, sizeof buf);
        if (n > 0) {
            b_bytes += (int)n;
        }
    }
}

/* restarts: how often A is stopped and started again first (changes its generation) */
static void reuse_setup(loop_t *loop, struct reuse *r, int restarts)
{
    make_pipe(r->p);
    cr_assert_eq(loop_io_init(loop, &r->a, r->p[0]), 0);
    cr_assert_eq(loop_io_start(&r->a, a_cb, LOOP_READABLE), 0);
    for (int i = 0; i < restarts; i++) {
        cr_assert_eq(loop_io_stop(&r->a), 0);
        cr_assert_eq(loop_io_start(&r->a, a_cb, LOOP_READABLE), 0);
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    r->keep = fcntl(r->p[0], F_DUPFD_CLOEXEC, 100); /* above the numbers reused below */
    cr_assert_geq(r->keep, 0);
    cr_assert_eq(write(r->p[1], "old", 3), 3); /* A's description stays readable */
    int n = r->p[0];
    cr_assert_eq(close(r->p[0]), 0); /* behind the loop's back */
    make_pipe(r->q);
    cr_assert_eq(r->q[0], n, "fd %d was not reused (got %d)", n, r->q[0]);
    cr_assert_eq(loop_io_init(loop, &r->b, r->q[0]), 0);
    cr_assert_eq(loop_io_start(&r->b, b_cb, LOOP_READABLE), 0);
}

static void reuse_teardown(loop_t *loop, struct reuse *r)
{
    loop_io_stop(&r->a);
    loop_io_stop(&r->b);
    close_io(&r->a);
    close_io(&r->b);
    close_loop(loop);
    close(r->keep);
    close(r->p[1]);
    close(r->q[0]);
    close(r->q[1]);
}

static uint64_t iterations(loop_t *loop)
{
    loop_stats_t s;
    cr_assert_eq(loop_get_stats(loop, &s), 0);
    return s.iterations;
}

static void stop_the_run(loop_timer_t *t)
{
    loop_stop(t->handle.loop);
}

/* Run for ms of loop time; the loop iterations that took. */
static uint64_t run_for_ms(loop_t *loop, uint64_t ms)
{
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, stop_the_run, ms, 0), 0);
    uint64_t it0 = iterations(loop);
    cr_assert_geq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    uint64_t n = iterations(loop) - it0;
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&t), NULL), 0);
    cr_assert_geq(loop_run(loop, LOOP_RUN_NOWAIT), 0);
    return n;
}

Test(io, reused_fd_number_new_watcher_sees_only_its_file_and_the_loop_does_not_spin,
     .timeout = 10)
{
    capture_logs();
    loop_t *loop = new_loop();
    struct reuse r;
    reuse_setup(loop, &r, 0);

    /* 200 ms of loop time with nothing to read on B's pipe: a few iterations */
    uint64_t n = run_for_ms(loop, 200);
    cr_assert_leq(n, 20, "%llu iterations in 200 ms of loop time: busy loop (B called %d "
                  "times, %d readable, %d bytes)",
                  (unsigned long long)n, b_calls, b_readable, b_bytes);
    cr_assert_eq(b_readable, 0, "B was reported readable %d times for A's file", b_readable);

    /* B works: its own data is reported */
    cr_assert_eq(write(r.q[1], "new", 3), 3);
    RUN_UNTIL(loop, b_bytes == 3);
    cr_assert_eq(r.b.status, 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&r.b)), 1);
    reuse_teardown(loop, &r);
}

/* A's registration has another generation than B's: dropping its events must not
 * remove B's registration (and then stop B with -EBADF). */
Test(io, reused_fd_number_stale_events_do_not_stop_the_new_watcher, .timeout = 10)
{
    capture_logs();
    loop_t *loop = new_loop();
    struct reuse r;
    reuse_setup(loop, &r, 2);

    uint64_t n = run_for_ms(loop, 1500); /* past the old once-a-second check */
    cr_assert_leq(n, 20, "%llu iterations in 1.5 s of loop time: busy loop",
                  (unsigned long long)n);
    cr_assert_eq(r.b.status, 0, "the healthy watcher got status %d", r.b.status);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&r.b)), 1, "the healthy watcher was stopped");
    cr_assert_eq(write(r.q[1], "new", 3), 3);
    RUN_UNTIL(loop, b_bytes == 3);
    cr_assert_eq(b_readable, 1, "B readable %d times", b_readable);
    reuse_teardown(loop, &r);
}

/* The old watcher is told once, in debug mode with its id and site. */
Test(io, reused_fd_number_old_watcher_is_reported_and_stopped, .timeout = 10)
{
    capture_logs();
    loop_t *loop = new_loop();
    cr_assert_eq(loop_set_debug(loop, 1), 0);
    struct reuse r;
    reuse_setup(loop, &r, 0);
    run_for_ms(loop, 50);
    cr_assert_eq(a_errors, 1, "A's LOOP_ERROR callbacks: %d (calls %d)", a_errors, a_calls);
    cr_assert_eq(a_calls, 1, "A called %d times", a_calls);
    cr_assert_eq(a_status, -EBADF, "A's status %d", a_status);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&r.a)), 0);
    char want[64];
    snprintf(want, sizeof want, "fd=%d", r.q[0]);
    cr_assert(logs_contain(want) && logs_contain("behind the loop's back"),
              "no report naming %s:\n%s", want, logs_text());
    char id[64];
    snprintf(id, sizeof id, "id=%llu", (unsigned long long)r.a.handle.id);
    cr_assert(logs_contain(id), "the report does not name A (%s):\n%s", id, logs_text());
    cr_assert_eq(b_readable, 0);
    reuse_teardown(loop, &r);
}

/*
 * The duplicate case without reuse: A's registration goes on reporting for a
 * closed number. A is told at most one readable event late, then stopped with
 * -EBADF; the leftover registration (which can be removed only with a new epoll
 * set) does not make the loop spin afterwards.
 */
Test(io, dup_kept_registration_is_detected_without_a_syscall_per_event, .timeout = 10)
{
    capture_logs();
    loop_t *loop = new_loop();
    int p[2];
    loop_io_t io;
    int keep = closed_fd_pipe(loop, &io, stop_on_error, p);
    uint64_t n = run_for_ms(loop, 200);
    cr_assert_eq(error_calls, 1, "LOOP_ERROR callbacks: %d (calls %d)", error_calls, calls);
    cr_assert_leq(calls, 2, "callback ran %d times for a closed fd", calls);
    cr_assert_eq(error_status, -EBADF);
    cr_assert_leq(n, 20, "%llu iterations in 200 ms of loop time: busy loop",
                  (unsigned long long)n);
    n = run_for_ms(loop, 200);
    cr_assert_leq(n, 5, "%llu iterations in 200 ms after the error: busy loop",
                  (unsigned long long)n);
    close_io(&io);
    close_loop(loop);
    close(keep);
    close(p[1]);
}

/*
 * Registrations that vanished with their file report nothing; a sweep finds
 * them, a bounded number per second of loop time (it was a walk of every
 * watcher: a 41 ms stall with 9,000 of them). Every check fails here (an
 * injected EBADF), so the watchers told in one step are the ones checked.
 */
#define SWEEP_WATCHERS 200
static int swept;

static void count_swept(loop_io_t *io, int events)
{
    if (events & LOOP_ERROR) {
        swept++;
        loop_io_stop(io);
    }
}

Test(io, the_closed_fd_sweep_checks_a_bounded_number_of_watchers_per_step, .timeout = 10)
{
    capture_logs();
    loop_t *loop = new_loop();
    static loop_io_t io[SWEEP_WATCHERS];
    static int p[SWEEP_WATCHERS][2];
    for (int i = 0; i < SWEEP_WATCHERS; i++) {
        make_pipe(p[i]);
        cr_assert_eq(loop_io_init(loop, &io[i], p[i][0]), 0);
        cr_assert_eq(loop_io_start(&io[i], count_swept, LOOP_READABLE), 0);
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1); /* a first step, every check passes */
    cr_assert_eq(swept, 0);
    cr_assert_eq(loop__fault_set_n("epoll_ctl", 1, LOOP__FAULT_FOREVER, EBADF), 0);
    run_for_ms(loop, 1100); /* one more step */
    loop__fault_clear("epoll_ctl");
    cr_assert_geq(swept, 1, "the sweep checked nothing");
    cr_assert_leq(swept, 64, "one step checked %d watchers (of %d)", swept, SWEEP_WATCHERS);
    for (int i = 0; i < SWEEP_WATCHERS; i++) {
        loop_io_stop(&io[i]);
        close_io(&io[i]);
    }
    close_loop(loop);
    for (int i = 0; i < SWEEP_WATCHERS; i++) {
        close(p[i][0]);
        close(p[i][1]);
    }
}
