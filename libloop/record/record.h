/*
 * record.h — record, replay and chaos: the scheduler policies beyond fifo
 * and the recorder, per loop (loop->rr, NULL when none is on).
 */
#ifndef LOOP_RECORD_H
#define LOOP_RECORD_H

#include <stdarg.h>
#include <stdio.h>

#include "core/internal.h"
#include "schedule.h"

struct loop__rr {
    /* recording */
    struct loop__sched_writer *w;
    char *record_path;
    uint64_t flush_ns;       /* flush at most this often (loop time) */
    uint64_t last_flush_ns;
    /* replaying */
    struct loop__sched_reader *r;
    char *replay_path;
    struct loop__rec next;   /* lookahead */
    char err[256];           /* the reader's last error line */
    int next_rc;             /* 1 record, 0 end, <0 error */
    uint64_t step;           /* records consumed so far */
    int diverge_continue;
    int64_t wait_ms;         /* how long a recorded-ready item is waited for */
    bool notes;              /* the schedule has NOTE records: check them */
    struct loop__replay_ent *index_tab; /* queued items by id (replay.c) */
    size_t index_cap, index_len;
    bool clock_shifted;      /* diverged and continuing: the clock goes on from the */
    int64_t clock_shift_ns;  /* replayed time, real clock + clock_shift_ns */
    uint64_t index;          /* which loop of the process (1: the first; FILE.k for k > 1) */
    /* chaos */
    uint64_t chaos_seed;
    uint32_t late_ms;        /* LOOP_CHAOS_LATE_MS (kept in the schedule's header) */
    bool vclock;             /* chaos and explore: the clock is virtual (loop__rr_waited) */
    uint64_t vnow_ns;        /* the virtual clock, before lateness */
    uint64_t chaos_offset_ns; /* virtual lateness so far: added to every clock read */
    uint64_t chaos_due_ns;   /* a late poll: the due time it waits for, or 0 */
    uint64_t chaos_late_ns;  /* and how late it wakes past it */
    uint64_t chaos_iter;     /* iterations so far (held-back readiness is released by them) */
    uint64_t chaos_rng;
    uint64_t late_max_ns;    /* timers fire late by up to this */
    loop_queue_t delayed;    /* I/O readiness held back, in ready nodes */
    uint64_t chaos_perturbs; /* perturbations proposed so far (chaos.c) */
    uint64_t *chaos_only;    /* LOOP_CHAOS_ONLY as [lo, hi] pairs; NULL: all apply */
    size_t chaos_only_n;     /* pairs */
    FILE *chaos_log;         /* LOOP_CHAOS_LOG, or NULL */
    struct loop__chaos_rank *ranks; /* items' ranks by id (chaos.c), direct-mapped */
    uint64_t rank_cur;       /* the rank of the item running (0: none yet this iteration) */
    uint64_t rank_next;      /* ranks handed out so far */
    bool in_round;           /* items are being dispatched (not polled, not timers run) */
    /* explore (LOOP_EXPLORE): chaos's choice points, decided by a script, not a seed */
    bool explore;
    uint64_t explore_points;  /* choice points met so far */
    uint64_t *explore_spec;   /* (point, alternative) pairs, ascending points */
    size_t explore_n;
    FILE *explore_log;        /* LOOP_EXPLORE_LOG, or NULL */
    bool fp_on;               /* a dispatch is running: its footprint is collected */
    size_t fp_len;
    char fp_buf[480];         /* "D<id> <key>...", footprint.c */
    /* loop_random() */
    uint64_t random_state;
    uint64_t random_seed;
};

/* env.c calls this: LOOP_RECORD, LOOP_REPLAY, LOOP_CHAOS. */
void loop__rr_env_init(loop_t *loop);
void loop__rr_free(loop_t *loop);
/* A clock read of the given record type (ITER or CLOCK): recorded or replayed. */
uint64_t loop__rr_clock(loop_t *loop, int type, uint64_t real_now);
/* After a poll under chaos or explore: moves the virtual clock (record.c).
 * woken: the poll returned before its timeout (events, or a signal). */
