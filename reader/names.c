/*
 * names.c — the names of event types and trace enumerations (reader.h),
 * as the trace spells them. Apart from the libbabeltrace2 files so that the model and the
 * reports link without libbabeltrace2 (tests, fuzz targets).
 */
#include "reader.h"

static const char *const type_names[EV_TYPE_MAX] = {
    [EV_NONE] = "?",
    [EV_LOOP_NEW] = "loop_new",
    [EV_LOOP_CLOSE] = "loop_close",
    [EV_RUN_BEGIN] = "run_begin",
    [EV_RUN_END] = "run_end",
    [EV_ITER_BEGIN] = "iter_begin",
    [EV_TIME_UPDATE] = "time_update",
    [EV_POLL_BEGIN] = "poll_begin",
    [EV_POLL_END] = "poll_end",
    [EV_IO_READY] = "io_ready",
    [EV_SIGNAL_RECV] = "signal_recv",
    [EV_HANDLE_NEW] = "handle_new",
    [EV_HANDLE_NAME] = "handle_name",
    [EV_HANDLE_START] = "handle_start",
    [EV_HANDLE_STOP] = "handle_stop",
    [EV_HANDLE_CLOSE] = "handle_close",
    [EV_CALLBACK_BEGIN] = "callback_begin",
    [EV_CALLBACK_END] = "callback_end",
    [EV_POOL_SUBMIT] = "pool_submit",
    [EV_POOL_BEGIN] = "pool_begin",
    [EV_POOL_END] = "pool_end",
    [EV_POOL_DONE] = "pool_done",
    [EV_TASK_NEW] = "task_new",
    [EV_TASK_READY] = "task_ready",
    [EV_TASK_RUN] = "task_run",
    [EV_TASK_SUSPEND] = "task_suspend",
    [EV_TASK_DONE] = "task_done",
    [EV_TASK_CANCEL] = "task_cancel",
    [EV_TASK_JOIN] = "task_join",
    [EV_TASK_DETACH] = "task_detach",
    [EV_TASK_IO] = "task_io",
    [EV_SYNC_NEW] = "sync_new",
    [EV_SYNC_FREE] = "sync_free",
    [EV_FUTURE_SETTLE] = "future_settle",
    [EV_FUTURE_RESULT] = "future_result",
    [EV_LOCK_HANDOFF] = "lock_handoff",
    [EV_LOOP_STUCK] = "loop_stuck",
    [EV_EVENT_SET] = "event_set",
    [EV_SLOW_CALLBACK] = "slow_callback",
    [EV_STALL] = "stall",
    [EV_ERROR] = "error",
    [EV_LOCK_ABANDONED] = "lock_abandoned",
    [EV_SNAPSHOT_BEGIN] = "snapshot_begin",
    [EV_SNAPSHOT_HANDLE] = "snapshot_handle",
    [EV_SNAPSHOT_TASK] = "snapshot_task",
    [EV_SNAPSHOT_WAIT] = "snapshot_wait",
    [EV_SNAPSHOT_END] = "snapshot_end",
    [EV_OUTCOME] = "outcome",
    [EV_STREAM_IO] = "stream_io",
    [EV_DISCARDED] = "(discarded)",
    [EV_TICK] = "(tick)",
};

static const char *const kind_names[KIND_MAX] = {
    "none", "timer", "io", "signal", "defer", "async", "work", "task", "close",
};
static const char *const state_names[TS_MAX] = {
    "new", "ready", "running", "waiting", "done", "cancelled", "failed",
};
static const char *const wait_names[WAIT_MAX] = {
    "none", "sleep", "yield", "fd", "join", "future", "event",
    "lock", "channel_send", "channel_recv", "work", "group",
};

static const char *const sync_names[SYNC_MAX] = {
    "future", "event", "lock", "channel", "group",
};
static const char *const io_op_names[IO_OP_MAX] = {
    "read", "write", "accept", "connect",
};

const char *ev_type_name(int type)
{
    return type > 0 && type < EV_TYPE_MAX && type_names[type] ? type_names[type] : "?";
}
const char *ev_kind_name(int kind)
{
    return kind >= 0 && kind < KIND_MAX ? kind_names[kind] : "?";
}
const char *ev_task_state_name(int state)
{
    return state >= 0 && state < TS_MAX ? state_names[state] : "?";
}
const char *ev_wait_kind_name(int wait_kind)
{
    return wait_kind >= 0 && wait_kind < WAIT_MAX ? wait_names[wait_kind] : "?";
}
const char *ev_sync_kind_name(int sync_kind)
{
    return sync_kind >= 0 && sync_kind < SYNC_MAX ? sync_names[sync_kind] : "?";
}
const char *ev_io_op_name(int op)
{
    return op >= 0 && op < IO_OP_MAX ? io_op_names[op] : "?";
}
