/*
 * timer.c — timers on a 4-ary min-heap of (due, timer) entries.
 *
 * The heap is an array, not intrusive nodes: the due time is cached in the
 * entry, so sifting touches one cache line per level instead of a timer each,
 * which is what makes a million timers cheap (libev's design). Growing the
 * array is the only allocation (amortized, -ENOMEM reported). Equal due times
 * break on the start sequence number, so timers due together fire in the
 * order they were started; the sequence is in the entry, so a tie costs no
 * load of the timers.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "record/record.h"
#include "trace.h"

#define HEAP_NONE UINT32_MAX

/* A timer's place in the heap (HEAP_NONE: not in it) is kept in the header's
 * spare 32 bits (aux, which only I/O watchers use otherwise). */
static inline uint32_t heap_index(const loop_timer_t *t)
{
    return t->handle.aux;
}

static inline void heap_index_set(loop_timer_t *t, uint32_t i)
{
    t->handle.aux = i;
}
#define LOOP__TIMEOUT_MAX_NS ((uint64_t)INT32_MAX * 1000000u)
#define HEAP_D 4

static inline bool ent_less(const struct loop__heap_ent *a, const struct loop__heap_ent *b)
{
    if (a->due_ns != b->due_ns) {
        return a->due_ns < b->due_ns;
    }
    return a->seq < b->seq;
}

static inline void heap_set(struct loop__timer_heap *hp, uint32_t i, struct loop__heap_ent e)
{
    hp->ent[i] = e;
    heap_index_set(e.timer, i);
}

static void sift_up(struct loop__timer_heap *hp, uint32_t i)
{
    struct loop__heap_ent e = hp->ent[i];

    while (i > 0) {
        uint32_t p = (i - 1) / HEAP_D;
        if (!ent_less(&e, &hp->ent[p])) {
            break;
        }
        heap_set(hp, i, hp->ent[p]);
        i = p;
    }
    heap_set(hp, i, e);
}

/* The least of the four children c..c+3: a tournament of three comparisons,
 * two of them independent (the order is total, so the result does not depend
 * on how the pairs are matched). */
static inline uint32_t min_child4(const struct loop__heap_ent *ent, uint32_t c)
{
    uint32_t a = ent_less(&ent[c + 1], &ent[c]) ? c + 1 : c;
    uint32_t b = ent_less(&ent[c + 3], &ent[c + 2]) ? c + 3 : c + 2;

    return ent_less(&ent[b], &ent[a]) ? b : a;
}

static void sift_down(struct loop__timer_heap *hp, uint32_t i)
{
    struct loop__heap_ent e = hp->ent[i];

    for (;;) {
        uint32_t c = i * HEAP_D + 1, best, end;
        if (LOOP_LIKELY(c + HEAP_D <= hp->len)) {
            best = min_child4(hp->ent, c); /* every inner node but the last */
        } else if (c >= hp->len) {
            break;
        } else {
            best = c;
            end = hp->len;
            for (uint32_t k = c + 1; k < end; k++) {
                if (ent_less(&hp->ent[k], &hp->ent[best])) {
                    best = k;
                }
            }
        }
        if (!ent_less(&hp->ent[best], &e)) {
            break;
        }
        heap_set(hp, i, hp->ent[best]);
        i = best;
    }
    heap_set(hp, i, e);
}

/*
 * The array starts HEAP_SKEW entries into a 64-byte aligned block, so that
 * the four children of any node (4i+1..4i+4, 24 bytes each: 96) start on a
 * 32-byte boundary and span two cache lines, never three (libev's trick,
 * which with its 16-byte entries fits them in one line).
 */
#define HEAP_SKEW 3

static int heap_grow(struct loop__timer_heap *hp)
{
    uint32_t ncap = hp->cap ? hp->cap * 2 : 64;
    struct loop__heap_ent *raw;

    if (ncap <= hp->cap) {
        return -ENOMEM;
    }
    if (posix_memalign((void **)&raw, 64, ((size_t)ncap + HEAP_SKEW) * sizeof(*raw)) != 0) {
        return -ENOMEM;
    }
    if (hp->ent != NULL) {
        memcpy(raw + HEAP_SKEW, hp->ent, (size_t)hp->len * sizeof(*raw));
        free(hp->ent - HEAP_SKEW);
    }
    hp->ent = raw + HEAP_SKEW;
    hp->cap = ncap;
    return 0;
}

