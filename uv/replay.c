/*
 * replay.c — the poll phase of a libuv program under LOOP_REPLAY.
 *
 * Everything else in a uv iteration is decided by the program and the clock,
 * and the clock comes from the schedule (uv__update_time reads it through
 * libloop's recorder). What a real run decides is which fds and libloop items
 * (async sends, pool completions, signals) are ready in each poll: here the
 * poll phase runs exactly the dispatches the schedule lists next, in its
 * order, waiting for each one's readiness (real I/O still happens, only its
 * timing is taken away). The phase ends at the first record that belongs to
 * a later phase: a close, a clock read, or a handle that is not an io
 * watcher waiting for readiness (timers, idle, prepare, check, and pending
 * callbacks of handles already in the pending queue).
 * Each dispatch is checked by libloop (loop__rr_dispatch): a divergence
 * stops the run (exit 3) or goes on in the ordinary order.
 */
#include <sys/epoll.h>

#include "uv-internal.h"
#include "core/trace.h"
#include "record/record.h"

static uv_handle_t *find_handle(uv_loop_t *loop, uint64_t id)
{
    uv__queue_t *q;

    for (q = UV__HQ(loop)->next; q != UV__HQ(loop); q = q->next) {
        uv_handle_t *h = uv__container_of((void *)q, uv_handle_t, handle_queue);
        if (h->ll.handle.id == id) {
            return h;
        }
    }
    return NULL;
}

static uv__io_t *io_watcher_of(uv_handle_t *h)
{
    switch (h->type) {
    case UV_TCP:
    case UV_NAMED_PIPE:
        return &((uv_stream_t *)h)->io_watcher;
    case UV_POLL:
        return &((uv_poll_t *)h)->io_watcher;
    default:
        return NULL;
    }
}

static loop_handle_t *find_queued(loop_t *ll, uint64_t id, int kind)
{
    loop_queue_t *q;

    loop__queue_foreach(q, &ll->pending) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
        if (h->id == id && h->kind == kind) {
            return h;
        }
    }
    return NULL;
}

/* The events ready on w now (epoll's), waiting up to timeout_ms; 0 if none. */
static unsigned int ready_events(uv_loop_t *loop, uv__io_t *w, int timeout_ms)
{
    struct epoll_event evs[256];
    unsigned int found = 0;
    int n = epoll_wait(loop->backend_fd, evs, 256, timeout_ms);

    for (int i = 0; i < n; i++) {
        if (evs[i].data.fd == w->fd) {
            found = evs[i].events & (w->pevents | UV__POLLERR | UV__POLLHUP);
            if (found == UV__POLLERR || found == UV__POLLHUP) {
                found |= w->pevents & (UV__POLLIN | UV__POLLOUT | UV__POLLRDHUP | UV__POLLPRI);
            }
        }
    }
    return found;
}

/* 1 when the deadline of a wait passed (and the replay diverged). */
static int waited_too_long(loop_t *ll, uint64_t start)
{
    int64_t wait_ms = ll->rr->wait_ms;

    if (wait_ms >= 0 && loop__hrtime_ns() - start > (uint64_t)wait_ms * 1000000u) {
        loop__rr_diverge(ll, "never made it ready (waited LOOP_REPLAY_WAIT_MS)");
        return 1;
    }
    return 0;
}

int uv__replaying(const uv_loop_t *loop)
{
    const loop_t *ll = loop->ll;

    return LOOP_UNLIKELY(ll->policy == LOOP__POLICY_REPLAY) && ll->rr != NULL &&
           ll->rr->r != NULL;
}

