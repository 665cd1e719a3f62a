/*
 * libloop_tp.h — the LTTng-UST provider "libloop": every event libloop emits.
 *
 * This one header is the whole schema; docs/trace-format.md documents it for
 * consumers and must change with it (bump LOOP_TRACE_FORMAT_VERSION when a
 * field is removed, renamed, retyped or changes meaning; adding an event or
 * appending a field is compatible and only needs the doc).
 *
 * Three translation units include it:
 *  - every libloop/NAME.c through libloop/trace.h: declares the call sites;
 *  - libloop/trace.c with LTTNG_UST_TRACEPOINT_DEFINE and
 *    LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE: defines the call-site
 *    structures, so libloop links neither liblttng-ust nor this probe;
 *  - tracepoints/libloop_tp.c with LTTNG_UST_TRACEPOINT_CREATE_PROBES: the
 *    probe object build/lib/liblooptp.so (linked with liblttng-ust), loaded by
 *    LD_PRELOAD or by libloop itself when LOOP_TRACE=1.
 *
 * Arguments are object pointers (as trace.h documents) or scalars; the fields
 * below dereference them. Field expressions run only when the event is
 * enabled, in the probe, on the emitting thread.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER libloop

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "libloop_tp.h"

#if !defined(LOOP_LIBLOOP_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define LOOP_LIBLOOP_TP_H

#ifndef LTTNG_UST_COMPAT_API_VERSION
#define LTTNG_UST_COMPAT_API_VERSION 1 /* the 2.13 names only */
#endif

#include <lttng/tracepoint.h>

#include "core/internal.h"

#ifndef LOOP_LIBLOOP_TP_ONCE
#define LOOP_LIBLOOP_TP_ONCE

/* Stored in libloop:loop_new as format_version. */
#define LOOP_TRACE_FORMAT_VERSION 1
/*
 * Stored in libloop:loop_new as format_minor: bumped when events are added,
 * so that a consumer can rely on the absence of an event (no task_join: the
 * task was never joined) only in traces that would have had it.
 *   1: task_join, task_detach, sync_new, sync_free, future_settle,
 *      future_result, task_io; loop_new's random_seed.
 */
#define LOOP_TRACE_FORMAT_MINOR 2
/*   2: snapshot_begin, snapshot_task, snapshot_wait, snapshot_handle,
 *      snapshot_end (the state snapshot of a loop traced mid-run, attach.c). */

/* Task states and wait kinds as the trace encodes them (no LTTng inside). */
#include "libloop_tp_enums.h"

