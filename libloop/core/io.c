/*
 * io.c — I/O watchers: level-triggered readiness of one fd per watcher.
 *
 * The loop keeps a table fd -> watcher. epoll keys a registration on (fd
 * number, open file description): a watched fd closed behind the loop's back
 * silently leaves epoll, unless a duplicate keeps the description open; then
 * its registration goes on reporting, with the data it was registered with,
 * and can no longer be removed through the fd number (which may by now name
 * another file, watched by another watcher).
 *
 * Every registration carries a generation that is unique in the loop
 * (epoll_event.data, see poll_epoll.c), so readiness is checked against the
 * table with no system call:
 *  - an event whose generation is not the current one of its fd number comes
 *    from a registration the loop no longer owns: it is dropped and the epoll
 *    set is rebuilt before the next wait (never EPOLL_CTL_DEL on the number:
 *    that would remove the new file's registration);
 *  - a level-triggered watcher reported ready in consecutive iterations is
 *    checked with one EPOLL_CTL_MOD at the 2nd, 4th, 8th... and then every
 *    64th: a registration kept alive by a duplicate is found after at most one
 *    readiness report, and a watcher that is always ready (a writable socket)
 *    pays one syscall per 64 events. A watcher ready in one iteration and
 *    drained (the common case, ping-pong) pays none;
 *  - a registration that vanished with its file reports nothing: a sweep
 *    checks at most LOOP__IO_SWEEP_MAX watchers each LOOP__IO_VERIFY_MS of
 *    loop time, round-robin over the fd table (bounded work per poll);
 *  - and epoll_ctl failing on start/stop, or another watcher claiming the
 *    fd number, tells the same.
 * The watcher is then stopped, its status set to -EBADF, the error reported,
 * and its callback called once with LOOP_ERROR. Never a crash, never a busy
 * loop. One-shot registrations (tasks, loop__io_arm) are validated by their
 * re-arming epoll_ctl and need none of this.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "internal.h"
#include "record/record.h"
#include "syscalls.h"
#include "trace.h"

#define VERIFY_INTERVAL_NS ((uint64_t)LOOP__IO_VERIFY_MS * 1000000u)

static int fd_table_reserve(loop_t *loop, int fd)
{
    if (fd < loop->nfds) {
        return 0;
    }
    int n = loop->nfds ? loop->nfds : 64;
    while (n <= fd) {
        n *= 2;
    }
    struct loop__fd_ent *t = realloc(loop->fds, (size_t)n * sizeof(*t));
    if (t == NULL) {
        return -ENOMEM;
    }
    memset(t + loop->nfds, 0, (size_t)(n - loop->nfds) * sizeof(*t));
    loop->fds = t;
    loop->nfds = n;
    return 0;
}

int loop_io_init_at(loop_t *loop, loop_io_t *io, int fd, const loop_site_t *site)
{
    if (loop == NULL || io == NULL || fd < 0) {
        return -EINVAL;
    }
    int rc = loop__handle_init_fast(loop, &io->handle, LOOP_KIND_IO, site);

    if (rc < 0) {
        return rc;
    }
    io->fd = fd;
    io->status = 0;
    io->events = 0;
    io->revents = 0;
    io->registered = 0;
    return 0;
}

static uint32_t to_epoll(int events)
{
    uint32_t e = (events & LOOP__IO_ONESHOT) ? EPOLLONESHOT : 0;
    if (events & LOOP_READABLE) {
        e |= EPOLLIN | EPOLLRDHUP;
    }
    if (events & LOOP_WRITABLE) {
        e |= EPOLLOUT;
    }
    return e;
}

/* A new registration generation, unique in the loop (24 bits, never 0): aux's
 * low 24 bits. A stale registration of the same fd number has another one. */
static void next_generation(loop_io_t *io)
{
    loop_t *loop = io->handle.loop;

    loop->io_gen = (loop->io_gen + 1) & 0xffffffu;
    if (loop->io_gen == 0) {
        loop->io_gen = 1;
    }
    io->handle.aux = (io->handle.aux & ~0xffffffu) | loop->io_gen;
}

static uint64_t io_tag(const loop_io_t *io)
{
    return (uint32_t)io->fd | ((uint64_t)LOOP__TAG_IO << 32) |
           ((uint64_t)(io->handle.aux & 0xffffffu) << 40);
}

