/*
 * libloop — an event loop with stackful tasks, built to be traced, inspected
 * and replayed.
 *
 * Contracts that hold for the whole API:
 *  - Functions return 0 (or a size/count) on success and a negative errno
 *    value on failure; loop_strerror() names it. Bad arguments are answered
 *    with -EINVAL, never with an abort.
 *  - A call that fails never runs its callback.
 *  - A loop belongs to the thread that runs it. Only functions marked
 *    "thread-safe" may be called from another thread.
 *  - Handles are allocated by the caller and stay owned by the caller; close
 *    is asynchronous: the memory may be freed in (or after) the close callback.
 *  - Every creating call is a macro that records its call site (file, line,
 *    function) for the debugging features; the *_at() functions take the site
 *    explicitly for wrappers that want to pass their caller's site.
 */
#ifndef LOOP_H
#define LOOP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOOP_API __attribute__((visibility("default")))

#define LOOP_VERSION_MAJOR 0
#define LOOP_VERSION_MINOR 1

/* ---------------------------------------------------------------------- */
/* Call sites                                                              */

typedef struct loop_site_s {
    const char *file;
    const char *func;
    int line;
} loop_site_t;

/* A pointer to a static description of the current source line: free at run time. */
#define LOOP_SITE()                                                                      \
    __extension__({                                                                      \
        static const loop_site_t loop__site_ = {__FILE__, __func__, __LINE__};           \
        &loop__site_;                                                                    \
    })

/* ---------------------------------------------------------------------- */
/* Types                                                                   */

typedef struct loop_s loop_t; /* opaque */
typedef struct loop_handle_s loop_handle_t;
typedef struct loop_timer_s loop_timer_t;
typedef struct loop_io_s loop_io_t;
typedef struct loop_signal_s loop_signal_t;
typedef struct loop_defer_s loop_defer_t;
typedef struct loop_async_s loop_async_t;
typedef struct loop_work_s loop_work_t;

/* private: an intrusive doubly linked list node */
typedef struct loop_queue_s {
    struct loop_queue_s *next;
    struct loop_queue_s *prev;
} loop_queue_t;

typedef enum loop_kind {
    LOOP_KIND_NONE = 0,
    LOOP_KIND_TIMER = 1,
    LOOP_KIND_IO = 2,
    LOOP_KIND_SIGNAL = 3,
    LOOP_KIND_DEFER = 4,
    LOOP_KIND_ASYNC = 5,
    LOOP_KIND_WORK = 6,
    LOOP_KIND_TASK = 7,
    LOOP_KIND_CLOSE = 8, /* a close callback, as dispatched */
    LOOP_KIND_MAX
} loop_kind_t;

typedef void (*loop_close_cb)(loop_handle_t *h);
typedef void (*loop_timer_cb)(loop_timer_t *t);
typedef void (*loop_io_cb)(loop_io_t *io, int events);
typedef void (*loop_signal_cb)(loop_signal_t *s, int signum);
typedef void (*loop_defer_cb)(loop_defer_t *d);
typedef void (*loop_async_cb)(loop_async_t *a);
typedef void (*loop_work_fn)(loop_work_t *w);             /* runs on a pool thread */
typedef void (*loop_work_done_cb)(loop_work_t *w, int status); /* loop thread */
typedef void (*loop_call_fn)(loop_t *loop, void *arg);

/*
 * The header every handle starts with (80 bytes). Fields marked read-only may
 * be read at any time on the loop thread; private fields are libloop's. The
 * name and the creating task are rarely set, so they live in a per-loop side
 * table, not here: loop_handle_name(), loop_handle_parent_task().
 */
struct loop_handle_s {
    void *data;               /* public: for the user */
    loop_t *loop;             /* read-only */
    const loop_site_t *site;  /* read-only: where it was created */
    uint64_t id;              /* read-only: creation order within the loop, from 1 */
    uint8_t kind;             /* read-only: loop_kind_t */
    /* private */
    uint8_t flags;
    uint16_t magic;
    uint32_t aux;             /* a timer's heap index, an I/O watcher's fd generation */
    void (*cb)(void);         /* the kind's callback; the close callback once closing */
    loop_queue_t ready;       /* node in the ready queue / closing queue */
    loop_queue_t all;         /* node in the loop's handle list */
};

