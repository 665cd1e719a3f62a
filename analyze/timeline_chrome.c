/*
 * timeline_chrome.c — `loop-analyze timeline --chrome FILE`: Chrome trace
 * event JSON for Perfetto (ui.perfetto.dev) or chrome://tracing.
 *
 * A process per traced process, a thread per task and one per loop (its
 * callbacks). Slice names are shared by every instance of the same thing
 * ("run fetch", "wait lock at x.c:30 (worker)", "timer flush") so Perfetto
 * groups them; ids and the full label go to args. Flow arrows: spawn
 * (parent → child) and wakeup (waker → woken task). Instant events: the
 * findings (stalls, deadlocks, hangs, errors, crashes).
 *
 * Size: --from/--to cut a window, and at most --max-events events are
 * written (default CHROME_DEFAULT_MAX): past it the rest is left out, in
 * trace order, with one line on stderr that says how many.
 */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define CHROME_DEFAULT_MAX 500000

struct cw {
    FILE *f;
    const struct model *m;
    uint64_t n, max, dropped;
};

/* Start one event object; 0 when the cap says no. */
static int ev_open(struct cw *w, const char *ph)
{
    if (w->n >= w->max) {
        w->dropped++;
        return 0;
    }
    fprintf(w->f, "%s{\"ph\":\"%s\"", w->n ? ",\n" : "", ph);
    w->n++;
    return 1;
}

static double us(const struct cw *w, uint64_t ts)
{
    return (double)(ts - w->m->t_first) / 1e3;
}

static void metadata(struct cw *w, const struct ctx *c)
{
    const struct model *m = c->m;
    char lb[300], rb[256];
    size_t i, k, r;

    for (i = 0; i < m->nloops; i++) {
        const struct mloop *l = m->loops[i];
        for (k = 0; k < i && m->loops[k]->proc != l->proc; k++) {
        }
        if (k != i || !ev_open(w, "M")) {
            continue;
        }
        snprintf(lb, sizeof lb, "%s (pid %" PRId64 ")", model_str(m, l->proc->procname), l->vpid);
        fprintf(w->f, ",\"name\":\"process_name\",\"pid\":%" PRId64 ",\"tid\":0,\"args\":{\"name\":", l->vpid);
        json_escape(w->f, lb);
        fprintf(w->f, "}}");
    }
    for (r = 0; r < m->nrows; r++) {
        const struct trow *row = &m->rows[r];
        if (!ev_open(w, "M")) {
            continue;
        }
        snprintf(lb, sizeof lb, "%s (loop %" PRIu64 ")", row_label(c, row, rb, sizeof rb), row->loop_id);
        fprintf(w->f, ",\"name\":\"thread_name\",\"pid\":%" PRId64 ",\"tid\":%zu,\"args\":{\"name\":", row->vpid,
                r + 1);
        json_escape(w->f, lb);
        fprintf(w->f, "}}");
        if (ev_open(w, "M")) {
            fprintf(w->f, ",\"name\":\"thread_sort_index\",\"pid\":%" PRId64 ",\"tid\":%zu,\"args\":{\"sort_index\":%zu}}",
                    row->vpid, r + 1, row->type == ROW_LOOP ? 0 : r + 1);
        }
    }
}

/* A flow arrow from (row a, ts) to (row b, ts2), bound to the slices there. */
static void flow(struct cw *w, const char *name, uint64_t id, const struct trow *ra, size_t a, uint64_t ts,
                 const struct trow *rb, size_t b, uint64_t ts2)
{
    if (w->n + 2 > w->max) {
        w->dropped += 2;
        return;
    }
    ev_open(w, "s");
    fprintf(w->f, ",\"cat\":\"%s\",\"name\":\"%s\",\"id\":%" PRIu64 ",\"pid\":%" PRId64 ",\"tid\":%zu,\"ts\":%.3f}",
            name, name, id, ra->vpid, a + 1, us(w, ts));
    ev_open(w, "f");
    fprintf(w->f, ",\"bp\":\"e\",\"cat\":\"%s\",\"name\":\"%s\",\"id\":%" PRIu64 ",\"pid\":%" PRId64
                  ",\"tid\":%zu,\"ts\":%.3f}",
            name, name, id, rb->vpid, b + 1, us(w, ts2));
}

