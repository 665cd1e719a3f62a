/*
 * test_schedule.c — the schedule file (libloop/schedule.c,
 * docs/schedule-format.md): random records round-trip through the writer and
 * the reader; a file cut at any byte reads as a prefix of its records and
 * then a clean end or -EPIPE, never garbage, and keeps everything flushed
 * before the cut; a corrupt file is never read as a clean, different
 * schedule; a newer version and a foreign file are refused with one line;
 * ENOSPC while recording stops the recording with one error and leaves a
 * file readable up to its last flush; the fuzz corpus parses without harm.
 * Task I/O records (format 2): their documented bytes, the common cases in
 * one or two bytes, non-canonical ones refused; and a task's reads replay
 * as recorded when the data comes otherwise (all at once, or late), while a
 * peer that sends less and closes is a divergence at the read's step.
 */
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <zstd.h>

#include "helpers.h"
#include "loop_debug.h"
#include "record/schedule.h"
#include "core/sys.h"

#define T_TIMEOUT 60

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A temporary path, removed by the caller. */
static char *tmp_path(const char *tag)
{
    char *p;
    cr_assert_geq(asprintf(&p, "%s/loop-sched-%s-%d-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                              : "/tmp",
                           tag, (int)getpid()),
                  0);
    int fd = mkstemp(p);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    close(fd);
    return p;
}

static struct loop__sched_hdr test_hdr(void)
{
    static char args[] = "--port\0" "8080";
    struct loop__sched_hdr h = {
        .version = LOOP__SCHED_VERSION,
        .mode = LOOP__SCHED_MODE_CHAOS,
        .chaos_seed = 42,
        .random_seed = 0xfeedface12345678ull,
        .loop_id = 1,
        .program = "/usr/bin/echo_server",
        .args = args,
        .args_len = sizeof(args) - 1,
    };
    return h;
}

/* n random records as a program makes them; the last is END when with_end. */
static struct loop__rec *random_records(size_t n, bool with_end)
{
    struct loop__rec *v = calloc(n, sizeof(*v));
    uint64_t clock = 1000000000ull + rnd() % 1000000000000ull;

    cr_assert_not_null(v);
    for (size_t i = 0; i < n; i++) {
        struct loop__rec *r = &v[i];
        uint64_t pick = rnd() % 16;
        if (with_end && i == n - 1) {
            r->type = LOOP__REC_END;
        } else if (pick < 2) {
            r->type = pick == 0 ? LOOP__REC_ITER : LOOP__REC_CLOCK;
            /* mostly forward, small steps; now and then a jump either way */
            if (rnd() % 50 == 0) {
                clock = rnd();
            } else {
                clock += rnd() % 2000000;
            }
            r->clock_ns = clock;
        } else if (pick < 5) {
            /* a task I/O attempt: mostly by the task whose step ran last */
            static const int64_t results[] = {-EAGAIN, 0, 1, 8, 16384, -EPIPE, -ECONNRESET,
                                              -4095, 1ll << 40};
            r->type = LOOP__REC_IO;
            r->op = (int)(rnd() % 4);
            r->id = rnd() % 4 == 0 ? rnd() % 100 : (i > 0 ? v[i - 1].id : 0);
            r->result = results[rnd() % (sizeof(results) / sizeof(results[0]))];
        } else if (pick < 10 && i >= 2 && v[i - 1].type == LOOP__REC_DISPATCH &&
                   v[i - 2].type == LOOP__REC_DISPATCH) {
            /* the next of a series: what the writer codes as a REPEAT */
            *r = v[i - 1];
            r->id = v[i - 1].id + (v[i - 1].id - v[i - 2].id);
            if (rnd() % 8 == 0) {
                r->id++; /* almost: breaks the run */
            }
        } else {
            r->type = LOOP__REC_DISPATCH;
            r->kind = 1 + (int)(rnd() % 8);
            r->id = rnd() % 20 == 0 ? rnd() : 1 + rnd() % 64;
            r->revents = r->kind == LOOP_KIND_IO ? (int)(rnd() % 16) : 0;
            if (i >= 1 && v[i - 1].type == LOOP__REC_DISPATCH && rnd() % 3 == 0) {
                *r = v[i - 1]; /* the same item again */
            }
        }
    }
    return v;
}

static void assert_rec_eq(const struct loop__rec *got, const struct loop__rec *want, size_t i)
{
    cr_assert_eq(got->type, want->type, "record %zu: type %d, want %d", i + 1, got->type,
                 want->type);
    switch (want->type) {
    case LOOP__REC_ITER:
    case LOOP__REC_CLOCK:
        cr_assert_eq(got->clock_ns, want->clock_ns, "record %zu: clock %llu, want %llu", i + 1,
                     (unsigned long long)got->clock_ns, (unsigned long long)want->clock_ns);
        break;
    case LOOP__REC_DISPATCH:
        cr_assert_eq(got->id, want->id, "record %zu: id", i + 1);
        cr_assert_eq(got->kind, want->kind, "record %zu: kind", i + 1);
        cr_assert_eq(got->revents, want->revents, "record %zu: revents", i + 1);
        break;
    case LOOP__REC_IO:
        cr_assert_eq(got->id, want->id, "record %zu: task %llu, want %llu", i + 1,
                     (unsigned long long)got->id, (unsigned long long)want->id);
        cr_assert_eq(got->op, want->op, "record %zu: op", i + 1);
        cr_assert_eq(got->result, want->result, "record %zu: result %lld, want %lld", i + 1,
                     (long long)got->result, (long long)want->result);
        break;
    default:
        break;
    }
}

/*
 * Write v[0..n) to path, flushing every flush_every records (0: never);
 * sizes[k] gets the file size after the k-th flush and at_flush[k] the
 * records written by then. Returns the number of flushes.
 */
static size_t write_file(const char *path, const struct loop__rec *v, size_t n,
                         size_t flush_every, bool close_it, off_t *sizes, size_t *at_flush,
                         struct loop__sched_writer **keep_open)
{
    struct loop__sched_hdr h = test_hdr();
    struct loop__sched_writer *w;
    size_t flushes = 0;
    struct stat st;

    cr_assert_eq(loop__schedw_open(&w, path, &h, 3), 0);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(loop__schedw_put(w, &v[i]), 0);
        if (flush_every && (i + 1) % flush_every == 0) {
            cr_assert_eq(loop__schedw_flush(w), 0);
            cr_assert_eq(stat(path, &st), 0);
            if (sizes != NULL) {
                sizes[flushes] = st.st_size;
                at_flush[flushes] = i + 1;
            }
            flushes++;
        }
    }
    cr_assert_eq(loop__schedw_count(w), n);
    if (close_it) {
        cr_assert_eq(loop__schedw_close(w), 0);
    } else {
        *keep_open = w;
    }
    return flushes;
}

