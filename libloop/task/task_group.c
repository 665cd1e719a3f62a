/*
 * task_group.c — structured concurrency: a group owns its children, waits
 * for all of them, cancels the rest when one fails, and never lets its
 * waiter leave while a child still runs.
 */
#include <stdlib.h>

#include "task.h"
#include "core/trace.h"

struct loop_group_s {
    loop_t *loop;
    uint64_t id;
    const loop_site_t *site;
    loop_queue_t children; /* running children */
    size_t running;
    int first_err;
    loop_task_t *waiter;
};

loop_group_t *loop_group_new_at(loop_t *loop, const loop_site_t *site)
{
    loop_group_t *g;

    if (loop == NULL) {
        errno = EINVAL;
        return NULL;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    g->loop = loop;
    g->id = ++loop->next_id;
    g->site = site;
    loop__queue_init(&g->children);
    LOOP_TRACE(sync_new, loop, LOOP__TP_SYNC_GROUP, g->id, site);
    return g;
}

loop_task_t *loop_group_spawn_at(loop_group_t *g, loop_task_fn fn, void *arg, const char *name,
                                 const loop_site_t *site)
{
    loop_task_t *t;

    if (g == NULL) {
        errno = EINVAL;
        return NULL;
    }
    t = loop_spawn_at(g->loop, fn, arg, name, 0, site);
    if (t == NULL) {
        return NULL;
    }
    t->group = g;
    t->detached = 1;
    LOOP_TRACE(task_detach, g->loop, t->hdr.id, g->id);
    loop__queue_insert_tail(&g->children, &t->group_node);
    g->running++;
    if (g->first_err != 0) { /* the group already failed: the child starts cancelled */
        loop_task_cancel(t);
    }
    return t;
}

int loop_group_cancel(loop_group_t *g)
{
    loop_queue_t *q, *next;

    if (g == NULL) {
        return -EINVAL;
    }
    for (q = g->children.next; q != &g->children; q = next) {
        next = q->next;
        loop_task_cancel(loop__queue_data(q, loop_task_t, group_node));
    }
    return 0;
}

void loop__group_child_done(loop_task_t *t)
{
    loop_group_t *g = t->group;

    loop__queue_remove(&t->group_node);
    t->group = NULL;
    g->running--;
    if (t->state == LOOP_TASK_FAILED && g->first_err == 0) {
        g->first_err = t->error;
        loop_group_cancel(g);
    }
    if (g->running == 0 && g->waiter != NULL) {
        loop__task_wake(g->waiter, 0, LOOP_KIND_TASK, t->hdr.id);
    }
}

int loop_group_wait_at(loop_group_t *g, int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self;
    int rc;

    if (g == NULL) {
        return -EINVAL;
    }
    if (g->waiter != NULL) {
        return -EBUSY;
    }
    rc = loop__task_await_check(&self);
    if (rc == -EPERM) {
        return g->running == 0 ? g->first_err : -EPERM;
    }
    if (rc == 0 && g->running > 0) {
        if (timeout_ms == 0) {
            rc = -ETIMEDOUT;
        } else {
            g->waiter = self;
            rc = loop__task_suspend(self, LOOP_WAIT_GROUP, g->id, timeout_ms, site);
            g->waiter = NULL;
        }
    }
    if (g->running > 0) {
        /* leaving early (timeout, cancel): take the children down with us */
        loop_group_cancel(g);
        loop_task_shield(1);
        while (g->running > 0) {
            g->waiter = self;
            loop__task_suspend(self, LOOP_WAIT_GROUP, g->id, LOOP_FOREVER, site);
            g->waiter = NULL;
        }
        loop_task_shield(0);
    }
    if (rc < 0) {
        return rc;
    }
    return g->first_err;
}

int loop_group_free(loop_group_t *g)
{
    if (g == NULL) {
        return -EINVAL;
    }
    if (g->running > 0) {
        return -EBUSY;
    }
    LOOP_TRACE(sync_free, g->loop, g->id);
    free(g);
    return 0;
}

size_t loop_group_running(const loop_group_t *g)
{
    return g != NULL ? g->running : 0;
}
