/*
 * inspect.c — the schedule tools: dump (one line per record), info (header,
 * counts, size, how the file ends) and diff (the first differing step, with
 * context). They stream the file: memory does not grow with its length.
 *
 * A truncated or corrupt file is bad input: everything before the damage is
 * shown, then one line on stderr and exit status 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replay.h"

#define CONTEXT 3

static void print_args(FILE *out, const struct loop__sched_hdr *hdr)
{
    size_t i = 0;

    if (hdr->args_len == 0) {
        fputs("(none)", out);
        return;
    }
    while (i < hdr->args_len) {
        const char *a = hdr->args + i;
        size_t n = strnlen(a, hdr->args_len - i);
        fprintf(out, "%s\"%.*s\"", i ? " " : "", (int)n, a);
        i += n + 1;
    }
}

static void print_header(FILE *out, const char *prefix, const struct loop__sched_hdr *hdr)
{
    fprintf(out, "%sversion: %u\n", prefix, hdr->version);
    fprintf(out, "%smode: %s", prefix, sched_mode_name(hdr->mode));
    if (hdr->mode == LOOP__SCHED_MODE_CHAOS) {
        fprintf(out, " (seed %llu)", (unsigned long long)hdr->chaos_seed);
        if (hdr->chaos_late_ms > 0) {
            fprintf(out, "\n%schaos late-ms: %u", prefix, hdr->chaos_late_ms - 1);
        }
    }
    fprintf(out, "\n%sprogram: %s\n%sargs: ", prefix, hdr->program, prefix);
    print_args(out, hdr);
    fprintf(out, "\n%srandom seed: 0x%016llx\n%sloop: %llu\n", prefix,
            (unsigned long long)hdr->random_seed, prefix, (unsigned long long)hdr->loop_id);
}

/* Bytes before the zstd stream: the fixed 16 bytes and the header body. */
static long header_bytes(const char *path)
{
    unsigned char fixed[16];
    FILE *f = fopen(path, "rb");
    long n = -1;

    if (f != NULL) {
        if (fread(fixed, 1, sizeof(fixed), f) == sizeof(fixed)) {
            n = 16 + (long)((uint32_t)fixed[12] | (uint32_t)fixed[13] << 8 |
                            (uint32_t)fixed[14] << 16 | (uint32_t)fixed[15] << 24);
        }
        fclose(f);
    }
    return n;
}

/* dump -------------------------------------------------------------------- */

int cmd_dump(int argc, char **argv)
{
    struct loop__sched_reader *r;
    struct loop__sched_hdr hdr;
    struct loop__rec rec;
    char err[256], line[160];
    uint64_t prev_clock = 0;
    int have_clock = 0, rc;

    if (argc != 2 || argv[1][0] == '-') {
        return bad("usage: loop-replay dump FILE");
    }
    if (sched_open(argv[1], &r, &hdr) < 0) {
        return EXIT_BAD;
    }
    printf("# schedule %s\n", argv[1]);
    print_header(stdout, "# ", &hdr);
    while ((rc = loop__schedr_next(r, &rec, err, sizeof(err))) == 1) {
        sched_rec_str(&rec, line, sizeof(line));
        printf("%llu %s", (unsigned long long)loop__schedr_count(r), line);
        if (rec.type == LOOP__REC_ITER || rec.type == LOOP__REC_CLOCK) {
            if (have_clock) {
                printf(" (+%.3f ms)", (double)(int64_t)(rec.clock_ns - prev_clock) / 1e6);
            }
            prev_clock = rec.clock_ns;
            have_clock = 1;
        }
        putchar('\n');
    }
    if (rc == 0 && (loop__schedr_count(r) == 0 || rec.type != LOOP__REC_END)) {
        printf("# the stream ends without an END record: the loop was not closed\n");
    }
    fflush(stdout);
    loop__schedr_close(r);
    if (rc < 0) {
        return bad("%s: %s", argv[1], err);
    }
    return 0;
}

/* info -------------------------------------------------------------------- */

