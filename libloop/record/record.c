/*
 * record.c — the recorder and the replay checks.
 *
 * LOOP_RECORD=FILE writes the schedule of the process's first loop: the clock
 * of every iteration, every other clock read, and every dispatch (id, kind,
 * and for I/O the events seen). The stream is flushed at most every
 * LOOP_RECORD_FLUSH_MS of loop time (default 1; 0: every iteration) and at
 * loop_run's return, so a killed process leaves a file that is valid up to
 * its last flush. A write error (ENOSPC) stops recording with one line; the
 * program runs on and the file keeps what was written.
 *
 * LOOP_REPLAY=FILE makes the same loop take the recorded decisions (see
 * replay.c); each clock read returns the recorded value and each dispatch is
 * checked against the schedule. A divergence prints one line and exits with
 * status 3, or with LOOP_REPLAY_DIVERGE=continue goes on in fifo order.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/trace.h"
#include "record.h"
#include "task/task.h"

/*
 * Every loop of the process records (replays) its own schedule: the loop
 * index says which. Index 1 is FILE itself, index k > 1 is FILE.k. Indexes
 * count the loops created since the last moment no recording, replaying or
 * chaos loop was open, so a program that makes one loop after another (a
 * test suite) writes FILE each time, and one that runs a loop per thread
 * gives each its index in creation order (which must then be the same in
 * the replay: the user's part, docs/schedule-format.md).
 */
static pthread_mutex_t index_mu = PTHREAD_MUTEX_INITIALIZER;
static int rr_open;          /* loops with rr; guarded by index_mu */
static uint64_t rr_next;     /* the last index given; guarded by index_mu */

uint64_t loop__rr_rand(uint64_t *state)
{
    /* splitmix64 */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t loop_random(loop_t *loop)
{
    return loop__rr_rand(loop->rr != NULL ? &loop->rr->random_state : &loop->random_state);
}

void loop__random_init(loop_t *loop)
{
    if (loop->rr != NULL) {
        loop->random_seed = loop->rr->random_seed; /* recorded, or the replayed one */
    } else {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
            seed = loop__hrtime_ns();
        }
        loop->random_seed = seed | 1;
        loop->random_state = loop->random_seed;
    }
}

static char *read_cmdline(size_t *len)
{
    char *buf = malloc(4096);
    ssize_t n = -1;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

    *len = 0;
    if (buf == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    if (fd >= 0) {
        n = read(fd, buf, 4095);
        close(fd);
    }
    if (n <= 0) {
        n = 0;
    }
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void rr_fail(loop_t *loop, const char *fmt, const char *arg, int err)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, arg);
    loop__error(loop, err, 0, NULL, NULL, msg);
}

static int start_recording(loop_t *loop, struct loop__rr *rr, const char *path, uint32_t mode)
{
    struct loop__sched_hdr hdr = {0};
    size_t len;
    char *cmd = read_cmdline(&len);
    size_t plen = cmd ? strlen(cmd) : 0;
    long lv, fl; /* parsed (bad values refused) by env.c */
    int rc;

    hdr.version = LOOP__SCHED_VERSION;
    hdr.mode = mode;
    hdr.chaos_seed = rr->chaos_seed;
    hdr.random_seed = rr->random_seed;
    hdr.loop_id = rr->index;
    hdr.flags = LOOP__SCHED_F_NOTES;
    hdr.chaos_late_ms = mode == LOOP__SCHED_MODE_CHAOS ? rr->late_ms + 1 : 0;
    hdr.program = cmd;
    hdr.args = cmd && plen + 1 < len ? cmd + plen + 1 : NULL;
    hdr.args_len = cmd && plen + 1 < len ? len - plen - 1 : 0;
    loop__env_long("LOOP_RECORD_LEVEL", -7, 22, 3, &lv);
    loop__env_long("LOOP_RECORD_FLUSH_MS", 0, 3600000, 1, &fl);
    rc = loop__schedw_open(&rr->w, path, &hdr, (int)lv);
    free(cmd);
    if (rc < 0) {
        char msg[600];
        snprintf(msg, sizeof(msg), "Cannot record the schedule to %s: %s", path,
                 loop_strerror(rc));
        loop__error(loop, rc, 0, NULL, NULL, msg);
        return rc;
    }
    rr->record_path = strdup(path);
    rr->flush_ns = (uint64_t)fl * 1000000u;
    return 0;
}

