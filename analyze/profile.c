/*
 * profile.c — `loop-analyze profile`: where the loop's time goes.
 *
 * Per callback site (kind + the handle's creation site) and per task name
 * (unnamed tasks by spawn site): count, total, mean and p50/p90/p99/max of
 * the step time (callback_begin → callback_end) and of the scheduling
 * delay (ready → running: task_ready → task_run, io_ready / timer due /
 * call-soon queued / pool work done → callback_begin). Per loop: the time
 * inside loop_run, busy (callbacks) and polling, utilization, iteration
 * length percentiles and a utilization strip over time.
 * Task I/O (task_io, trace format minor 1), per task name like the steps
 * and per loop: attempts per op, bytes read and written, attempts that
 * found nothing (EAGAIN; a connect's EINPROGRESS), end-of-file reads, and
 * errors by errno. A loop from an older libloop (minor 0) has no task_io:
 * its I/O is shown as not traced (JSON null), never as zero.
 * --folded prints folded stacks (process;loop;kind or task;site weight-ns)
 * for flamegraph.pl or speedscope.
 */
#include "report.h"
#include "flame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int cmp_prof(const void *a, const void *b)
{
    const struct prof *x = *(const struct prof *const *)a, *y = *(const struct prof *const *)b;

    return x->step.sum < y->step.sum ? 1 : x->step.sum > y->step.sum ? -1 : 0;
}

static int profs_sorted(const struct ctx *c, struct prof ***out, size_t *n)
{
    struct prof **v = NULL;
    size_t nv = 0, cap = 0, it = 0;
    void *cur = NULL;

    while ((cur = model_agg_next(&c->m->profs, &it, cur)) != NULL) {
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct prof **nvp = realloc(v, nc * sizeof(*nvp));
            if (nvp == NULL) {
                free(v);
                return -ENOMEM;
            }
            v = nvp;
            cap = nc;
        }
        v[nv++] = cur;
    }
    if (nv > 0) {
        qsort(v, nv, sizeof(*v), cmp_prof);
    }
    *out = v;
    *n = nv;
    return 0;
}

static double loop_util(const struct mloop *l)
{
    uint64_t span = l->run_ns ? l->run_ns : (l->t_last - l->t_first);

    return span ? (double)l->busy_ns / (double)span : 0.0;
}

static void json_hist(struct jw *w, const char *key, const struct hist *h)
{
    jw_obj(w, key);
    jw_u64(w, "count", h->count);
    jw_u64(w, "total_ns", h->sum);
    jw_u64(w, "mean_ns", h->count ? h->sum / h->count : 0);
    jw_u64(w, "p50_ns", hist_quantile(h, 0.50));
    jw_u64(w, "p90_ns", hist_quantile(h, 0.90));
    jw_u64(w, "p99_ns", hist_quantile(h, 0.99));
    jw_u64(w, "max_ns", h->max);
    jw_end_obj(w);
}

static void text_hist(FILE *f, const struct hist *h)
{
    char a[32], b[32], d[32], e[32], g[32], k[32];

    fprintf(f, "%8" PRIu64 " %9s %9s %9s %9s %9s %9s", h->count, fmt_dur(a, sizeof a, h->sum),
            fmt_dur(b, sizeof b, h->count ? h->sum / h->count : 0),
            fmt_dur(d, sizeof d, hist_quantile(h, 0.50)), fmt_dur(e, sizeof e, hist_quantile(h, 0.90)),
            fmt_dur(g, sizeof g, hist_quantile(h, 0.99)), fmt_dur(k, sizeof k, h->max));
}

static void text_delay(FILE *f, const struct hist *h)
{
    char d[32], e[32], g[32], k[32];

    if (h->count == 0) {
        fprintf(f, " | %9s %9s %9s %9s", "-", "-", "-", "-");
        return;
    }
    fprintf(f, " | %9s %9s %9s %9s", fmt_dur(d, sizeof d, hist_quantile(h, 0.50)),
            fmt_dur(e, sizeof e, hist_quantile(h, 0.90)), fmt_dur(g, sizeof g, hist_quantile(h, 0.99)),
            fmt_dur(k, sizeof k, h->max));
}

static const char *const io_op_names[IO_OP_MAX] = {"read", "write", "accept", "connect"};

