/*
 * model_stuck.c — what trace format minor 2 added for the hang analysis:
 *  - lock_handoff: a releasing owner handed a lock to its first waiter; the
 *    lock's owner is now known, and the waiters queued before wait for it
 *    (model_lock_owner_for);
 *  - loop_stuck: loop_run ran out of work with tasks waiting. Nothing can
 *    wake them: a hang by definition, recorded as an episode (struct
 *    mstuck) that stays a finding when the program then cancels them. In a
 *    loop whose loop_new says an older minor, the same fact is read from a
 *    run_end with rc 0 (nothing alive) while tasks are unfinished.
 *
 * An episode keeps, per waiting task (the first STUCK_MAX_TASKS by id), the
 * tasks that could complete its wait as far as the trace tells (the joined
 * task, the lock's owner, the awaited object's creator and the tasks seen
 * completing such waits, a group's children), a cycle through those edges
 * when there is one, and for the other tasks whether every task that could
 * have woken them had ended (a lost wakeup) or the trace names none.
 * Memory: MODEL_MAX_STUCK episodes of bounded size; later ones are counted.
 */
#include "model_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void model__on_lock_handoff(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mlock *k = model__lock_get(m, l, ev->id);

    if (k == NULL || ev->wait_task == 0) {
        return;
    }
    k->owner = ev->wait_task;
    k->how = OWNER_HANDOFF;
    k->t_owner = ev->ts_ns;
}

/* Remember task id among the tasks that complete waits of one side of s. */
void model__sync_user(struct msync *s, int side, uint64_t id)
{
    uint8_t i;

    if (s == NULL || id == 0) {
        return;
    }
    for (i = 0; i < s->nusers[side]; i++) {
        if (s->users[side][i] == id) {
            return;
        }
    }
    if (s->nusers[side] < MSYNC_USERS) {
        s->users[side][s->nusers[side]++] = id;
    }
}

static void add_waker(const struct mloop *l, struct stuck_task *st, uint64_t id, uint8_t how)
{
    const struct mtask *w;
    uint8_t i;

    if (id == 0 || id == st->task) {
        return;
    }
    for (i = 0; i < st->nwakers; i++) {
        if (st->wakers[i].task == id) {
            return;
        }
    }
    w = model_task(l, id);
    if (w == NULL || (w->flags & TF_FINISHED)) {
        st->ended++; /* finished (a freed record is a finished task) */
        return;
    }
    if (st->nwakers < STUCK_MAX_WAKERS) {
        st->wakers[st->nwakers].task = id;
        st->wakers[st->nwakers].how = how;
        st->wakers[st->nwakers].name = w->name;
        st->nwakers++;
    }
}

/* Who could complete t's wait, as far as the trace tells. */
static void find_wakers(const struct model *m, const struct mloop *l, const struct mtask *t,
                        struct stuck_task *st)
{
    int inferred = 0;
    size_t ncand = 0;
    struct wakers w;
    uint64_t who;
    uint8_t i;

    if (t->state != TS_WAITING) {
        return;
    }
    switch (t->wait_kind) {
    case WAIT_JOIN:
        add_waker(l, st, t->wait_obj, WK_JOINED);
        return;
    case WAIT_LOCK:
        who = model_wait_target(m, l, t, &inferred, &ncand);
        add_waker(l, st, who, inferred ? WK_OWNER_INFERRED : WK_OWNER);
        return;
    default:
        if (!model__obj_wait(t->wait_kind)) {
            return;
        }
        model__wakers(l, t, &w);
        st->ended = w.ended;
        for (i = 0; i < w.n; i++) {
            add_waker(l, st, w.id[i], w.how[i]);
        }
        return;
    }
}

/* The first cycle among the episode's tasks (depth-first, from the lowest id). */
static void find_cycle(struct mstuck *e)
{
    uint8_t color[STUCK_MAX_TASKS] = {0}; /* 0 white, 1 on the path, 2 done */
    int path[STUCK_MAX_TASKS], edge[STUCK_MAX_TASKS];
    size_t depth, start, i;

    for (start = 0; start < e->n; start++) {
        if (color[start] != 0) {
            continue;
        }
        depth = 0;
        path[0] = (int)start;
        edge[0] = 0;
        color[start] = 1;
        while (depth < e->n) {
            struct stuck_task *cur = &e->tasks[path[depth]];
            int nx = -1;
            if (edge[depth] < cur->nwakers) {
                uint64_t w = cur->wakers[edge[depth]++].task;
                for (i = 0; i < e->n; i++) {
                    if (e->tasks[i].task == w) {
                        nx = (int)i;
                        break;
                    }
                }
                if (nx < 0 || color[nx] == 2) {
                    continue;
                }
                if (color[nx] == 1) {
                    /* a cycle: from nx's place on the path to the top */
                    size_t from = 0, k;
                    while (path[from] != nx) {
                        from++;
                    }
                    for (k = from; k <= depth; k++) {
                        struct stuck_task *a = &e->tasks[path[k]];
                        const struct stuck_waker *wk = &a->wakers[edge[k] - 1];
                        a->cls = STUCK_CYCLE;
                        a->next = wk->task;
                        a->next_how = wk->how;
                    }
                    e->ncycle = depth - from + 1;
                    e->cycle_first = e->tasks[nx].task;
                    return;
                }
                depth++;
                path[depth] = nx;
                edge[depth] = 0;
                color[nx] = 1;
                continue;
            }
            color[path[depth]] = 2;
            if (depth == 0) {
                break;
            }
            depth--;
        }
    }
}

