/*
 * model.h — what loop-analyze rebuilds from a trace.
 *
 * Events go in through one function, model_feed(), in any order and with
 * any content: unknown ids get placeholder objects, ends without begins are
 * counted as anomalies and skipped, nothing is trusted. Memory grows with
 * live objects and with aggregates (sites, task names, wait sites), not
 * with events; only the timeline's intervals (opts.keep_intervals) grow
 * with the trace.
 *
 * Keys: a process by vpid, a loop by (vpid, loop_id), a task, handle or
 * sync object (future, event, lock, channel, group) by id within its loop.
 * Objects are freed when they end (a handle after its close callback, a
 * call-soon or work item after its callback, a sync object at sync_free, a
 * task at task_done — or, in a loop whose trace has joins (format_minor >=
 * 1), when it is both finished and joined or detached, as libloop frees it);
 * what is still in the maps at the end is what was alive.
 *
 * The reports (summary.c, timeline.c, hangs.c, lints.c, leaks.c,
 * profile.c) read these structures after model_finish().
 */
#ifndef LOOP_ANALYZE_MODEL_H
#define LOOP_ANALYZE_MODEL_H

#include <stdint.h>

#include "reader.h"
#include "util.h"

#define MODEL_TOPK 32      /* worst instances kept per finding list */
#define MODEL_MAX_LIST 256 /* stalls, gaps, cycles, errors kept */
#define MODEL_MAX_NAMES 65536 /* distinct task/handle names and messages kept; more show as "(other)" */

struct model_opts {
    uint64_t threshold_ns; /* long waits and slow steps; default 100 ms */
    int keep_intervals;    /* build the timeline intervals */
    int64_t pid;           /* only this vpid; -1 for all */
    int64_t loop;          /* only this loop_id; -1 for all */
};

/* Interned site: index into model.sites; 0 is the unknown site. */
struct msite {
    uint32_t file, func; /* strtab indexes */
    int32_t line;
};

enum obj_type { OBJ_TASK = 1, OBJ_HANDLE = 2, OBJ_LOCK = 3, OBJ_SYNC = 4 };

struct mobj {
    uint64_t id;
    uint8_t type;
};

/* Task flags */
#define TF_SEEN_NEW 0x01   /* task_new seen (else a placeholder) */
#define TF_CANCEL_REQ 0x02 /* task_cancel seen */
#define TF_JOIN_WAITED 0x04 /* some task waited to join it */
#define TF_FINISHED 0x08
#define TF_JOINED 0x10     /* task_join: its outcome was retrieved */
#define TF_DETACHED 0x20   /* task_detach: nobody will join it (group_id says whose it is) */
#define TF_WAIT_FREED 0x40 /* it waits on a sync object that was freed (a lost wakeup) */
#define TF_SNAPSHOT 0x80   /* known from a state snapshot (model_snapshot.c), not task_new */

struct mtask {
    struct mobj o;
    uint64_t parent;
    uint32_t name; /* strtab */
    uint32_t site; /* spawn site */
    uint8_t state; /* enum ev_task_state */
    uint8_t flags;
    uint8_t wait_kind;
    uint32_t wait_site;    /* the current (or last) await's site */
    uint32_t wait_obj_site; /* the awaited sync object's creation site (sync_new), 0 unknown */
    uint8_t wait_obj_kind; /* its enum ev_sync_kind + 1, 0 unknown */
    uint64_t wait_obj;
    uint64_t wait_task;    /* from the trace when it has the field, else 0 */
    int64_t wait_timeout_ns;
    uint64_t t_new, t_state; /* spawn time; when the current state began */
    uint64_t t_ready, t_run;
    uint64_t steps, run_ns, wait_ns, ready_ns;
    uint64_t max_step_ns;
    uint64_t wakes, self_wakes;
    uint64_t cancel_by, t_cancel;
    uint64_t timer_id;     /* its internal timeout timer (a handle id) */
    uint64_t group_id;     /* task_detach: the owning group, 0 for loop_task_detach */
    uint64_t t_freed;      /* TF_WAIT_FREED: when the awaited object was freed */
    uint64_t watch[2];     /* sync objects with waiters it is a known resolver of (lost wakeups, model_lost.c) */
    uint64_t wake_by;      /* who made it ready last (task or handle id), with wake_kind */
    uint8_t wake_kind;     /* KIND_TASK, KIND_TIMER...: what kind wake_by is; 0 unknown */
    int32_t err;
    uint32_t row;          /* timeline row + 1, 0 if none */
};

