/*
 * libloop_tp.h — the LTTng-UST provider "libloop": every event libloop emits.
 *
 * This one header is the whole schema: event names, fields, types, field
 * order and the enumerations (their values come from libloop_tp_types.h, with
 * the format's version). tests/schema_check.sh compares what the compiled
 * probe declares with the reader's event table (reader/names.c, reader/decode.c's
 * field table), docs/trace-format.md's tables and tracecompass/libloop.xml;
 * change them with it (bump LOOP_TRACE_FORMAT_VERSION when a field is removed,
 * renamed, retyped or changes meaning; adding an event or appending a field
 * is compatible: bump LOOP_TRACE_FORMAT_MINOR and document it).
 *
 * Tracepoints take scalars only — ids, enumeration values, strings, a site as
 * file, line, function — so the provider depends on nothing but
 * libloop_tp_types.h and LTTng. libloop/core/trace.h converts libloop's
 * objects into these arguments (one inline wrapper per event, run only when
 * the event is enabled). Strings must not be NULL (the wrappers pass "").
 *
 * Three translation units include it:
 *  - every libloop/PART/NAME.c through libloop/core/trace.h: declares the
 *    call sites;
 *  - libloop/core/trace.c with LTTNG_UST_TRACEPOINT_DEFINE and
 *    LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE: defines the call-site
 *    structures, so libloop links neither liblttng-ust nor this probe;
 *  - tracepoints/libloop_tp.c with LTTNG_UST_TRACEPOINT_CREATE_PROBES: the
 *    probe object build/lib/liblooptp.so (linked with liblttng-ust), loaded by
 *    LD_PRELOAD or by libloop itself when LOOP_TRACE=1.
 *
 * A new event goes at the end of the file (after `error`), with scalar
 * arguments, and gets its wrapper at the end of trace.h's list.
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

/* The format's version and the enumerations' values (no LTTng inside). */
#include "libloop_tp_types.h"

#ifndef LOOP_LIBLOOP_TP_ONCE
#define LOOP_LIBLOOP_TP_ONCE

/* Field groups shared by several events (each names its arguments). */
#define LOOP_TP_F_LOOP lttng_ust_field_integer(uint64_t, loop_id, loop_id)
/* A reference to a handle, task or work item: arguments id, kind. */
#define LOOP_TP_F_REF                                                                    \
    lttng_ust_field_integer(uint64_t, id, id)                                            \
    lttng_ust_field_enum(libloop, kind, uint8_t, kind, (uint8_t)kind)
/* A source line: arguments site_file, site_line, site_func. */
#define LOOP_TP_F_SITE                                                                   \
    lttng_ust_field_string(site_file, site_file)                                         \
    lttng_ust_field_integer(int32_t, site_line, site_line)                               \
    lttng_ust_field_string(site_func, site_func)
/* The full identity of a handle: who it is, where it was made, by which task. */
#define LOOP_TP_F_IDENT                                                                  \
    LOOP_TP_F_REF                                                                        \
    lttng_ust_field_string(name, name)                                                   \
    LOOP_TP_F_SITE                                                                       \
    lttng_ust_field_integer(uint64_t, parent_task, parent_task)

#endif /* LOOP_LIBLOOP_TP_ONCE */

/* ---------------------------------------------------------------------- */
/* Enumerations                                                            */

