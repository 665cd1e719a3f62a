/*
 * run.c — the commands that run the program: run (replay a schedule),
 * record, and chaos (successive seeds, keeping the schedules that fail).
 *
 * run and record exec the program (same pid, its exit status: 3 when the
 * replay diverged), after checking the file; chaos forks one run per seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"

/* Scan a schedule to the end: 0 clean or complete, -EPIPE truncated, -EBADMSG... */
static int scan(struct loop__sched_reader *r, char *err, size_t len)
{
    struct loop__rec rec;
    int rc;

    while ((rc = loop__schedr_next(r, &rec, err, len)) == 1) {
    }
    return rc;
}

/* Split "PROGRAM ARGS..." after "--": index of the program, or -1. */
static int after_dashdash(int argc, char **argv, int from)
{
    for (int i = from; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            return i + 1 < argc ? i + 1 : -1;
        }
    }
    return -1;
}

/* run --------------------------------------------------------------------- */

int cmd_run(int argc, char **argv)
{
    struct loop__sched_reader *r;
    struct loop__sched_hdr hdr;
    const char *file = NULL;
    char err[256];
    bool force = false;
    int prog, rc, i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0) {
            force = true;
        } else if (argv[i][0] == '-' || file != NULL) {
            return bad("usage: loop-replay run [--force] FILE [-- PROGRAM [ARGS...]]");
        } else {
            file = argv[i];
        }
    }
    if (file == NULL) {
        return bad("usage: loop-replay run [--force] FILE [-- PROGRAM [ARGS...]]");
    }
    prog = after_dashdash(argc, argv, i);
    if (i < argc && prog < 0) {
        return bad("run: no program after --");
    }
    if (sched_open(file, &r, &hdr) < 0) {
        return EXIT_BAD;
    }
    rc = scan(r, err, sizeof(err));
    if (rc == -EPIPE) {
        say("warning: %s: %s; the replay stops with a divergence there", file, err);
    } else if (rc < 0 && !force) {
        loop__schedr_close(r);
        return bad("%s: %s (--force replays up to there)", file, err);
    }
    char **av = prog > 0 ? argv + prog : NULL, **own = NULL;
    if (av == NULL) {
        if (hdr.mode == LOOP__SCHED_MODE_TRACE || hdr.program == NULL || !*hdr.program) {
            rc = bad("%s names its program only as \"%s\": give the command line after --", file,
                     hdr.program ? hdr.program : "");
            loop__schedr_close(r);
            return rc;
        }
        av = own = sched_recorded_argv(&hdr);
    } else if (!force && !sched_program_matches(&hdr, av[0])) {
        rc = bad("%s was recorded from %s, not %s (--force replays it anyway)", file,
                 base_name(hdr.program), base_name(av[0]));
        loop__schedr_close(r);
        return rc;
    }
    loop__schedr_close(r); /* av owns its strings */
    if (av == NULL) {
        return bad("out of memory");
    }
    char *path = abs_path(file);
    struct child_env env = {.set = {{"LOOP_REPLAY", path}}, .unset = {"LOOP_CHAOS"}};
    rc = child_exec(av, &env);
    rc = bad("cannot run %s: %s", av[0], strerror(-rc));
    free(path);
    argv_free(own);
    return rc;
}

/* record ------------------------------------------------------------------ */

int cmd_record(int argc, char **argv)
{
    const char *out = NULL;
    int i, prog, fd;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strncmp(argv[i], "--output=", 9) == 0) {
            out = argv[i] + 9;
        } else {
            return bad("usage: loop-replay record -o FILE -- PROGRAM [ARGS...]");
        }
    }
    prog = after_dashdash(argc, argv, i);
    if (out == NULL || prog < 0) {
        return bad("usage: loop-replay record -o FILE -- PROGRAM [ARGS...]");
    }
    /* fail here, with one line, rather than inside the program */
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return bad("cannot write %s: %s", out, strerror(errno));
    }
    close(fd);
    char *path = abs_path(out);
    struct child_env env = {.set = {{"LOOP_RECORD", path}}, .unset = {"LOOP_REPLAY"}};
    int rc = child_exec(argv + prog, &env);
    unlink(out);
    free(path);
    return bad("cannot run %s: %s", argv[prog], strerror(-rc));
}

/* chaos ------------------------------------------------------------------- */

static const char chaos_usage[] =
    "usage: loop-replay chaos [-n RUNS] [--seed-start N] [--until-fail] [-o DIR] "
    "[--timeout SEC] [-v] -- PROGRAM [ARGS...]";

