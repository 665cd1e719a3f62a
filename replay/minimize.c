/*
 * minimize.c — loop-replay minimize: shrink a failing chaos schedule towards
 * fifo order while the failure still reproduces, and say which
 * perturbations matter.
 *
 * A chaos run is the fifo order plus perturbations: every choice chaos makes
 * that differs from fifo's (another ready item first, readiness held back, a
 * poll that oversleeps so timers fire late). libloop numbers them in the
 * order it makes them, and LOOP_CHAOS_ONLY=LIST re-runs the same seed with
 * only the listed ones applied: the others take the fifo choice, and the
 * random draws stay the same, so a number names the same choice up to the
 * first one that changes the run (libloop/chaos.c).
 *
 * The search:
 *   1. FILE must fail when replayed (its status is "the failure"), and the
 *      same seed must fail the same way again under chaos: that run's
 *      LOOP_CHAOS_LOG lists the perturbations D.
 *   2. If fifo order (no perturbation) fails too, the order does not matter.
 *   3. Otherwise delta debugging (Zeller's ddmin) over D, each test a run of
 *      the program with LOOP_CHAOS_ONLY=subset: the result is a set where
 *      removing any one perturbation makes the failure go away (1-minimal),
 *      unless --max-runs stopped the search first (then it says so).
 * Every test run is recorded; the schedule of the smallest failing run is
 * written to OUT and checked by replaying it. Runs take real time: a program
 * whose outcome depends on real timing beyond the seed makes tests noisy;
 * minimize then still ends with a failing, replayable schedule, but the set
 * may be larger than needed.
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

struct pset {
    uint64_t *v; /* perturbation numbers, ascending */
    size_t n;
};

struct mini {
    char **argv;
    const char *file;
    char seed[32];
    char late_ms[16];     /* the recorded run's LOOP_CHAOS_LATE_MS (the header's) */
    char *tmp;            /* scratch directory */
    double timeout_s;
    uint64_t max_runs, runs;
    bool any_failure, verbose;
    struct child_result want; /* the failure */
    /* the best (smallest) failing run so far */
    struct pset best;
    char best_sch[4096], best_log[4096];
    /* tested sets, to run each once: their lists and outcomes */
    char **seen;
    bool *seen_fail;
    size_t nseen;
};

static bool same_failure(const struct mini *m, const struct child_result *r)
{
    if (!child_failed(r)) {
        return false;
    }
    if (m->any_failure) {
        return true;
    }
    if (m->want.timed_out || r->timed_out) {
        return m->want.timed_out == r->timed_out;
    }
    return r->status == m->want.status;
}

static char *pset_str(const struct pset *s)
{
    size_t cap = 32 + s->n * 24, len = 0;
    char *out = malloc(cap);

    if (out == NULL) {
        return NULL;
    }
    out[0] = '\0';
    for (size_t i = 0; i < s->n;) {
        size_t j = i;
        while (j + 1 < s->n && s->v[j + 1] == s->v[j] + 1) {
            j++;
        }
        if (j > i) {
            len += (size_t)snprintf(out + len, cap - len, "%s%llu-%llu", len ? "," : "",
                                    (unsigned long long)s->v[i], (unsigned long long)s->v[j]);
        } else {
            len += (size_t)snprintf(out + len, cap - len, "%s%llu", len ? "," : "",
                                    (unsigned long long)s->v[i]);
        }
        i = j + 1;
    }
    return out;
}

/* One run of the program under chaos with only `only` applied (NULL: all). */
static int chaos_run(struct mini *m, const char *only, const char *tag, char *sch, char *log,
                     struct child_result *res)
{
    char out[4096];
    int fd, rc;