static void replay_next(struct loop__rr *rr)
{
    rr->next_rc = loop__schedr_next(rr->r, &rr->next, rr->err, sizeof(rr->err));
    if (rr->next_rc < 0 && rr->next_rc != -EPIPE) {
        loop_log(LOOP_LOG_ERROR, "replay: %s", rr->err);
    }
}

static int start_replay(loop_t *loop, struct loop__rr *rr, const char *path)
{
    struct loop__sched_hdr hdr;
    char err[256];
    static const char *const diverge[] = {"stop", "continue", NULL};
    int rc;

    rr->diverge_continue = loop__env_choice("LOOP_REPLAY_DIVERGE", diverge, 0) == 1;
    rc = loop__schedr_open(&rr->r, path, &hdr, err, sizeof(err));
    if (rc == -ENOENT && rr->index > 1) {
        /* the recording had fewer loops: a divergence, not a bad file */
        loop_log(LOOP_LOG_ERROR, "replay diverged: the program created loop %llu, the "
                 "recording has no schedule for it (%s)", (unsigned long long)rr->index, err);
        if (!rr->diverge_continue) {
            fflush(NULL);
            _exit(3);
        }
        loop_log(LOOP_LOG_WARN, "replay: loop %llu runs in fifo order",
                 (unsigned long long)rr->index);
        return rc;
    }
    if (rc < 0) {
        loop_log(LOOP_LOG_ERROR, "replay: %s", err);
        exit(2);
    }
    if ((hdr.flags & LOOP__SCHED_F_NOTES) && hdr.loop_id != rr->index) {
        loop_log(LOOP_LOG_WARN, "replay: %s is the schedule of loop %llu, replayed for loop %llu",
                 path, (unsigned long long)hdr.loop_id, (unsigned long long)rr->index);
    }
    (void)loop;
    rr->replay_path = strdup(path);
    rr->random_seed = hdr.random_seed;
    rr->notes = (hdr.flags & LOOP__SCHED_F_NOTES) != 0;
    long wm; /* -1: forever; env.c refuses bad values with one line */
    loop__env_long("LOOP_REPLAY_WAIT_MS", -1, 86400000, 10000, &wm);
    rr->wait_ms = wm;
    replay_next(rr);
    return 0;
}

