/*
 * test_signal.c — signal watchers: delivery, several watchers per signal,
 * several loops in one thread and in several threads, stop, close, the
 * handler and the old disposition, a signal pending before start, invalid
 * signal numbers; and EINTR: a signal handled by a handler installed without
 * SA_RESTART while the loop blocks in poll must not make loop_run fail.
 *
 * Signals are raised with kill(getpid()) (process-directed). The watcher's
 * process-wide handler takes them on whichever thread the kernel picks; the
 * multi-threaded layouts that used to kill the process are in
 * test_signal_threads.c.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>

#include "helpers.h"

static int closes;

static void on_close(loop_handle_t *h)
{
    (void)h;
    closes++;
}

static void unblock_signal(int signum)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signum);
    cr_assert_eq(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
}

static void block_signal(int signum)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signum);
    cr_assert_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
}

struct seen {
    int count;
    int signum;
};

static void record_signal(loop_signal_t *s, int signum)
{
    struct seen *seen = s->handle.data;
    seen->count++;
    seen->signum = signum;
}

static void close_sig(loop_signal_t *s)
{
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(s), on_close), 0);
}

Test(signal, watcher_sees_a_raised_signal, .timeout = 20)
{
    loop_t *loop = new_loop();
    loop_signal_t s;
    struct seen seen = {0, 0};
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    s.handle.data = &seen;
    cr_assert_eq(loop_signal_start(&s, record_signal, SIGUSR1), 0);
    cr_assert_eq(s.signum, SIGUSR1);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&s)), 1);
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    RUN_UNTIL(loop, seen.count > 0);
    cr_assert_eq(seen.count, 1);
    cr_assert_eq(seen.signum, SIGUSR1);
    close_sig(&s);
    finish_loop(loop);
    cr_assert_eq(closes, 1);
}

Test(signal, a_signal_pending_before_start_is_delivered_to_the_watcher, .timeout = 20)
{
    block_signal(SIGUSR2);
    cr_assert_eq(kill(getpid(), SIGUSR2), 0); /* pending: blocked in every thread */
    loop_t *loop = new_loop();
    loop_signal_t s;
    struct seen seen = {0, 0};
    sigset_t cur;
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    s.handle.data = &seen;
    cr_assert_eq(loop_signal_start(&s, record_signal, SIGUSR2), 0);
    /* start unblocks it in the calling thread: the handler takes it */
    cr_assert_eq(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
    cr_assert_eq(sigismember(&cur, SIGUSR2), 0, "SIGUSR2 still blocked after start");
    RUN_UNTIL(loop, seen.count > 0);
    cr_assert_eq(seen.signum, SIGUSR2);
    close_sig(&s);
    finish_loop(loop);
}

static atomic_int own_handler_hits;

static void own_handler(int signum)
{
    (void)signum;
    atomic_fetch_add(&own_handler_hits, 1);
}

static void (*current_handler(int signum))(int)
{
    struct sigaction sa;
    cr_assert_eq(sigaction(signum, NULL, &sa), 0);
    return sa.sa_handler;
}

Test(signal, the_last_watcher_to_stop_restores_the_old_disposition, .timeout = 20)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = own_handler;
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    unblock_signal(SIGUSR1);

    loop_t *l1 = new_loop();
    loop_t *l2 = new_loop();
    loop_signal_t a, b;
    struct seen sa1 = {0, 0}, sb = {0, 0};
    cr_assert_eq(loop_signal_init(l1, &a), 0);
    cr_assert_eq(loop_signal_init(l2, &b), 0);
    a.handle.data = &sa1;
    b.handle.data = &sb;
    cr_assert_eq(loop_signal_start(&a, record_signal, SIGUSR1), 0);
    cr_assert(current_handler(SIGUSR1) != own_handler, "the watcher installed no handler");
    cr_assert_eq(loop_signal_start(&b, record_signal, SIGUSR1), 0);
    cr_assert_eq(loop_signal_stop(&a), 0);
    cr_assert(current_handler(SIGUSR1) != own_handler, "restored while a watcher is left");
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    RUN_UNTIL(l2, sb.count > 0);
    cr_assert_eq(atomic_load(&own_handler_hits), 0);
    cr_assert_eq(loop_signal_stop(&b), 0);
    cr_assert(current_handler(SIGUSR1) == own_handler, "the old handler was not restored");
    cr_assert_eq(kill(getpid(), SIGUSR1), 0); /* handled by the old handler, synchronously */
    cr_assert_eq(atomic_load(&own_handler_hits), 1);
    cr_assert_eq(sa1.count, 0);
    cr_assert_eq(sb.count, 1);
    close_sig(&a);
    close_sig(&b);
    finish_loop(l1);
    finish_loop(l2);
}

