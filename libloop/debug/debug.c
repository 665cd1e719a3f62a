/*
 * debug.c — debug mode: the instrumented dispatch (slow callback and task
 * step warnings, stats, what the watchdog and monitor read), creation
 * backtraces, the error handler, loop_dump(), and the report of loops still
 * open at process exit.
 *
 * Off, none of this runs: loop__dispatch() takes the instrumented path only
 * when loop->instrument is set (debug mode, a watchdog or a monitor).
 */
#include <execinfo.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/trace.h"

#define BT_DEPTH 16
#define BT_BUCKETS 1024
#define SLOW_RING 32

struct bt_ent {
    struct bt_ent *next;
    uint64_t id;
    int depth;
    void *frames[BT_DEPTH];
};

struct slow_ent {
    uint64_t id;
    int kind;
    const char *name;
    const loop_site_t *site;
    uint64_t duration_ns;
    uint64_t at_ns;
};

struct loop__debug {
    struct bt_ent *bt[BT_BUCKETS];
    size_t nbt;                      /* live creation backtraces */
    struct slow_ent slow[SLOW_RING]; /* guarded by inspect_mu while a monitor runs */
    unsigned slow_next;
};

/* Process-wide list of live loops, for the report at exit. */
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static loop_queue_t registry = {&registry, &registry};
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void report_at_exit(void)
{
    loop_queue_t *q;

    pthread_mutex_lock(&registry_mu);
    loop__queue_foreach(q, &registry) {
        loop_t *loop = loop__queue_data(q, loop_t, registry_node);
        if (loop->debug && !loop->running && loop->leaks_reported) {
            /* loop_close() refused and listed what was open: once is enough */
            loop_log(LOOP_LOG_WARN, "Loop still open at exit: loop=%llu (loop_close() "
                     "reported what keeps it open)", (unsigned long long)loop->id);
        } else if (loop->debug && !loop->running) {
            /*
             * Not a walk of the handles: they live in the program's memory,
             * which at exit may be gone (handles on the stack of main, which
             * has returned, or freed). Only the loop's own counts are safe.
             */
            loop_log(LOOP_LOG_WARN, "Loop still open at exit: loop=%llu active=%llu "
                     "tasks-alive=%llu (call loop_close() before exit to have what is open "
                     "listed with its sites)", (unsigned long long)loop->id,
                     (unsigned long long)loop->active, (unsigned long long)loop->tasks_alive);
        }
    }
    pthread_mutex_unlock(&registry_mu);
}

static void install_exit_report(void)
{
    atexit(report_at_exit);
}

void loop__update_instrument(loop_t *loop)
{
    loop->instrument = loop->debug || loop->watchdog != NULL || loop->monitor != NULL;
    loop->hooked = loop->instrument || loop->rr != NULL || loop__trace_probe_loaded();
}

static struct loop__debug *dbg_of(loop_t *loop)
{
    if (loop->dbg == NULL) {
        struct loop__debug *d = calloc(1, sizeof(*d));
        loop__inspect_lock(loop);
        loop->dbg = d;
        loop__inspect_unlock(loop);
    }
    return loop->dbg;
}

void loop__debug_init(loop_t *loop)
{
    pthread_mutex_init(&loop->inspect_mu, NULL);
    loop->slow_ns = 100 * 1000000ull;
    pthread_once(&exit_once, install_exit_report);
    pthread_mutex_lock(&registry_mu);
    loop__queue_insert_tail(&registry, &loop->registry_node);
    pthread_mutex_unlock(&registry_mu);
}

/* Drop every creation backtrace. */
static void bt_free_all(struct loop__debug *d)
{
    for (int i = 0; i < BT_BUCKETS; i++) {
        while (d->bt[i] != NULL) {
            struct bt_ent *e = d->bt[i];
            d->bt[i] = e->next;
            free(e);
        }
    }
    d->nbt = 0;
}

void loop__debug_free(loop_t *loop)
{
    pthread_mutex_lock(&registry_mu);
    loop__queue_remove(&loop->registry_node);
    pthread_mutex_unlock(&registry_mu);
    if (loop->dbg != NULL) {
        bt_free_all(loop->dbg);
        free(loop->dbg);
        loop->dbg = NULL;
    }
    pthread_mutex_destroy(&loop->inspect_mu);
}

