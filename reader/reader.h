/*
 * reader.h — the one reader of libloop traces.
 *
 * Every tool that reads libloop traces (loop-analyze, loop-replay extract,
 * the babeltrace2 plugin) goes through this API; nothing else parses events.
 *
 *     struct reader *r;
 *     rc = reader_open(&r, inputs, n, &opts);   inputs: directories or live URLs
 *     rc = reader_run(r, on_event, arg);         on_event(ev, arg) per event
 *     ... reader_error(r), reader_stats(r) ...
 *     reader_close(r);
 *
 * An input is a directory at any level of an LTTng output (the session
 * directory, ust/uid/0/64-bit, a per-pid directory...): every directory
 * below it that holds a `metadata` file is a CTF trace directory; the
 * directories whose metadata carry the same trace UUID (the chunks of a
 * rotated session: archives/CHUNK/ust/...) are one trace, a directory whose
 * UUID cannot be read a trace of its own. An input that
 * starts with `net://` (or net4://, net6://) is an lttng-live URL
 * (net://HOST[:PORT]/host/HOSTNAME/SESSION).
 *
 * The reader builds a babeltrace2 graph (one src.ctf.fs per trace, its
 * `inputs` the trace's directories, which babeltrace2 merges into one trace,
 * or src.ctf.lttng-live → utils.muxer → a simple sink), decodes the
 * libloop:* events into struct event (field indexes cached per event
 * class) in timestamp order, and reports gaps (discarded events and packets)
 * as events of type EV_DISCARDED. Events of other providers are counted and
 * skipped.
 *
 * Errors: functions return 0 or a negative errno; reader_error() then holds
 * one line saying what went wrong (never multi-line, no trailing newline):
 *   -ENOENT   an input does not exist, or holds no CTF trace
 *   -EACCES   an input (or a directory below it) cannot be read
 *   -EINVAL   an input is not a CTF trace babeltrace2 can read
 *   -EPROTONOSUPPORT  a loop_new carries a format_version newer than
 *             READER_FORMAT_VERSION (unless opts.ignore_version)
 *   -EIO      reading failed after the start (a truncated or corrupt stream
 *             file): the events before the failure were delivered
 *   -ENOMEM, or the callback's own negative value, which stops the run.
 * Not thread-safe: one reader per thread.
 *
 * Parallel decoding (reader_par.c): with opts.jobs > 1 and several traces
 * (not lttng-live), reader_open splits the traces, in their order, into up
 * to `jobs` groups of about equal size; each group gets its own graph
 * (src.ctf.fs per trace → muxer → sink) decoded by
 * its own thread into bounded queues, and reader_run merges the queues in
 * the calling thread in the order the single graph's muxer would give
 * (timestamp, then trace UUID), so that the callback sees the same events
 * in the same order, the same errors and the same stats as with jobs = 1.
 * The callback always runs in the thread that calls reader_run. When a
 * directory's UUID cannot be read, all are read in one graph.
 */
#ifndef LOOP_ANALYZE_READER_H
#define LOOP_ANALYZE_READER_H

#include <stddef.h>
#include <stdint.h>

/* The trace-format version this reader knows (docs/trace-format.md). */
#define READER_FORMAT_VERSION 1

