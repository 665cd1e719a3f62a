/*
 * reader_int.h — what reader.c and reader_par.c share; not for other files.
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
