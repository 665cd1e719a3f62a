/*
 * task.c — tasks: spawn, the step (a context switch in and out), suspend
 * and wake, join, detach, cancel, shield, and the end of a task's life
 * (looking at tasks from outside, and their reports: task_inspect.c).
 *
 * A task step is a scheduler item like any callback: loop__task_dispatch()
 * switches from the loop thread's context into the task, which runs until it
 * suspends (or ends) and switches back.
 *
 * Direct hand-over. When nothing is hooked (loop->hooked == 0: no debug
 * mode, monitor, watchdog, record/replay/chaos, trace probe), a task that
 * yields or waits does what the scheduler would do next, without going back
 * to it, if that is a task step: it takes the next item of the round off the
 * round queue and switches straight to it (task -> task, one switch instead
 * of two). When the round is over it starts the next one itself (the same
 * O(1) splice), as long as the scheduler would (fewer than rounds_per_poll
 * rounds since the last poll, pending not empty, no loop_stop()): so a task
 * yielding alone continues without any switch, and two tasks yielding to
 * each other pay one switch per yield. Everything else goes back to the
 * scheduler: the next item is a callback, the round budget is spent (the poll
 * is due: I/O is never starved), the next task was cancelled before it ever
 * ran or has finished, or the loop is hooked (the hooked path is unchanged:
 * tracepoints, the recorder's and replay's order, instrumentation). The
 * promises are the scheduler's: FIFO within a round, what a round makes ready
 * runs in the next one, the poll every rounds_per_poll rounds, n_callbacks
 * and the task's steps counted per step, its state (running / ready /
 * waiting, since, wait kind and site: what loopctl ps, loop_dump and gdb's
 * `info loop-tasks` read) written at each switch. The step the scheduler
 * started is ended (loop__task_dispatch()'s tail) for whichever task of the
 * chain switches back: the running one, tl_current.
 */
#include <execinfo.h>
#include <stdlib.h>
#include <string.h>

#include "task.h"
#include "core/trace.h"

static __thread loop_task_t *tl_current;

static const char *const state_names[] = {"new", "ready", "running", "waiting",
                                          "done", "cancelled", "failed"};
static const char *const wait_names[LOOP_WAIT_MAX] = {
    "none", "sleep", "yield", "fd", "join", "future", "event",
    "lock", "channel_send", "channel_recv", "work", "group"};

const char *loop_task_state_name(int state)
{
    return state >= 0 && state <= LOOP_TASK_FAILED ? state_names[state] : "unknown";
}

const char *loop_wait_kind_name(int kind)
{
    return kind >= 0 && kind < LOOP_WAIT_MAX ? wait_names[kind] : "unknown";
}

static struct loop__tasks *tasks_of(loop_t *loop)
{
    struct loop__tasks *ts = loop->tasks;

    if (ts == NULL) {
        ts = calloc(1, sizeof(*ts));
        if (ts == NULL) {
            return NULL;
        }
        loop__stack_pool_init(&ts->pool, LOOP__STACK_POOL_CAP);
        ts->default_stack = loop__stack_default_size();
        loop__queue_init(&ts->tasks);
        loop__inspect_lock(loop);
        loop->tasks = ts;
        loop__inspect_unlock(loop);
    }
    return ts;
}

/* Awaits outside tasks have no loop to ask: debug mode comes from the environment. */
static bool debug_env(void)
{
    return loop__env_flag("LOOP_DEBUG");
}

/*
 * loop_run() may be called from a task (a loop nested in a task of another
 * loop): the inner loop's callbacks run in no task, and the outer task must
 * be current again when loop_run() returns.
 */
void *loop__task_run_enter(void)
{
    loop_task_t *outer = tl_current;

    tl_current = NULL;
    return outer;
}

void loop__task_run_exit(void *outer)
{
    tl_current = outer;
}

loop_task_t *loop__task_self(void)
{
    return tl_current;
}

loop_task_t *loop_task_current(void)
{
    return tl_current;
}

int loop__task_await_check(loop_task_t **self)
{
    loop_task_t *t = tl_current;

    *self = t;
    if (t == NULL) {
        if (debug_env()) {
            loop_log(LOOP_LOG_WARN, "Misuse: an await was called outside a task (-EPERM)");
        }
        return -EPERM;
    }
    if (t->cancel_requested && t->shield == 0) {
        return -ECANCELED;
    }
    return 0;
}

