/*
 * trace_all_events.c — emits every libloop:* event once through the real call
 * sites (LOOP_TRACE in libloop/trace.h), with fake objects and known values,
 * so tests/trace_capture.sh can check the whole schema with babeltrace2,
 * including events the core has no reason to emit in a small program (tasks,
 * stall, error, slow_callback). Links libloop.a for trace.o.
 */
#include "core/internal.h"
#include "core/trace.h"

#include <signal.h>
#include <string.h>

int main(void)
{
    static const loop_site_t site = {"fake.c", "fake_fn", 42};
    loop_t loop;
    loop_timer_t timer;
    loop_io_t io;
    loop_signal_t sig;
    loop_work_t work;
    loop_handle_t *th = &timer.handle;

    memset(&loop, 0, sizeof loop);
    memset(&timer, 0, sizeof timer);
    memset(&io, 0, sizeof io);
    memset(&sig, 0, sizeof sig);
    memset(&work, 0, sizeof work);
    loop.id = 7;
    loop.now_ns = 1000;
    loop.policy = LOOP__POLICY_CHAOS;

    th->loop = &loop;
    th->site = &site;
    th->id = 1;
    th->kind = LOOP_KIND_TIMER;
    timer.due_ns = 5000;
    timer.repeat_ns = 250;
    io.handle = *th;
    io.handle.id = 2;
    io.handle.kind = LOOP_KIND_IO;
    io.fd = 9;
    io.events = LOOP_READABLE | LOOP_WRITABLE;
    sig.handle = *th;
    sig.handle.id = 4;
    sig.handle.kind = LOOP_KIND_SIGNAL;
    sig.signum = SIGUSR1;
    work.handle = *th;
    work.handle.id = 5;
    work.handle.kind = LOOP_KIND_WORK;
    /* names and parent tasks live in the loop's side table (ident.c) */
    if (loop__ident_set(&loop, th, NULL, 3) < 0 ||
        loop__ident_set(&loop, &io.handle, NULL, 3) < 0 ||
        loop__ident_set(&loop, &sig.handle, NULL, 3) < 0 ||
        loop__ident_set(&loop, &work.handle, "crunch", 3) < 0) {
        return 1;
    }

    loop.random_seed = 0x2545f4914f6cdd1dULL;
    LOOP_TRACE(loop_new, &loop);
    LOOP_TRACE(run_begin, &loop, LOOP_RUN_ONCE);
    LOOP_TRACE(iter_begin, &loop);
    LOOP_TRACE(handle_new, th);
    loop__ident_set(&loop, th, "tick", 3);
    LOOP_TRACE(handle_name, th);
    LOOP_TRACE(handle_start, th);
    LOOP_TRACE(handle_new, &io.handle);
    LOOP_TRACE(handle_start, &io.handle);
    LOOP_TRACE(handle_new, &sig.handle);
    LOOP_TRACE(handle_start, &sig.handle);
    LOOP_TRACE(poll_begin, &loop, (int64_t)-1);
    LOOP_TRACE(poll_end, &loop, 1, 4); /* a positive errno is recorded negative */
    LOOP_TRACE(io_ready, &loop, &io, LOOP_READABLE | LOOP_HANGUP);
    loop.now_ns = 2000;
    LOOP_TRACE(time_update, &loop);
    LOOP_TRACE(signal_recv, &loop, SIGUSR1);
    LOOP_TRACE(callback_begin, &loop, th);
    LOOP_TRACE(callback_end, &loop, th);
    LOOP_TRACE(handle_stop, th);
    LOOP_TRACE(handle_close, th);
    LOOP_TRACE(pool_submit, &work);
    LOOP_TRACE(pool_begin, &work);
    LOOP_TRACE(pool_end, &work);
    LOOP_TRACE(pool_done, &work, -ECANCELED);
    LOOP_TRACE(task_new, &loop, 10, 0, "main-task", &site);
    LOOP_TRACE(task_new, &loop, 11, 10, NULL, NULL);
    LOOP_TRACE(task_ready, &loop, 10, LOOP_KIND_NONE, 0);
    LOOP_TRACE(task_run, &loop, 10);
    LOOP_TRACE(task_suspend, &loop, 10, LOOP__TP_WAIT_JOIN, 11, (int64_t)-1, &site, (uint64_t)11);
    LOOP_TRACE(task_ready, &loop, 10, LOOP_KIND_TASK, 11);
    LOOP_TRACE(task_cancel, &loop, 11, 10);
    LOOP_TRACE(task_done, &loop, 11, LOOP__TP_TASK_CANCELLED, -ECANCELED);
    LOOP_TRACE(task_join, &loop, 11, 10, -ECANCELED);
    LOOP_TRACE(task_detach, &loop, 12, 0);
    LOOP_TRACE(task_detach, &loop, 13, 20);
    LOOP_TRACE(task_io, &loop, 10, 9, LOOP__TP_IO_READ, (int64_t)-EAGAIN);
    LOOP_TRACE(task_io, &loop, 10, 9, LOOP__TP_IO_WRITE, (int64_t)4096);
    LOOP_TRACE(task_io, &loop, 10, 8, LOOP__TP_IO_ACCEPT, (int64_t)12);
    LOOP_TRACE(task_io, &loop, 0, 12, LOOP__TP_IO_CONNECT, (int64_t)0);
    loop.current_task = 10;
    LOOP_TRACE(sync_new, &loop, LOOP__TP_SYNC_FUTURE, 21, &site);
    loop.current_task = 0;
    LOOP_TRACE(sync_new, &loop, LOOP__TP_SYNC_EVENT, 22, NULL);
    LOOP_TRACE(sync_new, &loop, LOOP__TP_SYNC_LOCK, 23, &site);
    LOOP_TRACE(sync_new, &loop, LOOP__TP_SYNC_CHANNEL, 24, &site);
    LOOP_TRACE(sync_new, &loop, LOOP__TP_SYNC_GROUP, 20, &site);
    LOOP_TRACE(future_settle, &loop, 21, 0);
    LOOP_TRACE(future_settle, &loop, 21, -EIO);
    loop.current_task = 10;
    LOOP_TRACE(future_result, &loop, 21, -EIO);
    loop.current_task = 0;
    LOOP_TRACE(sync_free, &loop, 21);
    /* format minor 2 (scalars): a lock hand-off, a loop out of work with 2 tasks waiting */
    LOOP_TRACE(lock_handoff, (uint64_t)7, (uint64_t)23, (uint64_t)10, (uint64_t)3);
    {
        static const uint64_t stuck_ids[] = {10, 12};
        LOOP_TRACE(loop_stuck, (uint64_t)7, (uint64_t)2, stuck_ids, (uint32_t)2);
    }
    /* format minor 4: an event set by task 10 */
    LOOP_TRACE(event_set, (uint64_t)7, (uint64_t)24, (uint64_t)10);
    LOOP_TRACE(slow_callback, &loop, th, (uint64_t)230000000);
    if (LOOP_TRACE_ENABLED(stall)) {
        LOOP_TRACE_DO(stall, &loop, 10, (uint64_t)3000000000, "#0 spin\n#1 main");
    }
    LOOP_TRACE(error, &loop, NULL, -EBADF, "use after close");
    LOOP_TRACE(error, &loop, &io.handle, -EPIPE, NULL);
    LOOP_TRACE(lock_abandoned, &loop, 23, 10);
    /* the state snapshot of a loop traced mid-run (format minor 3) */
    LOOP_TRACE(snapshot_begin, (uint64_t)7, LOOP_VERSION_MAJOR, LOOP_VERSION_MINOR,
               (uint8_t)LOOP__POLICY_CHAOS, (uint8_t)1, (uint64_t)1000, (uint64_t)99, (uint8_t)0, (uint64_t)1);
    LOOP_TRACE(snapshot_handle, (uint64_t)7, (uint64_t)2, (uint8_t)LOOP_KIND_IO, "conn", "fake.c", 42,
               "fake_fn", (uint64_t)0, (uint8_t)1, 9);
    LOOP_TRACE(snapshot_handle, (uint64_t)7, (uint64_t)11, (uint8_t)LOOP_KIND_TIMER, "", "", 0, "",
               (uint64_t)10, (uint8_t)2, -1);
    LOOP_TRACE(snapshot_task, (uint64_t)7, (uint64_t)10, (uint64_t)0, "main-task", "fake.c", 42, "fake_fn",
               (uint8_t)LOOP__TP_TASK_WAITING, (uint64_t)5000, (uint64_t)3);
    LOOP_TRACE(snapshot_wait, (uint64_t)7, (uint64_t)10, (uint8_t)LOOP__TP_WAIT_LOCK, (uint64_t)23,
               (int64_t)-1, "fake.c", 43, "fake_fn", (uint64_t)12);
    LOOP_TRACE(snapshot_task, (uint64_t)7, (uint64_t)12, (uint64_t)10, "", "", 0, "",
               (uint8_t)LOOP__TP_TASK_READY, (uint64_t)0, (uint64_t)0);
    LOOP_TRACE(snapshot_end, (uint64_t)7, (uint64_t)1, (uint64_t)2, (uint64_t)2);
    /* format minor 4: an outcome (a work item's status) and a uv stream's read */
    LOOP_TRACE(outcome, &loop, 1, 5, (int64_t)-ECANCELED);
    LOOP_TRACE(stream_io, &loop, 2, 9, LOOP__TP_IO_READ, (int64_t)7);
    LOOP_TRACE(run_end, &loop, 1);
    LOOP_TRACE(loop_close, &loop);
    loop__ident_free(&loop);
    return 0;
}
