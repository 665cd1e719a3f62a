/*
 * extract.c — loop-replay extract: the schedule of a run, rebuilt from its
 * LTTng trace through the one trace reader (analyze/reader.h).
 *
 * The records come from the events of one loop, (vpid, loop_id):
 *   loop_new     CLOCK  now_ns   (loop_new() reads the clock once)
 *   iter_begin   ITER   now_ns
 *   time_update  CLOCK  now_ns
 *   callback_begin  DISPATCH id, kind (id 0, libloop's own monitor and
 *                watchdog handles, is skipped as the recorder skips it); for
 *                an I/O watcher, revents = the OR
 *                of its io_ready events since its last dispatch (the loop
 *                accumulates them the same way), cleared when the watcher
 *                is stopped (handle_stop), and set to "error" by the error
 *                event of a watched fd closed behind the loop's back (the
 *                loop sets revents without an io_ready then)
 *   task_io      IO  id (the task), op, result (an accepted fd becomes 0,
 *                as the recorder keeps no fd numbers); task_io of id 0 (a
 *                call outside a task) is not recorded
 *   stream_io    IO  id (the uv stream), op, result, as task_io (format
 *                minor 4: libloop-uv's stream reads, writes and accepts;
 *                their readiness comes as io_ready events like libloop's)
 *   outcome      NOTE what, id, value (format minor 4: every outcome the
 *                recorder notes; the header then says the schedule has
 *                notes, so replay checks them as a recording's)
 *   loop_close   END
 * which is what the recorder writes for the same run (tests/replay_extract.sh
 * proves it). The header's random_seed is loop_new's (the loop_random()
 * generator's first state). What the trace does not carry: the program's
 * path and arguments (the header gets the procname, or --program). A trace
 * from a libloop before trace format minor 1 has neither the seed nor the
 * task_io events: the header gets seed 0 and a warning says what is missing.
 *
 * A trace with discarded events is refused: a schedule with a hole in it
 * would replay to a divergence at best.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "replay.h"

/* revents per I/O watcher id, open addressing (ids are never 0) */
struct pending {
    uint64_t *ids;
    uint8_t *ev;
    size_t cap, n;
};

static uint8_t *pending_slot(struct pending *p, uint64_t id, bool create)
{
    if (create && (p->n + 1) * 2 > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        struct pending q = {calloc(cap, sizeof(uint64_t)), calloc(cap, 1), cap, 0};
        if (q.ids == NULL || q.ev == NULL) {
            free(q.ids);
            free(q.ev);
            return NULL;
        }
        for (size_t i = 0; i < p->cap; i++) {
            if (p->ids[i] != 0) {
                *pending_slot(&q, p->ids[i], true) = p->ev[i];
            }
        }
        free(p->ids);
        free(p->ev);
        *p = q;
    }
    if (p->cap == 0) {
        return NULL;
    }
    size_t mask = p->cap - 1;
    for (size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & mask;; i = (i + 1) & mask) {
        if (p->ids[i] == id) {
            return &p->ev[i];
        }
        if (p->ids[i] == 0) {
            if (!create) {
                return NULL;
            }
            p->ids[i] = id;
            p->ev[i] = 0;
            p->n++;
            return &p->ev[i];
        }
    }
}

struct extract {
    const char *out;
    const char *program;  /* --program */
    int64_t want_pid;     /* -1: the first process with a loop_new */
    uint64_t want_loop;   /* 0: the first loop of that process */
    /* the chosen loop */
    bool chosen, closed;
    bool old_minor;       /* loop_new's format_minor 0: no task_io, no seed */
    int64_t vpid;
    uint64_t loop_id;
    struct loop__sched_writer *w;
    struct pending io;
    uint64_t records;
    /* what else was seen */
    uint64_t other_loops, discarded;
    int64_t other_pid;
    bool midrun;          /* a snapshot_begin before any loop_new: traced mid-run (attach) */
    int err;              /* the first write error */
    char msg[512];
};

static int put(struct extract *x, const struct loop__rec *rec)
{
    int rc = loop__schedw_put(x->w, rec);
    if (rc < 0) {
        x->err = rc;
        snprintf(x->msg, sizeof(x->msg), "cannot write %s: %s", x->out, strerror(-rc));
        return rc;
    }
    x->records++;
    return 0;
}

