/*
 * trace.h — tracepoint call sites inside libloop.
 *
 * Code calls LOOP_TRACE(event, args...) with object pointers (loop, handle,
 * work...) or scalars. The provider (tracepoints/libloop_tp.h) takes scalars
 * only and knows nothing of libloop's structures: one inline wrapper per
 * event below, loop__trace_EVENT(), turns the objects into the provider's
 * arguments. LOOP_TRACE tests the event's enabled flag first, as
 * lttng_ust_tracepoint() does, so a call site still costs one predicted
 * branch and the wrapper (with its dereferences) runs only when the event is
 * enabled. docs/trace-format.md documents the resulting fields for trace
 * consumers; tests/schema_check.sh checks it against the probe.
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
 *   outcome(const loop_t *, int what, uint64_t id, int64_t value)
 *                                       (what: enum loop__note, a NOTE record's)
 *   stream_io(const loop_t *, uint64_t id, int fd, int op, int64_t result)
 *                                       (libloop-uv: a stream's read/write/accept;
 *                                        op: LOOP__TP_IO_*)
 *   slow_callback(const loop_t *, const loop_handle_t *, uint64_t duration_ns)
 *                                       (after the callback's callback_end; reads
 *                                        h->id, kind, name and site only, so the
 *                                        dispatch copy is fine)
 *   stall(const loop_t *, uint64_t id, uint64_t duration_ns, const char *backtrace)
 *                                       (watchdog thread; see LOOP_TRACE_ENABLED)
 *   error(const loop_t *, const loop_handle_t * or NULL, int err, const char *msg)
 *   lock_abandoned(const loop_t *, uint64_t lock_id, uint64_t owner_task_id)
 *   (format minor 2, scalars only, for loop-analyze's hang analysis:)
 *   lock_handoff(uint64_t loop_id, uint64_t lock_id, uint64_t new_owner, uint64_t by_id)
 *   loop_stuck(uint64_t loop_id, uint64_t count, const uint64_t *ids, uint32_t nids)
 *                                       (task/task_stuck.c builds the ids; declared in internal.h)
 *   (format minor 5:) event_set(uint64_t loop_id, uint64_t event_id, uint64_t by_task)
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
 * A new event: define it at the end of tracepoints/libloop_tp.h (scalar
 * arguments). Call sites that pass those scalars need nothing more; to pass
 * objects, add a wrapper (and its LOOP__TP_WRAPPED_ line) at the end of the
 * list below.
 *
 * Linkage: libloop/core/trace.c defines the call sites with dynamic probe linkage;
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
#include "tracepoints/libloop_tp_types.h"

#define LOOP__TP_WRAPPED_none 1
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

#include "internal.h"
#include "tracepoints/libloop_tp.h"

/*
 * The enabled test is lttng_ust_tracepoint()'s own (one unlikely load and
 * branch); then LOOP__TP_EMIT emits without a second check: through the
 * event's wrapper loop__trace_EVENT() when it has one (LOOP__TP_WRAPPED_EVENT
 * is defined to 1 next to it), else straight to the tracepoint, for events
 * whose call sites already pass the provider's scalars.
 */
#define LOOP_TRACE(event, ...)                                                           \
    do {                                                                                 \
        if (LOOP_TRACE_ENABLED(event)) {                                                 \
            LOOP__TP_EMIT(event, __VA_ARGS__);                                           \
        }                                                                                \
    } while (0)
#define LOOP_TRACE_ENABLED(event) lttng_ust_tracepoint_enabled(libloop, event)
#define LOOP_TRACE_DO(event, ...) LOOP__TP_EMIT(event, __VA_ARGS__)

