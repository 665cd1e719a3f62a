/*
 * chaos.c — seeded chaos scheduling (LOOP_CHAOS=SEED).
 *
 * Chaos perturbs only what libloop does not promise:
 *   - which ready item runs next (any item of the round, not just the head),
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
 * Both time perturbations are virtual: lateness is a jump of the loop's
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
 * the others; the random draws are the same either way, so the numbers keep
 * naming the same choices up to the first one that changes the run.
 * LOOP_CHAOS_LOG=FILE gets one line per perturbation:
 *   P<n> applied|reverted step=<the next schedule record, 0 unrecorded> <what>
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define WINDOW 16

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

void loop__chaos_init(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;
    const char *only = getenv("LOOP_CHAOS_ONLY");
    const char *log = getenv("LOOP_CHAOS_LOG");

    if (only != NULL) {
        const char *p = only;
        size_t cap = 1;
        for (const char *c = only; *c; c++) {
            cap += *c == ',';
        }
        rr->chaos_only = calloc(cap * 2 + 2, sizeof(uint64_t));
        if (rr->chaos_only == NULL) {
            loop_log(LOOP_LOG_ERROR, "LOOP_CHAOS_ONLY: out of memory");
            exit(2);
        }
        while (*p) {
            char *end;
            uint64_t lo = strtoull(p, &end, 10), hi = lo;
            if (end == p) {
                goto bad;
            }
            if (*end == '-') {
                p = end + 1;
                hi = strtoull(p, &end, 10);
                if (end == p || hi < lo) {
                    goto bad;
                }
            }
            rr->chaos_only[2 * rr->chaos_only_n] = lo;
            rr->chaos_only[2 * rr->chaos_only_n + 1] = hi;
            rr->chaos_only_n++;
            if (*end == ',') {
                end++;
            } else if (*end != '\0') {
                goto bad;
            }
            p = end;
        }
    }
    if (log != NULL && *log) {
        rr->chaos_log = fopen(log, "we");
        if (rr->chaos_log == NULL) {
            loop_log(LOOP_LOG_ERROR, "LOOP_CHAOS_LOG: cannot write %s", log);
        }
    }
    return;
bad:
    loop_log(LOOP_LOG_ERROR, "LOOP_CHAOS_ONLY=\"%s\" is not a list like 1,4,7-9", only);
    exit(2);
}

void loop__chaos_free(struct loop__rr *rr)
{
    free(rr->chaos_only);
    rr->chaos_only = NULL;
    if (rr->chaos_log != NULL) {
        fclose(rr->chaos_log);
        rr->chaos_log = NULL;
    }
}

/* A choice that differs from fifo: is it applied? Logged when asked. */
__attribute__((format(printf, 2, 3))) static bool perturb(loop_t *loop, const char *fmt, ...)
{
    struct loop__rr *rr = loop->rr;
    uint64_t n = ++rr->chaos_perturbs;
    bool on = rr->chaos_only == NULL;
    va_list ap;

    for (size_t i = 0; !on && i < rr->chaos_only_n; i++) {
        on = n >= rr->chaos_only[2 * i] && n <= rr->chaos_only[2 * i + 1];
    }
    if (rr->chaos_log != NULL) {
        fprintf(rr->chaos_log, "P%llu %s step=%llu ", (unsigned long long)n,
                on ? "applied" : "reverted",
                (unsigned long long)(rr->w ? loop__schedw_count(rr->w) + 1 : 0));
        va_start(ap, fmt);
        vfprintf(rr->chaos_log, fmt, ap);
        va_end(ap);
        fputc('\n', rr->chaos_log);
        fflush(rr->chaos_log);
    }
    return on;
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
    uint64_t k = rnd(loop, (uint64_t)n);
    if (k != 0 && !perturb(loop, "ran %s id=%llu \"%s\" before %s id=%llu \"%s\" (%llu of %d)",
                           loop_kind_name(cand[k]->kind), (unsigned long long)cand[k]->id,
                           cand[k]->name ? cand[k]->name : "", loop_kind_name(cand[0]->kind),
                           (unsigned long long)cand[0]->id, cand[0]->name ? cand[0]->name : "",
                           (unsigned long long)k + 1, n)) {
        k = 0;
    }
    return cand[k];
}

void loop__chaos_iteration_begin(loop_t *loop)
{
    struct loop__rr *rr = loop->rr;
    loop_queue_t *q, *next;

    rr->chaos_iter++;
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
    if (rnd(loop, 4) != 0) {
        return false;
    }
    uint64_t iters = 1 + rnd(loop, 3);
    if (!perturb(loop, "held back the readiness of io id=%llu \"%s\" for %llu iteration%s",
                 (unsigned long long)h->id, h->name ? h->name : "", (unsigned long long)iters,
                 iters == 1 ? "" : "s")) {
        return false;
    }
    hold(h, rr->chaos_iter + iters);
    h->flags |= LOOP__H_QUEUED;
    loop__queue_insert_tail(&rr->delayed, &h->ready);
    return true;
}