static int start(struct extract *x, const struct event *ev)
{
    struct loop__sched_hdr hdr = {0};
    int rc;

    x->chosen = true;
    x->vpid = ev->vpid;
    x->loop_id = ev->loop_id;
    hdr.version = LOOP__SCHED_VERSION;
    hdr.mode = LOOP__SCHED_MODE_TRACE;
    hdr.loop_id = ev->loop_id;
    hdr.random_seed = ev->random_seed; /* 0 before format minor 1 */
    x->old_minor = ev->format_minor < 1;
    if (ev->format_minor >= 4) {
        hdr.flags = LOOP__SCHED_F_NOTES; /* the outcome events are in the trace */
    }
    hdr.program = (char *)(x->program ? x->program : ev->procname);
    rc = loop__schedw_open(&x->w, x->out, &hdr, 3);
    if (rc < 0) {
        x->err = rc;
        snprintf(x->msg, sizeof(x->msg), "cannot write %s: %s", x->out, strerror(-rc));
        return rc;
    }
    struct loop__rec rec = {.type = LOOP__REC_CLOCK, .clock_ns = ev->now_ns};
    return put(x, &rec);
}

static int on_event(const struct event *ev, void *arg)
{
    struct extract *x = arg;
    struct loop__rec rec = {0};
    uint8_t *slot;

    if (ev->type == EV_DISCARDED) {
        x->discarded += ev->count ? ev->count : 1;
        return -ECANCELED; /* refused: no need to read on */
    }
    if (!x->chosen) {
        if (ev->type == EV_SNAPSHOT_BEGIN) {
            x->midrun = true;
        }
        if (ev->type != EV_LOOP_NEW || (x->want_pid >= 0 && ev->vpid != x->want_pid) ||
            (x->want_loop != 0 && ev->loop_id != x->want_loop)) {
            return 0;
        }
        return start(x, ev);
    }
    if (ev->vpid != x->vpid || ev->loop_id != x->loop_id) {
        if (ev->type == EV_LOOP_NEW) {
            x->other_loops++;
            if (ev->vpid != x->vpid) {
                x->other_pid = ev->vpid;
            }
        }
        return 0;
    }
    if (x->closed) {
        return 0;
    }
    switch (ev->type) {
    case EV_ITER_BEGIN:
        rec.type = LOOP__REC_ITER;
        rec.clock_ns = ev->now_ns;
        return put(x, &rec);
    case EV_TIME_UPDATE:
        rec.type = LOOP__REC_CLOCK;
        rec.clock_ns = ev->now_ns;
        return put(x, &rec);
    case EV_IO_READY:
        slot = pending_slot(&x->io, ev->id, true);
        if (slot == NULL) {
            snprintf(x->msg, sizeof(x->msg), "out of memory");
            return x->err = -ENOMEM;
        }
        *slot |= ev->revents;
        return 0;
    case EV_HANDLE_STOP:
        if (ev->kind == KIND_IO && (slot = pending_slot(&x->io, ev->id, false)) != NULL) {
            *slot = 0; /* loop_io_stop() clears what was pending */
        }
        return 0;
    case EV_ERROR:
        /* io.c: a watched fd closed behind the loop's back gets revents = LOOP_ERROR */
        if (ev->kind == KIND_IO && ev->id != 0 &&
            strncmp(ev->msg, "Watched fd was closed behind", 28) == 0) {
            slot = pending_slot(&x->io, ev->id, true);
            if (slot != NULL) {
                *slot = 8; /* LOOP_ERROR */
            }
        }
        return 0;
    case EV_CALLBACK_BEGIN:
        if (ev->id == 0) {
            return 0; /* libloop's own id-less handles (monitor, watchdog): not recorded */
        }
        rec.type = LOOP__REC_DISPATCH;
        rec.id = ev->id;
        rec.kind = ev->kind;
        if (ev->kind == KIND_IO && (slot = pending_slot(&x->io, ev->id, false)) != NULL) {
            rec.revents = *slot;
            *slot = 0;
        }
        return put(x, &rec);
    case EV_TASK_IO:
    case EV_STREAM_IO:
        if (ev->id == 0) {
            return 0; /* outside a task: the recorder cannot tell its loop either */
        }
        rec.type = LOOP__REC_IO;
        rec.id = ev->id;
        rec.op = ev->op;
        rec.result = ev->op == IO_ACCEPT && ev->result >= 0 ? 0 : ev->result;
        if (rec.op >= IO_OP_MAX || rec.result < -4095) {
            snprintf(x->msg, sizeof(x->msg), "a %s event with op %d result %lld",
                     ev_type_name(ev->type), (int)ev->op, (long long)ev->result);
            return x->err = -EBADMSG;
        }
        return put(x, &rec);
    case EV_OUTCOME:
        if (ev->id == 0) {
            return 0; /* as loop__rr_outcome: libloop's own objects are not noted */
        }
        if (ev->what == 0 || ev->what > LOOP__NOTE_MAX) {
            snprintf(x->msg, sizeof(x->msg), "an outcome event with what %d", (int)ev->what);
            return x->err = -EBADMSG;
        }
        rec.type = LOOP__REC_NOTE;
        rec.what = ev->what;
        rec.id = ev->id;
        rec.value = ev->value;
        return put(x, &rec);
    case EV_LOOP_CLOSE:
        x->closed = true;
        rec.type = LOOP__REC_END;
        return put(x, &rec);
    default:
        return 0;
    }
}

