/*
 * task_io.c — tasks waiting on fds, and the read/write/accept/connect helpers.
 *
 * Tasks that wait on one fd share one internal I/O watcher (a reader and a
 * writer task on the same socket are the common case). Its registration is
 * one-shot (EPOLLONESHOT): armed for the union of what the waiters want, one
 * epoll_ctl per wait, disarmed by the kernel when it fires, so it never
 * reports readiness nobody waits for and needs no removal when the program
 * closes the fd.
 *
 * Every attempt of loop_read/write/accept/connect (each system call,
 * EAGAIN included) is a task_io tracepoint and, in a task of a loop that
 * records, a schedule record: what the call found is an input of the run.
 * Replaying, each attempt behaves as recorded while the real I/O still
 * happens (replay_read() and its siblings below): recorded EAGAIN, the call
 * is not made and the task waits as it did; recorded n bytes, exactly n are
 * read (waiting for them, up to LOOP_REPLAY_WAIT_MS); a recorded short write
 * writes as much; a recorded connection waits for one. What cannot be
 * reconciled (recorded data, the peer closed) is a divergence. Outside
 * record/replay the cost is one predicted branch per attempt, as at
 * dispatch (loop->rr is NULL).
 */
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "record/record.h"
#include "core/sys.h"
#include "task.h"
#include "core/trace.h"

_Static_assert((int)LOOP__IO_READ == (int)LOOP__TP_IO_READ &&
                   (int)LOOP__IO_WRITE == (int)LOOP__TP_IO_WRITE &&
                   (int)LOOP__IO_ACCEPT == (int)LOOP__TP_IO_ACCEPT &&
                   (int)LOOP__IO_CONNECT == (int)LOOP__TP_IO_CONNECT,
               "the schedule's I/O ops are the trace's io_op values");

struct loop__fdwait {
    loop_io_t io;
    loop_queue_t waiters;
};

static int waiters_want(const struct loop__fdwait *fw)
{
    int want = 0;
    loop_queue_t *q;

    loop__queue_foreach(q, &fw->waiters) {
        want |= loop__queue_data(q, loop_task_t, wait_node)->wait_events;
    }
    return want;
}

static void fdw_cb(loop_io_t *io, int events);

/* After an event (the kernel disarmed the one-shot registration) or a wait
 * that ended: arm for who still waits, or stop counting as active. */
static void fdw_update(struct loop__fdwait *fw, bool fired)
{
    int want = waiters_want(fw);

    if (want == 0) {
        loop__io_disarm(&fw->io);
    } else if (fired && loop__io_arm(&fw->io, fdw_cb, want) < 0) {
        int kind;
        uint64_t id;
        loop__task_waker(fw->io.handle.loop, &kind, &id);
        loop__task_wake_all(&fw->waiters, -EBADF, LOOP_KIND_IO, fw->io.handle.id);
    }
}

static void fdw_cb(loop_io_t *io, int events)
{
    struct loop__fdwait *fw = loop__container_of(io, struct loop__fdwait, io);
    loop_queue_t *q, *next;

    for (q = fw->waiters.next; q != &fw->waiters; q = next) {
        loop_task_t *t = loop__queue_data(q, loop_task_t, wait_node);
        next = q->next;
        if (io->status < 0) {
            loop__task_wake(t, io->status, LOOP_KIND_IO, io->handle.id);
            continue;
        }
        int ev = events & (t->wait_events | LOOP_HANGUP | LOOP_ERROR);
        if (ev != 0) {
            loop__task_wake(t, ev, LOOP_KIND_IO, io->handle.id);
        }
    }
    if (io->status < 0) {
        return;
    }
    fdw_update(fw, true);
}

