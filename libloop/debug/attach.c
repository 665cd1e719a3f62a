/*
 * attach.c — tracing a process that is already running: the monitor's
 * `trace on|off` (loopctl PID trace on, loop-trace attach PID) and the state
 * snapshot that lets a trace start mid-run.
 *
 * `trace on` (monitor thread) posts a request to the loop thread through the
 * monitor's internal async handle. The loop thread, between two iterations,
 * loads the tracepoint probe (trace.c, loop__trace_load_now: the same search
 * as LOOP_TRACE=1 at start-up, then the registration of libloop's call sites
 * with LTTng) and emits a state snapshot: snapshot_begin (the loop_new
 * facts), one snapshot_handle per open handle, one snapshot_task per
 * unfinished task, followed by a snapshot_wait for a waiting task (what it
 * waits on, where, the lock owner or joined task), and snapshot_end
 * (tracepoints/libloop_tp.h, docs/trace-format.md "State snapshot").
 *
 * While tracing is on, the monitor thread asks for a new snapshot every
 * LOOP__SNAPSHOT_PERIOD_NS (2 s), so that a live viewer that connects late
 * (loop-analyze --live) or a session started after `trace on` sees the state
 * within 2 s: lttng-live gives the traced process no cheap way to know that a
 * viewer attached. Tracing is on after `trace on`, and from the monitor's
 * start when the probe was loaded at start-up (LOOP_TRACE=1, LD_PRELOAD).
 * The request goes through the monitor's id-less internal async, which
 * schedules and replays ignore. A snapshot is emitted only while an LTTng session enables
 * libloop's events (costs nothing otherwise); it walks the task and handle
 * tables once on the loop thread. Sync objects (futures, events, locks,
 * channels) are not kept in a table by libloop: the snapshot names them
 * through the waits (obj_id, and a lock's owner in wait_task).
 *
 * `trace off` stops the periodic snapshots. The probe stays loaded (LTTng
 * cannot unload it) and records events while an LTTng session enables them;
 * stopping or destroying the session stops the events (loop-trace attach
 * --stop does both).
 *
 * Threads: loop__attach_request and loop__attach_tick run on the monitor
 * thread, loop__attach_on_loop on the loop thread; they share the atomics of
 * struct loop__monitor marked "attach.c".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/trace.h"
#include "task/task.h"
#include "monitor.h"

#define LOOP__SNAPSHOT_PERIOD_NS (2000ull * 1000 * 1000)

/* m->trace_req: the last on/off asked (REQ_WANT bits: the last request wins),
 * and whether a periodic snapshot is due. */
enum { REQ_ON = 1, REQ_OFF = 2, REQ_WANT = 3, REQ_SNAPSHOT = 4 };

/* Monitor thread ----------------------------------------------------------------- */

void loop__attach_request(struct loop__monitor *m, bool on)
{
    /* Only this thread writes the want bits: "off" then "on" before the loop
     * thread looks leaves "on". */
    atomic_fetch_and(&m->trace_req, ~REQ_WANT);
    atomic_fetch_or(&m->trace_req, on ? REQ_ON : REQ_OFF);
    m->trace_tick_ns = loop__hrtime_ns();
    loop_async_send(&m->async);
}

void loop__attach_tick(struct loop__monitor *m, uint64_t now_ns)
{
    if (!atomic_load(&m->trace_on) || now_ns - m->trace_tick_ns < LOOP__SNAPSHOT_PERIOD_NS) {
        return;
    }
    m->trace_tick_ns = now_ns;
    atomic_fetch_or(&m->trace_req, REQ_SNAPSHOT);
    loop_async_send(&m->async);
}

/* Loop thread: the snapshot ------------------------------------------------------- */

/* The provider wants strings, never NULL (tracepoints/libloop_tp.h). */
static const char *str(const char *s)
{
    return s != NULL ? s : "";
}

static const char *site_file(const loop_site_t *s)
{
    return s != NULL && s->file != NULL ? s->file : "";
}

static const char *site_func(const loop_site_t *s)
{
    return s != NULL && s->func != NULL ? s->func : "";
}

static int32_t site_line(const loop_site_t *s)
{
    return s != NULL ? s->line : 0;
}

