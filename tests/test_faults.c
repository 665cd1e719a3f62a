/*
 * test_faults.c — fault injection: what libloop does when the system says no.
 *
 * Every fault goes through the seam of libloop/sys.h (loop__fault_set*): the
 * nth call of a named system call fails with a chosen errno. Covered here:
 *  - mmap (and the guard's mprotect/madvise) failing for task stacks:
 *    loop_spawn returns NULL with ENOMEM, the tasks that run carry on, and
 *    spawning works again once memory is back;
 *  - accept failing with EMFILE/ENFILE (the server backs off and serves
 *    every client afterwards) and with ECONNABORTED/EINTR (retried inside
 *    loop_accept: the caller never sees them);
 *  - EINTR on every wrapped call that can return it (epoll_wait, read, write,
 *    accept, connect, and the schedule recorder's write), 1,000 times in a
 *    row, and real signals interrupting the loop every 200 us: every message
 *    of an echo workload arrives, timers fire on time, and no error is
 *    reported; EINTR on the loop's wakeup eventfd (async sends from another
 *    thread), on the signalfd (real signals) and on the monitor thread's
 *    accept/recv/send/poll and wakeup pipe: nothing is lost, every reply
 *    arrives whole;
 *  - ENOSPC while recording a schedule (LOOP_RECORD): one error line, the
 *    program runs on, and the file holds every record flushed before the
 *    fault, readable up to there.
 * The scripts tests/fault_*.sh do the same with the real examples and tools.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include "helpers.h"
#include "record/schedule.h"
#include "core/sys.h"

#define TIMEOUT 30

/* ------------------------------------------------------------------------ */
/* Errors reported through the loop's error handler                          */

static int nerrors;
static char last_error[512];

static void count_error(const loop_error_ctx_t *ctx, void *ud)
{
    (void)ud;
    nerrors++;
    snprintf(last_error, sizeof last_error, "%s (%s)", ctx->message, loop_err_name(ctx->err));
}

static loop_t *faulty_loop(void)
{
    loop_t *loop = new_loop();
    nerrors = 0;
    last_error[0] = '\0';
    cr_assert_eq(loop_set_error_handler(loop, count_error, NULL), 0);
    return loop;
}

/* ------------------------------------------------------------------------ */
/* An echo workload in one loop: a server task, NCLIENTS clients, a ticker.  */

#define MSG_LEN 32

struct workload {
    int nclients;
    int nmsgs;            /* per client */
    int lfd;
    struct sockaddr_in addr;
    int accept_backoffs;  /* EMFILE/ENFILE seen by the server */
    int accept_other;     /* any other accept error */
    int served;
    long echoed;          /* messages echoed and verified by clients */
    int client_errors;
    int first_client_error;
    int clients_done;
    int ticks;
    loop_timer_t ticker;
};

static struct workload W;

static intptr_t echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[256];
    ssize_t n;

    while ((n = loop_read(fd, buf, sizeof buf, 5000)) > 0) {
        if (loop_write(fd, buf, (size_t)n, 5000) != n) {
            break;
        }
    }
    close(fd);
    return n < 0 ? n : 0;
}

static intptr_t server(void *arg)
{
    loop_t *loop = arg;

    while (W.served < W.nclients) {
        int fd = loop_accept(W.lfd, NULL, NULL, 5000);
        if (fd == -EMFILE || fd == -ENFILE) {
            W.accept_backoffs++;
            loop_sleep(1);
            continue;
        }
        if (fd < 0) {
            W.accept_other++;
            return fd;
        }
        W.served++;
        loop_task_t *t = loop_spawn(loop, echo_conn, (void *)(intptr_t)fd, "conn");
        if (t == NULL) {
            close(fd);
            return -errno;
        }
        loop_task_detach(t);
    }
    return 0;
}