LTTNG_UST_TRACEPOINT_ENUM(libloop, kind,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("none", LOOP__TP_KIND_NONE)
        lttng_ust_field_enum_value("timer", LOOP__TP_KIND_TIMER)
        lttng_ust_field_enum_value("io", LOOP__TP_KIND_IO)
        lttng_ust_field_enum_value("signal", LOOP__TP_KIND_SIGNAL)
        lttng_ust_field_enum_value("defer", LOOP__TP_KIND_DEFER)
        lttng_ust_field_enum_value("async", LOOP__TP_KIND_ASYNC)
        lttng_ust_field_enum_value("work", LOOP__TP_KIND_WORK)
        lttng_ust_field_enum_value("task", LOOP__TP_KIND_TASK)
        lttng_ust_field_enum_value("close", LOOP__TP_KIND_CLOSE)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, task_state,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("new", LOOP__TP_TASK_NEW)
        lttng_ust_field_enum_value("ready", LOOP__TP_TASK_READY)
        lttng_ust_field_enum_value("running", LOOP__TP_TASK_RUNNING)
        lttng_ust_field_enum_value("waiting", LOOP__TP_TASK_WAITING)
        lttng_ust_field_enum_value("done", LOOP__TP_TASK_DONE)
        lttng_ust_field_enum_value("cancelled", LOOP__TP_TASK_CANCELLED)
        lttng_ust_field_enum_value("failed", LOOP__TP_TASK_FAILED)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, wait_kind,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("none", LOOP__TP_WAIT_NONE)
        lttng_ust_field_enum_value("sleep", LOOP__TP_WAIT_SLEEP)
        lttng_ust_field_enum_value("yield", LOOP__TP_WAIT_YIELD)
        lttng_ust_field_enum_value("fd", LOOP__TP_WAIT_FD)
        lttng_ust_field_enum_value("join", LOOP__TP_WAIT_JOIN)
        lttng_ust_field_enum_value("future", LOOP__TP_WAIT_FUTURE)
        lttng_ust_field_enum_value("event", LOOP__TP_WAIT_EVENT)
        lttng_ust_field_enum_value("lock", LOOP__TP_WAIT_LOCK)
        lttng_ust_field_enum_value("channel_send", LOOP__TP_WAIT_CHANNEL_SEND)
        lttng_ust_field_enum_value("channel_recv", LOOP__TP_WAIT_CHANNEL_RECV)
        lttng_ust_field_enum_value("work", LOOP__TP_WAIT_WORK)
        lttng_ust_field_enum_value("group", LOOP__TP_WAIT_GROUP)
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
        lttng_ust_field_enum_value("default", LOOP__TP_RUN_DEFAULT)
        lttng_ust_field_enum_value("once", LOOP__TP_RUN_ONCE)
        lttng_ust_field_enum_value("nowait", LOOP__TP_RUN_NOWAIT)
    )
)

LTTNG_UST_TRACEPOINT_ENUM(libloop, policy,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("fifo", LOOP__TP_POLICY_FIFO)
        lttng_ust_field_enum_value("chaos", LOOP__TP_POLICY_CHAOS)
        lttng_ust_field_enum_value("replay", LOOP__TP_POLICY_REPLAY)
    )
)

/* ---------------------------------------------------------------------- */
/* Loop                                                                    */

LTTNG_UST_TRACEPOINT_EVENT(libloop, loop_new,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int, version_major, int, version_minor, int, policy,
                      int, debug, uint64_t, now_ns, uint64_t, random_seed),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint16_t, format_version, LOOP_TRACE_FORMAT_VERSION)
        lttng_ust_field_integer(uint16_t, version_major, (uint16_t)version_major)
        lttng_ust_field_integer(uint16_t, version_minor, (uint16_t)version_minor)
        lttng_ust_field_enum(libloop, policy, uint8_t, policy, (uint8_t)policy)
        lttng_ust_field_integer(uint8_t, debug, (uint8_t)debug)
        lttng_ust_field_integer(uint64_t, now_ns, now_ns)
        lttng_ust_field_integer(uint16_t, format_minor, LOOP_TRACE_FORMAT_MINOR)
        lttng_ust_field_integer(uint64_t, random_seed, random_seed)
    )
)

/* Events with nothing but the loop. */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, loop_class,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, loop_class, libloop, loop_close,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id))

LTTNG_UST_TRACEPOINT_EVENT(libloop, run_begin,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int, mode),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_enum(libloop, run_mode, uint8_t, mode, (uint8_t)mode)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, run_end,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int, rc),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(int32_t, rc, rc)
    )
)

/* The loop's clock value: at each iteration start and at each explicit refresh. */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, clock_class,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, now_ns),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, now_ns, now_ns)
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, clock_class, libloop, iter_begin,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, now_ns))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, clock_class, libloop, time_update,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, now_ns))

LTTNG_UST_TRACEPOINT_EVENT(libloop, poll_begin,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int64_t, timeout_ns),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(int64_t, timeout_ns, timeout_ns)
    )
)

