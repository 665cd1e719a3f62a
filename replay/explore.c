/*
 * explore.c — loop-replay explore: a systematic, deterministic search over
 * a program's scheduling choices (delay bounding), built on libloop's
 * LOOP_EXPLORE mode (libloop/record/chaos.c).
 *
 * The base is the program's fifo run. Every point where the loop could
 * have done otherwise is a numbered choice point (LOOP_EXPLORE_LOG lists
 * them): several items ready at once (pick), a timer that a late loop
 * would fire together with the next one (late), an I/O readiness that could
 * come an iteration later (hold), the order of a uv poll's ready fds
 * (uvpoll, libloop-uv). A schedule is a set of deviations
 * "P:A" from fifo; a run takes them and fifo everywhere else, so the prefix
 * before the first deviation is the base run's. The search runs every
 * schedule with 1 deviation, then 2, ... up to K, each new deviation at a
 * point after the previous one in that run's own list (as CHESS's and PCT's
 * delay/preemption bounding do), breadth first: the failure found first is
 * one with the fewest deviations.
 *
 * Equivalence: a run whose dispatches, I/O results and outcomes (the
 * schedule without its ITER and CLOCK records) equal an earlier run's took
 * the same path as far as the program can tell; it and the schedules that
 * would extend it are counted as pruned, not explored again.
 *
 * With --por, a deviation that commutes with what it reorders, by the
 * footprints libloop logged in the run it deviates from (por.c), is not run
 * at all: "pruned as commuting", under the assumption, which the
 * certificate states, that the items share no state outside libloop's
 * handles, fds and task objects (off by default: unsound otherwise).
 *
 * It stops at the first failing run (a non-zero exit, a signal, a timeout,
 * or --predicate CMD exiting non-zero after a run that exited 0),
 * writes that run's schedule (replayable with loop-replay run) and says
 * which deviations made it; otherwise it says "no failure with up to K
 * deviations: N schedules explored, M pruned as equivalent".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"

struct point {
    uint64_t n;     /* its number in the run */
    uint64_t nalts; /* alternatives beyond fifo's */
    char *what;     /* "late timer id=3 ..." */
    char type[16];  /* pick, late, hold */
    uint64_t *ids;  /* the items it is about (its K line) */
    size_t nids;
    size_t ev;      /* its event in the node's log */
};

struct node {
    char *spec;      /* the deviations, "P:A,P:A" ("" for the base) */
    uint64_t last;   /* the last deviation's point: extensions come after it */
    struct point *pts;
    size_t npts;
    char *why;       /* the deviations in words, one per line */
    struct xlog log; /* the run's iterations, points and dispatch footprints (--por) */
};

struct explorer {
    char **argv;
    char *tmp;
    double timeout_s;
    uint64_t max_runs, runs, pruned;
    uint64_t commuting; /* --por: schedules not run, their deviation commuting */
    bool verbose, por;
    const char *predicate; /* --predicate CMD, or NULL */
    uint64_t *seen;  /* signatures of the runs so far */
    size_t nseen, capseen;
};

static void node_free(struct node *nd)
{
    for (size_t i = 0; i < nd->npts; i++) {
        free(nd->pts[i].what);
        free(nd->pts[i].ids);
    }
    xlog_free(&nd->log);
    free(nd->pts);
    free(nd->spec);
    free(nd->why);
}

/* An I, D or K line of the log: an iteration, a dispatch's footprint, a point's items. */
static int read_event(struct node *nd, const char *line)
{
    if (line[0] == 'I') {
        return xlog_add(&nd->log, 'I', 0);
    }
    if (line[0] == 'D') {
        return xlog_add_dispatch(&nd->log, line);
    }
    /* K<point> <id>...: the last point's */
    struct point *p = nd->npts ? &nd->pts[nd->npts - 1] : NULL;
    char *end;
    if (p == NULL || strtoull(line + 1, &end, 10) != p->n || p->ids != NULL) {
        return 0;
    }
    size_t cap = 1;
    for (const char *c = end; *c; c++) {
        cap += *c == ' ';
    }
    p->ids = calloc(cap, sizeof(*p->ids));
    if (p->ids == NULL) {
        return -ENOMEM;
    }
    for (const char *c = end; *c == ' ' && p->nids < cap;) {
        char *e2;
        uint64_t v = strtoull(c + 1, &e2, 10);
        if (e2 == c + 1) {
            break;
        }
        p->ids[p->nids++] = v;
        c = e2;
    }
    return 0;
}

