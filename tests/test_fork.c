/*
 * test_fork.c — loop_fork(): a forked child uses its loop, the thread pool
 * and signal watchers; the parent's loop is not disturbed by what the child
 * does with its copy.
 *
 * The parent sets everything up and uses it (the pool is started, a signal
 * watcher is started, an I/O watcher is registered), then forks. The child
 * reports through its exit status; every wait in the child has a deadline
 * timer on its own loop, so a broken child exits non-zero instead of hanging.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/wait.h>

#include "helpers.h"

#define DEADLINE_MS 10000

enum { CHILD_OK = 0, CHILD_FORK = 2, CHILD_TIMEOUT = 3, CHILD_WRONG = 4, CHILD_SETUP = 5 };

static loop_timer_t deadline;
static int timed_out;

static void on_deadline(loop_timer_t *t)
{
    timed_out = 1;
    loop_stop(t->handle.loop);
}

static atomic_int work_ran;
static int work_done, work_status;

static void work_fn(loop_work_t *w)
{
    (void)w;
    atomic_fetch_add(&work_ran, 1);
}

static void work_done_cb(loop_work_t *w, int status)
{
    (void)w;
    work_done++;
    work_status = status;
}

static int sig_seen;

static void on_sig(loop_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
    sig_seen++;
}

/* Run until cond or the deadline (which stops the loop). */
#define CHILD_RUN_UNTIL(loop, cond)                                                      \
    do {                                                                                 \
        while (!(cond) && !timed_out) {                                                  \
            if (loop_run((loop), LOOP_RUN_ONCE) < 0) {                                   \
                _exit(CHILD_SETUP);                                                      \
            }                                                                            \
        }                                                                                \
        if (timed_out) {                                                                 \
            _exit(CHILD_TIMEOUT);                                                        \
        }                                                                                \
    } while (0)

static int io_calls;

static void on_readable(loop_io_t *io, int events)
{
    char c;
    (void)events;
    if (read(io->fd, &c, 1) == 1) {
        io_calls++;
    }
}

Test(fork, a_child_uses_its_loop_pool_and_signals, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_work_t w;
    loop_signal_t sig;
    loop_io_t io;
    int p[2];

    /* the parent uses the pool, a signal watcher and an I/O watcher */
    memset(&w, 0, sizeof w);
    cr_assert_eq(loop_work_submit(loop, &w, work_fn, work_done_cb), 0);
    RUN_UNTIL(loop, work_done == 1);
    cr_assert_eq(loop_signal_init(loop, &sig), 0);
    cr_assert_eq(loop_signal_start(&sig, on_sig, SIGUSR1), 0);
    cr_assert_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    cr_assert_eq(loop_io_init(loop, &io, p[0]), 0);
    cr_assert_eq(loop_io_start(&io, on_readable, LOOP_READABLE), 0);
    cr_assert_eq(loop_timer_init(loop, &deadline), 0);

    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (loop_fork(loop) != 0) {
            _exit(CHILD_FORK);
        }
        if (loop_timer_start(&deadline, on_deadline, DEADLINE_MS, 0) != 0) {
            _exit(CHILD_SETUP);
        }
        /* the pool runs work submitted in the child */
        work_done = 0;
        if (loop_work_submit(loop, &w, work_fn, work_done_cb) != 0) {
            _exit(CHILD_SETUP);
        }
        CHILD_RUN_UNTIL(loop, work_done == 1);
        if (work_status != 0) {
            _exit(CHILD_WRONG);
        }
        /* the child's signals reach the child's watcher */
        kill(getpid(), SIGUSR1);
        CHILD_RUN_UNTIL(loop, sig_seen == 1);
        /* the I/O watcher works in the child's own epoll set; stopping it
         * there must not remove the parent's registration */
        if (write(p[1], "c", 1) != 1) {
            _exit(CHILD_SETUP);
        }
        CHILD_RUN_UNTIL(loop, io_calls == 1);
        loop_handle_close(LOOP_HANDLE(&io), NULL);
        loop_handle_close(LOOP_HANDLE(&sig), NULL);
        loop_handle_close(LOOP_HANDLE(&deadline), NULL);
        _exit(loop_run(loop, LOOP_RUN_DEFAULT) == 0 && loop_close(loop) == 0 ? CHILD_OK
                                                                               : CHILD_WRONG);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the child died of signal %d", WTERMSIG(st));
    cr_assert_eq(WEXITSTATUS(st), CHILD_OK,
                 "the child exited %d (2 loop_fork, 3 deadline, 4 wrong, 5 setup)",
                 WEXITSTATUS(st));

    /* the parent's loop: its I/O registration survived the child's close, the
     * child's signal and byte were not the parent's */
    cr_assert_eq(sig_seen, 0);
    cr_assert_eq(io_calls, 0);
    cr_assert_eq(write(p[1], "p", 1), 1);
    RUN_UNTIL(loop, io_calls == 1);
    cr_assert_eq(sig_seen, 0, "the child's signal woke the parent's watcher");
    loop_handle_close(LOOP_HANDLE(&io), NULL);
    loop_handle_close(LOOP_HANDLE(&sig), NULL);
    loop_handle_close(LOOP_HANDLE(&deadline), NULL);
    close(p[0]);
    close(p[1]);
    finish_loop(loop);
}

