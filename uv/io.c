/*
 * io.c — the uv loop's epoll backend: io watchers (uv__io_t) registered on
 * the loop's own epoll set (uv_backend_fd), the pending queue, the poll
 * phase with its chaos hook, the dispatch of readiness as a libloop io item
 * (recorded and replayed with its events), and fd helpers.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uv-internal.h"
#include "core/trace.h"
#include "record/record.h"


void uv__io_init(uv__io_t *w, uv_handle_t *h, uv__io_cb cb, int fd)
{
    w->cb = cb;
    w->handle = h;
    uv__q_init(&w->pending_queue);
    w->fd = fd;
    w->events = 0;
    w->pevents = 0;
}

static int maybe_resize(uv_loop_t *loop, unsigned int len)
{
    uv__io_t **w;
    unsigned int n;

    if (len <= loop->nwatchers) {
        return 0;
    }
    n = loop->nwatchers ? loop->nwatchers : 64;
    while (n < len) {
        n *= 2;
    }
    w = realloc(loop->watchers, n * sizeof(*w));
    if (w == NULL) {
        return UV_ENOMEM;
    }
    memset(w + loop->nwatchers, 0, (n - loop->nwatchers) * sizeof(*w));
    loop->watchers = w;
    loop->nwatchers = n;
    return 0;
}

static void io_register(uv_loop_t *loop, uv__io_t *w)
{
    struct epoll_event e;
    int op;

    if (w->events == w->pevents) {
        return;
    }
    memset(&e, 0, sizeof(e));
    e.events = w->pevents;
    e.data.fd = w->fd;
    if (w->pevents == 0) {
        epoll_ctl(loop->backend_fd, EPOLL_CTL_DEL, w->fd, &e);
    } else {
        op = w->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (epoll_ctl(loop->backend_fd, op, w->fd, &e) != 0) {
            if (errno == EEXIST) {
                epoll_ctl(loop->backend_fd, EPOLL_CTL_MOD, w->fd, &e);
            } else if (errno == ENOENT) {
                epoll_ctl(loop->backend_fd, EPOLL_CTL_ADD, w->fd, &e);
            }
        }
    }
    w->events = w->pevents;
}

void uv__io_start(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    assert(w->fd >= 0);
    if (maybe_resize(loop, (unsigned int)w->fd + 1) != 0) {
        return;
    }
    w->pevents |= events;
    io_register(loop, w);
    if (loop->watchers[w->fd] == NULL) {
        loop->watchers[w->fd] = w;
    }
}

void uv__io_stop(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    if (w->fd == -1) {
        return;
    }
    w->pevents &= ~events;
    io_register(loop, w);
    if (w->pevents == 0 && (unsigned int)w->fd < loop->nwatchers &&
        loop->watchers[w->fd] == w) {
        loop->watchers[w->fd] = NULL;
    }
}

void uv__io_close(uv_loop_t *loop, uv__io_t *w)
{
    struct epoll_event *events = loop->poll_events;

    uv__io_stop(loop, w, UV__POLLIN | UV__POLLOUT | UV__POLLRDHUP | UV__POLLPRI);
    uv__q_remove(&w->pending_queue);
    uv__q_init(&w->pending_queue);
    /* drop what the batch being dispatched still holds for this fd */
    if (events != NULL && w->fd >= 0) {
        for (int i = 0; i < loop->poll_nevents; i++) {
            if (events[i].data.fd == w->fd) {
                events[i].data.fd = -1;
            }
        }
    }
}

void uv__io_feed(uv_loop_t *loop, uv__io_t *w)
{
    if (uv__q_empty(&w->pending_queue)) {
        uv__q_insert_tail(&loop->pending_queue, &w->pending_queue);
    }
}

int uv__io_active(const uv__io_t *w, unsigned int events)
{
    return (w->pevents & events) != 0;
}

int uv__fd_exists(uv_loop_t *loop, int fd)
{
    return fd >= 0 && (unsigned int)fd < loop->nwatchers && loop->watchers[fd] != NULL;
}