/* The choice points of a run, from its LOOP_EXPLORE_LOG. */
static int read_points(const char *path, struct node *nd)
{
    FILE *f = fopen(path, "re");
    char line[1024];
    size_t cap = 0;

    if (f == NULL) {
        return -errno;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long n, nalts, taken;
        int used = 0;
        char type[16];
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == 'D' || line[0] == 'I' || line[0] == 'K') {
            int rc = read_event(nd, line);
            if (rc < 0) {
                fclose(f);
                return rc;
            }
            continue;
        }
        if (sscanf(line, "C%llu %15s %llu %llu %n", &n, type, &nalts, &taken, &used) != 4 ||
            used == 0) {
            continue;
        }
        if (nd->npts == cap) {
            cap = cap ? cap * 2 : 32;
            struct point *p = realloc(nd->pts, cap * sizeof(*p));
            if (p == NULL) {
                fclose(f);
                return -ENOMEM;
            }
            nd->pts = p;
        }
        struct point *p = &nd->pts[nd->npts++];
        memset(p, 0, sizeof(*p));
        p->n = n;
        p->nalts = nalts;
        snprintf(p->type, sizeof(p->type), "%s", type);
        p->ev = nd->log.nev;
        if (xlog_add(&nd->log, 'C', n) < 0) {
            fclose(f);
            return -ENOMEM;
        }
        if (asprintf(&p->what, "%s: %s", type, line + used) < 0) {
            p->what = NULL;
        }
    }
    fclose(f);
    return 0;
}

/* FNV-1a over the dispatches, I/O results and outcomes: the order the program saw. */
static int signature(const char *sch, uint64_t *sig)
{
    struct sched_file f;
    uint64_t h = 1469598103934665603ull;

    if (sched_load(sch, &f) < 0) {
        return -EBADMSG;
    }
    for (size_t i = 0; i < f.n; i++) {
        const struct loop__rec *r = &f.recs[i];
        if (r->type == LOOP__REC_ITER || r->type == LOOP__REC_CLOCK) {
            continue; /* where iterations begin is not an order the program sees */
        }
        int64_t v[8] = {r->type, r->kind, (int64_t)r->id, r->revents, r->op, r->result, r->what,
                        r->value};
        for (int k = 0; k < 8; k++) {
            h = (h ^ (uint64_t)v[k]) * 1099511628211ull;
        }
    }
    sched_file_free(&f);
    *sig = h;
    return 0;
}

static bool seen_before(struct explorer *x, uint64_t sig)
{
    for (size_t i = 0; i < x->nseen; i++) {
        if (x->seen[i] == sig) {
            return true;
        }
    }
    if (x->nseen == x->capseen) {
        size_t cap = x->capseen ? x->capseen * 2 : 64;
        uint64_t *s = realloc(x->seen, cap * sizeof(*s));
        if (s == NULL) {
            return false;
        }
        x->seen = s;
        x->capseen = cap;
    }
    x->seen[x->nseen++] = sig;
    return false;
}

/* One run under spec: its result, its schedule in tmp/run.sch, its points in nd. */
static int run_one(struct explorer *x, struct node *nd, struct child_result *res)
{
    char sch[4096], log[4096], out[4096];
    int fd, rc;

    snprintf(sch, sizeof(sch), "%s/run.sch", x->tmp);
    snprintf(log, sizeof(log), "%s/run.points", x->tmp);
    snprintf(out, sizeof(out), "%s/run.out", x->tmp);
    unlink(sch);
    unlink(log);
    fd = x->verbose ? -1 : open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct child_env env = {
        .set = {{"LOOP_EXPLORE", nd->spec}, {"LOOP_EXPLORE_LOG", log}, {"LOOP_RECORD", sch}},
        .unset = {"LOOP_REPLAY", "LOOP_CHAOS", "LOOP_CHAOS_ONLY", "LOOP_CHAOS_LOG"},
    };
    rc = child_run(x->argv, &env, fd, x->timeout_s, res);
    if (fd >= 0) {
        close(fd);
    }
    x->runs++;
    if (rc < 0) {
        return rc;
    }
    if (access(log, R_OK) != 0) {
        return -ENOENT; /* no choice point log: not a libloop program (or it never made a loop) */
    }
    return read_points(log, nd);
}