    snprintf(sch, 4096, "%s/%s.sch", m->tmp, tag);
    snprintf(log, 4096, "%s/%s.plog", m->tmp, tag);
    snprintf(out, sizeof(out), "%s/%s.out", m->tmp, tag);
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -errno;
    }
    struct child_env env = {
        .set = {{"LOOP_CHAOS", m->seed}, {"LOOP_RECORD", sch}, {"LOOP_CHAOS_LOG", log},
                {"LOOP_CHAOS_LATE_MS", m->late_ms}},
        .unset = {"LOOP_REPLAY", "LOOP_CHAOS_ONLY"},
    };
    if (only != NULL) {
        env.set[4][0] = "LOOP_CHAOS_ONLY";
        env.set[4][1] = only;
    }
    rc = child_run(m->argv, &env, fd, m->timeout_s, res);
    close(fd);
    m->runs++;
    return rc;
}

/* The perturbations a run applied, from its LOOP_CHAOS_LOG. */
static int read_applied(const char *log, struct pset *s)
{
    FILE *f = fopen(log, "r");
    char line[1024];
    size_t cap = 0;

    s->v = NULL;
    s->n = 0;
    if (f == NULL) {
        return -errno;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long n;
        char what[16];
        if (sscanf(line, "P%llu %15s", &n, what) == 2 && strcmp(what, "applied") == 0) {
            if (s->n == cap) {
                cap = cap ? cap * 2 : 64;
                uint64_t *v = realloc(s->v, cap * sizeof(*v));
                if (v == NULL) {
                    fclose(f);
                    return -ENOMEM;
                }
                s->v = v;
            }
            s->v[s->n++] = n;
        }
    }
    fclose(f);
    return 0;
}

/* Print the log lines of the applied perturbations in set s. */
static void print_applied(const char *log, const struct pset *s)
{
    FILE *f = fopen(log, "r");
    char line[1024];

    if (f == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long n;
        char what[16];
        int off = 0;
        if (sscanf(line, "P%llu %15s %n", &n, what, &off) != 2 || strcmp(what, "applied") != 0) {
            continue;
        }
        for (size_t i = 0; i < s->n; i++) {
            if (s->v[i] == n) {
                printf("  P%llu %s", n, line + off);
                break;
            }
        }
    }
    fclose(f);
}

/* Does the run with only s applied fail the same way? Cached per set. */
static int test(struct mini *m, const struct pset *s, bool *fails)
{
    char *only = pset_str(s), tag[32], sch[4096], log[4096], st[64];
    struct child_result res;
    int rc;

    if (only == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < m->nseen; i++) {
        if (strcmp(m->seen[i], only) == 0) {
            *fails = m->seen_fail[i];
            free(only);
            return 0;
        }
    }
    if (m->runs >= m->max_runs) {
        free(only);
        return -EDQUOT;
    }
    snprintf(tag, sizeof(tag), "run-%llu", (unsigned long long)m->runs + 1);
    rc = chaos_run(m, only, tag, sch, log, &res);
    if (rc < 0) {
        free(only);
        return rc;
    }
    *fails = same_failure(m, &res);
    if (m->verbose) {
        printf("  run %llu: {%s}: %s%s\n", (unsigned long long)m->runs, only,
               child_status_str(&res, st, sizeof(st)), *fails ? " (fails)" : "");
        fflush(stdout);
    }
    char **seen = realloc(m->seen, (m->nseen + 1) * sizeof(*seen));
    bool *seen_fail = realloc(m->seen_fail, (m->nseen + 1) * sizeof(*seen_fail));
    if (seen != NULL) {
        m->seen = seen;
    }
    if (seen_fail != NULL) {
        m->seen_fail = seen_fail;
    }
    if (seen != NULL && seen_fail != NULL) {
        m->seen[m->nseen] = only;
        m->seen_fail[m->nseen++] = *fails;
    } else {
        free(only);
    }
    if (*fails && (m->best.v == NULL || s->n <= m->best.n)) {
        uint64_t *v = malloc((s->n + 1) * sizeof(*v));
        if (v != NULL) {
            memcpy(v, s->v, s->n * sizeof(*v));
            free(m->best.v);
            m->best.v = v;
            m->best.n = s->n;
            snprintf(m->best_sch, sizeof(m->best_sch), "%s", sch);
            snprintf(m->best_log, sizeof(m->best_log), "%s", log);
        }
    }
    return 0;
}