enum ev_type {
    EV_NONE = 0,
    /* loop */
    EV_LOOP_NEW,
    EV_LOOP_CLOSE,
    EV_RUN_BEGIN,
    EV_RUN_END,
    EV_ITER_BEGIN,
    EV_TIME_UPDATE,
    EV_POLL_BEGIN,
    EV_POLL_END,
    EV_IO_READY,
    EV_SIGNAL_RECV,
    /* handles */
    EV_HANDLE_NEW,
    EV_HANDLE_NAME,
    EV_HANDLE_START,
    EV_HANDLE_STOP,
    EV_HANDLE_CLOSE,
    EV_CALLBACK_BEGIN,
    EV_CALLBACK_END,
    /* thread pool */
    EV_POOL_SUBMIT,
    EV_POOL_BEGIN,
    EV_POOL_END,
    EV_POOL_DONE,
    /* tasks */
    EV_TASK_NEW,
    EV_TASK_READY,
    EV_TASK_RUN,
    EV_TASK_SUSPEND,
    EV_TASK_DONE,
    EV_TASK_CANCEL,
    /* format_minor >= 1 */
    EV_TASK_JOIN,
    EV_TASK_DETACH,
    EV_TASK_IO,
    EV_SYNC_NEW,
    EV_SYNC_FREE,
    EV_FUTURE_SETTLE,
    EV_FUTURE_RESULT,
    /* format_minor >= 2 */
    EV_LOCK_HANDOFF, /* id: the lock; wait_task: the new owner (owner_task); by_id: the releaser */
    EV_LOOP_STUCK,   /* count: unfinished tasks when loop_run ran out of work */
    /* format_minor >= 5 */
    EV_EVENT_SET,    /* id: the event; by_id: the task that set it, 0 outside tasks */
    /* diagnostics */
    EV_SLOW_CALLBACK,
    EV_STALL,
    EV_ERROR,
    EV_LOCK_ABANDONED, /* id: the lock; wait_task: the task that ended holding it */
    /* format_minor >= 3: the state snapshot of a loop traced mid-run (attach) */
    EV_SNAPSHOT_BEGIN,
    EV_SNAPSHOT_HANDLE,
    EV_SNAPSHOT_TASK,
    EV_SNAPSHOT_WAIT,
    EV_SNAPSHOT_END,
    /* format_minor >= 4 */
    EV_OUTCOME,   /* id: the object; what: the NOTE's number; value */
    EV_STREAM_IO, /* id: the uv stream; fd, op, result as task_io */
    /* not trace events: what the reader observed */
    EV_DISCARDED, /* a gap: `count` events (or packets) lost in [gap_begin_ns, gap_end_ns] */
    EV_TICK,      /* live: time advanced to ts_ns without events */
    EV_TYPE_MAX
};

/* Handle kinds (enum `kind` of the trace). */
enum ev_kind {
    KIND_NONE = 0,
    KIND_TIMER = 1,
    KIND_IO = 2,
    KIND_SIGNAL = 3,
    KIND_DEFER = 4,
    KIND_ASYNC = 5,
    KIND_WORK = 6,
    KIND_TASK = 7,
    KIND_CLOSE = 8,
    KIND_MAX
};

/* Task states (enum `task_state`). */
enum ev_task_state {
    TS_NEW = 0,
    TS_READY = 1,
    TS_RUNNING = 2,
    TS_WAITING = 3,
    TS_DONE = 4,
    TS_CANCELLED = 5,
    TS_FAILED = 6,
    TS_MAX
};

/* Wait kinds (enum `wait_kind`). */
enum ev_wait_kind {
    WAIT_NONE = 0,
    WAIT_SLEEP = 1,
    WAIT_YIELD = 2,
    WAIT_FD = 3,
    WAIT_JOIN = 4,
    WAIT_FUTURE = 5,
    WAIT_EVENT = 6,
    WAIT_LOCK = 7,
    WAIT_CHAN_SEND = 8,
    WAIT_CHAN_RECV = 9,
    WAIT_WORK = 10,
    WAIT_GROUP = 11,
    WAIT_MAX
};

/* Sync object kinds (enum `sync_kind`, sync_new). */
enum ev_sync_kind {
    SYNC_FUTURE = 0,
    SYNC_EVENT = 1,
    SYNC_LOCK = 2,
    SYNC_CHANNEL = 3,
    SYNC_GROUP = 4,
    SYNC_MAX
};

/* I/O operations (enum `io_op`, task_io). */
enum ev_io_op {
    IO_READ = 0,
    IO_WRITE = 1,
    IO_ACCEPT = 2,
    IO_CONNECT = 3,
    IO_OP_MAX
};

/* A source location; strings are never NULL ("" when unknown). */
struct ev_site {
    const char *file;
    const char *func;
    int32_t line;
};