static int gate[2];

static void slow_work_fn(loop_work_t *w)
{
    char c;
    (void)w;
    /* runs until the test lets it go: it is running at the fork */
    atomic_fetch_add(&work_ran, 1);
    while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
    }
}

Test(fork, work_running_at_the_fork_is_cancelled_in_the_child, .timeout = 60)
{
    loop_t *loop = new_loop();
    loop_work_t w;

    cr_assert_eq(pipe(gate), 0);
    memset(&w, 0, sizeof w);
    atomic_store(&work_ran, 0);
    cr_assert_eq(loop_work_submit(loop, &w, slow_work_fn, work_done_cb), 0);
    cr_assert_eq(wait_atomic_geq(&work_ran, 1, 10000 * MS_NS), 1, "the work never started");
    cr_assert_eq(loop_timer_init(loop, &deadline), 0);

    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (loop_fork(loop) != 0) {
            _exit(CHILD_FORK);
        }
        if (loop_timer_start(&deadline, on_deadline, DEADLINE_MS, 0) != 0) {
            _exit(CHILD_SETUP);
        }
        CHILD_RUN_UNTIL(loop, work_done == 1);
        if (work_status != -ECANCELED) {
            _exit(CHILD_WRONG);
        }
        loop_handle_close(LOOP_HANDLE(&deadline), NULL);
        _exit(loop_run(loop, LOOP_RUN_DEFAULT) == 0 && loop_close(loop) == 0 ? CHILD_OK
                                                                               : CHILD_WRONG);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the child died of signal %d", WTERMSIG(st));
    cr_assert_eq(WEXITSTATUS(st), CHILD_OK, "the child exited %d (3: the loop never ended)",
                 WEXITSTATUS(st));
    cr_assert_eq(write(gate[1], "g", 1), 1); /* let the parent's work finish */
    RUN_UNTIL(loop, work_done == 1);
    cr_assert_eq(work_status, 0);
    loop_handle_close(LOOP_HANDLE(&deadline), NULL);
    close(gate[0]);
    close(gate[1]);
    finish_loop(loop);
}


static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

/* The ids of the process's threads, into tids (at most n); how many. */
static int list_threads(int *tids, int n)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int k = 0;
    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL && k < n) {
        if (e->d_name[0] != '.') {
            tids[k++] = atoi(e->d_name);
        }
    }
    closedir(d);
    return k;
}

/*
 * Wait until every thread not in before[] blocks in futex (a condition
 * variable or semaphore wait): a thread just created is still inside the
 * sanitizer runtime's start-up, holding its locks, and a child forked then
 * deadlocks in its first pthread_create or malloc (ASan before LLVM 17 takes
 * no locks around fork). Plain glibc does not need this; the test's fork must
 * not depend on when the watchdog thread gets the CPU.
 */
static void wait_new_threads_blocked(const int *before, int nbefore)
{
    for (;;) {
        int now[64], n = list_threads(now, 64), busy = 0;
        for (int i = 0; i < n; i++) {
            int old = 0;
            for (int j = 0; j < nbefore; j++) {
                old |= now[i] == before[j];
            }
            if (old) {
                continue;
            }
            char path[64], buf[32] = "";
            snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", now[i]);
            FILE *f = fopen(path, "r");
            if (f != NULL) {
                if (fgets(buf, sizeof(buf), f) == NULL) {
                    buf[0] = '\0';
                }
                fclose(f);
            }
            busy += atoi(buf) != SYS_futex;
        }
        if (busy == 0) {
            return;
        }
        sched_yield();
    }
}

Test(fork, the_watchdog_is_restarted_in_the_child_and_closes, .timeout = 60)
{
    loop_t *loop = new_loop();
    int before[64], nbefore = list_threads(before, 64);
    cr_assert_eq(loop_watchdog_start(loop, 1000), 0);
    wait_new_threads_blocked(before, nbefore);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* without loop_fork, closing would join a watchdog thread the child does not have */
        alarm(10);
        if (loop_fork(loop) != 0) {
            _exit(CHILD_FORK);
        }
        if (count_threads() < 2) {
            _exit(CHILD_WRONG); /* no watchdog thread in the child */
        }
        _exit(loop_watchdog_stop(loop) == 0 && loop_watchdog_start(loop, 1000) == 0 &&
                      loop_close(loop) == 0
                  ? CHILD_OK
                  : CHILD_WRONG);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the child died of signal %d", WTERMSIG(st));
    cr_assert_eq(WEXITSTATUS(st), CHILD_OK, "the child exited %d", WEXITSTATUS(st));
    finish_loop(loop);
}