int cmd_info(int argc, char **argv)
{
    struct loop__sched_reader *r;
    struct loop__sched_hdr hdr;
    struct loop__rec rec = {0};
    uint64_t types[8] = {0}, kinds[16] = {0}, ops[4] = {0}, again[4] = {0};
    uint64_t first_clock = 0, last_clock = 0;
    char err[256] = "";
    struct stat st;
    int rc;

    if (argc != 2 || argv[1][0] == '-') {
        return bad("usage: loop-replay info FILE");
    }
    if (sched_open(argv[1], &r, &hdr) < 0) {
        return EXIT_BAD;
    }
    while ((rc = loop__schedr_next(r, &rec, err, sizeof(err))) == 1) {
        types[rec.type]++;
        if (rec.type == LOOP__REC_DISPATCH) {
            kinds[rec.kind & 15]++;
        } else if (rec.type == LOOP__REC_IO) {
            ops[rec.op & 3]++;
            again[rec.op & 3] += rec.result == -EAGAIN;
        } else if (rec.type == LOOP__REC_ITER || rec.type == LOOP__REC_CLOCK) {
            if (first_clock == 0) {
                first_clock = rec.clock_ns;
            }
            last_clock = rec.clock_ns;
        }
    }
    uint64_t total = loop__schedr_count(r);
    long hbytes = header_bytes(argv[1]);
    if (stat(argv[1], &st) < 0) {
        st.st_size = 0;
    }
    long stream = hbytes >= 0 && st.st_size >= hbytes ? (long)st.st_size - hbytes : 0;

    printf("file: %s\n", argv[1]);
    print_header(stdout, "", &hdr);
    printf("records: %llu (iter %llu, clock %llu, dispatch %llu, io %llu, end %llu)\n",
           (unsigned long long)total, (unsigned long long)types[LOOP__REC_ITER],
           (unsigned long long)types[LOOP__REC_CLOCK],
           (unsigned long long)types[LOOP__REC_DISPATCH], (unsigned long long)types[LOOP__REC_IO],
           (unsigned long long)types[LOOP__REC_END]);
    if (types[LOOP__REC_NOTE] > 0) {
        printf("notes: %llu (outcomes replay checks)\n", (unsigned long long)types[LOOP__REC_NOTE]);
    }
    printf("dispatches by kind:");
    int any = 0;
    for (int k = 0; k < 16; k++) {
        if (kinds[k]) {
            printf("%s %s %llu", any ? "," : "", sched_kind_name(k), (unsigned long long)kinds[k]);
            any = 1;
        }
    }
    printf("%s\n", any ? "" : " none");
    printf("task I/O by op:");
    any = 0;
    for (int op = 0; op < 4; op++) {
        if (ops[op]) {
            printf("%s %s %llu (EAGAIN %llu)", any ? "," : "", loop__io_op_name(op),
                   (unsigned long long)ops[op], (unsigned long long)again[op]);
            any = 1;
        }
    }
    printf("%s\n", any ? "" : " none");
    printf("loop time: %.3f ms\n", (double)(last_clock - first_clock) / 1e6);
    printf("size: %lld bytes (header %ld, records %ld)\n", (long long)st.st_size, hbytes,
           stream);
    printf("bytes per record: %.3f\n", total ? (double)stream / (double)total : 0.0);
    printf("bytes per dispatch: %.3f\n",
           types[LOOP__REC_DISPATCH] ? (double)stream / (double)types[LOOP__REC_DISPATCH] : 0.0);
    if (rc == 0) {
        printf("end: %s\n", total > 0 && rec.type == LOOP__REC_END
                                ? "clean (END record)"
                                : "complete stream without END (the loop was not closed)");
    } else if (rc == -EPIPE) {
        printf("end: truncated after record %llu (valid up to there: the recorder was killed?)\n",
               (unsigned long long)total);
    } else {
        printf("end: corrupt after record %llu\n", (unsigned long long)total);
    }
    fflush(stdout);
    loop__schedr_close(r);
    if (rc < 0) {
        return bad("%s: %s", argv[1], err);
    }
    return 0;
}

/* diff -------------------------------------------------------------------- */

struct side {
    const char *path;
    struct loop__sched_reader *r;
    struct loop__sched_hdr hdr;
    char err[256];
    int rc; /* of the last next(): 1, 0 end, < 0 damaged */
};

