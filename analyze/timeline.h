/*
 * timeline.h — what the timeline's outputs share (timeline.c: the text
 * table, the ASCII Gantt and --json; timeline_chrome.c; timeline_html.c):
 * the intervals sorted per row, per-row totals, cells that show each
 * column's dominant state, labels, the findings marked on rows, and the
 * wake and spawn edges.
 */
#ifndef LOOP_ANALYZE_TIMELINE_H
#define LOOP_ANALYZE_TIMELINE_H

#include "report.h"

/* Cell classes, in order of importance (ties go to the higher). */
enum { P_NONE = 0, P_WAIT, P_SYNC, P_READY, P_RUN };

struct cell {
    uint8_t prio;
    uint32_t ival; /* index + 1 of the interval covering most of the cell in its state */
};

static inline int prio_of(const struct ival *v)
{
    switch (v->state) {
    case IV_RUN:
    case IV_CALLBACK:
        return P_RUN;
    case IV_POLL:
        return P_WAIT;
    case IV_READY:
        return P_READY;
    case IV_WAIT:
        return v->kind == WAIT_SLEEP || v->kind == WAIT_FD || v->kind == WAIT_YIELD ? P_WAIT : P_SYNC;
    default:
        return P_NONE;
    }
}

/* Per-row totals. */
struct rowstat {
    uint64_t run, ready, wait, steps;
};

/* A finding marked on a row: a stall, a deadlock, a hang, an error, a crash. */
enum mark_kind { MARK_STALL = 1, MARK_DEADLOCK, MARK_HANG, MARK_ERROR, MARK_CRASH };

struct mark {
    size_t row;
    uint64_t ts, dur_ns;
    uint8_t kind;     /* enum mark_kind */
    char text[240];
};

struct tl {
    const struct ctx *c;
    size_t *order;       /* interval indexes sorted by (row, start) */
    size_t *first;       /* per row: first position in order, or SIZE_MAX */
    struct rowstat *st;
    struct mark *marks;  /* findings, by time */
    size_t nmarks;
    struct u64map rowof; /* (vpid, loop, task id) hash → row + 1; loops under id 0 */
};

int tl_init(struct tl *t, const struct ctx *c);
void tl_free(struct tl *t);
/* The row of task id (0: the loop's own row) in (vpid, loop), or SIZE_MAX. */
size_t tl_row_of(const struct tl *t, int64_t vpid, uint64_t loop_id, uint64_t id);
void row_cells(const struct tl *t, size_t r, uint64_t t0, uint64_t t1, struct cell *cells, int ncols);
const char *row_label(const struct ctx *c, const struct trow *r, char *buf, size_t len);
const char *ival_label(const struct ctx *c, const struct ival *v, char *buf, size_t len);
/* A name stable across instances (no ids): "running fetch", "wait lock at x.c:3 (f)". */
const char *ival_name(const struct ctx *c, const struct ival *v, char *buf, size_t len);
const char *state_name(uint8_t s);
const char *mark_kind_name(uint8_t k);

/* The time window given by --from/--to, in trace time (absolute ns). */
void tl_window(const struct ctx *c, uint64_t *t0, uint64_t *t1);

int timeline_chrome(const struct ctx *c, const struct tl *t, const char *path);
int timeline_html(const struct ctx *c, const struct tl *t, const char *path);

#endif
