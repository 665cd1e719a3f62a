/*
 * chaos.c — seeded chaos scheduling (LOOP_CHAOS=SEED).
 *
 * Chaos perturbs only what libloop does not promise:
 *   - which ready item runs next (any item of the round, not just the head;
 *     decided by ranks, so that a decision holds for what follows, below),
 *   - I/O readiness, held back now and then for 1 to 3 iterations,
 *   - timer lateness: after a blocking poll the loop's clock jumps ahead,
 *     mostly by up to 2 ms, one time in eight by up to LOOP_CHAOS_LATE_MS
 *     (default 80), so timers fire late and together as on a loaded machine,
 *   - the order of thread-pool completions and of tasks woken by different
 *     events (both are ready items).
 * It keeps every documented promise: call-soons (defer handles and
 * loop_call_soon) run in FIFO order among themselves, timers run in due
 * order with ties in start order, a lock is handed to its waiters FIFO, and
 * close callbacks run in close order. Every choice comes from the seed.
 *
 * The clock is virtual (record.c, loop__rr_waited: it moves only where the
 * loop waits, by the poll's timeout or the real time I/O took to come) and
 * both time perturbations are too: lateness is a jump of the loop's
 * clock to the due time of the timer the poll waits for plus the lateness
 * (rr->chaos_offset_ns, added to every clock read from then on; nothing
 * sleeps longer),
 * and held-back readiness is released by iteration number, not by time. So
 * a seed makes the same choices at the same points whatever the machine's
 * speed: re-running it reproduces its run (tests/chaos_repro.sh), and a
 * run costs CPU, not waiting.
 *
 * Perturbations (for loop-replay minimize): every choice that differs from
 * what fifo would do is one, numbered from 1 in the order chaos makes them.
 * LOOP_CHAOS_ONLY="1,4,7-9" applies only those and takes the fifo choice for
 * the others; up to the first one that changes the run the draws and ranks
 * are the same either way, so the numbers keep naming the same choices.
 * LOOP_CHAOS_LOG=FILE gets one line per perturbation:
 *   P<n> applied|reverted step=<the next schedule record, 0 unrecorded> <what>
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define WINDOW 16
#define RANKS 4096u /* ranks kept (chaos pick, below) */
#define UNRANKED UINT64_MAX

struct loop__chaos_rank {
    uint64_t id;
    uint64_t rank;
};

/* Only I/O watchers are held back; the iteration that releases one lives in
 * the watcher (the field is named for the time it once held). */
static uint64_t release_iter(const loop_handle_t *h)
{
    return ((const loop_io_t *)h)->chaos_release_ns;
}

static void hold(loop_handle_t *h, uint64_t iter)
{
    ((loop_io_t *)h)->chaos_release_ns = iter;
}

static uint64_t rnd(loop_t *loop, uint64_t n)
{
    return n ? loop__rr_rand(&loop->rr->chaos_rng) % n : 0;
}

/*
 * The two lists the environment gives: LOOP_CHAOS_ONLY "1,4,7-9" (sep '-',
 * a lone number stands for itself to itself) and LOOP_EXPLORE "3:1,7:2"
 * (sep ':', pairs only). The (a, b) pairs in a calloc'd array, *n of them;
 * NULL when s is not such a list. Out of memory exits.
 */
static uint64_t *parse_pairs(const char *s, char sep, bool lone_ok, size_t *n)
{
    size_t cap = 1;
    uint64_t *v;

    for (const char *c = s; *c; c++) {
        cap += *c == ',';
    }
    v = calloc(cap * 2, sizeof(*v));
    if (v == NULL) {
        loop_log(LOOP_LOG_ERROR, "libloop: out of memory reading \"%s\"", s);
        exit(2);
    }
    *n = 0;
    for (const char *p = s; *p;) {
        char *end;
        uint64_t x = strtoull(p, &end, 10), y = x;
        if (end == p || *n == cap) {
            goto bad;
        }
        if (*end == sep) {
            p = end + 1;
            y = strtoull(p, &end, 10);
            if (end == p) {
                goto bad;
            }
        } else if (!lone_ok) {
            goto bad;
        }
        v[2 * *n] = x;
        v[2 * *n + 1] = y;
        (*n)++;
        if (*end == ',') {
            end++;
        } else if (*end != '\0') {
            goto bad;
        }
        p = end;
    }
    return v;
bad:
    free(v);
    return NULL;
}