Test(signal, signal_sent_to_the_loop_thread_is_seen, .timeout = 20)
{
    loop_t *loop = new_loop();
    loop_signal_t s;
    struct seen seen = {0, 0};
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    s.handle.data = &seen;
    cr_assert_eq(loop_signal_start(&s, record_signal, SIGUSR1), 0);
    cr_assert_eq(pthread_kill(pthread_self(), SIGUSR1), 0);
    RUN_UNTIL(loop, seen.count > 0);
    cr_assert_eq(seen.count, 1);
    close_sig(&s);
    finish_loop(loop);
}

Test(signal, several_watchers_in_one_loop_each_see_it, .timeout = 20)
{
    loop_t *loop = new_loop();
    loop_signal_t s[3];
    struct seen seen[3] = {{0, 0}, {0, 0}, {0, 0}};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(loop_signal_init(loop, &s[i]), 0);
        s[i].handle.data = &seen[i];
        cr_assert_eq(loop_signal_start(&s[i], record_signal, SIGUSR1), 0);
    }
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    RUN_UNTIL(loop, seen[0].count && seen[1].count && seen[2].count);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(seen[i].count, 1, "watcher %d saw it %d times", i, seen[i].count);
        cr_assert_eq(seen[i].signum, SIGUSR1);
        close_sig(&s[i]);
    }
    finish_loop(loop);
    cr_assert_eq(closes, 3);
}

Test(signal, each_delivery_is_seen_again, .timeout = 20)
{
    loop_t *loop = new_loop();
    loop_signal_t s;
    struct seen seen = {0, 0};
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    s.handle.data = &seen;
    cr_assert_eq(loop_signal_start(&s, record_signal, SIGUSR1), 0);
    for (int i = 1; i <= 3; i++) {
        cr_assert_eq(kill(getpid(), SIGUSR1), 0);
        RUN_UNTIL(loop, seen.count >= i);
        cr_assert_eq(seen.count, i);
    }
    close_sig(&s);
    finish_loop(loop);
}