void loop__rr_waited(loop_t *loop, int timeout_ms, bool woken, uint64_t waited_ns);
/* How far a poll that did not wait moves the virtual clock: an iteration's cost. */
#define LOOP__VCLOCK_STEP_NS 10000u
/* Before item h of kind runs: record it, or check it against the schedule. */
void loop__rr_dispatch(loop_t *loop, loop_handle_t *h, int kind);
/*
 * The recorder's fast path, inline in the dispatch: when recording (not
 * replaying), an item other than I/O that repeats the last dispatch's run is
 * only counted. False: call loop__rr_dispatch.
 */
static inline bool loop__rr_dispatch_repeat(loop_t *loop, const loop_handle_t *h, int kind)
{
    struct loop__sched_writer *w = loop->rr->w;

    return w != NULL && loop->policy != LOOP__POLICY_REPLAY && kind != LOOP_KIND_IO &&
           h->id != 0 && loop__schedw_repeat(w, h->id, kind, 0);
}
/* Chaos/replay choice among the round's items. */
loop_handle_t *loop__rr_pick(loop_t *loop);
/* replay.c: one iteration in the recorded order. */
void loop__replay_iteration(loop_t *loop);
/* chaos.c */
void loop__chaos_iteration_begin(loop_t *loop);
int64_t loop__chaos_timeout(loop_t *loop, int64_t timeout_ns);
bool loop__chaos_delay_io(loop_t *loop, loop_handle_t *h);
loop_handle_t *loop__chaos_pick(loop_t *loop);
/* LOOP_CHAOS_ONLY, LOOP_CHAOS_LOG (loop-replay minimize); exits 2 on a bad list. */
void loop__chaos_init(loop_t *loop);
/* LOOP_EXPLORE=SPEC, LOOP_EXPLORE_LOG (loop-replay explore); exits 2 on a bad spec. */
void loop__explore_init(loop_t *loop, const char *spec);
void loop__chaos_free(struct loop__rr *rr);
/* chaos.c: an item made ready, started or armed while another runs gets its rank. */
void loop__chaos_adopt(loop_t *loop, const loop_handle_t *h);
static inline void loop__rr_adopt(loop_t *loop, const loop_handle_t *h)
{
    if (LOOP_UNLIKELY(loop->policy == LOOP__POLICY_CHAOS)) {
        loop__chaos_adopt(loop, h);
    }
}
/*
 * footprint.c: under LOOP_EXPLORE_LOG, what each dispatch touches (fds,
 * task sync objects, the items it wakes or dequeues), one log line each.
 */
void loop__fp_begin(loop_t *loop, const loop_handle_t *h, int kind);
void loop__fp_add(loop_t *loop, char tag, uint64_t key);
void loop__fp_end(loop_t *loop);
static inline bool loop__fp_wanted(const loop_t *loop)
{
    return LOOP_UNLIKELY(loop->rr != NULL) && loop->rr->explore_log != NULL;
}
/* The hook in the core and the task runtime: a key the running item touched. */
static inline void loop__rr_touch(loop_t *loop, char tag, uint64_t key)
{
    if (LOOP_UNLIKELY(loop->rr != NULL) && loop->rr->fp_on) {
        loop__fp_add(loop, tag, key);
    }
}
uint64_t loop__rr_rand(uint64_t *state);
/*
 * shuffle.c: the choices about an order that chaos and explore make, for
 * libloop's scheduler and the uv loop's poll alike. A chaos choice that
 * differs from fifo: whether it applies (LOOP_CHAOS_ONLY), logged to
 * LOOP_CHAOS_LOG. An explore choice point with nalts alternatives beyond
 * fifo's: the one LOOP_EXPLORE takes (0: fifo), logged to LOOP_EXPLORE_LOG.
 */