/*
 * Did the run under nd fail? Its exit status (non-zero, a signal, killed
 * after the timeout), else the user's --predicate: `sh -c CMD` with
 * LOOP_EXPLORE_EXIT (the run's exit status; 128+N for signal N),
 * LOOP_EXPLORE_RESULT ("exit 0"), LOOP_EXPLORE_SCHEDULE (the run's
 * schedule), LOOP_EXPLORE_OUTPUT (its stdout and stderr; empty with -v),
 * LOOP_EXPLORE_SPEC (its deviations) and LOOP_EXPLORE_RUN (its number), its
 * output inherited; a non-zero exit is a failure. what gets it in words.
 * -errno when the predicate cannot be started.
 */
static int run_failed(struct explorer *x, const struct node *nd, const struct child_result *res,
                      char *what, size_t len)
{
    char st[64], code[16], sch[4096], out[4096], run[24], pst[64];
    struct child_result pres;

    child_status_str(res, st, sizeof(st));
    snprintf(what, len, "%s", st);
    if (child_failed(res)) {
        return 1;
    }
    if (x->predicate == NULL) {
        return 0;
    }
    snprintf(code, sizeof(code), "%d",
             WIFEXITED(res->status) ? WEXITSTATUS(res->status) : 128 + WTERMSIG(res->status));
    snprintf(sch, sizeof(sch), "%s/run.sch", x->tmp);
    snprintf(out, sizeof(out), "%s%s", x->verbose ? "" : x->tmp, x->verbose ? "" : "/run.out");
    snprintf(run, sizeof(run), "%llu", (unsigned long long)x->runs);
    struct child_env env = {
        .set = {{"LOOP_EXPLORE_EXIT", code},
                {"LOOP_EXPLORE_RESULT", st},
                {"LOOP_EXPLORE_SCHEDULE", sch},
                {"LOOP_EXPLORE_OUTPUT", out},
                {"LOOP_EXPLORE_SPEC", nd->spec},
                {"LOOP_EXPLORE_RUN", run}},
        .unset = {"LOOP_EXPLORE", "LOOP_EXPLORE_LOG", "LOOP_RECORD", "LOOP_REPLAY", "LOOP_CHAOS"},
    };
    char *argv[] = {"/bin/sh", "-c", (char *)x->predicate, NULL};
    int rc = child_run(argv, &env, -1, x->timeout_s, &pres);
    if (rc < 0) {
        return rc;
    }
    if (!child_failed(&pres)) {
        return 0;
    }
    snprintf(what, len, "the predicate: %s; the run: %s", child_status_str(&pres, pst, sizeof(pst)),
             st);
    return 1;
}

/* The failing run: its schedule to out_path, and what made it. */
static int report_failure(struct explorer *x, const struct node *nd, const char *what,
                          uint64_t deviations, const char *out_path)
{
    char sch[4096];
    char *cmd = argv_str(x->argv);

    snprintf(sch, sizeof(sch), "%s/run.sch", x->tmp);
    printf("explore: failure (%s) with %llu deviation%s from fifo, run %llu\n", what,
           (unsigned long long)deviations,
           deviations == 1 ? "" : "s", (unsigned long long)x->runs);
    if (nd->why != NULL) {
        fputs(nd->why, stdout);
    }
    if (rename(sch, out_path) < 0) {
        /* another file system: copy through a replay-free path */
        char *buf = NULL;
        size_t len = 0;
        FILE *in = fopen(sch, "rb"), *out = fopen(out_path, "wb");
        int ok = in != NULL && out != NULL;
        if (ok) {
            FILE *mem = open_memstream(&buf, &len);
            int c;
            while (mem != NULL && (c = fgetc(in)) != EOF) {
                fputc(c, mem);
            }
            if (mem != NULL) {
                fclose(mem);
            }
            ok = buf != NULL && fwrite(buf, 1, len, out) == len;
        }
        if (in != NULL) {
            fclose(in);
        }
        if (out != NULL && fclose(out) != 0) {
            ok = 0;
        }
        free(buf);
        if (!ok) {
            free(cmd);
            say("explore: cannot write %s: %s", out_path, strerror(errno));
            return EXIT_BAD;
        }
    }
    printf("explore: wrote %s\n  replay: loop-replay run %s -- %s\n", out_path, out_path, cmd);
    free(cmd);
    return EXIT_DIFFER;
}

/* Index of the program after "--", or -1. */
static int program_after_dashdash(int argc, char **argv, int from)
{
    for (int i = from; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            return i + 1 < argc ? i + 1 : -1;
        }
    }
    return -1;
}