/* LOOP_CHAOS_LOG, LOOP_EXPLORE_LOG: the file, or NULL (said once) */
static FILE *open_log(const char *var)
{
    const char *path = getenv(var);
    FILE *f = NULL;

    if (path != NULL && *path && (f = fopen(path, "we")) == NULL) {
        loop_log(LOOP_LOG_ERROR, "%s: cannot write %s", var, path);
    }
    return f;
}

void loop__chaos_init(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;
    const char *only = getenv("LOOP_CHAOS_ONLY");

    rr->ranks = calloc(RANKS, sizeof(*rr->ranks));
    rr->rank_cur = UNRANKED;
    if (rr->ranks == NULL) {
        loop_log(LOOP_LOG_ERROR, "LOOP_CHAOS: out of memory");
        exit(2);
    }
    if (only != NULL) {
        bool ok = (rr->chaos_only = parse_pairs(only, '-', true, &rr->chaos_only_n)) != NULL;
        for (size_t i = 0; ok && i < rr->chaos_only_n; i++) {
            ok = rr->chaos_only[2 * i + 1] >= rr->chaos_only[2 * i];
        }
        if (!ok) {
            loop_log(LOOP_LOG_ERROR, "LOOP_CHAOS_ONLY=\"%s\" is not a list like 1,4,7-9", only);
            exit(2);
        }
    }
    rr->chaos_log = open_log("LOOP_CHAOS_LOG");
}

/*
 * Explore (LOOP_EXPLORE=SPEC): the same choice points as chaos, decided by a
 * script instead of a seed. Every point where more than the fifo choice is
 * possible is numbered from 1 in the order the run meets it:
 *   pick  several items may run next: alternative a runs the round's a-th
 *         candidate (0 is fifo's head), from the same window as chaos;
 *   late  the loop waits for a timer and another one is due at most
 *         LOOP_CHAOS_LATE_MS (default 80) later: alternative 1 wakes at the
 *         later one's due time (both fire in one iteration, as on a loaded
 *         machine);
 *   hold  an I/O watcher became ready: alternative 1 holds it back one
 *         iteration.
 * SPEC is "P:A,P:A..." (points ascending; empty: fifo everywhere, the base
 * run); LOOP_EXPLORE_LOG=FILE gets one line per point met:
 *   C<point> <pick|late|hold> <alternatives> <taken> <what>
 * so loop-replay explore knows the points of a run to deviate at. Time
 * stays virtual as in chaos: a run costs CPU, not sleeping.
 */
void loop__explore_init(loop_t *loop, const char *spec)
{
    struct loop__rr *rr = loop->rr;
    long late_ms; /* env.c refuses -1, abc, ... with one line */
    bool ok;

    loop__env_long("LOOP_CHAOS_LATE_MS", 0, 60000, 80, &late_ms);
    rr->explore = true;
    rr->late_ms = (uint32_t)late_ms;
    rr->late_max_ns = (uint64_t)rr->late_ms * 1000000u;
    ok = (rr->explore_spec = parse_pairs(spec, ':', false, &rr->explore_n)) != NULL;
    for (size_t i = 0; ok && i < rr->explore_n; i++) {
        ok = rr->explore_spec[2 * i] != 0 && rr->explore_spec[2 * i + 1] != 0 &&
             (i == 0 || rr->explore_spec[2 * i] > rr->explore_spec[2 * i - 2]);
    }
    if (!ok) {
        loop_log(LOOP_LOG_ERROR, "LOOP_EXPLORE=\"%s\" is not a list like 3:1,7:2 (points ascending)",
                 spec);
        exit(2);
    }
    rr->explore_log = open_log("LOOP_EXPLORE_LOG");
}

/*
 * A choice point with nalts alternatives beyond fifo's: the one the script
 * takes (0: fifo). The log gets its line, then "K<point> <id>..." with the
 * items it is about (pick: the candidates, fifo's first; hold: the watcher;
 * late: the two timers), for explore --por (footprint.c).
 */