static int cmp_task_ptr(const void *a, const void *b)
{
    uint64_t x = (*(const struct mtask *const *)a)->o.id, y = (*(const struct mtask *const *)b)->o.id;

    return x < y ? -1 : x > y;
}

void model__on_loop_stuck(struct model *m, struct mloop *l, const struct event *ev)
{
    struct mtask **v = NULL;
    size_t nv = 0, cap = 0, it = 0, i;
    struct mstuck *e;
    void *p;

    m->stucks_total++;
    l->stuck_open = 0;
    /* nothing can wake them: a cycle among them, through any kind of wait, is one */
    model__check_deadlocks(m, l, ev->ts_ns, 0, 1);
    if (m->nstucks >= MODEL_MAX_STUCK) {
        return;
    }
    while (u64map_next(&l->objs, &it, NULL, &p)) {
        struct mtask *t = p;
        if (t->o.type != OBJ_TASK || (t->flags & TF_FINISHED)) {
            continue;
        }
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct mtask **nvp = realloc(v, nc * sizeof(*nvp));
            if (nvp == NULL) {
                free(v);
                m->oom = 1;
                return;
            }
            v = nvp;
            cap = nc;
        }
        v[nv++] = t;
    }
    if (nv > 1) {
        qsort(v, nv, sizeof(*v), cmp_task_ptr);
    }
    if (nv > STUCK_MAX_TASKS) {
        nv = STUCK_MAX_TASKS;
    }
    e = realloc(m->stucks, (m->nstucks + 1) * sizeof(*e));
    if (e == NULL) {
        free(v);
        m->oom = 1;
        return;
    }
    m->stucks = e;
    e = &m->stucks[m->nstucks];
    memset(e, 0, sizeof(*e));
    e->tasks = calloc(nv ? nv : 1, sizeof(*e->tasks));
    if (e->tasks == NULL) {
        free(v);
        m->oom = 1;
        return;
    }
    m->nstucks++;
    e->vpid = l->vpid;
    e->loop_id = l->loop_id;
    e->ts = ev->ts_ns;
    e->count = ev->count;
    e->gap = (l->flags & LF_GAP) != 0;
    e->n = nv;
    for (i = 0; i < nv; i++) {
        struct stuck_task *st = &e->tasks[i];
        const struct mtask *t = v[i];
        st->task = t->o.id;
        st->state = t->state;
        st->name = t->name;
        st->spawn_site = t->site;
        if (t->state == TS_WAITING) {
            st->wait_kind = t->wait_kind;
            st->obj = t->wait_obj;
            st->since_ns = t->t_state;
            st->wait_site = t->wait_site;
            st->obj_site = t->wait_obj_site;
            st->obj_kind = t->wait_obj_kind;
            st->freed = (t->flags & TF_WAIT_FREED) != 0;
        }
        find_wakers(m, l, t, st);
    }
    free(v);
    find_cycle(e);
    for (i = 0; i < e->n; i++) {
        struct stuck_task *st = &e->tasks[i];
        if (st->cls == STUCK_CYCLE) {
            continue;
        }
        if (st->nwakers > 0) {
            st->cls = STUCK_CHAIN;
        } else if (st->ended > 0 || st->freed) {
            st->cls = STUCK_LOST;
        } else {
            st->cls = STUCK_UNKNOWN;
        }
    }
    l->stuck_open = (uint32_t)m->nstucks;
}

void model__stuck_from_run_end(struct model *m, struct mloop *l, uint64_t ts)
{
    struct event ev;
    size_t it = 0;
    uint64_t n = 0;
    void *p;

    while (u64map_next(&l->objs, &it, NULL, &p)) {
        const struct mtask *t = p;
        n += t->o.type == OBJ_TASK && !(t->flags & TF_FINISHED);
    }
    if (n == 0) {
        return;
    }
    memset(&ev, 0, sizeof ev);
    ev.type = EV_LOOP_STUCK;
    ev.ts_ns = ts;
    ev.loop_id = l->loop_id;
    ev.count = n;
    model__on_loop_stuck(m, l, &ev);
}

/* A task of loop l was woken: the loop's open episode (if any) ends here. */
void model__stuck_woken(struct model *m, struct mloop *l, const struct mtask *t, uint64_t ts)
{
    struct mstuck *e;

    if (l->stuck_open == 0 || l->stuck_open > m->nstucks) {
        return;
    }
    e = &m->stucks[l->stuck_open - 1];
    l->stuck_open = 0;
    if (ts < e->ts) {
        return;
    }
    e->ended_ts = ts;
    e->ended_by_cancel = (t->flags & TF_CANCEL_REQ) != 0 && t->t_cancel >= e->ts;
}

void model__stucks_free(struct model *m)
{
    size_t i;

    for (i = 0; i < m->nstucks; i++) {
        free(m->stucks[i].tasks);
    }
    free(m->stucks);
    m->stucks = NULL;
    m->nstucks = 0;
}
