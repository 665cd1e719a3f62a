/*
 * task.h — the task object and the await machinery shared by task*.c.
 *
 * Every await is: check the condition; if unmet, link the task on the
 * object's waiter queue and loop__task_suspend(); whoever completes the
 * object calls loop__task_wake() with a status, which becomes the await's
 * result. Timeouts (the task's own timer) and cancellation wake the same way
 * with -ETIMEDOUT and -ECANCELED, so every await handles them uniformly.
 */
#ifndef LOOP_TASK_INTERNAL_H
#define LOOP_TASK_INTERNAL_H

#include "ctx.h"
#include "core/internal.h"
#include "stack.h"

struct loop_task_s {
    loop_handle_t hdr; /* must be first: kind task; its ready node is the scheduler's */
    loop__ctx_t ctx;
    loop__stack_t *stack;
    struct loop__stack_owner owner;
    loop_task_fn fn;
    void *arg;
    intptr_t result;
    int error;
    loop_task_state_t state;
    /* the current wait */
    loop_wait_kind_t wait_kind;
    uint64_t wait_obj;
    uint64_t wait_task;        /* join: the task; lock: its owner */
    const loop_site_t *wait_site;
    int64_t wait_timeout_ms;
    int wait_events;           /* fd waits */
    loop_queue_t wait_node;    /* on the waited object's queue */
    int wake_status;
    intptr_t xfer;             /* value handed over by a channel or future */
    uint64_t since_ns;
    loop_timer_t timer;        /* timeouts and sleeps */
    /* life */
    unsigned cancel_requested : 1;
    unsigned detached : 1;
    unsigned released : 1;
    int shield;
    int refs;                  /* joiners holding the object while they wait */
    loop_queue_t joiners;
    loop_queue_t task_node;    /* in the loop's task list until freed */
    loop_group_t *group;
    loop_queue_t group_node;
    uint64_t steps;
    uint64_t run_ns;
    uint64_t cancelled_by;     /* the task that cancelled it (0: none, or a callback) */
    loop_cancel_source_t cancel_source; /* who asked (the done record says it) */
    void **susp_bt;            /* debug mode: backtrace at the last suspension */
    struct loop__task_hists *hists; /* instrumented: step time and ready-to-run delay */
    int susp_depth;
    uint64_t wakes;            /* for the self-wake check (debug mode) */
    uint64_t self_wakes;
    loop_queue_t locks;        /* the locks it holds (task_sync.c); zeroed until the first */
};

struct loop__fdwait;

struct loop__task_hists {
    struct loop__hist step;   /* how long each step ran */
    struct loop__hist delay;  /* from ready to running */
    uint64_t ready_hr;        /* when it last became ready (monotonic ns) */
};

#define LOOP__TASK_HISTORY 64
#define LOOP__TASK_BT_DEPTH 16

struct loop__tasks {
    loop__ctx_t sched_ctx;     /* the loop thread's context, resumed when a step ends */
    int rounds;                /* rounds run by this loop__sched_run_rounds() call, as
                                * the task steps see it (direct hand-overs, task.c) */
    struct loop__stack_pool pool;
    size_t default_stack;
    loop_queue_t tasks;        /* every unreleased task, creation order */
    struct loop__fdwait **fdw; /* per fd: the shared watcher of tasks waiting on it */
    int nfdw;
    /* the last finished tasks (debug mode or monitor); guarded by inspect_mu */
    loop_task_done_info_t history[LOOP__TASK_HISTORY];
    unsigned history_next;
};

static inline bool loop__task_finished(const loop_task_t *t)
{
    return t->state >= LOOP_TASK_DONE;
}

/* The running task, or NULL with the caller to return -EPERM. */
loop_task_t *loop__task_self(void);
/* Common entry checks of an await: -EPERM outside tasks, -ECANCELED once cancelled. */
int loop__task_await_check(loop_task_t **self);
int loop__task_suspend(loop_task_t *t, loop_wait_kind_t kind, uint64_t obj, int64_t timeout_ms,
                       const loop_site_t *site);
/* loop_task_cancel() on behalf of src (the monitor says LOOP_CANCEL_MONITOR). */
int loop__task_cancel_from(loop_task_t *t, loop_cancel_source_t src);
/* Wake a waiting task: its await returns status. No-op unless waiting. */
void loop__task_wake(loop_task_t *t, int status, int by_kind, uint64_t by_id);
/* Wake every task on q with status. */
void loop__task_wake_all(loop_queue_t *q, int status, int by_kind, uint64_t by_id);
/* Who is waking: the running task, else the callback's kind. */
void loop__task_waker(const loop_t *loop, int *kind, uint64_t *id);
/* Called when a group child finished (task_group.c). */
void loop__group_child_done(loop_task_t *t);
/* task_sync.c: t finished; the locks it still holds are abandoned (-EOWNERDEAD). */
void loop__task_locks_abandon(loop_task_t *t);
/* task_io.c: release the fd watchers at loop_close. */
void loop__fdwait_free_all(loop_t *loop);
/* Milliseconds left until deadline_ns (LOOP_FOREVER passes through). */
int64_t loop__task_remaining_ms(const loop_t *loop, int64_t timeout_ms, uint64_t start_ns);

/* One line about a task (state, wait, creation and suspension sites): task_inspect.c. */
void loop__task_report(loop_log_level_t lvl, const char *what, const loop_task_t *t);

#endif /* LOOP_TASK_INTERNAL_H */