int loop_set_debug(loop_t *loop, int on)
{
    if (loop == NULL) {
        return -EINVAL;
    }
    loop->debug = on ? 1 : 0;
    if (!on && loop->dbg != NULL) {
        /* the paths that drop a backtrace when its object goes run only in
         * debug mode: drop them all now, or they would stay for good */
        bt_free_all(loop->dbg);
    }
    loop__update_instrument(loop);
    return 0;
}

int loop_get_debug(const loop_t *loop)
{
    return loop != NULL && loop->debug;
}

int loop_set_slow_callback_ms(loop_t *loop, uint64_t ms)
{
    if (loop == NULL || ms == 0 || ms > UINT64_MAX / 1000000u) {
        return -EINVAL;
    }
    loop->slow_ns = ms * 1000000u;
    return 0;
}

/* Creation backtraces ---------------------------------------------------- */

void loop__debug_handle_new(loop_t *loop, uint64_t id)
{
    struct loop__debug *d = dbg_of(loop);
    struct bt_ent *e;

    if (d == NULL || (e = malloc(sizeof(*e))) == NULL) {
        return;
    }
    e->id = id;
    e->depth = backtrace(e->frames, BT_DEPTH);
    e->next = d->bt[id % BT_BUCKETS];
    d->bt[id % BT_BUCKETS] = e;
    d->nbt++;
}

size_t loop__debug_backtrace_count(const loop_t *loop)
{
    return loop->dbg != NULL ? loop->dbg->nbt : 0;
}

void loop__debug_handle_gone(loop_t *loop, uint64_t id)
{
    struct loop__debug *d = loop->dbg;

    if (d == NULL) {
        return;
    }
    for (struct bt_ent **pp = &d->bt[id % BT_BUCKETS]; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct bt_ent *e = *pp;
            *pp = e->next;
            free(e);
            d->nbt--;
            return;
        }
    }
}

void loop__debug_print_backtrace(loop_t *loop, uint64_t id, loop_log_level_t level)
{
    struct loop__debug *d = loop->dbg;

    if (d == NULL) {
        return;
    }
    for (struct bt_ent *e = d->bt[id % BT_BUCKETS]; e != NULL; e = e->next) {
        if (e->id != id) {
            continue;
        }
        char **syms = backtrace_symbols(e->frames, e->depth);
        loop_log(level, "  created by id=%llu at:", (unsigned long long)id);
        /* frame 0 is loop__debug_handle_new, 1 the init function */
        for (int i = 2; i < e->depth; i++) {
            loop_log(level, "    #%d %s", i - 2, syms ? syms[i] : "?");
        }
        free(syms);
        return;
    }
}

/* Instrumented dispatch ------------------------------------------------- */

uint64_t loop__dispatch_begin(loop_t *loop, const loop_handle_t *ref)
{
    uint64_t t0 = loop__hrtime_ns();

    atomic_store_explicit(&loop->cur_id, ref->id, memory_order_relaxed);
    atomic_store_explicit(&loop->cur_kind, ref->kind, memory_order_relaxed);
    atomic_fetch_add_explicit(&loop->dispatch_seq, 1, memory_order_relaxed);
    atomic_store_explicit(&loop->cur_start_ns, t0, memory_order_release);
    return t0;
}

void loop__dispatch_end(loop_t *loop, const loop_handle_t *ref, uint64_t t0)
{
    uint64_t dur = loop__hrtime_ns() - t0;

    atomic_store_explicit(&loop->cur_start_ns, 0, memory_order_release);
    loop__inspect_lock(loop);
    loop->stats.busy_ns += dur;
    loop__inspect_unlock(loop);
    if (!loop->debug || dur < loop->slow_ns) {
        return;
    }
    const loop_site_t *s = ref->site;
    loop_log(LOOP_LOG_WARN,
             "Slow %s: kind=%s id=%llu name=\"%s\" took-ms=%.1f site=%s:%d (%s)",
             ref->kind == LOOP_KIND_TASK ? "task step" : "callback", loop_kind_name(ref->kind),
             (unsigned long long)ref->id, loop__h_label(ref), (double)dur / 1e6,
             s ? s->file : "?", s ? s->line : 0, s ? s->func : "?");
    LOOP_TRACE(slow_callback, loop, ref, dur);
    struct loop__debug *d = dbg_of(loop);
    loop__inspect_lock(loop);
    loop->stats.slow_callbacks++;
    if (d != NULL) {
        d->slow[d->slow_next++ % SLOW_RING] =
            (struct slow_ent){ref->id, ref->kind, loop__h_name(ref), s, dur, loop->now_ns};
    }
    loop__inspect_unlock(loop);
}

