/*
 * trace.h — tracepoint call sites inside libloop.
 *
 * Code calls LOOP_TRACE(event, args...) with object pointers (loop, handle,
 * work...) or scalars; the provider in tracepoints/libloop_tp.h dereferences
 * them into fields, so the call sites stay one line and argument preparation
 * happens only when an event is enabled. docs/trace-format.md documents the
 * resulting fields for trace consumers.
 *
 * Events and their arguments (provider "libloop"):
 *   loop_new(const loop_t *)            loop_close(const loop_t *)
 *   run_begin(const loop_t *, int mode) run_end(const loop_t *, int rc)
 *   iter_begin(const loop_t *)          (carries loop->now_ns: call it after the
 *                                        iteration's clock read)
 *   time_update(const loop_t *)         (carries the new now_ns: every clock refresh
 *                                        other than the iteration start's, i.e.
 *                                        after a blocking poll and when the
 *                                        program calls loop_update_time())
 *   poll_begin(const loop_t *, int64_t timeout_ns)   (-1: infinite)
 *   poll_end(const loop_t *, int nready, int err)    (err: 0 or an errno value,
 *                                        either sign; recorded negative)
 *   io_ready(const loop_t *, const loop_io_t *, int revents)
 *                                       (one per ready watcher after poll_end,
 *                                        in the order they will be queued)
 *   signal_recv(const loop_t *, int signum)
 *   handle_new(const loop_handle_t *)   (after loop__handle_init filled id/site)
 *   handle_name(const loop_handle_t *)  (loop_handle_set_name(), after the change)
 *   handle_start(const loop_handle_t *) (after the start parameters are stored:
 *                                        timer due/repeat, io fd/events, signum)
 *   handle_stop(const loop_handle_t *)  handle_close(const loop_handle_t *)
 *   callback_begin(const loop_t *, const loop_handle_t *)
 *   callback_end(const loop_t *, const loop_handle_t *)
 *                                       (around every callback the loop runs,
 *                                        close callbacks too; a task step passes
 *                                        the task's handle header, kind task.
 *                                        Only h->id and h->kind are read: a
 *                                        stack copy holding those is fine)
 *   pool_submit(const loop_work_t *)    (after the new id is assigned)
 *   pool_begin(const loop_work_t *)     pool_end(const loop_work_t *)  (worker thread)
 *   pool_done(const loop_work_t *, int status)  (loop thread, collection order)
 *   task_new(const loop_t *, uint64_t id, uint64_t parent_id, const char *name,
 *            const loop_site_t *site)
 *   task_ready(const loop_t *, uint64_t id, int by_kind, uint64_t by_id)
 *                                       (by_kind: loop_kind_t of the waker,
 *                                        LOOP_KIND_NONE when spawned)
 *   task_run(const loop_t *, uint64_t id)
 *   task_suspend(const loop_t *, uint64_t id, int wait_kind, uint64_t obj_id,
 *                int64_t timeout_ns, const loop_site_t *site, uint64_t wait_task)
 *                                       (wait_kind: LOOP__TP_WAIT_*; timeout -1: none)
 *   task_done(const loop_t *, uint64_t id, int state, int err)
 *                                       (state: LOOP__TP_TASK_DONE/CANCELLED/FAILED)
 *   task_cancel(const loop_t *, uint64_t id, uint64_t by_id)
 *   slow_callback(const loop_t *, const loop_handle_t *, uint64_t duration_ns)
 *                                       (after the callback's callback_end; reads
 *                                        h->id, kind, name and site only, so the
 *                                        dispatch copy is fine)
 *   stall(const loop_t *, uint64_t id, uint64_t duration_ns, const char *backtrace)
 *                                       (watchdog thread; see LOOP_TRACE_ENABLED)
 *   error(const loop_t *, const loop_handle_t * or NULL, int err, const char *msg)
 *   lock_abandoned(const loop_t *, uint64_t lock_id, uint64_t owner_task_id)
 * Strings and sites may be NULL (recorded as ""). Handle pointers may be NULL
 * (recorded as id 0, kind none).
 *
 * Costly arguments (a backtrace, a formatted message) are built only when the
 * event is enabled, and then emitted without a second check:
 *     if (LOOP_TRACE_ENABLED(stall)) {
 *         char bt[4096];
 *         format_backtrace(bt, sizeof bt);
 *         LOOP_TRACE_DO(stall, loop, id, duration_ns, bt);
 *     }
 * Never pair LOOP_TRACE_ENABLED with LOOP_TRACE (the state can change between).
 *
 * Linkage: libloop/trace.c defines the call sites with dynamic probe linkage;
 * libloop links only libc/libdl. The probe (build/lib/liblooptp.so) is loaded
 * by LD_PRELOAD or, when LOOP_TRACE=1, by trace.c at start-up. Not loaded, a
 * call site costs one predicted-not-taken load and branch.
 */
#ifndef LOOP_TRACE_H
#define LOOP_TRACE_H