void loop__task_waker(const loop_t *loop, int *kind, uint64_t *id)
{
    if (loop->current_task != 0) {
        *kind = LOOP_KIND_TASK;
        *id = loop->current_task;
    } else {
        *kind = LOOP_KIND_NONE;
        *id = 0;
    }
}

int64_t loop__task_remaining_ms(const loop_t *loop, int64_t timeout_ms, uint64_t start_ns)
{
    if (timeout_ms < 0) {
        return LOOP_FOREVER;
    }
    uint64_t spent_ms = (loop->now_ns - start_ns) / 1000000u;
    return (uint64_t)timeout_ms > spent_ms ? timeout_ms - (int64_t)spent_ms : 0;
}

static void task_timeout_cb(loop_timer_t *timer)
{
    loop_task_t *t = loop__container_of(timer, loop_task_t, timer);
    loop__task_wake(t, -ETIMEDOUT, LOOP_KIND_TIMER, timer->handle.id);
}

static void task_entry(void *arg)
{
    loop_task_t *t = arg;
    struct loop__tasks *ts = t->hdr.loop->tasks;
    intptr_t r = t->fn(t->arg);

    loop__inspect_lock(t->hdr.loop);
    if (r >= 0) {
        t->result = r;
        t->state = LOOP_TASK_DONE;
    } else if (r == -ECANCELED && t->cancel_requested) {
        t->error = -ECANCELED;
        t->state = LOOP_TASK_CANCELLED;
    } else {
        t->error = r < INT32_MIN ? -EINVAL : (int)r;
        t->state = LOOP_TASK_FAILED;
    }
    loop__inspect_unlock(t->hdr.loop);
    loop__ctx_switch_final(&t->ctx, &ts->sched_ctx);
}

loop_task_t *loop_spawn_at(loop_t *loop, loop_task_fn fn, void *arg, const char *name,
                           size_t stack_kb, const loop_site_t *site)
{
    struct loop__tasks *ts;
    loop_task_t *t;
    int rc;

    if (loop == NULL || fn == NULL || stack_kb > LOOP__STACK_MAX_KB) {
        errno = EINVAL;
        return NULL;
    }
    ts = tasks_of(loop);
    t = ts != NULL ? calloc(1, sizeof(*t)) : NULL;
    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    /* room for the task's name and parent (ident.c): nothing below fails */
    loop__inspect_lock(loop);
    rc = loop__ident_reserve(loop, 1);
    loop__inspect_unlock(loop);
    if (rc == 0) {
        rc = loop__stack_alloc(&ts->pool, stack_kb ? stack_kb * 1024 : ts->default_stack,
                               &t->stack);
    }
    if (rc < 0) {
        free(t);
        errno = -rc;
        return NULL;
    }
    /* the identity, as a handle header that is not in the handle list */
    t->hdr.loop = loop;
    t->hdr.site = site;
    t->hdr.id = ++loop->next_id;
    t->hdr.kind = LOOP_KIND_TASK;
    t->hdr.magic = LOOP__MAGIC_OPEN;
    loop__queue_init(&t->hdr.ready);
    loop__queue_init(&t->hdr.all);
    t->fn = fn;
    t->arg = arg;
    t->state = LOOP_TASK_NEW;
    t->wait_timeout_ms = LOOP_FOREVER;
    t->since_ns = loop->now_ns;
    loop__queue_init(&t->wait_node);
    loop__queue_init(&t->joiners);
    loop__queue_init(&t->group_node);
    loop__inspect_lock(loop);
    (void)loop__ident_set(loop, &t->hdr, name, loop->current_task); /* reserved above */
    loop__queue_insert_tail(&ts->tasks, &t->task_node);
    loop->tasks_alive++;
    loop->stats.tasks_spawned++;
    loop__inspect_unlock(loop);
    if (LOOP_UNLIKELY(loop->debug)) {
        loop__debug_handle_new(loop, t->hdr.id);
    }
    t->owner = (struct loop__stack_owner){t->hdr.id, name, site ? site->file : NULL,
                                          site ? site->func : NULL, site ? site->line : 0};
    loop__stack_set_owner(t->stack, &t->owner);
    loop__ctx_make(&t->ctx, t->stack->base, t->stack->size, task_entry, t);
    LOOP_TRACE(task_new, loop, t->hdr.id, loop__h_parent(&t->hdr), name, site);

    /* the task's own timer: internal and owned by the task before it is listed */
    loop__handle_next_internal(loop, t->hdr.id);
    (void)loop_timer_init_at(loop, &t->timer, site); /* internal: no table entry, no failure */

    LOOP_TRACE(task_ready, loop, t->hdr.id, LOOP_KIND_NONE, (uint64_t)0);
    loop__sched_push(loop, &t->hdr);
    return t;
}

