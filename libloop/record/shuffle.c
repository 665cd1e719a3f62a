/*
 * shuffle.c — the choices chaos and explore make about an order, in one
 * place for libloop's scheduler (chaos.c) and the uv loop's poll phase
 * (uv/io.c):
 *   loop__chaos_vperturb   a chaos choice that differs from fifo: numbered,
 *                          applied or not (LOOP_CHAOS_ONLY), logged
 *                          (LOOP_CHAOS_LOG);
 *   loop__explore_vchoice  an explore choice point: numbered, its
 *                          alternative taken from LOOP_EXPLORE, logged
 *                          (LOOP_EXPLORE_LOG);
 *   loop__shuffle          the order of a batch of items ready together,
 *                          from the seed under chaos, one choice point per
 *                          position under explore.
 * The numbering is per loop (loop->rr), so libloop's and the uv loop's
 * choices share one sequence: LOOP_CHAOS_ONLY and LOOP_EXPLORE name both.
 */
#include <stdarg.h>
#include <string.h>

#include "record.h"

bool loop__chaos_vperturb(loop_t *loop, const char *fmt, va_list ap)
{
    struct loop__rr *rr = loop->rr;
    uint64_t n = ++rr->chaos_perturbs;
    bool on = rr->chaos_only == NULL;

    for (size_t i = 0; !on && i < rr->chaos_only_n; i++) {
        on = n >= rr->chaos_only[2 * i] && n <= rr->chaos_only[2 * i + 1];
    }
    if (rr->chaos_log != NULL) {
        fprintf(rr->chaos_log, "P%llu %s step=%llu ", (unsigned long long)n,
                on ? "applied" : "reverted",
                (unsigned long long)(rr->w ? loop__schedw_count(rr->w) + 1 : 0));
        vfprintf(rr->chaos_log, fmt, ap);
        fputc('\n', rr->chaos_log);
        fflush(rr->chaos_log);
    }
    return on;
}

uint64_t loop__explore_vchoice(loop_t *loop, const char *type, uint64_t nalts, const char *fmt,
                               va_list ap)
{
    struct loop__rr *rr = loop->rr;
    uint64_t pt = ++rr->explore_points, alt = 0;

    for (size_t i = 0; i < rr->explore_n; i++) {
        if (rr->explore_spec[2 * i] == pt) {
            alt = rr->explore_spec[2 * i + 1] <= nalts ? rr->explore_spec[2 * i + 1] : 0;
            break;
        }
    }
    if (rr->explore_log != NULL) {
        fprintf(rr->explore_log, "C%llu %s %llu %llu ", (unsigned long long)pt, type,
                (unsigned long long)nalts, (unsigned long long)alt);
        vfprintf(rr->explore_log, fmt, ap);
        fputc('\n', rr->explore_log); /* flushed when loop_run returns (record.c) */
    }
    return alt;
}

bool loop__chaos_perturb(loop_t *loop, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    bool on = loop__chaos_vperturb(loop, fmt, ap);
    va_end(ap);
    return on;
}

uint64_t loop__explore_choice(loop_t *loop, const char *type, uint64_t nalts, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    uint64_t alt = loop__explore_vchoice(loop, type, nalts, fmt, ap);
    va_end(ap);
    return alt;
}

#define ITEM(base, i, size) ((unsigned char *)(base) + (size_t)(i) * (size))

void loop__shuffle(loop_t *loop, const struct loop__shuffle_spec *s, void *base, size_t n,
                   size_t size)
{
    unsigned char tmp[LOOP__SHUFFLE_ITEM_MAX];
    char a[80], b[80];

    if (n < 2 || size > sizeof(tmp)) {
        return;
    }
    if (!loop->rr->explore) {
        /* chaos: Fisher-Yates from the seed, each swap a perturbation */
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(loop__rr_rand(&loop->rr->chaos_rng) % (uint64_t)(i + 1));
            if (j == i) {
                continue;
            }
            s->name(s->ctx, ITEM(base, i, size), a, sizeof(a));
            s->name(s->ctx, ITEM(base, j, size), b, sizeof(b));
            if (loop__chaos_perturb(loop, "%s %s before %s", s->chaos_what, a, b)) {
                memcpy(tmp, ITEM(base, i, size), size);
                memcpy(ITEM(base, i, size), ITEM(base, j, size), size);
                memcpy(ITEM(base, j, size), tmp, size);
            }
        }
        return;
    }
    /* explore: which of the rest goes next, at each position but the last */
    for (size_t i = 0; i + 1 < n; i++) {
        char what[320];
        size_t len = 0;
        for (size_t k = i; k < n && len < sizeof(what) - 96; k++) {
            s->name(s->ctx, ITEM(base, k, size), a, sizeof(a));
            len += (size_t)snprintf(what + len, sizeof(what) - len, "%s%s", k > i ? ", " : "", a);
        }
        uint64_t alt = loop__explore_choice(loop, s->point, (uint64_t)(n - i - 1), "%s", what);
        if (alt != 0) {
            /* item i+alt moves up to i; the ones it passes keep their order */
            memcpy(tmp, ITEM(base, i + alt, size), size);
            memmove(ITEM(base, i + 1, size), ITEM(base, i, size), (size_t)alt * size);
            memcpy(ITEM(base, i, size), tmp, size);
        }
    }
}
