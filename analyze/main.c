/*
 * main.c — the loop-analyze command line: options, reading the trace into
 * the model through the reader, and the exit status.
 *
 *   loop-analyze COMMAND [options] TRACE...
 *
 * Exit status: 0 done (check: nothing found), 1 check found something,
 * 2 bad usage or bad input (one line on stderr), 3 internal failure
 * (out of memory).
 */
#include "report.h"
#include "progress.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define EXIT_FINDINGS 1
#define EXIT_BADINPUT 2
#define EXIT_INTERNAL 3

static const char *const commands[] = {"summary", "timeline", "hangs", "lints", "leaks",
                                       "profile", "check",    "tree",  "why",   NULL};

/* Where make install puts the JSON schema (the top Makefile passes it). */
#ifndef LOOP_DATADIR
#define LOOP_DATADIR "/usr/local/share/libloop"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: loop-analyze COMMAND [options] TRACE...\n"
            "  TRACE: an LTTng trace directory (any level: the session output, ust/uid/..,\n"
            "         a per-pid directory) or an lttng-live URL net://HOST/host/HOSTNAME/SESSION\n"
            "commands:\n"
            "  summary    processes, loops, counts, utilization, the worst findings\n"
            "  timeline   each task's life as intervals: table and ASCII Gantt;\n"
            "             --chrome FILE (Chrome/Perfetto JSON), --html FILE (a page to zoom)\n"
            "  tree       each loop's tasks as a spawn tree: state, time, what each waits on\n"
            "  why TASK   the chain of wakeups and waits that decided when TASK (an id or a\n"
            "             name) ran and finished, and where its time went\n"
            "  hangs      deadlock cycles, tasks blocked at the end with their wait-for chain,\n"
            "             long waits, stalls with their backtrace\n"
            "  lints      lost wakeups, self-wakes, never-yielding steps, unobserved cancels/errors\n"
            "  leaks      handles never closed, tasks never finished, by creation site\n"
            "  profile    per callback site and task name: step time and scheduling delay\n"
            "             percentiles, loop utilization; --folded for flame graphs\n"
            "  check      exit 1 when any hang, deadlock, stall or leak is found, else 0\n"
            "options:\n"
            "  --json             one JSON document; its schema: "
            LOOP_DATADIR "/loop-analyze.schema.json\n"
            "                     (analyze/loop-analyze.schema.json in the source tree)\n"
            "  --pid PID          only this process (vpid)\n"
            "  --loop ID          only this loop id\n"
            "  --threshold DUR    slow steps, long waits, hangs (default 100ms; 2s, 500us, 10ms)\n"
            "  --live URL         read an lttng-live session (same as giving the URL as TRACE)\n"
            "  --chrome FILE      timeline: write Chrome trace event JSON\n"
            "  --html FILE        timeline: write a self-contained HTML page\n"
            "  --width N          timeline: Gantt width in columns (default 72)\n"
            "  --all              timeline: every task (default: the first 100 per loop)\n"
            "  --from T, --to T   timeline: only [T, T] from the trace's start (1.5s, 200ms)\n"
            "  --max-events N     timeline --chrome: at most N events (default 500000)\n"
            "  --flame FILE       profile: an SVG flame graph of CPU time by task and site\n"
            "  --wait-flame FILE  profile: an SVG flame graph of waiting time by await site\n"
            "  --speedscope FILE  profile: the CPU profile for speedscope (speedscope.app)\n"
            "  --folded           profile: folded stacks (flamegraph.pl, speedscope)\n"
            "  --ignore-version   read traces of an unknown trace-format version anyway\n"
            "  --no-symbolize     print stall backtraces as recorded (default: addr2line\n"
            "                     resolves frames of binaries still on disk)\n"
            "  --jobs N           threads decoding the traces of several processes (default:\n"
            "                     the online CPUs, at most one per trace; 1: one thread)\n"
            "  -v, --verbose      babeltrace2 warnings on stderr\n"
            "  -q, --quiet        no progress line (it is shown only when stderr is a terminal)\n"
            "exit status: 0 ok, 1 check found problems, 2 bad usage or input, 3 internal error\n");
}

static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "loop-analyze: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return EXIT_BADINPUT;
}

