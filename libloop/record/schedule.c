/*
 * schedule.c — reading schedule files (docs/schedule-format.md), and the
 * record names; schedule_write.c writes them (the codec both share is
 * schedule_codec.h).
 *
 * Records are varints, delta-coded against the previous record of the same
 * quantity (clock, id), so a steady program repeats the same few bytes and
 * zstd squeezes them to a fraction of a byte each. The reader never trusts
 * its input: every length and varint is bounded, a truncated stream yields
 * every complete record before the cut, and a corrupt one a clear error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "schedule.h"
#include "schedule_codec.h"

struct loop__sched_reader {
    FILE *f;
    ZSTD_DCtx *dctx;
    uint8_t *in;
    size_t in_cap;
    ZSTD_inBuffer zin;
    uint8_t *buf; /* decoded bytes */
    size_t buf_cap, buf_pos, buf_len;
    size_t zret;  /* last ZSTD_decompressStream result: 0 at a frame end */
    int eof;
    int ended;    /* END seen (1), and what follows it checked (2) */
    int end_rc;   /* what next() answers after END */
    uint64_t prev_clock;
    uint64_t prev_id;
    uint64_t count;
    struct loop__rec last;   /* the last DISPATCH decoded, while a REPEAT may follow */
    bool last_open;
    uint64_t last_step;
    uint64_t repeat_left;    /* DISPATCH records a REPEAT still owes */
    struct loop__sched_hdr hdr;
};

const char *loop__rec_type_name(int type)
{
    switch (type) {
    case LOOP__REC_ITER:
        return "iter";
    case LOOP__REC_CLOCK:
        return "clock";
    case LOOP__REC_DISPATCH:
        return "dispatch";
    case LOOP__REC_END:
        return "end";
    case LOOP__REC_IO:
        return "io";
    case LOOP__REC_REPEAT:
        return "repeat";
    case LOOP__REC_NOTE:
        return "note";
    default:
        return "unknown";
    }
}

const char *loop__note_name(int what)
{
    static const char *const names[] = {"?", "work-status", "work-cancel", "blocking",
                                        "async-sends", "monitor-cancel"};
    return what > 0 && what <= LOOP__NOTE_MON_CANCEL ? names[what] : "?";
}

const char *loop__io_op_name(int op)
{
    static const char *const names[] = {"read", "write", "accept", "connect"};
    return op >= 0 && op < 4 ? names[op] : "?";
}

/* Reader ------------------------------------------------------------------ */

static int get_str(const uint8_t **p, const uint8_t *end, char **s, size_t *len)
{
    uint64_t l;
    size_t used;

    if (get_varint(*p, end, &l, &used) != 1 || l > (uint64_t)(end - *p - (ptrdiff_t)used)) {
        return -EBADMSG;
    }
    *p += used;
    *s = malloc(l + 1);
    if (*s == NULL) {
        return -ENOMEM;
    }
    memcpy(*s, *p, l);
    (*s)[l] = '\0';
    *p += l;
    if (len != NULL) {
        *len = l;
    }
    return 0;
}

static int parse_header(struct loop__sched_reader *r, const uint8_t *h, size_t n, char *err,
                        size_t errlen)
{
    const uint8_t *p = h, *end = h + n;
    uint64_t v[4];
    size_t used;

    for (int i = 0; i < 4; i++) {
        if (get_varint(p, end, &v[i], &used) != 1) {
            snprintf(err, errlen, "corrupt schedule header");
            return -EBADMSG;
        }
        p += used;
    }
    r->hdr.mode = (uint32_t)v[0];
    r->hdr.chaos_seed = v[1];
    r->hdr.random_seed = v[2];
    r->hdr.loop_id = v[3];
    if (get_str(&p, end, &r->hdr.program, NULL) < 0 ||
        get_str(&p, end, &r->hdr.args, &r->hdr.args_len) < 0) {
        snprintf(err, errlen, "corrupt schedule header");
        return -EBADMSG;
    }
    /* optional trailing fields: flags, chaos_late_ms (absent: 0) */
    for (int i = 0; i < 2 && p < end; i++) {
        if (get_varint(p, end, &v[i], &used) != 1 || v[i] > UINT32_MAX) {
            snprintf(err, errlen, "corrupt schedule header");
            return -EBADMSG;
        }
        p += used;
        if (i == 0) {
            r->hdr.flags = (uint32_t)v[0];
        } else {
            r->hdr.chaos_late_ms = (uint32_t)v[1];
        }
    }
    return 0;
}