/* Handle flags */
#define HF_SEEN_NEW 0x01
#define HF_ACTIVE 0x02
#define HF_STARTED 0x04   /* handle_start seen at least once */
#define HF_CLOSING 0x08   /* handle_close seen */
#define HF_INTERNAL 0x10  /* libloop's own: a task's timeout timer, a task fd-wait watcher */
#define HF_DISPATCHED 0x20

struct mhandle {
    struct mobj o;
    uint8_t kind;
    uint8_t flags;
    uint32_t name; /* strtab */
    uint32_t site;
    uint64_t parent_task;
    uint64_t owner_task;   /* HF_INTERNAL: the task */
    uint64_t t_new, t_close;
    uint64_t t_pending;    /* when it last became due/ready (for scheduling delay); 0 unknown */
    uint64_t callbacks;
    int32_t fd;            /* io: from handle_start */
};

/* A lock (seen only through waits, kept in mloop.locks): its owner when the trace tells. */
enum owner_how { OWNER_UNKNOWN = 0, OWNER_FIELD = 1, OWNER_HANDOFF = 2 };

struct mlock {
    struct mobj o;
    uint64_t owner;
    uint8_t how;
    uint64_t t_owner;
};

/* Sync object flags */
#define SF_SEEN_NEW 0x01
#define SF_SETTLED 0x02   /* future_settle seen */
#define SF_FAILED 0x04    /* settled with an error */
#define SF_AWAITED 0x08   /* a task waited on it (task_suspend naming it) */
#define SF_RETRIEVED 0x10 /* its outcome was retrieved (future_result) */

/*
 * A future, event, lock, channel or task group (sync_new .. sync_free). In
 * objs, like tasks and handles (they share the loop's id counter). A lock's
 * owner is kept apart, in mloop.locks.
 */
struct msync {
    struct mobj o;
    uint8_t kind;          /* enum ev_sync_kind */
    uint8_t flags;
    uint32_t site;         /* creation site */
    uint32_t waiters;      /* tasks waiting on it now (suspends not yet woken) */
    uint64_t parent_task;  /* the task that created it, 0 outside tasks */
    uint64_t t_new, t_settle;
    int32_t err;           /* future_settle */
    /*
     * Tasks seen completing its waits, the first MSYNC_USERS per side: side 0
     * completes receive-like waits (a future's resolver, an event's setter, a
     * channel's sender: a task that woke such a waiter, or waited to send),
     * side 1 completes a channel's send waits (its receivers).
     */
    uint64_t users[2][4];
    uint8_t nusers[2];
};
#define MSYNC_USERS 4

/* Loop flags */
#define LF_SEEN_NEW 0x01
#define LF_CLOSED 0x02
#define LF_RUNNING 0x04 /* between run_begin and run_end */
#define LF_RAN 0x08     /* a run_end was seen */
#define LF_GAP 0x10     /* events were discarded while it lived */
#define LF_CB_OPEN 0x20 /* inside callback_begin/end */
#define LF_IN_POLL 0x40
#define LF_MINOR1 0x80  /* loop_new said format_minor >= 1: joins, detaches, sync objects are traced */
#define LF_IO 0x100     /* task_io events were seen in it */
#define LF_SNAPSHOT 0x200 /* a complete state snapshot was seen (format minor 2, model_snapshot.c) */