/* The task I/O object of the schema (#/$defs/task_io), or null when not traced. */
static void json_io(struct jw *w, const char *key, const struct mio *io, int traced)
{
    char eb[64];
    size_t i;
    int op;

    if (!traced) {
        jw_null(w, key);
        return;
    }
    jw_obj(w, key);
    for (op = 0; op < IO_OP_MAX; op++) {
        jw_obj(w, io_op_names[op]);
        jw_u64(w, "calls", io->calls[op]);
        jw_u64(w, "ok", mio_ok(io, op));
        jw_u64(w, "again", io->again[op]);
        jw_u64(w, "failed", io->failed[op]);
        jw_end_obj(w);
    }
    jw_u64(w, "bytes_read", io->bytes_read);
    jw_u64(w, "bytes_written", io->bytes_written);
    jw_u64(w, "eof", io->eof);
    jw_arr(w, "errors");
    for (i = 0; i < MIO_ERRS && io->errs[i].count > 0; i++) {
        jw_obj(w, NULL);
        jw_str(w, "errno", err_name(io->errs[i].err, eb, sizeof eb));
        jw_u64(w, "count", io->errs[i].count);
        jw_end_obj(w);
    }
    jw_end_arr(w);
    jw_u64(w, "errors_other", io->errs_other);
    jw_end_obj(w);
}

/* " ECONNRESET 3, EPIPE 1" (errors by errno), or "". */
static void text_io_errors(FILE *f, const struct mio *io)
{
    char eb[64];
    size_t i;

    for (i = 0; i < MIO_ERRS && io->errs[i].count > 0; i++) {
        fprintf(f, "%s%s %" PRIu64, i ? ", " : " errors: ", err_name(io->errs[i].err, eb, sizeof eb),
                io->errs[i].count);
    }
    if (io->errs_other > 0) {
        fprintf(f, ", other %" PRIu64, io->errs_other);
    }
}

/* One row of the task I/O table (after the name column). */
static void text_io_row(FILE *f, const struct mio *io)
{
    fprintf(f, "%8" PRIu64 " %8" PRIu64 " %7" PRIu64 " %8" PRIu64 " %13" PRIu64 " %13" PRIu64 " %8" PRIu64
               " %6" PRIu64 " %6" PRIu64,
            io->calls[IO_READ], io->calls[IO_WRITE], mio_ok(io, IO_ACCEPT), mio_ok(io, IO_CONNECT),
            io->bytes_read, io->bytes_written, mio_again(io), io->eof, mio_failed(io));
}

/* Does any selected loop's trace carry task I/O? */
static int profile_io_traced(const struct ctx *c)
{
    size_t i;

    for (i = 0; i < c->m->nloops; i++) {
        if (ctx_loop_selected(c, c->m->loops[i]) && mloop_has_io(c->m->loops[i])) {
            return 1;
        }
    }
    return 0;
}

static int io_interesting(const struct mio *io)
{
    return mio_calls(io) > 0;
}

/* The "task I/O" table: tasks by name that did I/O, then I/O outside tasks. */
static void text_io(const struct ctx *c, struct prof **v, size_t n)
{
    size_t i, traced = 0, shown = 0, untraced = 0;
    char sb[256];

    for (i = 0; i < c->m->nloops; i++) {
        if (ctx_loop_selected(c, c->m->loops[i])) {
            traced += mloop_has_io(c->m->loops[i]) != 0;
            untraced += !mloop_has_io(c->m->loops[i]);
        }
    }
    fprintf(c->out, "\ntask I/O by task name (loop_read/write/accept/connect attempts; accepts and connects "
                    "that succeeded; again = EAGAIN or EINPROGRESS):\n");
    if (traced == 0) {
        fprintf(c->out, "  not traced: %s\n",
                untraced ? "the loops come from a libloop before trace format 1.1 (no task_io events)"
                         : "no loop");
        return;
    }
    fprintf(c->out, "  %-16s %8s %8s %7s %8s %13s %13s %8s %6s %6s  %s\n", "name", "reads", "writes", "accepts",
            "connects", "bytes read", "bytes written", "again", "eof", "errors", "spawned at");
    for (i = 0; i < n; i++) {
        const char *name;
        if (v[i]->kind != KIND_TASK || !v[i]->io_traced || !io_interesting(&v[i]->io)) {
            continue;
        }
        name = model_str(c->m, v[i]->name);
        fprintf(c->out, "  %-16.16s ", name[0] ? name : "(unnamed)");
        text_io_row(c->out, &v[i]->io);
        fprintf(c->out, "  %s", model_site_str(c->m, v[i]->site, sb, sizeof sb));
        text_io_errors(c->out, &v[i]->io);
        fputc('\n', c->out);
        shown++;
    }
    if (io_interesting(&c->m->io_outside)) {
        fprintf(c->out, "  %-16s ", "(outside tasks)");
        text_io_row(c->out, &c->m->io_outside);
        text_io_errors(c->out, &c->m->io_outside);
        fputc('\n', c->out);
        shown++;
    }
    if (shown == 0) {
        fprintf(c->out, "  none: no task called loop_read, loop_write, loop_accept or loop_connect\n");
    }
    if (untraced > 0) {
        fprintf(c->out, "  (%zu loop(s) from a libloop before trace format 1.1: their tasks' I/O is not traced)\n",
                untraced);
    }
}

