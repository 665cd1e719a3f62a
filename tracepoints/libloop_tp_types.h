/*
 * libloop_tp_types.h — the libloop trace's own types: its format version and
 * the values of its enumerations (kind, task_state, wait_kind, sync_kind,
 * io_op, run_mode, policy), as the provider tracepoints/libloop_tp.h encodes
 * them.
 *
 * This header and <lttng/tracepoint.h> are all the provider depends on: its
 * tracepoints take scalars (ids, enumeration values, strings, a site as file,
 * line and function), never libloop's structures. libloop/core/trace.h turns
 * loops, handles and work items into those scalars; trace.c and the task layer
 * _Static_assert that libloop's enums equal these values. No LTTng inside, so
 * a build without tracepoints (LOOP_NO_TRACE) includes it too.
 */
#ifndef LOOP_LIBLOOP_TP_TYPES_H
#define LOOP_LIBLOOP_TP_TYPES_H

/* Stored in libloop:loop_new as format_version (docs/trace-format.md). */
#define LOOP_TRACE_FORMAT_VERSION 1
/*
 * Stored in libloop:loop_new as format_minor: bumped when events are added,
 * so that a consumer can rely on the absence of an event (no task_join: the
 * task was never joined) only in traces that would have had it.
 *   1: task_join, task_detach, sync_new, sync_free, future_settle,
 *      future_result, task_io; loop_new's random_seed.
 *   2: lock_abandoned, lock_handoff, loop_stuck (the blocks at the end of
 *      libloop_tp.h).
 *   3: snapshot_begin, snapshot_handle, snapshot_task, snapshot_wait,
 *      snapshot_end (the state snapshot of a loop traced mid-run, attach.c).
 *   4: outcome (what replay checks beyond the order: the NOTE records),
 *      stream_io (libloop-uv's stream reads, writes and accepts); io_ready
 *      and time_update also for the uv loop's readiness and clock reads.
 *   5: event_set (a loop_event_set, also one that woke nobody).
 */
#define LOOP_TRACE_FORMAT_MINOR 5

/* What a handle (or a dispatch) is: the kind enumeration (loop_kind_t). */
enum loop__tp_kind {
    LOOP__TP_KIND_NONE = 0,
    LOOP__TP_KIND_TIMER = 1,
    LOOP__TP_KIND_IO = 2,
    LOOP__TP_KIND_SIGNAL = 3,
    LOOP__TP_KIND_DEFER = 4,
    LOOP__TP_KIND_ASYNC = 5,
    LOOP__TP_KIND_WORK = 6,
    LOOP__TP_KIND_TASK = 7,
    LOOP__TP_KIND_CLOSE = 8,
};

/* run_begin's mode (loop_run_mode_t). */
enum loop__tp_run_mode {
    LOOP__TP_RUN_DEFAULT = 0,
    LOOP__TP_RUN_ONCE = 1,
    LOOP__TP_RUN_NOWAIT = 2,
};

/* loop_new's scheduler policy. */
enum loop__tp_policy {
    LOOP__TP_POLICY_FIFO = 0,
    LOOP__TP_POLICY_CHAOS = 1,
    LOOP__TP_POLICY_REPLAY = 2,
};

/*
 * Task states and wait kinds as the trace encodes them. The task layer keeps
 * its own enums equal to these (_Static_assert them there).
 */
enum loop__tp_task_state {
    LOOP__TP_TASK_NEW = 0,
    LOOP__TP_TASK_READY = 1,
    LOOP__TP_TASK_RUNNING = 2,
    LOOP__TP_TASK_WAITING = 3,
    LOOP__TP_TASK_DONE = 4,
    LOOP__TP_TASK_CANCELLED = 5,
    LOOP__TP_TASK_FAILED = 6,
};

enum loop__tp_wait_kind {
    LOOP__TP_WAIT_NONE = 0,
    LOOP__TP_WAIT_SLEEP = 1,
    LOOP__TP_WAIT_YIELD = 2,
    LOOP__TP_WAIT_FD = 3,
    LOOP__TP_WAIT_JOIN = 4,
    LOOP__TP_WAIT_FUTURE = 5,
    LOOP__TP_WAIT_EVENT = 6,
    LOOP__TP_WAIT_LOCK = 7,
    LOOP__TP_WAIT_CHANNEL_SEND = 8,
    LOOP__TP_WAIT_CHANNEL_RECV = 9,
    LOOP__TP_WAIT_WORK = 10,
    LOOP__TP_WAIT_GROUP = 11,
};

/* What sync_new creates. */
enum loop__tp_sync_kind {
    LOOP__TP_SYNC_FUTURE = 0,
    LOOP__TP_SYNC_EVENT = 1,
    LOOP__TP_SYNC_LOCK = 2,
    LOOP__TP_SYNC_CHANNEL = 3,
    LOOP__TP_SYNC_GROUP = 4,
};

/* task_io's operation. */
enum loop__tp_io_op {
    LOOP__TP_IO_READ = 0,
    LOOP__TP_IO_WRITE = 1,
    LOOP__TP_IO_ACCEPT = 2,
    LOOP__TP_IO_CONNECT = 3,
};

#endif /* LOOP_LIBLOOP_TP_TYPES_H */