/*
 * Task I/O (task_io events, format minor 1): one per attempt of loop_read,
 * loop_write, loop_accept, loop_connect. Fixed size: errors are counted per
 * errno in MIO_ERRS slots (the first errnos seen), the rest in errs_other.
 */
#define MIO_ERRS 6
struct mio {
    uint64_t calls[IO_OP_MAX];  /* attempts, by enum ev_io_op */
    uint64_t again[IO_OP_MAX];  /* found nothing: EAGAIN (a connect: EINPROGRESS) */
    uint64_t failed[IO_OP_MAX]; /* other negative results */
    uint64_t bytes_read, bytes_written;
    uint64_t eof;               /* reads that returned 0 */
    struct {
        int32_t err;            /* positive errno */
        uint64_t count;
    } errs[MIO_ERRS];
    uint64_t errs_other;        /* errors past the MIO_ERRS distinct errnos */
};
/* Successful attempts of op: bytes (even 0), a new fd, connected. */
static inline uint64_t mio_ok(const struct mio *io, int op)
{
    return io->calls[op] - io->again[op] - io->failed[op];
}
static inline uint64_t mio_calls(const struct mio *io)
{
    return io->calls[IO_READ] + io->calls[IO_WRITE] + io->calls[IO_ACCEPT] + io->calls[IO_CONNECT];
}
static inline uint64_t mio_again(const struct mio *io)
{
    return io->again[IO_READ] + io->again[IO_WRITE] + io->again[IO_ACCEPT] + io->again[IO_CONNECT];
}
static inline uint64_t mio_failed(const struct mio *io)
{
    return io->failed[IO_READ] + io->failed[IO_WRITE] + io->failed[IO_ACCEPT] + io->failed[IO_CONNECT];
}

/* Utilization over time: nbuckets of width ns each, widths doubling as time goes on. */
#define UTIL_BUCKETS 64
struct util_series {
    uint64_t t0, width;
    uint64_t busy[UTIL_BUCKETS];
    uint64_t iters[UTIL_BUCKETS];
    uint64_t max_iter[UTIL_BUCKETS];
};

struct mproc;

struct mloop {
    int64_t vpid;
    uint64_t loop_id;
    struct mproc *proc;
    uint32_t flags;
    uint16_t format_version, version_major, version_minor;
    uint16_t format_minor;
    uint8_t policy, debug;
    uint64_t t_first, t_last, t_new, t_close;
    uint64_t t_run_begin, t_run_end;
    int32_t last_rc;
    struct u64map objs;   /* id → struct mobj (task, handle or sync object) */
    struct u64map locks;  /* id → struct mlock (locks seen through waits) */

    /* dispatch state */
    uint64_t cb_id, cb_begin;
    uint8_t cb_kind;
    uint64_t cur_task;
    uint64_t poll_begin;
    uint64_t t_iter;
    int64_t clock_off;    /* trace ts - loop now_ns */
    int have_clock_off;

    /* counters */
    uint64_t events, iters, callbacks, polls;
    uint64_t busy_ns, poll_ns, run_ns;
    uint64_t tasks_new, tasks_done, tasks_cancelled, tasks_failed;
    uint64_t handles_new, handles_closed, work_items, call_soons;
    uint64_t live_tasks, live_handles;
    uint64_t tasks_joined, tasks_detached;
    uint64_t sync_new, sync_freed, live_sync;
    uint64_t futures_resolved, futures_failed;
    uint64_t slow_callbacks, stalls, errors, anomalies;
    uint64_t last_task_new_id;
    struct mio io;        /* task I/O of its tasks (LF_IO: some was seen) */
    uint64_t fdw_candidate; /* an io handle made inside a task step: libloop's fd waiter? */
    uint8_t prev_type;
    /* the task whose task_done came inside the current callback (freed already) */
    uint64_t done_id;
    uint32_t done_name, done_site, done_wait_site;

