/*
 * internal.h — the loop's private structure and the cross-file internal API
 * (prefix loop__). Never included by include/loop.h.
 */
#ifndef LOOP_INTERNAL_H
#define LOOP_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>

#include "loop.h"
#include "queue.h"

uint64_t loop__hrtime_ns(void);

#define LOOP_LIKELY(x) __builtin_expect(!!(x), 1)
#define LOOP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define loop__container_of(ptr, type, member)                                            \
    ((type *)((char *)(ptr)-offsetof(type, member)))

/* A log2 histogram of durations: bucket i counts values in [2^i, 2^(i+1)) ns. */
struct loop__hist {
    uint32_t b[40];
    uint64_t count;
    uint64_t max_ns;
};

static inline void loop__hist_add(struct loop__hist *h, uint64_t ns)
{
    int i = ns ? 63 - __builtin_clzll(ns) : 0;
    h->b[i < 40 ? i : 39]++;
    h->count++;
    h->max_ns = ns > h->max_ns ? ns : h->max_ns;
}

/* The upper bound of the bucket holding the p-th percentile (0 < p <= 100); 0 if empty. */
static inline uint64_t loop__hist_pct(const struct loop__hist *h, double p)
{
    uint64_t want = (uint64_t)((double)h->count * p / 100.0 + 0.999999), seen = 0;
    for (int i = 0; i < 40 && h->count > 0; i++) {
        seen += h->b[i];
        if (seen >= want && want > 0) {
            uint64_t hi = (uint64_t)2 << i;
            return hi < h->max_ns ? hi : h->max_ns;
        }
    }
    return h->max_ns;
}

/* Handle flags (loop_handle_t.flags). */
enum {
    LOOP__H_ACTIVE = 1u << 0,  /* started: counts toward loop_alive_count */
    LOOP__H_QUEUED = 1u << 1,  /* in the ready queue */
    LOOP__H_CLOSING = 1u << 2, /* loop_handle_close() called */
    LOOP__H_CLOSED = 1u << 3,  /* close callback ran */
    LOOP__H_REF = 1u << 4,     /* an active handle that keeps the loop alive */
    LOOP__H_INTERNAL = 1u << 5, /* libloop's own (not reported) */
    LOOP__H_CALL = 1u << 6,     /* a loop_call_soon() record (defer.c) */
    LOOP__H_IDENT = 1u << 7     /* has a name or a parent task in loop->idents (ident.c) */
};

#define LOOP__MAGIC_OPEN 0x1009u
#define LOOP__MAGIC_CLOSED 0xdeadu

/* Scheduler policies: the only place that decides which ready item runs next. */
typedef enum loop__policy {
    LOOP__POLICY_FIFO = 0,
    LOOP__POLICY_CHAOS = 1,
    LOOP__POLICY_REPLAY = 2,
} loop__policy_t;

struct loop__timer_heap {
    struct loop__heap_ent *ent; /* 4-ary min-heap, ent[0] is the earliest */
    uint32_t len;
    uint32_t cap;
};

/* The start sequence is the tie-break key: kept here, not in the timer, so
 * that equal deadlines (common: every timer started in one iteration with one
 * timeout shares its due time) are ordered without loading the timers. */
struct loop__heap_ent {
    uint64_t due_ns;
    uint64_t seq; /* start order (loop->timer_seq) */
    loop_timer_t *timer;
};

/* A handle's rarely set identity, out of its header (ident.c). */
struct loop__ident {
    uint64_t id; /* the handle's (or task's) id; 0: a free slot */
    const char *name;
    uint64_t parent_task;
};

struct loop__idents {
    struct loop__ident *ent; /* open addressing, at most half full */
    uint32_t cap;            /* a power of two, or 0 */
    uint32_t len;
};

/* Per-fd table entry: which watcher owns an fd in this loop (io.c). */
struct loop__fd_ent {
    loop_io_t *io;
    uint32_t streak;     /* consecutive iterations io was reported ready */
    uint64_t ready_iter; /* the iteration (n_iterations) it last was */
};

struct loop_s {
    uint64_t id;
    uint64_t now_ns;
    uint64_t next_id;     /* deterministic id counter, shared by handles and tasks */
    uint64_t timer_seq;   /* start order, for equal-deadline ties */
    pthread_t thread;     /* the owning thread (the one that created or runs it) */
    unsigned running : 1; /* inside loop_run */
    unsigned stop : 1;
    unsigned debug : 1;
    unsigned leaks_reported : 1; /* loop_close() refused and said why: not again at exit */
    unsigned probe_checked : 1;  /* loop_run() looked again for a probe loaded after loop_new */
    int rounds_per_poll;
    loop__policy_t policy;