static void task_free(loop_task_t *t)
{
    loop_t *loop = t->hdr.loop;

    loop_timer_stop(&t->timer);
    LOOP_TRACE(handle_close, &t->timer.handle); /* the task's own timer goes with it */
    loop__inspect_lock(loop);
    loop__inspect_unlink(loop, &t->timer.handle.all);
    loop__inspect_unlink(loop, &t->task_node);
    loop__ident_drop(loop, &t->timer.handle);
    loop__ident_drop(loop, &t->hdr);
    loop__inspect_unlock(loop);
    if (LOOP_UNLIKELY(loop->debug)) {
        loop__debug_handle_gone(loop, t->hdr.id);
        loop__debug_handle_gone(loop, t->timer.handle.id);
    }
    t->hdr.magic = LOOP__MAGIC_CLOSED;
    free(t->susp_bt);
    free(t->hists);
    free(t);
}

static void task_maybe_free(loop_task_t *t)
{
    if (loop__task_finished(t) && (t->released || t->detached) && t->refs == 0 &&
        loop__queue_empty(&t->joiners)) {
        task_free(t);
    }
}

/* Debug mode: a task that mostly wakes itself is a busy loop in disguise. */
static void check_self_wakes(const loop_task_t *t)
{
    const loop_site_t *c = t->hdr.site;

    if (t->wakes >= 100 && t->self_wakes * 10 >= t->wakes * 9) {
        loop_log(LOOP_LOG_WARN,
                 "Task wakes itself: task id=%llu name=\"%s\" self-wakes=%llu of %llu "
                 "(a busy loop in disguise?) created=%s:%d (%s)",
                 (unsigned long long)t->hdr.id, loop__h_label(&t->hdr),
                 (unsigned long long)t->self_wakes, (unsigned long long)t->wakes,
                 c ? c->file : "?", c ? c->line : 0, c ? c->func : "?");
    }
}

/* The task's function returned (or it was cancelled before it ran). */
static void task_finished(loop_task_t *t)
{
    loop_t *loop = t->hdr.loop;
    struct loop__tasks *ts = loop->tasks;
    int kind;
    uint64_t id;

    loop_timer_stop(&t->timer);
    if (t->stack != NULL) {
        loop__ctx_free(&t->ctx);
        loop__stack_free(&ts->pool, t->stack);
        t->stack = NULL;
    }
    loop__inspect_lock(loop);
    t->since_ns = loop->now_ns;
    t->wait_kind = LOOP_WAIT_NONE;
    loop->tasks_alive--;
    loop__inspect_unlock(loop);
    if (LOOP_UNLIKELY(loop->debug)) {
        check_self_wakes(t);
    }
    if (LOOP__INSTRUMENTED(loop)) {
        loop__inspect_lock(loop);
        ts->history[ts->history_next++ % LOOP__TASK_HISTORY] = (loop_task_done_info_t){
            t->hdr.id, loop__h_parent(&t->hdr), loop__h_name(&t->hdr), t->state, t->error,
            t->cancelled_by, t->hdr.site, loop->now_ns, t->steps, t->cancel_source};
        loop__inspect_unlock(loop);
    }
    LOOP_TRACE(task_done, loop, t->hdr.id, (int)t->state, t->error);
    loop__report_unretrieved(t);
    kind = LOOP_KIND_TASK;
    id = t->hdr.id;
    loop__task_wake_all(&t->joiners, 0, kind, id);
    if (t->group != NULL) {
        loop__group_child_done(t);
    }
    loop__task_locks_abandon(t); /* its locks go to their next owners (task_sync.c) */
    task_maybe_free(t);
}