/* Read path; the records must be a prefix of v. Returns the reader's last rc. */
static int read_prefix(const char *path, const struct loop__rec *v, size_t n, size_t *count,
                       char *err, size_t errlen)
{
    struct loop__sched_reader *r;
    struct loop__sched_hdr h;
    struct loop__rec rec;
    int rc = loop__schedr_open(&r, path, &h, err, errlen);

    *count = 0;
    if (rc < 0) {
        return rc;
    }
    while ((rc = loop__schedr_next(r, &rec, err, errlen)) == 1) {
        cr_assert_lt(*count, n, "more records than were written");
        assert_rec_eq(&rec, &v[*count], *count);
        (*count)++;
    }
    cr_assert_eq(loop__schedr_count(r), *count);
    loop__schedr_close(r);
    return rc;
}

static off_t file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    return st.st_size;
}

static off_t header_size(const char *path)
{
    uint8_t fixed[16];
    int fd = open(path, O_RDONLY);
    cr_assert_eq(read(fd, fixed, 16), 16);
    close(fd);
    return 16 + (off_t)(fixed[12] | fixed[13] << 8 | fixed[14] << 16 | (uint32_t)fixed[15] << 24);
}

static void copy_prefix(const char *from, const char *to, off_t len)
{
    char *buf = malloc((size_t)len + 1);
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    cr_assert(buf != NULL && in >= 0 && out >= 0);
    cr_assert_eq(read(in, buf, (size_t)len), len);
    cr_assert_eq(write(out, buf, (size_t)len), len);
    close(in);
    close(out);
    free(buf);
}

Test(schedule, random_records_round_trip, .timeout = T_TIMEOUT)
{
    static const size_t sizes[] = {0, 1, 2, 17, 1000, 200000};

    for (uint64_t seed = 1; seed <= 6; seed++) {
        size_t n = sizes[seed - 1];
        rng_state = seed;
        struct loop__rec *v = random_records(n, seed % 2 == 0);
        char *path = tmp_path("rt");
        char err[256];
        size_t count;

        write_file(path, v, n, seed * 7, true, NULL, NULL, NULL);
        int rc = read_prefix(path, v, n, &count, err, sizeof(err));
        cr_assert_eq(rc, 0, "seed %llu: %s", (unsigned long long)seed, err);
        cr_assert_eq(count, n, "seed %llu: read %zu of %zu records", (unsigned long long)seed,
                     count, n);
        unlink(path);
        free(path);
        free(v);
    }
}

