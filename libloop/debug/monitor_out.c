/*
 * monitor_out.c — building a monitor reply: the growing output buffer with
 * its bound (a client whose reply grows past it is dropped), sites, times,
 * and the task line of ps and where, built without printf (ps prints one per
 * task: 20,000 tasks make 3 MB).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor_rows.h"

/* Output ------------------------------------------------------------------------ */

static void out_vprintf(struct mon_out *o, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    if (o->overflow) {
        return;
    }
    va_copy(ap2, ap);
    n = vsnprintf(o->buf != NULL ? o->buf + o->len : NULL, o->cap - o->len, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return;
    }
    if (o->len + (size_t)n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + (size_t)n + 1) {
            cap *= 2;
        }
        if (o->len + (size_t)n > (o->max ? o->max : MON_OUT_MAX)) {
            o->overflow = true;
            return;
        }
        char *buf = realloc(o->buf, cap);
        if (buf == NULL) {
            o->overflow = true;
            o->nomem = true;
            return;
        }
        o->buf = buf;
        o->cap = cap;
        vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    }
    o->len += (size_t)n;
}

/* Append n bytes (no formatting). */
static void out_write(struct mon_out *o, const char *p, size_t n)
{
    if (o->overflow) {
        return;
    }
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1) {
            cap *= 2;
        }
        if (o->len + n > (o->max ? o->max : MON_OUT_MAX)) {
            o->overflow = true;
            return;
        }
        char *buf = realloc(o->buf, cap);
        if (buf == NULL) {
            o->overflow = true;
            o->nomem = true;
            return;
        }
        o->buf = buf;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

void loop__mon_out(struct mon_out *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    out_vprintf(o, fmt, ap);
    va_end(ap);
}

void loop__mon_out_site(struct mon_out *o, const char *label, const loop_site_t *s)
{
    if (s != NULL) {
        loop__mon_out(o, " %s=%s:%d (%s)", label, s->file ? s->file : "?", s->line,
            s->func ? s->func : "?");
    }
}

double loop__mon_ms_since(uint64_t now_ns, uint64_t then_ns)
{
    return now_ns > then_ns ? (double)(now_ns - then_ns) / 1e6 : 0.0;
}

/* Snapshots --------------------------------------------------------------------- */

/*
 * Every command reads the loop's tables the same way: rows are copied under
 * inspect_mu into a plain array (a bounded copy: no formatting, no allocation,
 * names copied so nothing is read after the lock is dropped), then formatted
 * outside the lock. Walks hold the lock for at most MON_CHUNK_ROWS nodes and
 * end a chunk as soon as the loop thread waits for the lock
 * (loop->inspect_waiting); between chunks the position is loop->inspect_cursor,
 * which every unlink moves past the node it removes (loop__inspect_unlink), so
 * a walk never touches a node that left its list. Each row is consistent; rows
 * are not one instant of the whole table (like ps(1) reading /proc).
 */


/* Replies built from a snapshot may be longer than MON_OUT_MAX: allow this much per row. */
void loop__mon_out_allow_rows(struct mon_out *o, size_t rows)
{
    o->max = MON_OUT_MAX + rows * MON_ROW_OUT_MAX;
}

/*
 * A task line is built without printf: ps prints one per task (20,000 tasks
 * make 3 MB), and the monitor thread's CPU is taken from the loop's on a busy
 * machine. The text is what "%.1f" and PRIu64 would give.
 */
struct line {
    char b[3 * MON_NAME_MAX + 512];
    size_t n;
};

static void line_str(struct line *l, const char *s)
{
    size_t n = s != NULL ? strnlen(s, sizeof(l->b) - 1 - l->n) : 0;

    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void line_u64(struct line *l, uint64_t v)
{
    char d[20];
    int i = 0;

    do {
        d[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (i > 0 && l->n < sizeof(l->b) - 1) {
        l->b[l->n++] = d[--i];
    }
}

static void line_i64(struct line *l, int64_t v)
{
    if (v < 0) {
        line_str(l, "-");
        line_u64(l, (uint64_t)0 - (uint64_t)v);
    } else {
        line_u64(l, (uint64_t)v);
    }
}

/* Milliseconds with one decimal, rounded. */
static void line_ms1(struct line *l, uint64_t ns)
{
    uint64_t tenths = (ns + 50000) / 100000;

    line_u64(l, tenths / 10);
    line_str(l, ".");
    line_u64(l, tenths % 10);
}

static void line_site(struct line *l, const char *label, const loop_site_t *s)
{
    if (s != NULL) {
        line_str(l, " ");
        line_str(l, label);
        line_str(l, "=");
        line_str(l, s->file ? s->file : "?");
        line_str(l, ":");
        line_i64(l, s->line);
        line_str(l, " (");
        line_str(l, s->func ? s->func : "?");
        line_str(l, ")");
    }
}

void loop__mon_out_task_line(struct mon_out *o, const loop_task_info_t *ti, uint64_t now_ns)
{
    struct line l;

    l.n = 0;
    line_str(&l, "task id=");
    line_u64(&l, ti->id);
    line_str(&l, " name=\"");
    line_str(&l, ti->name ? ti->name : "");
    line_str(&l, "\" state=");
    line_str(&l, loop_task_state_name(ti->state));
    if (ti->state == LOOP_TASK_WAITING) {
        line_str(&l, " wait=");
        line_str(&l, loop_wait_kind_name(ti->wait_kind));
        line_str(&l, " obj=");
        line_u64(&l, ti->wait_obj_id);
        if (ti->wait_task_id != 0) {
            line_str(&l, ti->wait_kind == LOOP_WAIT_LOCK ? " owner=" : " task=");
            line_u64(&l, ti->wait_task_id);
        }
        if (ti->timeout_ms >= 0) {
            line_str(&l, " timeout-ms=");
            line_i64(&l, ti->timeout_ms);
        }
    }
    if (ti->state == LOOP_TASK_FAILED) {
        line_str(&l, " err=");
        line_str(&l, loop_err_name(ti->error));
    }
    line_str(&l, " age-ms=");
    line_ms1(&l, now_ns > ti->since_ns ? now_ns - ti->since_ns : 0);
    line_str(&l, " parent=");
    line_u64(&l, ti->parent_id);
    line_str(&l, " steps=");
    line_u64(&l, ti->steps);
    line_site(&l, "at", ti->wait_site);
    line_site(&l, "created", ti->create_site);
    line_str(&l, "\n");
    out_write(o, l.b, l.n);
}
