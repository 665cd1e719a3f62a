/*
 * timeline.c — `loop-analyze timeline`: each task's life as intervals
 * (ready, running, waiting on X at site), and each loop's callbacks.
 *
 * Outputs: a per-task table and an ASCII Gantt (text), --json (rows with
 * their intervals), --chrome FILE (Chrome trace event JSON for Perfetto or
 * chrome://tracing), --html FILE (one self-contained page, an SVG, no
 * network). The model keeps the intervals (opts.keep_intervals); a Gantt
 * cell shows the most important state that touches it:
 * running > ready > waiting on a task/lock/sync object > waiting on time/io.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_ROWS_PER_LOOP 100
#define HTML_MAX_ROWS 2000
#define HTML_COLS 1000

enum { P_NONE = 0, P_WAIT, P_SYNC, P_READY, P_RUN };

struct cell {
    uint8_t prio;
    uint32_t ival; /* index + 1 of the interval that set it */
};

static int prio_of(const struct ival *v)
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

struct tl {
    const struct ctx *c;
    size_t *order;       /* interval indexes sorted by (row, start) */
    size_t *first;       /* per row: first position in order, or SIZE_MAX */
    struct rowstat *st;
};

static const struct model *g_model; /* for qsort only */

static int cmp_ival(const void *a, const void *b)
{
    const struct ival *x = &g_model->ivals[*(const size_t *)a];
    const struct ival *y = &g_model->ivals[*(const size_t *)b];

    if (x->row != y->row) {
        return x->row < y->row ? -1 : 1;
    }
    return x->start < y->start ? -1 : x->start > y->start;
}

static int tl_init(struct tl *t, const struct ctx *c)
{
    const struct model *m = c->m;
    size_t i;

    memset(t, 0, sizeof(*t));
    t->c = c;
    t->order = malloc((m->nivals + 1) * sizeof(*t->order));
    t->first = malloc((m->nrows + 1) * sizeof(*t->first));
    t->st = calloc(m->nrows + 1, sizeof(*t->st));
    if (t->order == NULL || t->first == NULL || t->st == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < m->nivals; i++) {
        t->order[i] = i;
    }
    g_model = m;
    if (m->nivals > 1) {
        qsort(t->order, m->nivals, sizeof(*t->order), cmp_ival);
    }
    for (i = 0; i < m->nrows; i++) {
        t->first[i] = SIZE_MAX;
    }
    for (i = m->nivals; i-- > 0;) {
        const struct ival *v = &m->ivals[t->order[i]];
        struct rowstat *s = &t->st[v->row];
        uint64_t d = v->end - v->start;
        t->first[v->row] = i;
        if (v->state == IV_RUN || v->state == IV_CALLBACK) {
            s->run += d;
            s->steps++;
        } else if (v->state == IV_READY) {
            s->ready += d;
        } else if (v->state == IV_WAIT) {
            s->wait += d;
        }
    }
    return 0;
}

static void tl_free(struct tl *t)
{
    free(t->order);
    free(t->first);
    free(t->st);
}

/* Fill ncols cells of row r over [t0, t1]. */
static void row_cells(const struct tl *t, size_t r, uint64_t t0, uint64_t t1, struct cell *cells, int ncols)
{
    const struct model *m = t->c->m;
    double span = t1 > t0 ? (double)(t1 - t0) : 1.0;
    size_t i;

    memset(cells, 0, (size_t)ncols * sizeof(*cells));
    if (t->first[r] == SIZE_MAX) {
        return;
    }
    for (i = t->first[r]; i < m->nivals && m->ivals[t->order[i]].row == r; i++) {
        const struct ival *v = &m->ivals[t->order[i]];
        int p = prio_of(v), a, b, k;
        if (v->end < t0 || v->start > t1) {
            continue;
        }
        a = (int)((double)(v->start > t0 ? v->start - t0 : 0) / span * ncols);
        b = (int)((double)((v->end < t1 ? v->end : t1) - t0) / span * ncols);
        if (a >= ncols) {
            a = ncols - 1;
        }
        if (b >= ncols) {
            b = ncols - 1;
        }
        for (k = a; k <= b; k++) {
            if (p >= cells[k].prio) {
                cells[k].prio = (uint8_t)p;
                cells[k].ival = (uint32_t)(t->order[i] + 1);
            }
        }
    }
}

