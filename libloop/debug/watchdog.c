/*
 * watchdog.c — the stall watchdog (the Seastar stall detector analog): a
 * thread per loop notices one callback or task step running longer than
 * stall_ms, captures the loop thread's backtrace at that moment and reports
 * it once per stalled dispatch.
 *
 * How. The loop thread publishes what it dispatches (debug.c:
 * loop__dispatch_begin/end: dispatch_seq, cur_start_ns, cur_id, cur_kind)
 * whenever loop->instrument is set, which a running watchdog ensures. The
 * watchdog wakes every stall_ms/4; when the same dispatch (same dispatch_seq,
 * cur_start_ns != 0) has run past stall_ms, it sends WD_SIGNAL (SIGRTMIN+3, or
 * LOOP_WATCHDOG_SIGNAL) to the loop thread, whose handler records backtrace() and the culprit's name and site
 * into the watchdog's capture slot and posts its semaphore. The watchdog
 * waits at most WD_CAPTURE_MS for it, symbolizes the frames and logs:
 *   libloop: Stall: loop=1 kind=timer id=4 name="flush" running-ms=312 site=stall.c:43 (main)
 *   libloop:   #0 ./prog(flush_cb+0x2e) [0x55d0c3a1b2ce]
 *   ...
 * and fires the stall tracepoint. The count (stats.stalls) and the error
 * handler (err -ETIMEDOUT, only when the program installed one: the log line
 * is the default report) are carried out on the loop thread, through an
 * internal async handle, once the stalled dispatch returns (or at
 * loop_watchdog_stop/loop_close): the error handler never runs on a foreign
 * thread. Stalls of the same site within WD_REPEAT_MS are logged without
 * their backtrace.
 *
 * Process-wide state: the signal handler (installed once, never removed) and
 * the capture slots it writes into. They are static because a signal handler
 * may only reach static memory, and a signal that arrives late (after a
 * timeout, after loop_watchdog_stop) must find memory that is still there.
 */
#include <execinfo.h>
#include <inttypes.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "task/task.h"
#include "core/trace.h"

/* The signal sent to the stalled loop thread: SIGRTMIN+3 unless
 * LOOP_WATCHDOG_SIGNAL names another (read once, at the first start). */
#define WD_SIGNAL wd_signal
static int wd_signal;
#define WD_SLOTS 64           /* watchdogs at once in a process */
#define WD_FRAMES 48
#define WD_NAME_MAX 64
#define WD_CAPTURE_MS 250     /* how long the loop thread has to answer the signal */
#define WD_REPEAT_MS 10000    /* same site again within this: no backtrace */
#define WD_PENDING 16         /* stall records waiting for the loop thread */
#define WD_WALK_MAX (1u << 20) /* bound of the table walks in the handler */

/* Capture slot states. */
enum { CAP_IDLE = 0, CAP_ASKED = 1, CAP_WRITING = 2, CAP_DONE = 3 };

/*
 * One per watchdog. The watchdog thread owns it except between CAP_ASKED and
 * CAP_DONE, when the handler on the loop thread fills it in.
 */
struct capture {
    atomic_bool used;   /* claimed by a watchdog */
    atomic_int state;
    sem_t done;         /* posted by the handler after CAP_DONE */
    /* set by the watchdog before CAP_ASKED */
    loop_t *loop;
    pthread_t target;
    uint64_t seq;
    /* set by the handler */
    int depth;
    void *frames[WD_FRAMES];
    bool found;         /* the culprit's name and site below are valid */
    char name[WD_NAME_MAX];
    const loop_site_t *site;
};

static struct capture captures[WD_SLOTS];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_rc;

struct stall_rec {
    int kind;
    uint64_t id;
    const loop_site_t *site;
    char msg[256];
};

struct loop__watchdog {
    loop_t *loop;
    pthread_t thread;
    uint64_t stall_ns;
    uint64_t period_ns;
    struct capture *cap;
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* CLOCK_MONOTONIC */
    bool stop;                  /* guarded by mu */
    /* stalls reported, not yet counted: guarded by mu */
    struct stall_rec pending[WD_PENDING];
    size_t npending;
    uint64_t lost;              /* records that did not fit */
    loop_async_t async;         /* internal: counts them on the loop thread */
    /* watchdog thread only */
    uint64_t reported_seq;
    const loop_site_t *last_site;
    uint64_t last_report_ns;
};