    struct hist iter_hist;
    struct util_series util;
    uint32_t cb_row;       /* timeline row + 1 for its callbacks */
    uint32_t stuck_open;   /* index + 1 in model.stucks of its episode not yet ended, 0 none */
    uint32_t stall_open;   /* index + 1 in model.stalls of a stall inside the open callback, 0 none */

    /* state snapshots (model_snapshot.c) */
    uint64_t snapshots;    /* complete ones seen */
    uint64_t t_snapshot;   /* the first one's end: the attach point */
    uint64_t snap_task;    /* the waiting task whose snapshot_wait comes next, 0 none */
    uint8_t snap_open;     /* between snapshot_begin and snapshot_end */
};

/*
 * The loop's trace starts mid-run (no loop_new) and no state snapshot has
 * told what existed before: findings from before the attach point are missing.
 */
static inline int mloop_state_unknown(const struct mloop *l)
{
    return !(l->flags & (LF_SEEN_NEW | LF_SNAPSHOT));
}

struct mproc {
    int64_t vpid;
    uint32_t procname;     /* strtab */
    struct mloop **loops;
    size_t nloops;
};

/* Aggregates keyed exactly by three words (see model.c agg_get). */
struct akey {
    uint64_t a, b, c;
};
struct aghdr {
    struct aghdr *next; /* same hash */
    struct akey k;
};

/* Per callback site (kind, site) or per task name: distributions. */
struct prof {
    struct aghdr h;
    uint8_t kind;          /* KIND_TASK for task names */
    uint8_t internal;      /* libloop's own handle working for tasks (timeout timer, fd waiter) */
    uint32_t site;         /* callbacks: the handle's creation site; tasks: first spawn site */
    uint32_t name;         /* tasks: the name; callbacks: a handle name seen */
    uint64_t over;         /* steps over the threshold */
    struct hist step, delay;
    uint8_t io_traced;     /* tasks: one ran in a loop whose trace has task_io (minor >= 1) */
    struct mio io;         /* tasks: their task_io attempts */
};

/* Per await site (wait kind, site): how long tasks waited there. */
struct waitstat {
    struct aghdr h;
    uint8_t wait_kind;
    uint32_t site;
    uint64_t over;         /* waits over the threshold */
    uint64_t max_task;     /* the task of the longest wait */
    int64_t max_vpid;
    uint64_t max_loop;
    struct hist wait;
};

/* Folded-stack weight: (task name or callback kind, site) → ns. */
struct fold {
    struct aghdr h;
    uint32_t proc;         /* strtab: procname */
    uint64_t loop_id;
    uint8_t kind;
    uint32_t name;         /* task name, or 0 */
    uint32_t site;         /* callback: creation site; task: the resume (await) site */
    uint32_t spawn_site;
    uint64_t ns, count;
};

/* One instance kept for reports (slow step, long wait, slow_callback event). */
struct instance {
    int64_t vpid;
    uint64_t loop_id, id;
    uint8_t kind, wait_kind;
    uint32_t name, site, site2; /* site2: a task's spawn site */
    uint64_t ts, duration_ns, obj;
    uint8_t gap;           /* events were discarded around it */
};

struct topk {
    struct instance v[MODEL_TOPK];
    size_t n;
    uint64_t total;        /* instances seen */
};

struct stall {
    int64_t vpid;
    uint64_t loop_id, id;
    uint8_t kind;          /* of the running callback, if known */
    uint32_t name, site, site2; /* task name / creation site / resume site */
    uint64_t ts, duration_ns; /* duration_ns: the whole callback once its end was seen, else so far */
    uint64_t detected_ns;  /* how long it had run when the watchdog caught it (the event's) */
    uint64_t cb_begin;     /* its callback_begin, 0 unknown */
    uint8_t ended;         /* its callback_end was seen: duration_ns is the full blocked time */
    char *backtrace;
};