/*
 * One decoded event. Which fields are meaningful depends on `type` (see
 * docs/trace-format.md; the names are the trace's). Fields an event does not
 * carry hold 0, "" for strings, -1 for fd/timeout_ns. Strings are borrowed:
 * valid only during the callback.
 */
struct event {
    enum ev_type type;
    uint64_t ts_ns;        /* ns from the clock's origin (LTTng: the Unix epoch) */
    int64_t vpid;          /* -1 when the trace has no vpid context */
    int64_t vtid;          /* -1 when the trace has no vtid context */
    const char *procname;  /* "" when absent */
    uint32_t trace;        /* index of the trace it came from, in order of first event:
                              one per trace UUID (a process's, per-pid buffers), not
                              per chunk of a rotated trace */

    uint64_t loop_id;
    uint64_t id;           /* handle / task / work id; the task for task_* events */
    uint8_t kind;          /* enum ev_kind: handle kind, or by_kind of task_ready */
    uint8_t wait_kind;     /* task_suspend */
    uint8_t state;         /* task_done */
    uint8_t mode;          /* run_begin */
    uint8_t policy;        /* loop_new */
    uint8_t debug;         /* loop_new */
    uint8_t events;        /* handle_start (io mask) */
    uint8_t revents;       /* io_ready */
    uint16_t format_version, version_major, version_minor; /* loop_new */
    uint16_t format_minor; /* loop_new: 0 in traces from before the field */
    uint8_t sync_kind;     /* sync_new */
    uint8_t op;            /* task_io: enum ev_io_op */

    const char *name;      /* handle_new/name/close, pool_submit, task_new, slow_callback */
    struct ev_site site;   /* creation site (also sync_new), or the await's site for task_suspend */
    uint64_t parent_task;
    uint64_t by_id;        /* task_ready (waker), task_cancel (canceller), task_join (joiner),
                              future_result (the task that read it, 0 outside tasks) */
    uint64_t obj_id;       /* task_suspend */
    uint64_t group_id;     /* task_detach: the owning group, 0 for loop_task_detach */
    uint64_t random_seed;  /* loop_new (format_minor >= 1) */
    int64_t result;        /* task_io: bytes, new fd, 0, or -errno */
    uint64_t wait_task;    /* task_suspend: optional field (0 when absent): lock owner / joined task;
                              lock_abandoned: the owner that ended (owner_id) */
    int64_t timeout_ns;    /* task_suspend, poll_begin */
    uint64_t now_ns;       /* loop_new, iter_begin, time_update */
    uint64_t due_ns, repeat_ns; /* handle_start */
    uint64_t duration_ns;  /* slow_callback, stall */
    int32_t fd;            /* handle_start, io_ready, task_io */
    int32_t signum;        /* handle_start, signal_recv */
    int32_t err;           /* poll_end, task_done, task_join, future_settle/result, error */
    int32_t rc;            /* run_end */
    int32_t nready;        /* poll_end */
    int32_t status;        /* pool_done */
    const char *backtrace; /* stall */
    const char *msg;       /* error */
    /* the state snapshot (format minor 3) */
    uint64_t age_ns;       /* snapshot_task: time in its current state */
    uint64_t steps;        /* snapshot_task: steps run so far */
    uint64_t seq;          /* snapshot_begin/end: the snapshot's number in its loop */
    uint64_t ntasks, nhandles; /* snapshot_end: how many it described */
    uint8_t hflags;        /* snapshot_handle: 1 active, 2 libloop's own */
    uint8_t reason;        /* snapshot_begin: 0 tracing turned on, 1 periodic */
    /* format minor 4 */
    uint8_t what;          /* outcome: which NOTE (1 work status ... 5 monitor cancel) */
    int64_t value;         /* outcome */

    /* EV_DISCARDED */
    uint64_t count;        /* events (or packets) lost; 0 when unknown; loop_stuck: tasks */
    uint8_t packets;       /* 1: discarded packets, 0: discarded events */
    uint64_t gap_begin_ns, gap_end_ns; /* 0 when unknown */
};

struct reader; /* opaque */