#ifdef LOOP_NO_TRACE
/*
 * A build without tracepoints (-DLOOP_NO_TRACE, used by the tracing benchmark
 * bench/trace_overhead.sh as the baseline): no LTTng header, no call-site
 * structure, no start-up dlopen of liblttng-ust-tracepoint.so.1; every call
 * site compiles to nothing. The arguments stay "used" (never evaluated) so
 * that variables kept only for tracing raise no warning. trace.c still
 * builds (its loader has nothing to load into).
 */
#include "internal.h"
#include "tracepoints/libloop_tp_enums.h"

static inline void loop__trace_none(int unused, ...)
{
    (void)unused;
}
#define LOOP_TRACE(event, ...) ((void)(0 && (loop__trace_none(0, __VA_ARGS__), 0)))
#define LOOP_TRACE_ENABLED(event) 0
#define LOOP_TRACE_DO(event, ...) LOOP_TRACE(event, __VA_ARGS__)

#else /* !LOOP_NO_TRACE */

/* The call-site structures stay inside libloop (not exported from libloop.so). */
#ifndef LTTNG_UST_TRACEPOINT_HIDDEN_DEFINITION
#define LTTNG_UST_TRACEPOINT_HIDDEN_DEFINITION
#endif

#include "tracepoints/libloop_tp.h"

#define LOOP_TRACE(event, ...) lttng_ust_tracepoint(libloop, event, __VA_ARGS__)
#define LOOP_TRACE_ENABLED(event) lttng_ust_tracepoint_enabled(libloop, event)
#define LOOP_TRACE_DO(event, ...) lttng_ust_do_tracepoint(libloop, event, __VA_ARGS__)

#ifdef LTTNG_UST_TRACEPOINT_DEFINE
/*
 * In trace.c only (the one unit that defines the call sites): keep an
 * untraced program from loading LTTng at start-up.
 *
 * LTTng's DEFINE part registers the call sites from constructors that dlopen
 * liblttng-ust-tracepoint.so.1 (and liblttng-ust-common.so.1) in every
 * process, traced or not: about 0.15 ms of start-up here. This constructor
 * runs before them (priority 101 < the default; same module) and, when
 * nothing can ever record libloop's events, sets the module's registration
 * counters (weak hidden symbols of <lttng/tracepoint.h>) as if registration
 * had happened without liblttng-ust: the constructors then return at once,
 * the destructors too, and every call site stays off.
 *
 * Libloop's events can be recorded only when the probe liblooptp.so is
 * loaded: by LD_PRELOAD (mapped before any constructor runs) or by trace.c
 * when LOOP_TRACE=1. So registration happens as usual when LOOP_TRACE is set,
 * when liblooptp.so is already mapped, and when liblttng-ust-tracepoint.so.1
 * is (the program traces something itself: its own call sites share these
 * counters when libloop.a is linked in, so nothing changes for them). The one
 * case this leaves out: a program that dlopen()s liblooptp.so by itself after
 * start-up — use LD_PRELOAD or LOOP_TRACE=1.
 */
#include <link.h>
#include <stdlib.h>
#include <string.h>

static int loop__trace_mapped(struct dl_phdr_info *info, size_t size, void *data)
{
    const char *name = info->dlpi_name;
    const char *base;

    (void)size;
    (void)data;
    if (name == NULL || name[0] == '\0') {
        return 0;
    }
    base = strrchr(name, '/');
    base = base != NULL ? base + 1 : name;
    return strcmp(base, "liblooptp.so") == 0 ||
           strncmp(base, "liblttng-ust-tracepoint.so", sizeof "liblttng-ust-tracepoint.so" - 1) == 0;
}

__attribute__((constructor(101))) static void loop__trace_early(void)
{
    const char *v = getenv("LOOP_TRACE");

    if (v != NULL && v[0] != '\0' && strcmp(v, "0") != 0) {
        return; /* trace.c loads the probe: register as usual */
    }
    if (dl_iterate_phdr(loop__trace_mapped, NULL) != 0) {
        return; /* the probe or LTTng itself is already there */
    }
    if (lttng_ust_tracepoint_registered == 0 && lttng_ust_tracepoint_ptrs_registered == 0) {
        lttng_ust_tracepoint_dlopen_ptr = &lttng_ust_tracepoint_dlopen;
        lttng_ust_tracepoint_registered = 1;
        lttng_ust_tracepoint_ptrs_registered = 1;
    }
}
#endif /* LTTNG_UST_TRACEPOINT_DEFINE */

#endif /* LOOP_NO_TRACE */

/* 1 once the probe object is loaded (by LD_PRELOAD or LOOP_TRACE=1). trace.c. */
int loop__trace_probe_loaded(void);
/*
 * Load the probe now, in a running process started without LOOP_TRACE, and
 * register libloop's call sites with LTTng (trace.c). Idempotent and
 * thread-safe; may block while liblttng-ust registers with the session daemon
 * (LTTNG_UST_REGISTER_TIMEOUT, 3 s at most by default). 0, -ENOENT (the probe
 * or LTTng could not be loaded: one warning is logged), -ENOTSUP (built with
 * LOOP_NO_TRACE).
 */
int loop__trace_load_now(void);

#endif /* LOOP_TRACE_H */