void uv__replay_poll(uv_loop_t *loop)
{
    loop_t *ll = loop->ll;
    struct loop__rr *rr = ll->rr;

    while (uv__replaying(loop) && rr->next_rc == 1 && rr->next.type == LOOP__REC_DISPATCH &&
           rr->next.kind != LOOP_KIND_CLOSE) {
        uint64_t id = rr->next.id, start = 0;
        int kind = rr->next.kind;

        if (kind == LOOP_KIND_DEFER) {
            return; /* a uv callback of a later phase: pending, check, timers */
        }
        if (kind == LOOP_KIND_IO) {
            /* a uv handle's readiness: wait until its fd is ready at all */
            uv_handle_t *h = find_handle(loop, id);
            uv__io_t *w = h != NULL ? io_watcher_of(h) : NULL;
            unsigned int events;

            if (w == NULL || w->fd < 0 || w->pevents == 0) {
                loop__rr_diverge(ll, "had no such io watcher ready to run");
                return;
            }
            events = ready_events(loop, w, 0);
            while (events == 0) {
                if (start == 0) {
                    start = loop__hrtime_ns();
                } else if (waited_too_long(ll, start)) {
                    return;
                }
                events = ready_events(loop, w, 10);
            }
            uv__io_dispatch(loop, w, events); /* the recorded events replace these */
        } else {
            /* libloop's own: an async send, a pool completion, a signal */
            loop_handle_t *lh;

            loop__poll(ll, 0);
            lh = find_queued(ll, id, kind);
            while (lh == NULL) {
                if (start == 0) {
                    start = loop__hrtime_ns();
                } else if (waited_too_long(ll, start)) {
                    return;
                }
                loop__poll(ll, 10 * 1000000);
                lh = find_queued(ll, id, kind);
            }
            loop__sched_remove(ll, lh);
            loop__dispatch(ll, lh);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Stream I/O under record and replay                                      */
/*
 * Reads, writes and accepts made by streams are traced (a stream_io event
 * each, from which loop-replay extract builds the same records), recorded
 * like task I/O (an IO record: the stream's handle id, the operation, the
 * result or -errno) and, under LOOP_REPLAY, made to give the recorded result: a read of n
 * bytes reads exactly n (waiting for them), a recorded EAGAIN is not asked
 * of the kernel, an end of file or an error is waited for. The data itself
 * is real: a replayed program must talk to the same peers.
 */
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

/* Wait until fd has events; 0, or -1 when the replay's wait is over (diverged). */
static int wait_fd(loop_t *ll, int fd, short events, uint64_t *start)
{
    struct pollfd p = {.fd = fd, .events = events};

    if (*start == 0) {
        *start = loop__hrtime_ns();
    } else if (waited_too_long(ll, *start)) {
        return -1;
    }
    poll(&p, 1, 10);
    return 0;
}

static ssize_t set_result(int64_t result)
{
    if (result < 0) {
        errno = (int)-result;
        return -1;
    }
    return (ssize_t)result;
}

static ssize_t replay_read(loop_t *ll, int fd, char *buf, size_t len, int64_t want)
{
    uint64_t start = 0;
    size_t got = 0;
    ssize_t n;

    if (want == -EAGAIN || want == -EWOULDBLOCK) {
        return set_result(want); /* the recorded run found nothing: ask nothing */
    }
    if (want > 0 && (size_t)want > len) {
        loop__rr_io_mismatch(ll, LOOP__IO_READ, (int64_t)len, " (a smaller buffer)");
        return read(fd, buf, len);
    }
    for (;;) {
        size_t ask = want > 0 ? (size_t)want - got : len;
        n = read(fd, buf + got, ask);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(ll, fd, POLLIN, &start) < 0) {
                return got > 0 ? (ssize_t)got : n;
            }
            continue;
        }
        if (want > 0 && n > 0) {
            got += (size_t)n;
            if (got == (size_t)want) {
                return (ssize_t)got;
            }
            continue;
        }
        if (got > 0) {
            n = (ssize_t)got; /* an end or an error after part of the recorded bytes */
        }
        if ((n < 0 ? -(int64_t)errno : (int64_t)n) != want) {
            loop__rr_io_mismatch(ll, LOOP__IO_READ, n < 0 ? -(int64_t)errno : (int64_t)n, NULL);
        }
        return n;
    }
}

/*
 * An attempt's end: traced (stream_io, what extract builds IO records
 * from) and, with record/replay on, recorded (loop__rr_io_end); errno kept.
 */
static void io_done(loop_t *ll, uv_stream_t *s, int op, int64_t result)
{
    int e = errno;

    LOOP_TRACE(stream_io, ll, s->ll.handle.id, uv__stream_fd(s), op, result);
    if (ll->rr != NULL) {
        loop__rr_io_end(ll, s->ll.handle.id, op, result);
    }
    errno = e;
}

ssize_t uv__rr_read(uv_stream_t *s, char *buf, size_t len)
{
    loop_t *ll = s->loop->ll;
    int64_t want;
    ssize_t n;

    if (LOOP_UNLIKELY(ll->rr != NULL) &&
        loop__rr_io_begin(ll, s->ll.handle.id, LOOP__IO_READ, &want)) {
        n = replay_read(ll, uv__stream_fd(s), buf, len, want);
    } else {
        do {
            n = read(uv__stream_fd(s), buf, len);
        } while (n < 0 && errno == EINTR);
    }
    io_done(ll, s, LOOP__IO_READ, n >= 0 ? (int64_t)n : -(int64_t)errno);
    return n;
}

/* Write exactly want bytes of iov (waiting for room). */
static ssize_t replay_writev(loop_t *ll, int fd, const struct iovec *iov, int iovcnt, int64_t want)
{
    uint64_t start = 0;
    size_t done = 0;

    if (want < 0) {
        return set_result(want); /* EAGAIN, EPIPE, ...: as recorded */
    }
    while (done < (size_t)want) {
        struct iovec v[64];
        size_t skip = done, left = (size_t)want - done;
        int k = 0;
        ssize_t n;

        for (int i = 0; i < iovcnt && k < 64 && left > 0; i++) {
            if (skip >= iov[i].iov_len) {
                skip -= iov[i].iov_len;
                continue;
            }
            v[k].iov_base = (char *)iov[i].iov_base + skip;
            v[k].iov_len = iov[i].iov_len - skip < left ? iov[i].iov_len - skip : left;
            left -= v[k].iov_len;
            skip = 0;
            k++;
        }
        if (k == 0) {
            break; /* the recorded write was larger than what is offered */
        }
        n = writev(fd, v, k);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(ll, fd, POLLOUT, &start) < 0) {
                break;
            }
            continue;
        }
        if (n < 0) {
            loop__rr_io_mismatch(ll, LOOP__IO_WRITE, -(int64_t)errno, NULL);
            return n;
        }
        done += (size_t)n;
    }
    if (done != (size_t)want) {
        loop__rr_io_mismatch(ll, LOOP__IO_WRITE, (int64_t)done, NULL);
    }
    return (ssize_t)done;
}