static const char *row_label(const struct ctx *c, const struct trow *r, char *buf, size_t len)
{
    const char *name = model_str(c->m, r->name);

    if (r->type == ROW_LOOP) {
        snprintf(buf, len, "loop %" PRIu64, r->loop_id);
    } else if (name[0]) {
        snprintf(buf, len, "task %" PRIu64 " %s", r->id, name);
    } else {
        snprintf(buf, len, "task %" PRIu64, r->id);
    }
    return buf;
}

static const char *ival_label(const struct ctx *c, const struct ival *v, char *buf, size_t len)
{
    char sb[256];

    model_site_str(c->m, v->site, sb, sizeof sb);
    switch (v->state) {
    case IV_READY:
        snprintf(buf, len, "ready");
        break;
    case IV_RUN:
        snprintf(buf, len, "running%s%s", v->site ? " after " : "", v->site ? sb : "");
        break;
    case IV_WAIT:
        if (v->kind == WAIT_SLEEP || v->kind == WAIT_YIELD) {
            snprintf(buf, len, "%s at %s", ev_wait_kind_name(v->kind), sb);
        } else {
            char ob[300];
            snprintf(buf, len, "wait %s %" PRIu64 "%s at %s", ev_wait_kind_name(v->kind), v->obj,
                     describe_obj_site(c, v->obj_site, ob, sizeof ob), sb);
        }
        break;
    case IV_CALLBACK:
        snprintf(buf, len, "%s %" PRIu64 "%s%s", ev_kind_name(v->kind), v->obj, v->site ? " " : "",
                 v->site ? sb : "");
        break;
    case IV_POLL:
        snprintf(buf, len, "polling");
        break;
    default:
        snprintf(buf, len, "?");
    }
    return buf;
}

/* ---------------------------------------------------------------------- */
/* Text                                                                    */