void loop__rr_env_init(loop_t *loop)
{
    const char *rec = getenv("LOOP_RECORD");
    const char *rep = getenv("LOOP_REPLAY");
    const char *chaos = getenv("LOOP_CHAOS");
    const char *explore = getenv("LOOP_EXPLORE");
    struct loop__rr *rr;
    char *rec_k = NULL, *rep_k = NULL;

    if ((rec == NULL || !*rec) && (rep == NULL || !*rep) && (chaos == NULL || !*chaos) &&
        explore == NULL) {
        return;
    }
    rr = calloc(1, sizeof(*rr));
    if (rr == NULL) {
        loop_log(LOOP_LOG_ERROR, "record/replay: out of memory; running in fifo order");
        return;
    }
    pthread_mutex_lock(&index_mu);
    if (rr_open++ == 0) {
        rr_next = 0;
    }
    rr->index = ++rr_next;
    pthread_mutex_unlock(&index_mu);
    if (rr->index > 1) {
        if ((rec != NULL && *rec && asprintf(&rec_k, "%s.%llu", rec,
                                             (unsigned long long)rr->index) < 0) ||
            (rep != NULL && *rep && asprintf(&rep_k, "%s.%llu", rep,
                                             (unsigned long long)rr->index) < 0)) {
            loop_log(LOOP_LOG_ERROR, "record/replay: out of memory; loop %llu runs in fifo order",
                     (unsigned long long)rr->index);
            free(rec_k);
            free(rep_k);
            free(rr);
            pthread_mutex_lock(&index_mu);
            rr_open--;
            pthread_mutex_unlock(&index_mu);
            return;
        }
        rec = rec_k != NULL ? rec_k : rec;
        rep = rep_k != NULL ? rep_k : rep;
    }
    loop__queue_init(&rr->delayed);
    if (getrandom(&rr->random_seed, sizeof(rr->random_seed), GRND_NONBLOCK) !=
        sizeof(rr->random_seed)) {
        rr->random_seed = loop__hrtime_ns();
    }
    loop->rr = rr;
    if (rep != NULL && *rep) {
        if (start_replay(loop, rr, rep) == 0) {
            loop->policy = LOOP__POLICY_REPLAY;
        }
    } else if (explore != NULL && rr->index == 1) {
        /* explore: the first loop's choices scripted; the others run fifo */
        loop->policy = LOOP__POLICY_CHAOS;
        loop__explore_init(loop, explore);
    } else if (chaos != NULL && *chaos) {
        char *end;
        rr->chaos_seed = strtoull(chaos, &end, 0);
        if (*end != '\0') {
            loop_log(LOOP_LOG_ERROR, "LOOP_CHAOS=\"%s\" is not a number", chaos);
            exit(2);
        }
        rr->chaos_rng = rr->chaos_seed;
        long late_ms; /* env.c refuses -1, abc, ... with one line */
        loop__env_long("LOOP_CHAOS_LATE_MS", 0, 60000, 80, &late_ms);
        rr->late_ms = (uint32_t)late_ms;
        rr->late_max_ns = (uint64_t)rr->late_ms * 1000000u;
        loop->policy = LOOP__POLICY_CHAOS;
        loop__chaos_init(loop);
    }
    if (loop->policy == LOOP__POLICY_CHAOS) {
        rr->vclock = true;
        rr->vnow_ns = loop__hrtime_ns();
    }
    rr->random_state = rr->random_seed;
    if (rec != NULL && *rec) {
        uint32_t mode = rr->explore                           ? LOOP__SCHED_MODE_EXPLORE
                        : loop->policy == LOOP__POLICY_CHAOS  ? LOOP__SCHED_MODE_CHAOS
                        : loop->policy == LOOP__POLICY_REPLAY ? LOOP__SCHED_MODE_REPLAY
                                                              : LOOP__SCHED_MODE_FIFO;
        start_recording(loop, rr, rec, mode);
    }
    free(rec_k);
    free(rep_k);
}

static void record_failed(loop_t *loop, int rc)
{
    struct loop__rr *rr = loop->rr;

    rr_fail(loop, "Recording stopped: cannot write the schedule to %s", rr->record_path, rc);
    loop__schedw_close(rr->w);
    rr->w = NULL;
}

static void record(loop_t *loop, const struct loop__rec *r)
{
    struct loop__rr *rr = loop->rr;
    int rc = loop__schedw_put(rr->w, r);

    if (rc < 0) {
        record_failed(loop, rc);
    }
}

static void record_flush(loop_t *loop, bool force)
{
    struct loop__rr *rr = loop->rr;

    if (rr->w == NULL || (!force && loop->now_ns - rr->last_flush_ns < rr->flush_ns)) {
        return;
    }
    rr->last_flush_ns = loop->now_ns;
    int rc = loop__schedw_flush(rr->w);
    if (rc < 0) {
        record_failed(loop, rc);
    }
}

/* Describe the object with this id for a divergence line. */
static void describe(loop_t *loop, uint64_t id, int kind, char *buf, size_t len)
{
    const loop_handle_t *found = NULL;
    loop_queue_t *q;

    loop__queue_foreach(q, &loop->handles) {
        const loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        if (h->id == id) {
            found = h;
            break;
        }
    }
    if (found == NULL && loop->tasks != NULL) {
        struct loop__tasks *ts = loop->tasks;
        loop__queue_foreach(q, &ts->tasks) {
            const loop_task_t *t = loop__queue_data(q, loop_task_t, task_node);
            if (t->hdr.id == id) {
                found = &t->hdr;
                break;
            }
        }
    }
    if (found == NULL) {
        snprintf(buf, len, "kind=%s id=%llu (no such object in this run)", loop_kind_name(kind),
                 (unsigned long long)id);
        return;
    }
    const loop_site_t *s = found->site;
    snprintf(buf, len, "kind=%s id=%llu name=\"%s\" site=%s:%d (%s)", loop_kind_name(kind),
             (unsigned long long)id, loop__h_label(found), s ? s->file : "?",
             s ? s->line : 0, s ? s->func : "?");
}

