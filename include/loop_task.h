/*
 * loop_task.h — stackful tasks and what they await. Included by loop.h.
 *
 * A task is a coroutine with its own stack (mmap'd, a guard page below it,
 * LOOP_STACK_KB default 64) that runs on its loop's thread, one step at a
 * time: a step runs until the task awaits something. Every await:
 *  - may only be called from inside a task (elsewhere it returns -EPERM;
 *    loop_read, loop_write and loop_accept, outside a task, try once and
 *    return -EAGAIN instead of waiting, so callbacks can use them too);
 *  - records what it waits on (kind, object id) and where (its call site);
 *  - takes a timeout in ms (LOOP_FOREVER: none; 0: poll) and returns
 *    -ETIMEDOUT when it expires;
 *  - returns -ECANCELED when the task is cancelled while waiting, or was
 *    cancelled before it got there (unless the task shields itself).
 * Task functions return a non-negative result (done) or a negative errno
 * (failed); a task that returns -ECANCELED after being cancelled is cancelled.
 */
#ifndef LOOP_TASK_H
#define LOOP_TASK_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOOP_FOREVER ((int64_t)-1)

typedef struct loop_task_s loop_task_t;
typedef struct loop_future_s loop_future_t;
typedef struct loop_event_s loop_event_t;
typedef struct loop_lock_s loop_lock_t;
typedef struct loop_chan_s loop_chan_t;
typedef struct loop_group_s loop_group_t;

typedef intptr_t (*loop_task_fn)(void *arg);

typedef enum loop_task_state {
    LOOP_TASK_NEW = 0,
    LOOP_TASK_READY = 1,
    LOOP_TASK_RUNNING = 2,
    LOOP_TASK_WAITING = 3,
    LOOP_TASK_DONE = 4,
    LOOP_TASK_CANCELLED = 5,
    LOOP_TASK_FAILED = 6,
} loop_task_state_t;

typedef enum loop_wait_kind {
    LOOP_WAIT_NONE = 0,
    LOOP_WAIT_SLEEP = 1,
    LOOP_WAIT_YIELD = 2,
    LOOP_WAIT_FD = 3,
    LOOP_WAIT_JOIN = 4,
    LOOP_WAIT_FUTURE = 5,
    LOOP_WAIT_EVENT = 6,
    LOOP_WAIT_LOCK = 7,
    LOOP_WAIT_CHAN_SEND = 8,
    LOOP_WAIT_CHAN_RECV = 9,
    LOOP_WAIT_WORK = 10,
    LOOP_WAIT_GROUP = 11,
    LOOP_WAIT_MAX
} loop_wait_kind_t;

LOOP_API const char *loop_task_state_name(int state);
LOOP_API const char *loop_wait_kind_name(int kind);

/* Tasks ------------------------------------------------------------------ */

/*
 * Create a task that runs fn(arg) on loop, starting in the next round. name
 * (may be NULL) must outlive the task. stack_kb 0 takes the loop default
 * (LOOP_STACK_KB, default 64). The parent is the task that spawns, if any.
 * Returns NULL with errno set (ENOMEM, EINVAL) on failure.
 * The task stays allocated until it is both finished and joined or detached.
 */
LOOP_API loop_task_t *loop_spawn_at(loop_t *loop, loop_task_fn fn, void *arg, const char *name,
                                    size_t stack_kb, const loop_site_t *site);
#define loop_spawn(loop, fn, arg, name) loop_spawn_at((loop), (fn), (arg), (name), 0, LOOP_SITE())
#define loop_spawn_stack(loop, fn, arg, name, stack_kb)                                   \
    loop_spawn_at((loop), (fn), (arg), (name), (stack_kb), LOOP_SITE())

/* The running task of the calling thread, or NULL outside tasks. */
LOOP_API loop_task_t *loop_task_current(void);
LOOP_API uint64_t loop_task_id(const loop_task_t *t);
LOOP_API const char *loop_task_name(const loop_task_t *t);
LOOP_API loop_task_state_t loop_task_state(const loop_task_t *t);
LOOP_API loop_t *loop_task_loop(const loop_task_t *t);

/*
 * Wait for t to finish; its result in *result (may be NULL). Returns 0 when
 * it is done, its error when it failed, -ECANCELED when it was cancelled (or
 * the caller was), -ETIMEDOUT. Joining finished t releases it: join once.
 * -EDEADLK when a task joins itself.
 */
LOOP_API int loop_join_at(loop_task_t *t, intptr_t *result, int64_t timeout_ms,
                          const loop_site_t *site);
