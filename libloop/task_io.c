/*
 * task_io.c — tasks waiting on fds, and the read/write/accept/connect helpers.
 *
 * Tasks that wait on one fd share one internal I/O watcher (a reader and a
 * writer task on the same socket are the common case). Its registration is
 * one-shot (EPOLLONESHOT): armed for the union of what the waiters want, one
 * epoll_ctl per wait, disarmed by the kernel when it fires, so it never
 * reports readiness nobody waits for and needs no removal when the program
 * closes the fd.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys.h"
#include "task.h"
#include "trace.h"

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
        loop__queue_remove(&fw->io.handle.all);
        free(fw);
        ts->fdw[fd] = fw = NULL;
    }
    if (fw == NULL) {
        fw = calloc(1, sizeof(*fw));
        if (fw == NULL) {
            *err = -ENOMEM;
            return NULL;
        }
        loop_io_init_at(loop, &fw->io, fd, site);
        fw->io.handle.flags |= LOOP__H_INTERNAL;
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
            loop__queue_remove(&fw->io.handle.all);
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

/*
 * A non-blocking call failed (errno): 0 to try it again (interrupted, or
 * `also_retry`, or the fd became ready within the timeout), else the error to
 * return. Outside a task nothing waits: -EAGAIN.
 */
static int wait_to_retry(loop_task_t *self, int fd, int events, int64_t timeout_ms, uint64_t start,
                         const loop_site_t *site, int also_retry)
{
    int e = errno;

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

ssize_t loop_read_at(int fd, void *buf, size_t len, int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self = loop__task_self();
    uint64_t start = self ? self->hdr.loop->now_ns : 0;

    for (;;) {
        ssize_t n = LOOP__SYS(READ, (ssize_t)-1, read(fd, buf, len));
        if (n >= 0) {
            return n;
        }
        int rc = wait_to_retry(self, fd, LOOP_READABLE, timeout_ms, start, site, EINTR);
        if (rc < 0) {
            return rc;
        }
    }
}

ssize_t loop_write_at(int fd, const void *buf, size_t len, int64_t timeout_ms,
                      const loop_site_t *site)
{
    loop_task_t *self = loop__task_self();
    uint64_t start = self ? self->hdr.loop->now_ns : 0;
    size_t done = 0;

    while (done < len) {
        ssize_t n = LOOP__SYS(WRITE, (ssize_t)-1, write(fd, (const char *)buf + done, len - done));
        if (n >= 0) {
            done += (size_t)n;
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (!io_again(errno)) {
            return -errno;
        }
        if (self == NULL) {
            return done > 0 ? (ssize_t)done : -EAGAIN;
        }
        int rc = loop_wait_fd_at(fd, LOOP_WRITABLE,
                                 loop__task_remaining_ms(self->hdr.loop, timeout_ms, start), site);
        if (rc < 0) {
            return rc;
        }
    }
    return (ssize_t)done;
}

int loop_accept_at(int fd, struct sockaddr *addr, socklen_t *addrlen, int64_t timeout_ms,
                   const loop_site_t *site)
{
    loop_task_t *self = loop__task_self();
    uint64_t start = self ? self->hdr.loop->now_ns : 0;

    for (;;) {
        int c = LOOP__SYS(ACCEPT, -1, accept4(fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (c >= 0) {
            return c;
        }
        int rc = wait_to_retry(self, fd, LOOP_READABLE, timeout_ms, start, site, ECONNABORTED);
        if (rc < 0) {
            return rc;
        }
    }
}

int loop_connect_at(int fd, const struct sockaddr *addr, socklen_t addrlen, int64_t timeout_ms,
                    const loop_site_t *site)
{
    int rc, err = 0;
    socklen_t len = sizeof(err);

    do {
        rc = LOOP__SYS(CONNECT, -1, connect(fd, addr, addrlen));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        return 0;
    }
    if (errno != EINPROGRESS) {
        return -errno;
    }
    rc = loop_wait_fd_at(fd, LOOP_WRITABLE, timeout_ms, site);
    if (rc < 0) {
        return rc;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return -errno;
    }
    return -err;
}
