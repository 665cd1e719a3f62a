/*
 * helpers.h — small helpers shared by the libloop Criterion suites
 * (tests/test_*.c). Everything here is static inline so that a suite that
 * does not use a helper builds without warnings.
 *
 * Conventions of the suites: one file per concept, one Test() per behaviour,
 * each test closes its handles, runs the loop so that close callbacks run,
 * and asserts loop_close() == 0 (finish_loop()) so that a leaked handle fails.
 * Criterion runs each test in its own process: environment variables, signal
 * masks and rlimits changed by a test stay in that test.
 *
 * Every Test() of one file uses the same .timeout: Criterion 2.4.1's runner
 * leaks its timeout record when a test sorted later has a shorter timeout
 * than an earlier one, and LeakSanitizer then fails the whole program under
 * SANITIZE=address.
 */
#ifndef LOOP_TEST_HELPERS_H
#define LOOP_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define MS_NS 1000000ull

static inline loop_t *new_loop(void)
{
    errno = 0;
    loop_t *loop = loop_new();
    cr_assert_not_null(loop, "loop_new failed: %s", strerror(errno));
    return loop;
}

/* Run what is still due (close callbacks), then free the loop: leaks fail here. */
static inline void finish_loop(loop_t *loop)
{
    int rc = loop_run(loop, LOOP_RUN_DEFAULT);
    cr_assert_eq(rc, 0, "loop_run before loop_close: %d (%s)", rc, loop_strerror(rc));
    rc = loop_close(loop);
    cr_assert_eq(rc, 0, "loop_close: %d (%s)", rc, loop_strerror(rc));
}

/* Run ONCE iterations until cond holds; fail if the loop reports an error or goes idle. */
#define RUN_UNTIL(loop, cond)                                                            \
    do {                                                                                 \
        while (!(cond)) {                                                                \
            int run_rc_ = loop_run((loop), LOOP_RUN_ONCE);                               \
            cr_assert_geq(run_rc_, 0, "loop_run(ONCE): %d (%s)", run_rc_,                \
                          loop_strerror(run_rc_));                                       \
            if (run_rc_ == 0 && !(cond)) {                                               \
                cr_assert_fail("loop went idle before: %s", #cond);                      \
            }                                                                            \
        }                                                                                \
    } while (0)

/* CLOCK_MONOTONIC, ns. */
static inline uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time used by the calling thread, ns: tells an idle wait from a busy loop. */
static inline uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Read one monitor reply (up to and including the "." line) into buf; its
 * length, or -errno. */
static inline ssize_t mon_read_reply(int fd, char *buf, size_t cap)
{
    size_t len = 0;

    for (;;) {
        buf[len] = '\0';
        if ((len == 2 && strcmp(buf, ".\n") == 0) ||
            (len >= 3 && strcmp(buf + len - 3, "\n.\n") == 0)) {
            return (ssize_t)len;
        }
        if (len + 1 >= cap) {
            return -EMSGSIZE;
        }
        /* one byte at a time: never read past the end of this reply */
        ssize_t n = recv(fd, buf + len, 1, 0);
        if (n <= 0) {
            return n == 0 ? -EPIPE : -errno;
        }
        len += (size_t)n;
    }
}

/* Hold the calling thread for at least ns of monotonic time (simulates a slow callback). */
static inline void hold_thread_ns(uint64_t ns)
{
    uint64_t end = mono_ns() + ns;
    while (mono_ns() < end) {
    }
}

static inline pid_t test_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* Wait (yielding) until *v >= want; gives up after limit_ns and returns the last value. */
static inline int wait_atomic_geq(atomic_int *v, int want, uint64_t limit_ns)
{
    uint64_t end = mono_ns() + limit_ns;
    int cur = atomic_load(v);
    while (cur < want && mono_ns() < end) {
        sched_yield();
        cur = atomic_load(v);
    }
    return cur;
}

/* finish_loop(), then (ASan builds) a leak check now: LeakSanitizer's report at
 * exit would come after Criterion has already counted the test as passed. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(TEST_ASAN)
#include <sanitizer/lsan_interface.h>
#endif

static inline void close_loop(loop_t *loop)
{
    finish_loop(loop);
#if defined(TEST_ASAN)
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0,
                 "memory leaked (LeakSanitizer's report is above)");
#endif
}

/* ------------------------------------------------------------------------ */
/* Log capture: a sink that keeps every line libloop logs.                  */

struct log_capture {
    pthread_mutex_t mu;
    char buf[1 << 16];
    size_t len;
    int lines;
};

static inline struct log_capture *log_capture(void)
{
    static struct log_capture cap = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0};
    return &cap;
}

static inline void log_capture_sink(loop_log_level_t level, const char *line, void *userdata)
{
    (void)level;
    (void)userdata;
    struct log_capture *c = log_capture();
    pthread_mutex_lock(&c->mu);
    size_t n = strlen(line);
    if (c->len + n + 2 < sizeof c->buf) {
        memcpy(c->buf + c->len, line, n);
        c->len += n;
        c->buf[c->len++] = '\n';
        c->buf[c->len] = '\0';
    }
    c->lines++;
    pthread_mutex_unlock(&c->mu);
}

static inline void capture_logs(void)
{
    struct log_capture *c = log_capture();
    pthread_mutex_lock(&c->mu);
    c->len = 0;
    c->lines = 0;
    c->buf[0] = '\0';
    pthread_mutex_unlock(&c->mu);
    loop_log_set_level(LOOP_LOG_DEBUG);
    loop_log_set_sink(log_capture_sink, NULL);
}

static inline int logs_contain(const char *needle)
{
    struct log_capture *c = log_capture();
    pthread_mutex_lock(&c->mu);
    int found = strstr(c->buf, needle) != NULL;
    pthread_mutex_unlock(&c->mu);
    return found;
}

static inline int log_lines(void)
{
    struct log_capture *c = log_capture();
    pthread_mutex_lock(&c->mu);
    int n = c->lines;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* A copy of the captured text, for assertion messages (static buffer). */
static inline const char *logs_text(void)
{
    static char copy[1 << 16];
    struct log_capture *c = log_capture();
    pthread_mutex_lock(&c->mu);
    memcpy(copy, c->buf, c->len + 1);
    pthread_mutex_unlock(&c->mu);
    return copy;
}

#endif /* LOOP_TEST_HELPERS_H */
