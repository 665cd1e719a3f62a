/*
 * schedule.h — the schedule file: the decisions and nondeterministic inputs
 * of one run (docs/schedule-format.md), written by the recorder and
 * loop-replay extract, read by the replayer and loop-replay's tools.
 *
 * Layout: a raw header (magic, format version, header length, header fields)
 * followed by one zstd stream (checksummed frames) of varint records.
 */
#ifndef LOOP_SCHEDULE_H
#define LOOP_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOOP__SCHED_MAGIC "LOOPSCH\x01"
#define LOOP__SCHED_VERSION 2u
#define LOOP__SCHED_MAX_HEADER (1u << 20)

enum loop__sched_mode {
    LOOP__SCHED_MODE_FIFO = 0,   /* recorded in the default order */
    LOOP__SCHED_MODE_CHAOS = 1,  /* recorded under chaos (chaos_seed) */
    LOOP__SCHED_MODE_TRACE = 2,  /* extracted from an LTTng trace */
    LOOP__SCHED_MODE_REPLAY = 3, /* recorded while replaying */
    LOOP__SCHED_MODE_EXPLORE = 4, /* recorded under LOOP_EXPLORE (loop-replay explore) */
};

struct loop__sched_hdr {
    uint32_t version;
    uint32_t mode;
    uint64_t chaos_seed;
    uint64_t random_seed; /* seeds loop_random() */
    uint64_t loop_id;     /* which loop of the process (1 = the first) */
    char *program;        /* argv[0] as run */
    char *args;           /* the arguments, NUL-separated, args_len bytes */
    size_t args_len;
    /* optional trailing fields (absent in older files: 0) */
    uint32_t flags;         /* LOOP__SCHED_F_* */
    uint32_t chaos_late_ms; /* mode chaos: LOOP_CHAOS_LATE_MS of the run, plus one (0: unknown) */
};

enum loop__sched_flags {
    LOOP__SCHED_F_NOTES = 1u << 0, /* the recorder wrote NOTE records: replay checks them */
};

enum loop__rec_type {
    LOOP__REC_ITER = 1,     /* an iteration starts; clock_ns = its clock */
    LOOP__REC_CLOCK = 2,    /* another clock read (after a blocking poll, loop_update_time) */
    LOOP__REC_DISPATCH = 3, /* an item ran: id, kind, and for I/O its revents */
    LOOP__REC_END = 4,      /* the loop was closed */
    LOOP__REC_IO = 5,       /* a task I/O call's attempt: id (the task), op, result */
    /*
     * In the file only: the DISPATCH just before repeats N more times (same
     * kind, same id step, same revents). The reader expands it into N
     * DISPATCH records; writers produce it by themselves from DISPATCH puts.
     */
    LOOP__REC_REPEAT = 6,
    LOOP__REC_NOTE = 7,     /* an outcome of the run: what (enum loop__note), id, value */
};

/*
 * NOTE records: outcomes the replay checks (and for a monitor cancel, carries
 * out). id is the object, value the outcome; see docs/schedule-format.md.
 */
enum loop__note {
    LOOP__NOTE_WORK_STATUS = 1, /* a work item's done callback: id the work, value its status */
    LOOP__NOTE_WORK_CANCEL = 2, /* loop_work_cancel: id the work, value its result */
    LOOP__NOTE_BLOCKING = 3,    /* loop_run_blocking's fn returned: id the task, value the result */
    LOOP__NOTE_ASYNC_SENDS = 4, /* an async dispatch: id the handle, value the sends it coalesced */
    LOOP__NOTE_MON_CANCEL = 5,  /* the monitor cancelled: id the task, value loop_task_cancel's result */
    LOOP__NOTE_MAX = 15,
};
/* "work-status", ...; "?" otherwise. */
const char *loop__note_name(int what);

/* A REPEAT's N is at most this (more is corrupt): a few bytes never expand
 * into more than a million records. */
#define LOOP__SCHED_REPEAT_MAX (1u << 20)

/* Task I/O operations: the numbers of the trace's io_op enum (task_io). */
enum loop__io_op {
    LOOP__IO_READ = 0,    /* loop_read: bytes read (0: end of file) or -errno */
    LOOP__IO_WRITE = 1,   /* loop_write: bytes written or -errno */
    LOOP__IO_ACCEPT = 2,  /* loop_accept: 0 a connection (its fd number is not kept) or -errno */
    LOOP__IO_CONNECT = 3, /* loop_connect: 0 or -errno (connect(), then SO_ERROR after a wait) */
};

