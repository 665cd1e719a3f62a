/*
 * model_dispatch.c — handles and what the loop runs: handle life cycles
 * (libloop's internal timers, call-soons and work items recognized), callback
 * begin/end with their step time, delay, folded stack and slow instances,
 * utilization over time, stalls with their backtrace, slow_callback and
 * error events, and gaps (discarded events).
 */
#include "model_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Handle and dispatch events                                              */

void model__on_handle_new(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h;
    struct mtask *owner = NULL;

    if (ev->kind == KIND_TIMER && l->prev_type == EV_TASK_NEW && l->last_task_new_id != 0 &&
        ev->id == l->last_task_new_id + 1) {
        owner = model_task(l, l->last_task_new_id);
    }
    h = model__handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
    if (h == NULL) {
        return;
    }
    if (h->flags & HF_SEEN_NEW) {
        l->anomalies++;
        return;
    }
    h->flags |= HF_SEEN_NEW;
    h->kind = ev->kind < KIND_MAX ? ev->kind : KIND_NONE;
    h->name = model__intern_name(m, ev->name);
    h->site = model__site_of(m, &ev->site);
    h->parent_task = ev->parent_task;
    h->t_new = ev->ts_ns;
    if (owner != NULL) {
        h->flags |= HF_INTERNAL;
        h->owner_task = owner->o.id;
        owner->timer_id = h->o.id;
        return;
    }
    if (h->kind == KIND_DEFER) {
        h->t_pending = ev->ts_ns; /* a call-soon is queued at once */
    }
    if (h->kind == KIND_IO && l->cur_task != 0) {
        l->fdw_candidate = h->o.id;
    }
    l->handles_new++;
}

void model__on_handle_start(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h = model__handle_get(m, l, ev->id, ev->kind, ev->ts_ns);

    if (h == NULL) {
        return;
    }
    h->flags |= HF_ACTIVE | HF_STARTED;
    if (h->kind == KIND_IO) {
        h->fd = ev->fd;
    }
    if (h->kind == KIND_TIMER && l->have_clock_off) {
        h->t_pending = (uint64_t)((int64_t)ev->due_ns + l->clock_off);
    } else {
        h->t_pending = ev->ts_ns;
    }
}

void model__on_handle_close(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h = model__handle_get(m, l, ev->id, ev->kind, ev->ts_ns);

    if (h == NULL) {
        return;
    }
    if (h->flags & HF_INTERNAL) {
        /* a task's own timeout timer, closed when libloop frees the task: not the program's */
        model__handle_free(l, h);
        return;
    }
    if (!(h->flags & HF_CLOSING)) {
        l->handles_closed++;
    }
    h->flags |= HF_CLOSING;
    h->flags &= (uint8_t)~HF_ACTIVE;
    h->t_close = ev->ts_ns;
    /*
     * Names come from handle_new and handle_name only. babeltrace2 2.0 can
     * decode an empty string field as an earlier event's value, so a close
     * event's name is taken only for a handle the trace never showed made
     * (created before tracing started) and that has no name yet.
     */
    if (ev->name[0] != '\0' && !(h->flags & HF_SEEN_NEW) && h->name == 0) {
        h->name = model__intern_name(m, ev->name);
    }
}

void model__on_callback_begin(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h;
    struct prof *p;

    if (l->flags & LF_CB_OPEN) {
        l->anomalies++; /* the previous callback never ended */
    }
    l->flags |= LF_CB_OPEN;
    l->cb_id = ev->id;
    l->cb_kind = ev->kind;
    l->cb_begin = ev->ts_ns;
    if (ev->kind == KIND_TASK) {
        return;
    }
    h = model__handle_get(m, l, ev->id, ev->kind, ev->ts_ns);
    if (h == NULL) {
        return;
    }
    if (h->t_pending != 0 && ev->kind != KIND_CLOSE) {
        p = model__prof_handle(m, ev->kind, h);
        if (p != NULL && hist_add(&p->delay, since(h->t_pending, ev->ts_ns)) < 0) {
            m->oom = 1;
        }
        h->t_pending = 0;
    }
}

