/*
 * loop.c — the loop object and its iteration: new, run, stop, close, time.
 *
 * One iteration, in phases:
 *   update_time; poll (timeout 0 if anything is ready, else until the next
 *   timer); run_timers; run_rounds (the scheduler); run_closing.
 * I/O readiness, async wakeups, pool completions and expired timers all become
 * items in the scheduler's ready queue; loop__sched_run_rounds() is the one
 * place where callbacks run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "record/record.h"
#include "syscalls.h"
#include "trace.h"

static atomic_uint_fast64_t next_loop_id;

uint64_t loop__hrtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool loop__on_loop_thread(const loop_t *loop)
{
    return pthread_equal(loop->thread, pthread_self());
}

loop_t *loop_new(void)
{
    loop_t *loop = calloc(1, sizeof(*loop));
    int err;

    if (loop == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    loop->id = atomic_fetch_add(&next_loop_id, 1) + 1;
    loop->thread = pthread_self();
    loop->rounds_per_poll = 64;
    loop->epfd = -1;
    loop->wakefd = -1;
    loop__queue_init(&loop->handles);
    loop__queue_init(&loop->pending);
    loop__queue_init(&loop->round);
    loop__queue_init(&loop->closing);
    loop__queue_init(&loop->asyncs);
    loop__queue_init(&loop->done);
    loop__queue_init(&loop->sigs);
    pthread_mutex_init(&loop->done_mu, NULL);
    err = loop__poll_init(loop);
    if (err < 0) {
        pthread_mutex_destroy(&loop->done_mu);
        free(loop);
        errno = -err;
        return NULL;
    }
    loop__debug_init(loop);
    loop__env_init(loop);
    loop__random_init(loop);
    loop__update_instrument(loop); /* loop->hooked: rr and the probe are known now */
    loop__time_update(loop, LOOP__REC_CLOCK); /* recorded: timers started now depend on it */
    LOOP_TRACE(loop_new, loop);
    return loop;
}

uint64_t loop_now(const loop_t *loop)
{
    return loop->now_ns;
}

void loop__time_update(loop_t *loop, int rec_type)
{
    uint64_t now = loop__hrtime_ns();

    if (LOOP_UNLIKELY(loop->rr != NULL)) {
        now = loop__rr_clock(loop, rec_type, now);
    }
    if (now > loop->now_ns) {
        loop->now_ns = now;
    }
}

void loop_update_time(loop_t *loop)
{
    loop__time_update(loop, LOOP__REC_CLOCK);
    LOOP_TRACE(time_update, loop);
}

uint64_t loop_id(const loop_t *loop)
{
    return loop->id;
}

static bool loop_alive(const loop_t *loop)
{
    /* Waiting tasks alone do not keep the loop alive: with no active handle
     * and nothing ready, nothing can ever wake them (loop_run says so). */
    return loop->active > 0 || !loop__queue_empty(&loop->closing) ||
           !loop__queue_empty(&loop->pending);
}

size_t loop_alive_count(const loop_t *loop)
{
    return loop->active + loop->tasks_alive;
}

int loop_configure(loop_t *loop, loop_option_t opt, long value)
{
    if (loop == NULL) {
        return -EINVAL;
    }
    switch (opt) {
    case LOOP_OPT_ROUNDS_PER_POLL:
        if (value < 1 || value > 1000000) {
            return -EINVAL;
        }
        loop->rounds_per_poll = (int)value;
        return 0;
    }
    return -EINVAL;
}

static int64_t poll_timeout_ns(const loop_t *loop, loop_run_mode_t mode)
{
    if (mode == LOOP_RUN_NOWAIT || loop->stop || !loop__queue_empty(&loop->pending) ||
        !loop__queue_empty(&loop->closing)) {
        return 0;
    }
    return loop__timers_next_timeout_ns(loop);
}

static void loop_iteration(loop_t *loop, loop_run_mode_t mode)
{
    int64_t timeout_ns;

    loop__count(&loop->n_iterations);
    if (LOOP_UNLIKELY(loop->policy == LOOP__POLICY_REPLAY)) {
        loop__replay_iteration(loop);
        return;
    }
    loop__time_update(loop, LOOP__REC_ITER);
    LOOP_TRACE(iter_begin, loop);
    timeout_ns = poll_timeout_ns(loop, mode);
    if (LOOP_UNLIKELY(loop->policy == LOOP__POLICY_CHAOS)) {
        loop__chaos_iteration_begin(loop);
        timeout_ns = loop__chaos_timeout(loop, poll_timeout_ns(loop, mode));
    }
    loop__poll(loop, timeout_ns);
    if (loop__timers_due(loop)) {
        loop__timers_run(loop);
    }
    loop__sched_run_rounds(loop);
    loop__run_closing(loop);
}

