/*
 * reader_int.h — what the reader's files share; not for other parts
 * (docs/architecture.md: reader/ offers reader.h only).
 *
 * reader.c: the graph and the API; discover.c: discovery and truncation
 * repair; decode.c: messages into struct event; reader_par*.c: the
 * parallel split and merge; names.c: the names (needs no libbabeltrace2).
 *
 * A trace is one or more trace directories sharing a UUID (the chunks of a
 * rotated trace), contiguous in reader_trace_path's order, read by one
 * src.ctf.fs. A sub-reader is a struct reader on a contiguous range of its
 * parent's traces, with its own graph but the parent's plugins, whose
 * messages go to a hook (the worker thread's) instead of the decoder.
 * Thread rules: sub-readers are opened and closed in the parent's thread;
 * reader__sub_run runs in one worker thread at a time.
 */
#ifndef LOOP_ANALYZE_READER_INT_H
#define LOOP_ANALYZE_READER_INT_H

#include "reader.h"

#include <babeltrace2/babeltrace.h>

struct bt_message;
struct reader_par;

/* Called for every message of a sub-reader's graph; < 0 stops the run with it. */
typedef int (*reader__msg_fn)(const struct bt_message *msg, void *arg);

/* Traces; trace t is directories [reader__trace_first(t), reader__trace_first(t + 1)). */
size_t reader__ntraces(const struct reader *r);
size_t reader__trace_first(const struct reader *r, size_t t);
/* 1 when every trace has a UUID, and no other trace has it. */
int reader__all_uuids(const struct reader *r);

/*
 * Open a sub-reader on parent's traces [first, first + n). On success
 * the parent takes over what opening did to damaged traces: the repaired
 * paths, the notes, stats.truncated. On failure parent's error is set.
 */
int reader__sub_open(struct reader *parent, size_t first, size_t n, struct reader **out);

/*
 * Run a sub-reader's graph to its end, every message to fn. 0 at the end;
 * fn's negative value; or -EIO / -ENOMEM when the graph failed, with
 * libbabeltrace2's cause (one line, maybe "") in cause.
 */
int reader__sub_run(struct reader *r, reader__msg_fn fn, void *arg, char *cause, size_t len);

struct reader_stats *reader__stats(struct reader *r);
void reader__set_error(struct reader *r, const char *msg);

/* ---------------------------------------------------------------------- */
/* The structures (reader.c, discover.c, decode.c)                         */

struct ec_info; /* decode.c: what we know about one event class */

/* The decoder: everything needed to turn messages into struct event. */
struct reader_decoder {
    struct reader_opts opts;

    /* event-class cache: open addressing on the class pointer */
    struct ec_info *ecs;
    size_t ec_cap, ec_len;

    /* trace index per trace: small linear map */
    const bt_trace *trace_keys[64];
    size_t ntrace_keys;

    reader_event_fn fn;
    void *arg;
    struct reader_stats stats;
    char err[1024];
};

struct reader {
    struct reader_opts opts;
    struct reader_decoder dec;
    char **paths; /* trace directories or live URLs, those of one trace together */
    size_t npaths, cap_paths;
    int live;

    /*
     * Traces: trace t is directories [tfirst[t], tfirst[t + 1]) (the chunks
     * of a rotated trace share its UUID), one src.ctf.fs each.
     */
    size_t *tfirst;
    size_t ntraces;
    int all_uuids; /* every trace has a UUID of its own (reader_par.c needs it) */

    bt_graph *graph;
    const bt_plugin *ctf, *utils;
    const bt_component_source **sources;

    int cb_rc;
    int stop;

    /* reader_par.c: a sub-reader's messages go to hook instead of the decoder */
    reader__msg_fn hook;
    void *hook_arg;
    size_t src_base;         /* its sources are named src<src_base + i> */
    struct reader_par *par;  /* the parent: workers decode, reader_run merges */

    char err[1024];

    /* repaired copies of traces with truncated stream files (removed at close) */
    char **shadows;
    size_t nshadows;
    char **notes;
    size_t nnotes;
};

/* r's error, one line (newlines and tabs become spaces). reader.c. */
void reader__errf(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * discover.c. Inputs: reader__discover adds every trace directory at or
 * below dir (sorted; a directory with a metadata file is not searched
 * further); reader__add_path adds one; reader__group_traces orders the
 * paths into traces by metadata UUID and fills tfirst, ntraces, all_uuids.
 * Repair: reader__repair_trace makes a shadow copy of dir with truncated
 * stream files cut at their last complete packet (0 and *shadow, malloc'd;
 * -ENOENT when nothing was truncated) and notes each cut with
 * reader__add_note; reader__remove_tree removes a shadow at close.
 */
#define READER__MAX_DEPTH 16 /* how deep reader__discover searches */
int reader__discover(struct reader *r, const char *dir, int depth);
int reader__add_path(struct reader *r, const char *path);
int reader__is_live_url(const char *s);
int reader__group_traces(struct reader *r);
int reader__repair_trace(struct reader *r, const char *dir, char **shadow);
int reader__add_note(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reader__remove_tree(const char *dir);

/* decode.c: one message through the decoder to d->fn; < 0 stops the run. */
int reader__on_message(struct reader_decoder *d, const bt_message *msg);

/*
 * reader_par.c. reader__par_open: 0 and *out when r's directories are
 * read in parallel; 1 when they are not (r reads them in one graph); or a
 * negative errno with r's error set, exactly as open_graph would fail.
 */
int reader__par_open(struct reader *r, const struct reader_opts *opts, struct reader_par **out);
int reader__par_run(struct reader_par *p, reader_event_fn fn, void *arg);
void reader__par_free(struct reader_par *p);
int reader__par_threads(const struct reader_par *p);

#endif /* LOOP_ANALYZE_READER_INT_H */
