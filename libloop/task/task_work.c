/*
 * task_work.c — a task awaiting blocking work run on the thread pool.
 * The request outlives an abandoned wait (timeout, cancel): the work cannot
 * be stopped once it runs, so its completion frees the request.
 */
#include <stdlib.h>

#include "task.h"
#include "record/record.h"

struct blocking {
    loop_work_t w;
    intptr_t (*fn)(void *arg);
    void *arg;
    intptr_t result;
    loop_task_t *task; /* NULL once the task stopped waiting */
    int completed;     /* the done callback ran */
};

static void blocking_work(loop_work_t *w)
{
    struct blocking *b = (struct blocking *)w;
    b->result = b->fn(b->arg);
}

static void blocking_done(loop_work_t *w, int status)
{
    struct blocking *b = (struct blocking *)w;

    if (b->task == NULL) {
        free(b); /* the task stopped waiting: nobody else will */
        return;
    }
    b->completed = 1;
    loop__task_wake(b->task, status, LOOP_KIND_WORK, w->handle.id);
}

int loop_run_blocking_at(intptr_t (*fn)(void *arg), void *arg, intptr_t *result,
                         int64_t timeout_ms, const loop_site_t *site)
{
    loop_task_t *self;
    struct blocking *b;
    int rc;

    if (fn == NULL) {
        return -EINVAL;
    }
    rc = loop__task_await_check(&self);
    if (rc < 0) {
        return rc;
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return -ENOMEM;
    }
    b->fn = fn;
    b->arg = arg;
    b->task = self;
    rc = loop_work_submit_at(self->hdr.loop, &b->w, blocking_work, blocking_done, site);
    if (rc < 0) {
        free(b);
        return rc;
    }
    rc = loop__task_suspend(self, LOOP_WAIT_WORK, b->w.handle.id, timeout_ms, site);
    if (rc < 0) {
        if (b->completed) {
            free(b); /* completed in the same round as the timeout or cancel */
            return rc;
        }
        /* queued: cancelled, its done callback frees it; running: its completion does */
        loop_work_cancel(&b->w);
        b->task = NULL;
        return rc;
    }
    loop__rr_outcome(self->hdr.loop, LOOP__NOTE_BLOCKING, self->hdr.id, (int64_t)b->result);
    if (result != NULL) {
        *result = b->result;
    }
    free(b);
    return 0;
}