/* A folded frame: no ';' (the separator) and no newline. */
static void folded_frame(FILE *f, const char *s)
{
    for (; *s; s++) {
        fputc(*s == ';' || *s == '\n' ? ',' : *s, f);
    }
}

/* The CPU time folded stacks: process;loop N;task NAME;after SITE, or process;loop N;KIND;SITE. */
static int write_folded(const struct ctx *c, FILE *out)
{
    size_t it = 0;
    void *cur = NULL;
    char sb[256], lb[64];

    while ((cur = model_agg_next(&c->m->folds, &it, cur)) != NULL) {
        const struct fold *f = cur;
        const char *pn = model_str(c->m, f->proc);
        int selected = 0;
        size_t i;
        for (i = 0; i < c->m->nloops; i++) {
            const struct mloop *l = c->m->loops[i];
            if (l->loop_id == f->loop_id && l->proc->procname == f->proc && ctx_loop_selected(c, l)) {
                selected = 1;
            }
        }
        if (!selected || f->ns == 0) {
            continue;
        }
        folded_frame(out, pn[0] ? pn : "?");
        snprintf(lb, sizeof lb, ";loop %" PRIu64 ";", f->loop_id);
        fputs(lb, out);
        if (f->kind == KIND_TASK) {
            const char *name = model_str(c->m, f->name);
            fputs("task ", out);
            folded_frame(out, name[0] ? name : model_site_str(c->m, f->spawn_site, sb, sizeof sb));
            fputc(';', out);
            if (f->site != 0) {
                fputs("after ", out);
                folded_frame(out, model_site_str(c->m, f->site, sb, sizeof sb));
            } else {
                fputs("(start)", out);
            }
        } else {
            fputs(ev_kind_name(f->kind), out);
            fputc(';', out);
            folded_frame(out, model_site_str(c->m, f->site, sb, sizeof sb));
        }
        fprintf(out, " %" PRIu64 "\n", f->ns);
    }
    return 0;
}

/* The waiting time folded stacks: wait;KIND;AWAIT SITE (all tasks; sleeps and yields left out). */
static int write_wait_folded(const struct ctx *c, FILE *out)
{
    size_t it = 0;
    void *cur = NULL;
    char sb[256];

    while ((cur = model_agg_next(&c->m->waits, &it, cur)) != NULL) {
        const struct waitstat *w = cur;
        if (w->wait.sum == 0 || w->wait_kind == WAIT_SLEEP || w->wait_kind == WAIT_YIELD) {
            continue;
        }
        fprintf(out, "wait;%s;", ev_wait_kind_name(w->wait_kind));
        folded_frame(out, model_site_str(c->m, w->site, sb, sizeof sb));
        fprintf(out, " %" PRIu64 "\n", w->wait.sum);
    }
    return 0;
}

/* Write FILE from folded stacks made by fn: an SVG flame graph, or speedscope JSON. */
static int write_graph(const struct ctx *c, const char *path, int (*fn)(const struct ctx *, FILE *), int kind)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len), *f;
    int rc;

    if (mem == NULL) {
        return -ENOMEM;
    }
    rc = fn(c, mem);
    if (fclose(mem) != 0 && rc == 0) {
        rc = -ENOMEM;
    }
    f = rc == 0 ? fopen(path, "w") : NULL;
    if (rc == 0 && f == NULL) {
        rc = -errno;
        fprintf(stderr, "loop-analyze: %s: %s\n", path, strerror(errno));
        free(buf);
        return -ECANCELED; /* reported */
    }
    if (rc == 0) {
        rc = kind == 2 ? flame_speedscope(buf, f, "libloop CPU time by task and site")
                       : flame_svg(buf, f, kind == 1 ? "libloop: time tasks waited, by await site"
                                                     : "libloop: CPU time by task and site", kind == 1);
        if (fclose(f) != 0 && rc == 0) {
            rc = -errno;
        }
    }
    free(buf);
    return rc;
}