static const char extract_usage[] =
    "usage: loop-replay extract TRACE -o FILE [--pid PID] [--loop ID] [--program NAME]";

int cmd_extract(int argc, char **argv)
{
    struct extract x = {.want_pid = -1, .other_pid = -1};
    struct reader_opts opts = {0};
    struct reader *r = NULL;
    const char *trace = NULL;
    char errbuf[512];
    int rc, status = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (strcmp(a, "-o") == 0 && v != NULL) {
            x.out = v;
            i++;
        } else if (strcmp(a, "--pid") == 0) {
            if (parse_u64(v, &n) < 0) {
                return bad("extract: --pid wants a process id");
            }
            x.want_pid = (int64_t)n;
            i++;
        } else if (strcmp(a, "--loop") == 0) {
            if (parse_u64(v, &n) < 0 || n == 0) {
                return bad("extract: --loop wants a loop id (1, 2, ...)");
            }
            x.want_loop = n;
            i++;
        } else if (strcmp(a, "--program") == 0 && v != NULL) {
            x.program = v;
            i++;
        } else if (a[0] == '-' || trace != NULL) {
            return bad("%s", extract_usage);
        } else {
            trace = a;
        }
    }
    if (trace == NULL || x.out == NULL) {
        return bad("%s", extract_usage);
    }
    rc = reader_open(&r, &trace, 1, &opts, errbuf, sizeof(errbuf));
    if (rc < 0) {
        return bad("%s: %s", trace, errbuf);
    }
    rc = reader_run(r, on_event, &x);
    const struct reader_stats *st = reader_stats(r);
    if (x.discarded == 0 && (st->discarded_events || st->discarded_packets)) {
        x.discarded = st->discarded_events + st->discarded_packets;
    }
    if (x.discarded) {
        status = bad("%s: the trace lost %llu events (discarded by LTTng): a schedule needs them "
                     "all; capture with loop-trace --blocking",
                     trace, (unsigned long long)x.discarded);
    } else if (x.err < 0) {
        status = bad("%s", x.msg);
    } else if (rc < 0 && rc != -EIO) {
        status = bad("%s: %s", trace, reader_error(r));
    } else if (!x.chosen) {
        if (x.want_pid >= 0 || x.want_loop != 0) {
            status = bad("%s: no loop_new of the loop asked for (--pid/--loop)", trace);
        } else if (x.midrun) {
            status = bad("%s: the trace starts mid-run (attached: a state snapshot, no loop_new): a "
                         "schedule needs the run from loop_new on; record with loop-trace -- PROGRAM",
                         trace);
        } else {
            status = bad("%s: no libloop:loop_new event: not a libloop trace, or tracing started "
                         "after the loop was created (loop-trace waits for it)",
                         trace);
        }
    } else {
        if (rc == -EIO) {
            say("warning: %s: %s; the schedule stops there", trace, reader_error(r));
        }
        if (x.old_minor) {
            say("warning: %s: the trace comes from a libloop before trace format minor 1: "
                "no task_io events and no loop_random() seed; a program that does task I/O or "
                "calls loop_random() will not replay from this schedule",
                trace);
        }
        if (!x.closed) {
            say("warning: %s: the loop was not closed in the trace; the schedule has no END",
                trace);
        }
        if (x.other_pid >= 0 && x.want_pid < 0) {
            say("note: %s holds more than one process; extracted pid %lld (--pid picks another)",
                trace, (long long)x.vpid);
        } else if (x.other_loops && x.want_loop == 0) {
            say("note: %s holds more than one loop; extracted loop %llu (--loop picks another)",
                trace, (unsigned long long)x.loop_id);
        }
    }
    if (x.w != NULL) {
        int crc = loop__schedw_close(x.w);
        if (crc < 0 && status == 0) {
            status = bad("cannot write %s: %s", x.out, strerror(-crc));
        }
    }
    if (status != 0 && x.w != NULL) {
        unlink(x.out);
    }
    free(x.io.ids);
    free(x.io.ev);
    reader_close(r);
    return status;
}