    size_t active;        /* active, referenced handles */
    size_t tasks_alive;   /* unfinished tasks (filled in by tasks) */

    loop_queue_t handles; /* every open handle, creation order */
    loop_queue_t pending; /* ready items for the next round */
    loop_queue_t round;   /* ready items of the round being run */
    loop_queue_t closing; /* handles whose close callback is due */

    struct loop__timer_heap timers;
    struct loop__idents idents; /* names and parent tasks, by id (ident.c); inspect_mu */

    /* poller */
    int epfd;
    struct loop__fd_ent *fds;
    int nfds;
    int io_watchers;      /* started I/O watchers */
    int epoll_stale;      /* a registration cannot be removed: rebuild the set */
    uint32_t io_gen;      /* last registration generation (io.c) */
    int io_sweep_fd;      /* where the next sweep step starts (io.c) */

    /* wakeups: one eventfd serves async handles, pool completions, signals */
    int wakefd;
    atomic_int wake_pending;
    loop_queue_t asyncs;  /* every async handle */

    /* thread-pool completions, guarded by done_mu */
    pthread_mutex_t done_mu;
    loop_queue_t done;
    size_t work_inflight;

    /* signals: watchers of this loop, by signal */
    loop_queue_t sigs;
    int sig_watchers;

    /* call-soon records */
    void *call_free;

    void *tasks;          /* task subsystem state (task.c), NULL until first spawn */
    struct loop__rr *rr;  /* record / replay / chaos state (record.c), NULL when off */
    uint64_t random_state; /* loop_random() when not recording */
    uint64_t random_seed;  /* loop_random()'s first state, in the trace's loop_new */
    uint64_t current_task; /* id of the running task, 0 outside tasks */
    uint64_t io_verify_ns; /* last sweep step checking that watched fds still exist */

    /* instrumentation (debug.c): nonzero sends dispatch through the slow path */
    unsigned instrument;
    /* Nonzero when anything watches dispatch: instrument, record/replay/chaos
     * (rr), or the trace probe loaded (a session may start). Zero: the
     * scheduler and the call-soon restart take their plain path, which has no
     * tracepoint, recorder, debug or inspection-lock work (sched.c). Set by
     * loop__update_instrument(). */
    unsigned hooked;
    uint64_t slow_ns;
    loop_error_handler err_fn;
    void *err_ud;
    struct loop__debug *dbg;      /* creation backtraces, recent slow callbacks */
    loop_stats_t stats;           /* guarded by inspect_mu while a monitor runs */
    /* written by the loop thread only, read by monitor and watchdog: relaxed atomics */
    atomic_uint_fast64_t n_callbacks;
    atomic_uint_fast64_t n_iterations;
    /* what the loop thread is dispatching, for the watchdog and monitor */
    atomic_uint_fast64_t cur_start_ns; /* 0 when not dispatching */
    atomic_uint_fast64_t cur_id;
    atomic_int cur_kind;
    atomic_uint_fast64_t dispatch_seq;
    pthread_t run_thread;         /* the thread inside loop_run */
    struct loop__monitor *monitor;   /* monitor.c */
    struct loop__watchdog *watchdog; /* watchdog.c */
    /* Taken around changes of the task and handle tables while a monitor
     * runs, so that it reads them consistently even when the loop is blocked. */
    pthread_mutex_t inspect_mu;
    /* Inspection by the monitor (monitor_cmd.c, core-c): it copies rows under
     * inspect_mu in short chunks and formats them outside the lock. */
    atomic_int inspect_waiting;   /* threads blocked on inspect_mu: a chunk ends at once */
    loop_queue_t *inspect_cursor; /* a chunked walk's next node; unlinks move it; inspect_mu */
    uint64_t inspect_wait_ns;     /* the loop thread's time waiting for inspect_mu; inspect_mu */
    uint64_t inspect_wait_max_ns; /* ... its longest wait; inspect_mu */
    unsigned init_internal : 1;   /* the next loop__handle_init() makes an internal handle */
    uint64_t init_parent;         /* ... owned by this task */
    loop_queue_t registry_node;   /* in the process's list of live loops */
    loop_signal_t dump_signal;    /* LOOP_DUMP_SIGNAL: dump the tables to stderr */
    struct loop__hist lag;        /* timers: fired this late (instrumented); inspect_mu */