/* "2s", "100ms", "500us", "10ns", "1.5s"; a bare number is milliseconds. */
static int parse_duration(const char *s, uint64_t *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || v < 0) {
        return -EINVAL;
    }
    if (*end == '\0' || strcasecmp(end, "ms") == 0) {
        v *= 1e6;
    } else if (strcasecmp(end, "s") == 0) {
        v *= 1e9;
    } else if (strcasecmp(end, "us") == 0) {
        v *= 1e3;
    } else if (strcasecmp(end, "ns") == 0) {
        /* as is */
    } else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "min") == 0) {
        v *= 60e9;
    } else {
        return -EINVAL;
    }
    if (v > 1e18) {
        return -ERANGE;
    }
    *out = (uint64_t)v;
    return 0;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

struct feed {
    struct model *m;
    const struct ctx *c;
    struct live_state *live; /* hangs on an lttng-live session: report as they appear */
    struct progress progress;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int on_event(const struct event *ev, void *arg)
{
    struct feed *f = arg;
    int rc;

    if (interrupted) {
        return -EINTR;
    }
    progress_event(&f->progress, ev->ts_ns);
    rc = model_feed(f->m, ev);
    if (rc == 0 && f->live != NULL && ev->ts_ns != 0) {
        rc = hangs_live_poll(f->c, f->live, ev->ts_ns);
    }
    return rc;
}

static int is_url(const char *s)
{
    return strncmp(s, "net://", 6) == 0 || strncmp(s, "net4://", 7) == 0 || strncmp(s, "net6://", 7) == 0;
}

int main(int argc, char **argv)
{
    struct aopts o;
    struct model_opts mo;
    struct reader_opts ro;
    struct reader *r = NULL;
    struct model *m = NULL;
    struct feed feed;
    struct ctx c;
    struct live_state live;
    const char **inputs = NULL;
    const char **notes = NULL;
    char err[1024];
    size_t ninputs = 0, i;
    uint64_t findings = 0;
    int rc, status = 0, argi, jobs = 0, quiet = 0;

    memset(&o, 0, sizeof o);
    o.threshold_ns = 100 * 1000 * 1000;
    o.pid = -1;
    o.loop = -1;
    o.width = 72;
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_BADINPUT : 0;
    }
    for (i = 0; commands[i] != NULL; i++) {
        if (strcmp(argv[1], commands[i]) == 0) {
            o.command = commands[i];
        }
    }
    if (o.command == NULL) {
        return bad("unknown command \"%s\" (see loop-analyze --help)", argv[1]);
    }
    inputs = calloc((size_t)argc, sizeof(*inputs));
    if (inputs == NULL) {
        fprintf(stderr, "loop-analyze: out of memory\n");
        return EXIT_INTERNAL;
    }
    for (argi = 2; argi < argc; argi++) {
        const char *a = argv[argi];
        const char *val = argi + 1 < argc ? argv[argi + 1] : NULL;
#define NEED_VAL()                                                                        \
    do {                                                                                  \
        if (val == NULL) {                                                                \
            status = bad("%s needs a value", a);                                          \
            goto out;                                                                     \
        }                                                                                 \
        argi++;                                                                           \
    } while (0)
        if (strcmp(a, "--json") == 0) {
            o.json = 1;
        } else if (strcmp(a, "--folded") == 0) {
            o.folded = 1;
        } else if (strcmp(a, "--all") == 0) {
            o.all = 1;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            o.verbose = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--no-symbolize") == 0) {
            o.no_symbolize = 1;
        } else if (strcmp(a, "--ignore-version") == 0) {
            o.ignore_version = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            goto out;
        } else if (strcmp(a, "--pid") == 0) {
            NEED_VAL();
            if (parse_i64(val, &o.pid) < 0) {
                status = bad("--pid: not a process id: %s", val);
                goto out;
            }
        } else if (strcmp(a, "--loop") == 0) {
            NEED_VAL();
            if (parse_i64(val, &o.loop) < 0) {
                status = bad("--loop: not a loop id: %s", val);
                goto out;
            }
        } else if (strcmp(a, "--threshold") == 0) {
            NEED_VAL();
            if (parse_duration(val, &o.threshold_ns) < 0 || o.threshold_ns == 0) {
                status = bad("--threshold: not a duration (2s, 100ms, 500us): %s", val);
                goto out;
            }
        } else if (strcmp(a, "--jobs") == 0) {
            int64_t jv;
            NEED_VAL();
            if (parse_i64(val, &jv) < 0 || jv < 1 || jv > 1024) {
                status = bad("--jobs: a number of threads from 1 to 1024: %s", val);
                goto out;
            }
            jobs = (int)jv;
        } else if (strcmp(a, "--width") == 0) {
            int64_t wv;
            NEED_VAL();
            if (parse_i64(val, &wv) < 0 || wv < 10 || wv > 1000) {
                status = bad("--width: a number of columns from 10 to 1000: %s", val);
                goto out;
            }
            o.width = (int)wv;
        } else if (strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0) {
            uint64_t tv;
            NEED_VAL();
            if (parse_duration(val, &tv) < 0 || tv > INT64_MAX) {
                status = bad(a[2] == 'f' ? "--from: a time from the trace's start (1.5s, 200ms): %s"
                                         : "--to: a time from the trace's start (1.5s, 200ms): %s",
                             val);
                goto out;
            }
            *(a[2] == 'f' ? &o.from_ns : &o.to_ns) = (int64_t)tv;
        } else if (strcmp(a, "--max-events") == 0) {
            int64_t mv;
            NEED_VAL();
            if (parse_i64(val, &mv) < 0 || mv < 1) {
                status = bad("--max-events: a positive number of events: %s", val);
                goto out;
            }
            o.max_events = (uint64_t)mv;
        } else if (strcmp(a, "--chrome") == 0) {
            NEED_VAL();
            o.chrome = val;
        } else if (strcmp(a, "--html") == 0) {
            NEED_VAL();
            o.html = val;
        } else if (strcmp(a, "--flame") == 0) {
            NEED_VAL();
            o.flame = val;
        } else if (strcmp(a, "--wait-flame") == 0) {
            NEED_VAL();
            o.wait_flame = val;
        } else if (strcmp(a, "--speedscope") == 0) {
            NEED_VAL();
            o.speedscope = val;
        } else if (strcmp(a, "--live") == 0) {
            NEED_VAL();
            inputs[ninputs++] = val;
        } else if (strcmp(a, "--") == 0) {
            for (argi++; argi < argc; argi++) {
                inputs[ninputs++] = argv[argi];
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            status = bad("unknown option %s (see loop-analyze --help)", a);
            goto out;
        } else if (strcmp(o.command, "why") == 0 && o.task == NULL) {
            o.task = a; /* why TASK TRACE... */
        } else {
            inputs[ninputs++] = a;
        }
#undef NEED_VAL
    }
    if (ninputs == 0) {
        status = bad("%s: no trace given (loop-analyze COMMAND [options] TRACE...)", o.command);
        goto out;
    }
    if (o.to_ns != 0 && o.to_ns <= o.from_ns) {
        status = bad("--to must be after --from%s", "");
        goto out;
    }
    if ((o.flame || o.wait_flame || o.speedscope) && strcmp(o.command, "profile") != 0) {
        status = bad("--flame, --wait-flame and --speedscope belong to the profile command (not %s)", o.command);
        goto out;
    }
    if (strcmp(o.command, "why") == 0 && o.task == NULL) {
        status = bad("why: which task? (loop-analyze why TASK TRACE..., TASK an id or a name)%s", "");
        goto out;
    }
    if ((o.chrome || o.html) && strcmp(o.command, "timeline") != 0) {
        status = bad("--chrome and --html belong to the timeline command (not %s)", o.command);
        goto out;
    }

    memset(&ro, 0, sizeof ro);
    ro.verbose = o.verbose;
    ro.ignore_version = o.ignore_version;
    if (jobs == 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = ncpu > 1 ? (int)(ncpu < 1024 ? ncpu : 1024) : 1;
    }
    ro.jobs = jobs; /* the reader uses at most one per trace directory */
    rc = reader_open(&r, inputs, ninputs, &ro, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "loop-analyze: %s\n", err);
        status = rc == -ENOMEM ? EXIT_INTERNAL : EXIT_BADINPUT;
        goto out;
    }
    if (o.verbose) {
        fprintf(stderr, "loop-analyze: reading %zu trace directories with %d decoding threads\n",
                reader_trace_count(r), reader_threads(r));
    }
    memset(&mo, 0, sizeof mo);
    mo.threshold_ns = o.threshold_ns;
    mo.keep_intervals = strcmp(o.command, "timeline") == 0 || strcmp(o.command, "tree") == 0 ||
                        strcmp(o.command, "why") == 0;
    mo.pid = o.pid;
    mo.loop = o.loop;
    m = model_new(&mo);
    if (m == NULL) {
        fprintf(stderr, "loop-analyze: out of memory\n");
        status = EXIT_INTERNAL;
        goto out;
    }
    memset(&c, 0, sizeof c);
    c.m = m;
    c.o = &o;
    c.rs = reader_stats(r);
    c.inputs = inputs;
    c.ninputs = ninputs;
    c.out = stdout;
    memset(&live, 0, sizeof live);
    feed.m = m;
    feed.c = &c;
    feed.live = strcmp(o.command, "hangs") == 0 && !o.json && is_url(inputs[0]) ? &live : NULL;
    signal(SIGINT, on_sigint);
    progress_open(&feed.progress, inputs, ninputs, !quiet && !is_url(inputs[0]));
    rc = reader_run(r, on_event, &feed);
    progress_close(&feed.progress);
    hangs_live_free(&live);
    if (rc == -ENOMEM) {
        fprintf(stderr, "loop-analyze: out of memory while reading the trace\n");
        status = EXIT_INTERNAL;
        goto out;
    }
    if (rc < 0 && rc != -EIO && rc != -EINTR) {
        fprintf(stderr, "loop-analyze: %s\n", reader_error(r));
        status = EXIT_BADINPUT;
        goto out;
    }
    if (reader_stats(r)->libloop_events == 0 && (reader_stats(r)->truncated || reader_note_count(r) > 0)) {
        /* not a missing event rule: the streams hold no complete packet */
        fprintf(stderr,
                "loop-analyze: %s: no complete packet of events: the stream files are cut inside their "
                "first packet (the program or the session daemon was killed before a packet was "
                "flushed?)\n",
                inputs[0]);
        status = EXIT_BADINPUT;
        goto out;
    }
    if (reader_stats(r)->libloop_events == 0 && is_url(inputs[0]) &&
        reader_live_check(inputs[0], err, sizeof err) < 0) {
        fprintf(stderr, "loop-analyze: %s\n", err); /* no such session or host, not "no events" */
        status = EXIT_BADINPUT;
        goto out;
    }
    if (reader_stats(r)->libloop_events == 0) {
        fprintf(stderr,
                "loop-analyze: %s: no libloop events in this trace (was libloop:* enabled and the "
                "program run with LOOP_TRACE=1?)\n",
                inputs[0]);
        status = EXIT_BADINPUT;
        goto out;
    }
    if (m->events == 0) {
        fprintf(stderr, "loop-analyze: no event matches --pid/--loop\n");
        status = EXIT_BADINPUT;
        goto out;
    }
    if (rc == -EIO) {
        fprintf(stderr, "loop-analyze: warning: %s; analyzing what was read\n", reader_error(r));
    }
    if (rc == -EINTR) {
        fprintf(stderr, "loop-analyze: interrupted; analyzing what was read\n");
    }
    notes = calloc(reader_note_count(r) + 1, sizeof(*notes));
    if (notes == NULL) {
        status = EXIT_INTERNAL;
        goto out;
    }
    for (i = 0; i < reader_note_count(r); i++) {
        notes[i] = reader_note(r, i);
        fprintf(stderr, "loop-analyze: warning: %s\n", notes[i]);
    }
    model_finish(m);
    c.notes = notes;
    c.nnotes = reader_note_count(r);
    if (strcmp(o.command, "summary") == 0) {
        rc = report_summary(&c);
    } else if (strcmp(o.command, "timeline") == 0) {
        rc = report_timeline(&c);
    } else if (strcmp(o.command, "hangs") == 0) {
        rc = report_hangs(&c);
    } else if (strcmp(o.command, "lints") == 0) {
        rc = report_lints(&c);
    } else if (strcmp(o.command, "leaks") == 0) {
        rc = report_leaks(&c);
    } else if (strcmp(o.command, "profile") == 0) {
        rc = report_profile(&c);
    } else if (strcmp(o.command, "tree") == 0) {
        rc = report_tree(&c);
    } else if (strcmp(o.command, "why") == 0) {
        rc = report_why(&c);
    } else {
        rc = report_check(&c, &findings);
        if (rc == 0 && findings > 0) {
            status = EXIT_FINDINGS;
        }
    }
    if (rc == -ENOMEM || m->oom) {
        fprintf(stderr, "loop-analyze: out of memory: the report is incomplete\n");
        status = EXIT_INTERNAL;
    } else if (rc == -ECANCELED) {
        status = EXIT_BADINPUT; /* the report said why */
    } else if (rc < 0) {
        fprintf(stderr, "loop-analyze: %s: %s\n", o.command, strerror(-rc));
        status = rc == -EINVAL || rc == -ENOENT || rc == -EACCES ? EXIT_BADINPUT : EXIT_INTERNAL;
    }
    if (fflush(stdout) != 0 && status == 0) {
        fprintf(stderr, "loop-analyze: cannot write the output: %s\n", strerror(errno));
        status = EXIT_INTERNAL;
    }
out:
    model_free(m);
    reader_close(r);
    free(notes);
    free(inputs);
    return status;
}