#define loop_join(t, result, timeout_ms) loop_join_at((t), (result), (timeout_ms), LOOP_SITE())
/* Nobody will join t: release it when it finishes. Callable from anywhere on the loop thread. */
LOOP_API int loop_task_detach(loop_task_t *t);

/*
 * Cancel t: wake it at its current await with -ECANCELED (at its next await
 * if it is not waiting, or right away if it never ran). 0, or -EALREADY if it
 * finished. Callable from tasks and callbacks.
 */
LOOP_API int loop_task_cancel(loop_task_t *t);
/* Shield the running task from cancellation (on=1) or stop (on=0); nests. */
LOOP_API int loop_task_shield(int on);

/* Awaits ----------------------------------------------------------------- */

LOOP_API int loop_sleep_at(int64_t ms, const loop_site_t *site);
#define loop_sleep(ms) loop_sleep_at((ms), LOOP_SITE())
/* Let every other ready item run once; back in the next round. */
LOOP_API int loop_yield_at(const loop_site_t *site);
#define loop_yield() loop_yield_at(LOOP_SITE())

/* Wait for fd readiness (LOOP_READABLE/LOOP_WRITABLE); the events seen, or negative. */
LOOP_API int loop_wait_fd_at(int fd, int events, int64_t timeout_ms, const loop_site_t *site);
#define loop_wait_fd(fd, ev, timeout_ms) loop_wait_fd_at((fd), (ev), (timeout_ms), LOOP_SITE())
/* Read what is available (at least 1 byte, waiting for it), 0 at end of file. fd non-blocking. */
LOOP_API ssize_t loop_read_at(int fd, void *buf, size_t len, int64_t timeout_ms,
                              const loop_site_t *site);
#define loop_read(fd, buf, len, timeout_ms) loop_read_at((fd), (buf), (len), (timeout_ms), LOOP_SITE())
/* Write all len bytes, waiting as needed; len, or negative (bytes written before a timeout are lost to the count). */
LOOP_API ssize_t loop_write_at(int fd, const void *buf, size_t len, int64_t timeout_ms,
                               const loop_site_t *site);
#define loop_write(fd, buf, len, timeout_ms) loop_write_at((fd), (buf), (len), (timeout_ms), LOOP_SITE())
/* Accept a connection: a new non-blocking, close-on-exec fd, or negative (-EMFILE...). */
LOOP_API int loop_accept_at(int fd, struct sockaddr *addr, socklen_t *addrlen, int64_t timeout_ms,
                            const loop_site_t *site);
#define loop_accept(fd, addr, len, timeout_ms) loop_accept_at((fd), (addr), (len), (timeout_ms), LOOP_SITE())
/* Connect a non-blocking socket: 0 or negative. */
LOOP_API int loop_connect_at(int fd, const struct sockaddr *addr, socklen_t addrlen,
                             int64_t timeout_ms, const loop_site_t *site);
#define loop_connect(fd, addr, len, timeout_ms) loop_connect_at((fd), (addr), (len), (timeout_ms), LOOP_SITE())

/* Run fn(arg) on the thread pool and wait for its result. On timeout or
 * cancel the work still finishes on its thread; its result is dropped. */
LOOP_API int loop_run_blocking_at(intptr_t (*fn)(void *arg), void *arg, intptr_t *result,
                                  int64_t timeout_ms, const loop_site_t *site);
#define loop_run_blocking(fn, arg, result, timeout_ms)                                    \
    loop_run_blocking_at((fn), (arg), (result), (timeout_ms), LOOP_SITE())

/* Futures: one value or one error, set once, awaited by any number --------- */

LOOP_API loop_future_t *loop_future_new_at(loop_t *loop, const loop_site_t *site);
#define loop_future_new(loop) loop_future_new_at((loop), LOOP_SITE())
LOOP_API loop_future_t *loop_future_ref(loop_future_t *f);
/* Drop a reference; the last one frees the future. */
LOOP_API void loop_future_unref(loop_future_t *f);
/* From any task or callback on the loop thread. -EALREADY if already settled. */
LOOP_API int loop_future_resolve(loop_future_t *f, intptr_t value);
LOOP_API int loop_future_fail(loop_future_t *f, int err);
/* 1 when settled. */
LOOP_API int loop_future_done(const loop_future_t *f);
/* Settled value: 0 and *value, or the error; -EAGAIN while pending. For callbacks. */
LOOP_API int loop_future_result(const loop_future_t *f, intptr_t *value);
/* Call cb(f, arg) (as a call-soon) once f is settled. */
LOOP_API int loop_future_on_done(loop_future_t *f, void (*cb)(loop_future_t *f, void *arg),
                                 void *arg);