/* Field helpers: NULL-tolerant, so a call site never crashes the probe. */
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
static inline uint8_t loop__tp_h_kind(const loop_handle_t *h)
{
    return h ? h->kind : LOOP_KIND_NONE;
}
static inline uint64_t loop__tp_h_parent(const loop_handle_t *h)
{
    return h ? h->parent_task : 0;
}
static inline const char *loop__tp_str(const char *s)
{
    return s ? s : "";
}
static inline const char *loop__tp_h_name(const loop_handle_t *h)
{
    return h && h->name ? h->name : "";
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
static inline int32_t loop__tp_site_line(const loop_site_t *s)
{
    return s ? s->line : 0;
}
/* handle_start details: meaningful for one kind each, 0 / -1 otherwise. */
static inline uint64_t loop__tp_due_ns(const loop_handle_t *h)
{
    return h && h->kind == LOOP_KIND_TIMER ? ((const loop_timer_t *)h)->due_ns : 0;
}
static inline uint64_t loop__tp_repeat_ns(const loop_handle_t *h)
{
    return h && h->kind == LOOP_KIND_TIMER ? ((const loop_timer_t *)h)->repeat_ns : 0;
}
static inline int32_t loop__tp_fd(const loop_handle_t *h)
{
    return h && h->kind == LOOP_KIND_IO ? ((const loop_io_t *)h)->fd : -1;
}
static inline int32_t loop__tp_events(const loop_handle_t *h)
{
    return h && h->kind == LOOP_KIND_IO ? ((const loop_io_t *)h)->events : 0;
}
static inline int32_t loop__tp_signum(const loop_handle_t *h)
{
    return h && h->kind == LOOP_KIND_SIGNAL ? ((const loop_signal_t *)h)->signum : 0;
}

/* Field groups shared by several events. */
#define LOOP_TP_F_LOOP(l) lttng_ust_field_integer(uint64_t, loop_id, loop__tp_loop_id(l))
#define LOOP_TP_F_HLOOP(h) lttng_ust_field_integer(uint64_t, loop_id, loop__tp_hloop_id(h))
#define LOOP_TP_F_HREF(h)                                                                \
    lttng_ust_field_integer(uint64_t, id, loop__tp_h_id(h))                              \
    lttng_ust_field_enum(libloop, kind, uint8_t, kind, loop__tp_h_kind(h))
#define LOOP_TP_F_SITE(s)                                                                \
    lttng_ust_field_string(site_file, loop__tp_site_file(s))                             \
    lttng_ust_field_integer(int32_t, site_line, loop__tp_site_line(s))                   \
    lttng_ust_field_string(site_func, loop__tp_site_func(s))
/* The full identity of a handle: who it is, where it was made, by which task. */
#define LOOP_TP_F_HIDENT(h)                                                              \
    LOOP_TP_F_HREF(h)                                                                    \
    lttng_ust_field_string(name, loop__tp_h_name(h))                                     \
    LOOP_TP_F_SITE(loop__tp_h_site(h))                                                   \
    lttng_ust_field_integer(uint64_t, parent_task, loop__tp_h_parent(h))

#endif /* LOOP_LIBLOOP_TP_ONCE */

/* ---------------------------------------------------------------------- */
/* Enumerations                                                            */

LTTNG_UST_TRACEPOINT_ENUM(libloop, kind,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("none", 0)
        lttng_ust_field_enum_value("timer", 1)
        lttng_ust_field_enum_value("io", 2)
        lttng_ust_field_enum_value("signal", 3)
        lttng_ust_field_enum_value("defer", 4)
        lttng_ust_field_enum_value("async", 5)
        lttng_ust_field_enum_value("work", 6)
        lttng_ust_field_enum_value("task", 7)
        lttng_ust_field_enum_value("close", 8)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, task_state,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("new", 0)
        lttng_ust_field_enum_value("ready", 1)
        lttng_ust_field_enum_value("running", 2)
        lttng_ust_field_enum_value("waiting", 3)
        lttng_ust_field_enum_value("done", 4)
        lttng_ust_field_enum_value("cancelled", 5)
        lttng_ust_field_enum_value("failed", 6)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, wait_kind,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("none", 0)
        lttng_ust_field_enum_value("sleep", 1)
        lttng_ust_field_enum_value("yield", 2)
        lttng_ust_field_enum_value("fd", 3)
        lttng_ust_field_enum_value("join", 4)
        lttng_ust_field_enum_value("future", 5)
        lttng_ust_field_enum_value("event", 6)
        lttng_ust_field_enum_value("lock", 7)
        lttng_ust_field_enum_value("channel_send", 8)
        lttng_ust_field_enum_value("channel_recv", 9)
        lttng_ust_field_enum_value("work", 10)
        lttng_ust_field_enum_value("group", 11)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, sync_kind,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("future", LOOP__TP_SYNC_FUTURE)
        lttng_ust_field_enum_value("event", LOOP__TP_SYNC_EVENT)
        lttng_ust_field_enum_value("lock", LOOP__TP_SYNC_LOCK)
        lttng_ust_field_enum_value("channel", LOOP__TP_SYNC_CHANNEL)
        lttng_ust_field_enum_value("group", LOOP__TP_SYNC_GROUP)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, io_op,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("read", LOOP__TP_IO_READ)
        lttng_ust_field_enum_value("write", LOOP__TP_IO_WRITE)
        lttng_ust_field_enum_value("accept", LOOP__TP_IO_ACCEPT)
        lttng_ust_field_enum_value("connect", LOOP__TP_IO_CONNECT)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, run_mode,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("default", 0)
        lttng_ust_field_enum_value("once", 1)
        lttng_ust_field_enum_value("nowait", 2)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, policy,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("fifo", 0)
        lttng_ust_field_enum_value("chaos", 1)
        lttng_ust_field_enum_value("replay", 2)
    )
)