static int heap_insert(struct loop__timer_heap *hp, loop_timer_t *t, uint64_t seq)
{
    if (hp->len == hp->cap && heap_grow(hp) < 0) {
        return -ENOMEM;
    }
    hp->ent[hp->len] = (struct loop__heap_ent){t->due_ns, seq, t};
    heap_index_set(t, hp->len);
    hp->len++;
    sift_up(hp, hp->len - 1);
    return 0;
}

static void heap_remove(struct loop__timer_heap *hp, loop_timer_t *t)
{
    uint32_t i = heap_index(t);

    if (i == HEAP_NONE) {
        return;
    }
    heap_index_set(t, HEAP_NONE);
    hp->len--;
    if (i == hp->len) {
        return;
    }
    heap_set(hp, i, hp->ent[hp->len]);
    if (i > 0 && ent_less(&hp->ent[i], &hp->ent[(i - 1) / HEAP_D])) {
        sift_up(hp, i);
    } else {
        sift_down(hp, i);
    }
}

int loop_timer_init_at(loop_t *loop, loop_timer_t *t, const loop_site_t *site)
{
    if (loop == NULL || t == NULL) {
        return -EINVAL;
    }
    int rc = loop__handle_init_fast(loop, &t->handle, LOOP_KIND_TIMER, site);

    if (rc < 0) {
        return rc;
    }
    t->due_ns = 0;
    t->repeat_ns = 0;
    heap_index_set(t, HEAP_NONE);
    return 0;
}

static int timer_arm(loop_timer_t *t, uint64_t due_ns)
{
    loop_t *loop = t->handle.loop;
    int rc;

    t->due_ns = due_ns;
    rc = heap_insert(&loop->timers, t, ++loop->timer_seq);
    if (rc < 0) {
        return rc;
    }
    loop__handle_start_fast(&t->handle);
    return 0;
}

int loop_timer_start_ns(loop_timer_t *t, loop_timer_cb cb, uint64_t timeout_ns,
                        uint64_t repeat_ns)
{
    int rc = loop__handle_check((loop_handle_t *)t, LOOP_KIND_TIMER, "loop_timer_start");
    loop_t *loop;
    uint64_t due;

    if (rc < 0) {
        return rc;
    }
    if (cb == NULL) {
        return -EINVAL;
    }
    loop = t->handle.loop;
    due = loop->now_ns + timeout_ns;
    if (due < loop->now_ns) {
        due = UINT64_MAX; /* saturate: never */
    }
    heap_remove(&loop->timers, t);
    loop__sched_remove_fast(loop, &t->handle);
    t->handle.cb = (void (*)(void))cb;
    t->repeat_ns = repeat_ns;
    loop__rr_adopt(loop, &t->handle); /* chaos: it follows the starting item's rank */
    rc = timer_arm(t, due);
    if (rc < 0) {
        loop__handle_stop_fast(&t->handle);
    }
    return rc;
}

static uint64_t ms_to_ns(uint64_t ms)
{
    return ms > UINT64_MAX / 1000000u ? UINT64_MAX : ms * 1000000u;
}

int loop_timer_start(loop_timer_t *t, loop_timer_cb cb, uint64_t timeout_ms, uint64_t repeat_ms)
{
    if (t == NULL) {
        return -EINVAL;
    }
    return loop_timer_start_ns(t, cb, ms_to_ns(timeout_ms), ms_to_ns(repeat_ms));
}

int loop_timer_stop(loop_timer_t *t)
{
    int rc = loop__handle_check((loop_handle_t *)t, LOOP_KIND_TIMER, "loop_timer_stop");

    if (rc < 0) {
        return rc;
    }
    heap_remove(&t->handle.loop->timers, t);
    loop__sched_remove_fast(t->handle.loop, &t->handle);
    loop__handle_stop_fast(&t->handle);
    return 0;
}