static intptr_t client(void *arg)
{
    long id = (long)(intptr_t)arg;
    char msg[MSG_LEN], buf[MSG_LEN];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -errno : 0;

    if (rc == 0) {
        rc = loop_connect(fd, (struct sockaddr *)&W.addr, sizeof W.addr, 5000);
    }
    for (int i = 0; rc == 0 && i < W.nmsgs; i++) {
        memset(msg, '.', sizeof msg);
        snprintf(msg, 20, "c%04ld m%08d", id % 10000, i % 100000000);
        ssize_t w = loop_write(fd, msg, MSG_LEN, 5000);
        if (w != MSG_LEN) {
            rc = w < 0 ? (int)w : -EIO;
            break;
        }
        size_t got = 0;
        while (got < MSG_LEN) {
            ssize_t r = loop_read(fd, buf + got, MSG_LEN - got, 5000);
            if (r <= 0) {
                rc = r == 0 ? -ECONNRESET : (int)r;
                break;
            }
            got += (size_t)r;
        }
        if (rc == 0 && memcmp(buf, msg, MSG_LEN) != 0) {
            rc = -EBADMSG;
        }
        if (rc == 0) {
            W.echoed++;
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    if (rc < 0 && W.client_errors++ == 0) {
        W.first_client_error = rc;
    }
    if (++W.clients_done == W.nclients) {
        loop_timer_stop(&W.ticker);
    }
    return 0;
}

static void tick(loop_timer_t *t)
{
    (void)t;
    W.ticks++;
}

static int tcp_listener(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof *addr;

    cr_assert_geq(fd, 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0, "bind: %s", strerror(errno));
    cr_assert_eq(listen(fd, 1024), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    return fd;
}

/* Run the workload to its end; every task is joined or detached, the ticker closed. */
static void run_workload(loop_t *loop, int nclients, int nmsgs)
{
    loop_task_t *clients[64];

    cr_assert_leq(nclients, 64);
    memset(&W, 0, sizeof W);
    W.nclients = nclients;
    W.nmsgs = nmsgs;
    W.lfd = tcp_listener(&W.addr);
    cr_assert_eq(loop_timer_init(loop, &W.ticker), 0);
    cr_assert_eq(loop_timer_start(&W.ticker, tick, 1, 1), 0);
    loop_task_t *srv = loop_spawn(loop, server, loop, "server");
    cr_assert_not_null(srv);
    for (int i = 0; i < nclients; i++) {
        clients[i] = loop_spawn(loop, client, (void *)(intptr_t)i, "client");
        cr_assert_not_null(clients[i]);
    }
    int rc = loop_run(loop, LOOP_RUN_DEFAULT);
    cr_assert_eq(rc, 0, "loop_run: %d (%s)", rc, loop_strerror(rc));
    intptr_t res;
    cr_assert_eq(loop_join(srv, &res, 0), 0);
    cr_assert_eq(res, 0, "server: %s", loop_strerror((int)res));
    for (int i = 0; i < nclients; i++) {
        cr_assert_eq(loop_join(clients[i], &res, 0), 0);
    }
    loop_handle_close(&W.ticker.handle, NULL);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0); /* W.ticker is free again */
    close(W.lfd);
}

static void assert_workload_ok(const char *what)
{
    cr_assert_eq(W.client_errors, 0, "%s: %d clients failed, the first with %s", what,
                 W.client_errors, loop_strerror(W.first_client_error));
    cr_assert_eq(W.echoed, (long)W.nclients * W.nmsgs, "%s: %ld of %ld messages echoed", what,
                 W.echoed, (long)W.nclients * W.nmsgs);
    cr_assert_eq(W.served, W.nclients, "%s: served %d of %d", what, W.served, W.nclients);
    cr_assert_eq(W.accept_other, 0, "%s: accept errors", what);
    cr_assert_eq(nerrors, 0, "%s: %d errors reported, the last: %s", what, nerrors, last_error);
}

/* ======================================================================== */
/* Task stacks: mmap fails                                                   */

static int ticker_runs;

static intptr_t sleeper(void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        if (loop_sleep(2) < 0) {
            return -1;
        }
        ticker_runs++;
    }
    return 0;
}

static intptr_t noop(void *arg)
{
    return (intptr_t)arg;
}

static loop_task_t *spawn_failed_in_task;
static int spawn_errno_in_task;

static intptr_t spawner(void *arg)
{
    loop_t *loop = arg;
    int rc = loop_sleep(1); /* spawn once the fault is armed */
    if (rc < 0) {
        return rc;
    }
    /* an odd stack size: no pooled stack fits, so the spawn must mmap */
    errno = 0;
    spawn_failed_in_task = loop_spawn_stack(loop, noop, NULL, "child", 100);
    spawn_errno_in_task = errno;
    return loop_sleep(5);
}

Test(fault_stack, spawn_is_NULL_with_ENOMEM_and_running_tasks_carry_on, .timeout = TIMEOUT)
{
    loop_t *loop = faulty_loop();
    loop_task_t *running = loop_spawn(loop, sleeper, (void *)20, "sleeper");
    cr_assert_not_null(running);
    loop_task_t *sp = loop_spawn(loop, spawner, loop, "spawner");
    cr_assert_not_null(sp);
    cr_assert_eq(loop_run(loop, LOOP_RUN_NOWAIT), 1); /* both started, both have stacks */

    cr_assert_eq(loop__fault_set_n("mmap", 1, LOOP__FAULT_FOREVER, ENOMEM), 0);
    errno = 0;
    loop_task_t *t = loop_spawn_stack(loop, noop, NULL, "big", 256);
    cr_assert_null(t, "a spawn whose stack cannot be mapped returns NULL");
    cr_assert_eq(errno, ENOMEM, "errno %d (%s)", errno, strerror(errno));
    int rc = loop_run(loop, LOOP_RUN_DEFAULT); /* the spawner spawns (and fails) in its task */
    long hits = loop__fault_hits("mmap");
    loop__fault_clear(NULL);

    cr_assert_eq(rc, 0);
    cr_assert_null(spawn_failed_in_task, "spawn from inside a task fails the same way");
    cr_assert_eq(spawn_errno_in_task, ENOMEM);
    cr_assert_geq(hits, 2, "the stacks were really asked for (%ld mmap failures)", hits);
    cr_assert_eq(ticker_runs, 20, "the task that ran before the fault ran to its end");
    intptr_t res;
    cr_assert_eq(loop_join(running, &res, 0), 0);
    cr_assert_eq(loop_join(sp, &res, 0), 0);

    /* memory is back: spawning works again, with the same odd size */
    t = loop_spawn_stack(loop, noop, (void *)7, "after", 100);
    cr_assert_not_null(t, "spawn after the fault: %s", strerror(errno));
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(t, &res, 0), 0);
    cr_assert_eq(res, 7);
    cr_assert_eq(nerrors, 0, "a failed spawn is a return value, not a reported error: %s",
                 last_error);
    finish_loop(loop);
}