__attribute__((format(printf, 6, 7))) static uint64_t
explore_point(loop_t *loop, const char *type, uint64_t nalts, loop_handle_t *const *items,
              int nitems, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    uint64_t alt = loop__explore_vchoice(loop, type, nalts, fmt, ap); /* shuffle.c */
    va_end(ap);
    if (loop->rr->explore_log != NULL) {
        fprintf(loop->rr->explore_log, "K%llu", (unsigned long long)loop->rr->explore_points);
        for (int i = 0; i < nitems; i++) {
            fprintf(loop->rr->explore_log, " %llu", (unsigned long long)items[i]->id);
        }
        fputc('\n', loop->rr->explore_log);
    }
    return alt;
}

void loop__chaos_free(struct loop__rr *rr)
{
    free(rr->explore_spec);
    rr->explore_spec = NULL;
    if (rr->explore_log != NULL) {
        fclose(rr->explore_log);
        rr->explore_log = NULL;
    }
    free(rr->chaos_only);
    rr->chaos_only = NULL;
    free(rr->ranks);
    rr->ranks = NULL;
    if (rr->chaos_log != NULL) {
        fclose(rr->chaos_log);
        rr->chaos_log = NULL;
    }
}

/* A choice that differs from fifo: is it applied? Logged when asked. */
__attribute__((format(printf, 2, 3))) static bool perturb(loop_t *loop, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    bool on = loop__chaos_vperturb(loop, fmt, ap); /* shuffle.c */
    va_end(ap);
    return on;
}

/*
 * Ranks. Which of several ready items goes first is decided once and then
 * kept by what follows from it, instead of being tossed again at every
 * point. A pick runs the candidate of lowest rank; when several share the
 * lowest (items nobody ranked yet, or siblings made ready by one item), the
 * draw decides: the first of them in the queue (fifo's choice) with
 * probability 1/(m+1), each of the m-1 others with m/((m+1)(m-1)) (for two:
 * 1/3 and 2/3), and from then on the winner ranks before the others of the
 * tie. An item made ready, started or armed while another runs takes that
 * one's rank (loop__chaos_adopt): a task woken by an I/O watcher, the
 * watcher a task arms, the timer a callback starts. Without ranks, a swap
 * of two items at one point (two watchers) put the other order at the head
 * of the next point over the same pair (the tasks they wake), whose own
 * fair draw undid it half the time: the run-level rate of a two-item swap
 * was exactly 1/2 whatever came before, and seeds measured 0.475 to 0.51 of
 * it. With ranks the first decision about a pair holds for its lineage and
 * the draw leans away from fifo: about 0.6 (docs/schedule-format.md).
 * The table is direct-mapped by id: a collision forgets a rank (the item
 * ties again), which the seed still decides.
 */
static uint64_t rank_of(const struct loop__rr *rr, uint64_t id)
{
    const struct loop__chaos_rank *r = &rr->ranks[id & (RANKS - 1)];

    return id != 0 && r->id == id ? r->rank : UNRANKED;
}

static void set_rank(struct loop__rr *rr, uint64_t id, uint64_t rank)
{
    struct loop__chaos_rank *r = &rr->ranks[id & (RANKS - 1)];

    if (id != 0) {
        r->id = id;
        r->rank = rank;
    }
}

void loop__chaos_adopt(loop_t *loop, const loop_handle_t *h)
{
    struct loop__rr *rr = loop->rr;

    if (rr->ranks != NULL && rr->in_round) {
        set_rank(rr, h->id, rr->rank_cur);
    }
}