static int side_next(struct side *s, struct loop__rec *rec)
{
    if (s->rc == 1) {
        s->rc = loop__schedr_next(s->r, rec, s->err, sizeof(s->err));
    }
    return s->rc;
}

static void side_str(const struct side *s, int rc, const struct loop__rec *rec, char *buf,
                     size_t len)
{
    if (rc == 1) {
        sched_rec_str(rec, buf, len);
    } else if (rc == 0) {
        snprintf(buf, len, "(end of file)");
    } else {
        snprintf(buf, len, "(%s)", rc == -EPIPE ? "truncated" : "corrupt");
    }
    (void)s;
}

static void header_notes(const struct side *a, const struct side *b)
{
    if (strcmp(base_name(a->hdr.program), base_name(b->hdr.program)) != 0) {
        printf("note: the programs differ: %s vs %s\n", a->hdr.program, b->hdr.program);
    }
    if (a->hdr.random_seed != b->hdr.random_seed && a->hdr.mode != LOOP__SCHED_MODE_TRACE &&
        b->hdr.mode != LOOP__SCHED_MODE_TRACE) {
        printf("note: the loop_random() seeds differ: 0x%016llx vs 0x%016llx\n",
               (unsigned long long)a->hdr.random_seed, (unsigned long long)b->hdr.random_seed);
    }
}

int cmd_diff(int argc, char **argv)
{
    struct side s[2] = {{.path = NULL}, {.path = NULL}};
    struct loop__rec ring[CONTEXT], ra, rb;
    uint64_t step = 0;
    int status = 0;

    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        return bad("usage: loop-replay diff A B");
    }
    for (int i = 0; i < 2; i++) {
        s[i].path = argv[1 + i];
        s[i].rc = 1;
        if (sched_open(s[i].path, &s[i].r, &s[i].hdr) < 0) {
            if (i == 1) {
                loop__schedr_close(s[0].r);
            }
            return EXIT_BAD;
        }
    }
    for (;;) {
        int ca = side_next(&s[0], &ra), cb = side_next(&s[1], &rb);
        if (ca == 0 && cb == 0) {
            printf("identical: %llu records (modes %s and %s)\n", (unsigned long long)step,
                   sched_mode_name(s[0].hdr.mode), sched_mode_name(s[1].hdr.mode));
            header_notes(&s[0], &s[1]);
            break;
        }
        if (ca < 0 || cb < 0) {
            /* damaged before any difference: nothing to compare beyond */
            struct side *d = ca < 0 ? &s[0] : &s[1];
            status = bad("%s: %s", d->path, d->err);
            break;
        }
        step++;
        if (ca == 1 && cb == 1 && sched_rec_equal(&ra, &rb)) {
            ring[step % CONTEXT] = ra;
            continue;
        }
        /* the first difference: context before, the step, a few after */
        char la[128], lb[128];
        uint64_t from = step > CONTEXT ? step - CONTEXT : 1;
        printf("differ at step %llu\n", (unsigned long long)step);
        printf("  %8s  %-44s %s\n", "step", s[0].path, s[1].path);
        for (uint64_t k = from; k < step; k++) {
            sched_rec_str(&ring[k % CONTEXT], la, sizeof(la));
            printf("  %8llu  %-44s %s\n", (unsigned long long)k, la, la);
        }
        for (int k = 0; k <= CONTEXT; k++) {
            if (k > 0) {
                ca = ca == 1 ? side_next(&s[0], &ra) : ca;
                cb = cb == 1 ? side_next(&s[1], &rb) : cb;
                if (ca != 1 && cb != 1) {
                    break;
                }
            }
            side_str(&s[0], ca, &ra, la, sizeof(la));
            side_str(&s[1], cb, &rb, lb, sizeof(lb));
            printf("%c %8llu  %-44s %s\n", k == 0 ? '>' : ' ', (unsigned long long)(step + k), la,
                   lb);
        }
        header_notes(&s[0], &s[1]);
        status = EXIT_DIFFER;
        break;
    }
    fflush(stdout);
    loop__schedr_close(s[0].r);
    loop__schedr_close(s[1].r);
    return status;
}