int uv__io_check_fd(uv_loop_t *loop, int fd)
{
    struct epoll_event e;
    int rc = 0;

    memset(&e, 0, sizeof(e));
    e.events = EPOLLIN;
    e.data.fd = -1;
    if (epoll_ctl(loop->backend_fd, EPOLL_CTL_ADD, fd, &e) != 0) {
        if (errno != EEXIST) {
            rc = UV__ERR(errno);
        }
    } else {
        epoll_ctl(loop->backend_fd, EPOLL_CTL_DEL, fd, &e);
    }
    return rc;
}

struct io_call {
    uv__io_t *w;
    unsigned int events;
};

static void io_thunk(uv_handle_t *h, void *arg)
{
    struct io_call *c = arg;
    c->w->cb(h->loop, c->w, c->events);
}

/*
 * Readiness is dispatched as an io item, so that the recorder writes its
 * events and a replay hands back the recorded ones (loop__rr_dispatch sets
 * revents): the handle's defer shadow poses as a libloop io watcher for the
 * length of the dispatch (kind IO, events in revents, "registered" so that
 * loop__io_dispatch calls it). The trampoline drops the pose before the uv
 * callback runs, so a uv_close() inside it finds an unregistered watcher.
 */
enum {
    IO_EV_IN = LOOP_READABLE,
    IO_EV_OUT = LOOP_WRITABLE,
    IO_EV_HUP = LOOP_HANGUP,
    IO_EV_ERR = LOOP_ERROR,
    IO_EV_PRI = 0x10,
    IO_EV_RDHUP = 0x20,
    IO_EV_ALL = 0x3f,
};

static int io_ev_from_epoll(unsigned int e)
{
    return ((e & UV__POLLIN) ? IO_EV_IN : 0) | ((e & UV__POLLOUT) ? IO_EV_OUT : 0) |
           ((e & UV__POLLHUP) ? IO_EV_HUP : 0) | ((e & UV__POLLERR) ? IO_EV_ERR : 0) |
           ((e & UV__POLLPRI) ? IO_EV_PRI : 0) | ((e & UV__POLLRDHUP) ? IO_EV_RDHUP : 0);
}

static unsigned int io_ev_to_epoll(int ev)
{
    return ((ev & IO_EV_IN) ? UV__POLLIN : 0) | ((ev & IO_EV_OUT) ? UV__POLLOUT : 0) |
           ((ev & IO_EV_HUP) ? UV__POLLHUP : 0) | ((ev & IO_EV_ERR) ? UV__POLLERR : 0) |
           ((ev & IO_EV_PRI) ? UV__POLLPRI : 0) | ((ev & IO_EV_RDHUP) ? UV__POLLRDHUP : 0);
}

static void io_trampoline(loop_io_t *io, int ev)
{
    uv_handle_t *h = uv__container_of(io, uv_handle_t, ll.io);
    uv_loop_t *loop = h->loop;
    uv__io_t *w = loop->dispatch_arg;

    loop__inspect_lock(loop->ll);
    io->registered = 0;
    io->events = 0;
    loop__inspect_unlock(loop->ll);
    w->cb(loop, w, io_ev_to_epoll(ev));
}

/* Out of line: the untraced dispatch stays a flag test. */
__attribute__((noinline, cold)) static void uv__trace_ready(const uv_loop_t *loop,
                                                          const uv_handle_t *h)
{
    LOOP_TRACE_DO(io_ready, loop->ll, &h->ll.io, h->ll.io.revents);
}

void uv__io_dispatch(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    uv_handle_t *h = w->handle;
    loop_handle_t *lh;
    void *saved_arg;

    if (h == NULL) {
        w->cb(loop, w, events);
        return;
    }
    lh = &h->ll.handle;
    if (lh->kind != LOOP_KIND_DEFER || lh->magic != LOOP__MAGIC_OPEN ||
        (lh->flags & (LOOP__H_CLOSING | LOOP__H_CLOSED))) {
        struct io_call c = {w, events};
        uv__dispatch(h, io_thunk, &c);
        return;
    }
    saved_arg = loop->dispatch_arg;
    loop->dispatch_arg = w;
    /* a monitor thread may be reading the handle table: change it locked */
    loop__inspect_lock(loop->ll);
    h->ll.io.fd = w->fd;
    h->ll.io.status = 0;
    h->ll.io.events = IO_EV_ALL;
    h->ll.io.revents = io_ev_from_epoll(events);
    h->ll.io.registered = 1;
    lh->kind = LOOP_KIND_IO;
    lh->flags |= LOOP__H_QUEUED; /* see uv__dispatch */
    loop__inspect_unlock(loop->ll);
    lh->cb = (void (*)(void))io_trampoline;
    /* as libloop's poller does: extract takes the dispatch's revents from it */
    if (LOOP_UNLIKELY(LOOP_TRACE_ENABLED(io_ready))) {
        uv__trace_ready(loop, h);
    }
    loop__dispatch(loop->ll, lh);
    loop__inspect_lock(loop->ll);
    lh->flags &= (uint8_t)~LOOP__H_QUEUED;
    h->ll.io.registered = 0;
    h->ll.io.events = 0;
    lh->kind = LOOP_KIND_DEFER;
    loop__inspect_unlock(loop->ll);
    loop->dispatch_arg = saved_arg;
}