    /* signals received for this loop, by number (set by any loop's reader) */
    atomic_uint sig_pending[65];
    atomic_uint_fast64_t sig_pending_mask;
};

/* loop.c */
bool loop__on_loop_thread(const loop_t *loop);
void loop__env_init(loop_t *loop); /* env.c: LOOP_* variables */
/* env.c: the one parser of LOOP_* variables (docs/environment.md). Unset or
 * empty: *out = dflt, 0. A bad value: one error line (once per variable),
 * *out = dflt, -EINVAL. Thread-safe. */
int loop__env_long(const char *name, long min, long max, long dflt, long *out);
bool loop__env_flag(const char *name); /* 0/1, yes/no, on/off, true/false */
int loop__env_signal(const char *name, int dflt, int *out); /* USR1, RTMIN+3, 10 */
/* The index of the value in the NULL-terminated choices (dflt if unset or refused). */
int loop__env_choice(const char *name, const char *const *choices, int dflt);
void loop__random_init(loop_t *loop); /* record.c: loop_random()'s seed, after env init */
/* Read the clock into loop->now_ns: a record of type LOOP__REC_ITER or _CLOCK
 * when recording, the recorded value when replaying (record.c). */
void loop__time_update(loop_t *loop, int rec_type);
void loop__wake(loop_t *loop); /* thread-safe */

/* handle.c */
/* 0, or -ENOMEM (the handle is then not initialized; nothing to undo). */
int loop__handle_init(loop_t *loop, loop_handle_t *h, int kind, const loop_site_t *site);
void loop__handle_start(loop_handle_t *h);
void loop__handle_stop(loop_handle_t *h);
int loop__handle_check(const loop_handle_t *h, int kind, const char *api);
void loop__run_closing(loop_t *loop);
/* Log every open handle and unfinished task (grouped by site); their count. */
size_t loop__report_open(loop_t *loop);
void loop__report_handles(loop_t *loop, size_t total); /* report.c */
/* report.c: debug mode, a finished task: a failure nobody will retrieve. */
void loop__report_unretrieved(const loop_task_t *t);
/* A misuse of the API on a handle: reported in debug mode, silent otherwise. */
void loop__misuse(loop_t *loop, const loop_handle_t *h, const char *api, const char *what);
/* task.c: unfinished tasks logged at loop_close; their count. */
size_t loop__tasks_report_open(loop_t *loop);
void loop__tasks_report_stuck(loop_t *loop);
/*
 * The same moment as a trace fact for loop-analyze: libloop:loop_stuck with
 * the count and the first ids of the unfinished tasks (task/task_stuck.c).
 * Costs nothing when the event is off.
 */
void loop__tasks_trace_stuck(loop_t *loop);
void loop__tasks_free(loop_t *loop);
uint64_t loop__current_task_id(const loop_t *loop);

/* ident.c: names and parent tasks of the handles (and tasks) that have one.
 * Changes on the loop thread, under inspect_mu. */
const struct loop__ident *loop__ident_find(const loop_t *loop, uint64_t id);
int loop__ident_grow(loop_t *loop, uint32_t more); /* via loop__ident_reserve() */

/* Room for `more` new entries: the next that many loop__ident_set() of
 * handles without an entry cannot fail. 0 or -ENOMEM. */
static inline int loop__ident_reserve(loop_t *loop, uint32_t more)
{
    if (LOOP_LIKELY((uint64_t)(loop->idents.len + more) * 2 <= loop->idents.cap)) {
        return 0;
    }
    return loop__ident_grow(loop, more);
}
/* Set h's name and parent task (both NULL/0: drop its entry); 0 or -ENOMEM. */
int loop__ident_set(loop_t *loop, loop_handle_t *h, const char *name, uint64_t parent_task);
void loop__ident_del(loop_t *loop, loop_handle_t *h); /* via loop__ident_drop() */
/* The entry of a closed handle, after its close callback (which may free it). */
void loop__ident_del_id(loop_t *loop, uint64_t id);
void loop__ident_free(loop_t *loop);
uint64_t loop__call_parent(const loop_handle_t *h); /* defer.c: a call-soon record's task */

/* h is closed or freed: its entry goes (a flag test when it has none). */
static inline void loop__ident_drop(loop_t *loop, loop_handle_t *h)
{
    if (LOOP_UNLIKELY(h->flags & LOOP__H_IDENT)) {
        loop__ident_del(loop, h);
    }
}