/* ---------------------------------------------------------------------- */
/* Loop                                                                    */

LTTNG_UST_TRACEPOINT_EVENT(libloop, loop_new,
    LTTNG_UST_TP_ARGS(const loop_t *, l),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint16_t, format_version, LOOP_TRACE_FORMAT_VERSION)
        lttng_ust_field_integer(uint16_t, version_major, LOOP_VERSION_MAJOR)
        lttng_ust_field_integer(uint16_t, version_minor, LOOP_VERSION_MINOR)
        lttng_ust_field_enum(libloop, policy, uint8_t, policy, l ? (uint8_t)l->policy : 0)
        lttng_ust_field_integer(uint8_t, debug, l ? l->debug : 0)
        lttng_ust_field_integer(uint64_t, now_ns, l ? l->now_ns : 0)
        lttng_ust_field_integer(uint16_t, format_minor, LOOP_TRACE_FORMAT_MINOR)
        lttng_ust_field_integer(uint64_t, random_seed, l ? l->random_seed : 0)
    )
)

/* Events with nothing but the loop. */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, loop_class,
    LTTNG_UST_TP_ARGS(const loop_t *, l),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, loop_class, libloop, loop_close,
    LTTNG_UST_TP_ARGS(const loop_t *, l))

LTTNG_UST_TRACEPOINT_EVENT(libloop, run_begin,
    LTTNG_UST_TP_ARGS(const loop_t *, l, int, mode),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_enum(libloop, run_mode, uint8_t, mode, (uint8_t)mode)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, run_end,
    LTTNG_UST_TP_ARGS(const loop_t *, l, int, rc),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(int32_t, rc, rc)
    )
)

/* The loop's clock value: at each iteration start and at each explicit refresh. */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, clock_class,
    LTTNG_UST_TP_ARGS(const loop_t *, l),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, now_ns, l ? l->now_ns : 0)
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, clock_class, libloop, iter_begin,
    LTTNG_UST_TP_ARGS(const loop_t *, l))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, clock_class, libloop, time_update,
    LTTNG_UST_TP_ARGS(const loop_t *, l))

LTTNG_UST_TRACEPOINT_EVENT(libloop, poll_begin,
    LTTNG_UST_TP_ARGS(const loop_t *, l, int64_t, timeout_ns),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(int64_t, timeout_ns, timeout_ns)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, poll_end,
    LTTNG_UST_TP_ARGS(const loop_t *, l, int, nready, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(int32_t, nready, nready)
        /* 0 or a negative errno, whichever sign the call site passes */
        lttng_ust_field_integer(int32_t, err, err > 0 ? -err : err)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, io_ready,
    LTTNG_UST_TP_ARGS(const loop_t *, l, const loop_io_t *, io, int, revents),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, io ? io->handle.id : 0)
        lttng_ust_field_integer(int32_t, fd, io ? io->fd : -1)
        lttng_ust_field_integer_hex(uint8_t, revents, (uint8_t)revents)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, signal_recv,
    LTTNG_UST_TP_ARGS(const loop_t *, l, int, signum),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(int32_t, signum, signum)
    )
)

/* ---------------------------------------------------------------------- */
/* Handles                                                                 */

/* Lifecycle points that carry the whole identity (readers need no history). */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, handle_ident_class,
    LTTNG_UST_TP_ARGS(const loop_handle_t *, h),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_HLOOP(h)
        LOOP_TP_F_HIDENT(h)
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, handle_ident_class, libloop, handle_new,
    LTTNG_UST_TP_ARGS(const loop_handle_t *, h))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, handle_ident_class, libloop, handle_name,
    LTTNG_UST_TP_ARGS(const loop_handle_t *, h))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, handle_ident_class, libloop, handle_close,
    LTTNG_UST_TP_ARGS(const loop_handle_t *, h))