int uv__run_pending(uv_loop_t *loop)
{
    uv__queue_t pq;

    if (uv__q_empty(&loop->pending_queue)) {
        return 0;
    }
    uv__q_move(&loop->pending_queue, &pq);
    while (!uv__q_empty(&pq)) {
        uv__queue_t *q = pq.next;
        uv__q_remove(q);
        uv__q_init(q);
        /* a deferred completion, not readiness: an ordinary (defer) dispatch */
        uv__io_t *w = uv__container_of(q, uv__io_t, pending_queue);
        struct io_call c = {w, UV__POLLOUT};
        if (w->handle == NULL) {
            w->cb(loop, w, UV__POLLOUT);
        } else {
            uv__dispatch(w->handle, io_thunk, &c);
        }
    }
    return 1;
}

/*
 * LOOP_CHAOS: what libuv does not promise about one poll — the order in
 * which the ready fds of a batch run, and whether a ready fd runs in this
 * iteration or a later one — from the seeded generator. The batch is
 * shuffled and one event in four is held back (epoll is level-triggered: it
 * is reported again by the next poll, which then does not block). Each
 * choice that differs from the plain order is a numbered perturbation, as
 * libloop's own: LOOP_CHAOS_ONLY applies only the listed ones, and
 * LOOP_CHAOS_LOG gets a line per perturbation ("uv: ..."). The run is
 * recorded as usual, so a failing chaos run replays exactly.
 * LOOP_EXPLORE: the batch's order is a choice point per position (type
 * "uvpoll"), and each ready fd's readiness one more ("hold": held back to
 * the next poll); loop-replay explore enumerates them.
 * Both through libloop's one shuffle (libloop/record/shuffle.c).
 */
/* A ready fd in a log line: "fd 7 (pipe id=3)". */
static void uv__name_event(const void *ctx, const void *item, char *buf, size_t len)
{
    const uv_loop_t *loop = ctx;
    const struct epoll_event *e = item;
    int fd = e->data.fd;
    const uv__io_t *w = fd >= 0 && (unsigned int)fd < loop->nwatchers ? loop->watchers[fd] : NULL;

    if (w != NULL && w->handle != NULL) {
        snprintf(buf, len, "fd %d (%s id=%llu)", fd, uv_handle_type_name(w->handle->type),
                 (unsigned long long)w->handle->ll.handle.id);
    } else {
        snprintf(buf, len, "fd %d", fd);
    }
}

static int uv__chaos_batch(uv_loop_t *loop, struct epoll_event *events, int n)
{
    struct loop__rr *rr = loop->ll->rr;
    int kept = 0;

    const struct loop__shuffle_spec order = {
        .point = "uvpoll",
        .chaos_what = "uv: ran the readiness of",
        .name = uv__name_event,
        .ctx = loop,
    };

    loop__shuffle(loop->ll, &order, events, (size_t)n, sizeof(*events));
    for (int i = 0; i < n; i++) {
        bool held;
        if (events[i].data.fd == loop->ll_watcher.fd) {
            held = false; /* libloop's own items: chaos.c perturbs them */
        } else if (rr->explore) {
            char name[80];
            uv__name_event(loop, &events[i], name, sizeof(name));
            held = loop__explore_choice(loop->ll, "hold", 1, "%s ready: held back to the next poll",
                                        name) == 1;
        } else {
            held = loop__rr_rand(&rr->chaos_rng) % 4 == 0 &&
                   loop__chaos_perturb(loop->ll,
                                       "uv: held back the readiness of fd %d until a later poll",
                                       events[i].data.fd);
        }
        if (!held) {
            events[kept++] = events[i];
        }
    }
    return kept;
}