/* Recent slow callbacks, newest first, for the monitor: count written. */
size_t loop__debug_slow_list(loop_t *loop, void (*fn)(void *arg, uint64_t id, int kind,
                                                      const char *name, const loop_site_t *site,
                                                      uint64_t duration_ns, uint64_t at_ns),
                             void *arg)
{
    struct loop__debug *d = loop->dbg;
    size_t n = 0;

    if (d == NULL) {
        return 0;
    }
    for (unsigned i = 0; i < SLOW_RING && i < d->slow_next; i++) {
        const struct slow_ent *e = &d->slow[(d->slow_next - 1 - i) % SLOW_RING];
        fn(arg, e->id, e->kind, e->name, e->site, e->duration_ns, e->at_ns);
        n++;
    }
    return n;
}

/* Errors ---------------------------------------------------------------- */

int loop_set_error_handler(loop_t *loop, loop_error_handler fn, void *userdata)
{
    if (loop == NULL) {
        return -EINVAL;
    }
    loop->err_fn = fn;
    loop->err_ud = userdata;
    return 0;
}

void loop__error(loop_t *loop, int err, uint64_t task_id, const loop_handle_t *h,
                 const loop_site_t *site, const char *msg)
{
    if (loop != NULL && loop->err_fn != NULL) {
        loop_error_ctx_t ctx = {loop, msg, err, task_id, h, site};
        loop->err_fn(&ctx, loop->err_ud);
        return;
    }
    if (h != NULL) {
        loop_log(LOOP_LOG_ERROR, "Error: %s err=%s kind=%s id=%llu name=\"%s\" site=%s:%d (%s)",
                 msg, loop_err_name(err), loop_kind_name(h->kind), (unsigned long long)h->id,
                 loop__h_label(h), site ? site->file : "?", site ? site->line : 0,
                 site ? site->func : "?");
    } else {
        loop_log(LOOP_LOG_ERROR, "Error: %s err=%s loop=%llu task=%llu site=%s:%d (%s)", msg,
                 loop_err_name(err), loop ? (unsigned long long)loop->id : 0ull,
                 (unsigned long long)task_id, site ? site->file : "?", site ? site->line : 0,
                 site ? site->func : "?");
    }
}

void loop_report_error_at(loop_t *loop, int err, const char *message, const loop_site_t *site)
{
    if (loop == NULL) {
        return;
    }
    LOOP_TRACE(error, loop, NULL, err, message ? message : "");
    loop__error(loop, err, loop->current_task, NULL, site, message ? message : "");
}

/* Stats and dump ---------------------------------------------------------- */

int loop_get_stats(loop_t *loop, loop_stats_t *out)
{
    if (loop == NULL || out == NULL) {
        return -EINVAL;
    }
    loop__inspect_lock(loop);
    *out = loop->stats;
    out->callbacks = atomic_load_explicit(&loop->n_callbacks, memory_order_relaxed);
    out->iterations = atomic_load_explicit(&loop->n_iterations, memory_order_relaxed);
    out->tasks_alive = loop->tasks_alive;
    out->handles_active = loop->active;
    size_t open = 0;
    loop_queue_t *q;
    loop__queue_foreach(q, &loop->handles) {
        open += !(loop__queue_data(q, loop_handle_t, all)->flags & LOOP__H_INTERNAL);
    }
    out->handles_open = open;
    loop__inspect_unlock(loop);
    return 0;
}

static void dump_site(FILE *out, const char *label, const loop_site_t *s)
{
    if (s != NULL) {
        fprintf(out, " %s=%s:%d (%s)", label, s->file, s->line, s->func);
    }
}