void model__util_add(struct util_series *u, uint64_t ts, uint64_t busy, uint64_t iter_ns, int iter)
{
    size_t b, i;

    if (u->width == 0) {
        u->t0 = ts;
        u->width = 10 * 1000 * 1000; /* 10 ms, doubling as the trace goes on */
    }
    if (ts < u->t0) {
        ts = u->t0;
    }
    while ((ts - u->t0) / u->width >= UTIL_BUCKETS) {
        for (i = 0; i < UTIL_BUCKETS / 2; i++) {
            u->busy[i] = u->busy[2 * i] + u->busy[2 * i + 1];
            u->iters[i] = u->iters[2 * i] + u->iters[2 * i + 1];
            u->max_iter[i] = u->max_iter[2 * i] > u->max_iter[2 * i + 1] ? u->max_iter[2 * i]
                                                                          : u->max_iter[2 * i + 1];
        }
        memset(u->busy + UTIL_BUCKETS / 2, 0, sizeof(u->busy) / 2);
        memset(u->iters + UTIL_BUCKETS / 2, 0, sizeof(u->iters) / 2);
        memset(u->max_iter + UTIL_BUCKETS / 2, 0, sizeof(u->max_iter) / 2);
        u->width *= 2;
    }
    b = (size_t)((ts - u->t0) / u->width);
    u->busy[b] += busy;
    if (iter) {
        u->iters[b]++;
        if (iter_ns > u->max_iter[b]) {
            u->max_iter[b] = iter_ns;
        }
    }
}

void model__on_callback_end(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mhandle *h = NULL;
    struct mtask *t = NULL;
    struct prof *p = NULL;
    uint64_t d;
    uint32_t site = 0, name = 0, site2 = 0;

    if (!(l->flags & LF_CB_OPEN) || l->cb_id != ev->id || l->cb_kind != ev->kind) {
        l->anomalies++;
        l->flags &= ~(uint32_t)LF_CB_OPEN;
        return;
    }
    l->flags &= ~(uint32_t)LF_CB_OPEN;
    l->fdw_candidate = 0;
    d = since(l->cb_begin, ev->ts_ns);
    if (l->stall_open != 0 && l->stall_open <= m->nstalls) {
        struct stall *st = &m->stalls[l->stall_open - 1];
        if (st->id == ev->id && st->cb_begin == l->cb_begin && d >= st->detected_ns) {
            st->duration_ns = d; /* the watchdog saw it part of the way: the whole of it */
            st->ended = 1;
        }
    }
    l->stall_open = 0;
    l->callbacks++;
    l->busy_ns += d;
    model__util_add(&l->util, l->cb_begin, d, 0, 0);
    if (ev->kind == KIND_TASK) {
        t = model_task(l, ev->id);
        if (t != NULL) {
            p = model__prof_task(m, t->name, t->site);
            name = t->name;
            site = t->site;
            site2 = t->wait_site;
        } else if (l->done_id == ev->id) {
            /* the step that finished the task (already released at task_done) */
            p = model__prof_task(m, l->done_name, l->done_site);
            name = l->done_name;
            site = l->done_site;
            site2 = l->done_wait_site;
        }
    } else {
        h = model_handle(l, ev->id);
        if (h != NULL) {
            /* libloop's own (a task's timer or fd waiter) profile apart, under the task's site */
            p = model__prof_handle(m, ev->kind, h);
            name = h->name;
            site = h->site;
            h->callbacks++;
        }
    }
    {
        struct ival *v = model__ival_add(m, model__loop_row(m, l), IV_CALLBACK, ev->kind, l->cb_begin,
                                         ev->ts_ns, ev->id, site);
        if (v != NULL) {
            v->obj_site = name; /* IV_CALLBACK: the handle's or task's name (strtab) */
        }
    }
    if (p != NULL && hist_add(&p->step, d) < 0) {
        m->oom = 1;
    }
    if (p != NULL && ev->kind == KIND_TASK && mloop_has_io(l)) {
        p->io_traced = 1; /* its I/O is in the trace, none included */
    }
    if (h != NULL && ev->kind != KIND_TASK && !(h->flags & HF_INTERNAL)) {
        struct akey k = {((uint64_t)l->proc->procname << 32) | ev->kind, h->site, l->loop_id};
        struct fold *f = model__agg_get(m, &m->folds, k, sizeof(*f));
        if (f != NULL) {
            f->proc = l->proc->procname;
            f->loop_id = l->loop_id;
            f->kind = ev->kind;
            f->name = h->name;
            f->site = h->site;
            f->ns += d;
            f->count++;
        }
    }
    if (d > m->opts.threshold_ns && (h == NULL || !(h->flags & HF_INTERNAL))) {
        struct instance in = {l->vpid, l->loop_id, ev->id, ev->kind, 0, name, site, site2,
                              l->cb_begin, d, 0, (uint8_t)((l->flags & LF_GAP) != 0)};
        model__topk_add(&m->slow_steps, &in);
        if (p != NULL) {
            p->over++;
        }
    }
    if (h == NULL) {
        return;
    }
    /* objects whose life ends with this callback */
    if (ev->kind == KIND_CLOSE ||
        (ev->kind == KIND_DEFER && !(h->flags & HF_STARTED) && (h->flags & HF_SEEN_NEW)) ||
        ev->kind == KIND_WORK) {
        if (ev->kind == KIND_DEFER) {
            l->call_soons++;
        } else if (ev->kind == KIND_WORK) {
            l->work_items++;
        }
        model__handle_free(l, h);
    }
}

