/*
 * causality.c — `loop-analyze tree` and `loop-analyze why TASK`: who spawned
 * whom, and what decided when a task ran and finished.
 *
 * tree: each loop's tasks as a spawn tree (the trace's parent_task), with
 * their end state, time running and waiting, and what each waits on at the
 * end. Siblings of the same name and state past TREE_SIBLINGS are folded
 * into one line ("... 2990 more") unless --all.
 *
 * why: the critical path that ends at TASK's end (or at the end of the trace
 * when it never finished), walked backwards over the timeline intervals:
 * in a task's own row, running, ready (scheduling delay) and waits that time
 * or I/O ended belong to the path; a wait that another task ended (the
 * wakeup's source: task_ready's by_id) hands the path to that task at the
 * moment of the wakeup; a task's first moment hands it to its parent. The
 * path covers each instant once, so its segments add up to its length;
 * the totals say how much of it went to running, to scheduling delay, and
 * to waiting on each resource.
 */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TREE_SIBLINGS 8
#define WHY_MAX_SEGMENTS 100000

/* ---------------------------------------------------------------------- */
/* tree                                                                    */

struct node {
    size_t row;
    size_t first_child, next; /* indexes + 1 into the node array, 0 = none */
};

struct forest {
    struct node *n;   /* one per row, same index */
    size_t nrows;
};

static int forest_build(const struct tl *t, struct forest *f)
{
    const struct model *m = t->c->m;
    size_t r, *last;

    f->nrows = m->nrows;
    f->n = calloc(m->nrows + 1, sizeof(*f->n));
    last = calloc(m->nrows + 1, sizeof(*last));
    if (f->n == NULL || last == NULL) {
        free(last);
        return -ENOMEM;
    }
    for (r = 0; r < m->nrows; r++) {
        const struct trow *row = &m->rows[r];
        size_t p;
        f->n[r].row = r;
        if (row->type != ROW_TASK || row->parent == 0) {
            continue;
        }
        p = tl_row_of(t, row->vpid, row->loop_id, row->parent);
        if (p == SIZE_MAX || p == r) {
            continue;
        }
        if (last[p] == 0) { /* children in row (spawn) order */
            f->n[p].first_child = r + 1;
        } else {
            f->n[last[p] - 1].next = r + 1;
        }
        last[p] = r + 1;
    }
    /* mark children: a row with a parent in the forest is not a root */
    free(last);
    return 0;
}

static int is_root(const struct tl *t, size_t r)
{
    const struct trow *row = &t->c->m->rows[r];
    size_t p;

    if (row->type != ROW_TASK) {
        return 0;
    }
    if (row->parent == 0) {
        return 1;
    }
    p = tl_row_of(t, row->vpid, row->loop_id, row->parent);
    return p == SIZE_MAX || p == r;
}

static const char *end_wait(const struct ctx *c, const struct trow *row, char *buf, size_t len)
{
    char sb[256], ob[300];

    if (row->end_state != TS_WAITING) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, len, "; waits on %s %" PRIu64 "%s at %s", ev_wait_kind_name(row->end_wait), row->end_obj,
             describe_obj_site(c, row->end_obj_site, ob, sizeof ob), model_site_str(c->m, row->end_site, sb, sizeof sb));
    return buf;
}

static void tree_text(const struct tl *t, const struct forest *f, size_t r, char *prefix, size_t plen, int last)
{
    const struct ctx *c = t->c;
    const struct model *m = c->m;
    const struct trow *row = &m->rows[r];
    char lb[256], sb[256], a[32], b[32], wb[700];
    size_t k, shown = 0, n = strlen(prefix);

    fprintf(c->out, "%s%s%s %s, ran %s, waited %s, spawned +%.6f s at %s%s\n", prefix, last ? "└─ " : "├─ ",
            row_label(c, row, lb, sizeof lb), ev_task_state_name(row->end_state), fmt_dur(a, sizeof a, t->st[r].run),
            fmt_dur(b, sizeof b, t->st[r].wait), model_rel_s(m, row->t_begin), model_site_str(m, row->site, sb, sizeof sb),
            end_wait(c, row, wb, sizeof wb));
    if (n + 4 >= plen) {
        return; /* deeper than the prefix can show */
    }
    strcat(prefix, last ? "   " : "│  ");
    for (k = f->n[r].first_child; k != 0; k = f->n[k - 1].next) {
        size_t ch = k - 1, same = 0, j;
        const struct trow *cr = &m->rows[ch];
        int is_last = f->n[ch].next == 0;
        if (!c->o->all && shown >= TREE_SIBLINGS) {
            /* fold the rest: count them by (name, state) */
            size_t rest = 0;
            for (j = k; j != 0; j = f->n[j - 1].next) {
                rest++;
                same += m->rows[j - 1].name == cr->name && m->rows[j - 1].end_state == cr->end_state;
            }
            fprintf(c->out, "%s└─ ... %zu more task(s)%s%s%s (--all shows them)\n", prefix, rest,
                    same == rest ? ", all \"" : "", same == rest ? model_str(m, cr->name) : "",
                    same == rest ? "\"" : "");
            break;
        }
        tree_text(t, f, ch, prefix, plen, is_last);
        shown++;
    }
    prefix[n] = '\0';
}