Test(fault_stack, a_guard_page_that_cannot_be_set_up_is_ENOMEM_too, .timeout = TIMEOUT)
{
    loop_t *loop = faulty_loop();
    /* the guard is installed with madvise(MADV_GUARD_INSTALL) or mprotect */
    cr_assert_eq(loop__fault_set_n("madvise", 1, LOOP__FAULT_FOREVER, ENOMEM), 0);
    cr_assert_eq(loop__fault_set_n("mprotect", 1, LOOP__FAULT_FOREVER, ENOMEM), 0);
    errno = 0;
    loop_task_t *t = loop_spawn_stack(loop, noop, NULL, "guarded", 132);
    int err = errno;
    loop__fault_clear(NULL);
    cr_assert_null(t);
    cr_assert_eq(err, ENOMEM, "errno %d (%s)", err, strerror(err));
    t = loop_spawn_stack(loop, noop, (void *)3, "guarded", 132);
    cr_assert_not_null(t);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    intptr_t res;
    cr_assert_eq(loop_join(t, &res, 0), 0);
    cr_assert_eq(res, 3);
    finish_loop(loop);
}

static intptr_t fan_out(void *arg)
{
    loop_t *loop = arg;
    loop_group_t *g = loop_group_new(loop);
    int ok = 0, failed = 0;

    /* 200 children, each with a fresh stack while the others still sleep */
    for (int i = 0; i < 200; i++) {
        if (loop_group_spawn(g, sleeper, (void *)1, "child") != NULL) {
            ok++;
        } else {
            failed++;
        }
    }
    int rc = loop_group_wait(g, 5000);
    loop_group_free(g);
    return rc < 0 ? rc : ok * 1000 + failed;
}