int cmd_chaos(int argc, char **argv)
{
    uint64_t runs = 100, seed0 = 1, failed = 0, timeouts = 0, first_fail = 0;
    const char *dir = ".";
    bool until_fail = false, runs_given = false, verbose = false;
    double timeout_s = 0;
    int i, prog;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-n") == 0 || strcmp(a, "--runs") == 0) {
            if (parse_u64(v, &runs) < 0 || runs == 0) {
                return bad("chaos: -n wants a positive number of runs");
            }
            runs_given = true;
            i++;
        } else if (strcmp(a, "--seed-start") == 0) {
            if (parse_u64(v, &seed0) < 0) {
                return bad("chaos: --seed-start wants a number");
            }
            i++;
        } else if (strcmp(a, "-o") == 0 && v != NULL) {
            dir = v;
            i++;
        } else if (strcmp(a, "--timeout") == 0) {
            if (parse_seconds(v, &timeout_s) < 0) {
                return bad("chaos: --timeout wants seconds");
            }
            i++;
        } else if (strcmp(a, "--until-fail") == 0) {
            until_fail = true;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            verbose = true;
        } else {
            return bad("%s", chaos_usage);
        }
    }
    prog = after_dashdash(argc, argv, i);
    if (prog < 0) {
        return bad("%s", chaos_usage);
    }
    if (until_fail && !runs_given) {
        runs = UINT64_MAX;
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        return bad("chaos: cannot create %s: %s", dir, strerror(errno));
    }
    char **av = argv + prog;
    char *cmdline = argv_str(av);
    const char *name = base_name(av[0]);
    uint64_t n;

    for (n = 0; n < runs; n++) {
        uint64_t seed = seed0 + n;
        char seed_s[32], sch[PATH_MAX], log[PATH_MAX], st[64];
        struct child_result res;
        int out_fd = -1;

        snprintf(seed_s, sizeof(seed_s), "%llu", (unsigned long long)seed);
        snprintf(sch, sizeof(sch), "%s/%s-seed-%llu.sch", dir, name, (unsigned long long)seed);
        snprintf(log, sizeof(log), "%s/%s-seed-%llu.log", dir, name, (unsigned long long)seed);
        if (!verbose) {
            out_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (out_fd < 0) {
                free(cmdline);
                return bad("chaos: cannot write %s: %s", log, strerror(errno));
            }
        }
        char *sch_abs = abs_path(sch);
        struct child_env env = {.set = {{"LOOP_CHAOS", seed_s}, {"LOOP_RECORD", sch_abs}},
                                .unset = {"LOOP_REPLAY", "LOOP_CHAOS_ONLY", "LOOP_CHAOS_LOG"}};
        int rc = child_run(av, &env, out_fd, timeout_s, &res);
        free(sch_abs);
        if (out_fd >= 0) {
            close(out_fd);
        }
        if (rc < 0) {
            free(cmdline);
            return bad("chaos: cannot start %s: %s", av[0], strerror(-rc));
        }
        if (!child_failed(&res)) {
            unlink(sch);
            unlink(log);
            continue;
        }
        if (WIFEXITED(res.status) && WEXITSTATUS(res.status) == 127 && n == 0) {
            free(cmdline);
            unlink(sch);
            return bad("chaos: cannot run %s (exit 127)", av[0]);
        }
        failed++;
        timeouts += res.timed_out;
        if (failed == 1) {
            first_fail = seed;
        }
        struct stat sb;
        if (stat(sch, &sb) < 0 || sb.st_size == 0) {
            printf("seed %llu: %s; no schedule was written (does %s use libloop?)\n",
                   (unsigned long long)seed, child_status_str(&res, st, sizeof(st)), name);
        } else {
            printf("seed %llu: %s; schedule %s%s%s\n", (unsigned long long)seed,
                   child_status_str(&res, st, sizeof(st)), sch, verbose ? "" : ", output ",
                   verbose ? "" : log);
            printf("  replay: loop-replay run %s -- %s\n", sch, cmdline);
        }
        fflush(stdout);
        if (until_fail) {
            n++;
            break;
        }
    }
    printf("chaos: %llu run%s (seeds %llu-%llu), %llu failed", (unsigned long long)n,
           n == 1 ? "" : "s", (unsigned long long)seed0, (unsigned long long)(seed0 + n - 1),
           (unsigned long long)failed);
    if (timeouts) {
        printf(" (%llu timed out)", (unsigned long long)timeouts);
    }
    if (failed) {
        printf("; first failing seed %llu", (unsigned long long)first_fail);
    }
    printf("\n");
    free(cmdline);
    return failed ? EXIT_DIFFER : 0;
}