/* What an I/O attempt found, in words: "8 bytes", "end of file", "EAGAIN"... */
static void io_result_str(int op, int64_t result, char *buf, size_t len)
{
    if (result < 0) {
        snprintf(buf, len, "%s", loop_err_name((int)result));
    } else if (op == LOOP__IO_ACCEPT) {
        snprintf(buf, len, "a connection");
    } else if (op == LOOP__IO_CONNECT) {
        snprintf(buf, len, "connected");
    } else if (op == LOOP__IO_READ && result == 0) {
        snprintf(buf, len, "end of file");
    } else {
        snprintf(buf, len, "%lld bytes", (long long)result);
    }
}

/* An outcome as a result: "0", "ECANCELED", "3". */
static void note_value_str(int what, int64_t v, char *buf, size_t len)
{
    if (v < 0 && v >= -4095 && what != LOOP__NOTE_BLOCKING && what != LOOP__NOTE_ASYNC_SENDS) {
        snprintf(buf, len, "%s", loop_err_name((int)v));
    } else {
        snprintf(buf, len, "%lld", (long long)v);
    }
}

/* A NOTE in words: "loop_work_cancel of kind=work id=5 ... returning 0". */
static void note_str(loop_t *loop, int what, uint64_t id, int64_t value, char *buf, size_t len)
{
    char obj[360], val[32];

    describe(loop, id,
             what == LOOP__NOTE_ASYNC_SENDS ? LOOP_KIND_ASYNC
             : what == LOOP__NOTE_BLOCKING || what == LOOP__NOTE_MON_CANCEL ? LOOP_KIND_TASK
                                                                            : LOOP_KIND_WORK,
             obj, sizeof(obj));
    note_value_str(what, value, val, sizeof(val));
    switch (what) {
    case LOOP__NOTE_WORK_STATUS:
        snprintf(buf, len, "the completion of %s with status %s", obj, val);
        break;
    case LOOP__NOTE_WORK_CANCEL:
        snprintf(buf, len, "loop_work_cancel of %s returning %s", obj, val);
        break;
    case LOOP__NOTE_BLOCKING:
        snprintf(buf, len, "loop_run_blocking in %s with the function's result %s", obj, val);
        break;
    case LOOP__NOTE_ASYNC_SENDS:
        snprintf(buf, len, "one run of %s for %s loop_async_send calls", obj, val);
        break;
    case LOOP__NOTE_MON_CANCEL:
        snprintf(buf, len, "a monitor cancel of %s returning %s", obj, val);
        break;
    default:
        snprintf(buf, len, "a note of unknown kind %d", what);
    }
}

static void describe_rec(loop_t *loop, const struct loop__rr *rr, char *buf, size_t len)
{
    if (rr->next_rc == 1 && rr->next.type == LOOP__REC_NOTE) {
        note_str(loop, rr->next.what, rr->next.id, rr->next.value, buf, len);
    } else if (rr->next_rc == 1 && rr->next.type == LOOP__REC_IO) {
        char task[280], res[48];
        describe(loop, rr->next.id, LOOP_KIND_TASK, task, sizeof(task));
        io_result_str(rr->next.op, rr->next.result, res, sizeof(res));
        snprintf(buf, len, "a %s by %s that got %s", loop__io_op_name(rr->next.op), task, res);
    } else if (rr->next_rc == 0) {
        snprintf(buf, len, "the end of the schedule");
    } else if (rr->next_rc < 0) {
        snprintf(buf, len, "the end of the schedule (%s)",
                 rr->next_rc == -EPIPE ? "the recording was cut short" : "corrupt");
    } else if (rr->next.type == LOOP__REC_DISPATCH) {
        describe(loop, rr->next.id, rr->next.kind, buf, len);
    } else {
        snprintf(buf, len, "%s", rr->next.type == LOOP__REC_ITER    ? "a new iteration"
                                 : rr->next.type == LOOP__REC_CLOCK ? "a clock read"
                                                                    : "the loop's close");
    }
}