/* h's name, or NULL. Also on the scheduler's stack copy (loop, id, flags). */
static inline const char *loop__h_name(const loop_handle_t *h)
{
    const struct loop__ident *e;

    if (LOOP_LIKELY(!(h->flags & LOOP__H_IDENT))) {
        return NULL;
    }
    e = loop__ident_find(h->loop, h->id);
    return e != NULL ? e->name : NULL;
}

/* h's name, or "" (for messages). */
static inline const char *loop__h_label(const loop_handle_t *h)
{
    const char *name = loop__h_name(h);

    return name != NULL ? name : "";
}

/* The id of the task that created h, or 0. libloop's own handles owned by a
 * task (loop__handle_next_internal(): a task's timer, task I/O watchers) keep
 * it in their data field, which no user reads: no table entry per task. */
static inline uint64_t loop__h_parent(const loop_handle_t *h)
{
    const struct loop__ident *e;

    if (LOOP_UNLIKELY(h->flags & LOOP__H_CALL)) {
        return loop__call_parent(h);
    }
    if (LOOP_LIKELY(!(h->flags & LOOP__H_IDENT))) {
        return (h->flags & LOOP__H_INTERNAL) ? (uint64_t)(uintptr_t)h->data : 0;
    }
    e = loop__ident_find(h->loop, h->id);
    return e != NULL ? e->parent_task : 0;
}

/* sched.c: the choke point */
void loop__sched_push(loop_t *loop, loop_handle_t *h);
void loop__sched_remove(loop_t *loop, loop_handle_t *h);
int loop__sched_run_rounds(loop_t *loop);
void loop__dispatch(loop_t *loop, loop_handle_t *h);

/* timer.c */
void loop__timers_run(loop_t *loop);
/* Whether loop__timers_run() has a timer to fire: the iteration calls it only
 * then (issue 20: no call per iteration when none is due). */
static inline bool loop__timers_due(const loop_t *loop)
{
    return loop->timers.len > 0 && loop->timers.ent[0].due_ns <= loop->now_ns;
}
int64_t loop__timers_next_timeout_ns(const loop_t *loop);
void loop__timers_free(loop_t *loop);
void loop__timer_dispatch(loop_timer_t *t);

/* io.c / poll_epoll.c */
int loop__poll_init(loop_t *loop);
void loop__poll_free(loop_t *loop);
int loop__poll(loop_t *loop, int64_t timeout_ns);
void loop__io_dispatch(loop_io_t *io);
void loop__io_ready(loop_t *loop, int fd, uint32_t gen, uint32_t epoll_events);
void loop__io_sweep(loop_t *loop);
/* One-shot registrations for tasks waiting on fds (io.c, used by task_io.c). */
#define LOOP__IO_ONESHOT 0x100 /* in loop_io_t.events */
int loop__io_arm(loop_io_t *io, loop_io_cb cb, int events);
void loop__io_disarm(loop_io_t *io);
void loop__poll_rebuild(loop_t *loop);
void loop__io_rebuild(loop_t *loop, int epfd);
void loop__signal_rebuild(loop_t *loop, int epfd);
int loop__signal_start_internal(loop_t *loop, loop_signal_t *s, loop_signal_cb cb, int signum);
void loop__signal_stop_internal(loop_signal_t *s);
void loop__signal_read(loop_t *loop); /* signal.c: the signal self-pipe is readable */

/* A sweep step checks at most SWEEP_MAX registrations among SWEEP_SCAN fd
 * table slots every VERIFY_MS of loop time (io.c). */
#define LOOP__IO_VERIFY_MS 1000
#define LOOP__IO_SWEEP_MAX 64
#define LOOP__IO_SWEEP_SCAN 4096

/* epoll_event.data tags (bits 32..39) */
enum { LOOP__TAG_IO = 0, LOOP__TAG_WAKE = 1, LOOP__TAG_SIGNAL = 2 };
void loop__io_forget(loop_io_t *io);

/* signal.c */
int loop__signal_loop_init(loop_t *loop);
void loop__signal_loop_free(loop_t *loop);
int loop__signal_fork(loop_t *loop); /* loop_fork: register again in a child */
void loop__pool_fork(loop_t *loop);    /* pool.c: cancel this loop's work in a child */
int loop__watchdog_fork(loop_t *loop); /* watchdog.c: restart in a child */
void loop__signal_collect(loop_t *loop);
void loop__signal_dispatch(loop_signal_t *s);