/* Zeller's ddmin over c (changed in place to the result). -EDQUOT: out of runs. */
static int ddmin(struct mini *m, struct pset *c)
{
    size_t n = 2;
    struct pset sub = {malloc((c->n + 1) * sizeof(uint64_t)), 0};

    if (sub.v == NULL) {
        return -ENOMEM;
    }
    while (c->n >= 2) {
        bool reduced = false;
        if (n > c->n) {
            n = c->n;
        }
        /* the n chunks, then (for n > 2) their complements */
        for (int pass = 0; pass < 2 && !reduced; pass++) {
            if (pass == 1 && n == 2) {
                break; /* the complements of two halves are the halves */
            }
            for (size_t k = 0; k < n && !reduced; k++) {
                size_t lo = c->n * k / n, hi = c->n * (k + 1) / n;
                bool fails;
                sub.n = 0;
                for (size_t i = 0; i < c->n; i++) {
                    if ((i >= lo && i < hi) == (pass == 0)) {
                        sub.v[sub.n++] = c->v[i];
                    }
                }
                int rc = test(m, &sub, &fails);
                if (rc < 0) {
                    free(sub.v);
                    return rc;
                }
                if (fails) {
                    memcpy(c->v, sub.v, sub.n * sizeof(uint64_t));
                    c->n = sub.n;
                    n = pass == 0 ? 2 : (n > 3 ? n - 1 : 2);
                    reduced = true;
                }
            }
        }
        if (!reduced) {
            if (n >= c->n) {
                break; /* every single one is needed */
            }
            n = n * 2 < c->n ? n * 2 : c->n;
        }
    }
    free(sub.v);
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;
    ssize_t n;

    if (in < 0) {
        return -errno;
    }
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = -errno;
        close(in);
        return rc;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            rc = -EIO;
            break;
        }
    }
    if (n < 0) {
        rc = -errno;
    }
    close(in);
    if (close(out) < 0 && rc == 0) {
        rc = -errno;
    }
    return rc;
}

/* Replay sch strictly: its status, and whether it diverged. */
static int replay(struct mini *m, const char *sch, const char *tag, struct child_result *res,
                  char *diverged, size_t dlen)
{
    char out[4096], line[1024];
    int fd, rc;
    FILE *f;

    snprintf(out, sizeof(out), "%s/%s.out", m->tmp, tag);
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -errno;
    }
    struct child_env env = {.set = {{"LOOP_REPLAY", sch}},
                            .unset = {"LOOP_CHAOS", "LOOP_RECORD", "LOOP_REPLAY_DIVERGE"}};
    rc = child_run(m->argv, &env, fd, m->timeout_s, res);
    close(fd);
    diverged[0] = '\0';
    if ((f = fopen(out, "r")) != NULL) {
        while (fgets(line, sizeof(line), f) != NULL) {
            char *p = strstr(line, "replay diverged");
            if (p != NULL && diverged[0] == '\0') {
                line[strcspn(line, "\n")] = '\0';
                snprintf(diverged, dlen, "%s", p);
            }
        }
        fclose(f);
    }
    return rc;
}

static void cleanup(struct mini *m)
{
    char cmd[4200];

    if (m->tmp != NULL) {
        /* only our own scratch directory, made by mkdtemp below */
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->tmp);
        if (system(cmd) != 0) {
            say("warning: could not remove %s", m->tmp);
        }
    }
    for (size_t i = 0; i < m->nseen; i++) {
        free(m->seen[i]);
    }
    free(m->seen);
    free(m->seen_fail);
    free(m->best.v);
}

static const char minimize_usage[] =
    "usage: loop-replay minimize FILE [-o OUT] [--max-runs N] [--timeout SEC] [--any-failure] "
    "[--force] [-v] [-- PROGRAM [ARGS...]]";