static struct loop__fdwait *fdw_get(loop_t *loop, struct loop__tasks *ts, int fd,
                                    const loop_site_t *site, int *err)
{
    struct loop__fdwait *fw;

    if (fd >= ts->nfdw) {
        int n = ts->nfdw ? ts->nfdw : 64;
        while (n <= fd) {
            n *= 2;
        }
        struct loop__fdwait **t = realloc(ts->fdw, (size_t)n * sizeof(*t));
        if (t == NULL) {
            *err = -ENOMEM;
            return NULL;
        }
        memset(t + ts->nfdw, 0, (size_t)(n - ts->nfdw) * sizeof(*t));
        ts->fdw = t;
        ts->nfdw = n;
    }
    fw = ts->fdw[fd];
    if (fw != NULL && fw->io.status < 0 && loop__queue_empty(&fw->waiters)) {
        /* the fd number was closed and reused: start over */
        loop__io_forget(&fw->io);
        LOOP_TRACE(handle_close, &fw->io.handle);
        loop__handle_unlink(&fw->io.handle); /* core-c: under inspect_mu (monitor) */
        loop__debug_handle_gone(loop, fw->io.handle.id); /* its creation backtrace */
        free(fw);
        ts->fdw[fd] = fw = NULL;
    }
    if (fw == NULL) {
        fw = calloc(1, sizeof(*fw));
        if (fw == NULL) {
            *err = -ENOMEM;
            return NULL;
        }
        loop__handle_next_internal(loop, loop->current_task); /* core-c: flagged before listed */
        loop_io_init_at(loop, &fw->io, fd, site);
        loop__queue_init(&fw->waiters);
        ts->fdw[fd] = fw;
    }
    return fw;
}

void loop__fdwait_free_all(loop_t *loop)
{
    struct loop__tasks *ts = loop->tasks;

    for (int fd = 0; fd < ts->nfdw; fd++) {
        struct loop__fdwait *fw = ts->fdw[fd];
        if (fw != NULL) {
            loop__io_forget(&fw->io);
            LOOP_TRACE(handle_close, &fw->io.handle);
            loop__handle_unlink(&fw->io.handle); /* core-c */
            free(fw);
        }
    }
}

int loop_wait_fd_at(int fd, int events, int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self;
    struct loop__fdwait *fw;
    int rc = loop__task_await_check(&self);

    if (rc < 0) {
        return rc;
    }
    if (fd < 0 || events == 0 || (events & ~(LOOP_READABLE | LOOP_WRITABLE))) {
        return -EINVAL;
    }
    if (timeout_ms == 0) {
        return -ETIMEDOUT;
    }
    fw = fdw_get(self->hdr.loop, self->hdr.loop->tasks, fd, site, &rc);
    if (fw == NULL) {
        return rc;
    }
    loop__rr_touch(self->hdr.loop, 'f', (uint64_t)fd);
    self->wait_events = events;
    loop__queue_insert_tail(&fw->waiters, &self->wait_node);
    int want = waiters_want(fw);
    if (!(fw->io.handle.flags & LOOP__H_ACTIVE) || (fw->io.events & want) != want) {
        rc = loop__io_arm(&fw->io, fdw_cb, want);
        if (rc < 0) {
            loop__queue_remove(&self->wait_node);
            self->wait_events = 0;
            return rc;
        }
    }
    rc = loop__task_suspend(self, LOOP_WAIT_FD, (uint64_t)fd, timeout_ms, site);
    self->wait_events = 0;
    if (rc < 0) {
        fdw_update(fw, false);
    }
    return rc;
}

static int io_again(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK;
}

/* Replay ------------------------------------------------------------------- */

/*
 * Wait, replaying, until fd reports one of events (or an error, a hang-up),
 * within what is left of LOOP_REPLAY_WAIT_MS since *start_ns (0: not yet
 * started). The loop thread blocks here: the peer is another process, or an
 * earlier step of this one that has run already. false when the time is up.
 */
