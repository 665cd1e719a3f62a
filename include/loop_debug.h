/*
 * loop_debug.h — debug mode, error handling, inspection, the live monitor and
 * the stall watchdog. Included by loop.h.
 *
 * Environment (read by loop_new):
 *   LOOP_DEBUG=1       debug mode (as loop_set_debug(loop, 1))
 *   LOOP_SLOW_MS=N     slow callback / task step threshold, ms (default 100)
 *   LOOP_STALL_MS=N    start the watchdog with this threshold
 *   LOOP_MONITOR=1     start the monitor on its default socket path
 *   LOOP_MONITOR=PATH  ... on PATH
 */
#ifndef LOOP_DEBUG_H
#define LOOP_DEBUG_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Debug mode ------------------------------------------------------------------ */

/*
 * Debug mode adds: slow callback and task-step warnings, creation backtraces
 * of handles and tasks, misuse reports (wrong thread, closed handle, await
 * outside a task), lost-wakeup and self-wake checks, the report of unclosed
 * resources at process exit. Off, it costs one predicted branch per dispatch.
 */
LOOP_API int loop_set_debug(loop_t *loop, int on);
LOOP_API int loop_get_debug(const loop_t *loop);
/* Threshold of slow callback / task step warnings (debug mode), ms. */
LOOP_API int loop_set_slow_callback_ms(loop_t *loop, uint64_t ms);

/* Errors ------------------------------------------------------------------------ */

typedef struct loop_error_ctx {
    loop_t *loop;
    const char *message;        /* one line, no newline */
    int err;                    /* negative errno, 0 if none */
    uint64_t task_id;           /* the task it concerns (or that was running), 0 if none */
    const loop_handle_t *handle; /* the handle it concerns, may be NULL */
    const loop_site_t *site;    /* the relevant site (handle's or task's creation), may be NULL */
} loop_error_ctx_t;

typedef void (*loop_error_handler)(const loop_error_ctx_t *ctx, void *userdata);

/* Replace the loop's error handler (NULL: the default, which logs one line). */
LOOP_API int loop_set_error_handler(loop_t *loop, loop_error_handler fn, void *userdata);
/* Report an error from a callback or task: goes to the error handler, never aborts. */
LOOP_API void loop_report_error_at(loop_t *loop, int err, const char *message,
                                   const loop_site_t *site);
#define loop_report_error(loop, err, msg) loop_report_error_at((loop), (err), (msg), LOOP_SITE())

/* Inspection ------------------------------------------------------------------- */

/*
 * Print the task and handle tables, one stable line per object, and what
 * keeps the loop alive (active handles, waiting tasks) marked with '*'.
 * Loop thread (or the monitor, which serializes with it).
 */
LOOP_API int loop_dump(loop_t *loop, FILE *out);

typedef struct loop_stats {
    uint64_t iterations;
    uint64_t callbacks;     /* callbacks and task steps dispatched */
    uint64_t tasks_spawned;
    uint64_t tasks_alive;
    uint64_t handles_open;
    uint64_t handles_active;
    uint64_t slow_callbacks; /* debug mode */
    uint64_t stalls;         /* watchdog */
    uint64_t busy_ns;        /* time spent dispatching (debug mode or watchdog) */
    uint64_t poll_ns;        /* time spent polling (debug mode or watchdog) */
} loop_stats_t;

LOOP_API int loop_get_stats(loop_t *loop, loop_stats_t *out);

/* Monitor (aiomonitor) and watchdog ------------------------------------------ */

/*
 * Serve the monitor on a Unix socket (mode 0600, peers of another uid
 * refused) at path, or at $XDG_RUNTIME_DIR/libloop/PID-LOOPID.sock (falling
 * back to /tmp/libloop-UID/) when path is NULL; "tcp:PORT" serves loopback TCP
 * instead (127.0.0.1 only, peer uid checked too). Commands, one per line:
 * ps, where ID, cancel ID, handles, stats, slow, help. ps and where answer
 * while the loop thread is blocked. The actual path: loop_monitor_path().
 */
LOOP_API int loop_monitor_start(loop_t *loop, const char *path);
LOOP_API const char *loop_monitor_path(const loop_t *loop);
LOOP_API int loop_monitor_stop(loop_t *loop);
/*
 * A client that sends nothing for idle_ms (and has no reply pending) gets
 * "error: idle ..." and is disconnected, so silent connections cannot hold
 * the monitor's 8 client slots. Default 30000; 0 never times out. Takes
 * effect at once, for the clients already connected too. -EINVAL without a
 * running monitor. Loop thread.
 */
LOOP_API int loop_monitor_set_idle_timeout(loop_t *loop, uint64_t idle_ms);

/*
 * Watch for a blocked loop: when one callback or task step runs longer than
 * stall_ms, capture the loop thread's backtrace and report it (log line,
 * error handler, stall tracepoint). Once per stalled dispatch.
 */
LOOP_API int loop_watchdog_start(loop_t *loop, uint64_t stall_ms);
LOOP_API int loop_watchdog_stop(loop_t *loop);

#ifdef __cplusplus
}
#endif

#endif /* LOOP_DEBUG_H */
