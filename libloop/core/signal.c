/*
 * signal.c — signal watchers on one process-wide signalfd.
 *
 * Process-wide state, because signals are: one signalfd holds every watched
 * signal and is registered in the epoll set of every loop that watches any.
 * Whichever loop finds it readable reads the pending signals and hands each to
 * every loop watching that number (a per-loop counter plus a wakeup), so
 * several loops and several watchers per signal all see it.
 * Guarded by sig_mu. Signals stay blocked and in the mask after the last
 * watcher stops (unblocking could deliver a pending signal with its default,
 * often fatal, action); the fd lives until exit.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "internal.h"
#include "syscalls.h"
#include "trace.h"

static pthread_mutex_t sig_mu = PTHREAD_MUTEX_INITIALIZER;
static int sig_fd = -1;
static sigset_t sig_mask;
/* loops with at least one started watcher, and per signal how many */
static struct sig_loop {
    loop_t *loop;
    uint16_t watchers[65];
} *sig_loops;
static size_t sig_nloops;

static struct sig_loop *find_loop(loop_t *loop)
{
    for (size_t i = 0; i < sig_nloops; i++) {
        if (sig_loops[i].loop == loop) {
            return &sig_loops[i];
        }
    }
    return NULL;
}

int loop_signal_init_at(loop_t *loop, loop_signal_t *s, const loop_site_t *site)
{
    if (loop == NULL || s == NULL) {
        return -EINVAL;
    }
    loop__handle_init(loop, &s->handle, LOOP_KIND_SIGNAL, site);
    s->signum = 0;
    s->pending = 0;
    loop__queue_init(&s->sig_node);
    return 0;
}

/* Register loop for signum: the signal joins the process mask and the fd. */
static int sig_register(loop_t *loop, int signum)
{
    struct sig_loop *sl;
    int rc = 0;

    pthread_mutex_lock(&sig_mu);
    if (!sigismember(&sig_mask, signum) || sig_fd < 0) {
        sigset_t m = sig_mask;
        if (sig_fd < 0) {
            sigemptyset(&m);
        }
        sigaddset(&m, signum);
        pthread_sigmask(SIG_BLOCK, &m, NULL);
        int fd = loop__sys_signalfd(sig_fd, &m, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            goto out;
        }
        sig_fd = fd;
        sig_mask = m;
    } else {
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, signum);
        pthread_sigmask(SIG_BLOCK, &one, NULL);
    }
    sl = find_loop(loop);
    if (sl == NULL) {
        struct sig_loop *n = realloc(sig_loops, (sig_nloops + 1) * sizeof(*n));
        struct epoll_event ev = {.events = EPOLLIN,
                                 .data.u64 = (uint64_t)LOOP__TAG_SIGNAL << 32};
        if (n == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        sig_loops = n;
        if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, sig_fd, &ev) < 0) {
            rc = -errno;
            goto out;
        }
        sl = &sig_loops[sig_nloops++];
        memset(sl, 0, sizeof(*sl));
        sl->loop = loop;
    }
    sl->watchers[signum]++;
out:
    pthread_mutex_unlock(&sig_mu);
    return rc;
}

static void sig_unregister(loop_t *loop, int signum)
{
    struct sig_loop *sl;

    pthread_mutex_lock(&sig_mu);
    sl = find_loop(loop);
    if (sl != NULL && sl->watchers[signum] > 0 && --sl->watchers[signum] == 0) {
        bool any = false;
        for (int i = 1; i <= 64; i++) {
            any = any || sl->watchers[i] > 0;
        }
        if (!any) {
            epoll_ctl(loop->epfd, EPOLL_CTL_DEL, sig_fd, NULL);
            *sl = sig_loops[--sig_nloops];
        }
    }
    pthread_mutex_unlock(&sig_mu);
}

int loop_signal_start(loop_signal_t *s, loop_signal_cb cb, int signum)
{
    int rc = loop__handle_check((loop_handle_t *)s, LOOP_KIND_SIGNAL, "loop_signal_start");

    if (rc < 0) {
        return rc;
    }
    if (cb == NULL || signum <= 0 || signum > 64 || signum == SIGKILL || signum == SIGSTOP) {
        return -EINVAL;
    }
    if (s->signum != 0) {
        loop_signal_stop(s);
    }
    rc = sig_register(s->handle.loop, signum);
    if (rc < 0) {
        return rc;
    }
    s->signum = signum;
    s->handle.cb = (void (*)(void))cb;
    loop__queue_insert_tail(&s->handle.loop->sigs, &s->sig_node);
    loop__handle_start(&s->handle);
    return 0;
}