struct loop__rec {
    int type;
    int kind;
    int revents;
    int op;         /* IO: enum loop__io_op */
    int64_t result; /* IO: see enum loop__io_op; errors are -errno (-4095..-1) */
    uint64_t clock_ns;
    uint64_t id;    /* DISPATCH: the item; IO: the task; NOTE: the object */
    int what;       /* NOTE: enum loop__note */
    int64_t value;  /* NOTE: the outcome */
};

struct loop__sched_writer;
struct loop__sched_reader;

/* Create path (truncating) and write the header. -errno. */
int loop__schedw_open(struct loop__sched_writer **out, const char *path,
                      const struct loop__sched_hdr *hdr, int level);
/* Append one record (buffered). -errno when the file cannot be written. */
int loop__schedw_put(struct loop__sched_writer *w, const struct loop__rec *r);
/* The same for an ITER or CLOCK record (the recorder's per-iteration path). */
int loop__schedw_clock(struct loop__sched_writer *w, int type, uint64_t clock_ns);
/*
 * The same for a DISPATCH record: the recorder's hot path, inline. A
 * dispatch that repeats the last one's kind, id step and revents (the same
 * call-soon record again, the next of a series) is only counted: the writer
 * writes the count as one REPEAT record before the next other record.
 */
struct loop__schedw_hot {   /* the first member of struct loop__sched_writer */
    uint64_t prev_id;       /* the last DISPATCH's id */
    uint64_t run_step;      /* the last DISPATCH's id minus the id before it */
    uint64_t run_n;         /* repeats of it not written yet */
    int run_kind;           /* its kind; -1 once another record followed it */
    int run_revents;
    uint64_t count;         /* records put, but for run_n */
};
int loop__schedw_dispatch_new(struct loop__sched_writer *w, uint64_t id, int kind, int revents);

/* True when the dispatch continues the run (and was counted). */
static inline bool loop__schedw_repeat(struct loop__sched_writer *w, uint64_t id, int kind,
                                       int revents)
{
    struct loop__schedw_hot *h = (struct loop__schedw_hot *)w;

    if (id - h->prev_id == h->run_step && kind == h->run_kind && revents == h->run_revents &&
        h->run_n < LOOP__SCHED_REPEAT_MAX) {
        h->prev_id = id;
        h->run_n++;
        return true;
    }
    return false;
}

static inline int loop__schedw_dispatch(struct loop__sched_writer *w, uint64_t id, int kind,
                                        int revents)
{
    return loop__schedw_repeat(w, id, kind, revents) ? 0
                                                     : loop__schedw_dispatch_new(w, id, kind, revents);
}
/* Make everything put so far readable from the file (a zstd flush). */
int loop__schedw_flush(struct loop__sched_writer *w);
/* Finish the stream (END not implied), close, free. -errno. */
int loop__schedw_close(struct loop__sched_writer *w);
uint64_t loop__schedw_count(const struct loop__sched_writer *w);

/*
 * Open a schedule; on failure -errno and one line in err: -ENOENT/-EACCES,
 * -EBADMSG (not a schedule, corrupt header), -EPROTO (unknown version).
 * hdr's strings are owned by the reader.
 */
int loop__schedr_open(struct loop__sched_reader **out, const char *path,
                      struct loop__sched_hdr *hdr, char *err, size_t errlen);
/*
 * The next record: 1, or 0 at the end of the stream (after END, or at the end
 * of a complete stream without END), -EPIPE when the file ends inside the
 * stream (a killed recorder: everything before is valid), -EBADMSG when it is
 * corrupt (err says where). After END the stream must end there and its
 * checksum must hold, or the call after END answers -EPIPE / -EBADMSG.
 * Records are counted from 1.
 */
int loop__schedr_next(struct loop__sched_reader *r, struct loop__rec *rec, char *err,
                      size_t errlen);
uint64_t loop__schedr_count(const struct loop__sched_reader *r);
void loop__schedr_close(struct loop__sched_reader *r);

/* Parse an in-memory schedule (for fuzzing): 0 when fully read, else -errno. */
int loop__sched_parse_buffer(const void *data, size_t len, uint64_t *records);

const char *loop__rec_type_name(int type);
/* "read", "write", "accept", "connect"; "?" otherwise. */
const char *loop__io_op_name(int op);

#endif /* LOOP_SCHEDULE_H */
