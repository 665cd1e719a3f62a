/*
 * por.c — loop-replay explore --por: deciding before a run that a deviation
 * commutes with what it reorders, from the footprints libloop logged in the
 * run it would deviate from (LOOP_EXPLORE_LOG's I, K and D lines,
 * libloop/record/footprint.c).
 *
 * A dispatch's footprint is the item itself, the items it woke or took off
 * the ready queue, the fds of its task I/O (or of the I/O watcher), the task
 * sync objects it used, and the same of the first dispatch of each item it
 * woke (its direct consequences come along when it moves). Two dispatches
 * are independent when their footprints are disjoint.
 *
 *   pick  alternative a runs candidate X before the items the run dispatched
 *         from the point up to X: it commutes when X is independent of each.
 *   hold  watcher X runs an iteration later, after what the run dispatched
 *         after X in that iteration (X's own consequences, transitively,
 *         move with it): it commutes when X and its consequences are
 *         independent of each of those.
 *   late  never: it changes the clock the program reads, and what it moves
 *         is readiness the kernel delivers (a plain write() to a pipe),
 *         which no footprint sees.
 *
 * The footprints see libloop's objects only. Items that share memory, or
 * talk through system calls outside the task I/O helpers, can depend on
 * each other with disjoint footprints (examples/race_two_ready): pruning on
 * them is unsound there, which is why --por is an option and its
 * certificate names the assumption.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define KEY(tag, v) (((uint64_t)(tag) << 56) | ((v) & ((1ull << 56) - 1)))

static int push_u64(uint64_t **a, size_t *n, size_t *cap, uint64_t v)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        uint64_t *p = realloc(*a, c * sizeof(*p));
        if (p == NULL) {
            return -ENOMEM;
        }
        *a = p;
        *cap = c;
    }
    (*a)[(*n)++] = v;
    return 0;
}

static struct xlog_ev *new_ev(struct xlog *l, char type, uint64_t id)
{
    if (l->nev == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 64;
        struct xlog_ev *p = realloc(l->ev, c * sizeof(*p));
        if (p == NULL) {
            return NULL;
        }
        l->ev = p;
        l->cap = c;
    }
    struct xlog_ev *e = &l->ev[l->nev++];
    memset(e, 0, sizeof(*e));
    e->type = type;
    e->id = id;
    return e;
}

int xlog_add(struct xlog *l, char type, uint64_t id)
{
    return new_ev(l, type, id) != NULL ? 0 : -ENOMEM;
}

/* "D<id> f7 o12 w3 h4 *" */
int xlog_add_dispatch(struct xlog *l, const char *line)
{
    char *end;
    uint64_t id = strtoull(line + 1, &end, 10);
    struct xlog_ev *e;
    size_t capk = 0, capw = 0;

    if (end == line + 1 || (e = new_ev(l, 'D', id)) == NULL) {
        return end == line + 1 ? 0 : -ENOMEM;
    }
    if (push_u64(&e->keys, &e->nkeys, &capk, KEY('h', id)) < 0) {
        return -ENOMEM;
    }
    for (const char *p = end; *p;) {
        while (*p == ' ') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        char tag = *p++;
        if (tag == '*') {
            e->all = true;
            continue;
        }
        uint64_t v = strtoull(p, &end, 10);
        if (end == p) {
            e->all = true; /* unreadable: assume the worst */
            break;
        }
        p = end;
        if (tag == 'w' && push_u64(&e->wakes, &e->nwakes, &capw, v) < 0) {
            return -ENOMEM;
        }
        if (push_u64(&e->keys, &e->nkeys, &capk, KEY(tag == 'w' ? 'h' : tag, v)) < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

void xlog_free(struct xlog *l)
{
    for (size_t i = 0; i < l->nev; i++) {
        free(l->ev[i].keys);
        free(l->ev[i].wakes);
    }
    free(l->ev);
    memset(l, 0, sizeof(*l));
}

/* The first dispatch of item id after index from (or l->nev). */
static size_t next_dispatch(const struct xlog *l, size_t from, uint64_t id, size_t to)
{
    for (size_t j = from; j < to; j++) {
        if (l->ev[j].type == 'D' && l->ev[j].id == id) {
            return j;
        }
    }
    return l->nev;
}

struct fset {
    uint64_t *k;
    size_t n, cap;
    bool all;
};

static int fset_add(struct fset *s, const struct xlog_ev *e)
{
    s->all |= e->all;
    for (size_t i = 0; i < e->nkeys; i++) {
        if (push_u64(&s->k, &s->n, &s->cap, e->keys[i]) < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

/* Dispatch i and the first dispatches of the items it woke. */
static int footprint(const struct xlog *l, size_t i, struct fset *s)
{
    if (fset_add(s, &l->ev[i]) < 0) {
        return -ENOMEM;
    }
    for (size_t w = 0; w < l->ev[i].nwakes; w++) {
        size_t j = next_dispatch(l, i + 1, l->ev[i].wakes[w], l->nev);
        if (j < l->nev && fset_add(s, &l->ev[j]) < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

static bool disjoint(const struct fset *a, const struct fset *b)
{
    if (a->all || b->all) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        for (size_t j = 0; j < b->n; j++) {
            if (a->k[i] == b->k[j]) {
                return false;
            }
        }
    }
    return true;
}

/* X's footprint (mover) against each dispatch in [from, to) not marked in skip. */
static bool independent_of_range(const struct xlog *l, const struct fset *mover, size_t from,
                                 size_t to, const bool *skip)
{
    for (size_t j = from; j < to; j++) {
        if (l->ev[j].type != 'D' || (skip != NULL && skip[j - from])) {
            continue;
        }
        struct fset y = {0};
        bool ok = footprint(l, j, &y) == 0 && disjoint(mover, &y);
        free(y.k);
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool pick_commutes(const struct xlog *l, size_t ci, const uint64_t *ids, size_t nids,
                          uint64_t alt)
{
    if (alt >= nids) {
        return false;
    }
    size_t xi = next_dispatch(l, ci + 1, ids[alt], l->nev);
    if (xi == l->nev) {
        return false; /* it never ran in this run: nothing to compare */
    }
    struct fset x = {0};
    bool ok = footprint(l, xi, &x) == 0 && independent_of_range(l, &x, ci + 1, xi, NULL);
    free(x.k);
    return ok;
}

static bool hold_commutes(const struct xlog *l, size_t ci, const uint64_t *ids, size_t nids)
{
    size_t xi, end;
    struct fset x = {0};
    uint64_t *succ = NULL;
    size_t nsucc = 0, capsucc = 0;
    bool *skip = NULL, ok = false;

    if (nids < 1 || (xi = next_dispatch(l, ci + 1, ids[0], l->nev)) == l->nev) {
        return false;
    }
    for (end = ci + 1; end < l->nev && l->ev[end].type != 'I'; end++) {
    }
    if (xi >= end) {
        return false; /* not dispatched in that iteration: no order to compare */
    }
    skip = calloc(end - xi, sizeof(*skip));
    if (skip == NULL || fset_add(&x, &l->ev[xi]) < 0) {
        goto out;
    }
    /* X's consequences in the iteration move with it */
    for (size_t w = 0; w < l->ev[xi].nwakes; w++) {
        if (push_u64(&succ, &nsucc, &capsucc, l->ev[xi].wakes[w]) < 0) {
            goto out;
        }
    }
    for (size_t j = xi + 1; j < end; j++) {
        const struct xlog_ev *e = &l->ev[j];
        if (e->type != 'D') {
            continue;
        }
        for (size_t s = 0; s < nsucc; s++) {
            if (succ[s] == e->id) {
                succ[s] = succ[--nsucc]; /* its first dispatch only */
                skip[j - xi] = true;
                if (fset_add(&x, e) < 0) {
                    goto out;
                }
                for (size_t w = 0; w < e->nwakes; w++) {
                    if (push_u64(&succ, &nsucc, &capsucc, e->wakes[w]) < 0) {
                        goto out;
                    }
                }
                break;
            }
        }
    }
    ok = independent_of_range(l, &x, xi + 1, end, skip + 1);
out:
    free(skip);
    free(succ);
    free(x.k);
    return ok;
}

bool por_commutes(const struct xlog *l, size_t ci, const char *type, const uint64_t *ids,
                  size_t nids, uint64_t alt)
{
    if (ci >= l->nev) {
        return false;
    }
    if (strcmp(type, "pick") == 0) {
        return pick_commutes(l, ci, ids, nids, alt);
    }
    if (strcmp(type, "hold") == 0) {
        return hold_commutes(l, ci, ids, nids);
    }
    return false; /* late, or a type this loop-replay does not know */
}