/* The signal handler (loop thread) -------------------------------------------- */

static void copy_name(char *dst, const char *src)
{
    size_t i = 0;

    if (src != NULL) {
        for (; i < WD_NAME_MAX - 1 && src[i] != '\0'; i++) {
            dst[i] = src[i];
        }
    }
    dst[i] = '\0';
}

/*
 * Find what the loop thread is dispatching, by id, in the handle or task
 * table. Runs in the handler, on the loop thread itself, which is stopped:
 * the tables do not change under us (list unlinks keep forward links valid,
 * links are written before a node becomes reachable). Only memory reads.
 */
static void identify(struct capture *c)
{
    loop_t *loop = c->loop;
    uint64_t id = atomic_load_explicit(&loop->cur_id, memory_order_relaxed);
    int kind = atomic_load_explicit(&loop->cur_kind, memory_order_relaxed);
    unsigned n = 0;
    loop_queue_t *q;

    c->found = false;
    if (atomic_load_explicit(&loop->dispatch_seq, memory_order_relaxed) != c->seq) {
        return; /* a later dispatch: not the one that stalled */
    }
    if (kind == LOOP_KIND_TASK) {
        struct loop__tasks *ts = loop->tasks;
        if (ts == NULL) {
            return;
        }
        for (q = ts->tasks.next; q != &ts->tasks && n < WD_WALK_MAX; q = q->next, n++) {
            loop_task_t *t = loop__queue_data(q, loop_task_t, task_node);
            if (t->hdr.id == id) {
                copy_name(c->name, loop__h_name(&t->hdr));
                c->site = t->hdr.site;
                c->found = true;
                return;
            }
        }
        return;
    }
    for (q = loop->handles.next; q != &loop->handles && n < WD_WALK_MAX; q = q->next, n++) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        if (h->id == id) {
            copy_name(c->name, loop__h_name(h));
            c->site = h->site;
            c->found = true;
            return;
        }
    }
}

static void on_capture_signal(int sig, siginfo_t *si, void *uc)
{
    int saved_errno = errno;
    pthread_t self = pthread_self();

    (void)sig;
    (void)si;
    (void)uc;
    for (int i = 0; i < WD_SLOTS; i++) {
        struct capture *c = &captures[i];
        int expect = CAP_ASKED;
        if (atomic_load_explicit(&c->state, memory_order_relaxed) != CAP_ASKED ||
            !atomic_compare_exchange_strong_explicit(&c->state, &expect, CAP_WRITING,
                                                     memory_order_acquire,
                                                     memory_order_relaxed)) {
            continue;
        }
        if (!pthread_equal(c->target, self)) {
            /* another loop thread's request: give it back */
            atomic_store_explicit(&c->state, CAP_ASKED, memory_order_release);
            continue;
        }
        c->depth = backtrace(c->frames, WD_FRAMES);
        identify(c);
        atomic_store_explicit(&c->state, CAP_DONE, memory_order_release);
        sem_post(&c->done);
    }
    errno = saved_errno;
}

static void install(void)
{
    struct sigaction sa;
    void *warm[4];

    loop__env_signal("LOOP_WATCHDOG_SIGNAL", SIGRTMIN + 3, &wd_signal);

    for (int i = 0; i < WD_SLOTS; i++) {
        if (sem_init(&captures[i].done, 0, 0) != 0) {
            install_rc = -errno;
            return;
        }
    }
    /*
     * Why backtrace() may run in the handler. POSIX does not list it as
     * async-signal-safe; on glibc what makes it unsafe is its first call,
     * which dlopens libgcc_s (the unwinder) and so takes the loader's lock
     * and allocates. Calling it once here, outside any handler, does that
     * loading; later calls only walk the stack with _Unwind_Backtrace, which
     * reads the unwind tables (the .eh_frame_hdr lookup takes no lock on
     * glibc >= 2.35 via _dl_find_object; earlier, dl_iterate_phdr's lock,
     * which the interrupted loop thread holds only inside dlopen/dlclose)
     * and allocates nothing. The handler runs only on the loop thread it
     * was sent to, and backtrace_symbols() (which mallocs) runs on the
     * watchdog thread, never in the handler.
     */
    (void)backtrace(warm, 4);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_capture_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(WD_SIGNAL, &sa, NULL) != 0) {
        install_rc = -errno;
    }
}