/* Stop replaying: exit 3, or go on in fifo order when asked to. */
void loop__rr_diverge(loop_t *loop, const char *did)
{
    struct loop__rr *rr = loop->rr;
    char expected[480], where[48] = "";

    describe_rec(loop, rr, expected, sizeof(expected));
    if (rr->index > 1) {
        snprintf(where, sizeof(where), " of loop %llu", (unsigned long long)rr->index);
    }
    loop_log(LOOP_LOG_ERROR, "replay diverged at step %llu%s: expected %s, the program %s instead",
             (unsigned long long)rr->step + 1, where, expected, did);
    if (!rr->diverge_continue) {
        if (rr->w != NULL) {
            loop__schedw_close(rr->w);
            rr->w = NULL;
        }
        fflush(NULL);
        _exit(3);
    }
    loop_log(LOOP_LOG_WARN, "replay: continuing in fifo order from step %llu",
             (unsigned long long)rr->step + 1);
    /* time goes on from the replayed clock at the real pace: the machine's
     * clock would jump (every timer due at once) or, for a recording whose
     * clock is ahead of it (another boot), stand still */
    rr->clock_shift_ns = (int64_t)(loop->now_ns - loop__hrtime_ns());
    rr->clock_shifted = true;
    loop__replay_unindex_all(loop);
    loop__schedr_close(rr->r);
    rr->r = NULL;
    loop->policy = LOOP__POLICY_FIFO;
}

static bool replay_expect(loop_t *loop, int type, const char *did)
{
    struct loop__rr *rr = loop->rr;

    if (rr->next_rc != 1 || rr->next.type != type) {
        loop__rr_diverge(loop, did);
        return false;
    }
    return true;
}

static void replay_consume(struct loop__rr *rr)
{
    rr->step++;
    replay_next(rr);
}

/*
 * Chaos and explore run on a virtual clock, so that a seed or a script
 * reproduces its run whatever the machine's speed: the clock moves only where
 * the loop waits. A poll that timed out moves it by exactly its timeout (the
 * timer it waited for is due, however late the kernel woke it); a poll woken
 * by I/O moves it by the real time it waited, never past its timeout (input
 * from outside the process comes when it comes; so does one a signal
 * interrupted); a poll that did not wait moves it by LOOP__VCLOCK_STEP_NS,
 * the cost of an iteration, so that a program that spins on the loop (a task
 * yielding until a timer fires, loop_run(LOOP_RUN_NOWAIT) in a loop) still
 * sees time pass; callbacks and task steps, however long they take, do not
 * move it. A loaded machine makes a chaos run slower, not different.
 */
void loop__rr_waited(loop_t *loop, int timeout_ms, bool woken, uint64_t waited_ns)
{
    struct loop__rr *rr = loop->rr;

    if (timeout_ms == 0) {
        rr->vnow_ns += LOOP__VCLOCK_STEP_NS;
        return;
    }
    if (timeout_ms < 0) {
        rr->vnow_ns += waited_ns;
        return;
    }
    uint64_t t = (uint64_t)timeout_ms * 1000000u;
    rr->vnow_ns += woken && waited_ns < t ? waited_ns : t;
}

uint64_t loop__rr_clock(loop_t *loop, int type, uint64_t real_now)
{
    struct loop__rr *rr = loop->rr;
    uint64_t now = rr->vclock          ? rr->vnow_ns
                   : rr->clock_shifted ? real_now + (uint64_t)rr->clock_shift_ns
                                       : real_now;

    now += rr->chaos_offset_ns; /* chaos: virtual lateness (chaos.c) */
    if (LOOP_UNLIKELY(rr->chaos_due_ns != 0)) {
        /* after a late poll (chaos.c): it reached its timer, so it woke late */
        uint64_t wake = rr->chaos_due_ns + rr->chaos_late_ns;
        if (now >= rr->chaos_due_ns && wake > now) {
            rr->chaos_offset_ns += wake - now;
            now = wake;
        }
        rr->chaos_due_ns = 0;
    }

    if (loop->policy == LOOP__POLICY_REPLAY && rr->r != NULL) {
        if (replay_expect(loop, type,
                          type == LOOP__REC_ITER ? "started a new iteration" : "read the clock")) {
            now = rr->next.clock_ns;
            replay_consume(rr);
        }
    }
    if (rr->w != NULL) {
        if (type == LOOP__REC_ITER) {
            record_flush(loop, false);
        }
        if (rr->w != NULL) { /* a failed flush stops the recording */
            int rc = loop__schedw_clock(rr->w, type, now);
            if (LOOP_UNLIKELY(rc < 0)) {
                record_failed(loop, rc);
            }
        }
    }
    return now;
}

