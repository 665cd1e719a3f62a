/*
 * bench.h — what every benchmark program shares: clocks, CPU time, peak RSS,
 * the deterministic PRNG that makes all sides see the same timer order, the
 * BENCH_SCALE knob, and the one output format:
 *
 *     <scenario>.<library>.<metric> <value> <unit>
 *     # <free-form note, e.g. why a figure is n/a>
 *
 * Header-only, libc only: the peer programs build without libloop.
 * bench/run parses these lines; keep the format stable.
 */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Abort with a message when a setup call fails: a benchmark has no error path. */
#define BENCH_CHECK(expr)                                                                \
    do {                                                                                 \
        if (!(expr)) {                                                                   \
            fprintf(stderr, "bench: %s:%d: check failed: %s (errno=%s)\n", __FILE__,     \
                    __LINE__, #expr, strerror(errno));                                   \
            exit(2);                                                                     \
        }                                                                                \
    } while (0)

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* User + system CPU time of the whole process (all threads), in ns. */
static inline uint64_t bench_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/*
 * Peak resident set size of this program so far, in MiB: VmHWM from
 * /proc/self/status. Not getrusage()'s ru_maxrss: Linux carries that across
 * exec(), so it would report the runner's own size when that is larger.
 */
static inline double bench_peak_rss_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = -1;

    BENCH_CHECK(f != NULL);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtod(line + 6, NULL);
            break;
        }
    }
    fclose(f);
    BENCH_CHECK(kib >= 0);
    return kib / 1024.0;
}

/*
 * The iteration count for a scenario: base times BENCH_SCALE (default 1; e.g.
 * 0.01 for a smoke run), at least 1.
 */
static inline long bench_count(long base)
{
    const char *s = getenv("BENCH_SCALE");
    double scale = s ? strtod(s, NULL) : 1.0;
    long n;

    if (!(scale > 0)) {
        scale = 1.0;
    }
    n = (long)((double)base * scale);
    return n > 0 ? n : 1;
}

/* A positive integer from the environment, or def. */
static inline long bench_env_long(const char *name, long def)
{
    const char *s = getenv(name);
    long v = s ? strtol(s, NULL, 10) : 0;
    return v > 0 ? v : def;
}

/* splitmix64: every side draws the same sequence from the same seed. */
#define BENCH_SEED 0x5eed1e55c0ffee00ull
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The million-timers timeout of draw i: 1..1000 ms, scattered. */
static inline uint64_t bench_timer_ms(uint64_t *state)
{
    return 1 + bench_rand(state) % 1000;
}

static inline void bench_print(const char *scenario, const char *lib, const char *metric,
                               double value, const char *unit)
{
    printf("%s.%s.%s %.1f %s\n", scenario, lib, metric, value, unit);
    fflush(stdout);
}

/* A figure that cannot be measured on this library, with the reason. */
static inline void bench_print_na(const char *scenario, const char *lib, const char *metric,
                                  const char *unit, const char *reason)
{
    printf("%s.%s.%s n/a %s\n# n/a %s.%s: %s\n", scenario, lib, metric, unit, scenario, lib,
           reason);
    fflush(stdout);
}

/* A pipe whose read end never becomes readable: the idle fd every call-soon side watches. */
static inline void bench_idle_pipe(int fds[2])
{
    BENCH_CHECK(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
}

#endif /* BENCH_H */