static int text_timeline(const struct ctx *c, const struct tl *t)
{
    const struct model *m = c->m;
    char lb[256], rb[128], a[32], b[32], d[32], wb[512];
    struct cell *cells = malloc((size_t)c->o->width * sizeof(*cells));
    size_t i, r;
    int k;

    if (cells == NULL) {
        return -ENOMEM;
    }
    text_trace_warnings(c);
    for (i = 0; i < m->nloops; i++) {
        const struct mloop *l = m->loops[i];
        size_t shown = 0, ntasks = 0;
        for (r = 0; r < m->nrows; r++) {
            ntasks += m->rows[r].type == ROW_TASK && m->rows[r].vpid == l->vpid && m->rows[r].loop_id == l->loop_id;
        }
        fprintf(c->out, "%s: %zu task(s), +%.6f s .. +%.6f s\n", describe_loop(c, l, lb, sizeof lb), ntasks,
                model_rel_s(m, l->t_first), model_rel_s(m, l->t_last));
        fprintf(c->out, "  %6s %-16s %12s %12s %-9s %6s %9s %9s %9s  %s\n", "id", "name", "spawned", "ended",
                "state", "steps", "running", "ready", "waiting", "at the end");
        for (r = 0; r < m->nrows; r++) {
            const struct trow *row = &m->rows[r];
            char ended[32];
            if (row->type != ROW_TASK || row->vpid != l->vpid || row->loop_id != l->loop_id) {
                continue;
            }
            if (!c->o->all && shown >= TEXT_ROWS_PER_LOOP) {
                continue;
            }
            shown++;
            if (row->end_state >= TS_DONE && row->end_state <= TS_FAILED) {
                snprintf(ended, sizeof ended, "+%.6f", model_rel_s(m, row->t_end));
            } else {
                snprintf(ended, sizeof ended, "-");
            }
            wb[0] = '\0';
            if (row->end_state == TS_WAITING) {
                char sb[256], ob[300];
                snprintf(wb, sizeof wb, "%s %" PRIu64 "%s at %s", ev_wait_kind_name(row->end_wait), row->end_obj,
                         describe_obj_site(c, row->end_obj_site, ob, sizeof ob),
                         model_site_str(m, row->end_site, sb, sizeof sb));
            }
            fprintf(c->out, "  %6" PRIu64 " %-16.16s %12s %12s %-9s %6" PRIu64 " %9s %9s %9s  %s\n", row->id,
                    model_str(m, row->name)[0] ? model_str(m, row->name) : "-",
                    (snprintf(rb, sizeof rb, "+%.6f", model_rel_s(m, row->t_begin)), rb), ended,
                    ev_task_state_name(row->end_state), t->st[r].steps, fmt_dur(a, sizeof a, t->st[r].run),
                    fmt_dur(b, sizeof b, t->st[r].ready), fmt_dur(d, sizeof d, t->st[r].wait), wb);
        }
        if (shown < ntasks) {
            fprintf(c->out, "  ... %zu more task(s) (--all shows them, --json has them all)\n", ntasks - shown);
        }
        /* Gantt */
        fprintf(c->out, "  %-22s +%-*.6f+%.6f s\n", "", c->o->width - 9, model_rel_s(m, l->t_first),
                model_rel_s(m, l->t_last));
        shown = 0;
        for (r = 0; r < m->nrows; r++) {
            const struct trow *row = &m->rows[r];
            if (row->vpid != l->vpid || row->loop_id != l->loop_id) {
                continue;
            }
            if (row->type == ROW_TASK && !c->o->all && shown++ >= TEXT_ROWS_PER_LOOP) {
                continue;
            }
            row_cells(t, r, l->t_first, l->t_last, cells, c->o->width);
            fprintf(c->out, "  %-22.22s |", row_label(c, row, rb, sizeof rb));
            for (k = 0; k < c->o->width; k++) {
                static const char ch[] = {' ', '-', '=', '.', '#'};
                int cc = ch[cells[k].prio];
                if (row->type == ROW_LOOP && cells[k].prio == P_RUN) {
                    cc = 'C';
                } else if (row->type == ROW_LOOP && cells[k].prio == P_WAIT) {
                    cc = '_';
                }
                fputc(cc, c->out);
            }
            fprintf(c->out, "|\n");
        }
        fprintf(c->out, "  legend: # running  . ready  = waiting on a task/lock/sync object  - waiting on "
                        "time or I/O  C dispatching  _ polling\n\n");
    }
    free(cells);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

/* The names of docs/trace-format.md, "Task and loop states" (shared with Trace Compass). */
static const char *state_name(uint8_t s)
{
    return s == IV_READY ? "ready" : s == IV_RUN ? "running" : s == IV_WAIT ? "waiting"
         : s == IV_CALLBACK ? "dispatching" : s == IV_POLL ? "polling" : "?";
}

static int json_timeline(const struct ctx *c, const struct tl *t)
{
    const struct model *m = c->m;
    struct jw w;
    size_t r, i;

    json_begin(c, &w);
    jw_arr(&w, "rows");
    for (r = 0; r < m->nrows; r++) {
        const struct trow *row = &m->rows[r];
        jw_obj(&w, NULL);
        jw_str(&w, "type", row->type == ROW_LOOP ? "loop" : "task");
        jw_i64(&w, "vpid", row->vpid);
        jw_u64(&w, "loop", row->loop_id);
        if (row->type == ROW_TASK) {
            jw_u64(&w, "id", row->id);
            jw_str(&w, "name", model_str(m, row->name));
            json_site(c, &w, "spawn_site", row->site);
            if (row->end_state == TS_NEW) {
                jw_null(&w, "end_state"); /* never ready: no state yet */
            } else {
                jw_str(&w, "end_state", ev_task_state_name(row->end_state));
            }
            jw_u64(&w, "steps", t->st[r].steps);
            jw_u64(&w, "running_ns", t->st[r].run);
            jw_u64(&w, "ready_ns", t->st[r].ready);
            jw_u64(&w, "waiting_ns", t->st[r].wait);
        }
        jw_u64(&w, "begin_ns", row->t_begin);
        jw_u64(&w, "end_ns", row->t_end);
        jw_arr(&w, "intervals");
        for (i = t->first[r]; t->first[r] != SIZE_MAX && i < m->nivals && m->ivals[t->order[i]].row == r; i++) {
            const struct ival *v = &m->ivals[t->order[i]];
            jw_obj(&w, NULL);
            jw_str(&w, "state", state_name(v->state));
            jw_u64(&w, "start_ns", v->start);
            jw_u64(&w, "end_ns", v->end);
            if (v->state == IV_WAIT) {
                jw_str(&w, "wait_kind", ev_wait_kind_name(v->kind));
                jw_u64(&w, "obj", v->obj);
                json_site(c, &w, "obj_site", v->obj_site);
            } else if (v->state == IV_CALLBACK) {
                jw_str(&w, "kind", ev_kind_name(v->kind));
                jw_u64(&w, "id", v->obj);
            }
            json_site(c, &w, "site", v->site);
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_end_obj(&w);
    }
    jw_end_arr(&w);
    jw_end_obj(&w);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Chrome trace event JSON                                                 */

static int chrome_timeline(const struct ctx *c, const struct tl *t, const char *path)
{
    const struct model *m = c->m;
    FILE *f = fopen(path, "w");
    char lb[256], ib[512];
    size_t r, i, k;
    int first = 1;

    (void)t;
    if (f == NULL) {
        return -errno;
    }
    fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    for (i = 0; i < m->nloops; i++) {
        const struct mloop *l = m->loops[i];
        for (k = 0; k < i && m->loops[k]->proc != l->proc; k++) {
        }
        if (k != i) {
            continue;
        }
        snprintf(lb, sizeof lb, "%s (pid %" PRId64 ")", model_str(m, l->proc->procname), l->vpid);
        fprintf(f, "%s{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%" PRId64 ",\"tid\":0,\"args\":{\"name\":",
                first ? "" : ",\n", l->vpid);
        json_escape(f, lb);
        fprintf(f, "}}");
        first = 0;
    }
    for (r = 0; r < m->nrows; r++) {
        const struct trow *row = &m->rows[r];
        fprintf(f, "%s{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%" PRId64 ",\"tid\":%zu,\"args\":{\"name\":",
                first ? "" : ",\n", row->vpid, r + 1);
        json_escape(f, row_label(c, row, lb, sizeof lb));
        fprintf(f, "}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%" PRId64
                   ",\"tid\":%zu,\"args\":{\"sort_index\":%zu}}",
                row->vpid, r + 1, row->type == ROW_LOOP ? 0 : r + 1);
        first = 0;
    }
    for (i = 0; i < m->nivals; i++) {
        const struct ival *v = &m->ivals[i];
        const struct trow *row = &m->rows[v->row];
        char sb[256];
        fprintf(f, "%s{\"ph\":\"X\",\"cat\":\"%s\",\"name\":", first ? "" : ",\n",
                row->type == ROW_LOOP ? "loop" : state_name(v->state));
        json_escape(f, ival_label(c, v, ib, sizeof ib));
        fprintf(f, ",\"pid\":%" PRId64 ",\"tid\":%u,\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"site\":", row->vpid,
                v->row + 1, (double)(v->start - m->t_first) / 1e3, (double)(v->end - v->start) / 1e3);
        json_escape(f, model_site_str(m, v->site, sb, sizeof sb));
        fprintf(f, ",\"obj\":%" PRIu64 "}}", v->obj);
        first = 0;
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) {
        return -errno;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* HTML                                                                    */

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static int html_timeline(const struct ctx *c, const struct tl *t, const char *path)
{
    static const char *const colors[] = {"none", "#9ecae1", "#fd8d3c", "#fdd835", "#2ca02c"};
    const struct model *m = c->m;
    const int label_w = 240, row_h = 16, top = 30;
    size_t nrows = m->nrows < HTML_MAX_ROWS ? m->nrows : HTML_MAX_ROWS, r, i;
    struct cell *cells = malloc(HTML_COLS * sizeof(*cells));
    char lb[256], ib[512], db[32];
    FILE *f;
    int k;

    if (cells == NULL) {
        return -ENOMEM;
    }
    f = fopen(path, "w");
    if (f == NULL) {
        free(cells);
        return -errno;
    }
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>libloop timeline</title>\n"
               "<style>body{font:13px sans-serif;margin:16px}svg text{font:11px monospace}"
               ".k{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}"
               "</style></head><body>\n<h1>libloop timeline</h1>\n<p>");
    for (i = 0; i < c->ninputs; i++) {
        html_text(f, c->inputs[i]);
        fputc(' ', f);
    }
    fprintf(f, "&mdash; %" PRIu64 " events over %s, %zu rows", m->events,
            fmt_dur(db, sizeof db, m->t_last - m->t_first), m->nrows);
    if (nrows < m->nrows) {
        fprintf(f, " (the first %zu shown)", nrows);
    }
    fprintf(f, "</p>\n<p>");
    for (k = 1; k <= P_RUN; k++) {
        static const char *const names[] = {"", "waiting on time or I/O", "waiting on a task, lock or sync object",
                                            "ready", "running / callback"};
        fprintf(f, "<span class=\"k\" style=\"background:%s\"></span>%s", colors[k], names[k]);
    }
    fprintf(f, "</p>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\">\n",
            label_w + HTML_COLS + 10, top + nrows * (size_t)row_h + 10);
    for (k = 0; k <= 10; k++) {
        int x = label_w + k * HTML_COLS / 10;
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%zu\" stroke=\"#ddd\"/>"
                   "<text x=\"%d\" y=\"%d\">+%.3fs</text>\n",
                x, top - 4, x, top + nrows * (size_t)row_h, x + 2, top - 8,
                (double)(m->t_last - m->t_first) * k / 10 / 1e9);
    }
    for (r = 0; r < nrows; r++) {
        const struct trow *row = &m->rows[r];
        int y = top + (int)r * row_h;
        fprintf(f, "<text x=\"2\" y=\"%d\">", y + row_h - 4);
        html_text(f, row_label(c, row, lb, sizeof lb));
        fprintf(f, "</text>\n");
        row_cells(t, r, m->t_first, m->t_last, cells, HTML_COLS);
        for (k = 0; k < HTML_COLS;) {
            int e = k + 1;
            if (cells[k].prio == P_NONE) {
                k++;
                continue;
            }
            while (e < HTML_COLS && cells[e].prio == cells[k].prio && cells[e].ival == cells[k].ival) {
                e++;
            }
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>",
                    label_w + k, y + 2, e - k, row_h - 3, colors[cells[k].prio]);
            if (cells[k].ival != 0) {
                const struct ival *v = &m->ivals[cells[k].ival - 1];
                html_text(f, ival_label(c, v, ib, sizeof ib));
                fprintf(f, " (+%.6f s, %s)", model_rel_s(m, v->start), fmt_dur(db, sizeof db, v->end - v->start));
            }
            fprintf(f, "</title></rect>\n");
            k = e;
        }
    }
    fprintf(f, "</svg>\n</body></html>\n");
    free(cells);
    if (fclose(f) != 0) {
        return -errno;
    }
    return 0;
}

int report_timeline(const struct ctx *c)
{
    struct tl t;
    int rc = tl_init(&t, c);

    if (rc == 0 && c->o->chrome != NULL) {
        rc = chrome_timeline(c, &t, c->o->chrome);
        if (rc < 0) {
            fprintf(stderr, "loop-analyze: %s: %s\n", c->o->chrome, strerror(-rc));
            rc = -ECANCELED; /* reported */
        }
    }
    if (rc == 0 && c->o->html != NULL) {
        rc = html_timeline(c, &t, c->o->html);
        if (rc < 0) {
            fprintf(stderr, "loop-analyze: %s: %s\n", c->o->html, strerror(-rc));
            rc = -ECANCELED; /* reported */
        }
    }
    if (rc == 0) {
        rc = c->o->json ? json_timeline(c, &t) : text_timeline(c, &t);
    }
    tl_free(&t);
    return rc;
}