static void reader_free(struct loop__sched_reader *r)
{
    if (r->f != NULL) {
        fclose(r->f);
    }
    ZSTD_freeDCtx(r->dctx);
    free(r->in);
    free(r->buf);
    free(r->hdr.program);
    free(r->hdr.args);
    free(r);
}

static int reader_open_file(struct loop__sched_reader **out, FILE *f,
                            struct loop__sched_hdr *hdr, char *err, size_t errlen)
{
    struct loop__sched_reader *r = calloc(1, sizeof(*r));
    uint8_t fixed[16];
    uint8_t *h = NULL;
    int rc;

    *out = NULL;
    if (r == NULL) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    r->f = f;
    if (fread(fixed, 1, sizeof(fixed), f) != sizeof(fixed) ||
        memcmp(fixed, LOOP__SCHED_MAGIC, 8) != 0) {
        snprintf(err, errlen, "not a libloop schedule file (bad magic)");
        rc = -EBADMSG;
        goto fail;
    }
    uint32_t version = 0, hl = 0;
    for (int i = 0; i < 4; i++) {
        version |= (uint32_t)fixed[8 + i] << (8 * i);
        hl |= (uint32_t)fixed[12 + i] << (8 * i);
    }
    if (version != LOOP__SCHED_VERSION) {
        snprintf(err, errlen, "schedule format version %u, this build reads version %u", version,
                 LOOP__SCHED_VERSION);
        rc = -EPROTO;
        goto fail;
    }
    if (hl > LOOP__SCHED_MAX_HEADER || (h = malloc(hl ? hl : 1)) == NULL ||
        fread(h, 1, hl, f) != hl) {
        snprintf(err, errlen, "truncated or corrupt schedule header");
        rc = -EBADMSG;
        goto fail;
    }
    rc = parse_header(r, h, hl, err, errlen);
    free(h);
    h = NULL;
    if (rc < 0) {
        goto fail;
    }
    r->hdr.version = version;
    r->dctx = ZSTD_createDCtx();
    r->in_cap = ZSTD_DStreamInSize();
    r->in = malloc(r->in_cap);
    r->buf_cap = ZSTD_DStreamOutSize() * 2;
    r->buf = malloc(r->buf_cap);
    if (r->dctx == NULL || r->in == NULL || r->buf == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
        goto fail;
    }
    r->zin = (ZSTD_inBuffer){r->in, 0, 0};
    r->zret = 1; /* no frame finished yet: a file that ends here was cut */
    *hdr = r->hdr;
    *out = r;
    return 0;
fail:
    free(h);
    reader_free(r);
    return rc;
}

int loop__schedr_open(struct loop__sched_reader **out, const char *path,
                      struct loop__sched_hdr *hdr, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rbe");

    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
        *out = NULL;
        return -e;
    }
    return reader_open_file(out, f, hdr, err, errlen);
}

/* Decode more bytes into buf: 1 progress, 0 end of input, -EBADMSG corrupt. */
static int fill(struct loop__sched_reader *r, char *err, size_t errlen)
{
    if (r->buf_pos > 0) {
        memmove(r->buf, r->buf + r->buf_pos, r->buf_len - r->buf_pos);
        r->buf_len -= r->buf_pos;
        r->buf_pos = 0;
    }
    for (;;) {
        if (r->zin.pos == r->zin.size) {
            if (r->eof) {
                return 0;
            }
            size_t n = fread(r->in, 1, r->in_cap, r->f);
            if (n == 0) {
                r->eof = 1;
                return 0;
            }
            r->zin = (ZSTD_inBuffer){r->in, n, 0};
        }
        ZSTD_outBuffer zout = {r->buf + r->buf_len, r->buf_cap - r->buf_len, 0};
        r->zret = ZSTD_decompressStream(r->dctx, &zout, &r->zin);
        if (ZSTD_isError(r->zret)) {
            snprintf(err, errlen, "corrupt schedule after record %llu: %s",
                     (unsigned long long)r->count, ZSTD_getErrorName(r->zret));
            return -EBADMSG;
        }
        r->buf_len += zout.pos;
        if (zout.pos > 0) {
            return 1;
        }
    }
}