Test(signal, each_watcher_gets_only_its_signal, .timeout = 20)
{
    loop_t *loop = new_loop();
    loop_signal_t s1, s2;
    struct seen seen1 = {0, 0}, seen2 = {0, 0};
    cr_assert_eq(loop_signal_init(loop, &s1), 0);
    cr_assert_eq(loop_signal_init(loop, &s2), 0);
    s1.handle.data = &seen1;
    s2.handle.data = &seen2;
    cr_assert_eq(loop_signal_start(&s1, record_signal, SIGUSR1), 0);
    cr_assert_eq(loop_signal_start(&s2, record_signal, SIGUSR2), 0);
    cr_assert_eq(kill(getpid(), SIGUSR2), 0);
    RUN_UNTIL(loop, seen2.count > 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(seen1.count, 0);
    cr_assert_eq(seen2.signum, SIGUSR2);
    close_sig(&s1);
    close_sig(&s2);
    finish_loop(loop);
}

Test(signal, stopped_watcher_does_not_see_it, .timeout = 20)
{
    loop_t *loop = new_loop();
    loop_signal_t a, b;
    struct seen sa = {0, 0}, sb = {0, 0};
    cr_assert_eq(loop_signal_init(loop, &a), 0);
    cr_assert_eq(loop_signal_init(loop, &b), 0);
    a.handle.data = &sa;
    b.handle.data = &sb;
    cr_assert_eq(loop_signal_start(&a, record_signal, SIGUSR1), 0);
    cr_assert_eq(loop_signal_start(&b, record_signal, SIGUSR1), 0);
    cr_assert_eq(loop_signal_stop(&a), 0);
    cr_assert_eq(loop_handle_active(LOOP_HANDLE(&a)), 0);
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    RUN_UNTIL(loop, sb.count > 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1);
    cr_assert_eq(sa.count, 0);
    /* the last watcher stops: nothing keeps the loop alive */
    cr_assert_eq(loop_signal_stop(&b), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    close_sig(&a);
    close_sig(&b);
    finish_loop(loop);
}

static void close_in_cb(loop_signal_t *s, int signum)
{
    struct seen *seen = s->handle.data;
    seen->count++;
    seen->signum = signum;
    close_sig(s);
}

Test(signal, close_from_the_callback_ends_the_run, .timeout = 20)
{
    loop_t *loop = new_loop();
    loop_signal_t s;
    struct seen seen = {0, 0};
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    s.handle.data = &seen;
    cr_assert_eq(loop_signal_start(&s, close_in_cb, SIGUSR1), 0);
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(seen.count, 1);
    cr_assert_eq(closes, 1);
    finish_loop(loop);
}

Test(signal, several_loops_in_one_thread_each_see_it, .timeout = 20)
{
    loop_t *l1 = new_loop();
    loop_t *l2 = new_loop();
    loop_signal_t s1, s2;
    struct seen seen1 = {0, 0}, seen2 = {0, 0};
    cr_assert_eq(loop_signal_init(l1, &s1), 0);
    cr_assert_eq(loop_signal_init(l2, &s2), 0);
    s1.handle.data = &seen1;
    s2.handle.data = &seen2;
    cr_assert_eq(loop_signal_start(&s1, close_in_cb, SIGUSR1), 0);
    cr_assert_eq(loop_signal_start(&s2, close_in_cb, SIGUSR1), 0);
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    cr_assert_eq(loop_run(l1, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_run(l2, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(seen1.count, 1);
    cr_assert_eq(seen2.count, 1);
    finish_loop(l1);
    finish_loop(l2);
    cr_assert_eq(closes, 2);
}

#define NLOOPS 4

struct sig_worker {
    pthread_t th;
    pthread_barrier_t *ready;
    int start_rc;
    int run_rc;
    int close_rc;
    int closed;
    struct seen seen;
};

static void worker_close_cb(loop_handle_t *h)
{
    struct sig_worker *w = h->data;
    w->closed++;
}

static void worker_signal(loop_signal_t *s, int signum)
{
    struct sig_worker *w = s->handle.data;
    w->seen.count++;
    w->seen.signum = signum;
    loop_handle_close(LOOP_HANDLE(s), worker_close_cb);
}

static void *sig_worker_main(void *arg)
{
    struct sig_worker *w = arg;
    loop_t *loop = loop_new();
    loop_signal_t s;
    if (loop == NULL) {
        w->start_rc = -errno;
        pthread_barrier_wait(w->ready);
        return NULL;
    }
    w->start_rc = loop_signal_init(loop, &s);
    s.handle.data = w;
    if (w->start_rc == 0) {
        w->start_rc = loop_signal_start(&s, worker_signal, SIGUSR1);
    }
    pthread_barrier_wait(w->ready);
    if (w->start_rc != 0) {
        return NULL;
    }
    w->run_rc = loop_run(loop, LOOP_RUN_DEFAULT); /* until the watcher closed itself */
    w->close_rc = loop_close(loop);
    return NULL;
}

Test(signal, several_loops_in_several_threads_each_see_it, .timeout = 20)
{
    static struct sig_worker w[NLOOPS];
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, NLOOPS + 1);

    loop_t *loop = new_loop(); /* and one in this thread */
    loop_signal_t s;
    struct seen seen = {0, 0};
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    s.handle.data = &seen;
    cr_assert_eq(loop_signal_start(&s, close_in_cb, SIGUSR1), 0);

    for (int i = 0; i < NLOOPS; i++) {
        w[i].ready = &ready;
        cr_assert_eq(pthread_create(&w[i].th, NULL, sig_worker_main, &w[i]), 0);
    }
    pthread_barrier_wait(&ready); /* every watcher is started */
    cr_assert_eq(kill(getpid(), SIGUSR1), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    for (int i = 0; i < NLOOPS; i++) {
        pthread_join(w[i].th, NULL);
    }
    cr_assert_eq(seen.count, 1);
    for (int i = 0; i < NLOOPS; i++) {
        cr_assert_eq(w[i].start_rc, 0, "loop %d: %s", i, loop_strerror(w[i].start_rc));
        cr_assert_eq(w[i].seen.count, 1, "loop %d saw the signal %d times", i, w[i].seen.count);
        cr_assert_eq(w[i].seen.signum, SIGUSR1);
        cr_assert_eq(w[i].run_rc, 0);
        cr_assert_eq(w[i].closed, 1);
        cr_assert_eq(w[i].close_rc, 0);
    }
    finish_loop(loop);
    pthread_barrier_destroy(&ready);
}

Test(signal, invalid_signal_numbers_are_einval, .timeout = 20)
{
    loop_t *loop = new_loop();
    loop_signal_t s;
    struct seen seen = {0, 0};
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    s.handle.data = &seen;
    const int bad[] = {0, -1, 65, NSIG, 1000, SIGKILL, SIGSTOP};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = loop_signal_start(&s, record_signal, bad[i]);
        cr_assert_eq(rc, -EINVAL, "signum %d: %d (%s)", bad[i], rc, loop_strerror(rc));
        cr_assert_eq(loop_handle_active(LOOP_HANDLE(&s)), 0);
    }
    cr_assert_eq(loop_signal_start(&s, NULL, SIGUSR1), -EINVAL, "NULL callback");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(seen.count, 0);
    close_sig(&s);
    finish_loop(loop);
}

/* EINTR ---------------------------------------------------------------------------- */

static atomic_int handler_hits;

static void on_sigalrm(int signum)
{
    (void)signum;
    atomic_fetch_add(&handler_hits, 1);
}

/* 1 if thread tid is blocked in a poll-family system call. */
static int blocked_in_poll(pid_t tid)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!ok || buf[0] < '0' || buf[0] > '9') {
        return 0; /* "running" or "-1 ..." */
    }
    long nr = strtol(buf, NULL, 10);
    return
#ifdef SYS_epoll_wait
        nr == SYS_epoll_wait ||
#endif
#ifdef SYS_epoll_pwait2
        nr == SYS_epoll_pwait2 ||
#endif
#ifdef SYS_poll
        nr == SYS_poll ||
#endif
        nr == SYS_epoll_pwait || nr == SYS_ppoll;
}

struct interrupter {
    pthread_t target;
    pid_t target_tid;
    int wfd;
    int interrupts;  /* signals that arrived while the loop blocked in poll */
    int never_blocked;
};

static int wait_blocked(pid_t tid)
{
    uint64_t end = mono_ns() + 3000 * MS_NS;
    while (!blocked_in_poll(tid)) {
        if (mono_ns() > end) {
            return 0;
        }
        sched_yield();
    }
    return 1;
}

static void *interrupter_main(void *arg)
{
    struct interrupter *it = arg;
    for (int i = 0; i < 3; i++) {
        if (!wait_blocked(it->target_tid)) {
            it->never_blocked = 1;
            break;
        }
        int before = atomic_load(&handler_hits);
        pthread_kill(it->target, SIGALRM);
        if (wait_atomic_geq(&handler_hits, before + 1, 3000 * MS_NS) > before) {
            it->interrupts++;
        }
    }
    wait_blocked(it->target_tid);
    ssize_t n = write(it->wfd, "x", 1);
    (void)n;
    return NULL;
}

static loop_timer_t eintr_timer;
static int eintr_timer_fired;
static int eintr_io_calls;

static void eintr_timer_cb(loop_timer_t *t)
{
    (void)t;
    eintr_timer_fired++;
}

static void eintr_io_cb(loop_io_t *io, int events)
{
    (void)events;
    char c;
    eintr_io_calls++;
    cr_assert_eq(read(io->fd, &c, 1), 1);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(io), on_close), 0);
    cr_assert_eq(loop_handle_close(LOOP_HANDLE(&eintr_timer), on_close), 0);
}