void uv__io_poll(uv_loop_t *loop, int timeout)
{
    struct epoll_event events[1024];
    int n;

    if (uv__replaying(loop)) {
        /* the schedule says what was ready, in which order */
        uv__update_time(loop); /* as a real poll reads the clock when it returns */
        uv__replay_poll(loop);
        return;
    }
    LOOP_TRACE(poll_begin, loop->ll, timeout < 0 ? (int64_t)-1 : (int64_t)timeout * 1000000);
    bool chaos = LOOP_UNLIKELY(loop->ll->policy == LOOP__POLICY_CHAOS);
    uint64_t t0 = chaos ? loop__hrtime_ns() : 0;
    do {
        n = epoll_wait(loop->backend_fd, events, (int)UV__ARRAY_SIZE(events), timeout);
    } while (n < 0 && errno == EINTR && timeout == -1);
    if (chaos) { /* the virtual clock (record.c) */
        loop__rr_waited(loop->ll, timeout, n != 0, loop__hrtime_ns() - t0);
    }
    LOOP_TRACE(poll_end, loop->ll, n < 0 ? 0 : n, n < 0 ? errno : 0);
    uv__update_time(loop);
    if (LOOP_UNLIKELY(loop->ll->policy == LOOP__POLICY_CHAOS) && n > 0) {
        n = uv__chaos_batch(loop, events, n);
    }
    loop->poll_events = events;
    loop->poll_nevents = n < 0 ? 0 : n;
    for (int i = 0; i < n; i++) {
        int fd = events[i].data.fd;
        uv__io_t *w;
        unsigned int ev;

        if (fd == -1) {
            continue;
        }
        w = (unsigned int)fd < loop->nwatchers ? loop->watchers[fd] : NULL;
        if (w == NULL) {
            epoll_ctl(loop->backend_fd, EPOLL_CTL_DEL, fd, &events[i]);
            continue;
        }
        ev = events[i].events & (w->pevents | UV__POLLERR | UV__POLLHUP);
        if (ev == UV__POLLERR || ev == UV__POLLHUP) {
            ev |= w->pevents & (UV__POLLIN | UV__POLLOUT | UV__POLLRDHUP | UV__POLLPRI);
        }
        if (ev != 0) {
            uv__io_dispatch(loop, w, ev);
        }
    }
    loop->poll_events = NULL;
    loop->poll_nevents = 0;
    /* libloop's ready items (async, work done, signals): one round */
    if (!loop__queue_empty(&loop->ll->pending)) {
        loop__sched_run_rounds(loop->ll);
    }
}

/* ---------------------------------------------------------------------- */
/* fd helpers                                                              */

int uv__nonblock(int fd, int set)
{
    int r;

    do {
        r = ioctl(fd, FIONBIO, &set);
    } while (r == -1 && errno == EINTR);
    return r ? UV__ERR(errno) : 0;
}

int uv__cloexec(int fd, int set)
{
    int r;

    do {
        r = ioctl(fd, set ? FIOCLEX : FIONCLEX);
    } while (r == -1 && errno == EINTR);
    return r ? UV__ERR(errno) : 0;
}

int uv__close(int fd)
{
    int saved = errno;
    int rc = close(fd);

    if (rc == -1) {
        rc = UV__ERR(errno);
        if (rc == UV_EINTR || rc == UV__ERR(EINPROGRESS)) {
            rc = 0;
        }
        errno = saved;
    }
    return rc;
}

int uv__socket(int domain, int type, int protocol)
{
    int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);

    return fd == -1 ? UV__ERR(errno) : fd;
}

int uv__accept(int sockfd)
{
    int fd;

    do {
        fd = accept4(sockfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd == -1 && errno == EINTR);
    return fd == -1 ? UV__ERR(errno) : fd;
}

int uv__open_cloexec(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);

    return fd == -1 ? UV__ERR(errno) : fd;
}
