/*
 * plugin.c — loop-analyze as a babeltrace2 plugin, sharing the decoder
 * (reader.c), the model and the reports with the command line tool:
 *
 *   babeltrace2 --plugin-path=build/lib/babeltrace2 TRACE -c sink.libloop.summary
 *   babeltrace2 --plugin-path=... --input-format=lttng-live URL -c sink.libloop.hangs \
 *       --params='threshold="2s"'
 *
 * Sink component classes: summary, timeline, hangs, lints, leaks, profile,
 * check. Parameters (all optional): threshold (string "2s"/"100ms" or
 * integer ns), pid, loop (integers), json, folded, all (booleans), width
 * (integer), chrome, html (timeline: file paths). The report goes to
 * stdout when the input ends; `check` then fails (babeltrace2 exits
 * non-zero) when it found anything.
 *
 * Ownership: the component owns its model, decoder and message iterator;
 * the messages it gets are put after decoding.
 */
#include <babeltrace2/babeltrace.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "reader.h"
#include "report.h"

BT_PLUGIN_MODULE();
BT_PLUGIN(libloop);
BT_PLUGIN_DESCRIPTION("libloop trace analyzers: summary, timeline, hangs, lints, leaks, profile, check");
BT_PLUGIN_AUTHOR("libloop");
BT_PLUGIN_LICENSE("MIT");

struct psink {
    struct aopts o;
    char command[16];
    char *chrome, *html;
    struct model *m;
    struct reader_decoder *dec;
    bt_message_iterator *it;
};

static int feed(const struct event *ev, void *arg)
{
    return model_feed(arg, ev);
}

static int parse_duration(const char *s, uint64_t *out)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || v < 0) {
        return -EINVAL;
    }
    if (*end == '\0' || strcasecmp(end, "ms") == 0) {
        v *= 1e6;
    } else if (strcasecmp(end, "s") == 0) {
        v *= 1e9;
    } else if (strcasecmp(end, "us") == 0) {
        v *= 1e3;
    } else if (strcasecmp(end, "ns") != 0) {
        return -EINVAL;
    }
    *out = (uint64_t)v;
    return 0;
}

static int64_t int_param(const bt_value *v, int64_t dflt)
{
    if (v == NULL) {
        return dflt;
    }
    if (bt_value_is_signed_integer(v)) {
        return bt_value_integer_signed_get(v);
    }
    if (bt_value_is_unsigned_integer(v)) {
        return (int64_t)bt_value_integer_unsigned_get(v);
    }
    return dflt;
}

static int bool_param(const bt_value *v)
{
    return v != NULL && bt_value_is_bool(v) && bt_value_bool_get(v);
}

static char *str_param(const bt_value *v)
{
    return v != NULL && bt_value_is_string(v) ? strdup(bt_value_string_get(v)) : NULL;
}

static void psink_free(struct psink *p)
{
    if (p == NULL) {
        return;
    }
    bt_message_iterator_put_ref(p->it);
    model_free(p->m);
    reader_decoder_free(p->dec);
    free(p->chrome);
    free(p->html);
    free(p);
}