static void tree_json(const struct tl *t, const struct forest *f, struct jw *w, size_t r, int depth)
{
    const struct ctx *c = t->c;
    const struct model *m = c->m;
    const struct trow *row = &m->rows[r];
    size_t k;

    jw_obj(w, NULL);
    jw_u64(w, "id", row->id);
    jw_str(w, "name", model_str(m, row->name));
    jw_str(w, "end_state", row->end_state == TS_NEW ? "new" : ev_task_state_name(row->end_state));
    json_site(c, w, "spawn_site", row->site);
    jw_u64(w, "begin_ns", row->t_begin);
    jw_u64(w, "end_ns", row->t_end);
    jw_u64(w, "running_ns", t->st[r].run);
    jw_u64(w, "waiting_ns", t->st[r].wait);
    if (row->end_state == TS_WAITING) {
        jw_obj(w, "waits_on");
        jw_str(w, "kind", ev_wait_kind_name(row->end_wait));
        jw_u64(w, "obj", row->end_obj);
        json_site(c, w, "site", row->end_site);
        jw_end_obj(w);
    }
    jw_arr(w, "children");
    if (depth < 48) { /* the JSON writer's nesting limit */
        for (k = f->n[r].first_child; k != 0; k = f->n[k - 1].next) {
            tree_json(t, f, w, k - 1, depth + 1);
        }
    }
    jw_end_arr(w);
    jw_end_obj(w);
}

static int loop_row_selected(const struct ctx *c, const struct trow *row)
{
    return (c->o->pid < 0 || row->vpid == c->o->pid) && (c->o->loop < 0 || (int64_t)row->loop_id == c->o->loop);
}

int report_tree(const struct ctx *c)
{
    const struct model *m = c->m;
    struct tl t;
    struct forest f = {0};
    struct jw w;
    size_t i, r;
    char lb[256], prefix[200];
    int rc = tl_init(&t, c);

    if (rc == 0) {
        rc = forest_build(&t, &f);
    }
    if (rc < 0) {
        goto out;
    }
    if (c->o->json) {
        json_begin(c, &w);
        jw_arr(&w, "loops");
    } else {
        text_trace_warnings(c);
    }
    for (i = 0; i < m->nloops; i++) {
        const struct mloop *l = m->loops[i];
        if (!ctx_loop_selected(c, l)) {
            continue;
        }
        if (c->o->json) {
            jw_obj(&w, NULL);
            jw_i64(&w, "vpid", l->vpid);
            jw_u64(&w, "loop", l->loop_id);
            jw_arr(&w, "tasks");
        } else {
            fprintf(c->out, "%s\n", describe_loop(c, l, lb, sizeof lb));
        }
        for (r = 0; r < m->nrows; r++) {
            const struct trow *row = &m->rows[r];
            size_t nx;
            if (row->vpid != l->vpid || row->loop_id != l->loop_id || !loop_row_selected(c, row) || !is_root(&t, r)) {
                continue;
            }
            if (c->o->json) {
                tree_json(&t, &f, &w, r, 4);
                continue;
            }
            for (nx = r + 1; nx < m->nrows; nx++) { /* is another root of this loop after it? */
                const struct trow *o = &m->rows[nx];
                if (o->vpid == l->vpid && o->loop_id == l->loop_id && is_root(&t, nx)) {
                    break;
                }
            }
            prefix[0] = '\0';
            tree_text(&t, &f, r, prefix, sizeof prefix, nx == m->nrows);
        }
        if (c->o->json) {
            jw_end_arr(&w);
            jw_end_obj(&w);
        } else {
            fputc('\n', c->out);
        }
    }
    if (c->o->json) {
        jw_end_arr(&w);
        jw_end_obj(&w);
    }
out:
    free(f.n);
    tl_free(&t);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* why                                                                     */

enum seg_what { SEG_RUN = 1, SEG_READY, SEG_WAIT, SEG_SPAWN, SEG_WAKE };

struct seg {
    size_t row;
    uint64_t start, end;
    size_t ival;     /* index in m->ivals, SIZE_MAX for spawn/wake hand-offs */
    uint8_t what;    /* enum seg_what */
    size_t to_row;   /* SEG_SPAWN / SEG_WAKE: the task handed to */
};

struct path {
    struct seg *v;
    size_t n, cap;
};

static int seg_add(struct path *p, struct seg s)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        struct seg *nv = realloc(p->v, nc * sizeof(*nv));
        if (nv == NULL) {
            return -ENOMEM;
        }
        p->v = nv;
        p->cap = nc;
    }
    p->v[p->n++] = s;
    return 0;
}

