/*
 * model_int.h — what the model's files share (not for reports: they use
 * model.h). The model is split by concern:
 *   model.c          the feed (model_feed dispatches each event) and life cycle
 *   model_store.c    strings, sites, aggregates, loops, objects, timeline rows
 *   model_task.c     task events: states, steps, waits, lints at task end
 *   model_dispatch.c handles, callbacks, stalls, slow callbacks, errors, gaps
 *   model_wait.c     the wait-for graph: lock owners, deadlock sets and cycles
 *   model_sync.c     sync objects (format minor 1): life, settles, lost wakeups
 *   model_io.c       task I/O (task_io, format minor 1): per loop and per task profile
 *   model_stuck.c    lock hand-offs and loops out of work with tasks waiting (format minor 2)
 *   model_lost.c     lost wakeups certain while the loop still runs (every known resolver ended)
 *   model_snapshot.c the state snapshot of a loop traced mid-run (format minor 3)
 * Internal cross-file functions are named model__*.
 */
#ifndef LOOP_ANALYZE_MODEL_INT_H
#define LOOP_ANALYZE_MODEL_INT_H

#include "model.h"

#define MAX_TASK_PROFS 1024  /* distinct task-name profiles; more go to "(other)" */
#define MAX_INFER_TASKS 4096 /* above this many live tasks, owners are not inferred */
#define MAX_ONLINE_CHECKS 10000
#define MAX_BACKTRACE 8192

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* to - from, or 0 when time went backwards */
static inline uint64_t since(uint64_t from, uint64_t to)
{
    return to > from ? to - from : 0;
}

/* model_store.c: 0 (the empty string / unknown site) and m->oom on ENOMEM */
uint32_t model__intern(struct model *m, const char *s);
/* For task and handle names and messages: at most MODEL_MAX_NAMES distinct, then "(other)". */
uint32_t model__intern_name(struct model *m, const char *s);
uint32_t model__site_of(struct model *m, const struct ev_site *s);
/* An aggregate keyed exactly by k; created zeroed (size bytes) when absent; NULL on ENOMEM. */
void *model__agg_get(struct model *m, struct u64map *map, struct akey k, size_t size);
void model__agg_free_all(struct u64map *map, void (*fin)(void *));
void model__topk_add(struct topk *k, const struct instance *in);
struct mloop *model__loop_get(struct model *m, const struct event *ev);
uint32_t model__row_new(struct model *m, uint8_t type, const struct mloop *l, uint64_t id, uint32_t name,
                        uint32_t site, uint64_t ts);
/* The interval added (valid until the next add), or NULL when not kept. */
struct ival *model__ival_add(struct model *m, uint32_t row, uint8_t state, uint8_t kind, uint64_t start,
                             uint64_t end, uint64_t obj, uint32_t site);
uint32_t model__loop_row(struct model *m, struct mloop *l);
struct prof *model__prof_task(struct model *m, uint32_t name, uint32_t site);
struct prof *model__prof_handle(struct model *m, uint8_t kind, const struct mhandle *h);
/* The object with this id, made as a placeholder when unknown; NULL if the id names another type. */
struct mtask *model__task_get(struct model *m, struct mloop *l, uint64_t id, uint64_t ts);
struct mhandle *model__handle_get(struct model *m, struct mloop *l, uint64_t id, uint8_t kind, uint64_t ts);
void model__handle_free(struct mloop *l, struct mhandle *h);
struct mlock *model__lock_get(struct model *m, struct mloop *l, uint64_t id);

/* model_wait.c */
/*
 * Full check of a loop: record every cycle among its deadlocked tasks.
 * confirm: the cycles seen now are findings even through "possible" edges
 * (the loop ran out of work, a timeout or cancel broke it: broken_ts, the
 * trace ended); else such cycles stay provisional (struct cycle).
 */
void model__check_deadlocks(struct model *m, struct mloop *l, uint64_t ts, uint64_t broken_ts, int confirm);
/* After t's suspend: follow the edges from t (cheap); a cycle back to t is recorded. */
void model__quick_cycle_check(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts);
/* Waits on a future, event, channel (either end) or group. */
static inline int model__obj_wait(uint8_t k)
{
    return k == WAIT_FUTURE || k == WAIT_EVENT || k == WAIT_CHAN_SEND || k == WAIT_CHAN_RECV || k == WAIT_GROUP;
}
/*
 * The live tasks the trace names as able to complete t's wait on a future,
 * event, channel or group (model__obj_wait): the object's creator and the
 * tasks seen completing such waits (for a channel: of the other end), or a
 * group's unfinished children. ended counts the named ones that had ended;
 * more: there were more than WAKERS_MAX, or a group's children could not be
 * listed (too many live tasks).
 */
#define WAKERS_MAX 8
struct wakers {
    uint64_t id[WAKERS_MAX];
    uint8_t how[WAKERS_MAX]; /* enum waker_how */
    uint8_t n, ended, more;
};
void model__wakers(const struct mloop *l, const struct mtask *t, struct wakers *w);
/* t's wait was completed at ts: refute provisional cycles through it (woken: not by a timeout or cancel). */
void model__cycles_woken(struct model *m, struct mloop *l, const struct mtask *t, int by_timeout_or_cancel,
                         uint64_t ts);