static bt_component_class_initialize_method_status sink_init(bt_self_component_sink *self,
                                                             bt_self_component_sink_configuration *config,
                                                             const bt_value *params, void *init_data)
{
    bt_self_component *comp = bt_self_component_sink_as_self_component(self);
    const char *cls = bt_component_class_get_name(
        bt_component_borrow_class_const(bt_self_component_as_component(comp)));
    struct model_opts mo;
    struct reader_opts ro;
    const bt_value *t;
    struct psink *p;

    (void)config;
    (void)init_data;
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
    }
    snprintf(p->command, sizeof p->command, "%s", cls);
    p->o.command = p->command;
    p->o.threshold_ns = 100 * 1000 * 1000;
    p->o.width = 72;
    p->o.pid = int_param(bt_value_map_borrow_entry_value_const(params, "pid"), -1);
    p->o.loop = int_param(bt_value_map_borrow_entry_value_const(params, "loop"), -1);
    p->o.width = (int)int_param(bt_value_map_borrow_entry_value_const(params, "width"), 72);
    if (p->o.width < 10 || p->o.width > 1000) {
        p->o.width = 72;
    }
    p->o.json = bool_param(bt_value_map_borrow_entry_value_const(params, "json"));
    p->o.folded = bool_param(bt_value_map_borrow_entry_value_const(params, "folded"));
    p->o.all = bool_param(bt_value_map_borrow_entry_value_const(params, "all"));
    p->chrome = str_param(bt_value_map_borrow_entry_value_const(params, "chrome"));
    p->html = str_param(bt_value_map_borrow_entry_value_const(params, "html"));
    p->o.chrome = p->chrome;
    p->o.html = p->html;
    t = bt_value_map_borrow_entry_value_const(params, "threshold");
    if (t != NULL && bt_value_is_string(t)) {
        if (parse_duration(bt_value_string_get(t), &p->o.threshold_ns) < 0 || p->o.threshold_ns == 0) {
            BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(
                comp, "threshold: not a duration (2s, 100ms, 500us): %s", bt_value_string_get(t));
            psink_free(p);
            return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_ERROR;
        }
    } else if (t != NULL) {
        int64_t v = int_param(t, 0);
        p->o.threshold_ns = v > 0 ? (uint64_t)v : p->o.threshold_ns;
    }
    memset(&mo, 0, sizeof mo);
    mo.threshold_ns = p->o.threshold_ns;
    mo.keep_intervals = strcmp(cls, "timeline") == 0;
    mo.pid = p->o.pid;
    mo.loop = p->o.loop;
    memset(&ro, 0, sizeof ro);
    p->m = model_new(&mo);
    p->dec = reader_decoder_new(&ro);
    if (p->m == NULL || p->dec == NULL ||
        bt_self_component_sink_add_input_port(self, "in", NULL, NULL) != BT_SELF_COMPONENT_ADD_PORT_STATUS_OK) {
        psink_free(p);
        return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
    }
    bt_self_component_set_data(comp, p);
    return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_OK;
}

static void sink_finalize(bt_self_component_sink *self)
{
    psink_free(bt_self_component_get_data(bt_self_component_sink_as_self_component(self)));
}

static bt_component_class_sink_graph_is_configured_method_status
sink_graph_is_configured(bt_self_component_sink *self)
{
    struct psink *p = bt_self_component_get_data(bt_self_component_sink_as_self_component(self));

    if (bt_message_iterator_create_from_sink_component(
            self, bt_self_component_sink_borrow_input_port_by_name(self, "in"), &p->it) !=
        BT_MESSAGE_ITERATOR_CREATE_FROM_SINK_COMPONENT_STATUS_OK) {
        return BT_COMPONENT_CLASS_SINK_GRAPH_IS_CONFIGURED_METHOD_STATUS_ERROR;
    }
    return BT_COMPONENT_CLASS_SINK_GRAPH_IS_CONFIGURED_METHOD_STATUS_OK;
}

/* The input ended: the report. */
static bt_component_class_sink_consume_method_status report(bt_self_component *comp, struct psink *p)
{
    struct ctx c;
    uint64_t findings = 0;
    int rc;

    if (reader_decoder_stats(p->dec)->libloop_events == 0 || p->m->events == 0) {
        BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(
            comp, "no libloop events%s", p->m->events == 0 && p->m->filtered ? " match pid/loop" : "");
        return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
    }
    model_finish(p->m);
    memset(&c, 0, sizeof c);
    c.m = p->m;
    c.o = &p->o;
    c.rs = reader_decoder_stats(p->dec);
    c.out = stdout;
    if (strcmp(p->command, "summary") == 0) {
        rc = report_summary(&c);
    } else if (strcmp(p->command, "timeline") == 0) {
        rc = report_timeline(&c);
    } else if (strcmp(p->command, "hangs") == 0) {
        rc = report_hangs(&c);
    } else if (strcmp(p->command, "lints") == 0) {
        rc = report_lints(&c);
    } else if (strcmp(p->command, "leaks") == 0) {
        rc = report_leaks(&c);
    } else if (strcmp(p->command, "profile") == 0) {
        rc = report_profile(&c);
    } else {
        rc = report_check(&c, &findings);
    }
    fflush(stdout);
    if (rc < 0) {
        BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(comp, "%s: %s", p->command, strerror(-rc));
        return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
    }
    if (findings > 0) {
        /* The line that matters, before babeltrace2's error stack (the only
         * way a sink can make babeltrace2 exit non-zero). */
        fprintf(stderr,
                "sink.libloop.check: FAIL: %llu finding(s), listed on stdout (babeltrace2's "
                "error report below only says that the check failed)\n",
                (unsigned long long)findings);
        fflush(stderr);
        BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(comp, "libloop check: %llu finding(s)",
                                                            (unsigned long long)findings);
        return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
    }
    return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_END;
}