/* A step begins: t runs and waits on nothing (inspect_mu is taken by the
 * caller when hooked). */
static inline void step_begin(loop_t *loop, loop_task_t *t)
{
    t->state = LOOP_TASK_RUNNING;
    t->wait_kind = LOOP_WAIT_NONE; /* a yield's: nothing to do once it runs again */
    t->since_ns = loop->now_ns;
    t->steps++;
}

/*
 * Plain (nothing hooked) and the running task leaves the CPU (it yielded and
 * is queued for the next round, or it waits): the task the scheduler would
 * run next, taken off the round as the scheduler takes it, or NULL when the
 * scheduler must run next (a callback, the poll due, a task that never ran and
 * was cancelled or that finished). It may be the caller itself: it yielded
 * alone, or first, and the next round begins with it.
 */
__attribute__((always_inline)) static inline loop_task_t *next_plain(loop_t *loop, struct loop__tasks *ts)
{
    loop_queue_t *q = loop->round.next;

    if (q == &loop->round) {
        /* the round is over: begin the next one, as loop__sched_run_rounds() would */
        if (ts->rounds >= loop->rounds_per_poll || loop__queue_empty(&loop->pending) ||
            loop->stop) {
            return NULL;
        }
        ts->rounds++;
        loop__queue_splice(&loop->round, &loop->pending);
        q = loop->round.next;
    }
    loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
    loop_task_t *t = (loop_task_t *)h;
    if (h->kind != LOOP_KIND_TASK || (h->flags & LOOP__H_CLOSED) ||
        (t->state != LOOP_TASK_READY && (t->state != LOOP_TASK_NEW || t->cancel_requested))) {
        return NULL;
    }
    h->flags &= (uint8_t)~LOOP__H_QUEUED;
    loop__queue_remove(&h->ready);
    loop__count(&loop->n_callbacks);
    return t;
}

/*
 * self leaves the CPU (its state says why): to the next task directly when
 * nothing is hooked (see the top of the file), else back to the scheduler.
 * Returns when self runs again, its step begun by whoever switched to it.
 */
__attribute__((always_inline)) static inline void switch_out(loop_t *loop, struct loop__tasks *ts, loop_task_t *self)
{
    loop_task_t *next;

    if (LOOP_LIKELY(!loop->hooked) && (next = next_plain(loop, ts)) != NULL) {
        step_begin(loop, next);
        if (next != self) {
            tl_current = next;
            loop->current_task = next->hdr.id;
            loop__ctx_switch(&self->ctx, &next->ctx);
        }
        return;
    }
    loop__ctx_switch(&self->ctx, &ts->sched_ctx);
}

int loop__task_dispatch(loop_handle_t *h, int rounds)
{
    loop_task_t *t = (loop_task_t *)h;
    loop_t *loop = h->loop;
    struct loop__tasks *ts = loop->tasks;
    uint64_t t0;

    if (t->state == LOOP_TASK_NEW && t->cancel_requested) {
        loop__inspect_lock(loop);
        t->error = -ECANCELED;
        t->state = LOOP_TASK_CANCELLED;
        loop__inspect_unlock(loop);
        task_finished(t);
        return 0;
    }
    if (loop__task_finished(t)) {
        return 0;
    }
    loop__inspect_lock(loop);
    step_begin(loop, t);
    loop__inspect_unlock(loop);
    loop_task_t *outer = tl_current; /* NULL, unless loop_run() is nested (see above) */
    tl_current = t;
    loop->current_task = t->hdr.id;
    LOOP_TRACE(task_run, loop, t->hdr.id);
    t0 = 0;
    if (LOOP__INSTRUMENTED(loop)) {
        t0 = loop__hrtime_ns();
        if (t->hists == NULL) {
            struct loop__task_hists *hs = calloc(1, sizeof(*hs));
            loop__inspect_lock(loop); /* the monitor reads the pointer */
            t->hists = hs;
            loop__inspect_unlock(loop);
        }
        if (t->hists != NULL && t->hists->ready_hr != 0) {
            loop__inspect_lock(loop);
            loop__hist_add(&t->hists->delay, t0 - t->hists->ready_hr);
            loop__inspect_unlock(loop);
        }
    }
    ts->rounds = rounds;
    loop__ctx_switch(&ts->sched_ctx, &t->ctx);
    /* Back from the task that ran last: t, or the last of a chain of direct
     * hand-overs that began with t (only when nothing was hooked, so t0 is 0
     * unless instrumentation came on in the chain). */
    t = tl_current;
    if (LOOP__INSTRUMENTED(loop) && t0 != 0) { /* time spent running: debug mode, monitor, watchdog */
        uint64_t ran = loop__hrtime_ns() - t0;
        loop__inspect_lock(loop);
        t->run_ns += ran;
        if (t->hists != NULL) {
            loop__hist_add(&t->hists->step, ran);
        }
        loop__inspect_unlock(loop);
    }
    tl_current = outer;
    loop->current_task = 0;
    if (loop__task_finished(t)) {
        task_finished(t);
    }
    return ts->rounds - rounds;
}

