/*
 * task_sync.c — what tasks wait on besides time and fds: futures, events,
 * locks and channels. Each object has an id from the loop's counter (so a
 * wait names it in traces and dumps) and a creation site; each keeps its
 * waiting tasks on a FIFO queue. Loop thread only.
 */
#include <stdlib.h>

#include "task.h"
#include "core/trace.h"
#include "record/record.h"

struct sync_obj {
    loop_t *loop;
    uint64_t id;
    const loop_site_t *site;
    loop_queue_t waiters;
};

static void obj_init(struct sync_obj *o, loop_t *loop, int kind, const loop_site_t *site)
{
    o->loop = loop;
    o->id = ++loop->next_id;
    o->site = site;
    loop__queue_init(&o->waiters);
    LOOP_TRACE(sync_new, loop, kind, o->id, site);
}

/* explore --por: the running item used o (libloop/record/footprint.c) */
static void touch(const struct sync_obj *o)
{
    loop__rr_touch(o->loop, 'o', o->id);
}

/* Wait on o's queue; the await's status. */
static int obj_wait(struct sync_obj *o, loop_task_t *self, loop_wait_kind_t kind,
                    int64_t timeout_ms, const loop_site_t *site)
{
    if (timeout_ms == 0) {
        return -ETIMEDOUT;
    }
    loop__queue_insert_tail(&o->waiters, &self->wait_node);
    return loop__task_suspend(self, kind, o->id, timeout_ms, site);
}

static void obj_wake_all(struct sync_obj *o, int status)
{
    int kind;
    uint64_t id;

    loop__task_waker(o->loop, &kind, &id);
    loop__task_wake_all(&o->waiters, status, kind, id);
}

static void obj_wake_first(struct sync_obj *o, int status, intptr_t xfer)
{
    loop_task_t *t = loop__queue_data(o->waiters.next, loop_task_t, wait_node);
    int kind;
    uint64_t id;

    loop__task_waker(o->loop, &kind, &id);
    t->xfer = xfer;
    loop__task_wake(t, status, kind, id);
}

/* Futures ------------------------------------------------------------------ */

struct done_cb {
    struct done_cb *next;
    void (*cb)(loop_future_t *f, void *arg);
    void *arg;
    loop_future_t *f;
};

struct loop_future_s {
    struct sync_obj o;
    int refs;
    int state; /* 0 pending, 1 resolved, 2 failed */
    intptr_t value;
    int err;
    struct done_cb *cbs;
};