/* err: 0 or a negative errno (trace.h normalizes the sign). */
LTTNG_UST_TRACEPOINT_EVENT(libloop, poll_end,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int, nready, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(int32_t, nready, nready)
        lttng_ust_field_integer(int32_t, err, err)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, io_ready,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, fd, int, revents),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer_hex(uint8_t, revents, (uint8_t)revents)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, signal_recv,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int, signum),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(int32_t, signum, signum)
    )
)

/* ---------------------------------------------------------------------- */
/* Handles                                                                 */

/* Lifecycle points that carry the whole identity (readers need no history). */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, handle_ident_class,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind, const char *, name,
                      const char *, site_file, int, site_line, const char *, site_func,
                      uint64_t, parent_task),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        LOOP_TP_F_IDENT
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, handle_ident_class, libloop, handle_new,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind, const char *, name,
                      const char *, site_file, int, site_line, const char *, site_func,
                      uint64_t, parent_task))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, handle_ident_class, libloop, handle_name,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind, const char *, name,
                      const char *, site_file, int, site_line, const char *, site_func,
                      uint64_t, parent_task))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, handle_ident_class, libloop, handle_close,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind, const char *, name,
                      const char *, site_file, int, site_line, const char *, site_func,
                      uint64_t, parent_task))

/* The start parameters: meaningful for one kind each, 0 / -1 otherwise. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, handle_start,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind, uint64_t, due_ns,
                      uint64_t, repeat_ns, int, fd, int, events, int, signum),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        LOOP_TP_F_REF
        lttng_ust_field_integer(uint64_t, due_ns, due_ns)
        lttng_ust_field_integer(uint64_t, repeat_ns, repeat_ns)
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_integer_hex(uint8_t, events, (uint8_t)events)
        lttng_ust_field_integer(int32_t, signum, signum)
    )
)

LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, handle_ref_class,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        LOOP_TP_F_REF
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, handle_ref_class, libloop, handle_stop,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind))

/* Dispatch: the order of callback_begin per loop is the dispatch order. */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, callback_class,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        LOOP_TP_F_REF
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, callback_class, libloop, callback_begin,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, callback_class, libloop, callback_end,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind))

/* ---------------------------------------------------------------------- */
/* Thread pool                                                             */

/* Each submit gives the work item a new id: this event is its handle_new. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, pool_submit,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind, const char *, name,
                      const char *, site_file, int, site_line, const char *, site_func,
                      uint64_t, parent_task),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        LOOP_TP_F_IDENT
    )
)

/* On the worker thread (vtid tells which). */
LTTNG_UST_TRACEPOINT_EVENT_CLASS(libloop, pool_class,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
    )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, pool_class, libloop, pool_begin,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(libloop, pool_class, libloop, pool_end,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id))

/* On the loop thread, in the order completions are collected. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, pool_done,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, status),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, status, status)
    )
)

/* ---------------------------------------------------------------------- */
/* Tasks                                                                   */

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_new,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, parent_task, const char *, name,
                      const char *, site_file, int, site_line, const char *, site_func),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, parent_task, parent_task)
        lttng_ust_field_string(name, name)
        LOOP_TP_F_SITE
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_ready,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, by_kind, uint64_t, by_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_enum(libloop, kind, uint8_t, by_kind, (uint8_t)by_kind)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_run,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_suspend,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, wait_kind, uint64_t, obj_id,
                      int64_t, timeout_ns, const char *, site_file, int, site_line,
                      const char *, site_func, uint64_t, wait_task),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_enum(libloop, wait_kind, uint8_t, wait_kind, (uint8_t)wait_kind)
        lttng_ust_field_integer(uint64_t, obj_id, obj_id)
        lttng_ust_field_integer(int64_t, timeout_ns, timeout_ns)
        LOOP_TP_F_SITE
        lttng_ust_field_integer(uint64_t, wait_task, wait_task)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_done,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, state, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_enum(libloop, task_state, uint8_t, state, (uint8_t)state)
        lttng_ust_field_integer(int32_t, err, err)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, task_cancel,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, by_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
    )
)