static int dump_task(loop_task_t *t, void *arg)
{
    FILE *out = ((void **)arg)[0];
    loop_t *loop = ((void **)arg)[1];
    loop_task_info_t ti;

    loop_task_info(t, &ti);
    fprintf(out, "%c task id=%llu name=\"%s\" state=%s", ti.state == LOOP_TASK_WAITING ? '*' : ' ',
            (unsigned long long)ti.id, ti.name ? ti.name : "", loop_task_state_name(ti.state));
    if (ti.state == LOOP_TASK_WAITING) {
        fprintf(out, " wait=%s obj=%llu", loop_wait_kind_name(ti.wait_kind),
                (unsigned long long)ti.wait_obj_id);
        if (ti.wait_task_id != 0) {
            fprintf(out, " %s=%llu", ti.wait_kind == LOOP_WAIT_LOCK ? "owner" : "task",
                    (unsigned long long)ti.wait_task_id);
        }
        if (ti.timeout_ms >= 0) {
            fprintf(out, " timeout-ms=%lld", (long long)ti.timeout_ms);
        }
    }
    if (ti.state == LOOP_TASK_FAILED) {
        fprintf(out, " err=%s", loop_err_name(ti.error));
    }
    fprintf(out, " age-ms=%.1f parent=%llu steps=%llu",
            (double)(loop->now_ns - ti.since_ns) / 1e6, (unsigned long long)ti.parent_id,
            (unsigned long long)ti.steps);
    dump_site(out, "at", ti.wait_site);
    dump_site(out, "created", ti.create_site);
    fputc('\n', out);
    return 0;
}

static int dump_handle(loop_handle_t *h, void *arg)
{
    FILE *out = ((void **)arg)[0];
    loop_t *loop = ((void **)arg)[1];
    int active = (h->flags & LOOP__H_ACTIVE) != 0;

    fprintf(out, "%c handle id=%llu kind=%s name=\"%s\" %s", active ? '*' : ' ',
            (unsigned long long)h->id, loop_kind_name(h->kind), loop__h_label(h),
            (h->flags & LOOP__H_CLOSING) ? "closing" : active ? "active" : "inactive");
    if (h->kind == LOOP_KIND_TIMER && active) {
        const loop_timer_t *t = (const loop_timer_t *)h;
        fprintf(out, " due-in-ms=%.1f repeat-ms=%.1f",
                t->due_ns > loop->now_ns ? (double)(t->due_ns - loop->now_ns) / 1e6 : 0.0,
                (double)t->repeat_ns / 1e6);
    } else if (h->kind == LOOP_KIND_IO) {
        const loop_io_t *io = (const loop_io_t *)h;
        fprintf(out, " fd=%d events=%s%s", io->fd, (io->events & LOOP_READABLE) ? "r" : "",
                (io->events & LOOP_WRITABLE) ? "w" : "");
    } else if (h->kind == LOOP_KIND_SIGNAL) {
        fprintf(out, " signum=%d", ((const loop_signal_t *)h)->signum);
    }
    if (loop__h_parent(h) != 0) {
        fprintf(out, " task=%llu", (unsigned long long)loop__h_parent(h));
    }
    dump_site(out, "created", h->site);
    fputc('\n', out);
    return 0;
}

int loop_dump(loop_t *loop, FILE *out)
{
    void *args[2] = {out, loop};

    if (loop == NULL || out == NULL) {
        return -EINVAL;
    }
    loop__inspect_lock(loop);
    fprintf(out,
            "loop id=%llu now-ms=%.3f iterations=%llu callbacks=%llu active-handles=%zu "
            "tasks=%zu (* keeps the loop alive)\n",
            (unsigned long long)loop->id, (double)loop->now_ns / 1e6,
            (unsigned long long)atomic_load_explicit(&loop->n_iterations, memory_order_relaxed),
            (unsigned long long)atomic_load_explicit(&loop->n_callbacks, memory_order_relaxed),
            loop->active, loop->tasks_alive);
    loop_task_walk(loop, dump_task, args);
    loop_walk(loop, dump_handle, args);
    loop__inspect_unlock(loop);
    fflush(out);
    return 0;
}