/* model_task.c */
void model__task_close_state(struct model *m, struct mtask *t, uint64_t ts);
void model__on_task_new(struct model *m, struct mloop *l, const struct event *ev);
void model__on_task_ready(struct model *m, struct mloop *l, const struct event *ev);
void model__on_task_run(struct model *m, struct mloop *l, const struct event *ev);
void model__on_task_suspend(struct model *m, struct mloop *l, const struct event *ev);
void model__on_task_done(struct model *m, struct mloop *l, const struct event *ev);
void model__on_task_cancel(struct model *m, struct mloop *l, const struct event *ev);
void model__on_task_join(struct model *m, struct mloop *l, const struct event *ev);
void model__on_task_detach(struct model *m, struct mloop *l, const struct event *ev);
/* model_finish: lints of finished tasks nobody joined */
void model__tasks_finish(struct model *m, struct mloop *l);

/* model_sync.c */
void model__on_sync_new(struct model *m, struct mloop *l, const struct event *ev);
void model__on_sync_free(struct model *m, struct mloop *l, const struct event *ev);
void model__on_future_settle(struct model *m, struct mloop *l, const struct event *ev);
/* format minor 4: loop_event_set, by a task or not: its setter is known, its lost wakeups were not */
void model__on_event_set(struct model *m, struct mloop *l, const struct event *ev);
void model__on_future_result(struct model *m, struct mloop *l, const struct event *ev);
/* A task began (t->wait_* set) or ended waiting: the awaited sync object's bookkeeping. */
void model__sync_wait_begin(struct model *m, struct mloop *l, struct mtask *t);
void model__sync_wait_end(struct mloop *l, struct mtask *t);
/* model_finish: lints of sync objects still alive */
void model__sync_finish(struct model *m, struct mloop *l);

/* model_stuck.c (format minor 2) */
void model__on_lock_handoff(struct model *m, struct mloop *l, const struct event *ev);
void model__on_loop_stuck(struct model *m, struct mloop *l, const struct event *ev);
/* Older traces: a run_end with rc 0 while tasks are unfinished is the same fact as loop_stuck. */
void model__stuck_from_run_end(struct model *m, struct mloop *l, uint64_t ts);
/* A task of l was woken at ts: ends the loop's open stuck episode. */
void model__stuck_woken(struct model *m, struct mloop *l, const struct mtask *t, uint64_t ts);
/* Remember id among the tasks completing waits on side 0 (receive-like) or 1 (channel send) of s. */
void model__sync_user(struct msync *s, int side, uint64_t id);
void model__stucks_free(struct model *m);

/* model_lost.c: lost wakeups certain while the loop runs */
/* t began waiting on a sync object (after model__sync_wait_begin). */
void model__lost_wait_begin(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts);
/* t finished: objects it was a known resolver of may have lost their last one. */
void model__lost_task_done(struct model *m, struct mloop *l, struct mtask *t, uint64_t ts);
/* t's wait ended at ts: how (1 timeout, 2 cancel, 3 resolved by someone). */
void model__lost_wait_end(struct model *m, struct mloop *l, const struct mtask *t, int how, uint64_t ts);
/* The sync object id was settled (a future) or otherwise resolved: its lost wakeups were not. */
void model__lost_resolved(struct model *m, const struct mloop *l, uint64_t id);
void model__losts_free(struct model *m);

/* model_io.c */
/* A task_io event in loop l (a task's attempt; id 0: outside a task, counted in l anyway). */
void model__on_task_io(struct model *m, struct mloop *l, const struct event *ev);
/* Add one attempt (op, result) to io. */
void model__io_add(struct mio *io, uint8_t op, int64_t result);

/* model_snapshot.c: snapshot_begin .. snapshot_end of a loop traced mid-run */
void model__on_snapshot(struct model *m, struct mloop *l, const struct event *ev);

/* model_dispatch.c */
void model__on_handle_new(struct model *m, struct mloop *l, const struct event *ev);
void model__on_handle_start(struct model *m, struct mloop *l, const struct event *ev);
void model__on_handle_close(struct model *m, struct mloop *l, const struct event *ev);
void model__on_callback_begin(struct model *m, struct mloop *l, const struct event *ev);
void model__on_callback_end(struct model *m, struct mloop *l, const struct event *ev);
void model__util_add(struct util_series *u, uint64_t ts, uint64_t busy, uint64_t iter_ns, int iter);
void model__on_stall(struct model *m, struct mloop *l, const struct event *ev);
void model__on_slow_callback(struct model *m, struct mloop *l, const struct event *ev);
void model__on_error(struct model *m, struct mloop *l, const struct event *ev);
void model__on_discarded(struct model *m, const struct event *ev);

#endif /* LOOP_ANALYZE_MODEL_INT_H */