ssize_t uv__rr_writev(uv_stream_t *s, const struct iovec *iov, int iovcnt)
{
    loop_t *ll = s->loop->ll;
    int64_t want;
    ssize_t n;

    if (LOOP_UNLIKELY(ll->rr != NULL) &&
        loop__rr_io_begin(ll, s->ll.handle.id, LOOP__IO_WRITE, &want)) {
        n = replay_writev(ll, uv__stream_fd(s), iov, iovcnt, want);
    } else {
        do {
            n = iovcnt == 1 ? write(uv__stream_fd(s), iov->iov_base, iov->iov_len)
                            : writev(uv__stream_fd(s), iov, iovcnt);
        } while (n < 0 && errno == EINTR);
    }
    io_done(ll, s, LOOP__IO_WRITE, n >= 0 ? (int64_t)n : -(int64_t)errno);
    return n;
}

int uv__rr_accept(uv_stream_t *s)
{
    loop_t *ll = s->loop->ll;
    uint64_t start = 0;
    int64_t want;
    int fd;

    if (LOOP_UNLIKELY(ll->rr != NULL) &&
        loop__rr_io_begin(ll, s->ll.handle.id, LOOP__IO_ACCEPT, &want)) {
        if (want < 0) {
            fd = (int)want; /* EAGAIN and errors as recorded */
        } else {
            while ((fd = uv__accept(uv__stream_fd(s))) == UV_EAGAIN) {
                if (wait_fd(ll, uv__stream_fd(s), POLLIN, &start) < 0) {
                    break;
                }
            }
            if (fd < 0) {
                loop__rr_io_mismatch(ll, LOOP__IO_ACCEPT, fd, NULL);
            }
        }
    } else {
        fd = uv__accept(uv__stream_fd(s));
    }
    io_done(ll, s, LOOP__IO_ACCEPT, fd);
    return fd;
}