LOOP_API int loop_future_await_at(loop_future_t *f, intptr_t *value, int64_t timeout_ms,
                                  const loop_site_t *site);
#define loop_future_await(f, value, timeout_ms) loop_future_await_at((f), (value), (timeout_ms), LOOP_SITE())
LOOP_API uint64_t loop_future_id(const loop_future_t *f);

/* Events -------------------------------------------------------------------- */

LOOP_API loop_event_t *loop_event_new_at(loop_t *loop, const loop_site_t *site);
#define loop_event_new(loop) loop_event_new_at((loop), LOOP_SITE())
/* -EBUSY while tasks wait on it. */
LOOP_API int loop_event_free(loop_event_t *e);
LOOP_API int loop_event_set(loop_event_t *e);
LOOP_API int loop_event_clear(loop_event_t *e);
LOOP_API int loop_event_is_set(const loop_event_t *e);
LOOP_API int loop_event_wait_at(loop_event_t *e, int64_t timeout_ms, const loop_site_t *site);
#define loop_event_wait(e, timeout_ms) loop_event_wait_at((e), (timeout_ms), LOOP_SITE())

/*
 * Locks: owned by a task, FIFO hand-off, not recursive -------------------
 *
 * Robust, like a pthread robust mutex: a task that ends (returns, fails or
 * is cancelled) while holding a lock abandons it. The lock's first waiter,
 * woken at once, or else its next acquirer, gets it with -EOWNERDEAD: it
 * owns the lock (and must release it) but the state the lock guards may be
 * half-changed. Told once per abandonment; debug mode logs "Lock abandoned"
 * with the lock's id and site and the owner's id and name, and the trace
 * has a lock_abandoned event.
 */

LOOP_API loop_lock_t *loop_lock_new_at(loop_t *loop, const loop_site_t *site);
#define loop_lock_new(loop) loop_lock_new_at((loop), LOOP_SITE())
/* -EBUSY while owned or waited on. */
LOOP_API int loop_lock_free(loop_lock_t *l);
/* 0, or -EOWNERDEAD (acquired; its previous owner ended holding it), -EDEADLK when the
 * caller already holds it, -ETIMEDOUT, -ECANCELED, -EPERM outside a task. */
LOOP_API int loop_lock_acquire_at(loop_lock_t *l, int64_t timeout_ms, const loop_site_t *site);
#define loop_lock_acquire(l, timeout_ms) loop_lock_acquire_at((l), (timeout_ms), LOOP_SITE())
/* -EPERM unless the calling task holds it. */
LOOP_API int loop_lock_release(loop_lock_t *l);
/* The owning task, or NULL (never a task that has finished). */
LOOP_API loop_task_t *loop_lock_owner(const loop_lock_t *l);

/* Channels: bounded FIFO of intptr_t --------------------------------------- */

LOOP_API loop_chan_t *loop_chan_new_at(loop_t *loop, size_t capacity, const loop_site_t *site);
#define loop_chan_new(loop, cap) loop_chan_new_at((loop), (cap), LOOP_SITE())
LOOP_API int loop_chan_free(loop_chan_t *c);
/* -EPIPE once closed. */
LOOP_API int loop_chan_send_at(loop_chan_t *c, intptr_t v, int64_t timeout_ms,
                               const loop_site_t *site);
#define loop_chan_send(c, v, timeout_ms) loop_chan_send_at((c), (v), (timeout_ms), LOOP_SITE())
/* -EPIPE when closed and drained. */
LOOP_API int loop_chan_recv_at(loop_chan_t *c, intptr_t *v, int64_t timeout_ms,
                               const loop_site_t *site);
#define loop_chan_recv(c, v, timeout_ms) loop_chan_recv_at((c), (v), (timeout_ms), LOOP_SITE())
/* Non-blocking forms, usable from callbacks: -EAGAIN instead of waiting. */
LOOP_API int loop_chan_try_send(loop_chan_t *c, intptr_t v);
LOOP_API int loop_chan_try_recv(loop_chan_t *c, intptr_t *v);
/* Wake every waiter: senders get -EPIPE, receivers drain then get -EPIPE. */
LOOP_API int loop_chan_close(loop_chan_t *c);
LOOP_API size_t loop_chan_len(const loop_chan_t *c);

/* Groups: structured concurrency ----------------------------------------- */

