/*
 * reader.c — the babeltrace2 graph and the reader API (reader.h).
 *
 * Owns: the graph (src.ctf.fs per trace UUID, its inputs the trace's
 * directories (a rotated trace's chunks), or src.ctf.lttng-live →
 * utils.muxer → simple sink), opening (discovery and repair are in
 * discover.c), running (decoding is in decode.c; the parallel split and
 * merge in reader_par*.c), closing, sub-readers for reader_par.c, and
 * turning libbabeltrace2 errors into one line. Ownership: the reader holds
 * one reference on the graph and the plugins; messages from the iterator
 * are ours and put after decoding; everything reached from a message is
 * borrowed.
 */
#include "reader.h"
#include "reader_int.h"

#include <babeltrace2/babeltrace.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


void reader__errf(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    for (p = r->err; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
}

/*
 * The current thread's libbabeltrace2 error as text: the deepest cause
 * (the most specific message), trimmed to one line. Clears the error.
 */
static void bt_err_text(char *buf, size_t len)
{
    const bt_error *e = bt_current_thread_take_error();
    const char *msg = NULL;
    uint64_t n, i;
    char *p;

    buf[0] = '\0';
    if (e == NULL) {
        return;
    }
    n = bt_error_get_cause_count(e);
    /* Causes are appended as the error unwinds: index 0 is the root cause. */
    for (i = 0; i < n && msg == NULL; i++) {
        const bt_error_cause *c = bt_error_borrow_cause_by_index(e, i);
        const char *m = bt_error_cause_get_message(c);
        if (m != NULL && *m != '\0') {
            msg = m;
        }
    }
    if (msg != NULL) {
        snprintf(buf, len, "%s", msg);
    }
    bt_error_release(e);
    for (p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
    /* trim a trailing period/space for "...: cause" composition */
    for (p = buf + strlen(buf); p > buf && (p[-1] == ' ' || p[-1] == '.'); p--) {
        p[-1] = '\0';
    }
}

static bt_graph_simple_sink_component_initialize_func_status sink_init(bt_message_iterator *it,
                                                                       void *data)
{
    (void)it;
    (void)data;
    return BT_GRAPH_SIMPLE_SINK_COMPONENT_INITIALIZE_FUNC_STATUS_OK;
}

static bt_graph_simple_sink_component_consume_func_status sink_consume(bt_message_iterator *it,
                                                                       void *data)
{
    struct reader *r = data;
    bt_message_array_const msgs;
    uint64_t count = 0, i;
    int rc = 0;

    switch (bt_message_iterator_next(it, &msgs, &count)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
        break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
    default:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
    for (i = 0; i < count; i++) {
        if (rc == 0) {
            rc = r->hook != NULL ? r->hook(msgs[i], r->hook_arg) : reader__on_message(&r->dec, msgs[i]);
        }
        bt_message_put_ref(msgs[i]);
    }
    if (rc < 0) {
        r->cb_rc = rc;
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
    return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

/* ---------------------------------------------------------------------- */
/* Graph                                                                   */

static int find_plugins(struct reader *r)
{
    char cause[512];

    if (r->ctf != NULL && r->utils != NULL) {
        return 0; /* a sub-reader: its parent's plugins */
    }
    if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &r->ctf) !=
            BT_PLUGIN_FIND_STATUS_OK ||
        bt_plugin_find("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &r->utils) !=
            BT_PLUGIN_FIND_STATUS_OK) {
        bt_err_text(cause, sizeof cause);
        reader__errf(r, "babeltrace2 plugins ctf and utils not found%s%s (package babeltrace2)",
                cause[0] ? ": " : "", cause);
        return -ENOENT;
    }
    return 0;
}

/* {inputs: [paths...]} (+ session-not-found-action=end for live); NULL on ENOMEM. */
static bt_value *source_params(char *const *paths, size_t n, int live)
{
    bt_value *params = bt_value_map_create();
    bt_value *inputs = bt_value_array_create();
    size_t i;
    int ok = params != NULL && inputs != NULL;

    for (i = 0; i < n && ok; i++) {
        ok = bt_value_array_append_string_element(inputs, paths[i]) ==
             BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK;
    }
    ok = ok &&
             bt_value_map_insert_entry(params, "inputs", inputs) ==
                 BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK &&
             (!live || bt_value_map_insert_string_entry(params, "session-not-found-action", "end") ==
                           BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK);

    bt_value_put_ref(inputs);
    if (!ok) {
        bt_value_put_ref(params);
        return NULL;
    }
    return params;
}

/* Keep a shadow directory to remove at close. */
static int keep_shadow(struct reader *r, char *shadow)
{
    char **ns = realloc(r->shadows, (r->nshadows + 1) * sizeof(*ns));

    if (ns == NULL) {
        reader__remove_tree(shadow);
        free(shadow);
        return -ENOMEM;
    }
    r->shadows = ns;
    r->shadows[r->nshadows++] = shadow;
    return 0;
}

/* Add the source of trace i. -EINVAL with the message set when babeltrace2 refuses it. */
static int add_source(struct reader *r, size_t i, bt_logging_level level)
{
    size_t first = r->tfirst[i], n = r->tfirst[i + 1] - first;
    const char *path = r->paths[first];
    char more[64] = "";
    const bt_component_class_source *cls;
    bt_value *params;
    char name[48], cause[512];
    bt_graph_add_component_status st;

    cls = bt_plugin_borrow_source_component_class_by_name_const(r->ctf,
                                                               r->live ? "lttng-live" : "fs");
    if (cls == NULL) {
        reader__errf(r, "babeltrace2 has no source.ctf.%s component class", r->live ? "lttng-live" : "fs");
        return -ENOENT;
    }
    params = source_params(r->paths + first, n, r->live);
    if (params == NULL) {
        reader__errf(r, "out of memory");
        return -ENOMEM;
    }
    snprintf(name, sizeof name, "src%zu", r->src_base + i);
    st = bt_graph_add_source_component(r->graph, cls, name, params, level, &r->sources[i]);
    bt_value_put_ref(params);
    if (st == BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        return 0;
    }
    bt_err_text(cause, sizeof cause);
    if (n > 1) {
        snprintf(more, sizeof more, " (and %zu more chunk%s of that trace)", n - 1, n > 2 ? "s" : "");
    }
    if (r->live) {
        reader__errf(r, "%s: cannot read this lttng-live session%s%s", path, cause[0] ? ": " : "", cause);
    } else {
        reader__errf(r, "%s%s: not a readable CTF trace%s%s", path, more, cause[0] ? ": " : "", cause);
    }
    return -EINVAL;
}

static int connect_ports(struct reader *r, const bt_port_output *out, const bt_port_input *in)
{
    char cause[512];

    if (bt_graph_connect_ports(r->graph, out, in, NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
        bt_err_text(cause, sizeof cause);
        reader__errf(r, "cannot connect babeltrace2 ports: %s", cause);
        return -EINVAL;
    }
    return 0;
}

static int build_graph(struct reader *r, size_t *failed)
{
    bt_logging_level level = r->opts.verbose ? BT_LOGGING_LEVEL_WARNING : BT_LOGGING_LEVEL_NONE;
    const bt_component_class_filter *mux_cls;
    const bt_component_filter *mux = NULL;
    const bt_component_sink *sink = NULL;
    size_t i;
    uint64_t p, np;
    int rc;

    rc = find_plugins(r);
    if (rc < 0) {
        return rc;
    }
    r->graph = bt_graph_create(0);
    r->sources = calloc(r->ntraces, sizeof(*r->sources));
    if (r->graph == NULL || r->sources == NULL) {
        reader__errf(r, "out of memory");
        return -ENOMEM;
    }
    for (i = 0; i < r->ntraces; i++) {
        rc = add_source(r, i, level);
        if (rc < 0) {
            *failed = i;
            return rc;
        }
    }
    mux_cls = bt_plugin_borrow_filter_component_class_by_name_const(r->utils, "muxer");
    if (mux_cls == NULL ||
        bt_graph_add_filter_component(r->graph, mux_cls, "muxer", NULL, level, &mux) !=
            BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        reader__errf(r, "cannot create the babeltrace2 filter.utils.muxer component");
        return -EINVAL;
    }
    if (bt_graph_add_simple_sink_component(r->graph, "loop-sink", sink_init, sink_consume, NULL, r,
                                           &sink) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        reader__errf(r, "cannot create the babeltrace2 sink component");
        return -EINVAL;
    }
    /* Each source output port to the muxer's next free input port. */
    for (i = 0; i < r->ntraces; i++) {
        np = bt_component_source_get_output_port_count(r->sources[i]);
        for (p = 0; p < np; p++) {
            uint64_t nin = bt_component_filter_get_input_port_count(mux);
            const bt_port_input *in = bt_component_filter_borrow_input_port_by_index_const(mux, nin - 1);
            rc = connect_ports(r, bt_component_source_borrow_output_port_by_index_const(r->sources[i], p),
                               in);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return connect_ports(r, bt_component_filter_borrow_output_port_by_index_const(mux, 0),
                         bt_component_sink_borrow_input_port_by_index_const(sink, 0));
}

/* A failed graph is faulty: drop it before building another. */
static void drop_graph(struct reader *r)
{
    bt_graph_put_ref(r->graph);
    r->graph = NULL;
    free(r->sources);
    r->sources = NULL;
}

/*
 * Build the graph; when babeltrace2 refuses a trace because a stream file
 * of one of its directories is truncated, read a repaired shadow of each
 * such directory instead.
 */
static int open_graph(struct reader *r)
{
    size_t failed = (size_t)-1, d;
    char *shadow;
    char saved[sizeof r->err];
    int rc, repaired;

    for (;;) {
        rc = build_graph(r, &failed);
        if (rc != -EINVAL || failed >= r->ntraces || r->live) {
            return rc;
        }
        memcpy(saved, r->err, sizeof saved);
        drop_graph(r);
        repaired = 0;
        for (d = r->tfirst[failed]; d < r->tfirst[failed + 1]; d++) {
            if (reader__repair_trace(r, r->paths[d], &shadow) < 0) {
                continue;
            }
            rc = keep_shadow(r, shadow);
            if (rc < 0) {
                return rc;
            }
            free(r->paths[d]);
            r->paths[d] = strdup(shadow);
            if (r->paths[d] == NULL) {
                return -ENOMEM;
            }
            repaired++;
        }
        if (repaired == 0) {
            memcpy(r->err, saved, sizeof saved);
            return -EINVAL;
        }
        r->dec.stats.truncated = 1;
        r->err[0] = '\0';
        failed = (size_t)-1;
    }
}

/* ---------------------------------------------------------------------- */
/* API                                                                     */

int reader_open(struct reader **out, const char *const *inputs, size_t n,
                const struct reader_opts *opts, char *errbuf, size_t errlen)
{
    struct reader *r;
    struct stat st;
    size_t i, before;
    int rc = 0;

    *out = NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        if (errbuf != NULL && errlen > 0) {
            snprintf(errbuf, errlen, "out of memory");
        }
        return -ENOMEM;
    }
    if (opts != NULL) {
        r->opts = *opts;
        r->dec.opts = *opts;
    }
    if (n == 0) {
        reader__errf(r, "no trace given");
        rc = -EINVAL;
        goto fail;
    }
    for (i = 0; i < n; i++) {
        if (reader__is_live_url(inputs[i])) {
            r->live = 1;
        }
    }
    if (r->live && n > 1) {
        reader__errf(r, "an lttng-live URL must be the only input");
        rc = -EINVAL;
        goto fail;
    }
    for (i = 0; i < n && rc == 0; i++) {
        const char *in = inputs[i];
        if (r->live) {
            rc = reader__add_path(r, in);
            continue;
        }
        if (stat(in, &st) < 0) {
            rc = -errno;
            reader__errf(r, "%s: %s", in, strerror(errno));
            goto fail;
        }
        before = r->npaths;
        if (S_ISREG(st.st_mode)) {
            /* a metadata file (or a stream file) names its trace directory */
            char dir[4096], *slash;
            snprintf(dir, sizeof dir, "%s", in);
            slash = strrchr(dir, '/');
            if (slash == NULL) {
                snprintf(dir, sizeof dir, ".");
            } else {
                *slash = '\0';
            }
            rc = reader__discover(r, dir[0] ? dir : "/", READER__MAX_DEPTH);
        } else if (S_ISDIR(st.st_mode)) {
            rc = reader__discover(r, in, 0);
        } else {
            reader__errf(r, "%s: not a directory", in);
            rc = -EINVAL;
        }
        if (rc == 0 && r->npaths == before) {
            reader__errf(r, "%s: no CTF trace here (no directory below it holds a metadata file)", in);
            rc = -ENOENT;
        }
    }
    if (rc < 0) {
        goto fail;
    }
    rc = reader__group_traces(r);
    if (rc < 0) {
        reader__errf(r, "out of memory");
        goto fail;
    }
    r->dec.stats.traces = (uint32_t)r->ntraces;
    if (!r->live && r->ntraces > 1 && r->opts.jobs > 1) {
        rc = reader__par_open(r, &r->opts, &r->par); /* 1: read them in one graph */
        if (rc < 0) {
            goto fail;
        }
        if (rc == 0) {
            *out = r;
            return 0;
        }
    }
    rc = open_graph(r);
    if (rc < 0) {
        goto fail;
    }
    *out = r;
    return 0;
fail:
    if (errbuf != NULL && errlen > 0) {
        snprintf(errbuf, errlen, "%s", r->err[0] ? r->err : strerror(-rc));
    }
    reader_close(r);
    return rc;
}

int reader_run(struct reader *r, reader_event_fn fn, void *arg)
{
    char cause[512];
    bt_graph_run_status st;

    if (r->par != NULL) {
        return reader__par_run(r->par, fn, arg);
    }
    r->dec.fn = fn;
    r->dec.arg = arg;
    r->cb_rc = 0;
    for (;;) {
        st = bt_graph_run(r->graph);
        if (st == BT_GRAPH_RUN_STATUS_OK) {
            return 0;
        }
        if (st == BT_GRAPH_RUN_STATUS_AGAIN) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (r->cb_rc < 0) {
            bt_current_thread_clear_error();
            if (r->dec.err[0] != '\0') {
                memcpy(r->err, r->dec.err, sizeof r->err);
            }
            if (r->err[0] == '\0') {
                reader__errf(r, "stopped: %s", strerror(-r->cb_rc));
            }
            return r->cb_rc;
        }
        bt_err_text(cause, sizeof cause);
        if (st == BT_GRAPH_RUN_STATUS_MEMORY_ERROR) {
            reader__errf(r, "out of memory while reading the trace");
            return -ENOMEM;
        }
        if (r->dec.stats.libloop_events == 0 && r->dec.stats.events == 0) {
            reader__errf(r, "%s: cannot read the trace%s%s", r->paths[0], cause[0] ? ": " : "", cause);
            return -EINVAL;
        }
        r->dec.stats.truncated = 1;
        reader__errf(r, "reading stopped after %llu events (truncated or corrupt stream)%s%s",
                (unsigned long long)r->dec.stats.events, cause[0] ? ": " : "", cause);
        return -EIO;
    }
}

const char *reader_error(const struct reader *r)
{
    return r->err;
}

const struct reader_stats *reader_stats(const struct reader *r)
{
    return &r->dec.stats;
}

size_t reader_trace_count(const struct reader *r)
{
    return r->npaths;
}

const char *reader_trace_path(const struct reader *r, size_t i)
{
    return i < r->npaths ? r->paths[i] : NULL;
}

int reader_threads(const struct reader *r)
{
    return r->par != NULL ? reader__par_threads(r->par) : 1;
}

size_t reader_note_count(const struct reader *r)
{
    return r->nnotes;
}

const char *reader_note(const struct reader *r, size_t i)
{
    return i < r->nnotes ? r->notes[i] : NULL;
}

void reader_close(struct reader *r)
{
    size_t i;

    if (r == NULL) {
        return;
    }
    if (r->par != NULL) {
        reader__par_free(r->par); /* joins its threads, closes the sub-readers */
    }
    bt_graph_put_ref(r->graph); /* puts the components it holds */
    bt_plugin_put_ref(r->ctf);
    bt_plugin_put_ref(r->utils);
    for (i = 0; i < r->npaths; i++) {
        free(r->paths[i]);
    }
    free(r->paths);
    free(r->tfirst);
    for (i = 0; i < r->nshadows; i++) {
        reader__remove_tree(r->shadows[i]);
        free(r->shadows[i]);
    }
    free(r->shadows);
    for (i = 0; i < r->nnotes; i++) {
        free(r->notes[i]);
    }
    free(r->notes);
    free(r->sources);
    free(r->dec.ecs);
    free(r);
}

/* ---------------------------------------------------------------------- */
/* Sub-readers, for reader_par.c (reader_int.h)                            */

int reader__sub_open(struct reader *parent, size_t first, size_t n, struct reader **out)
{
    size_t d0 = parent->tfirst[first], nd = parent->tfirst[first + n] - d0;
    struct reader *r;
    size_t i;
    int rc;

    *out = NULL;
    rc = find_plugins(parent);
    if (rc < 0) {
        return rc;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        reader__errf(parent, "out of memory");
        return -ENOMEM;
    }
    r->opts = parent->opts;
    r->dec.opts = parent->opts;
    r->src_base = first;
    r->ctf = parent->ctf;
    r->utils = parent->utils;
    bt_plugin_get_ref(r->ctf);
    bt_plugin_get_ref(r->utils);
    r->all_uuids = parent->all_uuids;
    r->ntraces = n;
    r->tfirst = calloc(n + 1, sizeof(*r->tfirst));
    if (r->tfirst == NULL) {
        reader__errf(parent, "out of memory");
        rc = -ENOMEM;
        goto fail;
    }
    for (i = 0; i <= n; i++) {
        r->tfirst[i] = parent->tfirst[first + i] - d0;
    }
    for (i = 0; i < nd; i++) {
        rc = reader__add_path(r, parent->paths[d0 + i]);
        if (rc < 0) {
            reader__errf(parent, "out of memory");
            goto fail;
        }
    }
    rc = open_graph(r);
    if (rc < 0) {
        memcpy(parent->err, r->err, sizeof parent->err);
        goto fail;
    }
    /* What open_graph did to read damaged traces is the parent's to tell. */
    for (i = 0; i < nd; i++) {
        char *p = strdup(r->paths[i]);
        if (p == NULL) {
            reader__errf(parent, "out of memory");
            rc = -ENOMEM;
            goto fail;
        }
        free(parent->paths[d0 + i]);
        parent->paths[d0 + i] = p;
    }
    for (i = 0; i < r->nnotes; i++) {
        rc = reader__add_note(parent, "%s", r->notes[i]);
        if (rc < 0) {
            reader__errf(parent, "out of memory");
            goto fail;
        }
    }
    if (r->dec.stats.truncated) {
        parent->dec.stats.truncated = 1;
    }
    *out = r;
    return 0;
fail:
    reader_close(r);
    return rc;
}

int reader__sub_run(struct reader *r, reader__msg_fn fn, void *arg, char *cause, size_t len)
{
    bt_graph_run_status st;

    r->hook = fn;
    r->hook_arg = arg;
    r->cb_rc = 0;
    cause[0] = '\0';
    for (;;) {
        st = bt_graph_run(r->graph);
        if (st == BT_GRAPH_RUN_STATUS_OK) {
            return 0;
        }
        if (st == BT_GRAPH_RUN_STATUS_AGAIN) {
            continue; /* src.ctf.fs never waits for data */
        }
        if (r->cb_rc < 0) {
            bt_current_thread_clear_error();
            return r->cb_rc;
        }
        bt_err_text(cause, len);
        return st == BT_GRAPH_RUN_STATUS_MEMORY_ERROR ? -ENOMEM : -EIO;
    }
}

size_t reader__ntraces(const struct reader *r)
{
    return r->ntraces;
}

size_t reader__trace_first(const struct reader *r, size_t t)
{
    return t <= r->ntraces ? r->tfirst[t] : r->npaths;
}

int reader__all_uuids(const struct reader *r)
{
    return r->all_uuids;
}

struct reader_stats *reader__stats(struct reader *r)
{
    return &r->dec.stats;
}

void reader__set_error(struct reader *r, const char *msg)
{
    reader__errf(r, "%s", msg);
}