/*
 * After END: the stream must end there, with its checksum verified (zstd
 * checks it at the frame's end). 0, -EPIPE when cut before, -EBADMSG when
 * anything follows END or the checksum is wrong.
 */
static int finish(struct loop__sched_reader *r, char *err, size_t errlen)
{
    for (;;) {
        if (r->buf_pos < r->buf_len) {
            snprintf(err, errlen, "corrupt schedule: data after the END record %llu",
                     (unsigned long long)r->count);
            return -EBADMSG;
        }
        int rc = fill(r, err, errlen);
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            if (r->zret != 0) {
                snprintf(err, errlen, "schedule is truncated after record %llu",
                         (unsigned long long)r->count);
                return -EPIPE;
            }
            return 0;
        }
    }
}

/* The rest of an IO record after its tag: 1 and the bytes used, 0 incomplete, -1 corrupt. */
static int get_io(const struct loop__sched_reader *r, uint8_t tag, const uint8_t *p,
                  const uint8_t *end, struct loop__rec *rec, size_t *used)
{
    int cls = (tag >> 5) & 3, ok = 1;
    uint64_t v = 0;
    size_t n = 0, u;

    rec->op = (tag >> 3) & 3;
    rec->id = r->prev_id;
    if (tag & IO_EXPLICIT) {
        ok = get_varint(p, end, &v, &u);
        if (ok != 1) {
            return ok;
        }
        n += u;
        rec->id = r->prev_id + (uint64_t)unzigzag(v);
    }
    switch (cls) {
    case IO_EAGAIN:
        rec->result = -EAGAIN;
        break;
    case IO_ZERO:
        rec->result = 0;
        break;
    default:
        ok = get_varint(p + n, end, &v, &u);
        if (ok != 1) {
            return ok;
        }
        n += u;
        if (cls == IO_POSITIVE) {
            if (v == 0 || v > (uint64_t)INT64_MAX) {
                return -1;
            }
            rec->result = (int64_t)v;
        } else {
            if (v == 0 || v > IO_MAX_ERRNO || v == EAGAIN) {
                return -1;
            }
            rec->result = -(int64_t)v;
        }
    }
    *used = n;
    return 1;
}

/* The rest of a NOTE record after its tag: 1 and the bytes used, 0 incomplete, -1 corrupt. */
static int get_note(const struct loop__sched_reader *r, uint8_t tag, const uint8_t *p,
                    const uint8_t *end, struct loop__rec *rec, size_t *used)
{
    uint64_t v;
    size_t u, n = 0;
    int ok;

    rec->what = (tag >> 3) & 0xf;
    if ((tag & 0x80) || rec->what == 0) {
        return -1;
    }
    ok = get_varint(p, end, &v, &u);
    if (ok != 1) {
        return ok;
    }
    n += u;
    rec->id = r->prev_id + (uint64_t)unzigzag(v);
    ok = get_varint(p + n, end, &v, &u);
    if (ok != 1) {
        return ok;
    }
    n += u;
    rec->value = unzigzag(v);
    *used = n;
    return 1;
}

static int next_decoded(struct loop__sched_reader *r, struct loop__rec *rec, char *err,
                        size_t errlen);

int loop__schedr_next(struct loop__sched_reader *r, struct loop__rec *rec, char *err,
                      size_t errlen)
{
    if (r->repeat_left > 0) { /* the common case of a steady program: kept short */
        r->repeat_left--;
        r->prev_id += r->last_step;
        *rec = r->last;
        rec->id = r->prev_id;
        r->count++;
        return 1;
    }
    return next_decoded(r, rec, err, errlen);
}