static loop_handle_t *ranked_pick(loop_t *loop, loop_handle_t *const *cand, int n)
{
    struct loop__rr *rr = loop->rr;
    uint64_t best = UNRANKED;
    int tied[WINDOW], m = 0, k;

    for (int i = 0; i < n; i++) {
        uint64_t r = rank_of(rr, cand[i]->id);
        if (r < best) {
            best = r;
            m = 0;
        }
        if (r == best) {
            tied[m++] = i;
        }
    }
    if (m == 1) {
        k = tied[0];
    } else {
        uint64_t u = rnd(loop, (uint64_t)(m + 1) * (uint64_t)(m - 1));
        k = u < (uint64_t)(m - 1) ? tied[0] : tied[1 + (u - (uint64_t)(m - 1)) % (uint64_t)(m - 1)];
    }
    if (k != 0 && !perturb(loop, "ran %s id=%llu \"%s\" before %s id=%llu \"%s\" (%d of %d%s)",
                           loop_kind_name(cand[k]->kind), (unsigned long long)cand[k]->id,
                           loop__h_label(cand[k]), loop_kind_name(cand[0]->kind),
                           (unsigned long long)cand[0]->id, loop__h_label(cand[0]),
                           k + 1, n, m == 1 ? ", by rank" : "")) {
        k = 0;
    }
    if (m > 1 && rank_of(rr, cand[k]->id) == best) {
        /* the tie is decided: the winner ahead of the others, for good */
        if (best == UNRANKED) {
            set_rank(rr, cand[k]->id, ++rr->rank_next);
        }
        uint64_t behind = ++rr->rank_next;
        for (int j = 0; j < m; j++) {
            if (tied[j] != k) {
                set_rank(rr, cand[tied[j]]->id, behind);
            }
        }
    }
    rr->rank_cur = rank_of(rr, cand[k]->id);
    rr->in_round = true;
    return cand[k];
}

loop_handle_t *loop__chaos_pick(loop_t *loop)
{
    loop_handle_t *cand[WINDOW] = {NULL};
    int n = 0, seen_defer = 0, seen_timer = 0;
    loop_queue_t *q;

    int looked = 0;

    /* the first WINDOW items of the round, whatever they are: O(1) per pick
     * however many are ready (a round of 100,000 call-soons is not walked) */
    for (q = loop->round.next; q != &loop->round && looked < WINDOW; q = q->next, looked++) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
        if (h->kind == LOOP_KIND_DEFER) {
            if (seen_defer++) {
                continue; /* only the oldest call-soon may go next */
            }
        } else if (h->kind == LOOP_KIND_TIMER) {
            if (seen_timer++) {
                continue; /* timers keep their order */
            }
        }
        cand[n++] = h;
    }
    if (loop->rr->explore) {
        if (n <= 1) {
            return cand[0];
        }
        char what[320];
        size_t len = 0;
        for (int i = 0; i < n && len < sizeof(what) - 64; i++) {
            len += (size_t)snprintf(what + len, sizeof(what) - len, "%s%s id=%llu \"%.40s\"",
                                    i ? ", " : "", loop_kind_name(cand[i]->kind),
                                    (unsigned long long)cand[i]->id,
                                    loop__h_label(cand[i]));
        }
        return cand[explore_point(loop, "pick", (uint64_t)n - 1, cand, n, "%s", what)];
    }
    return ranked_pick(loop, cand, n);
}

void loop__chaos_iteration_begin(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;
    loop_queue_t *q, *next;

    rr->chaos_iter++;
    rr->in_round = false; /* what the poll and the timers make ready keeps its rank */
    rr->rank_cur = UNRANKED;
    if (rr->explore_log != NULL) {
        fputs("I\n", rr->explore_log); /* an iteration begins (explore --por) */
    }
    /* held-back readiness comes back in the iteration chosen for it */
    for (q = rr->delayed.next; q != &rr->delayed; q = next) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, ready);
        next = q->next;
        if (rr->chaos_iter >= release_iter(h)) {
            loop__queue_remove(&h->ready);
            loop__queue_insert_tail(&loop->pending, &h->ready);
        }
    }
}

