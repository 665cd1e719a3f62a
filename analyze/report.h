/*
 * report.h — what the report files share: the options, the context a
 * report runs in, the findings that several reports count (hangs, leaks,
 * stalls), and JSON/text helpers for tasks and sites.
 *
 * Each report is one file and one entry point, report_NAME(ctx) → 0 or a
 * negative errno; output goes to ctx->out (text, or one JSON document with
 * --json; docs/analyze.md has the schema).
 */
#ifndef LOOP_ANALYZE_REPORT_H
#define LOOP_ANALYZE_REPORT_H

#include <stdio.h>

#include "model.h"
#include "reader.h"
#include "util.h"

#define ANALYZE_JSON_VERSION 1

struct aopts {
    const char *command;
    int json;
    uint64_t threshold_ns;
    int64_t pid, loop;
    const char *chrome, *html; /* timeline outputs */
    int folded;                /* profile */
    const char *flame, *wait_flame, *speedscope; /* profile: graph files */
    int width;                 /* timeline Gantt columns */
    int all;                   /* timeline: every task, not the first 100 per loop */
    int verbose;
    int64_t from_ns, to_ns;    /* timeline outputs: window from the trace's start (to 0: the end) */
    uint64_t max_events;       /* --chrome: cap (0: the default cap) */
    const char *task;          /* why: the task (id or name) */
    int ignore_version;
    int no_symbolize;          /* keep stall backtraces as recorded */
};

struct ctx {
    struct model *m;
    const struct aopts *o;
    const struct reader_stats *rs; /* NULL when fed without a reader (tests) */
    const char *const *notes;      /* reader notes (repairs) */
    size_t nnotes;
    const char *const *inputs;
    size_t ninputs;
    FILE *out;
};

/* Reports */
int report_summary(const struct ctx *c);
int report_timeline(const struct ctx *c);
int report_hangs(const struct ctx *c);
int report_lints(const struct ctx *c);
int report_leaks(const struct ctx *c);
int report_profile(const struct ctx *c);
int report_tree(const struct ctx *c);  /* causality.c */
int report_why(const struct ctx *c);   /* causality.c */
/*
 * Live: report hangs as they appear while the trace is still being read.
 * Call with the current trace time; prints each new deadlock and each task
 * blocked longer than the threshold once, one line each. state is opaque
 * (zero it first, free with hangs_live_free).
 */
struct live_state {
    struct u64map seen;
    size_t cycles_shown;
    size_t stucks_shown;   /* loops out of work already printed */
    uint64_t last_scan;
};
int hangs_live_poll(const struct ctx *c, struct live_state *s, uint64_t now);
void hangs_live_free(struct live_state *s);
/* check: prints one line per finding kind; *findings = their total. */
int report_check(const struct ctx *c, uint64_t *findings);

/* ---------------------------------------------------------------------- */
/* Findings shared by summary, check and their own reports                 */

enum hang_class {
    HANG_NONE = 0,
    HANG_DEADLOCK,  /* in a set of tasks blocked on each other */
    HANG_STUCK,     /* blocked on something nothing can complete: the loop is not running */
    HANG_LONG,      /* blocked longer than the threshold at the end of the trace */
    HANG_OVERDUE,   /* sleeping past its timeout by more than the threshold: the loop is blocked */
    HANG_IDLE,      /* waiting, not a problem (an fd, a sleep, a short wait) */
    HANG_ABANDONED, /* waiting on time or I/O while the loop no longer runs */
};

struct hang {
    struct mloop *l;
    struct mtask *t;
    uint64_t waited_ns;
    enum hang_class cls;
};

/* Every task waiting (or ready/running) at the end, classified. Caller frees *out. */
int hangs_collect(const struct ctx *c, struct hang **out, size_t *n);
/* Loops that ran out of work with tasks waiting (selected), and the lost wakeups among their tasks. */
void hangs_count_ran_out(const struct ctx *c, uint64_t *episodes, uint64_t *lost);
/*
 * Lost wakeups certain while the loop ran (model.losts, hangs_lost.c):
 * is this one reported (not refuted, selected, not already a lost wakeup
 * of a loop that ran out of work nor a task STUCK at the end)? How many
 * are; why it was certain, as words.
 */
int hangs_lost_shown(const struct ctx *c, const struct mlost *x);
uint64_t hangs_count_lost(const struct ctx *c);
const char *hangs_lost_why(const struct mlost *x, char *buf, size_t len);
const char *hang_class_name(enum hang_class cls);
/* 1 for the classes check reports */
int hang_is_finding(enum hang_class cls);