int loop__task_suspend(loop_task_t *t, loop_wait_kind_t kind, uint64_t obj, int64_t timeout_ms,
                       const loop_site_t *site)
{
    loop_t *loop = t->hdr.loop;
    struct loop__tasks *ts = loop->tasks;

    void *frames[LOOP__TASK_BT_DEPTH];
    int depth = LOOP_UNLIKELY(loop->debug) ? backtrace(frames, LOOP__TASK_BT_DEPTH) : 0;
    if (depth > 0 && t->susp_bt == NULL) {
        t->susp_bt = malloc(LOOP__TASK_BT_DEPTH * sizeof(void *));
    }
    loop__inspect_lock(loop);
    if (depth > 0 && t->susp_bt != NULL) {
        memcpy(t->susp_bt, frames, (size_t)depth * sizeof(void *));
        t->susp_depth = depth;
    }
    t->state = LOOP_TASK_WAITING;
    t->wait_kind = kind;
    t->wait_obj = obj;
    t->wait_site = site;
    t->wait_timeout_ms = timeout_ms;
    t->wake_status = 0;
    t->since_ns = loop->now_ns;
    loop__inspect_unlock(loop);
    if (timeout_ms >= 0 && kind != LOOP_WAIT_YIELD) {
        int rc = loop_timer_start(&t->timer, task_timeout_cb, (uint64_t)timeout_ms, 0);
        if (rc < 0) {
            loop__queue_remove(&t->wait_node);
            loop__inspect_lock(loop);
            t->state = LOOP_TASK_RUNNING;
            t->wait_kind = LOOP_WAIT_NONE;
            loop__inspect_unlock(loop);
            return rc;
        }
    }
    LOOP_TRACE(task_suspend, loop, t->hdr.id, (int)kind, obj,
               timeout_ms < 0 ? (int64_t)-1 : timeout_ms * 1000000, site, t->wait_task);
    switch_out(loop, ts, t);
    /* resumed after a wake: by loop__task_dispatch(), or by a task handing over */
    if (t->timer.handle.flags & (LOOP__H_ACTIVE | LOOP__H_QUEUED)) {
        loop_timer_stop(&t->timer); /* started above, or fired and not yet run */
    }
    if (loop__queue_linked(&t->wait_node)) {
        loop__queue_remove(&t->wait_node);
    }
    loop__inspect_lock(loop);
    t->wait_kind = LOOP_WAIT_NONE;
    t->wait_task = 0;
    t->wait_timeout_ms = LOOP_FOREVER;
    loop__inspect_unlock(loop);
    return t->wake_status;
}

void loop__task_wake(loop_task_t *t, int status, int by_kind, uint64_t by_id)
{
    loop_t *loop = t->hdr.loop;

    if (t->state != LOOP_TASK_WAITING) {
        return;
    }
    loop__inspect_lock(loop);
    t->wake_status = status;
    t->state = LOOP_TASK_READY;
    t->since_ns = loop->now_ns;
    loop__inspect_unlock(loop);
    if (LOOP__INSTRUMENTED(loop) && t->hists != NULL) {
        t->hists->ready_hr = loop__hrtime_ns();
    }
    t->wakes++;
    if (by_kind == LOOP_KIND_TASK && by_id == t->hdr.id) {
        t->self_wakes++;
    }
    if (loop__queue_linked(&t->wait_node)) {
        loop__queue_remove(&t->wait_node);
    }
    LOOP_TRACE(task_ready, loop, t->hdr.id, by_kind, by_id);
    loop__sched_push_fast(loop, &t->hdr);
}

