/*
 * task_inspect.c — looking at tasks from outside: loop_task_info(), the
 * backtrace where a task is suspended, the history of finished tasks,
 * loop_task_walk(), and the one-line reports of unfinished or stuck tasks
 * (at loop_close, when the loop runs out of work) with their sites.
 */
#include <execinfo.h>
#include <stdlib.h>
#include <string.h>

#include "task.h"
#include "core/trace.h"

int loop_task_info(const loop_task_t *t, loop_task_info_t *out)
{
    if (t == NULL || out == NULL) {
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->id = t->hdr.id;
    out->parent_id = loop__h_parent(&t->hdr);
    out->name = loop__h_name(&t->hdr);
    out->state = t->state;
    out->wait_kind = t->state == LOOP_TASK_WAITING ? t->wait_kind : LOOP_WAIT_NONE;
    out->wait_obj_id = t->state == LOOP_TASK_WAITING ? t->wait_obj : 0;
    out->wait_task_id = t->state == LOOP_TASK_WAITING ? t->wait_task : 0;
    out->since_ns = t->since_ns;
    out->timeout_ms = t->state == LOOP_TASK_WAITING ? t->wait_timeout_ms : LOOP_FOREVER;
    out->wait_site = t->state == LOOP_TASK_WAITING ? t->wait_site : NULL;
    out->create_site = t->hdr.site;
    out->error = t->error;
    out->steps = t->steps;
    out->run_ns = t->run_ns;
    if (t->hists != NULL) {
        out->step_p50_ns = loop__hist_pct(&t->hists->step, 50);
        out->step_p99_ns = loop__hist_pct(&t->hists->step, 99);
        out->step_max_ns = t->hists->step.max_ns;
        out->delay_p50_ns = loop__hist_pct(&t->hists->delay, 50);
        out->delay_p99_ns = loop__hist_pct(&t->hists->delay, 99);
        out->delay_max_ns = t->hists->delay.max_ns;
    }
    return 0;
}

int loop_task_backtrace(const loop_task_t *t, void **frames, int max)
{
    int n;

    if (t == NULL || frames == NULL || max < 0) {
        return -EINVAL;
    }
    n = t->susp_depth < max ? t->susp_depth : max;
    if (n > 0) {
        memcpy(frames, t->susp_bt, (size_t)n * sizeof(void *));
    }
    return n;
}

int loop_task_history(loop_t *loop, int (*fn)(const loop_task_done_info_t *d, void *arg),
                      void *arg)
{
    struct loop__tasks *ts;

    if (loop == NULL || fn == NULL) {
        return -EINVAL;
    }
    ts = loop->tasks;
    if (ts == NULL) {
        return 0;
    }
    for (unsigned i = 0; i < LOOP__TASK_HISTORY && i < ts->history_next; i++) {
        int rc = fn(&ts->history[(ts->history_next - 1 - i) % LOOP__TASK_HISTORY], arg);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int loop_task_walk(loop_t *loop, int (*fn)(loop_task_t *t, void *arg), void *arg)
{
    struct loop__tasks *ts;
    loop_queue_t *q, *next;

    if (loop == NULL || fn == NULL) {
        return -EINVAL;
    }
    ts = loop->tasks;
    if (ts == NULL) {
        return 0;
    }
    for (q = ts->tasks.next; q != &ts->tasks; q = next) {
        next = q->next;
        int rc = fn(loop__queue_data(q, loop_task_t, task_node), arg);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static void report_task_line(loop_log_level_t lvl, const char *what, const loop_task_t *t,
                             const loop_site_t *c, const loop_site_t *w);

void loop__task_report(loop_log_level_t lvl, const char *what, const loop_task_t *t)
{
    const loop_site_t *c = t->hdr.site, *w = t->wait_site;

    report_task_line(lvl, what, t, c, w);
    if (t->hdr.loop->debug) {
        loop__debug_print_backtrace(t->hdr.loop, t->hdr.id, lvl);
    }
}

static void report_task_line(loop_log_level_t lvl, const char *what, const loop_task_t *t,
                             const loop_site_t *c, const loop_site_t *w)
{
    if (t->state == LOOP_TASK_WAITING) {
        loop_log(lvl,
                 "%s: task id=%llu name=\"%s\" state=waiting wait=%s obj=%llu%s%.0llu at=%s:%d (%s) "
                 "created=%s:%d (%s)",
                 what, (unsigned long long)t->hdr.id, loop__h_label(&t->hdr),
                 loop_wait_kind_name(t->wait_kind), (unsigned long long)t->wait_obj,
                 t->wait_task ? (t->wait_kind == LOOP_WAIT_LOCK ? " owner=" : " task=") : "",
                 (unsigned long long)t->wait_task,
                 w ? w->file : "?", w ? w->line : 0, w ? w->func : "?", c ? c->file : "?",
                 c ? c->line : 0, c ? c->func : "?");
    } else {
        loop_log(lvl, "%s: task id=%llu name=\"%s\" state=%s err=%s created=%s:%d (%s)", what,
                 (unsigned long long)t->hdr.id, loop__h_label(&t->hdr),
                 loop_task_state_name(t->state), loop_err_name(t->error), c ? c->file : "?",
                 c ? c->line : 0, c ? c->func : "?");
    }
}

/*
 * Report the unfinished tasks: one line per task, except that tasks sharing a
 * creation site, state and wait site make one line ("500 tasks created at
 * srv.c:40 (serve) waiting on event at srv.c:52 (serve)"). Their count.
 */
struct task_group {
    const loop_task_t *first;
    uint64_t last_id;
    size_t count;
};

static bool same_group(const loop_task_t *a, const loop_task_t *b)
{
    return a->hdr.site == b->hdr.site && a->state == b->state &&
           (a->state != LOOP_TASK_WAITING ||
            (a->wait_site == b->wait_site && a->wait_kind == b->wait_kind));
}

static size_t report_unfinished(loop_t *loop, const char *what)
{
    struct loop__tasks *ts = loop->tasks;
    struct task_group *g = NULL;
    size_t ng = 0, cap = 0, total = 0;
    loop_queue_t *q;

    loop__queue_foreach(q, &ts->tasks) {
        const loop_task_t *t = loop__queue_data(q, loop_task_t, task_node);
        size_t i;
        if (loop__task_finished(t)) {
            continue;
        }
        total++;
        for (i = 0; i < ng && !same_group(g[i].first, t); i++) {
        }
        if (i == ng) {
            if (ng == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct task_group *n = realloc(g, ncap * sizeof(*n));
                if (n == NULL) {
                    loop__task_report(LOOP_LOG_WARN, what, t);
                    continue;
                }
                g = n;
                cap = ncap;
            }
            g[ng++] = (struct task_group){t, t->hdr.id, 0};
        }
        g[i].count++;
        g[i].last_id = t->hdr.id;
    }
    for (size_t i = 0; i < ng; i++) {
        const loop_task_t *t = g[i].first;
        const loop_site_t *c = t->hdr.site, *w = t->wait_site;
        if (g[i].count == 1) {
            loop__task_report(LOOP_LOG_WARN, what, t);
        } else if (t->state == LOOP_TASK_WAITING) {
            loop_log(LOOP_LOG_WARN,
                     "%s: %zu tasks created at %s:%d (%s) waiting on %s at %s:%d (%s) "
                     "(ids %llu..%llu)",
                     what, g[i].count, c ? c->file : "?", c ? c->line : 0, c ? c->func : "?",
                     loop_wait_kind_name(t->wait_kind), w ? w->file : "?", w ? w->line : 0,
                     w ? w->func : "?", (unsigned long long)t->hdr.id,
                     (unsigned long long)g[i].last_id);
        } else {
            loop_log(LOOP_LOG_WARN, "%s: %zu tasks created at %s:%d (%s) state=%s (ids %llu..%llu)",
                     what, g[i].count, c ? c->file : "?", c ? c->line : 0, c ? c->func : "?",
                     loop_task_state_name(t->state), (unsigned long long)t->hdr.id,
                     (unsigned long long)g[i].last_id);
        }
    }
    free(g);
    return total;
}

size_t loop__tasks_report_open(loop_t *loop)
{
    if (loop->tasks == NULL) {
        return 0;
    }
    return report_unfinished(loop, "Unfinished task");
}

/* loop_run found nothing alive but tasks still wait: nothing can wake them. */
void loop__tasks_report_stuck(loop_t *loop)
{
    if (loop->tasks == NULL || loop->tasks_alive == 0) {
        return;
    }
    loop_log(LOOP_LOG_WARN,
             "Loop ran out of work with %zu tasks waiting on what nothing can complete "
             "(deadlock or lost wakeup): loop=%llu",
             loop->tasks_alive, (unsigned long long)loop->id);
    report_unfinished(loop, "Stuck");
}