LTTNG_UST_TRACEPOINT_EVENT(libloop, handle_start,
    LTTNG_UST_TP_ARGS(const loop_handle_t *, h),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_HLOOP(h)
        LOOP_TP_F_HREF(h)
        lttng_ust_field_integer(uint64_t, due_ns, loop__tp_due_ns(h))
        lttng_ust_field_integer(uint64_t, repeat_ns, loop__tp_repeat_ns(h))
        lttng_ust_field_integer(int32_t, fd, loop__tp_fd(h))
        lttng_ust_field_integer_hex(uint8_t, events, (uint8_t)loop__tp_events(h))
        lttng_ust_field_integer(int32_t, signum, loop__tp_signum(h))
    )
)

LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, handle_ref_class,
    LTTNG_UST_TP_ARGS(const loop_handle_t *, h),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_HLOOP(h)
        LOOP_TP_F_HREF(h)
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, handle_ref_class, libloop, handle_stop,
    LTTNG_UST_TP_ARGS(const loop_handle_t *, h))

/* Dispatch: the order of callback_begin per loop is the dispatch order. */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, callback_class,
    LTTNG_UST_TP_ARGS(const loop_t *, l, const loop_handle_t *, h),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        LOOP_TP_F_HREF(h)
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, callback_class, libloop, callback_begin,
    LTTNG_UST_TP_ARGS(const loop_t *, l, const loop_handle_t *, h))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, callback_class, libloop, callback_end,
    LTTNG_UST_TP_ARGS(const loop_t *, l, const loop_handle_t *, h))

/* ---------------------------------------------------------------------- */
/* Thread pool                                                             */

/* Each submit gives the work item a new id: this event is its handle_new. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, pool_submit,
    LTTNG_UST_TP_ARGS(const loop_work_t *, w),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_HLOOP(w ? &w->handle : NULL)
        LOOP_TP_F_HIDENT(w ? &w->handle : NULL)
    )
)

/* On the worker thread (vtid tells which). */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, pool_class,
    LTTNG_UST_TP_ARGS(const loop_work_t *, w),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_HLOOP(w ? &w->handle : NULL)
        lttng_ust_field_integer(uint64_t, id, w ? w->handle.id : 0)
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, pool_class, libloop, pool_begin,
    LTTNG_UST_TP_ARGS(const loop_work_t *, w))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, pool_class, libloop, pool_end,
    LTTNG_UST_TP_ARGS(const loop_work_t *, w))

/* On the loop thread, in the order completions are collected. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, pool_done,
    LTTNG_UST_TP_ARGS(const loop_work_t *, w, int, status),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_HLOOP(w ? &w->handle : NULL)
        lttng_ust_field_integer(uint64_t, id, w ? w->handle.id : 0)
        lttng_ust_field_integer(int32_t, status, status)
    )
)

/* ---------------------------------------------------------------------- */
/* Tasks (scalar arguments: the task layer owns its structures)            */

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_new,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, uint64_t, parent_id, const char *, name,
                      const loop_site_t *, site),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, parent_task, parent_id)
        lttng_ust_field_string(name, loop__tp_str(name))
        LOOP_TP_F_SITE(site)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_ready,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, int, by_kind, uint64_t, by_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_enum(libloop, kind, uint8_t, by_kind, (uint8_t)by_kind)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_run,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_suspend,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, int, wait_kind, uint64_t, obj_id,
                      int64_t, timeout_ns, const loop_site_t *, site, uint64_t, wait_task),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_enum(libloop, wait_kind, uint8_t, wait_kind, (uint8_t)wait_kind)
        lttng_ust_field_integer(uint64_t, obj_id, obj_id)
        lttng_ust_field_integer(int64_t, timeout_ns, timeout_ns)
        LOOP_TP_F_SITE(site)
        lttng_ust_field_integer(uint64_t, wait_task, wait_task)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_done,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, int, state, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_enum(libloop, task_state, uint8_t, state, (uint8_t)state)
        lttng_ust_field_integer(int32_t, err, err)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_cancel,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, uint64_t, by_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
    )
)