Test(fault_stack, a_fan_out_spawns_what_memory_allows_and_finishes, .timeout = TIMEOUT)
{
    loop_t *loop = faulty_loop();
    /* 50 stacks can be mapped, then memory runs out for the rest */
    cr_assert_eq(loop__fault_set_n("mmap", 51, LOOP__FAULT_FOREVER, ENOMEM), 0);
    loop_task_t *t = loop_spawn_stack(loop, fan_out, loop, "fan-out", 80);
    cr_assert_not_null(t);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    loop__fault_clear(NULL);
    intptr_t res;
    cr_assert_eq(loop_join(t, &res, 0), 0);
    cr_assert_geq(res, 0, "group: %s", loop_strerror((int)res));
    long ok = res / 1000, failed = res % 1000;
    cr_assert_eq(ok + failed, 200);
    /* 50 mappings: the loop thread's signal stack, the fan-out task's, the children's */
    cr_assert_geq(ok, 45, "%ld children got a stack", ok);
    cr_assert_leq(ok, 49, "%ld children got a stack", ok);
    cr_assert_gt(failed, 0, "the fault was reached");
    cr_assert_eq(ticker_runs, ok, "every child that got a stack ran");
    cr_assert_eq(nerrors, 0, "%s", last_error);
    finish_loop(loop);
}

/* ======================================================================== */
/* accept                                                                     */

Test(fault_accept, EMFILE_and_ENFILE_back_off_and_every_client_is_served, .timeout = TIMEOUT)
{
    loop_t *loop = faulty_loop();
    cr_assert_eq(loop__fault_set_n("accept", 1, 5, EMFILE), 0);
    run_workload(loop, 20, 10);
    long emfile = loop__fault_hits("accept");
    cr_assert_eq(loop__fault_set_n("accept", 3, 4, ENFILE), 0);
    int backoffs = W.accept_backoffs;
    assert_workload_ok("EMFILE");
    run_workload(loop, 20, 10);
    long enfile = loop__fault_hits("accept");
    loop__fault_clear(NULL);
    assert_workload_ok("ENFILE");
    cr_assert_eq(emfile, 5);
    cr_assert_eq(backoffs, 5, "the server saw each EMFILE: %d", backoffs);
    cr_assert_eq(enfile, 4);
    cr_assert_eq(W.accept_backoffs, 4);
    finish_loop(loop);
}

Test(fault_accept, ECONNABORTED_and_EINTR_are_retried_inside_loop_accept, .timeout = TIMEOUT)
{
    loop_t *loop = faulty_loop();
    cr_assert_eq(loop__fault_set_n("accept", 1, 50, ECONNABORTED), 0);
    run_workload(loop, 20, 5);
    cr_assert_eq(loop__fault_hits("accept"), 50);
    assert_workload_ok("ECONNABORTED");
    cr_assert_eq(W.accept_backoffs, 0, "the server never saw them");
    finish_loop(loop);
}

/* ======================================================================== */
/* EINTR                                                                      */

static void eintr_on(const char *name)
{
    loop_t *loop = faulty_loop();
    cr_assert_eq(loop__fault_set_n(name, 1, 1000, EINTR), 0);
    run_workload(loop, 20, 50);
    long hits = loop__fault_hits(name);
    loop__fault_clear(NULL);
    assert_workload_ok(name);
    cr_assert_eq(hits, 1000, "%s: %ld of 1000 EINTRs injected", name, hits);
    cr_assert_gt(W.ticks, 0, "the ticker ran");
    finish_loop(loop);
}

Test(fault_eintr, epoll_wait_1000_times, .timeout = TIMEOUT)
{
    eintr_on("epoll_wait");
}

Test(fault_eintr, read_1000_times, .timeout = TIMEOUT)
{
    eintr_on("read");
}

Test(fault_eintr, write_1000_times, .timeout = TIMEOUT)
{
    eintr_on("write");
}

Test(fault_eintr, accept_1000_times, .timeout = TIMEOUT)
{
    eintr_on("accept");
}

Test(fault_eintr, connect_1000_times, .timeout = TIMEOUT)
{
    eintr_on("connect");
}

static uint64_t slept_ns;