/* Position in t->order of row r's last interval that starts before ts (or at ts if empty), SIZE_MAX if none. */
static size_t last_before(const struct tl *t, size_t r, uint64_t ts)
{
    const struct model *m = t->c->m;
    size_t lo, hi, best = SIZE_MAX;

    if (t->first[r] == SIZE_MAX) {
        return SIZE_MAX;
    }
    lo = t->first[r];
    hi = lo;
    while (hi < m->nivals && m->ivals[t->order[hi]].row == r) {
        hi++;
    }
    while (lo < hi) { /* first position whose start is >= ts */
        size_t mid = lo + (hi - lo) / 2;
        if (m->ivals[t->order[mid]].start < ts) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return best;
}

/* Walk back from (row r, time ts) to the start of the chain; segments come out newest first. */
static int critical_path(const struct tl *t, size_t r, uint64_t ts, struct path *p)
{
    const struct model *m = t->c->m;
    size_t guard = 0;

    while (guard++ < WHY_MAX_SEGMENTS) {
        const struct trow *row = &m->rows[r];
        size_t pos = last_before(t, r, ts), par;
        int rc;
        if (pos == SIZE_MAX) {
            /* before the task's first interval: its spawn hands the path to its parent */
            par = row->parent ? tl_row_of(t, row->vpid, row->loop_id, row->parent) : SIZE_MAX;
            if (par == SIZE_MAX || par == r) {
                return 0;
            }
            /* spawned, not yet ready: from task_new to its first interval */
            if (ts > row->t_begin && (rc = seg_add(p, (struct seg){r, row->t_begin, ts, SIZE_MAX, SEG_READY, 0})) < 0) {
                return rc;
            }
            rc = seg_add(p, (struct seg){par, row->t_begin, row->t_begin, SIZE_MAX, SEG_SPAWN, r});
            if (rc < 0) {
                return rc;
            }
            r = par;
            ts = row->t_begin;
            continue;
        }
        for (;; pos--) {
            size_t ix = t->order[pos];
            const struct ival *v = &m->ivals[ix];
            uint64_t end = v->end < ts ? v->end : ts;
            if (v->state == IV_READY && v->kind == KIND_TASK && v->obj != 0 && v->obj != row->id) {
                size_t wr = tl_row_of(t, row->vpid, row->loop_id, v->obj);
                if (wr != SIZE_MAX && wr != r) {
                    /* the ready part is ours; what came before it is the waker's */
                    if ((rc = seg_add(p, (struct seg){r, v->start, end, ix, SEG_READY, 0})) < 0 ||
                        (rc = seg_add(p, (struct seg){wr, v->start, v->start, SIZE_MAX, SEG_WAKE, r})) < 0) {
                        return rc;
                    }
                    r = wr;
                    ts = v->start;
                    break;
                }
            }
            rc = seg_add(p, (struct seg){r, v->start, end, ix,
                                         v->state == IV_RUN ? SEG_RUN : v->state == IV_READY ? SEG_READY : SEG_WAIT, 0});
            if (rc < 0) {
                return rc;
            }
            ts = v->start;
            if (pos == t->first[r]) {
                pos = SIZE_MAX;
                break;
            }
        }
        if (pos == SIZE_MAX) {
            /* next turn finds no interval before ts: the spawn */
            if (last_before(t, r, ts) != SIZE_MAX) {
                return 0; /* intervals out of order: stop rather than loop */
            }
        }
    }
    return 0;
}

/* The resource a waiting segment was spent on: "sleep at x.c:3 (f)", "lock 2 at ..." */
static const char *seg_resource(const struct ctx *c, const struct ival *v, char *buf, size_t len)
{
    char sb[256];

    model_site_str(c->m, v->site, sb, sizeof sb);
    if (v->kind == WAIT_SLEEP || v->kind == WAIT_YIELD) {
        snprintf(buf, len, "%s at %s", ev_wait_kind_name(v->kind), sb);
    } else {
        snprintf(buf, len, "%s %" PRIu64 " at %s", ev_wait_kind_name(v->kind), v->obj, sb);
    }
    return buf;
}

static size_t find_task_row(const struct tl *t, const char *spec)
{
    const struct ctx *c = t->c;
    const struct model *m = c->m;
    char *end;
    unsigned long long id = strtoull(spec, &end, 10);
    size_t r, found = SIZE_MAX;

    for (r = 0; r < m->nrows; r++) {
        const struct trow *row = &m->rows[r];
        int hit = *end == '\0' ? row->id == id : strcmp(model_str(m, row->name), spec) == 0;
        if (row->type != ROW_TASK || !loop_row_selected(c, row) || !hit) {
            continue;
        }
        if (found != SIZE_MAX) {
            return SIZE_MAX - 1; /* ambiguous */
        }
        found = r;
    }
    return found;
}

struct total {
    char what[300];
    uint64_t ns;
};

static int total_add(struct total **v, size_t *n, const char *what, uint64_t ns)
{
    size_t i;
    struct total *nv;

    for (i = 0; i < *n; i++) {
        if (strcmp((*v)[i].what, what) == 0) {
            (*v)[i].ns += ns;
            return 0;
        }
    }
    nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (nv == NULL) {
        return -ENOMEM;
    }
    *v = nv;
    snprintf(nv[*n].what, sizeof nv[*n].what, "%s", what);
    nv[*n].ns = ns;
    (*n)++;
    return 0;
}

static int cmp_total(const void *a, const void *b)
{
    const struct total *x = a, *y = b;
    return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : strcmp(x->what, y->what);
}

int report_why(const struct ctx *c)
{
    const struct model *m = c->m;
    struct tl t;
    struct path p = {0};
    struct total *tot = NULL;
    size_t ntot = 0, r, i;
    uint64_t end, start, len;
    char lb[256], lb2[256], rb[300], db[32], sb[256];
    struct jw w;
    int rc = tl_init(&t, c);

    if (rc < 0) {
        goto out;
    }
    r = find_task_row(&t, c->o->task);
    if (r >= SIZE_MAX - 1) {
        fprintf(stderr, "loop-analyze: why: %s task \"%s\" in this trace%s\n",
                r == SIZE_MAX ? "no" : "more than one", c->o->task,
                r == SIZE_MAX ? "" : " (choose with --pid and --loop)");
        rc = -ECANCELED; /* reported */
        goto out;
    }
    end = m->rows[r].end_state >= TS_DONE && m->rows[r].end_state <= TS_FAILED ? m->rows[r].t_end : m->t_last;
    rc = critical_path(&t, r, end, &p);
    if (rc < 0) {
        goto out;
    }
    start = p.n ? p.v[p.n - 1].start : end;
    len = end - start;
    for (i = 0; i < p.n; i++) {
        const struct seg *s = &p.v[i];
        const struct trow *row = &m->rows[s->row];
        if (s->what == SEG_RUN) {
            snprintf(rb, sizeof rb, "running (%s)", row_label(c, row, lb, sizeof lb));
        } else if (s->what == SEG_READY) {
            snprintf(rb, sizeof rb, "ready, waiting for the loop");
        } else if (s->what == SEG_WAIT) {
            seg_resource(c, &m->ivals[s->ival], rb, sizeof rb);
        } else {
            continue;
        }
        if ((rc = total_add(&tot, &ntot, rb, s->end - s->start)) < 0) {
            goto out;
        }
    }
    if (ntot > 1) {
        qsort(tot, ntot, sizeof(*tot), cmp_total);
    }
    if (c->o->json) {
        json_begin(c, &w);
        jw_obj(&w, "task");
        jw_u64(&w, "id", m->rows[r].id);
        jw_i64(&w, "vpid", m->rows[r].vpid);
        jw_u64(&w, "loop", m->rows[r].loop_id);
        jw_str(&w, "name", model_str(m, m->rows[r].name));
        jw_str(&w, "end_state", m->rows[r].end_state == TS_NEW ? "new" : ev_task_state_name(m->rows[r].end_state));
        jw_end_obj(&w);
        jw_u64(&w, "path_begin_ns", start);
        jw_u64(&w, "path_end_ns", end);
        jw_arr(&w, "path"); /* oldest first */
        for (i = p.n; i-- > 0;) {
            const struct seg *s = &p.v[i];
            static const char *const whats[] = {"", "running", "ready", "waiting", "spawned", "woke"};
            jw_obj(&w, NULL);
            jw_u64(&w, "task", m->rows[s->row].id);
            jw_str(&w, "what", whats[s->what]);
            jw_u64(&w, "begin_ns", s->start);
            jw_u64(&w, "end_ns", s->end);
            if (s->what == SEG_WAIT) {
                const struct ival *v = &m->ivals[s->ival];
                jw_str(&w, "wait_kind", ev_wait_kind_name(v->kind));
                jw_u64(&w, "obj", v->obj);
                json_site(c, &w, "site", v->site);
            } else if (s->what == SEG_SPAWN || s->what == SEG_WAKE) {
                jw_u64(&w, "other_task", m->rows[s->to_row].id);
            }
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_arr(&w, "totals");
        for (i = 0; i < ntot; i++) {
            jw_obj(&w, NULL);
            jw_str(&w, "what", tot[i].what);
            jw_u64(&w, "ns", tot[i].ns);
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_end_obj(&w);
        goto out;
    }
    text_trace_warnings(c);
    fprintf(c->out, "why %s (%s) %s at +%.6f s: the chain of %s before it\n", row_label(c, &m->rows[r], lb, sizeof lb),
            model_site_str(m, m->rows[r].site, sb, sizeof sb),
            m->rows[r].end_state >= TS_DONE && m->rows[r].end_state <= TS_FAILED ? "ended" : "was still unfinished",
            model_rel_s(m, end), fmt_dur(db, sizeof db, len));
    for (i = p.n; i-- > 0;) {
        const struct seg *s = &p.v[i];
        const struct trow *row = &m->rows[s->row];
        row_label(c, row, lb, sizeof lb);
        fprintf(c->out, "  +%.6f  ", model_rel_s(m, s->start));
        switch (s->what) {
        case SEG_SPAWN:
            fprintf(c->out, "%s spawned %s\n", lb, row_label(c, &m->rows[s->to_row], lb2, sizeof lb2));
            break;
        case SEG_WAKE:
            fprintf(c->out, "%s woke %s\n", lb, row_label(c, &m->rows[s->to_row], lb2, sizeof lb2));
            break;
        case SEG_RUN:
            fprintf(c->out, "%s ran %s\n", lb, fmt_dur(db, sizeof db, s->end - s->start));
            break;
        case SEG_READY:
            fprintf(c->out, "%s was ready %s (waiting for the loop)\n", lb, fmt_dur(db, sizeof db, s->end - s->start));
            break;
        default: {
            const struct ival *v = &m->ivals[s->ival];
            fprintf(c->out, "%s waited %s on %s%s\n", lb, fmt_dur(db, sizeof db, s->end - s->start),
                    seg_resource(c, v, rb, sizeof rb),
                    i > 0 && p.v[i - 1].what == SEG_READY && p.v[i - 1].ival != SIZE_MAX &&
                            m->ivals[p.v[i - 1].ival].kind != KIND_TASK &&
                            m->ivals[p.v[i - 1].ival].kind != 0
                        ? (snprintf(lb2, sizeof lb2, ", until %s %" PRIu64 " fired", ev_kind_name(m->ivals[p.v[i - 1].ival].kind),
                                    m->ivals[p.v[i - 1].ival].obj),
                           lb2)
                        : "");
        }
        }
    }
    fprintf(c->out, "where the %s went:\n", fmt_dur(db, sizeof db, len));
    for (i = 0; i < ntot; i++) {
        fprintf(c->out, "  %5.1f%%  %-10s %s\n", len ? 100.0 * (double)tot[i].ns / (double)len : 0.0,
                fmt_dur(db, sizeof db, tot[i].ns), tot[i].what);
    }
out:
    free(p.v);
    free(tot);
    tl_free(&t);
    return rc;
}