struct cycle_edge {
    uint64_t task;
    uint64_t since_ns;     /* when this task began waiting */
    uint32_t name, spawn_site;
    uint8_t wait_kind;     /* join or lock */
    uint64_t obj;          /* the lock or the joined task */
    uint32_t wait_site;
    uint32_t obj_site;     /* the lock's creation site when the trace has it (sync_new), else 0 */
    uint8_t inferred;      /* the lock owner was inferred, not in the trace */
    uint8_t how;           /* other waits: how the next task is known (enum waker_how), 0 for join/lock */
    uint8_t obj_kind;      /* the awaited sync object's enum ev_sync_kind + 1, 0 unknown */
};

struct cycle {
    int64_t vpid;
    uint64_t loop_id;
    uint64_t ts;           /* when it was seen */
    uint64_t broken_ts;    /* when a timeout/cancel broke it, 0 if never */
    uint64_t key;          /* hash of the task set (dedup) */
    size_t n;
    struct cycle_edge *edges;
    uint8_t gap;
    /*
     * possible: an edge goes to a sync object's creator or a task seen
     * completing such waits (a task may hand an object to any other), so
     * the cycle is kept only once confirmed: broken by a timeout or a
     * cancellation, or still there when the loop ran out of work or the
     * trace ended. A wait of it completed otherwise refutes it (refuted:
     * not reported; a later cycle of the same tasks reuses the record).
     */
    uint8_t possible, confirmed, refuted;
};
/* Is the cycle a finding (see struct cycle)? */
static inline int cycle_reported(const struct cycle *c)
{
    return !c->refuted && (!c->possible || c->confirmed);
}

/*
 * A lost wakeup certain while the loop still ran (model_lost.c): a task
 * waits on a future, event or channel whose every resolver the trace names
 * (its creator, the tasks seen completing such waits; for a channel, those
 * of the other end) had ended. Kept whatever happened after (the waiter
 * timed out or was cancelled), unless the object was then resolved by
 * someone (refuted: not reported).
 */
struct mlost {
    int64_t vpid;
    uint64_t loop_id;
    uint64_t task, obj;
    uint32_t name, spawn_site, wait_site, obj_site;
    uint8_t wait_kind, obj_kind;  /* obj_kind: enum ev_sync_kind + 1 */
    uint8_t ended;                /* resolvers known to have ended */
    uint8_t refuted;
    uint8_t end_how;              /* 0 still waiting, 1 timeout, 2 cancellation, 3 other */
    uint64_t since_ns;            /* when the task began waiting */
    uint64_t ts;                  /* when it became certain */
    uint64_t end_ts;              /* when the wait ended, 0 not seen */
};

/*
 * A loop ran out of work with tasks waiting (libloop:loop_stuck, trace
 * format minor 2): a hang by definition, kept even when the program then
 * cancels those tasks. model_stuck.c builds it: per waiting task, the tasks
 * that could complete its wait (wakers) and how they are known, a cycle
 * through them when there is one, else the class of each task.
 */