static bool replay_poll(loop_t *loop, int fd, short events, uint64_t *start_ns)
{
    int64_t wait_ms = loop->rr->wait_ms;

    if (*start_ns == 0) {
        *start_ns = loop__hrtime_ns();
    }
    for (;;) {
        int left = -1;
        if (wait_ms >= 0) {
            uint64_t spent_ms = (loop__hrtime_ns() - *start_ns) / 1000000u;
            if (spent_ms >= (uint64_t)wait_ms) {
                return false;
            }
            uint64_t rem_ms = (uint64_t)wait_ms - spent_ms;
            left = rem_ms > INT_MAX ? INT_MAX : (int)rem_ms;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left);
        if (n > 0) {
            return true;
        }
        if (n < 0 && errno != EINTR) {
            return true; /* let the call itself say what is wrong */
        }
    }
}

/* The outcome of a replayed attempt: n >= 0, or -1 with *err set. */
static ssize_t give(ssize_t n, int e, int *err)
{
    *err = n < 0 ? e : 0;
    return n;
}

/* A divergence (exit 3, or fifo from here): what really happened is returned. */
static ssize_t mismatch(loop_t *loop, int op, ssize_t n, int e, const char *how, int *err)
{
    loop__rr_io_mismatch(loop, op, n >= 0 ? (int64_t)n : -(int64_t)e, how);
    return give(n, e, err);
}

/*
 * An attempt recorded with an error (or a read recorded at end of file):
 * wait until the call finds something, then it must find the same.
 */
static ssize_t replay_same(loop_t *loop, int op, int fd, short events, int64_t want, int *err,
                           ssize_t (*call)(int fd, void *arg), void *arg)
{
    uint64_t start = 0;

    /* never a second call after a success: want <= 0, and n >= 0 ends the loop */
    for (;;) {
        ssize_t n = call(fd, arg);
        int e = n < 0 ? errno : 0;
        if (n < 0 && (e == EINTR || (io_again(e) && replay_poll(loop, fd, events, &start)))) {
            continue;
        }
        if (n < 0 ? -(int64_t)e != want : (int64_t)n != want) {
            return mismatch(loop, op, n, e,
                            n < 0 && io_again(e) ? " (waited LOOP_REPLAY_WAIT_MS)" : NULL, err);
        }
        return give(n, e, err);
    }
}

struct rw_args {
    void *buf;
    size_t len;
};

static ssize_t call_read(int fd, void *arg)
{
    struct rw_args *a = arg;
    return LOOP__SYS(READ, (ssize_t)-1, read(fd, a->buf, a->len));
}

static ssize_t call_write(int fd, void *arg)
{
    struct rw_args *a = arg;
    return LOOP__SYS(WRITE, (ssize_t)-1, write(fd, a->buf, a->len));
}