/* defer.c */
void loop__defer_dispatch(loop_defer_t *d);
void loop__call_free_all(loop_t *loop);
/* A defer handle's callback (not a call-soon record, LOOP__H_CALL): inline in
 * the scheduler's plain path. A defer that re-starts itself from its callback
 * (the common chain) stays active throughout: it is stopped only if the
 * callback did not queue it again. */
static inline void loop__defer_run(loop_defer_t *d)
{
    loop_handle_t *h = &d->handle;

    ((loop_defer_cb)h->cb)(d);
    if ((h->flags & (LOOP__H_ACTIVE | LOOP__H_QUEUED | LOOP__H_CLOSING)) == LOOP__H_ACTIVE) {
        loop__handle_stop(h);
    }
}

/* async.c */
void loop__async_collect(loop_t *loop);
void loop__async_dispatch(loop_async_t *a);
void loop__async_close(loop_async_t *a);
/* libloop's own async handles: no id, never active, freed at once (async.c). */
void loop__async_init_internal(loop_t *loop, loop_async_t *a, loop_async_cb cb, const char *name);
void loop__async_free_internal(loop_t *loop, loop_async_t *a);

/* pool.c */
void loop__pool_collect(loop_t *loop);
void loop__work_dispatch(loop_work_t *w);

/* debug.c */
uint64_t loop__dispatch_begin(loop_t *loop, const loop_handle_t *ref);
void loop__dispatch_end(loop_t *loop, const loop_handle_t *ref, uint64_t t0);
size_t loop__debug_slow_list(loop_t *loop,
                             void (*fn)(void *arg, uint64_t id, int kind, const char *name,
                                        const loop_site_t *site, uint64_t duration_ns,
                                        uint64_t at_ns),
                             void *arg);
void loop__debug_handle_new(loop_t *loop, uint64_t id);   /* creation backtrace */
void loop__debug_handle_gone(loop_t *loop, uint64_t id);
size_t loop__debug_backtrace_count(const loop_t *loop); /* live creation backtraces */
void loop__debug_print_backtrace(loop_t *loop, uint64_t id, loop_log_level_t level);
void loop__debug_init(loop_t *loop);
void loop__debug_free(loop_t *loop);
void loop__update_instrument(loop_t *loop);
/* The error handler path: every error the loop reports goes through it. */
void loop__error(loop_t *loop, int err, uint64_t task_id, const loop_handle_t *h,
                 const loop_site_t *site, const char *msg);

/*
 * Whether dispatch goes through the instrumented path (debug mode, monitor,
 * watchdog). -DLOOP_NO_INSTRUMENT compiles the check out: only to measure
 * what debug mode costs when off (bench/debug_overhead.sh).
 */
#ifdef LOOP_NO_INSTRUMENT
#define LOOP__INSTRUMENTED(loop) ((void)(loop), 0)
#else
#define LOOP__INSTRUMENTED(loop) LOOP_UNLIKELY((loop)->instrument)
#endif