/* Capture (watchdog thread) ------------------------------------------------------ */

/* Ask the loop thread for its backtrace; true when the capture slot was filled. */
static bool capture_loop_thread(struct capture *c, loop_t *loop, pthread_t target, uint64_t seq)
{
    struct timespec deadline;
    int rc, state;

    c->loop = loop;
    c->target = target;
    c->seq = seq;
    c->depth = 0;
    c->found = false;
    atomic_store_explicit(&c->state, CAP_ASKED, memory_order_release);
    if (pthread_kill(target, WD_SIGNAL) != 0) {
        atomic_store_explicit(&c->state, CAP_IDLE, memory_order_relaxed);
        return false;
    }
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += (WD_CAPTURE_MS % 1000) * 1000000L;
    deadline.tv_sec += WD_CAPTURE_MS / 1000 + deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    do {
        rc = sem_clockwait(&c->done, CLOCK_MONOTONIC, &deadline);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
        /* Pairs with the handler's release of CAP_DONE: what it wrote is ours now
         * (the semaphore alone is not a synchronization ThreadSanitizer knows). */
        while (atomic_load_explicit(&c->state, memory_order_acquire) != CAP_DONE) {
            sched_yield();
        }
        atomic_store_explicit(&c->state, CAP_IDLE, memory_order_relaxed);
        return true;
    }
    /* Timed out: take the request back, unless the handler is at it. */
    for (;;) {
        state = CAP_ASKED;
        if (atomic_compare_exchange_strong_explicit(&c->state, &state, CAP_IDLE,
                                                    memory_order_acquire, memory_order_relaxed)) {
            return false;
        }
        if (state == CAP_DONE) {
            while (sem_wait(&c->done) != 0 && errno == EINTR) {
            }
            (void)atomic_load_explicit(&c->state, memory_order_acquire);
            atomic_store_explicit(&c->state, CAP_IDLE, memory_order_relaxed);
            return true;
        }
        sched_yield(); /* CAP_WRITING: the handler finishes in microseconds */
    }
}

static void format_frames(char *buf, size_t len, char **syms, int from, int depth)
{
    size_t off = 0;

    buf[0] = '\0';
    for (int i = from; i < depth && off < len; i++) {
        int n = snprintf(buf + off, len - off, "#%d %s\n", i - from, syms ? syms[i] : "?");
        if (n < 0) {
            break;
        }
        off += (size_t)n;
    }
}

