/*
 * timeline.c — `loop-analyze timeline`: each task's life as intervals
 * (ready, running, waiting on X at site), and each loop's callbacks.
 *
 * Outputs: a per-task table and an ASCII Gantt (text) and --json (rows with
 * their intervals) here; --chrome FILE (timeline_chrome.c) and --html FILE
 * (timeline_html.c). The model keeps the intervals (opts.keep_intervals); a Gantt
 * cell shows the state its row spent most of the cell's time in (ties:
 * running > ready > waiting on a task/lock/sync object > waiting on time/io).
 */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_ROWS_PER_LOOP 100

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

void tl_free(struct tl *t)
{
    free(t->order);
    free(t->first);
    free(t->st);
    free(t->marks);
    u64map_free(&t->rowof);
}

static uint64_t row_key(int64_t vpid, uint64_t loop_id, uint64_t id)
{
    uint64_t k = (uint64_t)vpid * 0x9e3779b97f4a7c15ULL ^ loop_id * 0xc2b2ae3d27d4eb4fULL ^ id;
    return k ? k : 1;
}

size_t tl_row_of(const struct tl *t, int64_t vpid, uint64_t loop_id, uint64_t id)
{
    const struct model *m = t->c->m;
    uintptr_t r = (uintptr_t)u64map_get(&t->rowof, row_key(vpid, loop_id, id));
    const struct trow *row;

    if (r == 0) {
        return SIZE_MAX;
    }
    row = &m->rows[r - 1];
    if (row->vpid == vpid && row->loop_id == loop_id && (row->type == ROW_LOOP ? 0 : row->id) == id) {
        return r - 1;
    }
    for (r = 0; r < m->nrows; r++) { /* a hash collision: look it up the slow way */
        row = &m->rows[r];
        if (row->vpid == vpid && row->loop_id == loop_id && (row->type == ROW_LOOP ? 0 : row->id) == id) {
            return r;
        }
    }
    return SIZE_MAX;
}

const char *mark_kind_name(uint8_t k)
{
    static const char *const names[] = {"?", "stall", "deadlock", "hang", "error", "crash"};
    return k <= MARK_CRASH ? names[k] : "?";
}

static int mark_add(struct tl *t, size_t *cap, size_t row, uint64_t ts, uint64_t dur, uint8_t kind)
{
    if (row == SIZE_MAX) {
        return 0;
    }
    if (t->nmarks == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct mark *nv = realloc(t->marks, nc * sizeof(*nv));
        if (nv == NULL) {
            return -ENOMEM;
        }
        t->marks = nv;
        *cap = nc;
    }
    memset(&t->marks[t->nmarks], 0, sizeof(t->marks[0]));
    t->marks[t->nmarks].row = row;
    t->marks[t->nmarks].ts = ts;
    t->marks[t->nmarks].dur_ns = dur;
    t->marks[t->nmarks].kind = kind;
    t->nmarks++;
    return 1;
}

#define LAST_MARK(t) ((t)->marks[(t)->nmarks - 1].text)

static int cmp_mark(const void *a, const void *b)
{
    const struct mark *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts ? 1 : (x->row > y->row) - (x->row < y->row);
}