int cmd_minimize(int argc, char **argv)
{
    struct mini m = {.timeout_s = 30, .max_runs = 200};
    char **own_argv = NULL;
    struct sched_file sf;
    const char *out = NULL;
    bool force = false;
    char st[64], st2[64], div[512];
    int i, prog = -1, status = EXIT_DIFFER;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            prog = i + 1 < argc ? i + 1 : -2;
            break;
        } else if (strcmp(a, "-o") == 0 && v != NULL) {
            out = v;
            i++;
        } else if (strcmp(a, "--max-runs") == 0) {
            if (parse_u64(v, &m.max_runs) < 0 || m.max_runs == 0) {
                return bad("minimize: --max-runs wants a positive number");
            }
            i++;
        } else if (strcmp(a, "--timeout") == 0) {
            if (parse_seconds(v, &m.timeout_s) < 0) {
                return bad("minimize: --timeout wants seconds");
            }
            i++;
        } else if (strcmp(a, "--any-failure") == 0) {
            m.any_failure = true;
        } else if (strcmp(a, "--force") == 0) {
            force = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            m.verbose = true;
        } else if (a[0] == '-' || m.file != NULL) {
            return bad("%s", minimize_usage);
        } else {
            m.file = a;
        }
    }
    if (m.file == NULL || prog == -2) {
        return bad("%s", minimize_usage);
    }
    char out_default[4096];
    if (out == NULL) { /* FILE.sch -> FILE.min.sch */
        size_t n = strlen(m.file);
        if (n > 4 && strcmp(m.file + n - 4, ".sch") == 0) {
            n -= 4;
        }
        snprintf(out_default, sizeof(out_default), "%.*s.min.sch", (int)n, m.file);
        out = out_default;
    }
    if (sched_load(m.file, &sf) < 0) {
        return EXIT_BAD;
    }
    if (sf.end == SCHED_END_CORRUPT) {
        status = bad("%s: %s", m.file, sf.err);
        sched_file_free(&sf);
        return status;
    }
    if (sf.hdr.mode != LOOP__SCHED_MODE_CHAOS) {
        status = bad("%s was recorded in %s mode: minimize works on schedules recorded under "
                     "chaos (loop-replay chaos, LOOP_CHAOS)",
                     m.file, sched_mode_name(sf.hdr.mode));
        sched_file_free(&sf);
        return status;
    }
    if (prog > 0) {
        m.argv = argv + prog;
        if (!force && !sched_program_matches(&sf.hdr, m.argv[0])) {
            status = bad("%s was recorded from %s, not %s (--force minimizes anyway)", m.file,
                         base_name(sf.hdr.program), base_name(m.argv[0]));
            sched_file_free(&sf);
            return status;
        }
    } else {
        m.argv = own_argv = sched_recorded_argv(&sf.hdr);
    }
    snprintf(m.seed, sizeof(m.seed), "%llu", (unsigned long long)sf.hdr.chaos_seed);
    /* the chaos parameters are the recorded run's, never the caller's environment;
     * a schedule from before they were kept gets the default */
    snprintf(m.late_ms, sizeof(m.late_ms), "%u",
             sf.hdr.chaos_late_ms > 0 ? sf.hdr.chaos_late_ms - 1 : 80u);
    size_t nrecs = sf.n;
    sched_file_free(&sf);
    if (m.argv == NULL) {
        return bad("out of memory");
    }
    char *file_abs = abs_path(m.file);
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/loop-minimize.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(tmpl) == NULL) {
        free(file_abs);
        argv_free(own_argv);
        return bad("minimize: cannot create a scratch directory in %s: %s",
                   getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
    }
    m.tmp = tmpl;
    char *cmdline = argv_str(m.argv);

    /* 1. the failure, as the file replays it */
    struct child_result res;
    if (replay(&m, file_abs, "replay-input", &res, div, sizeof(div)) < 0) {
        status = bad("minimize: cannot run %s", m.argv[0]);
        goto done;
    }
    if (div[0] != '\0') {
        status = bad("%s does not replay (%s): minimize needs a schedule that replays", m.file,
                     div);
        goto done;
    }
    if (!child_failed(&res)) {
        say("%s replays without failing (exit 0): nothing to minimize", m.file);
        goto done;
    }
    m.want = res;
    printf("minimize: %s replays to %s (%zu records), chaos seed %s\n", m.file,
           child_status_str(&res, st, sizeof(st)), nrecs, m.seed);

    /* ... and again under chaos with the same seed: the perturbations */
    char sch[4096], log[4096];
    struct pset all = {NULL, 0};
    bool reproduced = false;
    for (int attempt = 0; attempt < 3 && !reproduced; attempt++) {
        if (chaos_run(&m, NULL, "chaos-all", sch, log, &res) < 0) {
            status = bad("minimize: cannot run %s", m.argv[0]);
            goto done;
        }
        reproduced = same_failure(&m, &res);
    }
    if (!reproduced) {
        say("seed %s no longer fails under chaos (%s, 3 tries): the failure depends on real "
            "timing beyond the seed; the schedule still replays it",
            m.seed, child_status_str(&res, st2, sizeof(st2)));
        goto done;
    }
    if (read_applied(log, &all) < 0) {
        status = bad("minimize: %s does not list the perturbations: is libloop older than the "
                     "program?",
                     log);
        goto done;
    }
    if (all.n == 0) {
        say("warning: libloop reported no perturbation (LOOP_CHAOS_LOG): a libloop without "
            "numbered perturbations?");
    }
    m.best = (struct pset){malloc((all.n + 1) * sizeof(uint64_t)), all.n};
    if (m.best.v != NULL) {
        memcpy(m.best.v, all.v, all.n * sizeof(uint64_t));
    }
    snprintf(m.best_sch, sizeof(m.best_sch), "%s", sch);
    snprintf(m.best_log, sizeof(m.best_log), "%s", log);
    printf("minimize: chaos made %zu perturbation%s\n", all.n, all.n == 1 ? "" : "s");

    /* 2. fifo order */
    struct pset none = {NULL, 0};
    bool fails = false;
    int rc = test(&m, &none, &fails);
    bool capped = false;
    if (rc == 0 && fails) {
        printf("minimize: fifo order (no perturbation) fails the same way: the failure does "
               "not depend on the order\n");
    } else if (rc == 0) {
        /* 3. ddmin */
        struct pset c = {malloc((all.n + 1) * sizeof(uint64_t)), all.n};
        if (c.v == NULL) {
            status = bad("out of memory");
            free(all.v);
            goto done;
        }
        memcpy(c.v, all.v, all.n * sizeof(uint64_t));
        rc = ddmin(&m, &c);
        capped = rc == -EDQUOT;
        free(c.v);
    }
    if (rc < 0 && rc != -EDQUOT) {
        status = bad("minimize: a test run failed to start: %s", strerror(-rc));
        free(all.v);
        goto done;
    }
    free(all.v);
    printf("minimize: %zu perturbation%s matter%s (%llu runs%s):\n", m.best.n,
           m.best.n == 1 ? "" : "s", m.best.n == 1 ? "s" : "", (unsigned long long)m.runs,
           capped ? "; stopped by --max-runs, may not be minimal" : "");
    print_applied(m.best_log, &m.best);

    /* the smallest failing run's schedule, checked */
    rc = copy_file(m.best_sch, out);
    if (rc < 0) {
        status = bad("cannot write %s: %s", out, strerror(-rc));
        goto done;
    }
    if (replay(&m, m.best_sch, "replay-output", &res, div, sizeof(div)) < 0) {
        status = bad("minimize: cannot run %s", m.argv[0]);
        goto done;
    }
    if (div[0] != '\0' || !same_failure(&m, &res)) {
        say("warning: %s replays to %s%s%s, not to the failure", out,
            child_status_str(&res, st, sizeof(st)), div[0] ? ": " : "", div);
    } else {
        printf("minimize: wrote %s (replays to %s)\n", out, child_status_str(&res, st, sizeof(st)));
        printf("  replay: loop-replay run %s -- %s\n", out, cmdline);
        status = 0;
    }
done:
    fflush(stdout);
    free(cmdline);
    free(file_abs);
    argv_free(own_argv);
    cleanup(&m);
    return status;
}