static intptr_t timed_sleep(void *arg)
{
    /* a sleep runs from loop_now(), the time cached at the iteration's start */
    uint64_t t0 = loop_now(loop_task_loop(loop_task_current()));
    int rc = loop_sleep((int64_t)(intptr_t)arg);
    slept_ns = mono_ns() - t0;
    return rc;
}

Test(fault_eintr, a_sleep_ends_on_time_while_every_epoll_wait_is_interrupted,
     .timeout = TIMEOUT)
{
    loop_t *loop = faulty_loop();
    loop_task_t *t = loop_spawn(loop, timed_sleep, (void *)50, "sleeper");
    cr_assert_eq(loop__fault_set_n("epoll_wait", 1, LOOP__FAULT_FOREVER, EINTR), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    long hits = loop__fault_hits("epoll_wait");
    loop__fault_clear(NULL);
    intptr_t res;
    cr_assert_eq(loop_join(t, &res, 0), 0);
    cr_assert_eq(res, 0, "sleep: %s", loop_strerror((int)res));
    cr_assert_geq(slept_ns, 50 * MS_NS, "never early: %llu ns", (unsigned long long)slept_ns);
    cr_assert_lt(slept_ns, 2000 * MS_NS, "not stuck: %llu ns", (unsigned long long)slept_ns);
    cr_assert_gt(hits, 0);
    cr_assert_eq(nerrors, 0, "EINTR is not an error: %s", last_error);
    finish_loop(loop);
}

static atomic_int alarms;

static void on_alarm(int sig)
{
    (void)sig;
    atomic_fetch_add(&alarms, 1);
}

Test(fault_eintr, real_signals_every_200_us_interrupt_nothing_visible, .timeout = TIMEOUT)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = {{0, 200}, {0, 200}};
    cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);

    loop_t *loop = faulty_loop();
    run_workload(loop, 20, 200);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    assert_workload_ok("SIGALRM");
    cr_assert_gt(atomic_load(&alarms), 10, "%d signals", atomic_load(&alarms));
    finish_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* EINTR on the wakeup eventfd, the signalfd and the monitor's calls         */

#define ROUNDS 200

static atomic_int rounds_seen;

/* Wait (at most 10 s) until rounds_seen reaches n; false on timeout. */
static bool wait_rounds(int n)
{
    uint64_t deadline = mono_ns() + 10000 * MS_NS;

    while (atomic_load(&rounds_seen) < n) {
        if (mono_ns() > deadline) {
            return false;
        }
        sched_yield();
    }
    return true;
}

static void on_async(loop_async_t *a)
{
    if (atomic_fetch_add(&rounds_seen, 1) + 1 == ROUNDS) {
        loop_handle_close(&a->handle, NULL);
    }
}

/* One send per round, each after the previous one's callback ran: ROUNDS wakeups. */
static void *async_sender(void *arg)
{
    loop_async_t *a = arg;

    for (int i = 0; i < ROUNDS; i++) {
        if (loop_async_send(a) != 0 || !wait_rounds(i + 1)) {
            return (void *)(intptr_t)-1;
        }
    }
    return NULL;
}

Test(fault_eintr, the_wakeup_eventfd_read_and_write_lose_no_async_send, .timeout = TIMEOUT)
{
    loop_t *loop = faulty_loop();
    loop_async_t a;
    pthread_t th;
    void *res;

    atomic_store(&rounds_seen, 0);
    cr_assert_eq(loop_async_init(loop, &a, on_async), 0);
    cr_assert_eq(loop__fault_set_n("eventfd_write", 1, 500, EINTR), 0);
    cr_assert_eq(loop__fault_set_n("eventfd_read", 1, 500, EINTR), 0);
    cr_assert_eq(pthread_create(&th, NULL, async_sender, &a), 0);
    int rc = loop_run(loop, LOOP_RUN_DEFAULT); /* ends when the ROUNDth callback closes a */
    cr_assert_eq(pthread_join(th, &res), 0);
    long whits = loop__fault_hits("eventfd_write"), rhits = loop__fault_hits("eventfd_read");
    loop__fault_clear(NULL);
    cr_assert_eq(rc, 0);
    cr_assert_null(res, "a send was lost: %d of %d callbacks", atomic_load(&rounds_seen),
                   ROUNDS);
    cr_assert_eq(atomic_load(&rounds_seen), ROUNDS);
    cr_assert_eq(whits, 500, "%ld EINTRs on the eventfd write", whits);
    cr_assert_eq(rhits, 500, "%ld EINTRs on the eventfd read", rhits);
    cr_assert_eq(nerrors, 0, "EINTR is not an error: %s", last_error);
    finish_loop(loop);
}