/* The outcome is retrieved (loop_join, a group's wait): the task is joined. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, task_join,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, uint64_t, by_id, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
        lttng_ust_field_integer(int32_t, err, err)
    )
)

/* Nobody will join it: loop_task_detach (group_id 0) or a group owns it. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, task_detach,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, uint64_t, group_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, group_id, group_id)
    )
)

/*
 * One I/O call of a task helper (loop_read, loop_write, loop_accept,
 * loop_connect): each attempt, including those that find nothing (-EAGAIN).
 * id: the task (0 outside a task); result: bytes, the new fd, 0, or -errno.
 */
LTTNG_UST_TRACEPOINT_EVENT(libloop, task_io,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, int, fd, int, op, int64_t, result),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_enum(libloop, io_op, uint8_t, op, (uint8_t)op)
        lttng_ust_field_integer(int64_t, result, result)
    )
)

/* ---------------------------------------------------------------------- */
/* Synchronisation objects (futures, events, locks, channels, groups)      */

LTTNG_UST_TRACEPOINT_EVENT(libloop, sync_new,
    LTTNG_UST_TP_ARGS(const loop_t *, l, int, sync_kind, uint64_t, id, const loop_site_t *, site),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_enum(libloop, sync_kind, uint8_t, sync_kind, (uint8_t)sync_kind)
        lttng_ust_field_integer(uint64_t, id, id)
        LOOP_TP_F_SITE(site)
        lttng_ust_field_integer(uint64_t, parent_task, l ? l->current_task : 0)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, sync_free,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
    )
)

/* A future resolved (err 0) or failed (err < 0). */
LTTNG_UST_TRACEPOINT_EVENT(libloop, future_settle,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, err, err)
    )
)

/* A settled future's outcome was retrieved (loop_future_result, an await). */
LTTNG_UST_TRACEPOINT_EVENT(libloop, future_result,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, err, err)
        lttng_ust_field_integer(uint64_t, by_id, l ? l->current_task : 0)
    )
)

/* ---------------------------------------------------------------------- */
/* Diagnostics                                                             */

/* Reads h->id, kind, name and site only: the core passes its dispatch copy. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, slow_callback,
    LTTNG_UST_TP_ARGS(const loop_t *, l, const loop_handle_t *, h, uint64_t, duration_ns),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        LOOP_TP_F_HREF(h)
        lttng_ust_field_string(name, loop__tp_h_name(h))
        LOOP_TP_F_SITE(loop__tp_h_site(h))
        lttng_ust_field_integer(uint64_t, duration_ns, duration_ns)
    )
)

/* From the watchdog thread, while the loop thread is still blocked. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, stall,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, uint64_t, duration_ns,
                      const char *, backtrace),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, duration_ns, duration_ns)
        lttng_ust_field_string(backtrace, loop__tp_str(backtrace))
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, error,
    LTTNG_UST_TP_ARGS(const loop_t *, l, const loop_handle_t *, h, int, err, const char *, msg),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        LOOP_TP_F_HREF(h)
        lttng_ust_field_integer(int32_t, err, err)
        lttng_ust_field_string(msg, loop__tp_str(msg))
    )
)

/* ---------------------------------------------------------------------- */
/* Abandoned locks (task_sync.c; docs/trace-format.md, lock_abandoned)     */

/* A task ended holding a lock: the lock's next owner gets -EOWNERDEAD. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, lock_abandoned,
    LTTNG_UST_TP_ARGS(const loop_t *, l, uint64_t, id, uint64_t, owner_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP(l)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, owner_id, owner_id)
    )
)

/* ---------------------------------------------------------------------- */
/* State snapshot (format minor 2; libloop/debug/attach.c)                 */
/*
 * When tracing starts in a running process (loopctl PID trace on, loop-trace
 * attach) and then every 2 s while it stays on, the loop thread describes its
 * current state between two iterations: snapshot_begin (the loop_new facts),
 * one snapshot_handle per open handle, one snapshot_task per unfinished task
 * followed, for a waiting task, by its snapshot_wait (task_suspend's fields),
 * and snapshot_end. Scalar arguments only (LTTng takes at most 10). docs/trace-format.md, "State
 * snapshot".
 */