/* The fd vanished under a watcher: stop it and tell its owner, once. */
static void io_vanished(loop_io_t *io, int err)
{
    loop_t *loop = io->handle.loop;

    if (io->fd < loop->nfds && loop->fds[io->fd].io == io) {
        loop->fds[io->fd].io = NULL;
    }
    if (io->registered) {
        io->registered = 0;
        loop->io_watchers--;
        /* Fails (EBADF, ENOENT) when the number was closed or names another
         * file. If a duplicate keeps the old file open, its registration stays;
         * should it ever report, the event has no owner in the table and the
         * set is rebuilt (loop__io_ready). Never DEL anything else. */
        (void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    }
    io->status = err;
    loop__report_error(loop, err, &io->handle,
                       "Watched fd was closed behind the loop's back: fd=%d", io->fd);
    io->revents = LOOP_ERROR;
    loop__sched_push_fast(loop, &io->handle); /* stays active until its callback ran */
}

/* A one-shot watcher of tasks that fired or timed out: nobody waits on it. */
static bool idle_oneshot(const loop_io_t *io)
{
    return (io->events & LOOP__IO_ONESHOT) && !(io->handle.flags & LOOP__H_ACTIVE);
}

/* Drop an idle one-shot registration without a word: its fd may be closed,
 * legitimately, since nobody waits on it. */
static void forget_quietly(loop_io_t *io)
{
    loop_t *loop = io->handle.loop;

    if (io->registered) {
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
        io->registered = 0;
        loop->io_watchers--;
    }
    if (io->fd < loop->nfds && loop->fds[io->fd].io == io) {
        loop->fds[io->fd].io = NULL;
    }
    io->events = 0;
    io->revents = 0;
    loop__sched_remove_fast(loop, &io->handle);
}

int loop_io_start(loop_io_t *io, loop_io_cb cb, int events)
{
    int rc = loop__handle_check((loop_handle_t *)io, LOOP_KIND_IO, "loop_io_start");
    loop_t *loop;
    struct epoll_event ev;

    if (rc < 0) {
        return rc;
    }
    if (cb == NULL || events == 0 || (events & ~(LOOP_READABLE | LOOP_WRITABLE))) {
        return -EINVAL;
    }
    if (io->status < 0) {
        return io->status;
    }
    loop = io->handle.loop;
    rc = fd_table_reserve(loop, io->fd);
    if (rc < 0) {
        return rc;
    }
    struct loop__fd_ent *slot = &loop->fds[io->fd];
    if (slot->io != NULL && slot->io != io) {
        /* Another watcher holds this fd number. If its registration is gone the
         * old fd was closed behind our back and the number reused. */
        loop_io_t *old = slot->io;
        if (idle_oneshot(old)) {
            forget_quietly(old);
            goto registered_check;
        }
        ev.events = to_epoll(old->events);
        ev.data.u64 = io_tag(old);
        if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, old->fd, &ev) == 0) {
            return -EEXIST;
        }
        io_vanished(old, -EBADF);
    }
registered_check:
    ev.events = to_epoll(events);
    if (!io->registered) {
        next_generation(io);
    }
    ev.data.u64 = io_tag(io);
    if (epoll_ctl(loop->epfd, io->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, io->fd, &ev) < 0) {
        rc = -errno;
        if (io->registered && (rc == -ENOENT || rc == -EBADF)) {
            io_vanished(io, -EBADF);
            return -EBADF;
        }
        return rc;
    }
    if (!io->registered) {
        io->registered = 1;
        loop->io_watchers++;
    }
    slot->io = io;
    io->events = events;
    io->handle.cb = (void (*)(void))cb;
    loop__handle_start(&io->handle);
    return 0;
}

/*
 * Arm a one-shot registration (task_io.c): the kernel disarms it when it
 * fires, so it never reports readiness nobody waits for, and re-arming is one
 * epoll_ctl. ENOENT on re-arm means the fd number now names another file (the
 * old one was closed, which is allowed while nobody waited): register anew.
 */