struct loop_timer_s {
    loop_handle_t handle; /* must be first */
    /* private */
    uint64_t due_ns;
    uint64_t repeat_ns; /* 96 bytes: the heap index lives in handle.aux, the start
                         * order in the heap entry */
};

struct loop_io_s {
    loop_handle_t handle; /* must be first */
    int fd;               /* read-only */
    int status;           /* read-only: 0, or -EBADF once the fd vanished */
    /* private */
    int events;           /* watched */
    int revents;          /* pending for dispatch */
    int registered;       /* events registered with the poller */
    uint64_t chaos_release_ns; /* chaos scheduling: readiness held back until then */
};

struct loop_signal_s {
    loop_handle_t handle; /* must be first */
    int signum;           /* read-only */
    /* private */
    uint32_t pending;
    loop_queue_t sig_node;
};

struct loop_defer_s {
    loop_handle_t handle; /* must be first */
};

struct loop_async_s {
    loop_handle_t handle; /* must be first */
    /* private */
    int pending; /* atomic */
    loop_queue_t async_node;
};

struct loop_work_s {
    loop_handle_t handle; /* must be first */
    /* private */
    loop_work_fn work;
    int status;
    int state; /* atomic */
    loop_queue_t pool_node;
};

/* ---------------------------------------------------------------------- */
/* Errors and logging                                                      */

/* A static string naming a negative errno value (or any libloop error). */
LOOP_API const char *loop_strerror(int err);
/* The symbolic name, e.g. "ETIMEDOUT". */
LOOP_API const char *loop_err_name(int err);

typedef enum loop_log_level {
    LOOP_LOG_DEBUG = 0,
    LOOP_LOG_INFO = 1,
    LOOP_LOG_WARN = 2,
    LOOP_LOG_ERROR = 3,
} loop_log_level_t;

/* Receives one complete line (without trailing newline). thread-safe callers. */
typedef void (*loop_log_sink)(loop_log_level_t level, const char *line, void *userdata);

