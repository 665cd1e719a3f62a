/*
 * report.c — what loop_close() says when it refuses: every open handle,
 * grouped by kind and creation site so that a thousand leaked timers make one
 * line, not a thousand; and, in debug mode, a failed task whose error nobody
 * will retrieve (asyncio's "Task exception was never retrieved").
 */
#include <stdlib.h>

#include "core/internal.h"
#include "task/task.h"

struct group {
    int kind;
    const loop_site_t *site;
    const loop_handle_t *first;
    uint64_t last_id;
    size_t count;
};

static const char *site_file(const loop_site_t *s)
{
    return s != NULL && s->file != NULL ? s->file : "?";
}

static int site_line(const loop_site_t *s)
{
    return s != NULL ? s->line : 0;
}

static const char *site_func(const loop_site_t *s)
{
    return s != NULL && s->func != NULL ? s->func : "?";
}

static void report_group(loop_t *loop, const struct group *g)
{
    const loop_handle_t *h = g->first;

    if (g->count == 1) {
        loop_log(LOOP_LOG_WARN,
                 "Unclosed handle: kind=%s id=%llu name=\"%s\" site=%s:%d (%s)%s",
                 loop_kind_name(g->kind), (unsigned long long)h->id, loop__h_label(h),
                 site_file(g->site), site_line(g->site), site_func(g->site),
                 (h->flags & LOOP__H_CLOSING) ? " closing: run the loop to finish" : "");
    } else {
        loop_log(LOOP_LOG_WARN,
                 "%zu %s handles created at %s:%d (%s) were never closed (ids %llu..%llu)",
                 g->count, loop_kind_name(g->kind), site_file(g->site), site_line(g->site),
                 site_func(g->site), (unsigned long long)h->id, (unsigned long long)g->last_id);
    }
    if (loop->debug) {
        loop__debug_print_backtrace(loop, h->id, LOOP_LOG_WARN);
    }
}

void loop__report_handles(loop_t *loop, size_t total)
{
    struct group *groups = NULL;
    size_t ngroups = 0, cap = 0;
    loop_queue_t *q;

    loop_log(LOOP_LOG_WARN, "Loop not closed: loop=%llu open-handles=%zu",
             (unsigned long long)loop->id, total);
    loop__queue_foreach(q, &loop->handles) {
        const loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        size_t i;

        if (h->flags & LOOP__H_INTERNAL) {
            continue;
        }
        for (i = 0; i < ngroups; i++) {
            if (groups[i].kind == h->kind && groups[i].site == h->site) {
                break;
            }
        }
        if (i == ngroups) {
            if (ngroups == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct group *g = realloc(groups, ncap * sizeof(*g));
                if (g == NULL) {
                    /* out of memory: report this one alone */
                    struct group one = {h->kind, h->site, h, h->id, 1};
                    report_group(loop, &one);
                    continue;
                }
                groups = g;
                cap = ncap;
            }
            groups[ngroups++] = (struct group){h->kind, h->site, h, h->id, 0};
        }
        groups[i].count++;
        groups[i].last_id = h->id;
    }
    for (size_t i = 0; i < ngroups; i++) {
        report_group(loop, &groups[i]);
    }
    free(groups);
}

/*
 * Debug mode, when a task finishes (task.c): a failed task that is detached
 * (nobody will ever join it) had its error dropped. Group children are not
 * reported: their group's wait returns the first failure. A failed task
 * that is not detached and never joined is reported when loop_close() frees
 * it (task.c: loop__tasks_free), debug mode or not.
 */
void loop__report_unretrieved(const loop_task_t *t)
{
    loop_t *loop = t->hdr.loop;
    const loop_site_t *c = t->hdr.site;

    if (!loop->debug || t->state != LOOP_TASK_FAILED || !t->detached || t->group != NULL) {
        return;
    }
    loop_log(LOOP_LOG_WARN,
             "Task error never retrieved: task id=%llu name=\"%s\" state=failed err=%s "
             "created=%s:%d (%s) (detached: nobody joins it)",
             (unsigned long long)t->hdr.id, loop__h_label(&t->hdr),
             loop_err_name(t->error), site_file(c), site_line(c), site_func(c));
    loop__debug_print_backtrace(loop, t->hdr.id, LOOP_LOG_WARN);
}