Test(schedule, header_round_trip, .timeout = T_TIMEOUT)
{
    struct loop__sched_hdr want = test_hdr(), got;
    struct loop__sched_reader *r;
    char *path = tmp_path("hdr");
    char err[256];

    write_file(path, NULL, 0, 0, true, NULL, NULL, NULL);
    cr_assert_eq(loop__schedr_open(&r, path, &got, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(got.version, LOOP__SCHED_VERSION);
    cr_assert_eq(got.mode, want.mode);
    cr_assert_eq(got.chaos_seed, want.chaos_seed);
    cr_assert_eq(got.random_seed, want.random_seed);
    cr_assert_eq(got.loop_id, want.loop_id);
    cr_assert_str_eq(got.program, want.program);
    cr_assert_eq(got.args_len, want.args_len);
    cr_assert_eq(memcmp(got.args, want.args, want.args_len), 0);
    loop__schedr_close(r);
    unlink(path);
    free(path);
}

Test(schedule, truncation_at_every_offset_yields_a_prefix, .timeout = T_TIMEOUT)
{
    enum { N = 120, EVERY = 10 };
    off_t flush_size[N / EVERY + 1];
    size_t flush_recs[N / EVERY + 1];
    char *path = tmp_path("full"), *cut = tmp_path("cut");
    char err[256];

    rng_state = 99;
    struct loop__rec *v = random_records(N, true);
    size_t flushes = write_file(path, v, N, EVERY, true, flush_size, flush_recs, NULL);
    off_t size = file_size(path);
    off_t header_end = header_size(path);

    for (off_t len = 0; len <= size; len++) {
        size_t count;
        copy_prefix(path, cut, len);
        int rc = read_prefix(cut, v, N, &count, err, sizeof(err));
        if (len < header_end) {
            cr_assert_eq(rc, -EBADMSG, "cut at %lld, inside the header: rc %d", (long long)len,
                         rc);
            cr_assert(strchr(err, '\n') == NULL);
            continue;
        }
        if (len == size) {
            cr_assert_eq(rc, 0, "the whole file: %s", err);
            cr_assert_eq(count, N);
            continue;
        }
        cr_assert_eq(rc, -EPIPE, "cut at %lld of %lld: rc %d (%s) after %zu records",
                     (long long)len, (long long)size, rc, err, count);
        /* everything flushed before the cut is there */
        for (size_t k = 0; k < flushes; k++) {
            if (flush_size[k] <= len) {
                cr_assert_geq(count, flush_recs[k],
                              "cut at %lld after flush %zu (%lld bytes): %zu records, want %zu",
                              (long long)len, k + 1, (long long)flush_size[k], count,
                              flush_recs[k]);
            }
        }
    }
    unlink(path);
    unlink(cut);
    free(path);
    free(cut);
    free(v);
}

Test(schedule, a_killed_recorder_leaves_a_readable_prefix, .timeout = T_TIMEOUT)
{
    /* the writer is never closed: the file holds what was flushed */
    struct loop__sched_writer *w;
    char *path = tmp_path("kill");
    char err[256];
    size_t count;

    rng_state = 5;
    struct loop__rec *v = random_records(500, false);
    write_file(path, v, 500, 100, false, NULL, NULL, &w);
    int rc = read_prefix(path, v, 500, &count, err, sizeof(err));
    cr_assert_eq(rc, -EPIPE, "rc %d: %s", rc, err);
    cr_assert_eq(count, 500, "read %zu records", count);
    cr_assert(strstr(err, "truncated") != NULL, "message: %s", err);
    cr_assert_eq(loop__schedw_close(w), 0);
    unlink(path);
    free(path);
    free(v);
}

Test(schedule, corruption_is_never_read_as_a_clean_different_schedule, .timeout = T_TIMEOUT)
{
    enum { N = 300 };
    char *path = tmp_path("good"), *bad = tmp_path("bad");
    char err[256];

    rng_state = 7;
    struct loop__rec *v = random_records(N, true);
    write_file(path, v, N, 50, true, NULL, NULL, NULL);
    off_t size = file_size(path);
    int fd = open(path, O_RDONLY);
    uint8_t *orig = malloc((size_t)size), *buf = malloc((size_t)size);
    cr_assert_eq(read(fd, orig, (size_t)size), size);
    close(fd);
    uint32_t hl = orig[12] | orig[13] << 8 | orig[14] << 16 | (uint32_t)orig[15] << 24;

    int detected = 0;
    for (off_t at = 16 + hl; at < size; at++) {
        for (int bit = 0; bit < 8; bit += 3) {
            struct loop__sched_reader *r;
            struct loop__sched_hdr h;
            struct loop__rec rec;
            size_t count = 0;
            bool same = true;
            int rc;

            memcpy(buf, orig, (size_t)size);
            buf[at] ^= (uint8_t)(1 << bit);
            fd = open(bad, O_WRONLY | O_TRUNC);
            cr_assert_eq(write(fd, buf, (size_t)size), size);
            close(fd);
            cr_assert_eq(loop__schedr_open(&r, bad, &h, err, sizeof(err)), 0);
            while ((rc = loop__schedr_next(r, &rec, err, sizeof(err))) == 1) {
                if (count >= N || rec.type != v[count].type || rec.id != v[count].id ||
                    rec.clock_ns != v[count].clock_ns || rec.kind != v[count].kind ||
                    rec.revents != v[count].revents || rec.op != v[count].op ||
                    rec.result != v[count].result) {
                    same = false;
                }
                count++;
            }
            loop__schedr_close(r);
            cr_assert(rc < 0 || (same && count == N),
                      "byte %lld bit %d flipped: read as a clean schedule of %zu records%s",
                      (long long)at, bit, count, same ? "" : " that differ");
            detected += rc < 0;
        }
    }
    cr_assert_gt(detected, 0);
    unlink(path);
    unlink(bad);
    free(path);
    free(bad);
    free(orig);
    free(buf);
    free(v);
}

static void patch_byte(const char *path, off_t at, uint8_t val)
{
    int fd = open(path, O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, &val, 1, at), 1);
    close(fd);
}

Test(schedule, newer_version_is_refused_with_one_line, .timeout = T_TIMEOUT)
{
    struct loop__sched_reader *r;
    struct loop__sched_hdr h;
    char *path = tmp_path("ver");
    char err[256];

    write_file(path, NULL, 0, 0, true, NULL, NULL, NULL);
    patch_byte(path, 8, LOOP__SCHED_VERSION + 1);
    cr_assert_eq(loop__schedr_open(&r, path, &h, err, sizeof(err)), -EPROTO);
    cr_assert_null(r);
    cr_assert(strstr(err, "version 3, this build reads version 2") != NULL &&
                  strchr(err, '\n') == NULL,
              "message: %s", err);
    unlink(path);
    free(path);
}

Test(schedule, foreign_and_missing_files_are_refused, .timeout = T_TIMEOUT)
{
    struct loop__sched_reader *r;
    struct loop__sched_hdr h;
    char *path = tmp_path("foreign");
    char err[256];
    int fd = open(path, O_WRONLY | O_TRUNC);

    cr_assert_eq(write(fd, "#!/bin/sh\necho hello\n", 21), 21);
    close(fd);
    cr_assert_eq(loop__schedr_open(&r, path, &h, err, sizeof(err)), -EBADMSG);
    cr_assert(strstr(err, "not a libloop schedule") != NULL, "message: %s", err);
    /* empty */
    fd = open(path, O_WRONLY | O_TRUNC);
    close(fd);
    cr_assert_eq(loop__schedr_open(&r, path, &h, err, sizeof(err)), -EBADMSG);
    /* a header length beyond the limit */
    write_file(path, NULL, 0, 0, true, NULL, NULL, NULL);
    patch_byte(path, 15, 0x7f);
    cr_assert_eq(loop__schedr_open(&r, path, &h, err, sizeof(err)), -EBADMSG);
    unlink(path);
    cr_assert_eq(loop__schedr_open(&r, path, &h, err, sizeof(err)), -ENOENT);
    cr_assert(strstr(err, path) != NULL, "message: %s", err);
    free(path);
}

Test(schedule, parse_buffer_reports_what_the_reader_does, .timeout = T_TIMEOUT)
{
    char *path = tmp_path("buf");
    uint64_t records;

    rng_state = 11;
    struct loop__rec *v = random_records(64, true);
    write_file(path, v, 64, 16, true, NULL, NULL, NULL);
    off_t size = file_size(path);
    uint8_t *buf = malloc((size_t)size);
    int fd = open(path, O_RDONLY);
    cr_assert_eq(read(fd, buf, (size_t)size), size);
    close(fd);
    cr_assert_eq(loop__sched_parse_buffer(buf, (size_t)size, &records), 0);
    cr_assert_eq(records, 64);
    cr_assert_eq(loop__sched_parse_buffer(buf, (size_t)size - 3, &records), -EPIPE);
    cr_assert_leq(records, 64);
    cr_assert_eq(loop__sched_parse_buffer(buf, 5, &records), -EBADMSG);
    cr_assert_eq(records, 0);
    unlink(path);
    free(path);
    free(buf);
    free(v);
}

/* Recording a real loop: ENOSPC stops it with one error. */

static int errors_seen, enospc_seen;

static void on_error(const loop_error_ctx_t *ctx, void *ud)
{
    (void)ud;
    errors_seen++;
    if (ctx->err == -ENOSPC && strstr(ctx->message, "Recording stopped") != NULL) {
        enospc_seen++;
    }
}

static int ticks;

static void on_tick(loop_timer_t *t)
{
    if (++ticks == 40) {
        cr_assert_eq(loop_handle_close(LOOP_HANDLE(t), NULL), 0);
    }
}

Test(schedule, enospc_while_recording_stops_it_with_one_error, .timeout = T_TIMEOUT)
{
    char *path = tmp_path("enospc");
    loop_timer_t t;

    setenv("LOOP_RECORD", path, 1);
    setenv("LOOP_RECORD_FLUSH_MS", "0", 1); /* a flush (a write) every iteration */
    loop_t *loop = new_loop();
    cr_assert_eq(loop_set_error_handler(loop, on_error, NULL), 0);
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, on_tick, 1, 1), 0);
    /* the 6th write from now (a few flushes in) and every one after fail */
    cr_assert_eq(loop__fault_set_n("write", 6, LOOP__FAULT_FOREVER, ENOSPC), 0);
    finish_loop(loop);
    loop__fault_clear(NULL);
    cr_assert_eq(ticks, 40, "the program runs on after recording stopped");
    cr_assert_eq(enospc_seen, 1, "%d ENOSPC reports (%d errors)", enospc_seen, errors_seen);
    cr_assert_eq(errors_seen, 1);

    /* readable up to the last flush: a prefix of a run, then a cut */
    struct loop__sched_reader *r;
    struct loop__sched_hdr h;
    struct loop__rec rec;
    char err[256];
    int rc, iters = 0, n = 0;
    cr_assert_eq(loop__schedr_open(&r, path, &h, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(h.mode, LOOP__SCHED_MODE_FIFO);
    while ((rc = loop__schedr_next(r, &rec, err, sizeof(err))) == 1) {
        cr_assert(rec.type >= LOOP__REC_ITER && rec.type <= LOOP__REC_DISPATCH,
                  "record %d: type %d", n + 1, rec.type);
        if (n == 0) {
            cr_assert_eq(rec.type, LOOP__REC_CLOCK, "loop_new's clock read comes first");
        }
        iters += rec.type == LOOP__REC_ITER;
        n++;
    }
    cr_assert_eq(rc, -EPIPE, "rc %d: %s", rc, err);
    cr_assert_gt(iters, 0, "flushed iterations are readable (%d records)", n);
    loop__schedr_close(r);
    unlink(path);
    free(path);
}

/*
 * The recorder sets its compression stream up when it opens the file (at
 * loop_new), not at its first flush inside the loop's first iterations,
 * where zstd's set-up (allocating and clearing about a megabyte of window
 * and tables: hundreds of microseconds) changed the timing of the run being
 * recorded (issue 13, item 14). So an iteration that flushes allocates
 * almost nothing. (Under ASan mallinfo2 says nothing and this cannot fail.)
 */
static void on_zero_timer(loop_timer_t *t)
{
    (void)t;
}

Test(schedule, the_compression_stream_is_set_up_before_the_first_iteration, .timeout = T_TIMEOUT)
{
    char *path = tmp_path("setup");
    loop_timer_t t;
    struct mallinfo2 before, after;

    setenv("LOOP_RECORD", path, 1);
    setenv("LOOP_RECORD_FLUSH_MS", "0", 1); /* a flush every iteration */
    loop_t *loop = new_loop();
    unsetenv("LOOP_RECORD");
    unsetenv("LOOP_RECORD_FLUSH_MS");
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, on_zero_timer, 0, 0), 0);
    before = mallinfo2();
    cr_assert_geq(loop_run(loop, LOOP_RUN_ONCE), 0);
    after = mallinfo2();
    size_t grew = (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd);
    cr_assert_lt(grew, 256 * 1024, "the first iteration allocated %zu bytes: the stream was set up in it",
                 grew);
    loop_handle_close(LOOP_HANDLE(&t), NULL);
    finish_loop(loop);
    unlink(path);
    free(path);
}