int loop_timer_again(loop_timer_t *t)
{
    int rc = loop__handle_check((loop_handle_t *)t, LOOP_KIND_TIMER, "loop_timer_again");

    if (rc < 0) {
        return rc;
    }
    if (t->handle.cb == NULL) {
        return -EINVAL;
    }
    if (t->repeat_ns == 0) {
        return loop_timer_stop(t);
    }
    return loop_timer_start_ns(t, (loop_timer_cb)t->handle.cb, t->repeat_ns, t->repeat_ns);
}

uint64_t loop_timer_due_ns(const loop_timer_t *t)
{
    return t != NULL ? t->due_ns : 0;
}

/*
 * The next deadline of a repeating timer that was due at due_ns: the first
 * due_ns + k * repeat_ns (k >= 1) after now, skipping missed periods.
 * Saturates at UINT64_MAX (never): an overflow would wrap to a deadline in
 * the past, and the timer would fire on every iteration.
 */
static uint64_t next_due(uint64_t due_ns, uint64_t repeat_ns, uint64_t now)
{
    uint64_t k = 1;

    if (due_ns < now) {
        k = (now - due_ns) / repeat_ns + 1; /* >= 1, no overflow: repeat_ns >= 1 */
    }
    if (k > (UINT64_MAX - due_ns) / repeat_ns) {
        return UINT64_MAX;
    }
    return due_ns + k * repeat_ns;
}

/* Move every expired timer to the ready queue, re-arming repeating ones. */
void loop__timers_run(loop_t *loop)
{
    struct loop__timer_heap *hp = &loop->timers;
    uint64_t now = loop->now_ns;

    while (hp->len > 0 && hp->ent[0].due_ns <= now) {
        loop_timer_t *t = hp->ent[0].timer;
        heap_remove(hp, t);
        if (t->repeat_ns != 0) {
            t->due_ns = next_due(t->due_ns, t->repeat_ns, now);
            if (heap_insert(hp, t, ++loop->timer_seq) < 0) {
                loop__report_error(loop, -ENOMEM, &t->handle, "Cannot re-arm repeating timer");
                t->repeat_ns = 0;
            }
        }
        loop__sched_push_fast(loop, &t->handle);
    }
}

void loop__timer_dispatch(loop_timer_t *t)
{
    loop_t *loop = t->handle.loop;

    if (LOOP__INSTRUMENTED(loop)) { /* loop lag: how late timers fire */
        uint64_t now = loop__hrtime_ns(), due = t->due_ns - (t->repeat_ns ? t->repeat_ns : 0);
        if (t->due_ns == UINT64_MAX) { /* saturated: the fired deadline is unknown */
            due = now;
        }
        loop__inspect_lock(loop);
        loop__hist_add(&loop->lag, now > due ? now - due : 0);
        loop__inspect_unlock(loop);
    }
    if (t->repeat_ns == 0 && heap_index(t) == HEAP_NONE) {
        loop__handle_stop_fast(&t->handle);
    }
    ((loop_timer_cb)t->handle.cb)(t);
}

int64_t loop__timers_next_timeout_ns(const loop_t *loop)
{
    const struct loop__timer_heap *hp = &loop->timers;

    if (hp->len == 0) {
        return -1;
    }
    if (hp->ent[0].due_ns <= loop->now_ns) {
        return 0;
    }
    /* At most INT32_MAX ms (24.8 days; the poller wakes and asks again): a
     * larger value would overflow the poller's rounding to ms. */
    uint64_t d = hp->ent[0].due_ns - loop->now_ns;
    return d > LOOP__TIMEOUT_MAX_NS ? (int64_t)LOOP__TIMEOUT_MAX_NS : (int64_t)d;
}

void loop__timers_free(loop_t *loop)
{
    if (loop->timers.ent != NULL) {
        free(loop->timers.ent - HEAP_SKEW);
    }
    loop->timers.ent = NULL;
    loop->timers.len = loop->timers.cap = 0;
}