static ssize_t call_accept(int fd, void *arg)
{
    (void)arg;
    return LOOP__SYS(ACCEPT, -1, accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
}

/*
 * Move exactly want bytes (recorded n > 0), never more: a read that finds
 * fewer waits for the rest, a write that takes fewer (its buffer is fuller
 * than it was) waits for room. The peer closing first is a divergence.
 */
static ssize_t replay_exact(loop_t *loop, int op, int fd, char *buf, size_t len, int64_t want,
                            int *err)
{
    uint64_t start = 0;
    size_t done = 0;
    short events = op == LOOP__IO_READ ? POLLIN : POLLOUT;

    if ((uint64_t)want > len) {
        /* the program asks for less than the recorded call got */
        ssize_t n = op == LOOP__IO_READ ? call_read(fd, &(struct rw_args){buf, len})
                                        : call_write(fd, &(struct rw_args){buf, len});
        return mismatch(loop, op, n, n < 0 ? errno : 0, " (asked for fewer bytes)", err);
    }
    while (done < (size_t)want) {
        struct rw_args a = {buf + done, (size_t)want - done};
        ssize_t n = op == LOOP__IO_READ ? call_read(fd, &a) : call_write(fd, &a);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        int e = n < 0 ? errno : 0;
        if (n < 0 && (e == EINTR || (io_again(e) && replay_poll(loop, fd, events, &start)))) {
            continue;
        }
        if (done > 0) {
            char how[96];
            snprintf(how, sizeof(how), ", then %s", n == 0 ? "end of file (the peer closed)"
                                                       : io_again(e)
                                                           ? "nothing within LOOP_REPLAY_WAIT_MS"
                                                           : loop_err_name(-e));
            return mismatch(loop, op, (ssize_t)done, 0, how, err);
        }
        return mismatch(loop, op, n, e,
                        n == 0                        ? " (the peer closed)"
                        : n < 0 && io_again(e) ? " (waited LOOP_REPLAY_WAIT_MS)"
                                               : NULL,
                        err);
    }
    return give((ssize_t)done, 0, err);
}

static ssize_t replay_read(loop_t *loop, int fd, void *buf, size_t len, int64_t want, int *err)
{
    if (want == -EAGAIN || want == -EINTR) {
        return give(-1, (int)-want, err); /* found nothing: the task waits as it did */
    }
    if (want > 0) {
        return replay_exact(loop, LOOP__IO_READ, fd, buf, len, want, err);
    }
    return replay_same(loop, LOOP__IO_READ, fd, POLLIN, want, err, call_read,
                       &(struct rw_args){buf, len});
}

static ssize_t replay_write(loop_t *loop, int fd, const void *buf, size_t len, int64_t want,
                            int *err)
{
    if (want == -EAGAIN || want == -EINTR) {
        return give(-1, (int)-want, err); /* the buffer was full: the task waits as it did */
    }
    if (want > 0) {
        return replay_exact(loop, LOOP__IO_WRITE, fd, (char *)buf, len, want, err);
    }
    /* an error: a peer that went away shows a hang-up or an error first */
    short events = want == -EPIPE || want == -ECONNRESET ? 0 : POLLOUT;
    uint64_t start = 0;
    if (events == 0) {
        replay_poll(loop, fd, events, &start);
    }
    return replay_same(loop, LOOP__IO_WRITE, fd, POLLOUT, want, err, call_write,
                       &(struct rw_args){(void *)buf, len});
}

static int replay_accept(loop_t *loop, int fd, int64_t want, int *err)
{
    if (want == -EAGAIN || want == -EINTR || want == -ECONNABORTED) {
        /* nothing pending, or what loop_accept retries: the same again */
        return (int)give(-1, (int)-want, err);
    }
    /* a connection (want 0): wait for one; an error: it must come again */
    uint64_t start = 0;
    for (;;) {
        int c = (int)call_accept(fd, NULL);
        int e = c < 0 ? errno : 0;
        if (c < 0 && (e == EINTR || (want == 0 && e == ECONNABORTED) ||
                      (io_again(e) && replay_poll(loop, fd, POLLIN, &start)))) {
            continue;
        }
        if ((c >= 0) != (want == 0) || (c < 0 && -(int64_t)e != want)) {
            return (int)mismatch(loop, LOOP__IO_ACCEPT, c, e,
                                 c < 0 && io_again(e) ? " (waited LOOP_REPLAY_WAIT_MS)" : NULL,
                                 err);
        }
        return (int)give(c, e, err);
    }
}

/* connect() itself; its outcome after a wait (SO_ERROR) is connect_result(). */
static int replay_connect(loop_t *loop, int fd, const struct sockaddr *addr, socklen_t addrlen,
                          int64_t want, int *err)
{
    if (want == -EINTR) {
        return (int)give(-1, EINTR, err);
    }
    int rc = LOOP__SYS(CONNECT, -1, connect(fd, addr, addrlen));
    int e = rc < 0 ? errno : 0;
    if (want == -EINPROGRESS && (rc == 0 || e == EINPROGRESS)) {
        /* connected at once this time: the wait for writable ends at once */
        return (int)give(-1, EINPROGRESS, err);
    }
    if (rc < 0 && e == EINPROGRESS && want != -EINPROGRESS) {
        /* recorded as settled at once (connected, or refused): wait for it here */
        uint64_t start = 0;
        socklen_t len = sizeof(e);
        if (!replay_poll(loop, fd, POLLOUT, &start)) {
            return (int)mismatch(loop, LOOP__IO_CONNECT, -1, EINPROGRESS,
                                 " (waited LOOP_REPLAY_WAIT_MS)", err);
        }
        e = 0;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0) {
            e = errno;
        }
        rc = e != 0 ? -1 : 0;
    }
    if (rc == 0 ? want != 0 : -(int64_t)e != want) {
        return (int)mismatch(loop, LOOP__IO_CONNECT, rc, e, NULL, err);
    }
    return (int)give(rc, e, err);
}