#define STUCK_MAX_TASKS 64
#define STUCK_MAX_WAKERS 4
#define MODEL_MAX_STUCK 64 /* episodes kept; more are counted */
enum stuck_class {
    STUCK_CYCLE = 1,   /* on the cycle of the episode */
    STUCK_LOST = 2,    /* every task known to be able to complete the wait had ended (lost wakeup) */
    STUCK_CHAIN = 3,   /* waits for tasks that are themselves stuck */
    STUCK_UNKNOWN = 4, /* the trace names no task that could complete the wait */
};
enum waker_how {
    WK_JOINED = 1,     /* the joined task */
    WK_OWNER = 2,      /* the lock's owner (traced, or handed off) */
    WK_OWNER_INFERRED = 3, /* the only live task that can hold the lock */
    WK_CREATOR = 4,    /* the task that created the object */
    WK_USER = 5,       /* a task seen completing such waits (resolver, setter, sender, receiver) */
    WK_CHILD = 6,      /* a child of the awaited group */
};
struct stuck_waker {
    uint64_t task;
    uint32_t name;     /* strtab */
    uint8_t how;       /* enum waker_how */
};
struct stuck_task {
    uint64_t task, obj, since_ns;
    uint32_t name, spawn_site, wait_site, obj_site;
    uint8_t state, wait_kind, obj_kind; /* obj_kind: enum ev_sync_kind + 1, 0 unknown */
    uint8_t cls;       /* enum stuck_class */
    uint8_t nwakers;   /* live wakers kept (at most STUCK_MAX_WAKERS) */
    uint8_t ended;     /* wakers known from the trace that had ended */
    uint8_t freed;     /* the awaited object was freed */
    struct stuck_waker wakers[STUCK_MAX_WAKERS];
    uint64_t next;     /* STUCK_CYCLE: its successor on the cycle */
    uint8_t next_how;  /* and how that edge is known */
};
struct mstuck {
    int64_t vpid;
    uint64_t loop_id;
    uint64_t ts;       /* when the loop ran out of work */
    uint64_t count;    /* unfinished tasks then, as libloop counted them */
    uint64_t ended_ts; /* the first wake after it (a cancel, usually); 0 never */
    uint8_t ended_by_cancel;
    uint8_t gap;
    size_t n;          /* tasks kept (the first STUCK_MAX_TASKS by id) */
    struct stuck_task *tasks;
    size_t ncycle;     /* tasks on the cycle, 0 if none */
    uint64_t cycle_first;
};

struct merror {
    int64_t vpid;
    uint64_t loop_id;
    int32_t err;
    uint32_t msg;          /* strtab */
    uint8_t kind;
    uint64_t id, ts_first, ts_last, count;
};

struct gap {
    uint64_t begin_ns, end_ns, count;
    uint8_t packets;
    uint32_t trace;
};

/* The trace ended inside a callback: where the program died or hung. */
struct crash {
    int64_t vpid;
    uint64_t loop_id, id;
    uint8_t kind;
    uint32_t name, site, site2;
    uint64_t begin_ts;
};

/* What an aggsite counts (lints, per site or task name). */
enum agg_what {
    AGG_SLOW_EVENT = 1,   /* slow_callback events per (kind, site) */
    AGG_FAILED_UNJOINED,  /* failed tasks nobody waited to join, per spawn site */
    AGG_CANCELLED_UNOBSERVED, /* cancelled tasks nobody waited to join */
    AGG_SELF_WAKE,        /* tasks woken mostly by themselves, per name */
    AGG_LONG_STEP,        /* task steps over the threshold (never yielding), per name */
    AGG_HELD_LOCK_AT_END, /* tasks finished while owning a lock */
    AGG_FUTURE_ERR_UNRETRIEVED, /* failed futures whose error nobody retrieved, per creation site */
    AGG_WAIT_ON_FREED,    /* tasks waiting on a sync object when it was freed, per await site */
};

struct aggsite {            /* a per-site lint counter */
    struct aghdr h;
    uint8_t what;
    uint8_t kind;
    uint32_t site, name;
    uint64_t count, first_ts, last_ts, example_id;
    int64_t vpid;
    uint64_t loop_id;
    uint64_t value;         /* what-specific (max step ns, wakes...) */
};

/*
 * Sync objects that ended badly while the trace ran, per (loop, kind, site):
 * futures freed before they were resolved. (What is still alive at the
 * end is in the loops' objs; leaks.c merges both.)
 */
struct freedleak {
    struct aghdr h;
    int64_t vpid;
    uint64_t loop_id;
    uint8_t kind;          /* enum ev_sync_kind */
    uint32_t site;
    uint64_t count, first_ts, last_ts; /* creation times */
    uint64_t ids[8];       /* the first ids */
    size_t nids;
};