int loop__io_arm(loop_io_t *io, loop_io_cb cb, int events)
{
    loop_t *loop = io->handle.loop;
    struct epoll_event ev;
    int rc = fd_table_reserve(loop, io->fd);

    if (rc < 0) {
        return rc;
    }
    struct loop__fd_ent *slot = &loop->fds[io->fd];
    if (slot->io != NULL && slot->io != io) {
        if (!idle_oneshot(slot->io)) {
            return -EEXIST;
        }
        forget_quietly(slot->io);
    }
    ev.events = to_epoll(events | LOOP__IO_ONESHOT);
    if (!io->registered) {
        next_generation(io);
    }
    ev.data.u64 = io_tag(io);
    rc = io->registered ? epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) : -1;
    if (rc < 0 && (!io->registered || errno == ENOENT)) {
        if (io->registered) {
            io->registered = 0;
            loop->io_watchers--;
            next_generation(io);
            ev.data.u64 = io_tag(io);
        }
        rc = epoll_ctl(loop->epfd, EPOLL_CTL_ADD, io->fd, &ev);
    }
    if (rc < 0) {
        return -errno;
    }
    loop__rr_adopt(loop, &io->handle); /* chaos: its readiness follows the arming item's rank */
    if (!io->registered) {
        io->registered = 1;
        loop->io_watchers++;
    }
    slot->io = io;
    io->events = events | LOOP__IO_ONESHOT;
    io->handle.cb = (void (*)(void))cb;
    loop__handle_start_fast(&io->handle);
    return 0;
}

/* Nobody waits on a one-shot watcher any more: it stops keeping the loop alive. */
void loop__io_disarm(loop_io_t *io)
{
    loop__sched_remove_fast(io->handle.loop, &io->handle);
    loop__handle_stop_fast(&io->handle);
}

/* Register every started watcher with a new epoll set (loop__poll_rebuild). */
void loop__io_rebuild(loop_t *loop, int epfd)
{
    loop_queue_t *q;

    loop__queue_foreach(q, &loop->handles) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        if (h->kind != LOOP_KIND_IO || !((loop_io_t *)h)->registered) {
            continue;
        }
        loop_io_t *io = (loop_io_t *)h;
        if (idle_oneshot(io)) {
            io->registered = 0; /* not in the new set: armed again on the next wait */
            loop->io_watchers--;
            continue;
        }
        struct epoll_event ev = {.events = to_epoll(io->events), .data.u64 = io_tag(io)};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, io->fd, &ev) < 0) {
            io_vanished(io, -EBADF);
        }
    }
}

/* Remove from the poller; the watcher stays open. */
void loop__io_forget(loop_io_t *io)
{
    loop_t *loop = io->handle.loop;

    if (idle_oneshot(io)) {
        forget_quietly(io);
        return;
    }
    if (io->registered) {
        if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL) < 0 &&
            (errno == EBADF || errno == ENOENT)) {
            /* closed behind our back; a duplicate may keep the registration,
             * which is rebuilt away if it ever reports (loop__io_ready) */
            io->status = -EBADF;
            loop__report_error(loop, -EBADF, &io->handle,
                               "Watched fd was closed before its watcher was stopped: fd=%d",
                               io->fd);
        }
        io->registered = 0;
        loop->io_watchers--;
    }
    if (io->fd < loop->nfds && loop->fds[io->fd].io == io) {
        loop->fds[io->fd].io = NULL;
    }
    io->events = 0;
    io->revents = 0;
    loop__sched_remove(loop, &io->handle);
    loop__handle_stop(&io->handle);
}

int loop_io_stop(loop_io_t *io)
{
    int rc = loop__handle_check((loop_handle_t *)io, LOOP_KIND_IO, "loop_io_stop");

    if (rc < 0) {
        return rc;
    }
    loop__io_forget(io);
    return 0;
}

/*
 * Is io's registration still (io->fd, the file io->fd names now)? One
 * EPOLL_CTL_MOD with what is registered: EBADF, the number is closed; ENOENT,
 * it names a file that is not registered (closed and reused). Either way the
 * watcher's file is gone: it is stopped and told.
 */