Test(schedule, recording_while_replaying_yields_the_same_records, .timeout = T_TIMEOUT)
{
    char *a = tmp_path("rec"), *b = tmp_path("rerec");
    char err[256];

    for (int pass = 0; pass < 2; pass++) {
        loop_timer_t t;
        ticks = 30;
        if (pass == 0) {
            setenv("LOOP_RECORD", a, 1);
        } else {
            setenv("LOOP_REPLAY", a, 1);
            setenv("LOOP_RECORD", b, 1);
        }
        loop_t *loop = new_loop();
        cr_assert_eq(loop_timer_init(loop, &t), 0);
        cr_assert_eq(loop_timer_start(&t, on_tick, 1, 1), 0);
        finish_loop(loop);
    }
    unsetenv("LOOP_REPLAY");
    unsetenv("LOOP_RECORD");

    struct loop__sched_reader *ra, *rb;
    struct loop__sched_hdr ha, hb;
    struct loop__rec x, y;
    int ca, cb, n = 0;
    cr_assert_eq(loop__schedr_open(&ra, a, &ha, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(loop__schedr_open(&rb, b, &hb, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(hb.mode, LOOP__SCHED_MODE_REPLAY);
    cr_assert_eq(ha.random_seed, hb.random_seed);
    do {
        ca = loop__schedr_next(ra, &x, err, sizeof(err));
        cb = loop__schedr_next(rb, &y, err, sizeof(err));
        cr_assert_eq(ca, cb, "record %d: %d vs %d", n + 1, ca, cb);
        if (ca == 1) {
            assert_rec_eq(&y, &x, (size_t)n);
            n++;
        }
    } while (ca == 1);
    cr_assert_eq(ca, 0);
    cr_assert_eq(x.type, LOOP__REC_END);
    cr_assert_gt(n, 20);
    loop__schedr_close(ra);
    loop__schedr_close(rb);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

/*
 * Parse records given as raw bytes (the fuzz target's wrapping: a valid
 * header, one checksummed zstd frame); the records go to out[], at most max.
 */
static int parse_raw(const uint8_t *raw, size_t n, struct loop__rec *out, size_t max,
                     size_t *count)
{
    char *path = tmp_path("raw");
    struct loop__sched_hdr h = test_hdr();
    struct loop__sched_writer *w;
    struct loop__sched_reader *r;
    char err[256];
    int rc;

    /* a writer gives the header; the records are then replaced by raw's */
    cr_assert_eq(loop__schedw_open(&w, path, &h, 1), 0);
    cr_assert_eq(loop__schedw_close(w), 0);
    off_t hsize = header_size(path);
    size_t cap = ZSTD_compressBound(n);
    uint8_t *z = malloc(cap);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    size_t zn = ZSTD_compress2(cctx, z, cap, raw, n);
    cr_assert(!ZSTD_isError(zn));
    cr_assert_eq(truncate(path, hsize), 0);
    int fd = open(path, O_WRONLY | O_APPEND);
    cr_assert_eq(write(fd, z, zn), (ssize_t)zn);
    close(fd);
    ZSTD_freeCCtx(cctx);
    free(z);

    cr_assert_eq(loop__schedr_open(&r, path, &h, err, sizeof(err)), 0, "%s", err);
    *count = 0;
    while ((rc = loop__schedr_next(r, &out[*count < max ? *count : max - 1], err,
                                   sizeof(err))) == 1) {
        (*count)++;
    }
    loop__schedr_close(r);
    unlink(path);
    free(path);
    return rc;
}

/* Raw size of one record as the writer codes it (bytes it adds to the stream). */
static size_t coded_size(const struct loop__rec *prev, const struct loop__rec *rec)
{
    char *path = tmp_path("size");
    struct loop__sched_hdr h = test_hdr();
    struct loop__sched_writer *w;
    struct stat st0, st1;

    /* level 1, no compression gain on tiny inputs: compare two frames' raw block sizes */
    cr_assert_eq(loop__schedw_open(&w, path, &h, 1), 0);
    cr_assert_eq(loop__schedw_put(w, prev), 0);
    cr_assert_eq(loop__schedw_flush(w), 0);
    cr_assert_eq(stat(path, &st0), 0);
    cr_assert_eq(loop__schedw_put(w, rec), 0);
    cr_assert_eq(loop__schedw_flush(w), 0);
    cr_assert_eq(stat(path, &st1), 0);
    cr_assert_eq(loop__schedw_close(w), 0);
    unlink(path);
    free(path);
    return (size_t)(st1.st_size - st0.st_size) - 3; /* a flushed zstd block has a 3-byte header */
}

Test(schedule, io_records_code_the_common_cases_in_one_or_two_bytes, .timeout = T_TIMEOUT)
{
    struct loop__rec step = {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_TASK, .id = 4};
    struct {
        struct loop__rec rec;
        size_t bytes;
    } cases[] = {
        {{.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_READ, .result = -EAGAIN}, 1},
        {{.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_ACCEPT, .result = 0}, 1},
        {{.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_READ, .result = 8}, 2},
        {{.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_WRITE, .result = -EPIPE}, 2},
        {{.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_READ, .result = 16383}, 3},
        {{.type = LOOP__REC_IO, .id = 9, .op = LOOP__IO_CONNECT, .result = -EINPROGRESS}, 3},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t got = coded_size(&step, &cases[i].rec);
        cr_assert_eq(got, cases[i].bytes, "case %zu (op %d result %lld): %zu bytes, want %zu", i,
                     cases[i].rec.op, (long long)cases[i].rec.result, got, cases[i].bytes);
    }
}

Test(schedule, io_records_decode_from_their_documented_bytes, .timeout = T_TIMEOUT)
{
    /* docs/schedule-format.md's coding, byte by byte */
    static const uint8_t raw[] = {
        0x3b, 0x08,       /* dispatch task id=4 */
        0x05,             /* io read, task 4: EAGAIN */
        0x25, 0x08,       /* io read, task 4: 8 bytes */
        0x4d, 0x20,       /* io write, task 4: -EPIPE (32) */
        0x75,             /* io accept, task 4: a connection */
        0xdd, 0x04, 0x73, /* io connect, task 4+2: -EINPROGRESS (115) */
        0x3b, 0x02,       /* dispatch task id=5: the IO records left the previous id at 4 */
        0x04,
    };
    struct loop__rec v[8];
    size_t n;

    cr_assert_eq(parse_raw(raw, sizeof(raw), v, 8, &n), 0);
    cr_assert_eq(n, 8); /* and END */
    cr_assert_eq(v[7].type, LOOP__REC_END);
    struct loop__rec want[] = {
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_TASK, .id = 4},
        {.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_READ, .result = -EAGAIN},
        {.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_READ, .result = 8},
        {.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_WRITE, .result = -EPIPE},
        {.type = LOOP__REC_IO, .id = 4, .op = LOOP__IO_ACCEPT, .result = 0},
        {.type = LOOP__REC_IO, .id = 6, .op = LOOP__IO_CONNECT, .result = -EINPROGRESS},
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_TASK, .id = 5},
    };
    for (size_t i = 0; i < 7; i++) {
        assert_rec_eq(&v[i], &want[i], i);
    }
}

Test(schedule, repeated_dispatches_code_as_one_repeat_record, .timeout = T_TIMEOUT)
{
    /* docs/schedule-format.md's REPEAT, byte by byte */
    static const uint8_t raw[] = {
        0x23, 0x0a, /* dispatch defer id=5 */
        0x06, 0x03, /* repeat: 3 more, id step 5 (ids 10, 15, 20) */
        0x05,       /* io read by 20: EAGAIN (the implicit task is the last repeat's id) */
        0x23, 0x00, /* dispatch defer id=20 */
        0x06, 0x01, /* repeat: 1 more, id step 0 */
        0x04,
    };
    struct loop__rec v[10];
    size_t n;

    cr_assert_eq(parse_raw(raw, sizeof(raw), v, 10, &n), 0);
    cr_assert_eq(n, 8); /* and END */
    struct loop__rec want[] = {
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_DEFER, .id = 5},
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_DEFER, .id = 10},
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_DEFER, .id = 15},
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_DEFER, .id = 20},
        {.type = LOOP__REC_IO, .id = 20, .op = LOOP__IO_READ, .result = -EAGAIN},
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_DEFER, .id = 20},
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_DEFER, .id = 20},
        {.type = LOOP__REC_END},
    };
    for (size_t i = 0; i < 8; i++) {
        assert_rec_eq(&v[i], &want[i], i);
    }

    /* the writer makes the same bytes: 1,000 dispatches of one item are 4 bytes */
    struct loop__rec first = {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_DEFER, .id = 7};
    char *path = tmp_path("repeat");
    struct loop__sched_hdr h = test_hdr();
    struct loop__sched_writer *w;
    struct stat st0, st1;
    cr_assert_eq(loop__schedw_open(&w, path, &h, 1), 0);
    cr_assert_eq(loop__schedw_put(w, &first), 0);
    cr_assert_eq(loop__schedw_flush(w), 0); /* the frame has begun: sizes compare raw blocks */
    cr_assert_eq(stat(path, &st0), 0);
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(loop__schedw_put(w, &first), 0);
    }
    cr_assert_eq(loop__schedw_count(w), 1001);
    cr_assert_eq(loop__schedw_flush(w), 0); /* writes the pending repeat */
    cr_assert_eq(stat(path, &st1), 0);
    /* a flush ends a run: dispatch 0x23 0x00 (the same id), repeat 0x06 0xe7 0x07 (999) */
    cr_assert_eq(st1.st_size - st0.st_size - 3, 5, "1000 dispatches took %lld bytes",
                 (long long)(st1.st_size - st0.st_size - 3));
    cr_assert_eq(loop__schedw_close(w), 0);
    size_t count;
    char err[256];
    struct loop__rec *all = calloc(1001, sizeof(*all));
    for (int i = 0; i < 1001; i++) {
        all[i] = first;
    }
    err[0] = '\0';
    cr_assert_eq(read_prefix(path, all, 1001, &count, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(count, 1001);
    free(all);
    unlink(path);
    free(path);
}

Test(schedule, a_run_longer_than_the_repeat_limit_is_split, .timeout = T_TIMEOUT)
{
    const size_t n = 2 * LOOP__SCHED_REPEAT_MAX + 10;
    struct loop__rec *v = calloc(n, sizeof(*v));
    char *path = tmp_path("longrun");
    char err[256] = "";
    size_t count;

    cr_assert_not_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i] = (struct loop__rec){.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_TIMER,
                                  .id = 100 + 3 * i};
    }
    write_file(path, v, n, 0, true, NULL, NULL, NULL);
    cr_assert_eq(read_prefix(path, v, n, &count, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(count, n);
    unlink(path);
    free(path);
    free(v);
}

Test(schedule, non_canonical_repeat_records_are_corrupt, .timeout = T_TIMEOUT)
{
    static const uint8_t bad[][6] = {
        {0x06, 0x02},                   /* a repeat first: nothing to repeat */
        {0x11, 0x02, 0x06, 0x02},       /* a repeat after an iteration */
        {0x23, 0x02, 0x06, 0x00},       /* a repeat of nothing more */
        {0x23, 0x02, 0x06, 0x01, 0x06, 0x01}, /* two in a row: one would do */
        {0x23, 0x02, 0x0e, 0x01},       /* bits above the type */
        {0x23, 0x02, 0x06, 0x81, 0x80, 0x40}, /* 2^20 + 1 more */
    };
    static const size_t len[] = {2, 4, 4, 6, 4, 6};
    static const size_t good[] = {0, 1, 1, 2, 1, 1}; /* records before the bad one */
    struct loop__rec v[8];
    size_t n;

    for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
        cr_assert_eq(parse_raw(bad[i], len[i], v, 8, &n), -EBADMSG, "case %zu", i);
        cr_assert_eq(n, good[i], "case %zu: %zu records before the error", i, n);
    }
}