struct model {
    struct model_opts opts;
    struct strtab strs;
    uint64_t names;          /* distinct names interned through model__intern_name */
    uint64_t names_folded;   /* names past MODEL_MAX_NAMES shown as "(other)" */
    uint32_t name_other;     /* the index of "(other)", 0 until needed */
    struct msite *sites;
    size_t nsites, capsites;
    struct u64map site_idx;  /* hash(file, func, line) → chain of site indexes */

    struct u64map procs;     /* vpid → struct mproc */
    struct mloop **loops;    /* every loop, in order of appearance */
    struct mloop *last_loop; /* the loop of the last event (model__loop_get's cache) */
    size_t nloops, caploops;

    struct u64map profs;     /* key → struct prof */
    struct u64map waits;     /* key → struct waitstat */
    struct u64map folds;     /* key → struct fold */
    struct u64map aggs;      /* key → struct aggsite (lints) */
    struct u64map freedleaks; /* key → struct freedleak */
    /* maps above hold chains: hash → struct aghdr *; iterate with model_agg_next() */

    struct topk slow_steps;  /* callbacks/steps over the threshold, measured */
    struct topk slow_events; /* slow_callback events */
    struct topk long_waits;  /* completed waits over the threshold */

    struct stall *stalls;
    size_t nstalls;
    uint64_t stalls_total;
    struct cycle *cycles;
    size_t ncycles;
    struct mstuck *stucks;   /* loops that ran out of work with tasks waiting (minor 2) */
    size_t nstucks;
    uint64_t stucks_total;
    struct mlost *losts;     /* lost wakeups certain while the loop ran (model_lost.c) */
    size_t nlosts;
    uint64_t losts_total;
    size_t ncycles_possible; /* cycles recorded but not yet confirmed nor refuted */
    struct merror *errors;
    size_t nerrors;
    struct gap *gaps;
    size_t ngaps;
    uint64_t discarded_events, discarded_packets;
    struct crash *crashes;
    size_t ncrashes;

    uint64_t t_first, t_last, events, anomalies, filtered;
    struct mio io_outside;   /* task_io outside any task (loop id 0): loop_connect before a loop runs */
    int oom;
    int finished;
    uint32_t online_checks;

    /* timeline (opts.keep_intervals) */
    struct trow *rows;
    size_t nrows, caprows;
    struct ival *ivals;
    size_t nivals, capivals;
};

/* Timeline */
enum row_type { ROW_TASK = 1, ROW_LOOP = 2 };
enum ival_state {
    IV_READY = 1,    /* kind, obj: what woke it (wake_kind, wake_by) */
    IV_RUN = 2,
    IV_WAIT = 3,
    IV_CALLBACK = 4, /* on a loop row */
    IV_POLL = 5,     /* on a loop row */
};

struct trow {
    uint8_t type;
    int64_t vpid;
    uint64_t loop_id, id;
    uint32_t name, site;
    uint64_t t_begin, t_end;
    uint8_t end_state;     /* task state at its end (or at the trace end) */
    uint8_t end_wait;      /* wait kind if it ended waiting */
    uint32_t end_site;
    uint32_t end_obj_site; /* the awaited object's creation site, 0 unknown */
    uint64_t end_obj;
    uint64_t parent;       /* the spawning task, 0 when spawned outside tasks */
};

struct ival {
    uint64_t start, end;
    uint64_t obj;          /* wait object, or the callback's id */
    uint32_t row;          /* index */
    uint32_t site;         /* await site, or the callback handle's site */
    uint32_t obj_site;     /* IV_WAIT: the awaited sync object's creation site, 0 unknown;
                              IV_CALLBACK: the handle's or task's name (strtab) */
    uint8_t state;         /* enum ival_state */
    uint8_t kind;          /* wait kind, or callback kind */
};

/*
 * Is the loop still running at the end of what was read? (inside loop_run,
 * or, when the trace missed run_begin/run_end, iterating.) Waits in a loop
 * that no longer runs can never end.
 */