static void report(struct loop__watchdog *w, uint64_t seq, int kind, uint64_t id,
                   uint64_t running_ns, pthread_t target)
{
    loop_t *loop = w->loop;
    struct capture *c = w->cap;
    bool got = capture_loop_thread(c, loop, target, seq);
    const loop_site_t *s = got && c->found ? c->site : NULL;
    const char *name = got && c->found ? c->name : "";
    uint64_t now_ns = loop__hrtime_ns();
    bool repeat = s != NULL && s == w->last_site &&
                  now_ns - w->last_report_ns < (uint64_t)WD_REPEAT_MS * 1000000u;
    char **syms = NULL;
    struct stall_rec rec;

    snprintf(rec.msg, sizeof(rec.msg),
             "Stall: loop=%" PRIu64 " kind=%s id=%" PRIu64 " name=\"%s\" running-ms=%.0f site=%s:%d (%s)",
             loop->id, loop_kind_name(kind), id, name, (double)running_ns / 1e6,
             s ? s->file : "?", s ? s->line : 0, s ? s->func : "?");
    if (!got) {
        loop_log(LOOP_LOG_WARN, "%s backtrace=none (the loop thread did not answer signal %d)",
                 rec.msg, WD_SIGNAL);
    } else if (repeat) {
        loop_log(LOOP_LOG_WARN, "%s backtrace=suppressed (same site within %d s)", rec.msg,
                 WD_REPEAT_MS / 1000);
    } else {
        loop_log(LOOP_LOG_WARN, "%s", rec.msg);
        syms = backtrace_symbols(c->frames, c->depth);
        /* frame 0 is the handler itself */
        for (int i = 1; i < c->depth; i++) {
            loop_log(LOOP_LOG_WARN, "  #%d %s", i - 1, syms ? syms[i] : "?");
        }
    }
    if (s != NULL && !repeat) {
        w->last_site = s;
        w->last_report_ns = now_ns;
    }
    if (LOOP_TRACE_ENABLED(stall)) {
        char bt[4096];
        if (got && syms == NULL) {
            syms = backtrace_symbols(c->frames, c->depth);
        }
        format_frames(bt, sizeof(bt), syms, 1, got ? c->depth : 0);
        LOOP_TRACE_DO(stall, loop, id, running_ns, bt);
    }
    free(syms);

    rec.kind = kind;
    rec.id = id;
    rec.site = s;
    pthread_mutex_lock(&w->mu);
    if (w->npending < WD_PENDING) {
        w->pending[w->npending++] = rec;
    } else {
        w->lost++;
    }
    pthread_mutex_unlock(&w->mu);
    loop_async_send(&w->async);
}

/* Has the current dispatch run past the threshold? Report it once. */
static void check(struct loop__watchdog *w)
{
    loop_t *loop = w->loop;
    uint64_t seq = atomic_load_explicit(&loop->dispatch_seq, memory_order_acquire);
    uint64_t start = atomic_load_explicit(&loop->cur_start_ns, memory_order_acquire);
    int kind = atomic_load_explicit(&loop->cur_kind, memory_order_relaxed);
    uint64_t id = atomic_load_explicit(&loop->cur_id, memory_order_relaxed);
    /* The dispatch that stored start (a release) runs on loop->thread, which
     * loop_run wrote before it: the acquire above makes that write visible. */
    pthread_t target = loop->thread;
    uint64_t seq2 = atomic_load_explicit(&loop->dispatch_seq, memory_order_acquire);
    uint64_t now_ns;

    if (start == 0 || seq != seq2 || seq == w->reported_seq) {
        return;
    }
    now_ns = loop__hrtime_ns();
    if (now_ns < start || now_ns - start < w->stall_ns) {
        return;
    }
    w->reported_seq = seq;
    report(w, seq, kind, id, now_ns - start, target);
}