int loop_run(loop_t *loop, loop_run_mode_t mode)
{
    bool alive;

    if (loop == NULL || (mode != LOOP_RUN_DEFAULT && mode != LOOP_RUN_ONCE &&
                         mode != LOOP_RUN_NOWAIT)) {
        return -EINVAL;
    }
    if (loop->running) {
        return -EBUSY;
    }
    loop->running = 1;
    loop->thread = pthread_self();
    if (LOOP_UNLIKELY(!loop->probe_checked)) {
        /* created before the probe was loaded (in a constructor of a program
         * linked with libloop.a, which runs before trace.c's): once the probe
         * is there, loop->hooked must say so */
        loop->probe_checked = 1;
        loop__update_instrument(loop);
    }
    void *outer_task = loop__task_run_enter(); /* nested in a task of another loop? */
    if (loop->tasks != NULL) {
        /* Tasks run on this thread: it needs its own alternate signal stack
         * for their overflow report, even if they were spawned on another
         * thread (the stack is per thread; cheap once installed). */
        (void)loop__stack_thread_init();
    }
    LOOP_TRACE(run_begin, loop, (int)mode);
    alive = loop_alive(loop);
    while (alive && !loop->stop) {
        loop_iteration(loop, mode);
        alive = loop_alive(loop);
        if (mode != LOOP_RUN_DEFAULT) {
            break;
        }
    }
    if (LOOP_UNLIKELY(loop->rr != NULL)) {
        loop__rr_run_end(loop);
    }
    if (!alive && loop->tasks_alive > 0 && mode == LOOP_RUN_DEFAULT) {
        loop__tasks_trace_stuck(loop); /* loop-analyze: libloop:loop_stuck */
        loop__tasks_report_stuck(loop);
    }
    loop->stop = 0;
    loop->running = 0;
    loop__task_run_exit(outer_task);
    LOOP_TRACE(run_end, loop, alive ? 1 : 0);
    return alive ? 1 : 0;
}

void loop_stop(loop_t *loop)
{
    if (loop != NULL) {
        loop->stop = 1;
    }
}

int loop_fork(loop_t *loop)
{
    int old_wake, old_ep, fd, rc;

    if (loop == NULL) {
        return -EINVAL;
    }
    if (loop->running) {
        return -EBUSY;
    }
    loop->thread = pthread_self();
    /* a pool worker of the parent may have held it at the fork */
    pthread_mutex_init(&loop->done_mu, NULL);
    fd = loop__sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    old_wake = loop->wakefd;
    old_ep = loop->epfd;
    loop->wakefd = fd;
    /* a new epoll set: the wakeup fd and every registered I/O watcher; the
     * old set is the parent's (closing our copy of its fd leaves it intact) */
    loop__poll_rebuild(loop);
    if (loop->epfd == old_ep) {
        loop->wakefd = old_wake;
        close(fd);
        return -EMFILE;
    }
    close(old_wake);
    rc = loop__signal_fork(loop);
    loop__pool_fork(loop);
    if (loop->monitor != NULL) {
        /* its thread stayed in the parent; its socket is the parent's */
        loop_log(LOOP_LOG_WARN, "loop_fork: loop=%llu: the monitor does not follow fork(); "
                 "start it again in the child", (unsigned long long)loop->id);
        loop->monitor = NULL;
        loop__update_instrument(loop);
    }
    if (rc == 0) {
        rc = loop__watchdog_fork(loop);
    }
    return rc;
}

int loop_close(loop_t *loop)
{
    if (loop == NULL) {
        return -EINVAL;
    }
    if (loop->running) {
        return -EBUSY;
    }
    if (loop__report_open(loop) > 0) {
        loop->leaks_reported = 1;
        return -EBUSY;
    }
    loop__monitor_free(loop);
    loop__watchdog_free(loop);
    loop__rr_end(loop);
    LOOP_TRACE(loop_close, loop);
    loop__rr_free(loop);
    loop__signal_stop_internal(&loop->dump_signal);
    loop__tasks_free(loop);
    loop__signal_loop_free(loop);
    loop__timers_free(loop);
    loop__ident_free(loop);
    loop__call_free_all(loop);
    /* a pool worker may still be inside complete(): wait until it left */
    pthread_mutex_lock(&loop->done_mu);
    pthread_mutex_unlock(&loop->done_mu);
    loop__poll_free(loop);
    loop__debug_free(loop);
    pthread_mutex_destroy(&loop->done_mu);
    free(loop);
    return 0;
}