/* Explore: where the loop waits for a timer and a later one exists, a choice point. */
static int64_t explore_timeout(loop_t *loop, int64_t timeout_ns)
{
    struct loop__rr *rr = loop->rr;
    const struct loop__timer_heap *hp = &loop->timers;
    const struct loop__heap_ent *second = NULL;

    if (timeout_ns < 0 || hp->len < 2 || !loop__queue_empty(&loop->pending) ||
        !loop__queue_empty(&loop->closing) || loop->stop) {
        return timeout_ns;
    }
    for (uint32_t i = 1; i <= 4 && i < hp->len; i++) { /* the root's children (4-ary heap) */
        if (second == NULL || hp->ent[i].due_ns < second->due_ns) {
            second = &hp->ent[i];
        }
    }
    if (second->due_ns <= hp->ent[0].due_ns ||
        second->due_ns - hp->ent[0].due_ns > rr->late_max_ns) {
        return timeout_ns; /* due together anyway, or further apart than a late loop goes */
    }
    loop_handle_t *a = &hp->ent[0].timer->handle, *b = &second->timer->handle;
    loop_handle_t *ab[2] = {a, b};
    uint64_t late = second->due_ns - hp->ent[0].due_ns;
    if (explore_point(loop, "late", 1, ab, 2, "timer id=%llu \"%.40s\" fires %.3f ms late, with timer id=%llu \"%.40s\"",
                      (unsigned long long)a->id, loop__h_label(a), (double)late / 1e6,
                      (unsigned long long)b->id, loop__h_label(b)) == 1) {
        rr->chaos_due_ns = loop->now_ns + (uint64_t)timeout_ns;
        rr->chaos_late_ns = late;
    }
    return timeout_ns;
}

int64_t loop__chaos_timeout(loop_t *loop, int64_t timeout_ns)
{
    struct loop__rr *rr = loop->rr;
    int64_t late;

    if (!loop__queue_empty(&rr->delayed)) {
        return 0; /* the held-back items come back after a few iterations: no blocking */
    }
    /*
     * Late only where the loop waits for a timer: timers exist and nothing is
     * ready. Not "timeout_ns > 0": whether the next timer is due already
     * depends on the machine's speed, and the draws must not.
     */
    if (rr->explore) {
        return explore_timeout(loop, timeout_ns);
    }
    if (timeout_ns < 0 || rr->late_max_ns == 0 || !loop__queue_empty(&loop->pending) ||
        !loop__queue_empty(&loop->closing) || loop->stop) {
        return timeout_ns;
    }
    /* mostly a little late, now and then very late, like a loaded machine */
    if (rnd(loop, 8) == 0) {
        late = (int64_t)rnd(loop, rr->late_max_ns);
    } else {
        late = (int64_t)rnd(loop, 2000000);
    }
    if (late > 0 && !perturb(loop, "poll overslept by %.3f ms (timeout %.3f ms): timers late",
                             (double)late / 1e6, (double)timeout_ns / 1e6)) {
        late = 0;
    }
    if (late > 0) {
        /* the poll "wakes" late past the timer it waits for: if the next clock
         * read finds the poll reached that timer's due time (it was not woken
         * by I/O first), it reads due + late (record.c): measured from the
         * timer's due time, not from the real time the poll returns at */
        rr->chaos_due_ns = loop->now_ns + (uint64_t)timeout_ns;
        rr->chaos_late_ns = (uint64_t)late;
    }
    return timeout_ns;
}

/* Maybe hold back h's readiness for 1 to 3 iterations: true when put aside. */
bool loop__chaos_delay_io(loop_t *loop, loop_handle_t *h)
{
    struct loop__rr *rr = loop->rr;

    if (h->flags & LOOP__H_QUEUED) {
        return true; /* already queued or held back */
    }
    if (rr->explore) {
        if (explore_point(loop, "hold", 1, &h, 1, "io id=%llu \"%.40s\" ready: held back an iteration",
                          (unsigned long long)h->id, loop__h_label(h)) == 0) {
            return false;
        }
        hold(h, rr->chaos_iter + 1);
        h->flags |= LOOP__H_QUEUED;
        loop__queue_insert_tail(&rr->delayed, &h->ready);
        return true;
    }
    if (rnd(loop, 4) != 0) {
        return false;
    }
    uint64_t iters = 1 + rnd(loop, 3);
    if (!perturb(loop, "held back the readiness of io id=%llu \"%s\" for %llu iteration%s",
                 (unsigned long long)h->id, loop__h_label(h), (unsigned long long)iters,
                 iters == 1 ? "" : "s")) {
        return false;
    }
    hold(h, rr->chaos_iter + iters);
    h->flags |= LOOP__H_QUEUED;
    loop__queue_insert_tail(&rr->delayed, &h->ready);
    return true;
}