int loop_signal_stop(loop_signal_t *s)
{
    int rc = loop__handle_check((loop_handle_t *)s, LOOP_KIND_SIGNAL, "loop_signal_stop");

    if (rc < 0) {
        return rc;
    }
    if (s->signum != 0) {
        sig_unregister(s->handle.loop, s->signum);
        loop__queue_remove(&s->sig_node);
        s->signum = 0;
    }
    s->pending = 0;
    loop__sched_remove(s->handle.loop, &s->handle);
    loop__handle_stop(&s->handle);
    return 0;
}

/* The process signalfd is readable: hand each signal to every loop watching it. */
void loop__signal_read(loop_t *loop)
{
    struct signalfd_siginfo si[16];
    ssize_t n;

    pthread_mutex_lock(&sig_mu);
    for (;;) {
        n = loop__sys_signalfd_read(sig_fd, si, sizeof(si) / sizeof(si[0]));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; /* EAGAIN: all read */
        }
        for (size_t k = 0; k < (size_t)n / sizeof(si[0]); k++) {
            int signum = (int)si[k].ssi_signo;
            if (signum <= 0 || signum > 64) {
                continue;
            }
            for (size_t i = 0; i < sig_nloops; i++) {
                if (sig_loops[i].watchers[signum] == 0) {
                    continue;
                }
                loop_t *l = sig_loops[i].loop;
                atomic_fetch_add(&l->sig_pending[signum], 1);
                atomic_fetch_or(&l->sig_pending_mask, (uint_fast64_t)1 << (signum - 1));
                if (l != loop) {
                    loop__wake(l);
                }
            }
        }
    }
    pthread_mutex_unlock(&sig_mu);
    loop__signal_collect(loop);
}

/* Turn this loop's received signals into ready watchers. */
void loop__signal_collect(loop_t *loop)
{
    uint_fast64_t mask = atomic_exchange(&loop->sig_pending_mask, 0);
    loop_queue_t *q;

    while (mask != 0) {
        int signum = __builtin_ctzll(mask) + 1;
        unsigned cnt = atomic_exchange(&loop->sig_pending[signum], 0);
        mask &= mask - 1;
        if (cnt == 0) {
            continue;
        }
        LOOP_TRACE(signal_recv, loop, signum);
        loop__queue_foreach(q, &loop->sigs) {
            loop_signal_t *s = loop__queue_data(q, loop_signal_t, sig_node);
            if (s->signum == signum) {
                s->pending += cnt;
                loop__sched_push(loop, &s->handle);
            }
        }
    }
}

void loop__signal_dispatch(loop_signal_t *s)
{
    if (s->pending == 0 || s->signum == 0) {
        return;
    }
    s->pending = 0;
    ((loop_signal_cb)s->handle.cb)(s, s->signum);
}

/* Register the process signalfd with a rebuilt epoll set if this loop watches signals. */
void loop__signal_rebuild(loop_t *loop, int epfd)
{
    pthread_mutex_lock(&sig_mu);
    if (find_loop(loop) != NULL) {
        struct epoll_event ev = {.events = EPOLLIN,
                                 .data.u64 = (uint64_t)LOOP__TAG_SIGNAL << 32};
        epoll_ctl(epfd, EPOLL_CTL_ADD, sig_fd, &ev);
    }
    pthread_mutex_unlock(&sig_mu);
}

/*
 * libloop's own signal watcher (LOOP_DUMP_SIGNAL): no id, not in the handle
 * table, never active (it does not keep loop_run going). Loop thread.
 */
int loop__signal_start_internal(loop_t *loop, loop_signal_t *s, loop_signal_cb cb, int signum)
{
    int rc;

    memset(s, 0, sizeof(*s));
    s->handle.loop = loop;
    s->handle.site = LOOP_SITE();
    s->handle.name = "libloop-dump";
    s->handle.kind = LOOP_KIND_SIGNAL;
    s->handle.flags = LOOP__H_INTERNAL;
    s->handle.magic = LOOP__MAGIC_OPEN;
    s->handle.cb = (void (*)(void))cb;
    loop__queue_init(&s->handle.ready);
    loop__queue_init(&s->handle.all);
    rc = sig_register(loop, signum);
    if (rc < 0) {
        return rc;
    }
    s->signum = signum;
    loop__queue_insert_tail(&loop->sigs, &s->sig_node);
    return 0;
}

void loop__signal_stop_internal(loop_signal_t *s)
{
    if (s->signum != 0) {
        sig_unregister(s->handle.loop, s->signum);
        loop__queue_remove(&s->sig_node);
        loop__sched_remove(s->handle.loop, &s->handle);
        s->signum = 0;
    }
}

void loop__signal_loop_free(loop_t *loop)
{
    pthread_mutex_lock(&sig_mu);
    struct sig_loop *sl = find_loop(loop);
    if (sl != NULL) {
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, sig_fd, NULL);
        *sl = sig_loops[--sig_nloops];
    }
    pthread_mutex_unlock(&sig_mu);
}