/* The outcome is retrieved (loop_join, a group's wait): the task is joined. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, task_join,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, by_id, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
        lttng_ust_field_integer(int32_t, err, err)
    )
)

/* Nobody will join it: loop_task_detach (group_id 0) or a group owns it. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, task_detach,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, group_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
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
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, fd, int, op, int64_t, result),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_enum(libloop, io_op, uint8_t, op, (uint8_t)op)
        lttng_ust_field_integer(int64_t, result, result)
    )
)

/* ---------------------------------------------------------------------- */
/* Synchronisation objects (futures, events, locks, channels, groups)      */

LTTNG_UST_TRACEPOINT_EVENT(libloop, sync_new,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int, sync_kind, uint64_t, id, const char *, site_file,
                      int, site_line, const char *, site_func, uint64_t, parent_task),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_enum(libloop, sync_kind, uint8_t, sync_kind, (uint8_t)sync_kind)
        lttng_ust_field_integer(uint64_t, id, id)
        LOOP_TP_F_SITE
        lttng_ust_field_integer(uint64_t, parent_task, parent_task)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(libloop, sync_free,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
    )
)

/* A future resolved (err 0) or failed (err < 0). */
LTTNG_UST_TRACEPOINT_EVENT(libloop, future_settle,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, err),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, err, err)
    )
)

/* A settled future's outcome was retrieved (loop_future_result, an await). */
LTTNG_UST_TRACEPOINT_EVENT(libloop, future_result,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, err, uint64_t, by_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, err, err)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
    )
)

/* ---------------------------------------------------------------------- */
/* Diagnostics                                                             */

/* A callback or task step that ran past the slow threshold. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, slow_callback,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind, const char *, name,
                      const char *, site_file, int, site_line, const char *, site_func,
                      uint64_t, duration_ns),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        LOOP_TP_F_REF
        lttng_ust_field_string(name, name)
        LOOP_TP_F_SITE
        lttng_ust_field_integer(uint64_t, duration_ns, duration_ns)
    )
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, slow_callback, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)

/* From the watchdog thread, while the loop thread is still blocked. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, stall,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, duration_ns,
                      const char *, backtrace),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, duration_ns, duration_ns)
        lttng_ust_field_string(backtrace, backtrace)
    )
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, stall, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)

LTTNG_UST_TRACEPOINT_EVENT(libloop, error,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, kind, int, err, const char *, msg),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        LOOP_TP_F_REF
        lttng_ust_field_integer(int32_t, err, err)
        lttng_ust_field_string(msg, msg)
    )
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, error, LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR)

/* ---------------------------------------------------------------------- */
/* Abandoned locks (task_sync.c; docs/trace-format.md, lock_abandoned)     */

/* A task ended holding a lock: the lock's next owner gets -EOWNERDEAD. */
LTTNG_UST_TRACEPOINT_EVENT(libloop, lock_abandoned,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, owner_id),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, owner_id, owner_id)
    )
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, lock_abandoned, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)

/* ---------------------------------------------------------------------- */

/* ---------------------------------------------------------------------- */
/* Format minor 2: facts the hang analysis needs (loop-analyze hangs).     */
/* Scalars only: these events do not dereference libloop objects.          */

/*
 * Lock `id` was handed to its first waiter `owner_task` (loop_lock_release,
 * or its owner ended holding it: lock_abandoned): the remaining waiters now
 * wait for it. by_id: the previous owner.
 */
LTTNG_UST_TRACEPOINT_EVENT(libloop, lock_handoff,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, owner_task, uint64_t, by_id),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, owner_task, owner_task)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
    )
)

/*
 * loop_run(LOOP_RUN_DEFAULT) ran out of work (no active handle, timer, fd
 * or pool work) with `count` tasks unfinished: nothing can wake them. The
 * first LOOP__TP_STUCK_IDS of their ids (creation order) in task_ids.
 */
#ifndef LOOP__TP_STUCK_IDS
#define LOOP__TP_STUCK_IDS 64
#endif
LTTNG_UST_TRACEPOINT_EVENT(libloop, loop_stuck,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, count, const uint64_t *, ids, uint32_t, nids),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint64_t, count, count)
        lttng_ust_field_sequence(uint64_t, task_ids, ids, uint32_t, nids)
    )
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(libloop, loop_stuck, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)