static pthread_t loop_thread;

static void on_usr1(loop_signal_t *s, int signum)
{
    (void)signum;
    if (atomic_fetch_add(&rounds_seen, 1) + 1 == ROUNDS) {
        loop_signal_stop(s);
    }
}

/* A real SIGUSR1 to the loop thread per round, each after the previous one was handled. */
static void *signal_sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (pthread_kill(loop_thread, SIGUSR1) != 0 || !wait_rounds(i + 1)) {
            return (void *)(intptr_t)-1;
        }
    }
    return NULL;
}

Test(fault_eintr, the_signalfd_read_loses_no_signal, .timeout = TIMEOUT)
{
    loop_t *loop = faulty_loop();
    loop_signal_t s;
    pthread_t th;
    void *res;

    atomic_store(&rounds_seen, 0);
    loop_thread = pthread_self();
    cr_assert_eq(loop_signal_init(loop, &s), 0);
    cr_assert_eq(loop_signal_start(&s, on_usr1, SIGUSR1), 0); /* blocks SIGUSR1 here */
    cr_assert_eq(loop__fault_set_n("signalfd_read", 1, 300, EINTR), 0);
    cr_assert_eq(pthread_create(&th, NULL, signal_sender, NULL), 0);
    int rc = loop_run(loop, LOOP_RUN_DEFAULT); /* ends when the ROUNDth signal stops s */
    cr_assert_eq(pthread_join(th, &res), 0);
    long hits = loop__fault_hits("signalfd_read");
    loop__fault_clear(NULL);
    cr_assert_eq(rc, 0);
    cr_assert_null(res, "a signal was lost: %d of %d handled", atomic_load(&rounds_seen),
                   ROUNDS);
    cr_assert_eq(hits, 300, "%ld EINTRs on the signalfd read", hits);
    cr_assert_eq(nerrors, 0, "EINTR is not an error: %s", last_error);
    loop_handle_close(&s.handle, NULL);
    finish_loop(loop);
}

static intptr_t parked(void *arg)
{
    return (intptr_t)arg;
}

Test(fault_eintr, the_monitor_answers_whole_replies_through_EINTR_on_every_call,
     .timeout = TIMEOUT)
{
    char dir[] = "/tmp/libloop-fault-XXXXXX", path[64], reply[8192];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = 10};
    loop_t *loop = faulty_loop();
    intptr_t res;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.sock", dir);
    loop_task_t *t = loop_spawn(loop, parked, (void *)5, "parked-eintr");
    cr_assert_not_null(t);
    cr_assert_eq(loop_monitor_start(loop, path), 0);

    /* the monitor thread: every call it makes is interrupted, many times in a row */
    cr_assert_eq(loop__fault_set_n("accept", 1, 50, EINTR), 0);
    cr_assert_eq(loop__fault_set_n("recv", 1, 50, EINTR), 0);
    cr_assert_eq(loop__fault_set_n("send", 1, 50, EINTR), 0);
    cr_assert_eq(loop__fault_set_n("poll", 1, 200, EINTR), 0);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    cr_assert_lt(strlen(path), sizeof sa.sun_path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    cr_assert_eq(send(fd, "ps\n", 3, MSG_NOSIGNAL), 3);
    ssize_t n = mon_read_reply(fd, reply, sizeof reply);
    cr_assert_gt(n, 0, "no whole reply: %s", strerror((int)-n));
    cr_assert(strstr(reply, "parked-eintr") != NULL, "ps lists the task: %s", reply);
    cr_assert_neq(strncmp(reply, "error", 5), 0, "not an error: %s", reply);
    /* a second command on the same connection, with the faults used up */
    cr_assert_eq(send(fd, "stats\n", 6, MSG_NOSIGNAL), 6);
    n = mon_read_reply(fd, reply, sizeof reply);
    cr_assert_gt(n, 0, "no whole stats reply: %s", strerror((int)-n));
    long accept_hits = loop__fault_hits("accept"), recv_hits = loop__fault_hits("recv");
    long send_hits = loop__fault_hits("send"), poll_hits = loop__fault_hits("poll");
    close(fd);

    /* loop_monitor_stop wakes the thread through its pipe: EINTR on that write too */
    cr_assert_eq(loop__fault_set_n("write", 1, 3, EINTR), 0);
    cr_assert_eq(loop_monitor_stop(loop), 0);
    long write_hits = loop__fault_hits("write");
    loop__fault_clear(NULL);
    cr_assert_eq(accept_hits, 50);
    cr_assert_eq(recv_hits, 50);
    cr_assert_eq(send_hits, 50);
    cr_assert_eq(poll_hits, 200);
    cr_assert_eq(write_hits, 3);
    cr_assert_eq(nerrors, 0, "EINTR is not an error: %s", last_error);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(t, &res, 0), 0);
    cr_assert_eq(res, 5);
    cr_assert_eq(rmdir(dir), 0, "the socket was removed: %s", strerror(errno));
    finish_loop(loop);
}