static __attribute__((noinline, cold)) void diverge_dispatch(loop_t *loop, loop_handle_t *h,
                                                             int kind)
{
    char did[400], desc[360];

    describe(loop, h->id, kind, desc, sizeof(desc));
    snprintf(did, sizeof(did), "ran %s", desc);
    loop__rr_diverge(loop, did);
}

/* Replay: h must be the recorded item; takes the recorded revents. */
static void replay_dispatch(loop_t *loop, loop_handle_t *h, int kind)
{
    struct loop__rr *rr = loop->rr;

    if (rr->next_rc != 1 || rr->next.type != LOOP__REC_DISPATCH || rr->next.id != h->id ||
        rr->next.kind != kind) {
        diverge_dispatch(loop, h, kind);
    } else {
        if (kind == LOOP_KIND_IO) {
            ((loop_io_t *)h)->revents = rr->next.revents;
        }
        replay_consume(rr);
    }
}

void loop__rr_dispatch(loop_t *loop, loop_handle_t *h, int kind)
{
    struct loop__rr *rr = loop->rr;

    if (h->id == 0) {
        return; /* the monitor's and watchdog's own handles: outside the program */
    }
    if (LOOP_UNLIKELY(loop->policy == LOOP__POLICY_REPLAY) && rr->r != NULL) {
        replay_dispatch(loop, h, kind);
    }
    if (rr->w != NULL) {
        int rc = loop__schedw_dispatch(rr->w, h->id, kind,
                                       kind == LOOP_KIND_IO ? ((loop_io_t *)h)->revents : 0);
        if (LOOP_UNLIKELY(rc < 0)) {
            record_failed(loop, rc);
        }
    }
}

/* Outcomes (NOTE records) ------------------------------------------------- */

static bool replaying_notes(const loop_t *loop)
{
    const struct loop__rr *rr = loop->rr;
    return loop->policy == LOOP__POLICY_REPLAY && rr->r != NULL && rr->notes;
}

void loop__rr_outcome_hooked(loop_t *loop, int what, uint64_t id, int64_t value)
{
    LOOP_TRACE(outcome, loop, what, id, value);
    if (loop->rr != NULL) {
        loop__rr_note(loop, what, id, value);
    }
}

void loop__rr_note(loop_t *loop, int what, uint64_t id, int64_t value)
{
    struct loop__rr *rr = loop->rr;

    if (replaying_notes(loop)) {
        if (rr->next_rc == 1 && rr->next.type == LOOP__REC_NOTE && rr->next.what == what &&
            rr->next.id == id && rr->next.value == value) {
            replay_consume(rr);
        } else {
            char did[520], val[32];
            if (rr->next_rc == 1 && rr->next.type == LOOP__REC_NOTE && rr->next.what == what &&
                rr->next.id == id) {
                note_value_str(what, value, val, sizeof(val));
                snprintf(did, sizeof(did), "got %s", val);
            } else {
                char n[480];
                note_str(loop, what, id, value, n, sizeof(n));
                snprintf(did, sizeof(did), "had %s", n);
            }
            loop__rr_diverge(loop, did);
        }
    }
    if (rr->w != NULL) {
        struct loop__rec r = {.type = LOOP__REC_NOTE, .what = what, .id = id, .value = value};
        record(loop, &r);
    }
}

void loop__rr_async_wait(loop_t *loop, uint64_t id, const atomic_int *pending)
{
    struct loop__rr *rr = loop->rr;
    uint64_t start;

    if (!replaying_notes(loop) || rr->next_rc != 1 || rr->next.type != LOOP__REC_NOTE ||
        rr->next.what != LOOP__NOTE_ASYNC_SENDS || rr->next.id != id) {
        return;
    }
    start = loop__hrtime_ns();
    /* the sending threads are real: wait for as many sends as the recording saw */
    while (atomic_load(pending) >= 0 && atomic_load(pending) < rr->next.value &&
           (rr->wait_ms < 0 || loop__hrtime_ns() - start <= (uint64_t)rr->wait_ms * 1000000u)) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
}