Test(schedule, non_canonical_io_records_are_corrupt, .timeout = T_TIMEOUT)
{
    static const uint8_t bad[][4] = {
        {0x45, 0x0b},             /* the error class holding EAGAIN (EAGAIN has its own) */
        {0x45, 0x00},             /* an error class holding 0 */
        {0x45, 0x80, 0x20},       /* errno 4096 */
        {0x25, 0x00},             /* the positive class holding 0 */
        {0x25, 0xff},             /* a cut varint inside a complete frame */
        {0x85},                   /* an explicit task id missing */
    };
    static const size_t len[] = {2, 2, 3, 2, 2, 1};
    struct loop__rec v[4];
    size_t n;

    for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
        cr_assert_eq(parse_raw(bad[i], len[i], v, 4, &n), -EBADMSG, "case %zu", i);
        cr_assert_eq(n, 0, "case %zu", i);
    }
    /* and the writer refuses what it cannot code */
    char *path = tmp_path("badio");
    struct loop__sched_hdr h = test_hdr();
    struct loop__sched_writer *w;
    struct loop__rec r = {.type = LOOP__REC_IO, .op = 4, .result = 0};
    cr_assert_eq(loop__schedw_open(&w, path, &h, 1), 0);
    cr_assert_eq(loop__schedw_put(w, &r), -EINVAL);
    r.op = LOOP__IO_READ;
    r.result = -5000;
    cr_assert_eq(loop__schedw_put(w, &r), -EINVAL);
    cr_assert_eq(loop__schedw_close(w), 0);
    unlink(path);
    free(path);
}