void loop__task_wake_all(loop_queue_t *q, int status, int by_kind, uint64_t by_id)
{
    while (!loop__queue_empty(q)) {
        loop_task_t *w = loop__queue_data(q->next, loop_task_t, wait_node);
        loop__queue_remove(&w->wait_node);
        loop__task_wake(w, status, by_kind, by_id);
    }
}

int loop_sleep_at(int64_t ms, const loop_site_t *site)
{
    loop_task_t *self;
    int rc = loop__task_await_check(&self);

    if (rc < 0) {
        return rc;
    }
    if (ms < 0) {
        return -EINVAL;
    }
    rc = loop__task_suspend(self, LOOP_WAIT_SLEEP, 0, ms, site);
    return rc == -ETIMEDOUT ? 0 : rc;
}

/* A yield when something is hooked (or outside a task, or cancelled). */
__attribute__((noinline)) static int yield_hooked(const loop_site_t *site)
{
    loop_task_t *self;
    int rc = loop__task_await_check(&self);
    loop_t *loop;

    if (rc < 0) {
        return rc;
    }
    loop = self->hdr.loop;
    if (LOOP_LIKELY(!loop->hooked)) {
        return loop_yield_at(site); /* hooked no longer (a step of a task changed it) */
    }
    loop__inspect_lock(loop);
    self->state = LOOP_TASK_READY;
    self->wait_kind = LOOP_WAIT_YIELD;
    self->wait_site = site;
    self->since_ns = loop->now_ns;
    loop__inspect_unlock(loop);
    self->wakes++; /* the self-wake check of debug mode: counted while hooked */
    self->self_wakes++;
    if (LOOP__INSTRUMENTED(loop) && self->hists != NULL) {
        self->hists->ready_hr = loop__hrtime_ns();
    }
    LOOP_TRACE(task_suspend, loop, self->hdr.id, (int)LOOP_WAIT_YIELD, (uint64_t)0, (int64_t)-1,
               site, (uint64_t)0);
    LOOP_TRACE(task_ready, loop, self->hdr.id, LOOP_KIND_TASK, self->hdr.id);
    loop__sched_push(loop, &self->hdr);
    loop__ctx_switch(&self->ctx, &((struct loop__tasks *)loop->tasks)->sched_ctx);
    loop__inspect_lock(loop);
    self->wait_kind = LOOP_WAIT_NONE;
    loop__inspect_unlock(loop);
    return 0;
}

int loop_yield_at(const loop_site_t *site)
{
    loop_task_t *self = tl_current;
    loop_t *loop;

    if (LOOP_UNLIKELY(self == NULL || (self->cancel_requested && self->shield == 0) ||
                      self->hdr.loop->hooked)) {
        return yield_hooked(site);
    }
    /* Plain: no inspection lock, histogram or tracepoint to reach. Ready
     * again at once: the task runs in the next round. */
    loop = self->hdr.loop;
    self->state = LOOP_TASK_READY;
    self->wait_kind = LOOP_WAIT_YIELD;
    self->wait_site = site;
    self->since_ns = loop->now_ns;
    self->hdr.flags |= LOOP__H_QUEUED; /* not queued: it is running */
    loop__queue_insert_tail(&loop->pending, &self->hdr.ready);
    switch_out(loop, loop->tasks, self); /* its next step clears wait_kind (step_begin) */
    return 0;
}

uint64_t loop_task_id(const loop_task_t *t)
{
    return t != NULL ? t->hdr.id : 0;
}

const char *loop_task_name(const loop_task_t *t)
{
    return t != NULL ? loop__h_name(&t->hdr) : NULL;
}

loop_task_state_t loop_task_state(const loop_task_t *t)
{
    return t->state;
}

loop_t *loop_task_loop(const loop_task_t *t)
{
    return t != NULL ? t->hdr.loop : NULL;
}