void model__on_stall(struct model *m, struct mloop *l, const struct event *ev)
{
    struct stall *s, *ns;
    size_t len;

    l->stalls++;
    m->stalls_total++;
    if (m->nstalls >= MODEL_MAX_LIST) {
        return;
    }
    ns = realloc(m->stalls, (m->nstalls + 1) * sizeof(*ns));
    if (ns == NULL) {
        m->oom = 1;
        return;
    }
    m->stalls = ns;
    s = &m->stalls[m->nstalls];
    memset(s, 0, sizeof(*s));
    s->vpid = l->vpid;
    s->loop_id = l->loop_id;
    s->id = ev->id;
    s->ts = ev->ts_ns;
    s->duration_ns = ev->duration_ns;
    s->detected_ns = ev->duration_ns;
    s->kind = (l->flags & LF_CB_OPEN) && l->cb_id == ev->id ? l->cb_kind : KIND_NONE;
    if ((l->flags & LF_CB_OPEN) && l->cb_id == ev->id) {
        s->cb_begin = l->cb_begin;
        l->stall_open = (uint32_t)m->nstalls + 1; /* its callback_end gives the full duration */
    }
    if (s->kind == KIND_NONE && model_task(l, ev->id) != NULL) {
        s->kind = KIND_TASK;
    }
    if (s->kind == KIND_TASK) {
        struct mtask *t = model_task(l, ev->id);
        if (t != NULL) {
            s->name = t->name;
            s->site = t->site;
            s->site2 = t->wait_site;
        }
    } else {
        struct mhandle *h = model_handle(l, ev->id);
        if (h != NULL) {
            s->kind = h->kind;
            s->name = h->name;
            s->site = h->site;
        }
    }
    len = strlen(ev->backtrace);
    if (len > MAX_BACKTRACE) {
        len = MAX_BACKTRACE;
    }
    s->backtrace = malloc(len + 1);
    if (s->backtrace == NULL) {
        m->oom = 1;
        return;
    }
    memcpy(s->backtrace, ev->backtrace, len);
    s->backtrace[len] = '\0';
    m->nstalls++;
}