/* The next record from the bytes (a REPEAT's first record included). */
static __attribute__((noinline)) int next_decoded(struct loop__sched_reader *r,
                                                  struct loop__rec *rec, char *err, size_t errlen)
{
    for (;;) {
        const uint8_t *p = r->buf + r->buf_pos, *end = r->buf + r->buf_len;
        size_t used, n = 1;
        uint64_t v = 0, ev = 0;
        int ok = p < end ? 1 : 0;

        if (r->repeat_left > 0) {
            r->repeat_left--;
            r->prev_id += r->last_step;
            *rec = r->last;
            rec->id = r->prev_id;
            r->count++;
            return 1;
        }
        if (r->ended) {
            if (r->ended == 1) {
                r->ended = 2;
                r->end_rc = finish(r, err, errlen);
            }
            return r->end_rc;
        }
        if (ok) {
            uint8_t tag = p[0];
            memset(rec, 0, sizeof(*rec));
            rec->type = tag & 7;
            switch (rec->type) {
            case LOOP__REC_ITER:
            case LOOP__REC_CLOCK:
                ok = get_varint(p + 1, end, &v, &used);
                if (ok == 1) {
                    n += used;
                    r->prev_clock += (uint64_t)unzigzag(v);
                    rec->clock_ns = r->prev_clock;
                }
                break;
            case LOOP__REC_DISPATCH:
                rec->kind = (tag >> 3) & 0xf;
                ok = get_varint(p + 1, end, &v, &used);
                if (ok == 1) {
                    n += used;
                    if (rec->kind == 2) {
                        ok = get_varint(p + n, end, &ev, &used);
                        n += ok == 1 ? used : 0;
                    }
                }
                if (ok == 1) {
                    if (ev > 0xffff) {
                        ok = -1;
                        break;
                    }
                    r->prev_id += (uint64_t)unzigzag(v);
                    rec->id = r->prev_id;
                    rec->revents = (int)ev;
                    r->last = *rec;
                    r->last_step = (uint64_t)unzigzag(v);
                }
                break;
            case LOOP__REC_REPEAT:
                /* only right after a DISPATCH, never empty (the writer's canonical form) */
                ok = tag == LOOP__REC_REPEAT && r->last_open ? get_varint(p + 1, end, &v, &used)
                                                              : -1;
                if (ok == 1) {
                    n += used;
                    ok = v > 0 && v <= LOOP__SCHED_REPEAT_MAX ? 1 : -1;
                }
                break;
            case LOOP__REC_END:
                if (tag != LOOP__REC_END) {
                    ok = -1;
                }
                break;
            case LOOP__REC_IO:
                ok = get_io(r, tag, p + 1, end, rec, &used);
                n += ok == 1 ? used : 0;
                break;
            case LOOP__REC_NOTE:
                ok = get_note(r, tag, p + 1, end, rec, &used);
                n += ok == 1 ? used : 0;
                break;
            default:
                ok = -1;
            }
            if (ok == 1 && rec->type == LOOP__REC_REPEAT) {
                r->buf_pos += n;
                r->repeat_left = v;
                r->last_open = false;
                continue;
            }
            if (ok == 1) {
                r->buf_pos += n;
                r->last_open = rec->type == LOOP__REC_DISPATCH;
                r->count++;
                if (rec->type == LOOP__REC_END) {
                    r->ended = 1;
                }
                return 1;
            }
            if (ok < 0) {
                snprintf(err, errlen, "corrupt schedule: bad record %llu (tag 0x%02x)",
                         (unsigned long long)r->count + 1, tag);
                return -EBADMSG;
            }
        }
        /* need more bytes */
        int rc = fill(r, err, errlen);
        if (rc < 0) {
            return rc;
        }
        if (rc == 0) {
            if (r->zret == 0 && r->buf_pos < r->buf_len) {
                /* the writer ends a frame only after whole records */
                snprintf(err, errlen, "corrupt schedule: record %llu is cut inside a "
                         "complete stream", (unsigned long long)r->count + 1);
                return -EBADMSG;
            }
            if (r->buf_pos < r->buf_len || r->zret != 0) {
                snprintf(err, errlen, "schedule is truncated after record %llu",
                         (unsigned long long)r->count);
                return -EPIPE;
            }
            return 0;
        }
    }
}

uint64_t loop__schedr_count(const struct loop__sched_reader *r)
{
    return r->count;
}

void loop__schedr_close(struct loop__sched_reader *r)
{
    if (r != NULL) {
        reader_free(r);
    }
}

int loop__sched_parse_buffer(const void *data, size_t len, uint64_t *records)
{
    struct loop__sched_reader *r;
    struct loop__sched_hdr hdr;
    struct loop__rec rec;
    char err[256];
    FILE *f = fmemopen((void *)data, len, "rb");
    int rc;

    *records = 0;
    if (f == NULL) {
        return -errno;
    }
    rc = reader_open_file(&r, f, &hdr, err, sizeof(err));
    if (rc < 0) {
        return rc;
    }
    while ((rc = loop__schedr_next(r, &rec, err, sizeof(err))) == 1) {
    }
    *records = r->count;
    loop__schedr_close(r);
    return rc;
}