/*
 * (format minor 5) loop_event_set() on event `id`, by task `by_id` (0
 * outside tasks), whether or not a task waited: a set that wakes nobody is
 * otherwise invisible, and loop-analyze must see it to know a wakeup was
 * not lost (docs/analyze.md, "Which hangs are reported").
 */
LTTNG_UST_TRACEPOINT_EVENT(libloop, event_set,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, uint64_t, by_id),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(uint64_t, by_id, by_id)
    )
)

/* New events: append here, scalar arguments only (see the top of the file). */

/* ---------------------------------------------------------------------- */
/* State snapshot (format minor 3; libloop/debug/attach.c)                 */
/*
 * When tracing starts in a running process (loopctl PID trace on, loop-trace
 * attach) and then every 2 s while it stays on, the loop thread describes its
 * current state between two iterations: snapshot_begin (the loop_new facts),
 * one snapshot_handle per open handle, one snapshot_task per unfinished task
 * followed, for a waiting task, by its snapshot_wait (task_suspend's fields),
 * and snapshot_end. Scalar arguments only (LTTng takes at most 10), strings
 * never NULL; no wrapper in trace.h. docs/trace-format.md, "State snapshot".
 */

LTTNG_UST_TRACEPOINT_EVENT(libloop, snapshot_begin,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int, version_major, int, version_minor, uint8_t, policy,
                      uint8_t, debug, uint64_t, now_ns, uint64_t, random_seed, uint8_t, reason,
                      uint64_t, seq),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(uint64_t, loop_id, loop_id)
        lttng_ust_field_integer(uint16_t, format_version, LOOP_TRACE_FORMAT_VERSION)
        lttng_ust_field_integer(uint16_t, format_minor, LOOP_TRACE_FORMAT_MINOR)
        lttng_ust_field_integer(uint16_t, version_major, (uint16_t)version_major)
        lttng_ust_field_integer(uint16_t, version_minor, (uint16_t)version_minor)
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
        lttng_ust_field_string(name, name)
        lttng_ust_field_string(site_file, site_file)
        lttng_ust_field_integer(int32_t, site_line, site_line)
        lttng_ust_field_string(site_func, site_func)
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
        lttng_ust_field_string(name, name)
        lttng_ust_field_string(site_file, site_file)
        lttng_ust_field_integer(int32_t, site_line, site_line)
        lttng_ust_field_string(site_func, site_func)
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
        lttng_ust_field_string(site_file, site_file)
        lttng_ust_field_integer(int32_t, site_line, site_line)
        lttng_ust_field_string(site_func, site_func)
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

/* ---------------------------------------------------------------------- */
/* Format minor 4: what replay checks beyond the order, and uv stream I/O  */
/*
 * An outcome the recorder keeps as a NOTE record and replay checks
 * (record.h, loop__rr_outcome): what is the note's number (1 a work item's
 * status, 2 loop_work_cancel's result, 3 loop_run_blocking's result, 4 the
 * async sends one dispatch coalesced, 5 a monitor cancel's result), id its
 * object, value the outcome. Emitted where the recorder notes it.
 */
LTTNG_UST_TRACEPOINT_EVENT(libloop, outcome,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, int, what, uint64_t, id, int64_t, value),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint8_t, what, (uint8_t)what)
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int64_t, value, value)
    )
)


/*
 * One read, write or accept system call of a uv stream (uv_tcp_t,
 * uv_pipe_t), each attempt, including those that find nothing (-EAGAIN),
 * in the order they happened: what task_io is for a task, for a stream.
 * id: the stream's handle; result: bytes, the new fd, or -errno.
 */
LTTNG_UST_TRACEPOINT_EVENT(libloop, stream_io,
    LTTNG_UST_TP_ARGS(uint64_t, loop_id, uint64_t, id, int, fd, int, op, int64_t, result),
    LTTNG_UST_TP_FIELDS(
        LOOP_TP_F_LOOP
        lttng_ust_field_integer(uint64_t, id, id)
        lttng_ust_field_integer(int32_t, fd, fd)
        lttng_ust_field_enum(libloop, io_op, uint8_t, op, (uint8_t)op)
        lttng_ust_field_integer(int64_t, result, result)
    )
)

#endif /* LOOP_LIBLOOP_TP_H */

#include <lttng/tracepoint-event.h>