void model__on_slow_callback(struct model *m, struct mloop *l, const struct event *ev)
{
    const struct mhandle *h = model_handle(l, ev->id);
    /* the handle's own name when the trace showed it made (see on_handle_close) */
    uint32_t site = model__site_of(m, &ev->site),
             name = h != NULL && (h->flags & HF_SEEN_NEW) ? h->name : model__intern_name(m, ev->name);
    struct instance in = {l->vpid, l->loop_id, ev->id, ev->kind, 0, name, site, 0,
                          ev->ts_ns > ev->duration_ns ? ev->ts_ns - ev->duration_ns : ev->ts_ns,
                          ev->duration_ns, 0, (uint8_t)((l->flags & LF_GAP) != 0)};
    struct akey k = {AGG_SLOW_EVENT, ev->kind, site};
    struct aggsite *a;

    l->slow_callbacks++;
    model__topk_add(&m->slow_events, &in);
    a = model__agg_get(m, &m->aggs, k, sizeof(*a));
    if (a != NULL) {
        if (a->count == 0) {
            a->first_ts = ev->ts_ns;
            a->example_id = ev->id;
            a->vpid = l->vpid;
            a->loop_id = l->loop_id;
        }
        a->what = AGG_SLOW_EVENT;
        a->kind = ev->kind;
        a->site = site;
        a->name = name;
        a->count++;
        a->last_ts = ev->ts_ns;
        if (ev->duration_ns > a->value) {
            a->value = ev->duration_ns;
        }
    }
}

void model__on_error(struct model *m, struct mloop *l, const struct event *ev)
{
    struct merror *e;
    size_t i;
    uint32_t msg;

    l->errors++;
    for (i = 0; i < m->nerrors; i++) {
        e = &m->errors[i];
        if (e->vpid == l->vpid && e->loop_id == l->loop_id && e->err == ev->err &&
            strcmp(model_str(m, e->msg), ev->msg) == 0) {
            e->count++;
            e->ts_last = ev->ts_ns;
            return;
        }
    }
    if (m->nerrors >= MODEL_MAX_LIST) {
        return;
    }
    msg = model__intern_name(m, ev->msg);
    e = realloc(m->errors, (m->nerrors + 1) * sizeof(*e));
    if (e == NULL) {
        m->oom = 1;
        return;
    }
    m->errors = e;
    e = &m->errors[m->nerrors++];
    memset(e, 0, sizeof(*e));
    e->vpid = l->vpid;
    e->loop_id = l->loop_id;
    e->err = ev->err;
    e->msg = msg;
    e->kind = ev->kind;
    e->id = ev->id;
    e->ts_first = e->ts_last = ev->ts_ns;
    e->count = 1;
}

void model__on_discarded(struct model *m, const struct event *ev)
{
    size_t i;
    struct gap *g;

    if (ev->packets) {
        m->discarded_packets += ev->count ? ev->count : 1;
    } else {
        m->discarded_events += ev->count;
    }
    /* every loop alive during the gap may have lost events */
    for (i = 0; i < m->nloops; i++) {
        struct mloop *l = m->loops[i];
        if (!(l->flags & LF_CLOSED) || ev->gap_begin_ns == 0 || l->t_close >= ev->gap_begin_ns) {
            l->flags |= LF_GAP;
        }
    }
    if (m->ngaps >= MODEL_MAX_LIST) {
        return;
    }
    g = realloc(m->gaps, (m->ngaps + 1) * sizeof(*g));
    if (g == NULL) {
        m->oom = 1;
        return;
    }
    m->gaps = g;
    g = &m->gaps[m->ngaps++];
    g->begin_ns = ev->gap_begin_ns;
    g->end_ns = ev->gap_end_ns;
    g->count = ev->count;
    g->packets = ev->packets;
    g->trace = ev->trace;
}