/*
 * Leak groups: objects alive at the end (and futures freed unresolved),
 * grouped by (loop, what, kind, site, confirmed).
 */
enum leak_what {
    LEAK_HANDLE = 1,        /* a handle never closed */
    LEAK_TASK_UNFINISHED,   /* a task never finished */
    LEAK_TASK_UNJOINED,     /* finished, never joined nor detached (format_minor >= 1) */
    LEAK_FUTURE_UNRESOLVED, /* a future never resolved: freed so, or alive so at the end */
    LEAK_SYNC_UNFREED,      /* an event, lock, channel or group never freed */
};

struct leak_group {
    int is_task;
    uint8_t what;          /* enum leak_what */
    uint8_t kind;          /* handle kind; KIND_TASK; enum ev_sync_kind for futures and sync objects */
    uint32_t site;
    uint32_t names[4];     /* the first distinct names */
    size_t nnames;
    int64_t vpid;
    uint64_t loop_id;
    uint64_t count, first_ts, last_ts;
    uint64_t ids[8];       /* the first ids */
    size_t nids;
    uint64_t failed, cancelled; /* LEAK_TASK_UNJOINED: how they ended */
    uint64_t freed;        /* LEAK_FUTURE_UNRESOLVED: freed before anyone resolved them */
    int confirmed;         /* the loop is not running at the end (or the future is gone): a leak */
    int gap;
};

/* "task", "handle" or "sync" */
const char *leak_type_name(const struct leak_group *g);
/* "timer", "task", "future", "lock"... */
const char *leak_kind_name(const struct leak_group *g);
/* "never_closed", "never_finished", "never_joined", "never_resolved", "never_freed" */
const char *leak_what_name(const struct leak_group *g);

int leaks_collect(const struct ctx *c, struct leak_group **out, size_t *n);
/* How many selected loops have no join/sync data (format_minor 0); the first in *first. */
size_t leaks_loops_without_joins(const struct ctx *c, const struct mloop **first);

/* Counts of everything check reports (also shown by summary). */
struct findings {
    uint64_t deadlocks, stuck, long_waits, overdue;
    uint64_t ran_out;      /* loops that ran out of work with tasks waiting (loop_stuck) */
    uint64_t lost_wakeups; /* tasks among them that nothing alive could wake (part of ran_out) */
    uint64_t lost_running; /* lost wakeups certain while the loop still ran (model.losts) */
    uint64_t stalls, slow_steps, slow_events;
    uint64_t leaked_handles, leaked_tasks;
    uint64_t unjoined_tasks, unresolved_futures, unfreed_sync;
    uint64_t stall_findings; /* one stall may show as all three: the largest of them */
    uint64_t crashes;
    uint64_t total;
};
int findings_count(const struct ctx *c, struct findings *f);

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

/*
 * "lock 2 (created at x.c:12 (main)) at x.c:30 (worker)", "join task 5
 * \"beta\" at ...", "fd 7 at ...", "sleep 10 ms at ...": the await's site
 * last; the sync object's creation site when the trace has it.
 */
const char *describe_wait(const struct ctx *c, const struct mloop *l, const struct mtask *t,
                          char *buf, size_t len);
/* task 3 "alpha" */
const char *describe_task(const struct ctx *c, const struct mloop *l, uint64_t id, char *buf,
                          size_t len);
/* "-ETIMEDOUT" for -110; "0" for 0 */
const char *err_name(int32_t err, char *buf, size_t len);
/* does the process/loop pass the filters? */
int ctx_loop_selected(const struct ctx *c, const struct mloop *l);
/* "pid 123 (\"name\") loop 1" */
const char *describe_loop(const struct ctx *c, const struct mloop *l, char *buf, size_t len);

/* " (created at x.c:12 (main))" for a sync object's creation site, "" when unknown */
const char *describe_obj_site(const struct ctx *c, uint32_t obj_site, char *buf, size_t len);
/* JSON: {"file":..,"line":..,"func":..} or null */
void json_site(const struct ctx *c, struct jw *w, const char *key, uint32_t site);
/* The "trace" object every JSON document carries. */
void json_trace_info(const struct ctx *c, struct jw *w);
/* Open the document: {"command":..., "format":1, "trace":{...} */
void json_begin(const struct ctx *c, struct jw *w);
/* A loop reference: "vpid", "loop" members */
void json_loop_ref(struct jw *w, const struct mloop *l);
/* Text warnings about gaps and truncation (to ctx->out), once per report. */
void text_trace_warnings(const struct ctx *c);

#endif /* LOOP_ANALYZE_REPORT_H */