static bt_component_class_sink_consume_method_status sink_consume(bt_self_component_sink *self)
{
    bt_self_component *comp = bt_self_component_sink_as_self_component(self);
    struct psink *p = bt_self_component_get_data(comp);
    bt_message_array_const msgs;
    uint64_t count = 0, i;
    int rc = 0;

    switch (bt_message_iterator_next(p->it, &msgs, &count)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
        break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
        return report(comp, p);
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
        return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
        return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_MEMORY_ERROR;
    default:
        return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
    }
    for (i = 0; i < count; i++) {
        if (rc == 0) {
            rc = reader_decode(p->dec, msgs[i], feed, p->m);
        }
        bt_message_put_ref(msgs[i]);
    }
    if (rc < 0) {
        const char *why = reader_decoder_error(p->dec);
        BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(comp, "%s", why[0] ? why : strerror(-rc));
        return rc == -ENOMEM ? BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_MEMORY_ERROR
                             : BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
    }
    return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_OK;
}

/* babeltrace2 help sink.libloop.NAME: the parameters (all optional). */
#define PARAMS_HELP                                                                         \
    "Parameters (all optional; --params='threshold=\"2s\",pid=42'):\n"                    \
    "  threshold=DUR   slow steps, long waits, hangs: a string \"2s\", \"100ms\", \"500us\"\n" \
    "                  or an integer in ns (default 100ms)\n"                                \
    "  pid=PID         only this process (vpid)\n"                                          \
    "  loop=ID         only this loop id\n"                                                 \
    "  json=true       one JSON document (the schema of loop-analyze --json)\n"
#define PARAMS_TIMELINE                                                                     \
    "  width=N         Gantt width in columns (default 72)\n"                               \
    "  all=true        every task (default: the first 100 per loop)\n"                      \
    "  chrome=\"FILE\"   also write Chrome trace event JSON\n"                              \
    "  html=\"FILE\"     also write a self-contained HTML page\n"
#define PARAMS_PROFILE "  folded=true     folded stacks for flame graphs\n"
#define SEE_ALSO(_name) "Same report as `loop-analyze " #_name "` (man loop-analyze)."

#define LIBLOOP_SINK_HELP(_name, _descr, _help)                                           \
    BT_PLUGIN_SINK_COMPONENT_CLASS(_name, sink_consume);                                  \
    BT_PLUGIN_SINK_COMPONENT_CLASS_DESCRIPTION(_name, _descr);                            \
    BT_PLUGIN_SINK_COMPONENT_CLASS_HELP(_name, _help SEE_ALSO(_name));                    \
    BT_PLUGIN_SINK_COMPONENT_CLASS_INITIALIZE_METHOD(_name, sink_init);                   \
    BT_PLUGIN_SINK_COMPONENT_CLASS_FINALIZE_METHOD(_name, sink_finalize);                 \
    BT_PLUGIN_SINK_COMPONENT_CLASS_GRAPH_IS_CONFIGURED_METHOD(_name, sink_graph_is_configured)

#define LIBLOOP_SINK(_name, _descr) LIBLOOP_SINK_HELP(_name, _descr, PARAMS_HELP)

LIBLOOP_SINK(summary, "libloop: processes, loops, counts and every finding");
LIBLOOP_SINK_HELP(timeline, "libloop: each task's life as intervals (text, json, chrome, html)",
                  PARAMS_HELP PARAMS_TIMELINE);
LIBLOOP_SINK(hangs, "libloop: deadlocks, blocked tasks with their wait-for chain, stalls");
LIBLOOP_SINK(lints, "libloop: lost wakeups, self-wakes, never-yielding steps, unobserved errors");
LIBLOOP_SINK(leaks, "libloop: handles never closed, tasks never finished, by creation site");
LIBLOOP_SINK_HELP(profile, "libloop: step time and scheduling delay percentiles, utilization",
                  PARAMS_HELP PARAMS_PROFILE);
LIBLOOP_SINK(check, "libloop: fails when any hang, deadlock, stall or leak is found");
