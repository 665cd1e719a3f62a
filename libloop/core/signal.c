/*
 * signal.c — signal watchers: one process-wide handler per watched signal,
 * a self-pipe, and per-loop dispatch on each loop's own thread.
 *
 * Process-wide state, because signal dispositions are (STYLE rule 15).
 * Why not signalfd: a signalfd only sees a signal that every thread blocks,
 * and libloop cannot block it in threads it did not create (a logger, a
 * library's thread, a loop run on a worker): the kernel then delivers the
 * signal to such a thread with its default, often fatal, action.
 *
 * Instead, as libuv does, the first watcher of a signal installs on_signal()
 * with sigaction(); it runs on whichever thread the kernel picks and does only
 * async-signal-safe things: count the signal (lock-free atomics) and write()
 * one byte to a non-blocking self-pipe. The pipe's read end sits in the epoll
 * set of every loop that watches any signal; whichever loop finds it readable
 * drains it and hands each counted signal to every loop watching that number
 * (a per-loop counter plus a wakeup), so several loops on several threads and
 * several watchers per signal all see it, each on its own thread.
 * When the last watcher of a signal stops (in any loop), the disposition
 * found before the first one started is restored.
 *
 * Guarded by sig_mu: the pipe fds, sig_slots, sig_loops. The handler reads
 * only sig_wfd and the sig_caught counters (atomics). A full pipe loses no
 * signal: the counters hold it and the pipe is already readable.
 * fork(): the child gets a pipe of its own (pthread_atfork) so that its
 * signals never wake the parent; its loops see signals again after
 * loop_fork(), which re-registers them (loop__signal_fork).
 * Teardown: the pipe lives until exit, like the handlers of signals still
 * watched.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"
#include "syscalls.h"
#include "trace.h"

#define SIG_MAX 64

static pthread_mutex_t sig_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t sig_once = PTHREAD_ONCE_INIT;
static int sig_rfd = -1, sig_wfd_mu = -1; /* the self-pipe; guarded by sig_mu */
static atomic_int sig_wfd = -1;           /* the write end, as the handler sees it */
/* signals caught by the handler and not yet handed to the loops */
static atomic_uint sig_caught[SIG_MAX + 1];
static atomic_uint_fast64_t sig_caught_mask;

/* Per signal: started watchers in every loop, and what to restore. */
static struct sig_slot {
    unsigned refs;
    bool installed;
    struct sigaction old;
} sig_slots[SIG_MAX + 1];

/* loops with at least one started watcher, and per signal how many */
static struct sig_loop {
    loop_t *loop;
    uint16_t watchers[SIG_MAX + 1];
} *sig_loops;
static size_t sig_nloops;

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free atomic int");

/* The handler: async-signal-safe (atomics and write() only); keeps errno. */
static void on_signal(int signum)
{
    int saved = errno;
    int fd = atomic_load_explicit(&sig_wfd, memory_order_relaxed);
    unsigned char b = (unsigned char)signum;
    ssize_t n;

    if (signum > 0 && signum <= SIG_MAX) {
        atomic_fetch_add(&sig_caught[signum], 1);
        atomic_fetch_or(&sig_caught_mask, (uint_fast64_t)1 << (signum - 1));
    }
    if (fd >= 0) {
        do {
            n = write(fd, &b, 1); /* EAGAIN: the pipe is full, hence readable */
        } while (n < 0 && errno == EINTR);
    }
    errno = saved;
}

/* Create the self-pipe if there is none (sig_mu held). */
static int pipe_open(void)
{
    int p[2];

    if (sig_rfd >= 0) {
        return 0;
    }
    if (LOOP__SYS(PIPE, -1, pipe2(p, O_NONBLOCK | O_CLOEXEC)) < 0) {
        return -errno;
    }
    sig_rfd = p[0];
    sig_wfd_mu = p[1];
    atomic_store(&sig_wfd, p[1]);
    return 0;
}

/* fork(): keep sig_mu consistent across it; give the child its own pipe. */
static void atfork_prepare(void)
{
    pthread_mutex_lock(&sig_mu);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&sig_mu);
}