struct snap_ctx {
    loop_t *loop;
    uint64_t ntasks;
};

static int snap_task(loop_task_t *t, void *arg)
{
    struct snap_ctx *x = arg;
    loop_t *loop = x->loop;
    loop_task_info_t ti;
    uint64_t age;

    if (loop_task_info(t, &ti) < 0) {
        return 0;
    }
    age = loop->now_ns > ti.since_ns ? loop->now_ns - ti.since_ns : 0;
    LOOP_TRACE(snapshot_task, loop->id, ti.id, ti.parent_id, str(ti.name), site_file(ti.create_site),
               site_line(ti.create_site), site_func(ti.create_site), (uint8_t)ti.state, age,
               ti.steps);
    if (ti.state == LOOP_TASK_WAITING) {
        int64_t timeout_ns = ti.timeout_ms >= 0 ? ti.timeout_ms * 1000000 : -1;
        LOOP_TRACE(snapshot_wait, loop->id, ti.id, (uint8_t)ti.wait_kind, ti.wait_obj_id, timeout_ns,
                   site_file(ti.wait_site), site_line(ti.wait_site), site_func(ti.wait_site),
                   ti.wait_task_id);
    }
    x->ntasks++;
    return 0;
}

static void emit_snapshot(struct loop__monitor *m, uint8_t reason)
{
    loop_t *loop = m->loop;
    struct snap_ctx x = {loop, 0};
    uint64_t nhandles = 0, seq;
    loop_queue_t *q;

    if (!LOOP_TRACE_ENABLED(snapshot_begin)) {
        return; /* no session records libloop's events: nothing to describe */
    }
    seq = atomic_load(&m->trace_snapshots) + 1;
    LOOP_TRACE(snapshot_begin, loop->id, LOOP_VERSION_MAJOR, LOOP_VERSION_MINOR, (uint8_t)loop->policy,
               (uint8_t)loop->debug, loop->now_ns, loop->random_seed, reason, seq);
    loop__queue_foreach(q, &loop->handles) {
        const loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        uint8_t hflags = (uint8_t)(((h->flags & LOOP__H_ACTIVE) ? 1 : 0) |
                                   ((h->flags & LOOP__H_INTERNAL) ? 2 : 0));
        int32_t fd = h->kind == LOOP_KIND_IO ? ((const loop_io_t *)h)->fd : -1;

        if (h->id == 0 || h->kind == LOOP_KIND_TASK || (h->flags & LOOP__H_CLOSED)) {
            continue;
        }
        LOOP_TRACE(snapshot_handle, loop->id, h->id, (uint8_t)h->kind, str(loop__h_name(h)), site_file(h->site),
                   site_line(h->site), site_func(h->site), loop__h_parent(h), hflags, fd);
        nhandles++;
    }
    loop_task_walk(loop, snap_task, &x);
    LOOP_TRACE(snapshot_end, loop->id, seq, x.ntasks, nhandles);
    atomic_store(&m->trace_snapshots, seq);
}

void loop__attach_on_loop(struct loop__monitor *m)
{
    int req = atomic_exchange(&m->trace_req, 0);

    if ((req & REQ_WANT) == REQ_ON) {
        int rc = loop__trace_load_now();

        atomic_store(&m->trace_err, rc);
        if (rc == 0) {
            atomic_store(&m->trace_on, true);
            emit_snapshot(m, 0);
        }
        loop_log(rc == 0 ? LOOP_LOG_INFO : LOOP_LOG_WARN,
                 "Monitor: trace on (loop=%" PRIu64 "): %s", m->loop->id,
                 rc == 0 ? "probe loaded, state snapshot emitted while a session records libloop:*"
                         : loop_err_name(rc));
    }
    if ((req & REQ_WANT) == REQ_OFF) {
        atomic_store(&m->trace_on, false);
        loop_log(LOOP_LOG_INFO, "Monitor: trace off (loop=%" PRIu64 "): no more snapshots", m->loop->id);
    }
    if ((req & REQ_SNAPSHOT) && atomic_load(&m->trace_on)) {
        emit_snapshot(m, 1);
    }
}