static bool io_check(loop_io_t *io)
{
    struct epoll_event ev = {.events = to_epoll(io->events), .data.u64 = io_tag(io)};

    if (loop__sys_epoll_ctl(io->handle.loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0 &&
        (errno == EBADF || errno == ENOENT)) {
        io_vanished(io, -EBADF);
        return false;
    }
    return true;
}

/* Checked at the 2nd, 4th, 8th, 16th, 32nd consecutive ready iteration, then every 64th. */
static inline bool streak_check_due(uint32_t streak)
{
    return streak >= 2 && ((streak & (streak - 1)) == 0 || (streak & 63) == 0);
}

void loop__io_ready(loop_t *loop, int fd, uint32_t gen, uint32_t epev)
{
    struct loop__fd_ent *e = fd < loop->nfds ? &loop->fds[fd] : NULL;
    loop_io_t *io = e ? e->io : NULL;
    int ev = 0;

    if (LOOP_UNLIKELY(io == NULL || (io->handle.aux & 0xffffffu) != gen)) {
        /* A registration the loop no longer owns: its fd was closed while a
         * duplicate kept the file open. It cannot be removed through the fd
         * number (which may name another watcher's file): a new set. */
        loop->epoll_stale = 1;
        return;
    }
    if (!(io->events & LOOP__IO_ONESHOT)) {
        uint64_t iter = atomic_load_explicit(&loop->n_iterations, memory_order_relaxed);
        e->streak = e->ready_iter + 1 == iter ? e->streak + 1 : 1;
        e->ready_iter = iter;
        if (LOOP_UNLIKELY(streak_check_due(e->streak)) && !io_check(io)) {
            return;
        }
    }
    if (epev & EPOLLIN) {
        ev |= LOOP_READABLE;
    }
    if (epev & EPOLLOUT) {
        ev |= LOOP_WRITABLE;
    }
    if (epev & (EPOLLHUP | EPOLLRDHUP)) {
        ev |= LOOP_HANGUP | (io->events & LOOP_READABLE);
    }
    if (epev & EPOLLERR) {
        ev |= LOOP_ERROR | io->events;
    }
    io->revents |= ev;
    LOOP_TRACE(io_ready, loop, io, ev);
    if (LOOP_UNLIKELY(loop->policy == LOOP__POLICY_CHAOS) && loop__chaos_delay_io(loop, &io->handle)) {
        return;
    }
    loop__sched_push_fast(loop, &io->handle);
}

void loop__io_dispatch(loop_io_t *io)
{
    int ev = io->revents;

    io->revents = 0;
    if (io->status < 0) {
        /* the vanished-fd notice: the watcher is stopped after this call */
        loop__handle_stop_fast(&io->handle);
        ((loop_io_cb)io->handle.cb)(io, LOOP_ERROR);
        return;
    }
    ev &= io->events | LOOP_HANGUP | LOOP_ERROR;
    if (ev != 0 && io->registered) {
        ((loop_io_cb)io->handle.cb)(io, ev);
    }
}

/*
 * A registration whose file was closed (no duplicate left) vanished from epoll
 * without a trace: nothing reports it. Check a few watchers per
 * LOOP__IO_VERIFY_MS of loop time, round-robin over the fd table: at most
 * LOOP__IO_SWEEP_MAX epoll_ctl calls and LOOP__IO_SWEEP_SCAN table slots per
 * step, so a loop with 10,000 watchers never stalls on this; one with up to
 * LOOP__IO_SWEEP_MAX finds a closed fd within LOOP__IO_VERIFY_MS.
 */
static void io_sweep_step(loop_t *loop);

void loop__io_sweep(loop_t *loop)
{
    /* Called every iteration, due once per VERIFY_INTERVAL_NS: the test is a
     * leaf, the step out of line (issue 20). */
    if (loop->io_verify_ns != 0 && loop->now_ns - loop->io_verify_ns < VERIFY_INTERVAL_NS) {
        return;
    }
    io_sweep_step(loop);
}

__attribute__((noinline)) static void io_sweep_step(loop_t *loop)
{
    uint64_t now = loop->now_ns;
    int checks = 0;

    loop->io_verify_ns = now ? now : 1;
    for (int n = 0; n < loop->nfds && n < LOOP__IO_SWEEP_SCAN && checks < LOOP__IO_SWEEP_MAX;
         n++) {
        int fd = loop->io_sweep_fd++;
        if (loop->io_sweep_fd >= loop->nfds) {
            loop->io_sweep_fd = 0;
        }
        loop_io_t *io = fd < loop->nfds ? loop->fds[fd].io : NULL;
        if (io == NULL || !io->registered || idle_oneshot(io)) {
            continue;
        }
        checks++;
        io_check(io);
    }
}