LOOP_API loop_group_t *loop_group_new_at(loop_t *loop, const loop_site_t *site);
#define loop_group_new(loop) loop_group_new_at((loop), LOOP_SITE())
/* Spawn a child owned by the group (released by the group when it finishes). */
LOOP_API loop_task_t *loop_group_spawn_at(loop_group_t *g, loop_task_fn fn, void *arg,
                                          const char *name, const loop_site_t *site);
#define loop_group_spawn(g, fn, arg, name) loop_group_spawn_at((g), (fn), (arg), (name), LOOP_SITE())
/*
 * Wait until every child finished. When one fails, the others are cancelled
 * and its error is returned. On timeout or cancellation of the waiter, the
 * children are cancelled and waited for before it returns: leaving never
 * leaves a child running. 0 when all succeeded.
 */
LOOP_API int loop_group_wait_at(loop_group_t *g, int64_t timeout_ms, const loop_site_t *site);
#define loop_group_wait(g, timeout_ms) loop_group_wait_at((g), (timeout_ms), LOOP_SITE())
/* Cancel every running child. */
LOOP_API int loop_group_cancel(loop_group_t *g);
/* -EBUSY while children run. */
LOOP_API int loop_group_free(loop_group_t *g);
LOOP_API size_t loop_group_running(const loop_group_t *g);

/* Inspection ------------------------------------------------------------- */

typedef struct loop_task_info {
    uint64_t id;
    uint64_t parent_id;
    const char *name;
    loop_task_state_t state;
    loop_wait_kind_t wait_kind;  /* when waiting */
    uint64_t wait_obj_id;        /* the object waited on (fd number for LOOP_WAIT_FD) */
    uint64_t wait_task_id;       /* for a join: the task; for a lock: its owner; else 0 */
    uint64_t since_ns;           /* loop time the current state began */
    int64_t timeout_ms;          /* of the current wait, LOOP_FOREVER if none */
    const loop_site_t *wait_site;   /* where it is suspended */
    const loop_site_t *create_site; /* where it was spawned */
    int error;                   /* when failed */
    uint64_t steps;              /* steps run so far */
    uint64_t run_ns;             /* time spent running (measured in debug mode or with a
                                    monitor or watchdog, else 0) */
    /* Also measured only then, from log2 histograms (a percentile is the upper
     * bound of its bucket): step time, and delay from ready to running. */
    uint64_t step_p50_ns, step_p99_ns, step_max_ns;
    uint64_t delay_p50_ns, delay_p99_ns, delay_max_ns;
} loop_task_info_t;

LOOP_API int loop_task_info(const loop_task_t *t, loop_task_info_t *out);

/*
 * Debug mode: the task's backtrace at its last suspension (where it awaits):
 * up to max return addresses in frames; their count, 0 when none was taken.
 * Symbolize with backtrace_symbols(). Loop thread (or under the monitor).
 */
LOOP_API int loop_task_backtrace(const loop_task_t *t, void **frames, int max);

/* Who asked for a task's cancellation (loop_task_done_info_t.cancel_source). */
typedef enum loop_cancel_source {
    LOOP_CANCEL_NONE = 0, /* not cancelled */
    LOOP_CANCEL_TASK,     /* loop_task_cancel() from a task: cancelled_by names it */
    LOOP_CANCEL_CALLBACK, /* loop_task_cancel() from a callback or outside the loop */
    LOOP_CANCEL_MONITOR,  /* the monitor (`loopctl cancel ID`), or its replay */
} loop_cancel_source_t;

/* A finished task, as remembered in the bounded history (debug mode or monitor). */
typedef struct loop_task_done_info {
    uint64_t id;
    uint64_t parent_id;
    const char *name;
    loop_task_state_t state;       /* done, cancelled or failed */
    int error;
    uint64_t cancelled_by;         /* the task that cancelled it, 0 if none or a callback */
    const loop_site_t *create_site;
    uint64_t end_ns;               /* loop time it finished */
    uint64_t steps;
    loop_cancel_source_t cancel_source; /* who asked for the cancellation (state cancelled
                                         * or not: a cancelled task may still end done) */
} loop_task_done_info_t;

/*
 * Visit the last finished tasks (up to 64, newest first), kept while debug
 * mode or a monitor is on. Stops early when fn returns non-zero.
 */
LOOP_API int loop_task_history(loop_t *loop, int (*fn)(const loop_task_done_info_t *d, void *arg),
                               void *arg);
/* Visit every unfinished (and unreleased) task in creation order. */
LOOP_API int loop_task_walk(loop_t *loop, int (*fn)(loop_task_t *t, void *arg), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* LOOP_TASK_H */