struct reader_opts {
    int verbose;        /* babeltrace2 components log warnings to stderr */
    int ignore_version; /* read loops with a newer format_version anyway */
    int jobs;           /* threads decoding trace directories (0 or 1: one graph, this
                           thread); see "Parallel decoding" above */
};

struct reader_stats {
    uint64_t events;          /* every event message */
    uint64_t libloop_events;  /* delivered to the callback */
    uint64_t other_events;    /* other providers, skipped */
    uint64_t discarded_events;
    uint64_t discarded_packets;
    uint64_t first_ts_ns, last_ts_ns;
    uint32_t traces;          /* traces read: one per trace UUID (a rotated trace's chunks
                                 are one), or live inputs */
    int truncated;            /* a stream was cut short: repaired at open (see reader_note),
                                 or reader_run stopped with -EIO after delivering events */
    uint16_t max_format_version;
};

/* Return 0 to go on, a negative errno to stop reader_run() with it. */
typedef int (*reader_event_fn)(const struct event *ev, void *arg);

/*
 * Open inputs (n >= 1). On failure *out is NULL, the return value negative,
 * and errbuf (if not NULL) holds the one-line message.
 */
int reader_open(struct reader **out, const char *const *inputs, size_t n,
                const struct reader_opts *opts, char *errbuf, size_t errlen);

/* Deliver every event, in timestamp order, to fn. 0 at the end of the trace. */
int reader_run(struct reader *r, reader_event_fn fn, void *arg);

/* The last error's one-line message ("" if none). Owned by r. */
const char *reader_error(const struct reader *r);

/* Counters so far. Owned by r. */
const struct reader_stats *reader_stats(const struct reader *r);

/* The trace directories found (after reader_open; a rotated trace's chunks are
   several, adjacent), a repaired one's shadow copy in place. Owned by r. */
size_t reader_trace_count(const struct reader *r);
const char *reader_trace_path(const struct reader *r, size_t i);

/* Threads decoding the traces: 1, or the groups of reader.h's "Parallel decoding". */
int reader_threads(const struct reader *r);

/*
 * Notes: one line each about what the reader did to read a damaged trace
 * (a stream file truncated mid-packet is read up to its last complete
 * packet). Tools print them as warnings. Owned by r.
 */
size_t reader_note_count(const struct reader *r);
const char *reader_note(const struct reader *r, size_t i);

void reader_close(struct reader *r);

/*
 * For an lttng-live URL (reader_live.c): 0 when the relay daemon lists its
 * session; -ENOENT when it does not (msg names the host or session it lacks),
 * -EIO when the relay daemon does not answer, -EINVAL for a malformed URL
 * (msg says so). For the error of a live read that delivered nothing.
 */
int reader_live_check(const char *url, char *msg, size_t len);

/*
 * The decoder alone, for a babeltrace2 component of your own (the libloop
 * babeltrace2 plugin): hand it every message your sink's iterator returns;
 * it calls fn for each libloop event and gap, exactly as reader_run() does.
 * reader_decode() returns fn's value, or -EPROTONOSUPPORT (a format version
 * it does not know; reader_decoder_error() says which) or -ENOMEM. The
 * message stays yours. Same thread rules as the reader.
 */
struct bt_message;
struct reader_decoder;
struct reader_decoder *reader_decoder_new(const struct reader_opts *opts);
int reader_decode(struct reader_decoder *d, const struct bt_message *msg, reader_event_fn fn, void *arg);
const struct reader_stats *reader_decoder_stats(const struct reader_decoder *d);
const char *reader_decoder_error(const struct reader_decoder *d);
void reader_decoder_free(struct reader_decoder *d);

/* Names as the trace spells them ("task_suspend", "timer", "lock", "done"); "?" if unknown. */
const char *ev_type_name(int type);
const char *ev_kind_name(int kind);
const char *ev_task_state_name(int state);
const char *ev_wait_kind_name(int wait_kind);
const char *ev_sync_kind_name(int sync_kind);
const char *ev_io_op_name(int op);

#endif /* LOOP_ANALYZE_READER_H */