Test(schedule, fuzz_corpus_parses_without_harm, .timeout = T_TIMEOUT)
{
    DIR *d = opendir("tests/fuzz/corpus/schedule");
    struct dirent *e;
    int files = 0;

    if (d == NULL) {
        cr_skip_test("tests/fuzz/corpus/schedule not found (run from the repository root)");
    }
    while ((e = readdir(d)) != NULL) {
        char path[512];
        struct stat st;
        uint64_t records;
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "tests/fuzz/corpus/schedule/%s", e->d_name);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        uint8_t *buf = malloc((size_t)st.st_size + 1);
        int fd = open(path, O_RDONLY);
        cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
        close(fd);
        int rc = loop__sched_parse_buffer(buf, (size_t)st.st_size, &records);
        cr_assert(rc == 0 || rc == -EPIPE || rc == -EBADMSG || rc == -EPROTO,
                  "%s: rc %d", path, rc);
        /* the whole-file seeds: what each was made to be */
        static const struct {
            const char *name;
            int rc;
        } seeds[] = {
            {"race-fifo.sch", 0},          {"race-chaos.sch", 0},
            {"fanout-io.sch", 0},          {"cut-in-stream.sch", -EPIPE},
            {"cut-in-header.sch", -EBADMSG}, {"bad-checksum.sch", -EBADMSG},
            {"version-3.sch", -EPROTO},
        };
        for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
            if (strcmp(e->d_name, seeds[i].name) == 0) {
                cr_assert_eq(rc, seeds[i].rc, "%s: rc %d, want %d", path, rc, seeds[i].rc);
            }
        }
        free(buf);
        files++;
    }
    closedir(d);
    cr_assert_gt(files, 0);
}

/*
 * Continuing after a divergence keeps the replayed clock going at the real
 * pace: no jump to the machine's clock (every timer at once), no freeze when
 * the recording's clock is ahead of it (a recording from another boot).
 */
static int late_ticks;
static uint64_t tick_gap_max_ns, last_tick_ns;

static void on_late_tick(loop_timer_t *t)
{
    uint64_t now = loop_now(t->handle.loop);
    if (last_tick_ns != 0 && now - last_tick_ns > tick_gap_max_ns) {
        tick_gap_max_ns = now - last_tick_ns;
    }
    last_tick_ns = now;
    if (++late_ticks == 30) {
        cr_assert_eq(loop_handle_close(LOOP_HANDLE(t), NULL), 0);
    }
}