static int task_outcome(const loop_task_t *t, intptr_t *result)
{
    if (result != NULL) {
        *result = t->result;
    }
    switch (t->state) {
    case LOOP_TASK_DONE:
        return 0;
    case LOOP_TASK_CANCELLED:
        return -ECANCELED;
    default:
        return t->error;
    }
}

int loop_join_at(loop_task_t *t, intptr_t *result, int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self = tl_current;
    int rc;

    if (t == NULL || t->hdr.magic != LOOP__MAGIC_OPEN || t->released) {
        return -EINVAL;
    }
    if (t == self) {
        return -EDEADLK;
    }
    if (!loop__task_finished(t)) {
        rc = loop__task_await_check(&self);
        if (rc < 0) {
            return rc;
        }
        if (timeout_ms == 0) {
            return -ETIMEDOUT;
        }
        t->refs++;
        loop__queue_insert_tail(&t->joiners, &self->wait_node);
        loop__inspect_lock(t->hdr.loop);
        self->wait_task = t->hdr.id;
        loop__inspect_unlock(t->hdr.loop);
        rc = loop__task_suspend(self, LOOP_WAIT_JOIN, t->hdr.id, timeout_ms, site);
        t->refs--;
        if (rc < 0) {
            task_maybe_free(t);
            return rc;
        }
    }
    rc = task_outcome(t, result);
    t->released = 1;
    LOOP_TRACE(task_join, t->hdr.loop, t->hdr.id, t->hdr.loop->current_task, rc);
    task_maybe_free(t);
    return rc;
}

int loop_task_detach(loop_task_t *t)
{
    if (t == NULL || t->hdr.magic != LOOP__MAGIC_OPEN || t->released) {
        return -EINVAL;
    }
    t->detached = 1;
    LOOP_TRACE(task_detach, t->hdr.loop, t->hdr.id, 0);
    task_maybe_free(t);
    return 0;
}

int loop_task_cancel(loop_task_t *t)
{
    if (t == NULL || t->hdr.magic != LOOP__MAGIC_OPEN) {
        return -EINVAL;
    }
    return loop__task_cancel_from(t, t->hdr.loop->current_task != 0 ? LOOP_CANCEL_TASK
                                                                     : LOOP_CANCEL_CALLBACK);
}

int loop__task_cancel_from(loop_task_t *t, loop_cancel_source_t src)
{
    loop_t *loop;

    if (t == NULL || t->hdr.magic != LOOP__MAGIC_OPEN) {
        return -EINVAL;
    }
    if (loop__task_finished(t)) {
        return -EALREADY;
    }
    if (t->cancel_requested) {
        return 0;
    }
    loop = t->hdr.loop;
    t->cancel_requested = 1;
    t->cancelled_by = loop->current_task;
    t->cancel_source = src;
    LOOP_TRACE(task_cancel, loop, t->hdr.id, loop->current_task);
    if (t->state == LOOP_TASK_WAITING && t->shield == 0) {
        loop__task_wake(t, -ECANCELED, loop->current_task ? LOOP_KIND_TASK : LOOP_KIND_NONE,
                        loop->current_task);
    }
    return 0;
}

int loop_task_shield(int on)
{
    loop_task_t *self = tl_current;

    if (self == NULL) {
        return -EPERM;
    }
    if (on) {
        self->shield++;
    } else if (self->shield > 0) {
        self->shield--;
    } else {
        return -EINVAL;
    }
    return 0;
}

/* loop_close: free finished tasks nobody joined; say which failures went unseen. */
void loop__tasks_free(loop_t *loop)
{
    struct loop__tasks *ts = loop->tasks;

    if (ts == NULL) {
        return;
    }
    while (!loop__queue_empty(&ts->tasks)) {
        loop_task_t *t = loop__queue_data(ts->tasks.next, loop_task_t, task_node);
        if (t->state == LOOP_TASK_FAILED && !t->released) {
            loop__task_report(LOOP_LOG_WARN, "Task error never retrieved", t);
        }
        task_free(t);
    }
    loop__fdwait_free_all(loop);
    loop__stack_pool_drain(&ts->pool);
    free(ts->fdw);
    free(ts);
    loop->tasks = NULL;
}
