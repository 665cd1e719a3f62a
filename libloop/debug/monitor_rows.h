/*
 * monitor_rows.h — the monitor's snapshot of the loop (monitor_rows.c): rows
 * copied from the task and handle lists under inspect_mu, a chunk at a time,
 * and the reply helpers the commands share (monitor_out.c). Private to
 * libloop/debug's monitor files.
 */
#ifndef LOOP_MONITOR_ROWS_H
#define LOOP_MONITOR_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/internal.h"
#include "monitor.h"
#include "task/task.h"

struct mon_task_row {
    loop_task_info_t ti;      /* ti.name points at name below */
    char name[MON_NAME_MAX];
};

struct mon_handle_row {
    uint64_t id;
    uint64_t parent_task;
    const loop_site_t *site;  /* sites are static (LOOP_SITE) */
    int kind;
    int fd;                   /* io handles that were started; else -1 */
    uint8_t flags;
    char name[MON_NAME_MAX];
};

/* A growable array of rows; grown only outside the lock. */
struct mon_rows {
    void *v;
    size_t n, cap, size, max; /* max: rows wanted at most (0: all) */
    bool nomem;
};

enum { MON_NEXT, MON_STOP, MON_FULL };
enum { MON_TASKS, MON_HANDLES };

/* Visit one node under inspect_mu: copy, or ask for room (MON_FULL: not copied). */
typedef int (*mon_visit_fn)(loop_queue_t *node, void *arg);

/* Find one task (with its suspension backtrace) or one user handle by id. */
struct mon_find {
    uint64_t id;
    bool found;
    struct mon_task_row task;
    struct mon_handle_row handle;
    void *frames[LOOP__TASK_BT_DEPTH];
    int depth;
};

/* monitor_rows.c */
void loop__mon_copy_name(char *dst, const char *src);
void *loop__mon_rows_slot(struct mon_rows *r);
void loop__mon_lock(loop_t *loop);
void loop__mon_unlock(loop_t *loop);
int loop__mon_walk(loop_t *loop, int list, mon_visit_fn visit, void *arg, struct mon_rows *rows);
void loop__mon_task_row(const loop_task_t *t, struct mon_task_row *r, bool hists);
void loop__mon_handle_row(const loop_handle_t *h, struct mon_handle_row *r);
const char *loop__mon_row_name(struct mon_task_row *r);
bool loop__mon_find_task(loop_t *loop, uint64_t id, struct mon_find *f);
bool loop__mon_find_handle(loop_t *loop, uint64_t id, struct mon_find *f);
void loop__mon_out_busy(struct mon_out *o, loop_t *loop, uint64_t now_ns);

/* monitor_out.c */
void loop__mon_out_site(struct mon_out *o, const char *label, const loop_site_t *s);
double loop__mon_ms_since(uint64_t now_ns, uint64_t then_ns);
void loop__mon_out_allow_rows(struct mon_out *o, size_t rows);
void loop__mon_out_task_line(struct mon_out *o, const loop_task_info_t *ti, uint64_t now_ns);

#endif /* LOOP_MONITOR_ROWS_H */