Test(signal, handler_without_sa_restart_does_not_make_run_fail, .timeout = 20)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigalrm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking call returns EINTR */
    cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);

    loop_t *loop = new_loop();
    int p[2];
    cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    loop_io_t io;
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, eintr_io_cb, LOOP_READABLE), 0);
    cr_assert_eq(loop_timer_init(loop, &eintr_timer), 0);
    cr_assert_eq(loop_timer_start(&eintr_timer, eintr_timer_cb, 60000, 0), 0);

    struct interrupter it = {.target = pthread_self(), .target_tid = test_gettid(), .wfd = p[1]};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, interrupter_main, &it), 0);
    int rc = loop_run(loop, LOOP_RUN_DEFAULT);
    pthread_join(th, NULL);

    cr_assert_eq(rc, 0, "loop_run returned %d (%s) after EINTR", rc, loop_strerror(rc));
    cr_assert_eq(it.never_blocked, 0, "the loop never blocked in poll");
    cr_assert_eq(it.interrupts, 3, "%d handler runs while blocked", it.interrupts);
    cr_assert_eq(eintr_io_calls, 1);
    cr_assert_eq(eintr_timer_fired, 0, "EINTR made a 60 s timer fire");
    finish_loop(loop);
    cr_assert_eq(closes, 2);
    close(p[0]);
    close(p[1]);
}