Test(schedule, continuing_after_a_divergence_keeps_the_clock_going, .timeout = T_TIMEOUT)
{
    char *a = tmp_path("clk"), *b = tmp_path("clkshift");
    const uint64_t shift = 1000000000000000ull; /* the recording is 11.6 days "ahead" */
    char err[256];
    loop_timer_t t;

    setenv("LOOP_RECORD", a, 1);
    loop_t *loop = new_loop();
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, on_late_tick, 1, 1), 0);
    finish_loop(loop);
    unsetenv("LOOP_RECORD");

    /* the first 8 records, every clock shifted ahead */
    struct loop__sched_reader *r;
    struct loop__sched_writer *w;
    struct loop__sched_hdr h;
    struct loop__rec rec;
    uint64_t last_clock = 0;
    cr_assert_eq(loop__schedr_open(&r, a, &h, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(loop__schedw_open(&w, b, &h, 1), 0);
    for (int i = 0; i < 8 && loop__schedr_next(r, &rec, err, sizeof(err)) == 1; i++) {
        if (rec.type == LOOP__REC_ITER || rec.type == LOOP__REC_CLOCK) {
            rec.clock_ns += shift;
            last_clock = rec.clock_ns;
        }
        cr_assert_eq(loop__schedw_put(w, &rec), 0);
    }
    cr_assert_eq(loop__schedw_close(w), 0);
    loop__schedr_close(r);

    late_ticks = 0;
    last_tick_ns = 0;
    tick_gap_max_ns = 0;
    setenv("LOOP_REPLAY", b, 1);
    setenv("LOOP_REPLAY_DIVERGE", "continue", 1);
    loop = new_loop();
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, on_late_tick, 1, 1), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(late_ticks, 30);
    cr_assert_geq(loop_now(loop), last_clock, "the clock went back");
    cr_assert_lt(loop_now(loop) - last_clock, 5000000000ull, "the clock jumped ahead");
    cr_assert_lt(tick_gap_max_ns, 1000000000ull, "a 1 ms tick came %llu ns after the last",
                 (unsigned long long)tick_gap_max_ns);
    finish_loop(loop);
    unsetenv("LOOP_REPLAY");
    unsetenv("LOOP_REPLAY_DIVERGE");
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

/*
 * Task I/O replays as recorded. The program: a task reads a socketpair twice.
 * Recorded, 5 bytes wait there before the run (the first read gets them) and
 * a timer writes 7 more 5 ms later (the second read finds nothing, waits,
 * gets them). Replayed, the data comes otherwise, and the task must see the
 * same: all 12 bytes at once (the first read takes exactly 5, the second
 * still finds nothing first), or in pieces from a thread, late (the first
 * read waits until it has 5).
 */
static struct {
    int sv[2];
    ssize_t got[2];
    char data[2][32];
    bool timer_writes;
} iop;

static intptr_t io_reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) {
        iop.got[i] = loop_read(iop.sv[0], iop.data[i], sizeof(iop.data[i]), 5000);
    }
    return 0;
}

static void io_timer_cb(loop_timer_t *t)
{
    if (iop.timer_writes) {
        cr_assert_eq(write(iop.sv[1], "world!!", 7), 7);
    }
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The late peer: "lo" and "world!!" come after the replay has started reading. */
static void *late_writer(void *arg)
{
    (void)arg;
    pause_ms(20);
    cr_assert_eq(write(iop.sv[1], "lo", 2), 2);
    pause_ms(20);
    cr_assert_eq(write(iop.sv[1], "world!!", 7), 7);
    return NULL;
}

enum io_peer { PEER_AS_RECORDED, PEER_ALL_AT_ONCE, PEER_LATE, PEER_SHORT_AND_CLOSED };

static void run_io_prog(enum io_peer peer)
{
    static const char *const prewrite[] = {"hello", "helloworld!!", "hel", "hel"};
    pthread_t th;
    loop_timer_t t;

    memset(&iop, 0, sizeof(iop));
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, iop.sv), 0);
    ssize_t n = (ssize_t)strlen(prewrite[peer]);
    cr_assert_eq(write(iop.sv[1], prewrite[peer], (size_t)n), n);
    iop.timer_writes = peer == PEER_AS_RECORDED;
    if (peer == PEER_SHORT_AND_CLOSED) {
        close(iop.sv[1]);
        iop.sv[1] = -1;
    }
    if (peer == PEER_LATE) {
        cr_assert_eq(pthread_create(&th, NULL, late_writer, NULL), 0);
    }
    loop_t *loop = new_loop();
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, io_timer_cb, 5, 0), 0);
    loop_task_t *task = loop_spawn(loop, io_reader, NULL, "reader");
    cr_assert_not_null(task);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_join(task, NULL, 0), 0);
    cr_assert_eq(loop_close(loop), 0);
    if (peer == PEER_LATE) {
        pthread_join(th, NULL);
    }
    close(iop.sv[0]);
    if (iop.sv[1] >= 0) {
        close(iop.sv[1]);
    }
}

/* Both files hold the same records; returns how many, and the step of the first
 * IO record with result `result` (0: none) in *io_step. */
