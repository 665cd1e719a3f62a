/*
 * poll_epoll.c — the poll phase on epoll: wait for I/O, then turn what is
 * ready into scheduler items. The loop's eventfd (async sends, pool
 * completions, signals from other loops) and the process's signalfd are
 * registered here too, tagged in the upper half of epoll_event.data.
 *
 * data.u64 = fd | (tag << 32) | (gen << 40) for I/O watchers, where gen is
 * the registration's generation, unique in the loop: an event of a
 * registration the loop no longer owns (an fd closed behind its back while a
 * duplicate keeps the file open, its number maybe reused) is recognized
 * without a system call, dropped, and the set rebuilt (io.c).
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"
#include "record/record.h"
#include "syscalls.h"
#include "trace.h"

#define MAX_EVENTS 256

int loop__poll_init(loop_t *loop)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)LOOP__TAG_WAKE << 32};

    loop->epfd = loop__sys_epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        return -errno;
    }
    loop->wakefd = loop__sys_eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->wakefd < 0) {
        int err = -errno;
        close(loop->epfd);
        return err;
    }
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0) {
        int err = -errno;
        close(loop->wakefd);
        close(loop->epfd);
        return err;
    }
    return 0;
}

void loop__poll_free(loop_t *loop)
{
    if (loop->wakefd >= 0) {
        close(loop->wakefd);
    }
    if (loop->epfd >= 0) {
        close(loop->epfd);
    }
    free(loop->fds);
    loop->fds = NULL;
    loop->nfds = 0;
}

/*
 * A registration that can no longer be removed (its fd number was closed
 * while a duplicate keeps the file open) would report readiness forever:
 * start over with a new epoll set holding exactly what should be watched.
 */
void loop__poll_rebuild(loop_t *loop)
{
    int epfd = loop__sys_epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)LOOP__TAG_WAKE << 32};

    loop->epoll_stale = 0;
    if (epfd < 0) {
        loop__report_error(loop, -errno, NULL, "Cannot rebuild the epoll set");
        return;
    }
    epoll_ctl(epfd, EPOLL_CTL_ADD, loop->wakefd, &ev);
    loop__signal_rebuild(loop, epfd);
    loop__io_rebuild(loop, epfd);
    /* the wakefd may hold a wakeup the old set reported: keep it visible */
    atomic_store(&loop->wake_pending, 0);
    loop__wake(loop);
    close(loop->epfd);
    loop->epfd = epfd;
}

/* thread-safe: make the loop's poll return and collect wakeups. */
void loop__wake(loop_t *loop)
{
    /* Already woken and not yet collected: a plain load, no locked exchange
     * that would pull the line from the loop's core (libuv's uv_async_send
     * does the same). Safe: every waker publishes its item with a seq_cst
     * store before this seq_cst load, and the loop clears wake_pending with a
     * seq_cst store before it scans, so the two cannot both miss. */
    if (atomic_load(&loop->wake_pending) != 0) {
        return;
    }
    if (atomic_exchange(&loop->wake_pending, 1) == 0) {
        uint64_t one = 1;
        ssize_t n;
        do {
            n = loop__sys_eventfd_write(loop->wakefd, &one);
        } while (n < 0 && errno == EINTR);
        /* EAGAIN: the counter is saturated, so the loop is already woken */
    }
}

static void collect_wakeups(loop_t *loop)
{
    uint64_t val;
    ssize_t n;

    do {
        n = loop__sys_eventfd_read(loop->wakefd, &val);
    } while (n < 0 && errno == EINTR);
    atomic_store(&loop->wake_pending, 0);
    loop__async_collect(loop);
    loop__pool_collect(loop);
    loop__signal_collect(loop);
}

static int ns_to_timeout_ms(int64_t timeout_ns)
{
    if (timeout_ns < 0) {
        return -1;
    }
    /* round up: a timer must never fire early */
    int64_t ms = (timeout_ns + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

int loop__poll(loop_t *loop, int64_t timeout_ns)
{
    struct epoll_event evs[MAX_EVENTS];
    int timeout_ms = ns_to_timeout_ms(timeout_ns);
    int n, err = 0;

    if (loop->io_watchers > 0) {
        loop__io_sweep(loop);
        if (!loop__queue_empty(&loop->pending)) {
            timeout_ms = 0;
        } else if (timeout_ms < 0 || timeout_ms > LOOP__IO_VERIFY_MS) {
            /* wake up for the next sweep step (io.c): a closed fd must not leave a
             * task waiting forever */
            timeout_ms = LOOP__IO_VERIFY_MS;
        }
    }
    if (LOOP_UNLIKELY(loop->epoll_stale)) {
        loop__poll_rebuild(loop);
    }
    LOOP_TRACE(poll_begin, loop, timeout_ns);
    bool chaos = LOOP_UNLIKELY(loop->policy == LOOP__POLICY_CHAOS);
    uint64_t t0 = LOOP__INSTRUMENTED(loop) || chaos ? loop__hrtime_ns() : 0;
    n = loop__sys_epoll_wait(loop->epfd, evs, MAX_EVENTS, timeout_ms);
    if (LOOP__INSTRUMENTED(loop)) {
        uint64_t waited = loop__hrtime_ns() - t0;
        loop__inspect_lock(loop);
        loop->stats.poll_ns += waited;
        loop__inspect_unlock(loop);
    }
    if (n < 0) {
        err = errno;
        n = 0;
    }
    if (chaos) {
        loop__rr_waited(loop, timeout_ms, n > 0 || err != 0, loop__hrtime_ns() - t0);
    }
    LOOP_TRACE(poll_end, loop, n, err);
    if (err != 0 && err != EINTR) {
        loop__report_error(loop, -err, NULL, "epoll_wait failed");
    }
    if (timeout_ms != 0 && loop->policy != LOOP__POLICY_REPLAY) {
        loop_update_time(loop); /* replay takes its clock from the schedule */
    }
    for (int i = 0; i < n; i++) {
        uint64_t u = evs[i].data.u64;
        switch ((u >> 32) & 0xff) {
        case LOOP__TAG_IO:
            loop__io_ready(loop, (int)(uint32_t)u, (uint32_t)(u >> 40), evs[i].events);
            break;
        case LOOP__TAG_WAKE:
            collect_wakeups(loop);
            break;
        case LOOP__TAG_SIGNAL:
            loop__signal_read(loop);
            break;
        default:
            break;
        }
    }
    return n;
}
