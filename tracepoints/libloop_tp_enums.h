/*
 * libloop_tp_enums.h — the task states and wait kinds as the libloop trace
 * encodes them (the task_state and wait_kind enumerations of the provider,
 * tracepoints/libloop_tp.h, which includes this file).
 *
 * Separate from the provider so that it needs no LTTng header: libloop/trace.h
 * includes it in a build without tracepoints (LOOP_NO_TRACE), where trace.c
 * still checks the core's enums against these values.
 */
#ifndef LOOP_LIBLOOP_TP_ENUMS_H
#define LOOP_LIBLOOP_TP_ENUMS_H

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

#endif /* LOOP_LIBLOOP_TP_ENUMS_H */