static inline int mloop_running(const struct mloop *l)
{
    if (l->flags & LF_CLOSED) {
        return 0;
    }
    if (l->flags & LF_RUNNING) {
        return 1;
    }
    return !(l->flags & LF_RAN) && l->t_run_begin == 0 && l->iters > 0;
}

struct model *model_new(const struct model_opts *opts);
/* Feed one event. 0, or -ENOMEM (the event is dropped, m->oom set). */
int model_feed(struct model *m, const struct event *ev);
/* Look for deadlock cycles in every loop now (live mode: periodically). */
void model_scan_deadlocks(struct model *m, uint64_t now);
/* The trace ended: close what is open (intervals, callbacks → crash records). */
void model_finish(struct model *m);
void model_free(struct model *m);

/* Lookups for reports */
struct mloop *model_loop(const struct model *m, int64_t vpid, uint64_t loop_id);
struct mtask *model_task(const struct mloop *l, uint64_t id);
struct mhandle *model_handle(const struct mloop *l, uint64_t id);
struct mlock *model_lock(const struct mloop *l, uint64_t id);
struct msync *model_sync(const struct mloop *l, uint64_t id);
/* Does the loop's trace carry joins, detaches and sync objects (format_minor >= 1)? */
static inline int mloop_has_joins(const struct mloop *l)
{
    return (l->flags & LF_MINOR1) != 0;
}
/*
 * Does it carry its tasks' I/O (task_io)? Minor >= 1, or task_io seen. In a
 * loop from an older libloop (minor 0) the I/O is unknown, not zero.
 */
static inline int mloop_has_io(const struct mloop *l)
{
    return (l->flags & (LF_MINOR1 | LF_IO)) != 0;
}
static inline const char *model_str(const struct model *m, uint32_t idx)
{
    return strtab_str(&m->strs, idx);
}
const struct msite *model_site(const struct model *m, uint32_t idx);
/* Iterate an aggregate map: for (it = 0, cur = NULL; (cur = model_agg_next(map, &it, cur));) */
void *model_agg_next(const struct u64map *map, size_t *iter, void *cur);
/* "file:line (func)" or "?" */
const char *model_site_str(const struct model *m, uint32_t idx, char *buf, size_t len);
/*
 * The end of l's process as the trace shows it: its last event when none of
 * its loops still runs (it exited or was about to), else the end of the
 * trace (it may be alive and blocked). Waits are measured to it, so a
 * process that exited early is not measured to a later process's end.
 */
uint64_t model_proc_end(const struct model *m, const struct mloop *l);
/* Seconds from the trace start, for display. */
double model_rel_s(const struct model *m, uint64_t ts);

/*
 * Wait-for analysis of one loop at its current state (used online and by
 * hangs.c): fills at most cap cycles' worth of tasks in deadlock. See model.c.
 */
struct deadlock_set {
    uint64_t *tasks;       /* deadlocked tasks */
    size_t n;
};
int model_deadlocked(const struct model *m, const struct mloop *l, int include_timeouts,
                     struct deadlock_set *out);
/*
 * The successor of a waiting task in the wait-for graph: the joined task or
 * the lock's owner (known, or inferred when exactly one live task can hold
 * it: *inferred = 1). 0 when there is none or it cannot be told;
 * *ncand = the number of candidate owners for an unknown lock owner.
 */
/*
 * The owner of the lock task t waits for as the trace tells it, 0 unknown:
 * the lock's newest known owner when it became owner after t began waiting
 * (a hand-off: lock_handoff, or a waiter woken by the releaser), else the
 * owner t's own task_suspend named.
 */
uint64_t model_lock_owner_for(const struct mloop *l, const struct mtask *t);
uint64_t model_wait_target(const struct model *m, const struct mloop *l, const struct mtask *t,
                           int *inferred, size_t *ncand);

#endif /* LOOP_ANALYZE_MODEL_H */