LTTNG_UST_TRACEPOINT_EVENT(libloop, snapshot_begin,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint8_t, policy, uint8_t, debug, uint64_t, now_ns,
                      uint64_t, random_seed, uint8_t, reason, uint64_t, seq),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint16_t, format_version, LOOP_TRACE_FORMAT_VERSION)
        lttng_ust_field_integer(uint16_t, format_minor, LOOP_TRACE_FORMAT_MINOR)
        lttng_ust_field_integer(uint16_t, version_major, LOOP_VERSION_MAJOR)
        lttng_ust_field_integer(uint16_t, version_minor, LOOP_VERSION_MINOR)
        lttng_ust_field_enum(libloop, policy, uint8_t, policy, policy)
        lttng_ust_field_integer(uint8_t, debug, debug)
        lttng_ust_field_integer(uint64_t, now_ns, now_ns)
        lttng_ust_field_integer(uint64_t, random_seed, random_seed)
        /* 0: tracing was just turned on; 1: periodic, while it stays on */
        lttng_ust_field_integer(uint8_t, reason, reason)
        lttng_ust_field_integer(uint64_t, seq, seq)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, snapshot_handle,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint8_t, kind, const char *, name,
                      const char *, site_file, int32_t, site_line, const char *, site_func,
                      uint64_t, parent_task, uint8_t, hflags, int32_t, fd),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_enum(libloop, kind, uint8_t, kind, kind)
        lttng_ust_field_string(name, loop__tp_str(name))
        lttng_ust_field_string(site_file, loop__tp_str(site_file))
        lttng_ust_field_integer(int32_t, site_line, site_line)
        lttng_ust_field_string(site_func, loop__tp_str(site_func))
        lttng_ust_field_integer(uint64_t, parent_task, parent_task)
        /* bit 0: active (started); bit 1: libloop's own (a task's timer) */
        lttng_ust_field_integer(uint8_t, hflags, hflags)
        lttng_ust_field_integer(int32_t, fd, fd)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, snapshot_task,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, parent_task, const char *, name,
                      const char *, site_file, int32_t, site_line, const char *, site_func,
                      uint8_t, state, uint64_t, age_ns, uint64_t, steps),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, parent_task, parent_task)
        lttng_ust_field_string(name, loop__tp_str(name))
        lttng_ust_field_string(site_file, loop__tp_str(site_file))
        lttng_ust_field_integer(int32_t, site_line, site_line)
        lttng_ust_field_string(site_func, loop__tp_str(site_func))
        lttng_ust_field_enum(libloop, task_state, uint8_t, state, state)
        /* how long it has been in this state (loop clock), ns */
        lttng_ust_field_integer(uint64_t, age_ns, age_ns)
        lttng_ust_field_integer(uint64_t, steps, steps)
    )
)

/* Right after a waiting task's snapshot_task: task_suspend's fields. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, snapshot_wait,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint8_t, wait_kind, uint64_t, obj_id,
                      int64_t, timeout_ns, const char *, site_file, int32_t, site_line,
                      const char *, site_func, uint64_t, wait_task),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_enum(libloop, wait_kind, uint8_t, wait_kind, wait_kind)
        lttng_ust_field_integer(uint64_t, obj_id, obj_id)
        lttng_ust_field_integer(int64_t, timeout_ns, timeout_ns)
        lttng_ust_field_string(site_file, loop__tp_str(site_file))
        lttng_ust_field_integer(int32_t, site_line, site_line)
        lttng_ust_field_string(site_func, loop__tp_str(site_func))
        lttng_ust_field_integer(uint64_t, wait_task, wait_task)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, snapshot_end,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, seq, uint64_t, ntasks, uint64_t, nhandles),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint64_t, seq, seq)
        lttng_ust_field_integer(uint64_t, ntasks, ntasks)
        lttng_ust_field_integer(uint64_t, nhandles, nhandles)
    )
)
/* End of the state snapshot block. */

LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, slow_callback, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)
LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, stall, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)
LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, error, LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR)
LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, lock_abandoned, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)

#endif /* LOOP_LIBLOOP_TP_H */

#include <lttng/tracepoint-event.h>
