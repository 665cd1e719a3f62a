/*
 * test_schedule.c — the schedule file (libloop/schedule.c,
 * docs/schedule-format.md): random records round-trip through the writer and
 * the reader; a file cut at any byte reads as a prefix of its records and
 * then a clean end or -EPIPE, never garbage, and keeps everything flushed
 * before the cut; a corrupt file is never read as a clean, different
 * schedule; a newer version and a foreign file are refused with one line;
 * ENOSPC while recording stops the recording with one error and leaves a
 * file readable up to its last flush; the fuzz corpus parses without harm.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "helpers.h"
#include "loop_debug.h"
#include "schedule.h"
#include "sys.h"

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
        } else {
            r->type = LOOP__REC_DISPATCH;
            r->kind = 1 + (int)(rnd() % 8);
            r->id = rnd() % 20 == 0 ? rnd() : 1 + rnd() % 64;
            r->revents = r->kind == LOOP_KIND_IO ? (int)(rnd() % 16) : 0;
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
                    rec.revents != v[count].revents) {
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
    cr_assert(strstr(err, "version 2") != NULL && strchr(err, '\n') == NULL, "message: %s", err);
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