/*
 * Out of descriptors in the monitor thread: the connection stays queued, and
 * poll would report the listening socket ready again at once. The monitor
 * rests it MON_ACCEPT_BACKOFF_MS per failure instead of spinning, then serves
 * the client. The lower bound on the wait is what tells the two apart (a
 * spinning thread uses the 5 failures up within microseconds).
 */
Test(fault_emfile, the_monitor_rests_instead_of_spinning_when_out_of_descriptors,
     .timeout = TIMEOUT)
{
    char dir[] = "/tmp/libloop-fault-XXXXXX", path[64], reply[8192];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = 10};
    loop_t *loop = faulty_loop();

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.sock", dir);
    cr_assert_eq(loop_monitor_start(loop, path), 0);
    cr_assert_eq(loop__fault_set_n("accept", 1, 5, EMFILE), 0);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    uint64_t t0 = mono_ns();
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "%s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    cr_assert_eq(send(fd, "stats\n", 6, MSG_NOSIGNAL), 6);
    ssize_t n = mon_read_reply(fd, reply, sizeof reply);
    uint64_t waited_ms = (mono_ns() - t0) / 1000000u;
    long hits = loop__fault_hits("accept");
    loop__fault_clear(NULL);
    close(fd);
    cr_assert_gt(n, 0, "no reply after the descriptors came back: %s", strerror((int)-n));
    cr_assert_eq(hits, 5);
    cr_assert_geq(waited_ms, 4 * 100, "served after %llu ms: the thread spun through 5 EMFILEs",
                  (unsigned long long)waited_ms);
    cr_assert_eq(loop_monitor_stop(loop), 0);
    cr_assert_eq(rmdir(dir), 0, "the socket was removed: %s", strerror(errno));
    finish_loop(loop);
}

/* ======================================================================== */
/* ENOSPC while recording a schedule                                          */

static char sched_path[64];

static void record_to_tmp(void)
{
    strcpy(sched_path, "/tmp/loop-fault-sched.XXXXXX");
    int fd = mkstemp(sched_path);
    cr_assert_geq(fd, 0);
    close(fd);
    setenv("LOOP_RECORD", sched_path, 1);
    setenv("LOOP_RECORD_FLUSH_MS", "0", 1); /* flush every iteration: one write each */
}

/* Read the whole schedule: records, and the last reader status (0 end, -EPIPE cut). */
static int read_schedule(uint64_t *records, uint64_t *iters, int *ended)
{
    struct loop__sched_reader *r;
    struct loop__sched_hdr hdr;
    struct loop__rec rec;
    char err[256];
    int rc = loop__schedr_open(&r, sched_path, &hdr, err, sizeof err);

    cr_assert_eq(rc, 0, "the schedule cannot be opened: %s", err);
    *iters = 0;
    *ended = 0;
    while ((rc = loop__schedr_next(r, &rec, err, sizeof err)) == 1) {
        *iters += rec.type == LOOP__REC_ITER;
        *ended |= rec.type == LOOP__REC_END;
    }
    *records = loop__schedr_count(r);
    loop__schedr_close(r);
    cr_assert(rc == 0 || rc == -EPIPE, "the schedule is corrupt: %s", err);
    return rc;
}