/* The findings of hangs, summary and check, placed on their rows. */
static int collect_marks(struct tl *t)
{
    const struct ctx *c = t->c;
    const struct model *m = c->m;
    struct hang *hs = NULL;
    size_t cap = 0, nh = 0, i, k;
    char sb[256], db[32], wb[512];
    int rc;

    for (i = 0; i < m->nstalls; i++) {
        const struct stall *s = &m->stalls[i];
        size_t r = tl_row_of(t, s->vpid, s->loop_id, s->kind == KIND_TASK ? s->id : 0);
        if ((rc = mark_add(t, &cap, r, s->ts, s->duration_ns, MARK_STALL)) < 0) {
            return rc;
        }
        if (rc > 0) {
            snprintf(LAST_MARK(t), sizeof LAST_MARK(t), "stall: %s %" PRIu64 " blocked the loop %s at %s",
                     ev_kind_name(s->kind), s->id, fmt_dur(db, sizeof db, s->duration_ns),
                     model_site_str(m, s->site, sb, sizeof sb));
        }
    }
    for (i = 0; i < m->ncycles; i++) {
        const struct cycle *cy = &m->cycles[i];
        if (!cycle_reported(cy)) {
            continue;
        }
        for (k = 0; k < cy->n; k++) {
            const struct cycle_edge *e = &cy->edges[k];
            const struct cycle_edge *nx = &cy->edges[(k + 1) % cy->n];
            size_t r = tl_row_of(t, cy->vpid, cy->loop_id, e->task);
            uint64_t end = cy->broken_ts ? cy->broken_ts : m->t_last;
            if ((rc = mark_add(t, &cap, r, e->since_ns, end > e->since_ns ? end - e->since_ns : 0,
                               MARK_DEADLOCK)) < 0) {
                return rc;
            }
            if (rc > 0) {
                snprintf(LAST_MARK(t), sizeof LAST_MARK(t),
                         "deadlock: task %" PRIu64 " waits (%s %" PRIu64 " at %s) for task %" PRIu64 "%s",
                         e->task, ev_wait_kind_name(e->wait_kind), e->obj,
                         model_site_str(m, e->wait_site, sb, sizeof sb), nx->task,
                         cy->broken_ts ? ", broken later" : "");
            }
        }
    }
    rc = hangs_collect(c, &hs, &nh);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < nh; i++) {
        const struct hang *h = &hs[i];
        if (!hang_is_finding(h->cls) || h->cls == HANG_DEADLOCK || h->t == NULL || h->t->row == 0) {
            continue;
        }
        if ((rc = mark_add(t, &cap, h->t->row - 1, h->t->t_state, h->waited_ns, MARK_HANG)) < 0) {
            free(hs);
            return rc;
        }
        if (rc > 0) {
            snprintf(LAST_MARK(t), sizeof LAST_MARK(t), "%s: task %" PRIu64 " waits %s on %s",
                     hang_class_name(h->cls), h->t->o.id, fmt_dur(db, sizeof db, h->waited_ns),
                     describe_wait(c, h->l, h->t, wb, sizeof wb));
        }
    }
    free(hs);
    for (i = 0; i < m->nerrors; i++) {
        const struct merror *e = &m->errors[i];
        size_t r = tl_row_of(t, e->vpid, e->loop_id, e->kind == KIND_TASK ? e->id : 0);
        if ((rc = mark_add(t, &cap, r, e->ts_first, 0, MARK_ERROR)) < 0) {
            return rc;
        }
        if (rc > 0) {
            snprintf(LAST_MARK(t), sizeof LAST_MARK(t), "error %s x%" PRIu64 ": %s", err_name(e->err, db, sizeof db),
                     e->count, model_str(m, e->msg));
        }
    }
    for (i = 0; i < m->ncrashes; i++) {
        const struct crash *cr = &m->crashes[i];
        size_t r = tl_row_of(t, cr->vpid, cr->loop_id, cr->kind == KIND_TASK ? cr->id : 0);
        if ((rc = mark_add(t, &cap, r, cr->begin_ts, m->t_last - cr->begin_ts, MARK_CRASH)) < 0) {
            return rc;
        }
        if (rc > 0) {
            snprintf(LAST_MARK(t), sizeof LAST_MARK(t), "the trace ends inside %s %" PRIu64 " at %s",
                     ev_kind_name(cr->kind), cr->id, model_site_str(m, cr->site, sb, sizeof sb));
        }
    }
    if (t->nmarks > 1) {
        qsort(t->marks, t->nmarks, sizeof(*t->marks), cmp_mark);
    }
    return 0;
}

void tl_window(const struct ctx *c, uint64_t *t0, uint64_t *t1)
{
    const struct model *m = c->m;
    uint64_t span = m->t_last - m->t_first;
    uint64_t a = (uint64_t)c->o->from_ns < span ? (uint64_t)c->o->from_ns : span;
    uint64_t b = c->o->to_ns > 0 && (uint64_t)c->o->to_ns < span ? (uint64_t)c->o->to_ns : span;

    *t0 = m->t_first + a;
    *t1 = m->t_first + (b > a ? b : a);
}