int timeline_chrome(const struct ctx *c, const struct tl *t, const char *path)
{
    const struct model *m = c->m;
    struct cw w = {fopen(path, "w"), m, 0, c->o->max_events ? c->o->max_events : CHROME_DEFAULT_MAX, 0};
    char nb[512], lb[512], sb[256];
    uint64_t t0, t1, flows = 0;
    size_t i, r;

    if (w.f == NULL) {
        return -errno;
    }
    tl_window(c, &t0, &t1);
    fprintf(w.f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    metadata(&w, c);
    for (i = 0; i < t->nmarks; i++) {
        const struct mark *k = &t->marks[i];
        const struct trow *row = &m->rows[k->row];
        if (k->ts < t0 || k->ts > t1 || !ev_open(&w, "i")) {
            continue;
        }
        fprintf(w.f, ",\"s\":\"t\",\"cat\":\"finding\",\"name\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%zu,\"ts\":%.3f,"
                     "\"args\":{\"what\":",
                mark_kind_name(k->kind), row->vpid, k->row + 1, us(&w, k->ts));
        json_escape(w.f, k->text);
        fprintf(w.f, ",\"duration_ns\":%" PRIu64 "}}", k->dur_ns);
    }
    for (r = 0; r < m->nrows; r++) { /* spawn arrows */
        const struct trow *row = &m->rows[r];
        size_t p;
        if (row->type != ROW_TASK || row->parent == 0 || row->t_begin < t0 || row->t_begin > t1) {
            continue;
        }
        p = tl_row_of(t, row->vpid, row->loop_id, row->parent);
        if (p != SIZE_MAX) {
            flow(&w, "spawn", ++flows, &m->rows[p], p, row->t_begin, row, r, row->t_begin);
        }
    }
    for (i = 0; i < m->nivals; i++) {
        const struct ival *v = &m->ivals[i];
        const struct trow *row = &m->rows[v->row];
        uint64_t a = v->start > t0 ? v->start : t0, b = v->end < t1 ? v->end : t1;
        if (v->end < t0 || v->start > t1) {
            continue;
        }
        if (v->state == IV_READY && v->kind == KIND_TASK && v->obj != 0 && v->obj != row->id) {
            size_t wr = tl_row_of(t, row->vpid, row->loop_id, v->obj);
            if (wr != SIZE_MAX) {
                flow(&w, "wake", ++flows, &m->rows[wr], wr, v->start, row, v->row, v->start);
            }
        }
        if (!ev_open(&w, "X")) {
            continue;
        }
        fprintf(w.f, ",\"cat\":\"%s\",\"name\":", row->type == ROW_LOOP ? "loop" : state_name(v->state));
        json_escape(w.f, ival_name(c, v, nb, sizeof nb));
        fprintf(w.f, ",\"pid\":%" PRId64 ",\"tid\":%u,\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"task\":%" PRIu64
                     ",\"obj\":%" PRIu64 ",\"what\":",
                row->vpid, v->row + 1, us(&w, a), (double)(b - a) / 1e3, row->type == ROW_TASK ? row->id : 0, v->obj);
        json_escape(w.f, ival_label(c, v, lb, sizeof lb));
        fprintf(w.f, ",\"site\":");
        json_escape(w.f, model_site_str(m, v->site, sb, sizeof sb));
        fprintf(w.f, "}}");
    }
    fprintf(w.f, "\n]}\n");
    if (fclose(w.f) != 0) {
        return -errno;
    }
    if (w.dropped) {
        fprintf(stderr,
                "loop-analyze: %s: %" PRIu64 " of %" PRIu64 " events left out (at most %" PRIu64
                "; choose with --max-events N, or a window with --from/--to)\n",
                path, w.dropped, w.dropped + w.n, w.max);
    }
    return 0;
}