int loop__replay_monitor_cancel(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;
    uint64_t id = rr->next.id;
    loop_task_t *found = NULL;
    loop_queue_t *q;
    int rc = -ESRCH;

    if (loop->tasks != NULL) {
        struct loop__tasks *ts = loop->tasks;
        loop__queue_foreach(q, &ts->tasks) {
            loop_task_t *t = loop__queue_data(q, loop_task_t, task_node);
            if (t->hdr.id == id) {
                found = t;
                break;
            }
        }
    }
    if (found != NULL) {
        rc = loop__task_cancel_from(found, LOOP_CANCEL_MONITOR);
    }
    loop__rr_note(loop, LOOP__NOTE_MON_CANCEL, id, rc);
    return rc;
}

/* Task I/O (task_io.c) ------------------------------------------------------ */

bool loop__rr_io_begin(loop_t *loop, uint64_t task, int op, int64_t *recorded)
{
    struct loop__rr *rr = loop->rr;

    if (loop->policy != LOOP__POLICY_REPLAY || rr->r == NULL) {
        return false;
    }
    if (rr->next_rc != 1 || rr->next.type != LOOP__REC_IO || rr->next.id != task ||
        rr->next.op != op) {
        char did[400], desc[360];
        describe(loop, task, LOOP_KIND_TASK, desc, sizeof(desc));
        snprintf(did, sizeof(did), "made a %s in %s", loop__io_op_name(op), desc);
        loop__rr_diverge(loop, did);
        return false; /* continuing in fifo order */
    }
    *recorded = rr->next.result;
    return true;
}

void loop__rr_io_mismatch(loop_t *loop, int op, int64_t got, const char *how)
{
    char did[200], res[64];

    io_result_str(op, got, res, sizeof(res));
    snprintf(did, sizeof(did), "got %s from its %s%s", res, loop__io_op_name(op), how ? how : "");
    loop__rr_diverge(loop, did);
}

void loop__rr_io_end(loop_t *loop, uint64_t task, int op, int64_t result)
{
    struct loop__rr *rr = loop->rr;

    if (op == LOOP__IO_ACCEPT && result >= 0) {
        result = 0; /* the fd number depends on what else the process holds open */
    }
    if (loop->policy == LOOP__POLICY_REPLAY && rr->r != NULL) {
        replay_consume(rr); /* loop__rr_io_begin matched it, and no mismatch since */
    }
    if (rr->w != NULL) {
        struct loop__rec r = {.type = LOOP__REC_IO, .id = task, .op = op, .result = result};
        record(loop, &r);
    }
}

loop_handle_t *loop__rr_pick(loop_t *loop)
{
    if (loop->policy == LOOP__POLICY_CHAOS) {
        return loop__chaos_pick(loop);
    }
    return loop__queue_data(loop->round.next, loop_handle_t, ready);
}

void loop__rr_run_end(loop_t *loop)
{
    if (loop->rr != NULL) {
        record_flush(loop, true);
        if (loop->rr->explore_log != NULL) {
            fflush(loop->rr->explore_log);
        }
    }
}

void loop__rr_end(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;

    if (rr == NULL) {
        return;
    }
    if (loop->policy == LOOP__POLICY_REPLAY && rr->r != NULL) {
        if (replay_expect(loop, LOOP__REC_END, "closed the loop")) {
            replay_consume(rr);
        }
    }
    if (rr->w != NULL) {
        struct loop__rec r = {.type = LOOP__REC_END};
        record(loop, &r);
    }
}

void loop__rr_free(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;

    if (rr == NULL) {
        return;
    }
    if (rr->w != NULL) {
        int rc = loop__schedw_close(rr->w);
        if (rc < 0) {
            rr_fail(loop, "Cannot finish the schedule %s", rr->record_path, rc);
        }
    }
    loop__schedr_close(rr->r);
    loop__chaos_free(rr);
    free(rr->record_path);
    free(rr->replay_path);
    free(rr->index_tab);
    free(rr);
    loop->rr = NULL;
    pthread_mutex_lock(&index_mu);
    rr_open--;
    pthread_mutex_unlock(&index_mu);
}