int tl_init(struct tl *t, const struct ctx *c)
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
    for (i = 0; i < m->nrows; i++) {
        const struct trow *row = &m->rows[i];
        uint64_t k = row_key(row->vpid, row->loop_id, row->type == ROW_LOOP ? 0 : row->id);
        if (u64map_get(&t->rowof, k) == NULL && u64map_put(&t->rowof, k, (void *)(uintptr_t)(i + 1)) < 0) {
            return -ENOMEM;
        }
    }
    return collect_marks(t);
}

/* The cells [*ka, *kb] that interval v overlaps in [t0, t1] at colw ns per cell; 0 if none. */
static int ival_span(const struct ival *v, uint64_t t0, uint64_t t1, double colw, int ncols, int *ka, int *kb)
{
    if (v->end < t0 || v->start > t1) {
        return 0;
    }
    *ka = (int)((double)(v->start > t0 ? v->start - t0 : 0) / colw);
    *kb = (int)((double)((v->end < t1 ? v->end : t1) - t0) / colw);
    *ka = *ka < ncols ? *ka : ncols - 1;
    *kb = *kb < ncols ? *kb : ncols - 1;
    return 1;
}

/*
 * How much of cell k interval v covers (ns). An instant (a zero-length
 * interval) still weighs something in its own cell (alone: it is the only
 * cell the interval touches).
 */
static double cell_weight(const struct ival *v, uint64_t t0, uint64_t t1, double colw, int k, int alone)
{
    double a = (double)(v->start > t0 ? v->start - t0 : 0), b = (double)((v->end < t1 ? v->end : t1) - t0);
    double lo = k * colw > a ? k * colw : a, hi = (k + 1) * colw < b ? (k + 1) * colw : b;

    return hi > lo ? hi - lo : (alone ? 1e-3 : 0);
}

/*
 * Fill ncols cells of row r over [t0, t1]: each cell shows the state the row
 * spent most of the cell's time in (time outside any interval counts as
 * "nothing"), and the interval that contributed most of it. A task that ran
 * 1% of a long cell is shown waiting there, never running.
 */
void row_cells(const struct tl *t, size_t r, uint64_t t0, uint64_t t1, struct cell *cells, int ncols)
{
    const struct model *m = t->c->m;
    double span = t1 > t0 ? (double)(t1 - t0) : 1.0, colw = span / ncols;
    double *share = calloc((size_t)ncols * (P_RUN + 1), sizeof(*share));
    double *best = calloc((size_t)ncols, sizeof(*best));
    size_t i;
    int k, p;

    memset(cells, 0, (size_t)ncols * sizeof(*cells));
    if (share == NULL || best == NULL || t->first[r] == SIZE_MAX) {
        free(share);
        free(best);
        return;
    }
    for (i = t->first[r]; i < m->nivals && m->ivals[t->order[i]].row == r; i++) {
        const struct ival *v = &m->ivals[t->order[i]];
        int ka, kb;
        p = prio_of(v);
        if (p == P_NONE || !ival_span(v, t0, t1, colw, ncols, &ka, &kb)) {
            continue;
        }
        for (k = ka; k <= kb; k++) {
            share[(size_t)k * (P_RUN + 1) + (size_t)p] += cell_weight(v, t0, t1, colw, k, ka == kb);
        }
    }
    for (k = 0; k < ncols; k++) {
        double *sh = &share[(size_t)k * (P_RUN + 1)], covered = 0, top = 0;
        int win = P_NONE;
        for (p = 1; p <= P_RUN; p++) {
            covered += sh[p];
            /* ties go to the more important state */
            if (sh[p] > 0 && sh[p] >= top) {
                top = sh[p];
                win = p;
            }
        }
        if (colw - covered > top) {
            win = P_NONE; /* mostly nothing: not alive, or between slices */
        }
        cells[k].prio = (uint8_t)win;
    }
    /* the interval of the winning state that covers most of each cell */
    for (i = t->first[r]; i < m->nivals && m->ivals[t->order[i]].row == r; i++) {
        const struct ival *v = &m->ivals[t->order[i]];
        int ka, kb;
        p = prio_of(v);
        if (p == P_NONE || !ival_span(v, t0, t1, colw, ncols, &ka, &kb)) {
            continue;
        }
        for (k = ka; k <= kb; k++) {
            double w = cell_weight(v, t0, t1, colw, k, 1);
            if (cells[k].prio == p && w > best[k]) {
                best[k] = w;
                cells[k].ival = (uint32_t)(t->order[i] + 1);
            }
        }
    }
    free(share);
    free(best);
}