static const char explore_usage[] =
    "usage: loop-replay explore [-k K] [--max-runs N] [-o FILE] [--timeout SEC] [--por] "
    "[--predicate CMD] [-v] -- PROGRAM [ARGS...]";

int cmd_explore(int argc, char **argv)
{
    struct explorer x = {.timeout_s = 30, .max_runs = 1000};
    uint64_t k = 2;
    const char *out_arg = NULL;
    char out_path[4096], st[64];
    struct node *level = NULL, *next = NULL;
    size_t nlevel = 0, nnext = 0, capnext = 0;
    struct child_result res;
    int i, prog, rc = 0;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-k") == 0) {
            if (parse_u64(v, &k) < 0 || k > 16) {
                return bad("explore: -k wants a number of deviations, 0 to 16");
            }
            i++;
        } else if (strcmp(a, "--max-runs") == 0) {
            if (parse_u64(v, &x.max_runs) < 0 || x.max_runs == 0) {
                return bad("explore: --max-runs wants a positive number");
            }
            i++;
        } else if (strcmp(a, "-o") == 0 && v != NULL) {
            out_arg = v;
            i++;
        } else if (strcmp(a, "--timeout") == 0) {
            if (parse_seconds(v, &x.timeout_s) < 0) {
                return bad("explore: --timeout wants seconds");
            }
            i++;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            x.verbose = true;
        } else if (strcmp(a, "--por") == 0) {
            x.por = true;
        } else if (strcmp(a, "--predicate") == 0) {
            if (v == NULL || *v == '\0') {
                return bad("explore: --predicate wants a shell command");
            }
            x.predicate = v;
            i++;
        } else {
            return bad("%s", explore_usage);
        }
    }
    prog = program_after_dashdash(argc, argv, i);
    if (prog < 0) {
        return bad("%s", explore_usage);
    }
    x.argv = argv + prog;
    if (out_arg != NULL) {
        snprintf(out_path, sizeof(out_path), "%s", out_arg);
    } else {
        snprintf(out_path, sizeof(out_path), "%s-explore.sch", base_name(x.argv[0]));
    }
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/loop-explore.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    x.tmp = mkdtemp(tmpl);
    if (x.tmp == NULL) {
        return bad("explore: cannot create a scratch directory: %s", strerror(errno));
    }

    /* the base: fifo everywhere */
    level = calloc(1, sizeof(*level));
    if (level == NULL || (level->spec = strdup("")) == NULL) {
        free(level);
        return bad("explore: out of memory");
    }
    nlevel = 1;
    int r = run_one(&x, &level[0], &res);
    if (r == -ENOENT) {
        rc = bad("explore: %s made no choice point log (%s): does it use libloop?", x.argv[0],
                 child_status_str(&res, st, sizeof(st)));
        goto done;
    }
    if (r < 0) {
        rc = bad("explore: cannot run %s: %s", x.argv[0], strerror(-r));
        goto done;
    }
    char what[192];
    r = run_failed(&x, &level[0], &res, what, sizeof(what));
    if (r < 0) {
        rc = bad("explore: cannot run the predicate: %s", strerror(-r));
        goto done;
    }
    if (r > 0) {
        printf("explore: the fifo run fails already: no deviation needed\n");
        rc = report_failure(&x, &level[0], what, 0, out_path);
        goto done;
    }
    uint64_t sig;
    {
        char sch[4096];
        snprintf(sch, sizeof(sch), "%s/run.sch", x.tmp);
        if (signature(sch, &sig) == 0) {
            seen_before(&x, sig);
        }
    }
    printf("explore: fifo run passes; %zu choice point%s\n", level[0].npts,
           level[0].npts == 1 ? "" : "s");
    fflush(stdout);

    for (uint64_t d = 1; d <= k; d++) {
        for (size_t li = 0; li < nlevel; li++) {
            struct node *parent = &level[li];
            for (size_t pi = 0; pi < parent->npts; pi++) {
                const struct point *p = &parent->pts[pi];
                if (p->n <= parent->last) {
                    continue;
                }
                for (uint64_t a = 1; a <= p->nalts; a++) {
                    struct node child = {0};
                    if (x.por && por_commutes(&parent->log, p->ev, p->type, p->ids, p->nids, a)) {
                        /* equivalent to the run it deviates from, under --por's assumption:
                         * so are the schedules that would extend it (counted as the parent's
                         * points after this one, which the commuted run meets too) */
                        x.commuting++;
                        for (size_t ci = pi + 1; d < k && ci < parent->npts; ci++) {
                            x.commuting += parent->pts[ci].nalts;
                        }
                        if (x.verbose) {
                            printf("skip %s%s%llu:%llu: commutes (--por)\n", parent->spec,
                                   parent->spec[0] ? "," : "", (unsigned long long)p->n,
                                   (unsigned long long)a);
                        }
                        continue;
                    }
                    if (x.runs >= x.max_runs) {
                        printf("explore: stopped after %llu runs (--max-runs) at %llu deviation%s: "
                               "no failure found; %llu pruned as equivalent",
                               (unsigned long long)x.runs, (unsigned long long)d,
                               d == 1 ? "" : "s", (unsigned long long)x.pruned);
                        if (x.por) {
                            printf(", %llu pruned as commuting (--por)",
                                   (unsigned long long)x.commuting);
                        }
                        printf("\n");
                        goto done;
                    }
                    if (asprintf(&child.spec, "%s%s%llu:%llu", parent->spec,
                                 parent->spec[0] ? "," : "", (unsigned long long)p->n,
                                 (unsigned long long)a) < 0 ||
                        asprintf(&child.why, "%s  C%llu alternative %llu of %s\n",
                                 parent->why ? parent->why : "", (unsigned long long)p->n,
                                 (unsigned long long)a, p->what ? p->what : "?") < 0) {
                        rc = bad("explore: out of memory");
                        goto done;
                    }
                    child.last = p->n;
                    r = run_one(&x, &child, &res);
                    if (r < 0 && r != -ENOENT) {
                        node_free(&child);
                        rc = bad("explore: cannot run %s: %s", x.argv[0], strerror(-r));
                        goto done;
                    }
                    if (x.verbose) {
                        printf("run %llu: LOOP_EXPLORE=%s: %s\n", (unsigned long long)x.runs,
                               child.spec, child_status_str(&res, st, sizeof(st)));
                    }
                    r = run_failed(&x, &child, &res, what, sizeof(what));
                    if (r != 0) {
                        rc = r < 0 ? bad("explore: cannot run the predicate: %s", strerror(-r))
                                   : report_failure(&x, &child, what, d, out_path);
                        node_free(&child);
                        goto done;
                    }
                    char sch[4096];
                    snprintf(sch, sizeof(sch), "%s/run.sch", x.tmp);
                    if (signature(sch, &sig) == 0 && seen_before(&x, sig)) {
                        /* the same path as a run already explored: so are its extensions */
                        x.pruned++;
                        if (d < k) {
                            for (size_t ci = 0; ci < child.npts; ci++) {
                                x.pruned += child.pts[ci].n > child.last ? child.pts[ci].nalts : 0;
                            }
                        }
                        node_free(&child);
                        continue;
                    }
                    if (d == k) {
                        node_free(&child);
                        continue;
                    }
                    if (nnext == capnext) {
                        capnext = capnext ? capnext * 2 : 16;
                        struct node *nn = realloc(next, capnext * sizeof(*nn));
                        if (nn == NULL) {
                            node_free(&child);
                            rc = bad("explore: out of memory");
                            goto done;
                        }
                        next = nn;
                    }
                    next[nnext++] = child;
                }
            }
        }
        for (size_t li = 0; li < nlevel; li++) {
            node_free(&level[li]);
        }
        free(level);
        level = next;
        nlevel = nnext;
        next = NULL;
        nnext = capnext = 0;
    }
    printf("no failure with up to %llu deviation%s: %llu schedules explored, %llu pruned as "
           "equivalent",
           (unsigned long long)k, k == 1 ? "" : "s", (unsigned long long)x.runs,
           (unsigned long long)x.pruned);
    if (x.por) {
        printf(", %llu pruned as commuting (--por: assuming the items share no state outside "
               "libloop's handles, fds and task objects)",
               (unsigned long long)x.commuting);
    }
    printf("\n");
done:
    for (size_t li = 0; li < nlevel; li++) {
        node_free(&level[li]);
    }
    free(level);
    for (size_t li = 0; li < nnext; li++) {
        node_free(&next[li]);
    }
    free(next);
    free(x.seen);
    if (x.tmp != NULL) {
        char path[4096];
        static const char *const files[] = {"run.sch", "run.points", "run.out"};
        for (size_t f = 0; f < 3; f++) {
            snprintf(path, sizeof(path), "%s/%s", x.tmp, files[f]);
            unlink(path);
        }
        rmdir(x.tmp);
    }
    return rc;
}