static void json_loops(const struct ctx *c, struct jw *w)
{
    size_t i, b;

    jw_arr(w, "loops");
    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        if (!ctx_loop_selected(c, l)) {
            continue;
        }
        jw_obj(w, NULL);
        json_loop_ref(w, l);
        jw_str(w, "procname", model_str(c->m, l->proc->procname));
        jw_u64(w, "run_ns", l->run_ns);
        jw_u64(w, "busy_ns", l->busy_ns);
        jw_u64(w, "poll_ns", l->poll_ns);
        jw_dbl(w, "utilization", loop_util(l));
        jw_u64(w, "iterations", l->iters);
        jw_u64(w, "callbacks", l->callbacks);
        json_io(w, "io", &l->io, mloop_has_io(l));
        json_hist(w, "iteration", &l->iter_hist);
        jw_obj(w, "series");
        jw_u64(w, "start_ns", l->util.t0);
        jw_u64(w, "bucket_ns", l->util.width);
        jw_arr(w, "busy_ns");
        for (b = 0; b < UTIL_BUCKETS && l->util.width; b++) {
            jw_u64(w, NULL, l->util.busy[b]);
        }
        jw_end_arr(w);
        jw_arr(w, "iterations");
        for (b = 0; b < UTIL_BUCKETS && l->util.width; b++) {
            jw_u64(w, NULL, l->util.iters[b]);
        }
        jw_end_arr(w);
        jw_arr(w, "max_iteration_ns");
        for (b = 0; b < UTIL_BUCKETS && l->util.width; b++) {
            jw_u64(w, NULL, l->util.max_iter[b]);
        }
        jw_end_arr(w);
        jw_end_obj(w);
        jw_end_obj(w);
    }
    jw_end_arr(w);
}

static void text_loops(const struct ctx *c)
{
    char lb[256], a[32], b[32], d[32], e[32], g[32], k[32];
    size_t i, j, last;

    fprintf(c->out, "loops:\n");
    for (i = 0; i < c->m->nloops; i++) {
        const struct mloop *l = c->m->loops[i];
        if (!ctx_loop_selected(c, l)) {
            continue;
        }
        fprintf(c->out,
                "  %s: in loop_run %s, busy %s (%.1f%%), polling %s, %" PRIu64
                " iterations (p50 %s, p99 %s, max %s), %" PRIu64 " callbacks\n",
                describe_loop(c, l, lb, sizeof lb), fmt_dur(a, sizeof a, l->run_ns),
                fmt_dur(b, sizeof b, l->busy_ns), 100.0 * loop_util(l), fmt_dur(d, sizeof d, l->poll_ns),
                l->iters, fmt_dur(e, sizeof e, hist_quantile(&l->iter_hist, 0.5)),
                fmt_dur(g, sizeof g, hist_quantile(&l->iter_hist, 0.99)),
                fmt_dur(k, sizeof k, l->iter_hist.max), l->callbacks);
        if (mloop_has_io(l)) {
            fprintf(c->out,
                    "    task I/O: %" PRIu64 " attempts (%" PRIu64 " found nothing), %" PRIu64
                    " bytes read, %" PRIu64 " written, %" PRIu64 " accepted, %" PRIu64 " errors\n",
                    mio_calls(&l->io), mio_again(&l->io), l->io.bytes_read, l->io.bytes_written,
                    mio_ok(&l->io, IO_ACCEPT), mio_failed(&l->io));
        } else {
            fprintf(c->out, "    task I/O: not traced (trace format minor 0)\n");
        }
        if (l->util.width == 0) {
            continue;
        }
        for (last = UTIL_BUCKETS; last > 0 && l->util.busy[last - 1] == 0 && l->util.iters[last - 1] == 0;
             last--) {
        }
        fprintf(c->out, "    busy per %s (0-9 = tenths, + = full): [", fmt_dur(a, sizeof a, l->util.width));
        for (j = 0; j < last; j++) {
            uint64_t tenth = l->util.busy[j] * 10 / l->util.width;
            fputc(tenth >= 10 ? '+' : (int)('0' + tenth), c->out);
        }
        fprintf(c->out, "]\n");
    }
}