static void atfork_child(void)
{
    /* The parent's pipe and loops are not the child's: a signal caught here
     * must not wake the parent, and the child's loops register again in
     * loop_fork(). The handlers stay installed (dispositions are inherited). */
    atomic_store(&sig_wfd, -1);
    if (sig_rfd >= 0) {
        close(sig_rfd);
        close(sig_wfd_mu);
        sig_rfd = sig_wfd_mu = -1;
    }
    for (int i = 0; i <= SIG_MAX; i++) {
        atomic_store(&sig_caught[i], 0);
        sig_slots[i].refs = 0;
    }
    atomic_store(&sig_caught_mask, 0);
    free(sig_loops);
    sig_loops = NULL;
    sig_nloops = 0;
    pipe_open(); /* on failure, the next register tries again */
    pthread_mutex_unlock(&sig_mu);
}

static void sig_init_once(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

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
    int rc = loop__handle_init_fast(loop, &s->handle, LOOP_KIND_SIGNAL, site);

    if (rc < 0) {
        return rc;
    }
    s->signum = 0;
    s->pending = 0;
    loop__queue_init(&s->sig_node);
    return 0;
}

/* One more watcher of signum, process-wide: install the handler on the first (sig_mu held). */
static int slot_ref(int signum)
{
    struct sig_slot *sl = &sig_slots[signum];

    if (!sl->installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigfillset(&sa.sa_mask); /* the handler is short: nothing interrupts it */
        sa.sa_flags = SA_RESTART | SA_ONSTACK;
        if (sigaction(signum, &sa, &sl->old) < 0) {
            return -errno;
        }
        sl->installed = true;
    }
    sl->refs++;
    return 0;
}

/* One watcher of signum fewer: the last one restores the old disposition (sig_mu held). */
static void slot_unref(int signum)
{
    struct sig_slot *sl = &sig_slots[signum];

    if (sl->refs > 0 && --sl->refs == 0 && sl->installed) {
        sigaction(signum, &sl->old, NULL);
        sl->installed = false;
    }
}

/* Add loop to sig_loops and its epoll set (sig_mu held). */
static int loop_add(loop_t *loop, struct sig_loop **out)
{
    struct sig_loop *n;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)LOOP__TAG_SIGNAL << 32};

    *out = find_loop(loop);
    if (*out != NULL) {
        return 0;
    }
    n = realloc(sig_loops, (sig_nloops + 1) * sizeof(*n));
    if (n == NULL) {
        return -ENOMEM;
    }
    sig_loops = n;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, sig_rfd, &ev) < 0 && errno != EEXIST) {
        return -errno;
    }
    *out = &sig_loops[sig_nloops++];
    memset(*out, 0, sizeof(**out));
    (*out)->loop = loop;
    return 0;
}

/* Remove sl (a loop with no watcher left) from the list and its epoll set (sig_mu held). */
static void loop_remove(struct sig_loop *sl)
{
    epoll_ctl(sl->loop->epfd, EPOLL_CTL_DEL, sig_rfd, NULL);
    *sl = sig_loops[--sig_nloops];
}

/* Register loop for signum: the handler is installed, the loop hears the pipe. */
static int sig_register(loop_t *loop, int signum)
{
    struct sig_loop *sl = NULL;
    sigset_t one;
    int rc;

    pthread_once(&sig_once, sig_init_once);
    pthread_mutex_lock(&sig_mu);
    rc = pipe_open();
    if (rc < 0) {
        goto out;
    }
    rc = loop_add(loop, &sl);
    if (rc < 0) {
        goto out;
    }
    rc = slot_ref(signum);
    if (rc < 0) {
        bool any = false;
        for (int i = 1; i <= SIG_MAX; i++) {
            any = any || sl->watchers[i] > 0;
        }
        if (!any) {
            loop_remove(sl);
        }
        goto out;
    }
    sl->watchers[signum]++;
out:
    pthread_mutex_unlock(&sig_mu);
    if (rc == 0) {
        /* A thread that blocks the signal never runs the handler: let at least
         * the thread that starts the watcher take it. */
        sigemptyset(&one);
        sigaddset(&one, signum);
        pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    }
    return rc;
}