/* Record/replay: one attempt (loop->rr is set) --------------------------------- */

/*
 * Each returns what the system call would (-1 and errno on failure), having
 * emitted the task_io event and recorded the attempt; replaying, the
 * attempt behaves as recorded (above).
 */
static ssize_t rr_read(loop_t *loop, loop_task_t *self, int fd, void *buf, size_t len)
{
    int64_t want;
    int e = 0;
    ssize_t n;

    loop__rr_touch(loop, 'f', (uint64_t)fd); /* explore --por: its footprint */
    if (loop__rr_io_begin(loop, self->hdr.id, LOOP__IO_READ, &want)) {
        n = replay_read(loop, fd, buf, len, want, &e);
    } else {
        n = LOOP__SYS(READ, (ssize_t)-1, read(fd, buf, len));
        e = n < 0 ? errno : 0;
    }
    LOOP_TRACE(task_io, loop, self->hdr.id, fd, LOOP__TP_IO_READ, n >= 0 ? (int64_t)n : -e);
    loop__rr_io_end(loop, self->hdr.id, LOOP__IO_READ, n >= 0 ? (int64_t)n : -e);
    errno = e;
    return n;
}

static ssize_t rr_write(loop_t *loop, loop_task_t *self, int fd, const void *buf, size_t len)
{
    int64_t want;
    int e = 0;
    ssize_t n;

    loop__rr_touch(loop, 'f', (uint64_t)fd); /* explore --por: its footprint */
    if (loop__rr_io_begin(loop, self->hdr.id, LOOP__IO_WRITE, &want)) {
        n = replay_write(loop, fd, buf, len, want, &e);
    } else {
        n = LOOP__SYS(WRITE, (ssize_t)-1, write(fd, buf, len));
        e = n < 0 ? errno : 0;
    }
    LOOP_TRACE(task_io, loop, self->hdr.id, fd, LOOP__TP_IO_WRITE, n >= 0 ? (int64_t)n : -e);
    loop__rr_io_end(loop, self->hdr.id, LOOP__IO_WRITE, n >= 0 ? (int64_t)n : -e);
    errno = e;
    return n;
}

static int rr_accept(loop_t *loop, loop_task_t *self, int fd, struct sockaddr *addr,
                     socklen_t *addrlen)
{
    int64_t want;
    int e = 0, c;

    loop__rr_touch(loop, 'f', (uint64_t)fd); /* explore --por: its footprint */
    if (loop__rr_io_begin(loop, self->hdr.id, LOOP__IO_ACCEPT, &want)) {
        c = replay_accept(loop, fd, want, &e);
        if (c >= 0 && addr != NULL && addrlen != NULL &&
            getpeername(c, addr, addrlen) < 0) { /* what accept4 would have filled in */
            *addrlen = 0;
        }
    } else {
        c = LOOP__SYS(ACCEPT, -1, accept4(fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC));
        e = c < 0 ? errno : 0;
    }
    LOOP_TRACE(task_io, loop, self->hdr.id, fd, LOOP__TP_IO_ACCEPT, c >= 0 ? (int64_t)c : -e);
    loop__rr_io_end(loop, self->hdr.id, LOOP__IO_ACCEPT, c >= 0 ? (int64_t)c : -e);
    errno = e;
    return c;
}