const char *row_label(const struct ctx *c, const struct trow *r, char *buf, size_t len)
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

const char *ival_label(const struct ctx *c, const struct ival *v, char *buf, size_t len)
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

/*
 * A name shared by every instance of the same thing, so that Perfetto groups
 * them: no ids (they go to args), the task's name or spawn site, the await
 * or callback site.
 */
const char *ival_name(const struct ctx *c, const struct ival *v, char *buf, size_t len)
{
    const struct model *m = c->m;
    const struct trow *row = &m->rows[v->row];
    char sb[256], nb[256];
    const char *who = model_str(m, row->name);

    if (row->type == ROW_TASK && who[0] == '\0') {
        who = model_site_str(m, row->site, nb, sizeof nb);
    }
    model_site_str(m, v->site, sb, sizeof sb);
    switch (v->state) {
    case IV_READY:
        snprintf(buf, len, "ready %s", who);
        break;
    case IV_RUN:
        snprintf(buf, len, "run %s", who);
        break;
    case IV_WAIT:
        snprintf(buf, len, "%s%s at %s", v->kind == WAIT_SLEEP || v->kind == WAIT_YIELD ? "" : "wait ",
                 ev_wait_kind_name(v->kind), sb);
        break;
    case IV_CALLBACK:
        if (model_str(m, v->obj_site)[0] != '\0') {
            snprintf(buf, len, "%s %s", ev_kind_name(v->kind), model_str(m, v->obj_site));
        } else {
            snprintf(buf, len, "%s %s", ev_kind_name(v->kind), v->site ? sb : "(internal)");
        }
        break;
    case IV_POLL:
        snprintf(buf, len, "poll");
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
    uint64_t g0, g1;
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
        tl_window(c, &g0, &g1);
        g0 = g0 > l->t_first ? g0 : l->t_first;
        g1 = g1 < l->t_last ? g1 : l->t_last;
        if (g1 <= g0) {
            fprintf(c->out, "  (no time of this loop in the window)\n\n");
            continue;
        }
        fprintf(c->out, "  %-22s +%-*.6f+%.6f s\n", "", c->o->width - 9, model_rel_s(m, g0), model_rel_s(m, g1));
        shown = 0;
        for (r = 0; r < m->nrows; r++) {
            const struct trow *row = &m->rows[r];
            if (row->vpid != l->vpid || row->loop_id != l->loop_id) {
                continue;
            }
            if (row->type == ROW_TASK && !c->o->all && shown++ >= TEXT_ROWS_PER_LOOP) {
                continue;
            }
            row_cells(t, r, g0, g1, cells, c->o->width);
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
const char *state_name(uint8_t s)
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

int report_timeline(const struct ctx *c)
{
    struct tl t;
    int rc = tl_init(&t, c);

    if (rc == 0 && c->o->chrome != NULL) {
        rc = timeline_chrome(c, &t, c->o->chrome);
        if (rc < 0) {
            fprintf(stderr, "loop-analyze: %s: %s\n", c->o->chrome, strerror(-rc));
            rc = -ECANCELED; /* reported */
        }
    }
    if (rc == 0 && c->o->html != NULL) {
        rc = timeline_html(c, &t, c->o->html);
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