static void sig_unregister(loop_t *loop, int signum)
{
    struct sig_loop *sl;

    pthread_mutex_lock(&sig_mu);
    sl = find_loop(loop);
    if (sl != NULL && sl->watchers[signum] > 0) {
        slot_unref(signum);
        if (--sl->watchers[signum] == 0) {
            bool any = false;
            for (int i = 1; i <= SIG_MAX; i++) {
                any = any || sl->watchers[i] > 0;
            }
            if (!any) {
                loop_remove(sl);
            }
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
    if (cb == NULL || signum <= 0 || signum > SIG_MAX || signum == SIGKILL ||
        signum == SIGSTOP) {
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

/*
 * The self-pipe is readable: drain it, then hand each caught signal to every
 * loop watching it. The counters, not the bytes, say what was caught: a byte
 * is only a wakeup (a count raised after the exchange below comes with a
 * byte written after the drain, so it is read next time).
 */
void loop__signal_read(loop_t *loop)
{
    unsigned char buf[256];
    ssize_t n;

    pthread_mutex_lock(&sig_mu);
    for (;;) {
        if (sig_rfd < 0) {
            break;
        }
        /* fault name "signalfd_read": the seam tests use for this read */
        n = LOOP__SYS(SIGNALFD_READ, (ssize_t)-1, read(sig_rfd, buf, sizeof(buf)));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < (ssize_t)sizeof(buf)) {
            break; /* EAGAIN or a short read: drained */
        }
    }
    uint_fast64_t mask = atomic_exchange(&sig_caught_mask, 0);
    while (mask != 0) {
        int signum = __builtin_ctzll(mask) + 1;
        unsigned cnt = atomic_exchange(&sig_caught[signum], 0);
        mask &= mask - 1;
        if (cnt == 0) {
            continue;
        }
        for (size_t i = 0; i < sig_nloops; i++) {
            if (sig_loops[i].watchers[signum] == 0) {
                continue;
            }
            loop_t *l = sig_loops[i].loop;
            atomic_fetch_add(&l->sig_pending[signum], cnt);
            atomic_fetch_or(&l->sig_pending_mask, (uint_fast64_t)1 << (signum - 1));
            if (l != loop) {
                loop__wake(l);
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

/* Register the self-pipe with a rebuilt epoll set if this loop watches signals. */
void loop__signal_rebuild(loop_t *loop, int epfd)
{
    pthread_mutex_lock(&sig_mu);
    if (find_loop(loop) != NULL && sig_rfd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN,
                                 .data.u64 = (uint64_t)LOOP__TAG_SIGNAL << 32};
        epoll_ctl(epfd, EPOLL_CTL_ADD, sig_rfd, &ev);
    }
    pthread_mutex_unlock(&sig_mu);
}

/*
 * In a forked child (loop_fork, after the loop has a new epoll set): count
 * this loop's started watchers again and register it with the child's pipe.
 */
int loop__signal_fork(loop_t *loop)
{
    loop_queue_t *q;
    struct sig_loop *sl = NULL;
    int rc = 0;

    if (loop__queue_empty(&loop->sigs)) {
        return 0;
    }
    pthread_once(&sig_once, sig_init_once);
    pthread_mutex_lock(&sig_mu);
    rc = pipe_open();
    if (rc == 0) {
        rc = loop_add(loop, &sl);
    }
    if (rc == 0) {
        for (int i = 1; i <= SIG_MAX; i++) {
            sig_slots[i].refs -= sl->watchers[i]; /* loop_fork called twice */
        }
        memset(sl->watchers, 0, sizeof(sl->watchers));
        loop__queue_foreach(q, &loop->sigs) {
            loop_signal_t *s = loop__queue_data(q, loop_signal_t, sig_node);
            if (s->signum > 0 && slot_ref(s->signum) == 0) {
                sl->watchers[s->signum]++;
            }
        }
    }
    pthread_mutex_unlock(&sig_mu);
    return rc;
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
        for (int i = 1; i <= SIG_MAX; i++) {
            while (sl->watchers[i] > 0) {
                sl->watchers[i]--;
                slot_unref(i);
            }
        }
        loop_remove(sl);
    }
    pthread_mutex_unlock(&sig_mu);
}
