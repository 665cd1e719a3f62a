/*
 * recordstart_libloop.c — what recording costs the first iterations of a
 * loop (issue 13, item 14): a loop with a 2 ms timer, the timer's lateness
 * (when its callback ran minus its due time) in the first iteration, without
 * and with LOOP_RECORD (the recorder's first flush, after 1 ms of loop time,
 * used to set up the zstd stream inside that iteration). 30 loops one after
 * another in one process (loop k records FILE.k); reports the first loop's
 * lateness (the cold one) and the worst and median of all.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "loop.h"

#define LOOPS 30

static uint64_t fired_ns;

static void on_timer(loop_timer_t *t)
{
    (void)t;
    fired_ns = bench_now_ns();
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void run(const char *variant, const char *record)
{
    uint64_t late[LOOPS], sorted[LOOPS];

    if (record != NULL) {
        setenv("LOOP_RECORD", record, 1);
    } else {
        unsetenv("LOOP_RECORD");
    }
    for (int i = 0; i < LOOPS; i++) {
        loop_t *loop = loop_new();
        loop_timer_t t;
        uint64_t due;
        BENCH_CHECK(loop != NULL);
        BENCH_CHECK(loop_timer_init(loop, &t) == 0);
        fired_ns = 0;
        due = bench_now_ns() + 2000000;
        BENCH_CHECK(loop_timer_start(&t, on_timer, 2, 0) == 0);
        BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
        BENCH_CHECK(fired_ns != 0);
        late[i] = fired_ns > due ? fired_ns - due : 0;
        BENCH_CHECK(loop_handle_close(&t.handle, NULL) == 0);
        BENCH_CHECK(loop_run(loop, LOOP_RUN_DEFAULT) == 0);
        BENCH_CHECK(loop_close(loop) == 0);
    }
    memcpy(sorted, late, sizeof(late));
    qsort(sorted, LOOPS, sizeof(sorted[0]), cmp_u64);
    char m[64];
    snprintf(m, sizeof(m), "%s_first_loop", variant);
    bench_print("record_first_iteration", "libloop", m, (double)late[0] / 1e3, "us");
    snprintf(m, sizeof(m), "%s_worst", variant);
    bench_print("record_first_iteration", "libloop", m, (double)sorted[LOOPS - 1] / 1e3, "us");
    snprintf(m, sizeof(m), "%s_median", variant);
    bench_print("record_first_iteration", "libloop", m, (double)sorted[LOOPS / 2] / 1e3, "us");
}

int main(void)
{
    char path[] = "/tmp/libloop-recordstart-XXXXXX";
    char file[64];
    int fd = mkstemp(path);

    BENCH_CHECK(fd >= 0);
    close(fd);
    snprintf(file, sizeof(file), "%s", path);
    run("plain", NULL);
    run("recorded", file);
    unlink(path);
    for (int k = 2; k <= 2 * LOOPS + 1; k++) { /* loop k of the process records FILE.k */
        char f[80];
        snprintf(f, sizeof(f), "%s.%d", path, k);
        unlink(f);
    }
    return 0;
}