/* One writer: a relaxed load and store, no locked instruction. */
static inline void loop__count(atomic_uint_fast64_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* sched.c: inspect_mu is busy: announce it (the monitor ends its chunk), spin briefly, block. */
void loop__inspect_lock_wait(loop_t *loop);

static inline void loop__inspect_lock(loop_t *loop)
{
    if (LOOP_UNLIKELY(loop->monitor != NULL) && pthread_mutex_trylock(&loop->inspect_mu) != 0) {
        loop__inspect_lock_wait(loop);
    }
}

static inline void loop__inspect_unlock(loop_t *loop)
{
    if (LOOP_UNLIKELY(loop->monitor != NULL)) {
        pthread_mutex_unlock(&loop->inspect_mu);
    }
}

/*
 * Inline fronts of the scheduler's and the handle's hottest helpers (issue
 * 20). With nothing hooked (loop->hooked == 0: no monitor, so no inspection
 * lock to take; no probe, so no tracepoint to reach) each is a flag test and
 * a list or counter update; otherwise the full function. Same contracts as
 * loop__sched_push/remove and loop__handle_start/stop.
 */
static inline void loop__sched_push_fast(loop_t *loop, loop_handle_t *h)
{
    if (LOOP_LIKELY(!loop->hooked)) {
        if (!(h->flags & LOOP__H_QUEUED)) {
            h->flags |= LOOP__H_QUEUED;
            loop__queue_insert_tail(&loop->pending, &h->ready);
        }
        return;
    }
    loop__sched_push(loop, h);
}

static inline void loop__sched_remove_fast(loop_t *loop, loop_handle_t *h)
{
    if (LOOP_LIKELY(!loop->hooked)) {
        if (h->flags & LOOP__H_QUEUED) {
            h->flags &= (uint8_t)~LOOP__H_QUEUED;
            loop__queue_remove(&h->ready);
        }
        return;
    }
    loop__sched_remove(loop, h);
}

static inline void loop__handle_start_fast(loop_handle_t *h)
{
    loop_t *loop = h->loop;

    if (LOOP_LIKELY(!loop->hooked)) {
        if (!(h->flags & LOOP__H_ACTIVE)) {
            h->flags |= LOOP__H_ACTIVE;
            loop->active++;
        }
        return;
    }
    loop__handle_start(h);
}

static inline void loop__handle_stop_fast(loop_handle_t *h)
{
    loop_t *loop = h->loop;

    if (LOOP_LIKELY(!loop->hooked)) {
        if (h->flags & LOOP__H_ACTIVE) {
            h->flags &= (uint8_t)~LOOP__H_ACTIVE;
            loop->active--;
        }
        return;
    }
    loop__handle_stop(h);
}

/*
 * loop__handle_init() when nothing is hooked (no monitor: no inspection lock;
 * no debug mode: no creation backtrace; no probe: no tracepoint) and the
 * handle has no parent task: the header's stores and the append to
 * loop->handles, inline (issue 20: timers and pool jobs create one each).
 */
static inline int loop__handle_init_fast(loop_t *loop, loop_handle_t *h, int kind,
                                         const loop_site_t *site)
{
    if (LOOP_LIKELY(!loop->hooked && !loop->init_internal && loop->current_task == 0)) {
        h->loop = loop;
        h->site = site;
        h->id = ++loop->next_id;
        h->kind = (uint8_t)kind;
        h->flags = 0;
        h->magic = LOOP__MAGIC_OPEN;
        h->aux = 0;
        h->cb = NULL;
        loop__queue_init(&h->ready);
        loop__queue_insert_tail(&loop->handles, &h->all);
        return 0;
    }
    return loop__handle_init(loop, h, kind, site);
}

/*
 * Unlink a node from the task list or loop->handles (caller holds inspect_mu
 * when a monitor runs): a chunked monitor walk paused on this node resumes at
 * the next one, so it never reads a node after it left the list.
 */
static inline void loop__inspect_unlink(loop_t *loop, loop_queue_t *node)
{
    if (LOOP_UNLIKELY(loop->inspect_cursor == node)) {
        loop->inspect_cursor = node->next;
    }
    loop__queue_remove(node);
}
/* handle.c: take h out of loop->handles under inspect_mu (task_io.c, pool.c, close). */
void loop__handle_unlink(loop_handle_t *h);

/* The same when nothing is hooked (no monitor: no lock, no paused walk). */
static inline void loop__handle_unlink_fast(loop_handle_t *h)
{
    if (LOOP_LIKELY(!h->loop->hooked)) {
        loop__queue_remove(&h->all);
        loop__ident_drop(h->loop, h);
        return;
    }
    loop__handle_unlink(h);
}
/* handle.c: the next loop__handle_init() on loop makes an internal handle of task
 * parent_task, flagged before it is listed (a task's timer, task_io.c's watchers). */
void loop__handle_next_internal(loop_t *loop, uint64_t parent_task);

/* monitor.c / watchdog.c: stop their threads when the loop closes */
void loop__monitor_free(loop_t *loop);
void loop__watchdog_free(loop_t *loop);

/* task.c: run a task step; rounds: how many loop__sched_run_rounds() has run.
 * Returns how many more a chain of direct task hand-overs started (sched.c). */
int loop__task_dispatch(loop_handle_t *h, int rounds);
/* Around loop_run(): the thread's current task is none inside, the caller's after. */
void *loop__task_run_enter(void);
void loop__task_run_exit(void *outer);
/* task/stack.c (also in stack.h): this thread's alternate signal stack for
 * task overflow reports; loop_run calls it on the thread that runs tasks. */
int loop__stack_thread_init(void);

/* log.c */
void loop__logv(loop_log_level_t level, const char *fmt, va_list ap);
void loop__report_error(loop_t *loop, int err, const loop_handle_t *h, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));


#endif /* LOOP_INTERNAL_H */