loop_future_t *loop_future_new_at(loop_t *loop, const loop_site_t *site)
{
    loop_future_t *f;

    if (loop == NULL) {
        errno = EINVAL;
        return NULL;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    obj_init(&f->o, loop, LOOP__TP_SYNC_FUTURE, site);
    f->refs = 1;
    return f;
}

uint64_t loop_future_id(const loop_future_t *f)
{
    return f != NULL ? f->o.id : 0;
}

loop_future_t *loop_future_ref(loop_future_t *f)
{
    if (f != NULL) {
        f->refs++;
    }
    return f;
}

/*
 * Debug mode: the last reference not held by a waiter is gone while the
 * future is unsettled. Nobody can resolve it any more: every waiter can only
 * time out or be cancelled (a lost wakeup). Said once per waiter.
 */
static void check_lost_wakeup(const loop_future_t *f)
{
    size_t waiters = 0;
    loop_queue_t *q;

    loop__queue_foreach(q, &f->o.waiters) {
        waiters++;
    }
    if (waiters == 0 || (size_t)f->refs != waiters) {
        return;
    }
    loop__queue_foreach(q, &f->o.waiters) {
        const loop_task_t *t = loop__queue_data(q, loop_task_t, wait_node);
        const loop_site_t *s = f->o.site, *w = t->wait_site;
        loop_log(LOOP_LOG_WARN,
                 "Lost wakeup: task id=%llu name=\"%s\" waits at %s:%d (%s) on future id=%llu "
                 "created at %s:%d (%s), which nobody else holds any more",
                 (unsigned long long)t->hdr.id, loop__h_label(&t->hdr),
                 w ? w->file : "?", w ? w->line : 0, w ? w->func : "?",
                 (unsigned long long)f->o.id, s ? s->file : "?", s ? s->line : 0,
                 s ? s->func : "?");
    }
}

void loop_future_unref(loop_future_t *f)
{
    if (f == NULL) {
        return;
    }
    if (--f->refs > 0) {
        if (f->state == 0 && f->o.loop->debug) {
            check_lost_wakeup(f);
        }
        return;
    }
    while (f->cbs != NULL) { /* never settled: its callbacks never run */
        struct done_cb *c = f->cbs;
        f->cbs = c->next;
        free(c);
    }
    LOOP_TRACE(sync_free, f->o.loop, f->o.id);
    free(f);
}

static void run_done_cb(loop_t *loop, void *arg)
{
    struct done_cb *c = arg;
    (void)loop;
    c->cb(c->f, c->arg);
    loop_future_unref(c->f);
    free(c);
}

static int future_settle(loop_future_t *f, int state, intptr_t value, int err)
{
    if (f == NULL) {
        return -EINVAL;
    }
    touch(&f->o);
    if (f->state != 0) {
        return -EALREADY;
    }
    f->state = state;
    f->value = value;
    f->err = err;
    LOOP_TRACE(future_settle, f->o.loop, f->o.id, err);
    obj_wake_all(&f->o, 0);
    while (f->cbs != NULL) {
        struct done_cb *c = f->cbs;
        f->cbs = c->next;
        c->f = loop_future_ref(f); /* held until the callback ran */
        if (loop_call_soon(f->o.loop, run_done_cb, c) < 0) {
            loop_future_unref(c->f);
            free(c);
        }
    }
    return 0;
}

int loop_future_resolve(loop_future_t *f, intptr_t value)
{
    return future_settle(f, 1, value, 0);
}

int loop_future_fail(loop_future_t *f, int err)
{
    if (err >= 0) {
        return -EINVAL;
    }
    return future_settle(f, 2, 0, err);
}

int loop_future_done(const loop_future_t *f)
{
    if (f == NULL) {
        return 0;
    }
    touch(&f->o);
    return f->state != 0;
}

int loop_future_result(const loop_future_t *f, intptr_t *value)
{
    if (f == NULL) {
        return -EINVAL;
    }
    touch(&f->o);
    if (f->state == 0) {
        return -EAGAIN;
    }
    LOOP_TRACE(future_result, f->o.loop, f->o.id, f->state == 2 ? f->err : 0);
    if (f->state == 2) {
        return f->err;
    }
    if (value != NULL) {
        *value = f->value;
    }
    return 0;
}

int loop_future_on_done(loop_future_t *f, void (*cb)(loop_future_t *f, void *arg), void *arg)
{
    struct done_cb *c;

    if (f == NULL || cb == NULL) {
        return -EINVAL;
    }
    touch(&f->o);
    c = malloc(sizeof(*c));
    if (c == NULL) {
        return -ENOMEM;
    }
    c->cb = cb;
    c->arg = arg;
    c->f = f; /* pending: no reference, so dropping the last one frees f and c */
    if (f->state != 0) {
        c->f = loop_future_ref(f);
        int rc = loop_call_soon(f->o.loop, run_done_cb, c);
        if (rc < 0) {
            loop_future_unref(f);
            free(c);
        }
        return rc;
    }
    /* append: callbacks run in registration order */
    struct done_cb **pp = &f->cbs;
    while (*pp != NULL) {
        pp = &(*pp)->next;
    }
    c->next = NULL;
    *pp = c;
    return 0;
}

int loop_future_await_at(loop_future_t *f, intptr_t *value, int64_t timeout_ms,
                         const loop_site_t *site)
{
    loop_task_t *self;
    int rc;

    if (f == NULL) {
        return -EINVAL;
    }
    if (f->state == 0) {
        rc = loop__task_await_check(&self);
        if (rc < 0) {
            return rc;
        }
        f->refs++;
        rc = obj_wait(&f->o, self, LOOP_WAIT_FUTURE, timeout_ms, site);
        if (rc < 0) {
            loop_future_unref(f);
            return rc;
        }
        rc = loop_future_result(f, value);
        loop_future_unref(f);
        return rc;
    }
    return loop_future_result(f, value);
}

/* Events ------------------------------------------------------------------- */

struct loop_event_s {
    struct sync_obj o;
    int set;
};

loop_event_t *loop_event_new_at(loop_t *loop, const loop_site_t *site)
{
    loop_event_t *e;

    if (loop == NULL) {
        errno = EINVAL;
        return NULL;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    obj_init(&e->o, loop, LOOP__TP_SYNC_EVENT, site);
    return e;
}

int loop_event_free(loop_event_t *e)
{
    if (e == NULL) {
        return -EINVAL;
    }
    if (!loop__queue_empty(&e->o.waiters)) {
        return -EBUSY;
    }
    LOOP_TRACE(sync_free, e->o.loop, e->o.id);
    free(e);
    return 0;
}

int loop_event_set(loop_event_t *e)
{
    if (e == NULL) {
        return -EINVAL;
    }
    touch(&e->o);
    e->set = 1;
    LOOP_TRACE(event_set, e->o.loop->id, e->o.id, e->o.loop->current_task);
    obj_wake_all(&e->o, 0);
    return 0;
}

int loop_event_clear(loop_event_t *e)
{
    if (e == NULL) {
        return -EINVAL;
    }
    touch(&e->o);
    e->set = 0;
    return 0;
}

int loop_event_is_set(const loop_event_t *e)
{
    if (e == NULL) {
        return 0;
    }
    touch(&e->o);
    return e->set;
}

int loop_event_wait_at(loop_event_t *e, int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self;
    int rc;

    if (e == NULL) {
        return -EINVAL;
    }
    touch(&e->o);
    rc = loop__task_await_check(&self);
    if (rc < 0) {
        return rc;
    }
    if (e->set) {
        return 0;
    }
    return obj_wait(&e->o, self, LOOP_WAIT_EVENT, timeout_ms, site);
}

/* Locks -------------------------------------------------------------------- */

/*
 * A lock is owned by a task; each owner keeps the locks it holds on its
 * `locks` queue, so that a task that ends holding one abandons it
 * (loop__task_locks_abandon, from task.c when the task finishes), as a
 * robust mutex's owner that died: the lock never points at a finished task.
 * The next owner (the first waiter, woken at once, or else the next acquirer)
 * gets the lock with -EOWNERDEAD: the state it guards may be half-changed.
 */
struct loop_lock_s {
    struct sync_obj o;
    loop_task_t *owner;
    loop_queue_t held_node; /* in owner->locks */
    int abandoned;          /* no owner; the next acquirer is told -EOWNERDEAD */
};

/* t's queue of held locks: zeroed (unused) until its first lock. */
static loop_queue_t *held_locks(loop_task_t *t)
{
    if (t->locks.next == NULL) {
        loop__queue_init(&t->locks);
    }
    return &t->locks;
}

static void lock_set_owner(loop_lock_t *l, loop_task_t *t)
{
    if (l->owner != NULL) {
        loop__queue_remove(&l->held_node);
    }
    l->owner = t;
    if (t != NULL) {
        loop__queue_insert_tail(held_locks(t), &l->held_node);
    }
}

loop_lock_t *loop_lock_new_at(loop_t *loop, const loop_site_t *site)
{
    loop_lock_t *l;

    if (loop == NULL) {
        errno = EINVAL;
        return NULL;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    obj_init(&l->o, loop, LOOP__TP_SYNC_LOCK, site);
    loop__queue_init(&l->held_node);
    return l;
}

int loop_lock_free(loop_lock_t *l)
{
    if (l == NULL) {
        return -EINVAL;
    }
    if (l->owner != NULL || !loop__queue_empty(&l->o.waiters)) {
        return -EBUSY;
    }
    LOOP_TRACE(sync_free, l->o.loop, l->o.id);
    free(l);
    return 0;
}

int loop_lock_acquire_at(loop_lock_t *l, int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self;
    int rc;

    if (l == NULL) {
        return -EINVAL;
    }
    touch(&l->o);
    rc = loop__task_await_check(&self);
    if (rc < 0) {
        return rc;
    }
    if (l->owner == self) {
        return -EDEADLK;
    }
    if (l->owner == NULL) {
        lock_set_owner(l, self);
        if (l->abandoned) {
            l->abandoned = 0;
            return -EOWNERDEAD;
        }
        return 0;
    }
    loop__inspect_lock(l->o.loop);
    self->wait_task = l->owner->hdr.id;
    loop__inspect_unlock(l->o.loop);
    /* on success (0, or -EOWNERDEAD) the lock's owner made us the owner before waking us */
    return obj_wait(&l->o, self, LOOP_WAIT_LOCK, timeout_ms, site);
}

/* Hand l to its first waiter, whose acquire returns status; the others now wait for it. */
static void lock_hand_off(loop_lock_t *l, int status)
{
    loop_queue_t *q;

    LOOP_TRACE(lock_handoff, l->o.loop->id, l->o.id,
               loop__queue_data(l->o.waiters.next, loop_task_t, wait_node)->hdr.id, l->owner ? l->owner->hdr.id : 0);
    lock_set_owner(l, loop__queue_data(l->o.waiters.next, loop_task_t, wait_node));
    obj_wake_first(&l->o, status, 0);
    loop__inspect_lock(l->o.loop);
    loop__queue_foreach(q, &l->o.waiters) {
        loop__queue_data(q, loop_task_t, wait_node)->wait_task = l->owner->hdr.id;
    }
    loop__inspect_unlock(l->o.loop);
}

int loop_lock_release(loop_lock_t *l)
{
    if (l == NULL) {
        return -EINVAL;
    }
    touch(&l->o);
    if (l->owner == NULL || l->owner != loop__task_self()) {
        return -EPERM;
    }
    if (loop__queue_empty(&l->o.waiters)) {
        lock_set_owner(l, NULL);
        return 0;
    }
    lock_hand_off(l, 0);
    return 0;
}

loop_task_t *loop_lock_owner(const loop_lock_t *l)
{
    return l != NULL ? l->owner : NULL;
}

/* t finished: every lock it still holds is abandoned (said once, in debug mode). */
void loop__task_locks_abandon(loop_task_t *t)
{
    if (t->locks.next == NULL) {
        return; /* it never held a lock */
    }
    while (!loop__queue_empty(&t->locks)) {
        loop_lock_t *l = loop__queue_data(t->locks.next, loop_lock_t, held_node);
        loop_t *loop = l->o.loop;
        const loop_site_t *s = l->o.site;
        LOOP_TRACE(lock_abandoned, loop, l->o.id, t->hdr.id);
        if (LOOP_UNLIKELY(loop->debug)) {
            loop_log(LOOP_LOG_WARN,
                     "Lock abandoned: lock id=%llu site=%s:%d (%s) owner task id=%llu "
                     "name=\"%s\" ended holding it; the next owner gets EOWNERDEAD",
                     (unsigned long long)l->o.id, s ? s->file : "?", s ? s->line : 0,
                     s ? s->func : "?", (unsigned long long)t->hdr.id,
                     loop__h_label(&t->hdr));
        }
        if (loop__queue_empty(&l->o.waiters)) {
            lock_set_owner(l, NULL);
            l->abandoned = 1;
        } else {
            lock_hand_off(l, -EOWNERDEAD);
        }
    }
}

/* Channels ----------------------------------------------------------------- */

struct loop_chan_s {
    struct sync_obj o;     /* receivers wait here */
    loop_queue_t senders;  /* senders wait here, their value in task->xfer */
    intptr_t *buf;
    size_t cap, head, len;
    int closed;
};

loop_chan_t *loop_chan_new_at(loop_t *loop, size_t capacity, const loop_site_t *site)
{
    loop_chan_t *c;

    if (loop == NULL || capacity > ((size_t)1 << 40)) {
        errno = EINVAL;
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (capacity > 0 && (c->buf = calloc(capacity, sizeof(intptr_t))) == NULL)) {
        free(c);
        errno = ENOMEM;
        return NULL;
    }
    obj_init(&c->o, loop, LOOP__TP_SYNC_CHANNEL, site);
    loop__queue_init(&c->senders);
    c->cap = capacity;
    return c;
}

int loop_chan_free(loop_chan_t *c)
{
    if (c == NULL) {
        return -EINVAL;
    }
    if (!loop__queue_empty(&c->o.waiters) || !loop__queue_empty(&c->senders)) {
        return -EBUSY;
    }
    LOOP_TRACE(sync_free, c->o.loop, c->o.id);
    free(c->buf);
    free(c);
    return 0;
}

size_t loop_chan_len(const loop_chan_t *c)
{
    if (c == NULL) {
        return 0;
    }
    touch(&c->o);
    return c->len;
}

static void buf_push(loop_chan_t *c, intptr_t v)
{
    c->buf[(c->head + c->len) % c->cap] = v;
    c->len++;
}

static intptr_t buf_pop(loop_chan_t *c)
{
    intptr_t v = c->buf[c->head];
    c->head = (c->head + 1) % c->cap;
    c->len--;
    return v;
}

static void wake_sender(loop_chan_t *c, int status)
{
    loop_task_t *t = loop__queue_data(c->senders.next, loop_task_t, wait_node);
    int kind;
    uint64_t id;

    loop__task_waker(c->o.loop, &kind, &id);
    loop__task_wake(t, status, kind, id);
}

int loop_chan_try_send(loop_chan_t *c, intptr_t v)
{
    if (c == NULL) {
        return -EINVAL;
    }
    touch(&c->o);
    if (c->closed) {
        return -EPIPE;
    }
    if (!loop__queue_empty(&c->o.waiters)) { /* a receiver waits: the buffer is empty */
        obj_wake_first(&c->o, 0, v);
        return 0;
    }
    if (c->len < c->cap) {
        buf_push(c, v);
        return 0;
    }
    return -EAGAIN;
}

int loop_chan_send_at(loop_chan_t *c, intptr_t v, int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self;
    int rc = loop_chan_try_send(c, v);

    if (rc != -EAGAIN) {
        return rc;
    }
    rc = loop__task_await_check(&self);
    if (rc < 0) {
        return rc;
    }
    if (timeout_ms == 0) {
        return -ETIMEDOUT;
    }
    self->xfer = v;
    loop__queue_insert_tail(&c->senders, &self->wait_node);
    /* woken with 0: a receiver took the value */
    return loop__task_suspend(self, LOOP_WAIT_CHAN_SEND, c->o.id, timeout_ms, site);
}

int loop_chan_try_recv(loop_chan_t *c, intptr_t *v)
{
    intptr_t x;

    if (c == NULL) {
        return -EINVAL;
    }
    touch(&c->o);
    if (c->len > 0) {
        x = buf_pop(c);
        if (!loop__queue_empty(&c->senders)) {
            buf_push(c, loop__queue_data(c->senders.next, loop_task_t, wait_node)->xfer);
            wake_sender(c, 0);
        }
    } else if (!loop__queue_empty(&c->senders)) { /* rendezvous */
        x = loop__queue_data(c->senders.next, loop_task_t, wait_node)->xfer;
        wake_sender(c, 0);
    } else {
        return c->closed ? -EPIPE : -EAGAIN;
    }
    if (v != NULL) {
        *v = x;
    }
    return 0;
}

int loop_chan_recv_at(loop_chan_t *c, intptr_t *v, int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self;
    int rc = loop_chan_try_recv(c, v);

    if (rc != -EAGAIN) {
        return rc;
    }
    rc = loop__task_await_check(&self);
    if (rc < 0) {
        return rc;
    }
    rc = obj_wait(&c->o, self, LOOP_WAIT_CHAN_RECV, timeout_ms, site);
    if (rc == 0 && v != NULL) {
        *v = self->xfer;
    }
    return rc;
}

int loop_chan_close(loop_chan_t *c)
{
    int kind;
    uint64_t id;

    if (c == NULL) {
        return -EINVAL;
    }
    touch(&c->o);
    if (c->closed) {
        return -EALREADY;
    }
    c->closed = 1;
    loop__task_waker(c->o.loop, &kind, &id);
    loop__task_wake_all(&c->senders, -EPIPE, kind, id);
    loop__task_wake_all(&c->o.waiters, -EPIPE, kind, id);
    return 0;
}