static int rr_connect(loop_t *loop, loop_task_t *self, int fd, const struct sockaddr *addr,
                      socklen_t addrlen)
{
    int64_t want;
    int e = 0, rc;

    loop__rr_touch(loop, 'f', (uint64_t)fd); /* explore --por: its footprint */
    if (loop__rr_io_begin(loop, self->hdr.id, LOOP__IO_CONNECT, &want)) {
        rc = replay_connect(loop, fd, addr, addrlen, want, &e);
    } else {
        rc = LOOP__SYS(CONNECT, -1, connect(fd, addr, addrlen));
        e = rc < 0 ? errno : 0;
    }
    LOOP_TRACE(task_io, loop, self->hdr.id, fd, LOOP__TP_IO_CONNECT, rc == 0 ? 0 : -(int64_t)e);
    loop__rr_io_end(loop, self->hdr.id, LOOP__IO_CONNECT, rc == 0 ? 0 : -(int64_t)e);
    errno = e;
    return rc;
}

/*
 * A connect that was in progress, after the wait: 0 or -errno (SO_ERROR).
 * Its own attempt: the outcome is what the program sees.
 */
static int connect_result(loop_t *loop, loop_task_t *self, int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    int64_t want;
    bool replayed = self != NULL && LOOP_UNLIKELY(loop->rr != NULL) &&
                    loop__rr_io_begin(loop, self->hdr.id, LOOP__IO_CONNECT, &want);
    int rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ? -errno : -err;

    if (replayed && rc != want) {
        loop__rr_io_mismatch(loop, LOOP__IO_CONNECT, rc, " (after the wait)");
    }
    LOOP_TRACE(task_io, loop, self ? self->hdr.id : 0, fd, LOOP__TP_IO_CONNECT, (int64_t)rc);
    if (self != NULL && LOOP_UNLIKELY(loop->rr != NULL)) {
        loop__rr_io_end(loop, self->hdr.id, LOOP__IO_CONNECT, rc);
    }
    return rc;
}

/* The helpers --------------------------------------------------------------- */

/*
 * A non-blocking call failed (errno e): 0 to try it again (interrupted, or
 * `also_retry`, or the fd became ready within the timeout), else the error to
 * return. Outside a task nothing waits: -EAGAIN.
 */
static int wait_to_retry(loop_task_t *self, int e, int fd, int events, int64_t timeout_ms,
                         uint64_t start, const loop_site_t *site, int also_retry)
{
    if (e == EINTR || e == also_retry) {
        return 0;
    }
    if (!io_again(e)) {
        return -e;
    }
    if (self == NULL) {
        return -EAGAIN;
    }
    int rc = loop_wait_fd_at(fd, events, loop__task_remaining_ms(self->hdr.loop, timeout_ms, start),
                             site);
    return rc < 0 ? rc : 0;
}

/*
 * Where the calling task's attempts go: rr is its loop's record/replay state,
 * NULL outside a task (nothing to record into; the trace gets loop id 0) and
 * unless record, replay or chaos is on. Taken once per call, so that each
 * attempt pays one predicted branch for it, as a dispatch does.
 */
struct io_ctx {
    loop_task_t *self;
    loop_t *loop;
    struct loop__rr *rr;
    uint64_t start_ns; /* loop time at the call, for the timeout */
    uint64_t id;       /* the task, 0 outside one */
};

static struct io_ctx io_ctx(void)
{
    loop_task_t *self = loop__task_self();
    struct io_ctx c = {self, NULL, NULL, 0, 0};

    if (self != NULL) {
        c.loop = self->hdr.loop;
        c.rr = c.loop->rr;
        c.start_ns = c.loop->now_ns;
        c.id = self->hdr.id;
    }
    return c;
}