int report_profile(const struct ctx *c)
{
    struct prof **v = NULL;
    size_t n = 0, i;
    char sb[256];
    int rc;

    if (c->o->flame != NULL && (rc = write_graph(c, c->o->flame, write_folded, 0)) < 0) {
        return rc;
    }
    if (c->o->wait_flame != NULL && (rc = write_graph(c, c->o->wait_flame, write_wait_folded, 1)) < 0) {
        return rc;
    }
    if (c->o->speedscope != NULL && (rc = write_graph(c, c->o->speedscope, write_folded, 2)) < 0) {
        return rc;
    }
    if (c->o->folded && !c->o->json) {
        return write_folded(c, c->out);
    }
    rc = profs_sorted(c, &v, &n);
    if (rc < 0) {
        return rc;
    }
    if (c->o->json) {
        struct jw w;
        json_begin(c, &w);
        json_loops(c, &w);
        jw_arr(&w, "callbacks");
        for (i = 0; i < n; i++) {
            if (v[i]->kind == KIND_TASK) {
                continue;
            }
            jw_obj(&w, NULL);
            jw_str(&w, "kind", ev_kind_name(v[i]->kind));
            json_site(c, &w, "site", v[i]->site);
            jw_str(&w, "name", model_str(c->m, v[i]->name));
            jw_bool(&w, "internal", v[i]->internal);
            json_hist(&w, "step", &v[i]->step);
            json_hist(&w, "delay", &v[i]->delay);
            jw_u64(&w, "over_threshold", v[i]->over);
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_arr(&w, "tasks");
        for (i = 0; i < n; i++) {
            if (v[i]->kind != KIND_TASK) {
                continue;
            }
            jw_obj(&w, NULL);
            jw_str(&w, "name", model_str(c->m, v[i]->name));
            json_site(c, &w, "spawn_site", v[i]->site);
            json_hist(&w, "step", &v[i]->step);
            json_hist(&w, "delay", &v[i]->delay);
            jw_u64(&w, "over_threshold", v[i]->over);
            json_io(&w, "io", &v[i]->io, v[i]->io_traced);
            jw_end_obj(&w);
        }
        jw_end_arr(&w);
        json_io(&w, "io_outside_tasks", &c->m->io_outside, profile_io_traced(c));
        jw_end_obj(&w);
        free(v);
        return 0;
    }
    text_trace_warnings(c);
    text_loops(c);
    fprintf(c->out, "\ncallbacks by kind and creation site (step = callback run time; delay = ready to run):\n");
    fprintf(c->out, "  %-6s %8s %9s %9s %9s %9s %9s %9s | %9s %9s %9s %9s  %s\n", "kind", "count", "total",
            "mean", "p50", "p90", "p99", "max", "delay p50", "p90", "p99", "max", "site");
    for (i = 0; i < n; i++) {
        const char *name;
        if (v[i]->kind == KIND_TASK) {
            continue;
        }
        name = model_str(c->m, v[i]->name);
        fprintf(c->out, "  %-6s ", ev_kind_name(v[i]->kind));
        text_hist(c->out, &v[i]->step);
        text_delay(c->out, &v[i]->delay);
        fprintf(c->out, "  %s%s%s%s%s\n", model_site_str(c->m, v[i]->site, sb, sizeof sb),
                name[0] ? " \"" : "", name, name[0] ? "\"" : "",
                v[i]->internal ? (v[i]->kind == KIND_IO ? " [task fd waits]" : " [task timeouts/sleeps]") : "");
    }
    fprintf(c->out, "\ntasks by name (step = one run between awaits; delay = ready to running):\n");
    fprintf(c->out, "  %-16s %8s %9s %9s %9s %9s %9s %9s | %9s %9s %9s %9s  %s\n", "name", "steps", "total",
            "mean", "p50", "p90", "p99", "max", "delay p50", "p90", "p99", "max", "spawned at");
    for (i = 0; i < n; i++) {
        const char *name;
        if (v[i]->kind != KIND_TASK) {
            continue;
        }
        name = model_str(c->m, v[i]->name);
        fprintf(c->out, "  %-16.16s ", name[0] ? name : "(unnamed)");
        text_hist(c->out, &v[i]->step);
        text_delay(c->out, &v[i]->delay);
        fprintf(c->out, "  %s\n", model_site_str(c->m, v[i]->site, sb, sizeof sb));
    }
    text_io(c, v, n);
    free(v);
    return 0;
}