/* Is X defined to 1? (Linux's IS_ENABLED: "0," makes 1 the second argument.) */
#define LOOP__TP_ONE_1 0,
#define LOOP__TP_SECOND(ignored, val, ...) val
#define LOOP__TP_IS_ONE(x) LOOP__TP_IS_ONE_(x)
#define LOOP__TP_IS_ONE_(x) LOOP__TP_IS_ONE__(LOOP__TP_ONE_##x)
#define LOOP__TP_IS_ONE__(zero_comma_or_junk) LOOP__TP_SECOND(zero_comma_or_junk 1, 0, 0)
#define LOOP__TP_EMIT(event, ...)                                                        \
    LOOP__TP_EMIT_(LOOP__TP_IS_ONE(LOOP__TP_WRAPPED_##event), event, __VA_ARGS__)
#define LOOP__TP_EMIT_(wrapped, event, ...) LOOP__TP_EMIT__(wrapped, event, __VA_ARGS__)
#define LOOP__TP_EMIT__(wrapped, event, ...) LOOP__TP_EMIT_##wrapped(event, __VA_ARGS__)
#define LOOP__TP_EMIT_1(event, ...) loop__trace_##event(__VA_ARGS__)
#define LOOP__TP_EMIT_0(event, ...) lttng_ust_do_tracepoint(libloop, event, __VA_ARGS__)

/* ---------------------------------------------------------------------- */
/* Objects to scalars: NULL-tolerant, so a call site never crashes the probe. */

static inline uint64_t loop__tp_loop_id(const loop_t *l)
{
    return l ? l->id : 0;
}
static inline uint64_t loop__tp_hloop_id(const loop_handle_t *h)
{
    return h && h->loop ? h->loop->id : 0;
}
static inline uint64_t loop__tp_h_id(const loop_handle_t *h)
{
    return h ? h->id : 0;
}
static inline int loop__tp_h_kind(const loop_handle_t *h)
{
    return h ? (int)h->kind : LOOP_KIND_NONE;
}
static inline const char *loop__tp_str(const char *s)
{
    return s ? s : "";
}
static inline const char *loop__tp_h_name(const loop_handle_t *h)
{
    const char *name = h ? loop__h_name(h) : NULL;

    return name ? name : "";
}
static inline const loop_site_t *loop__tp_h_site(const loop_handle_t *h)
{
    return h ? h->site : NULL;
}
static inline const char *loop__tp_site_file(const loop_site_t *s)
{
    return s && s->file ? s->file : "";
}
static inline const char *loop__tp_site_func(const loop_site_t *s)
{
    return s && s->func ? s->func : "";
}
static inline int loop__tp_site_line(const loop_site_t *s)
{
    return s ? s->line : 0;
}
static inline const loop_handle_t *loop__tp_work_h(const loop_work_t *w)
{
    return w ? &w->handle : NULL;
}

/* A site as the provider's three arguments. */
#define LOOP__TP_SITE(s) loop__tp_site_file(s), loop__tp_site_line(s), loop__tp_site_func(s)
/* A handle's whole identity (handle_new's fields after loop_id). */
#define LOOP__TP_IDENT(h)                                                                \
    loop__tp_h_id(h), loop__tp_h_kind(h), loop__tp_h_name(h), LOOP__TP_SITE(loop__tp_h_site(h)), \
        ((h) ? loop__h_parent(h) : 0)

/* ---------------------------------------------------------------------- */
/* One wrapper per event, in the provider's order (trace.h's list above).  */

#define LOOP__TP_WRAPPED_loop_new 1
static inline void loop__trace_loop_new(const loop_t *l)
{
    lttng_ust_do_tracepoint(libloop, loop_new, loop__tp_loop_id(l), LOOP_VERSION_MAJOR,
                            LOOP_VERSION_MINOR, l ? (int)l->policy : 0, l ? (int)l->debug : 0,
                            l ? l->now_ns : 0, l ? l->random_seed : 0);
}
#define LOOP__TP_WRAPPED_loop_close 1
static inline void loop__trace_loop_close(const loop_t *l)
{
    lttng_ust_do_tracepoint(libloop, loop_close, loop__tp_loop_id(l));
}
#define LOOP__TP_WRAPPED_run_begin 1
static inline void loop__trace_run_begin(const loop_t *l, int mode)
{
    lttng_ust_do_tracepoint(libloop, run_begin, loop__tp_loop_id(l), mode);
}
#define LOOP__TP_WRAPPED_run_end 1
static inline void loop__trace_run_end(const loop_t *l, int rc)
{
    lttng_ust_do_tracepoint(libloop, run_end, loop__tp_loop_id(l), rc);
}
#define LOOP__TP_WRAPPED_iter_begin 1
static inline void loop__trace_iter_begin(const loop_t *l)
{
    lttng_ust_do_tracepoint(libloop, iter_begin, loop__tp_loop_id(l), l ? l->now_ns : 0);
}
#define LOOP__TP_WRAPPED_time_update 1
static inline void loop__trace_time_update(const loop_t *l)
{
    lttng_ust_do_tracepoint(libloop, time_update, loop__tp_loop_id(l), l ? l->now_ns : 0);
}
#define LOOP__TP_WRAPPED_poll_begin 1
static inline void loop__trace_poll_begin(const loop_t *l, int64_t timeout_ns)
{
    lttng_ust_do_tracepoint(libloop, poll_begin, loop__tp_loop_id(l), timeout_ns);
}
#define LOOP__TP_WRAPPED_poll_end 1
static inline void loop__trace_poll_end(const loop_t *l, int nready, int err)
{
    /* 0 or a negative errno, whichever sign the call site passes */
    lttng_ust_do_tracepoint(libloop, poll_end, loop__tp_loop_id(l), nready, err > 0 ? -err : err);
}
#define LOOP__TP_WRAPPED_io_ready 1
static inline void loop__trace_io_ready(const loop_t *l, const loop_io_t *io, int revents)
{
    lttng_ust_do_tracepoint(libloop, io_ready, loop__tp_loop_id(l), io ? io->handle.id : 0,
                            io ? io->fd : -1, revents);
}
#define LOOP__TP_WRAPPED_signal_recv 1
static inline void loop__trace_signal_recv(const loop_t *l, int signum)
{
    lttng_ust_do_tracepoint(libloop, signal_recv, loop__tp_loop_id(l), signum);
}
#define LOOP__TP_WRAPPED_handle_new 1
static inline void loop__trace_handle_new(const loop_handle_t *h)
{
    lttng_ust_do_tracepoint(libloop, handle_new, loop__tp_hloop_id(h), LOOP__TP_IDENT(h));
}
#define LOOP__TP_WRAPPED_handle_name 1
static inline void loop__trace_handle_name(const loop_handle_t *h)
{
    lttng_ust_do_tracepoint(libloop, handle_name, loop__tp_hloop_id(h), LOOP__TP_IDENT(h));
}
#define LOOP__TP_WRAPPED_handle_close 1
static inline void loop__trace_handle_close(const loop_handle_t *h)
{
    lttng_ust_do_tracepoint(libloop, handle_close, loop__tp_hloop_id(h), LOOP__TP_IDENT(h));
}
#define LOOP__TP_WRAPPED_handle_start 1
/* The start parameters: meaningful for one kind each, 0 / -1 otherwise. */
static inline void loop__trace_handle_start(const loop_handle_t *h)
{
    int kind = loop__tp_h_kind(h);
    const loop_timer_t *t = kind == LOOP_KIND_TIMER ? (const loop_timer_t *)h : NULL;
    const loop_io_t *io = kind == LOOP_KIND_IO ? (const loop_io_t *)h : NULL;
    const loop_signal_t *sig = kind == LOOP_KIND_SIGNAL ? (const loop_signal_t *)h : NULL;

    lttng_ust_do_tracepoint(libloop, handle_start, loop__tp_hloop_id(h), loop__tp_h_id(h), kind,
                            t ? t->due_ns : 0, t ? t->repeat_ns : 0, io ? io->fd : -1,
                            io ? (int)io->events : 0, sig ? sig->signum : 0);
}
#define LOOP__TP_WRAPPED_handle_stop 1
static inline void loop__trace_handle_stop(const loop_handle_t *h)
{
    lttng_ust_do_tracepoint(libloop, handle_stop, loop__tp_hloop_id(h), loop__tp_h_id(h),
                            loop__tp_h_kind(h));
}
#define LOOP__TP_WRAPPED_callback_begin 1
/* Only h->id and h->kind are read: a stack copy holding those is fine. */
static inline void loop__trace_callback_begin(const loop_t *l, const loop_handle_t *h)
{
    lttng_ust_do_tracepoint(libloop, callback_begin, loop__tp_loop_id(l), loop__tp_h_id(h),
                            loop__tp_h_kind(h));
}
#define LOOP__TP_WRAPPED_callback_end 1
static inline void loop__trace_callback_end(const loop_t *l, const loop_handle_t *h)
{
    lttng_ust_do_tracepoint(libloop, callback_end, loop__tp_loop_id(l), loop__tp_h_id(h),
                            loop__tp_h_kind(h));
}
#define LOOP__TP_WRAPPED_pool_submit 1
static inline void loop__trace_pool_submit(const loop_work_t *w)
{
    const loop_handle_t *h = loop__tp_work_h(w);

    lttng_ust_do_tracepoint(libloop, pool_submit, loop__tp_hloop_id(h), LOOP__TP_IDENT(h));
}
#define LOOP__TP_WRAPPED_pool_begin 1
static inline void loop__trace_pool_begin(const loop_work_t *w)
{
    lttng_ust_do_tracepoint(libloop, pool_begin, loop__tp_hloop_id(loop__tp_work_h(w)),
                            loop__tp_h_id(loop__tp_work_h(w)));
}
#define LOOP__TP_WRAPPED_pool_end 1
static inline void loop__trace_pool_end(const loop_work_t *w)
{
    lttng_ust_do_tracepoint(libloop, pool_end, loop__tp_hloop_id(loop__tp_work_h(w)),
                            loop__tp_h_id(loop__tp_work_h(w)));
}
#define LOOP__TP_WRAPPED_pool_done 1
static inline void loop__trace_pool_done(const loop_work_t *w, int status)
{
    lttng_ust_do_tracepoint(libloop, pool_done, loop__tp_hloop_id(loop__tp_work_h(w)),
                            loop__tp_h_id(loop__tp_work_h(w)), status);
}
#define LOOP__TP_WRAPPED_task_new 1
static inline void loop__trace_task_new(const loop_t *l, uint64_t id, uint64_t parent_id,
                                        const char *name, const loop_site_t *site)
{
    lttng_ust_do_tracepoint(libloop, task_new, loop__tp_loop_id(l), id, parent_id,
                            loop__tp_str(name), LOOP__TP_SITE(site));
}
#define LOOP__TP_WRAPPED_task_ready 1
static inline void loop__trace_task_ready(const loop_t *l, uint64_t id, int by_kind, uint64_t by_id)
{
    lttng_ust_do_tracepoint(libloop, task_ready, loop__tp_loop_id(l), id, by_kind, by_id);
}
#define LOOP__TP_WRAPPED_task_run 1
static inline void loop__trace_task_run(const loop_t *l, uint64_t id)
{
    lttng_ust_do_tracepoint(libloop, task_run, loop__tp_loop_id(l), id);
}
#define LOOP__TP_WRAPPED_task_suspend 1
static inline void loop__trace_task_suspend(const loop_t *l, uint64_t id, int wait_kind,
                                            uint64_t obj_id, int64_t timeout_ns,
                                            const loop_site_t *site, uint64_t wait_task)
{
    lttng_ust_do_tracepoint(libloop, task_suspend, loop__tp_loop_id(l), id, wait_kind, obj_id,
                            timeout_ns, LOOP__TP_SITE(site), wait_task);
}
#define LOOP__TP_WRAPPED_task_done 1
static inline void loop__trace_task_done(const loop_t *l, uint64_t id, int state, int err)
{
    lttng_ust_do_tracepoint(libloop, task_done, loop__tp_loop_id(l), id, state, err);
}
#define LOOP__TP_WRAPPED_task_cancel 1
static inline void loop__trace_task_cancel(const loop_t *l, uint64_t id, uint64_t by_id)
{
    lttng_ust_do_tracepoint(libloop, task_cancel, loop__tp_loop_id(l), id, by_id);
}
#define LOOP__TP_WRAPPED_task_join 1
static inline void loop__trace_task_join(const loop_t *l, uint64_t id, uint64_t by_id, int err)
{
    lttng_ust_do_tracepoint(libloop, task_join, loop__tp_loop_id(l), id, by_id, err);
}
#define LOOP__TP_WRAPPED_task_detach 1
static inline void loop__trace_task_detach(const loop_t *l, uint64_t id, uint64_t group_id)
{
    lttng_ust_do_tracepoint(libloop, task_detach, loop__tp_loop_id(l), id, group_id);
}
#define LOOP__TP_WRAPPED_task_io 1
static inline void loop__trace_task_io(const loop_t *l, uint64_t id, int fd, int op, int64_t result)
{
    lttng_ust_do_tracepoint(libloop, task_io, loop__tp_loop_id(l), id, fd, op, result);
}
#define LOOP__TP_WRAPPED_sync_new 1
/* parent_task: the task running now (l->current_task). */
static inline void loop__trace_sync_new(const loop_t *l, int sync_kind, uint64_t id,
                                        const loop_site_t *site)
{
    lttng_ust_do_tracepoint(libloop, sync_new, loop__tp_loop_id(l), sync_kind, id,
                            LOOP__TP_SITE(site), l ? l->current_task : 0);
}
#define LOOP__TP_WRAPPED_sync_free 1
static inline void loop__trace_sync_free(const loop_t *l, uint64_t id)
{
    lttng_ust_do_tracepoint(libloop, sync_free, loop__tp_loop_id(l), id);
}
#define LOOP__TP_WRAPPED_future_settle 1
static inline void loop__trace_future_settle(const loop_t *l, uint64_t id, int err)
{
    lttng_ust_do_tracepoint(libloop, future_settle, loop__tp_loop_id(l), id, err);
}
#define LOOP__TP_WRAPPED_future_result 1
/* by_id: the task running now (l->current_task). */
static inline void loop__trace_future_result(const loop_t *l, uint64_t id, int err)
{
    lttng_ust_do_tracepoint(libloop, future_result, loop__tp_loop_id(l), id, err,
                            l ? l->current_task : 0);
}
#define LOOP__TP_WRAPPED_slow_callback 1
/* Reads h->id, kind, name and site only: the core passes its dispatch copy. */
static inline void loop__trace_slow_callback(const loop_t *l, const loop_handle_t *h,
                                             uint64_t duration_ns)
{
    lttng_ust_do_tracepoint(libloop, slow_callback, loop__tp_loop_id(l), loop__tp_h_id(h),
                            loop__tp_h_kind(h), loop__tp_h_name(h),
                            LOOP__TP_SITE(loop__tp_h_site(h)), duration_ns);
}
#define LOOP__TP_WRAPPED_stall 1
static inline void loop__trace_stall(const loop_t *l, uint64_t id, uint64_t duration_ns,
                                     const char *backtrace)
{
    lttng_ust_do_tracepoint(libloop, stall, loop__tp_loop_id(l), id, duration_ns,
                            loop__tp_str(backtrace));
}
#define LOOP__TP_WRAPPED_error 1
static inline void loop__trace_error(const loop_t *l, const loop_handle_t *h, int err,
                                     const char *msg)
{
    lttng_ust_do_tracepoint(libloop, error, loop__tp_loop_id(l), loop__tp_h_id(h),
                            loop__tp_h_kind(h), err, loop__tp_str(msg));
}
#define LOOP__TP_WRAPPED_lock_abandoned 1
static inline void loop__trace_lock_abandoned(const loop_t *l, uint64_t id, uint64_t owner_id)
{
    lttng_ust_do_tracepoint(libloop, lock_abandoned, loop__tp_loop_id(l), id, owner_id);
}
#define LOOP__TP_WRAPPED_outcome 1
static inline void loop__trace_outcome(const loop_t *l, int what, uint64_t id, int64_t value)
{
    lttng_ust_do_tracepoint(libloop, outcome, loop__tp_loop_id(l), what, id, value);
}
#define LOOP__TP_WRAPPED_stream_io 1
static inline void loop__trace_stream_io(const loop_t *l, uint64_t id, int fd, int op,
                                         int64_t result)
{
    lttng_ust_do_tracepoint(libloop, stream_io, loop__tp_loop_id(l), id, fd, op, result);
}
/*
 * New events: a wrapper goes here, in the provider's order, with its
 * LOOP__TP_WRAPPED_EVENT line, when call sites pass objects. An event whose
 * call sites pass the provider's scalars needs nothing here.
 */

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