ssize_t loop_read_at(int fd, void *buf, size_t len, int64_t timeout_ms, const loop_site_t *site)
{
    struct io_ctx c = io_ctx();

    for (;;) {
        ssize_t n;
        int e;
        if (LOOP_UNLIKELY(c.rr != NULL)) {
            n = rr_read(c.loop, c.self, fd, buf, len);
            e = errno;
        } else {
            n = LOOP__SYS(READ, (ssize_t)-1, read(fd, buf, len));
            e = errno;
            LOOP_TRACE(task_io, c.loop, c.id, fd, LOOP__TP_IO_READ,
                       n >= 0 ? (int64_t)n : -(int64_t)e);
        }
        if (n >= 0) {
            return n;
        }
        int rc = wait_to_retry(c.self, e, fd, LOOP_READABLE, timeout_ms, c.start_ns, site, EINTR);
        if (rc < 0) {
            return rc;
        }
    }
}

ssize_t loop_write_at(int fd, const void *buf, size_t len, int64_t timeout_ms,
                      const loop_site_t *site)
{
    struct io_ctx c = io_ctx();
    size_t done = 0;

    while (done < len) {
        const char *p = (const char *)buf + done;
        ssize_t n;
        int e;
        if (LOOP_UNLIKELY(c.rr != NULL)) {
            n = rr_write(c.loop, c.self, fd, p, len - done);
            e = errno;
        } else {
            n = LOOP__SYS(WRITE, (ssize_t)-1, write(fd, p, len - done));
            e = errno;
            LOOP_TRACE(task_io, c.loop, c.id, fd, LOOP__TP_IO_WRITE,
                       n >= 0 ? (int64_t)n : -(int64_t)e);
        }
        if (n >= 0) {
            done += (size_t)n;
            continue;
        }
        if (e == EINTR) {
            continue;
        }
        if (!io_again(e)) {
            return -e;
        }
        if (c.self == NULL) {
            return done > 0 ? (ssize_t)done : -EAGAIN;
        }
        int rc = loop_wait_fd_at(fd, LOOP_WRITABLE,
                                 loop__task_remaining_ms(c.loop, timeout_ms, c.start_ns), site);
        if (rc < 0) {
            return rc;
        }
    }
    return (ssize_t)done;
}

int loop_accept_at(int fd, struct sockaddr *addr, socklen_t *addrlen, int64_t timeout_ms,
                   const loop_site_t *site)
{
    struct io_ctx c = io_ctx();

    for (;;) {
        int fd2, e;
        if (LOOP_UNLIKELY(c.rr != NULL)) {
            fd2 = rr_accept(c.loop, c.self, fd, addr, addrlen);
            e = errno;
        } else {
            fd2 = LOOP__SYS(ACCEPT, -1, accept4(fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC));
            e = errno;
            LOOP_TRACE(task_io, c.loop, c.id, fd, LOOP__TP_IO_ACCEPT,
                       fd2 >= 0 ? (int64_t)fd2 : -(int64_t)e);
        }
        if (fd2 >= 0) {
            return fd2;
        }
        int rc = wait_to_retry(c.self, e, fd, LOOP_READABLE, timeout_ms, c.start_ns, site,
                               ECONNABORTED);
        if (rc < 0) {
            return rc;
        }
    }
}

int loop_connect_at(int fd, const struct sockaddr *addr, socklen_t addrlen, int64_t timeout_ms,
                    const loop_site_t *site)
{
    struct io_ctx c = io_ctx();
    int rc, e;

    do {
        if (LOOP_UNLIKELY(c.rr != NULL)) {
            rc = rr_connect(c.loop, c.self, fd, addr, addrlen);
            e = errno;
        } else {
            rc = LOOP__SYS(CONNECT, -1, connect(fd, addr, addrlen));
            e = errno;
            LOOP_TRACE(task_io, c.loop, c.id, fd, LOOP__TP_IO_CONNECT,
                       rc == 0 ? (int64_t)0 : -(int64_t)e);
        }
    } while (rc < 0 && e == EINTR);
    if (rc == 0) {
        return 0;
    }
    if (e != EINPROGRESS) {
        return -e;
    }
    rc = loop_wait_fd_at(fd, LOOP_WRITABLE, timeout_ms, site);
    if (rc < 0) {
        return rc;
    }
    return connect_result(c.loop, c.self, fd);
}