/* Process-wide: replace the sink (NULL restores stderr) and the minimum level. */
LOOP_API void loop_log_set_sink(loop_log_sink sink, void *userdata);
LOOP_API void loop_log_set_level(loop_log_level_t level);
/* Log one line through the sink, prefixed "libloop: ". thread-safe. */
LOOP_API void loop_log(loop_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------------- */
/* The loop                                                                */

typedef enum loop_run_mode {
    LOOP_RUN_DEFAULT = 0, /* until stopped or nothing is active */
    LOOP_RUN_ONCE = 1,    /* one iteration, blocking in poll if nothing is ready */
    LOOP_RUN_NOWAIT = 2,  /* one iteration, never blocking */
} loop_run_mode_t;

/*
 * Create a loop owned by the calling thread. Reads LOOP_THREADPOOL_SIZE when
 * the pool starts. Returns NULL with errno set on failure.
 */
LOOP_API loop_t *loop_new(void);

/*
 * Run the loop. Returns 0 when nothing is active any more (or after
 * loop_stop() in DEFAULT mode with nothing active), 1 when handles or tasks are
 * still active after a ONCE/NOWAIT iteration or a stop, negative errno on error.
 * Not re-entrant: -EBUSY when called from inside a callback or task of the
 * same loop. Another loop may run inside a callback or a task (on the same
 * thread): its callbacks run in no task, and the calling task is current
 * again when loop_run() returns (its awaits work).
 */
LOOP_API int loop_run(loop_t *loop, loop_run_mode_t mode);

/* Make loop_run() return after the current iteration. */
LOOP_API void loop_stop(loop_t *loop);

/*
 * Free the loop. -EBUSY while handles are open or tasks unfinished; each one is
 * logged (kind, id, name, site), grouped by site when many share one. The loop
 * stays usable after -EBUSY.
 */
LOOP_API int loop_close(loop_t *loop);

/*
 * In the child of fork(), on the thread that forked: give loop what the
 * child cannot share with the parent (as libuv's uv_loop_fork): a new epoll
 * set with every started I/O watcher registered again, a new wakeup fd, its
 * signal watchers listening to the child's signals, the stall watchdog
 * restarted. The thread pool starts again on the child's next
 * loop_work_submit; work of this loop that was queued or running at the fork
 * completes in the child with -ECANCELED (it runs, or ran, in the parent).
 * Call it before using the loop in the child; without it the child's loop
 * shares the parent's epoll set. The monitor does not follow (start it again).
 * 0, -EINVAL, -EBUSY inside loop_run, or the errno of the failed call.
 */
LOOP_API int loop_fork(loop_t *loop);

/* Monotonic time in ns, cached at the start of each iteration. */
LOOP_API uint64_t loop_now(const loop_t *loop);
/* Refresh the cached time. */
LOOP_API void loop_update_time(loop_t *loop);

/* The loop's process-unique id (from 1, in creation order). */
LOOP_API uint64_t loop_id(const loop_t *loop);

/* Number of active handles plus unfinished tasks: what keeps loop_run() going. */
LOOP_API size_t loop_alive_count(const loop_t *loop);

/* Tunables, see loop_configure(). */
typedef enum loop_option {
    /*
     * Rounds of ready callbacks run per iteration before the loop polls I/O
     * (default 64, min 1). A round runs what was ready at its start; what a
     * round makes ready runs in the next round. A chain of call-soons thus
     * pays one epoll_wait per 64 hops, and I/O waits at most 64 rounds.
     */
    LOOP_OPT_ROUNDS_PER_POLL = 1,
} loop_option_t;

LOOP_API int loop_configure(loop_t *loop, loop_option_t opt, long value);

/*
 * A pseudo-random number from the loop's seeded generator. Recorded runs
 * store the seed, so a replayed run draws the same numbers: use it instead of
 * rand() for anything that decides what the program does.
 */
LOOP_API uint64_t loop_random(loop_t *loop);

/* Call-soon: run fn(loop, arg) in the next round, FIFO. -ENOMEM. */
LOOP_API int loop_call_soon_at(loop_t *loop, loop_call_fn fn, void *arg, const loop_site_t *site);
#define loop_call_soon(loop, fn, arg) loop_call_soon_at((loop), (fn), (arg), LOOP_SITE())

/* ---------------------------------------------------------------------- */
/* Handles                                                                 */

/* Close a handle; close_cb (may be NULL) runs on the loop thread afterwards. */
LOOP_API int loop_handle_close(loop_handle_t *h, loop_close_cb close_cb);
/* Give a handle a name (the string must outlive the handle; NULL: no name).
 * 0; -EINVAL (NULL handle); -EBADF (closed, or a work request that finished);
 * -ENOMEM (the name could not be kept: none then). */
LOOP_API int loop_handle_set_name(loop_handle_t *h, const char *name);
/* Its name (loop_handle_set_name()), or NULL. Loop thread. */
LOOP_API const char *loop_handle_name(const loop_handle_t *h);
/* The id of the task that created it, 0 if none (or h is NULL). Loop thread. */
LOOP_API uint64_t loop_handle_parent_task(const loop_handle_t *h);
/* 1 if started (counts for loop_run), 0 if not; -EBADF if closed. */
LOOP_API int loop_handle_active(const loop_handle_t *h);
/* 1 once closing or closed. */
LOOP_API int loop_handle_closing(const loop_handle_t *h);
/* "timer", "io", "signal", "defer", "async", "work", "task". */
LOOP_API const char *loop_kind_name(int kind);

/* Visit every open handle in creation order; stop early when fn returns non-zero. */
typedef int (*loop_walk_cb)(loop_handle_t *h, void *arg);
LOOP_API int loop_walk(loop_t *loop, loop_walk_cb fn, void *arg);

#define LOOP_HANDLE(p) (&(p)->handle)

/* Timers ---------------------------------------------------------------- */

LOOP_API int loop_timer_init_at(loop_t *loop, loop_timer_t *t, const loop_site_t *site);
#define loop_timer_init(loop, t) loop_timer_init_at((loop), (t), LOOP_SITE())
/*
 * Fire cb after timeout_ms (from loop_now()), then every repeat_ms if non-zero.
 * Restarting a started timer moves it. Timers due at the same time fire in
 * the order they were started. A repeating timer is re-armed from its due
 * time, not from when its callback ran, so it does not drift; when the loop
 * fell behind by more than a period, missed periods are skipped.
 */
LOOP_API int loop_timer_start(loop_timer_t *t, loop_timer_cb cb, uint64_t timeout_ms,
                              uint64_t repeat_ms);
/* As loop_timer_start, nanoseconds. */
LOOP_API int loop_timer_start_ns(loop_timer_t *t, loop_timer_cb cb, uint64_t timeout_ns,
                                 uint64_t repeat_ns);
LOOP_API int loop_timer_stop(loop_timer_t *t);
/* Restart a repeating timer with its repeat as timeout; -EINVAL if never started. */
LOOP_API int loop_timer_again(loop_timer_t *t);
LOOP_API uint64_t loop_timer_due_ns(const loop_timer_t *t);

/* I/O watchers ---------------------------------------------------------- */

enum {
    LOOP_READABLE = 1,
    LOOP_WRITABLE = 2,
    LOOP_HANGUP = 4, /* reported, never needs asking for */
    LOOP_ERROR = 8,  /* reported: the fd failed or vanished; see io->status */
};

/* Watch fd (not owned: the caller closes it after stopping the watcher). */
LOOP_API int loop_io_init_at(loop_t *loop, loop_io_t *io, int fd, const loop_site_t *site);
#define loop_io_init(loop, io, fd) loop_io_init_at((loop), (io), (fd), LOOP_SITE())
/* Start or change the watched events (LOOP_READABLE|LOOP_WRITABLE). Level-triggered. */
LOOP_API int loop_io_start(loop_io_t *io, loop_io_cb cb, int events);
LOOP_API int loop_io_stop(loop_io_t *io);

/* Signals ---------------------------------------------------------------- */

/*
 * The first watcher of a signal installs a process-wide handler (sigaction)
 * that only wakes the loops; callbacks run on each loop's own thread. It works
 * whatever threads exist and whichever thread the kernel picks. Starting a
 * watcher unblocks the signal in the calling thread; a signal blocked in every
 * thread is never seen. When the last watcher of a signal stops (in any loop),
 * the disposition found before the first one started is restored. Several
 * watchers, in several loops on several threads, may watch one signal: each of
 * them sees it. Deliveries not yet dispatched coalesce into one callback.
 */
LOOP_API int loop_signal_init_at(loop_t *loop, loop_signal_t *s, const loop_site_t *site);
#define loop_signal_init(loop, s) loop_signal_init_at((loop), (s), LOOP_SITE())
LOOP_API int loop_signal_start(loop_signal_t *s, loop_signal_cb cb, int signum);
LOOP_API int loop_signal_stop(loop_signal_t *s);

/* Deferred calls ---------------------------------------------------------- */

/* A reusable call-soon: each start queues cb once for the next round (FIFO). */
LOOP_API int loop_defer_init_at(loop_t *loop, loop_defer_t *d, const loop_site_t *site);
#define loop_defer_init(loop, d) loop_defer_init_at((loop), (d), LOOP_SITE())
LOOP_API int loop_defer_start(loop_defer_t *d, loop_defer_cb cb);
LOOP_API int loop_defer_stop(loop_defer_t *d);

/* Async wakeups ----------------------------------------------------------- */

/* An async handle is active (keeps the loop running) until closed. */
LOOP_API int loop_async_init_at(loop_t *loop, loop_async_t *a, loop_async_cb cb,
                                const loop_site_t *site);
#define loop_async_init(loop, a, cb) loop_async_init_at((loop), (a), (cb), LOOP_SITE())
/*
 * thread-safe, async-signal-safe. Make cb run on the loop thread. Sends that
 * happen before cb starts coalesce into one call; a send during cb makes it
 * run again. No send is ever lost.
 */
LOOP_API int loop_async_send(loop_async_t *a);

/* Thread-pool work --------------------------------------------------------- */

/*
 * Run work(w) on a pool thread, then done(w, status) on the loop thread with
 * status 0, or -ECANCELED after loop_work_cancel(). The pool (size from
 * LOOP_THREADPOOL_SIZE, default 4, at most 256) is shared by all loops of the
 * process and started on first use. w must stay valid until done runs; it
 * needs no close. Each submit gives w a new id.
 */
LOOP_API int loop_work_submit_at(loop_t *loop, loop_work_t *w, loop_work_fn work,
                                 loop_work_done_cb done, const loop_site_t *site);
#define loop_work_submit(loop, w, work, done)                                            \
    loop_work_submit_at((loop), (w), (work), (done), LOOP_SITE())
/* Cancel queued work: 0 (done will run with -ECANCELED), -EBUSY if it already runs. */
LOOP_API int loop_work_cancel(loop_work_t *w);

#ifdef __cplusplus
}
#endif

#include "loop_task.h"
#include "loop_debug.h"

#endif /* LOOP_H */