static void *watchdog_main(void *arg)
{
    struct loop__watchdog *w = arg;
    struct timespec ts;

    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + w->period_ns;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        if (w->stop) {
            break;
        }
        pthread_mutex_unlock(&w->mu);
        check(w);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Loop thread: count the stalls reported and tell the error handler. */
static void flush_pending(struct loop__watchdog *w)
{
    struct stall_rec recs[WD_PENDING];
    size_t n;
    uint64_t lost;
    loop_t *loop = w->loop;

    pthread_mutex_lock(&w->mu);
    n = w->npending;
    memcpy(recs, w->pending, n * sizeof(recs[0]));
    lost = w->lost;
    w->npending = 0;
    w->lost = 0;
    pthread_mutex_unlock(&w->mu);
    if (n + lost == 0) {
        return;
    }
    loop__inspect_lock(loop);
    loop->stats.stalls += n + lost;
    loop__inspect_unlock(loop);
    if (loop->err_fn == NULL) {
        return; /* the default report is the log line, already written */
    }
    for (size_t i = 0; i < n; i++) {
        LOOP_TRACE(error, loop, NULL, -ETIMEDOUT, recs[i].msg);
        loop__error(loop, -ETIMEDOUT, recs[i].kind == LOOP_KIND_TASK ? recs[i].id : 0, NULL,
                    recs[i].site, recs[i].msg);
    }
}

static void on_stalls(loop_async_t *a)
{
    flush_pending(loop__container_of(a, struct loop__watchdog, async));
}

/* API ------------------------------------------------------------------------------ */

/* Debug mode: these run on the loop thread (they create and free its handles). */
static int wrong_thread(loop_t *loop, const char *api)
{
    if (LOOP_UNLIKELY(loop->debug) && !loop__on_loop_thread(loop)) {
        loop__misuse(loop, NULL, api, "called from a thread other than the loop's");
        return 1;
    }
    return 0;
}

int loop_watchdog_start(loop_t *loop, uint64_t stall_ms)
{
    struct loop__watchdog *w;
    struct capture *cap = NULL;
    pthread_condattr_t ca;
    sigset_t all, old;
    int rc;

    if (loop == NULL || stall_ms == 0 || stall_ms > UINT64_MAX / 1000000u) {
        return -EINVAL;
    }
    if (wrong_thread(loop, "loop_watchdog_start")) {
        return -EINVAL;
    }
    if (loop->watchdog != NULL) {
        return -EBUSY;
    }
    pthread_once(&install_once, install);
    if (install_rc < 0) {
        return install_rc;
    }
    for (int i = 0; i < WD_SLOTS && cap == NULL; i++) {
        bool expect = false;
        if (atomic_compare_exchange_strong(&captures[i].used, &expect, true)) {
            cap = &captures[i];
        }
    }
    if (cap == NULL) {
        return -EAGAIN;
    }
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        rc = -ENOMEM;
        goto fail_slot;
    }
    w->loop = loop;
    w->cap = cap;
    w->stall_ns = stall_ms * 1000000u;
    w->period_ns = w->stall_ns / 4 > 0 ? w->stall_ns / 4 : 1;
    loop__async_init_internal(loop, &w->async, on_stalls, "libloop-watchdog");
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    /* dispatch begin/end publish what runs from now on */
    loop->watchdog = w;
    loop__update_instrument(loop);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread takes no process signals */
    rc = -pthread_create(&w->thread, NULL, watchdog_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        loop->watchdog = NULL;
        loop__update_instrument(loop);
        goto fail_async;
    }
    pthread_setname_np(w->thread, "loop-watchdog");
    return 0;

fail_async:
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    loop__async_free_internal(loop, &w->async);
    free(w);
fail_slot:
    atomic_store(&cap->used, false);
    return rc;
}

int loop_watchdog_stop(loop_t *loop)
{
    struct loop__watchdog *w;

    if (loop == NULL) {
        return -EINVAL;
    }
    if (wrong_thread(loop, "loop_watchdog_stop")) {
        return -EINVAL;
    }
    w = loop->watchdog;
    if (w == NULL) {
        return -EALREADY;
    }
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    loop->watchdog = NULL;
    loop__update_instrument(loop);
    flush_pending(w); /* stalls not yet counted: count them now */
    loop__async_free_internal(loop, &w->async);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    atomic_store(&w->cap->used, false); /* the slot is CAP_IDLE: the thread left no request */
    free(w);
    return 0;
}

/*
 * loop_fork(), in the child: the watchdog thread stayed in the parent. Drop
 * its state without joining it (its mutex may have been held at the fork)
 * and start a new one with the same threshold.
 */
int loop__watchdog_fork(loop_t *loop)
{
    struct loop__watchdog *w = loop->watchdog;
    uint64_t stall_ms;

    if (w == NULL) {
        return 0;
    }
    stall_ms = w->stall_ns / 1000000u;
    loop->watchdog = NULL;
    loop__update_instrument(loop);
    loop__async_free_internal(loop, &w->async);
    atomic_store(&w->cap->state, CAP_IDLE);
    sem_init(&w->cap->done, 0, 0);
    atomic_store(&w->cap->used, false);
    free(w);
    return loop_watchdog_start(loop, stall_ms > 0 ? stall_ms : 1);
}

/* loop_close(): stop the thread. */
void loop__watchdog_free(loop_t *loop)
{
    if (loop->watchdog != NULL) {
        loop_watchdog_stop(loop);
    }
}