static int ticks_left;

static void tick_down(loop_timer_t *t)
{
    if (--ticks_left == 0) {
        loop_timer_stop(t);
    }
}

/* Run a 1 ms timer n times (one iteration, one flush each). */
static void run_ticks(loop_t *loop, loop_timer_t *t, int n)
{
    ticks_left = n;
    cr_assert_eq(loop_timer_start(t, tick_down, 1, 1), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(ticks_left, 0);
}

Test(fault_record, ENOSPC_stops_recording_with_one_line_and_keeps_what_was_flushed,
     .timeout = TIMEOUT)
{
    record_to_tmp();
    capture_logs();
    loop_t *loop = new_loop(); /* the default error handler: it logs one line */
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    run_ticks(loop, &t, 20);
    int lines_before = log_lines();

    /* the disk is full from now on */
    cr_assert_eq(loop__fault_set_n("write", 1, LOOP__FAULT_FOREVER, ENOSPC), 0);
    run_ticks(loop, &t, 20);
    long hits = loop__fault_hits("write");
    loop__fault_clear(NULL);
    cr_assert_eq(hits, 1, "recording stopped at the first failed write (%ld writes failed)", hits);
    cr_assert_eq(log_lines() - lines_before, 1, "one line: %s", logs_text());
    cr_assert(logs_contain("Recording stopped"), "%s", logs_text());
    cr_assert(logs_contain(sched_path), "the line names the file: %s", logs_text());
    cr_assert(logs_contain("ENOSPC"), "the line names the error: %s", logs_text());

    /* the program carries on, recording or not, and closes cleanly */
    run_ticks(loop, &t, 10);
    loop_handle_close(&t.handle, NULL);
    finish_loop(loop);
    cr_assert_eq(log_lines() - lines_before, 1, "and only one line: %s", logs_text());

    uint64_t records, iters;
    int ended;
    int rc = read_schedule(&records, &iters, &ended);
    cr_assert_eq(rc, -EPIPE, "the file ends inside the stream (reader: %d)", rc);
    cr_assert_not(ended);
    cr_assert_geq(iters, 20, "every iteration before the fault is readable (%llu)",
                  (unsigned long long)iters);
    cr_assert_lt(iters, 45, "nothing after the fault was written (%llu)", (unsigned long long)iters);
    unlink(sched_path);
}

Test(fault_record, ENOSPC_on_the_header_is_one_line_and_the_program_runs_unrecorded,
     .timeout = TIMEOUT)
{
    record_to_tmp();
    capture_logs();
    cr_assert_eq(loop__fault_set_n("write", 1, LOOP__FAULT_FOREVER, ENOSPC), 0);
    loop_t *loop = new_loop();
    loop__fault_clear(NULL);
    cr_assert_eq(log_lines(), 1, "%s", logs_text());
    cr_assert(logs_contain("Cannot record the schedule to"), "%s", logs_text());
    cr_assert(logs_contain("no space left on device"), "%s", logs_text());
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    run_ticks(loop, &t, 10);
    loop_handle_close(&t.handle, NULL);
    finish_loop(loop);
    cr_assert_eq(log_lines(), 1, "%s", logs_text());
    unlink(sched_path);
}

Test(fault_record, EINTR_on_the_schedule_writes_loses_nothing, .timeout = TIMEOUT)
{
    record_to_tmp();
    capture_logs();
    loop_t *loop = new_loop();
    cr_assert_eq(loop__fault_set_n("write", 1, 100, EINTR), 0);
    loop_timer_t t;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    run_ticks(loop, &t, 30);
    long hits = loop__fault_hits("write");
    loop__fault_clear(NULL);
    loop_handle_close(&t.handle, NULL);
    finish_loop(loop);
    cr_assert_eq(hits, 100);
    cr_assert_eq(log_lines(), 0, "%s", logs_text());

    uint64_t records, iters;
    int ended;
    int rc = read_schedule(&records, &iters, &ended);
    cr_assert_eq(rc, 0, "a complete stream");
    cr_assert(ended, "with its END record");
    cr_assert_geq(iters, 30);
    unlink(sched_path);
}
