/*
 * trace_startup.c — process start-up time: runs PROGRAM [ARGS] N times
 * (fork + exec + wait, stdout/stderr to /dev/null), one after the other, and
 * reports the median and the minimum wall time of one run in microseconds:
 *     trace.startup.<label>.us_median 612.0 us
 *     trace.startup.<label>.us_min 540.1 us
 * usage: trace_startup LABEL N PROGRAM [ARGS...]
 * The environment is passed on (LD_PRELOAD, LOOP_TRACE...).
 */
#include "bench.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    posix_spawn_file_actions_t fa;
    uint64_t *t;
    long n;
    char metric[128];

    if (argc < 4) {
        fprintf(stderr, "usage: trace_startup LABEL N PROGRAM [ARGS...]\n");
        return 2;
    }
    n = strtol(argv[2], NULL, 10);
    BENCH_CHECK(n > 0);
    t = calloc((size_t)n, sizeof(*t));
    BENCH_CHECK(t != NULL);
    BENCH_CHECK(posix_spawn_file_actions_init(&fa) == 0);
    BENCH_CHECK(posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) == 0);
    BENCH_CHECK(posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) == 0);
    for (long i = 0; i < n; i++) {
        pid_t pid;
        int st;
        uint64_t t0 = bench_now_ns();

        BENCH_CHECK(posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ) == 0);
        BENCH_CHECK(waitpid(pid, &st, 0) == pid);
        t[i] = bench_now_ns() - t0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "trace_startup: %s failed (status 0x%x)\n", argv[3], st);
            return 1;
        }
    }
    qsort(t, (size_t)n, sizeof(*t), cmp_u64);
    snprintf(metric, sizeof metric, "%s.us_median", argv[1]);
    bench_print("trace", "startup", metric, (double)t[n / 2] / 1e3, "us");
    snprintf(metric, sizeof metric, "%s.us_min", argv[1]);
    bench_print("trace", "startup", metric, (double)t[0] / 1e3, "us");
    return 0;
}