static int same_records(const char *a, const char *b, int64_t result, int *io_step)
{
    struct loop__sched_reader *ra, *rb;
    struct loop__sched_hdr ha, hb;
    struct loop__rec x, y;
    char err[256];
    int ca, cb, n = 0;

    *io_step = 0;
    cr_assert_eq(loop__schedr_open(&ra, a, &ha, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(loop__schedr_open(&rb, b, &hb, err, sizeof(err)), 0, "%s", err);
    do {
        ca = loop__schedr_next(ra, &x, err, sizeof(err));
        cb = loop__schedr_next(rb, &y, err, sizeof(err));
        cr_assert_eq(ca, cb, "record %d: %d vs %d", n + 1, ca, cb);
        if (ca == 1) {
            assert_rec_eq(&y, &x, (size_t)n);
            n++;
            if (*io_step == 0 && x.type == LOOP__REC_IO && x.result == result) {
                *io_step = n;
            }
        }
    } while (ca == 1);
    cr_assert_eq(ca, 0, "%s", err);
    loop__schedr_close(ra);
    loop__schedr_close(rb);
    return n;
}

Test(schedule, task_reads_replay_as_recorded_whenever_the_data_comes, .timeout = T_TIMEOUT)
{
    char *rec = tmp_path("io"), *again = tmp_path("io-again");
    int step;

    setenv("LOOP_RECORD", rec, 1);
    run_io_prog(PEER_AS_RECORDED);
    cr_assert_eq(iop.got[0], 5);
    cr_assert_eq(iop.got[1], 7);
    same_records(rec, rec, -EAGAIN, &step);
    cr_assert_gt(step, 0, "the second read found nothing first: an EAGAIN record");

    static const enum io_peer peers[] = {PEER_ALL_AT_ONCE, PEER_LATE};
    for (size_t i = 0; i < 2; i++) {
        setenv("LOOP_REPLAY", rec, 1);
        setenv("LOOP_RECORD", again, 1);
        run_io_prog(peers[i]);
        cr_assert_eq(iop.got[0], 5, "peer %zu: the first read got %zd", i, iop.got[0]);
        cr_assert_eq(memcmp(iop.data[0], "hello", 5), 0);
        cr_assert_eq(iop.got[1], 7, "peer %zu: the second read got %zd", i, iop.got[1]);
        cr_assert_eq(memcmp(iop.data[1], "world!!", 7), 0);
        cr_assert_gt(same_records(rec, again, 5, &step), 8, "peer %zu", i);
    }
    unsetenv("LOOP_REPLAY");
    unsetenv("LOOP_RECORD");
    unlink(rec);
    unlink(again);
    free(rec);
    free(again);
}

Test(schedule, a_peer_that_sends_less_and_closes_diverges_at_the_read, .timeout = T_TIMEOUT)
{
    char *rec = tmp_path("io-short");
    char want[160];
    int step;

    setenv("LOOP_RECORD", rec, 1);
    run_io_prog(PEER_AS_RECORDED);
    unsetenv("LOOP_RECORD");
    same_records(rec, rec, 5, &step);
    cr_assert_gt(step, 0);

    capture_logs();
    setenv("LOOP_REPLAY", rec, 1);
    setenv("LOOP_REPLAY_DIVERGE", "continue", 1);
    run_io_prog(PEER_SHORT_AND_CLOSED);
    unsetenv("LOOP_REPLAY");
    unsetenv("LOOP_REPLAY_DIVERGE");
    snprintf(want, sizeof(want), "replay diverged at step %d: expected a read by kind=task id=",
             step);
    cr_assert(logs_contain(want), "want \"%s\" in: %s", want, logs_text());
    cr_assert(logs_contain("that got 5 bytes, the program got 3 bytes from its read, then end "
                           "of file (the peer closed) instead"),
              "%s", logs_text());
    snprintf(want, sizeof(want), "continuing in fifo order from step %d", step);
    cr_assert(logs_contain(want), "%s", logs_text());
    /* continuing, the program sees what really happened */
    cr_assert_eq(iop.got[0], 3);
    cr_assert_eq(iop.got[1], 0);
    unlink(rec);
    free(rec);
}

/* NOTE records (outcomes the replay checks): docs/schedule-format.md's coding. */
Test(schedule, note_records_decode_from_their_documented_bytes, .timeout = T_TIMEOUT)
{
    static const uint8_t raw[] = {
        0x33, 0x0a,       /* dispatch work id=5 */
        0x0f, 0x00, 0xf9, 0x01, /* note work-status (1), id 5, value -ECANCELED (-125) */
        0x17, 0x02, 0x1f, /* note work-cancel (2), id 6, value -EBUSY (-16) */
        0x27, 0x00, 0x06, /* note async-sends (4), id 5, value 3 */
        0x33, 0x02,       /* dispatch work id=6: notes left the previous id at 5 */
        0x04,
    };
    struct loop__rec v[8];
    size_t n;

    cr_assert_eq(parse_raw(raw, sizeof(raw), v, 8, &n), 0);
    cr_assert_eq(n, 6);
    struct {
        int type, what;
        uint64_t id;
        int64_t value;
    } want[] = {
        {LOOP__REC_DISPATCH, 0, 5, 0},
        {LOOP__REC_NOTE, LOOP__NOTE_WORK_STATUS, 5, -ECANCELED},
        {LOOP__REC_NOTE, LOOP__NOTE_WORK_CANCEL, 6, -EBUSY},
        {LOOP__REC_NOTE, LOOP__NOTE_ASYNC_SENDS, 5, 3},
        {LOOP__REC_DISPATCH, 0, 6, 0},
        {LOOP__REC_END, 0, 0, 0},
    };
    for (size_t i = 0; i < 6; i++) {
        cr_assert_eq(v[i].type, want[i].type, "record %zu", i + 1);
        if (want[i].type == LOOP__REC_END) {
            continue;
        }
        cr_assert_eq(v[i].id, want[i].id, "record %zu: id %llu", i + 1,
                     (unsigned long long)v[i].id);
        if (want[i].type == LOOP__REC_NOTE) {
            cr_assert_eq(v[i].what, want[i].what, "record %zu", i + 1);
            cr_assert_eq(v[i].value, want[i].value, "record %zu: value %lld", i + 1,
                         (long long)v[i].value);
        }
    }
}

Test(schedule, note_records_round_trip_and_bad_ones_are_refused, .timeout = T_TIMEOUT)
{
    char *path = tmp_path("note");
    struct loop__sched_hdr h = test_hdr(), got;
    struct loop__sched_writer *w;
    struct loop__sched_reader *r;
    struct loop__rec rec, in[] = {
        {.type = LOOP__REC_DISPATCH, .kind = LOOP_KIND_ASYNC, .id = 1000},
        {.type = LOOP__REC_NOTE, .what = LOOP__NOTE_ASYNC_SENDS, .id = 1000, .value = 1 << 20},
        {.type = LOOP__REC_NOTE, .what = LOOP__NOTE_BLOCKING, .id = 3, .value = INT64_MIN},
        {.type = LOOP__REC_NOTE, .what = LOOP__NOTE_MON_CANCEL, .id = 1 << 30, .value = 0},
        {.type = LOOP__REC_END},
    };
    char err[256];

    h.flags = LOOP__SCHED_F_NOTES;
    h.chaos_late_ms = 81;
    cr_assert_eq(loop__schedw_open(&w, path, &h, 3), 0);
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(loop__schedw_put(w, &in[i]), 0);
    }
    struct loop__rec bad = {.type = LOOP__REC_NOTE, .what = 0};
    cr_assert_eq(loop__schedw_put(w, &bad), -EINVAL);
    bad.what = 16;
    cr_assert_eq(loop__schedw_put(w, &bad), -EINVAL);
    cr_assert_eq(loop__schedw_close(w), 0);
    cr_assert_eq(loop__schedr_open(&r, path, &got, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(got.flags, LOOP__SCHED_F_NOTES);
    cr_assert_eq(got.chaos_late_ms, 81);
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(loop__schedr_next(r, &rec, err, sizeof(err)), 1, "%s", err);
        cr_assert_eq(rec.type, in[i].type);
        cr_assert_eq(rec.id, in[i].id);
        cr_assert_eq(rec.what, in[i].what);
        cr_assert_eq(rec.value, in[i].value);
    }
    loop__schedr_close(r);
    unlink(path);
    free(path);

    /* bit 7 set, or what 0: corrupt */
    static const uint8_t badraw[][3] = {{0x87, 0x00, 0x00}, {0x07, 0x00, 0x00}, {0x0f, 0x00}};
    static const size_t len[] = {3, 3, 2};
    struct loop__rec v[4];
    size_t n;
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(parse_raw(badraw[i], len[i], v, 4, &n), -EBADMSG, "case %zu", i);
    }
}