bool loop__chaos_vperturb(loop_t *loop, const char *fmt, va_list ap);
bool loop__chaos_perturb(loop_t *loop, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t loop__explore_vchoice(loop_t *loop, const char *type, uint64_t nalts, const char *fmt,
                               va_list ap);
uint64_t loop__explore_choice(loop_t *loop, const char *type, uint64_t nalts, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* What loop__shuffle says about a batch and its items. */
struct loop__shuffle_spec {
    const char *point;      /* explore's choice point type, e.g. "uvpoll" */
    const char *chaos_what; /* a chaos log line: "<chaos_what> <item> before <item>" */
    /* an item in a log line, e.g. "fd 7 (tcp id=3)" (ctx: the next field) */
    void (*name)(const void *ctx, const void *item, char *buf, size_t len);
    const void *ctx;
};
#define LOOP__SHUFFLE_ITEM_MAX 64 /* bytes per item; larger items are left in order */
/*
 * Reorder a batch of n items ready together (size bytes each at base; fifo
 * is the order given) on a chaos or explore loop. Chaos: a shuffle from the
 * seed, each swap a perturbation. Explore: at each position but the last a
 * choice point whose alternative a runs the a-th of the items after it
 * there instead (the others keep their order): n-1 points reach every order.
 */
void loop__shuffle(loop_t *loop, const struct loop__shuffle_spec *s, void *base, size_t n,
                   size_t size);
/* The end of recording (loop_close): END record and the stream closed. */
void loop__rr_end(loop_t *loop);
/* loop_run returns: flush the recording. */
void loop__rr_run_end(loop_t *loop);
/*
 * Task I/O (task_io.c calls these only for a task's call on a loop with rr):
 * loop__rr_io_begin() answers whether the attempt is replayed, and then the
 * recorded result (the schedule's next record must be this task's attempt
 * of this op, or the replay diverges and goes on unreplayed); the caller
 * makes the real call behave as recorded, calls loop__rr_io_mismatch() when
 * it cannot (a divergence: exit 3, or fifo from there), and ends every
 * attempt with loop__rr_io_end(), which consumes the replayed record and
 * records the result.
 */
bool loop__rr_io_begin(loop_t *loop, uint64_t task, int op, int64_t *recorded);
/* how: appended to "got 3 bytes from its read", e.g. ", then end of file"; NULL: none. */
void loop__rr_io_mismatch(loop_t *loop, int op, int64_t got, const char *how);
void loop__rr_io_end(loop_t *loop, uint64_t task, int op, int64_t result);
/*
 * Outcomes (NOTE records): recorded, and when replaying checked against the
 * schedule's next record (a divergence otherwise). pool.c: a work item's
 * status and loop_work_cancel's result; task_work.c: loop_run_blocking's
 * result; async.c: the sends one dispatch coalesced; the monitor: a cancel.
 */
void loop__rr_note(loop_t *loop, int what, uint64_t id, int64_t value);
/* Traced (the outcome event, what loop-replay extract makes NOTE records of) and noted. */
void loop__rr_outcome_hooked(loop_t *loop, int what, uint64_t id, int64_t value);
/* The hook the core calls: nothing unless traced, recording or replaying (loop->hooked);
 * libloop's own objects skipped. */
static inline void loop__rr_outcome(loop_t *loop, int what, uint64_t id, int64_t value)
{
    if (LOOP_UNLIKELY(loop->hooked) && id != 0) {
        loop__rr_outcome_hooked(loop, what, id, value);
    }
}
/* async.c, replaying: wait (LOOP_REPLAY_WAIT_MS) until pending counts the recorded sends. */
void loop__rr_async_wait(loop_t *loop, uint64_t id, const atomic_int *pending);
/* replay.c: the next record is a monitor cancel: carry it out, check its result. */
int loop__replay_monitor_cancel(loop_t *loop);
/* replay.c: the queued-item index (sched.c's loop__sched_remove forgets items). */
void loop__replay_forget(loop_t *loop, loop_handle_t *h);
void loop__replay_unindex_all(loop_t *loop);
/* Replay went off the schedule: exit 3, or continue in fifo order. */
void loop__rr_diverge(loop_t *loop, const char *did);

#endif /* LOOP_RECORD_H */
