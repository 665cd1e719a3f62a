/*
 * schedule_write.c — writing schedule files (docs/schedule-format.md): the
 * recorder's side (schedule.h's loop__schedw_*).
 *
 * Records are varints, delta-coded against the previous record of the same
 * quantity (clock, id), so a steady program repeats the same few bytes and
 * zstd squeezes them to a fraction of a byte each. A run of DISPATCH records
 * that continue each other becomes one REPEAT. Write errors are sticky and
 * reported by flush and close.
 */
#include <fcntl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "schedule.h"
#include "schedule_codec.h"
#include "core/sys.h"

#define IN_CAP (64 * 1024)

struct loop__sched_writer {
    struct loop__schedw_hot hot; /* first: schedule.h's inline fast path reads it */
    int fd;
    ZSTD_CCtx *cctx;
    uint8_t in[IN_CAP];
    size_t in_len;
    uint8_t *out;
    size_t out_cap;
    uint64_t prev_clock;
    int err; /* sticky write error */
};

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = LOOP__SYS(WRITE, (ssize_t)-1, write(fd, b, n));
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int compress_step(struct loop__sched_writer *w, ZSTD_EndDirective op)
{
    ZSTD_inBuffer in = {w->in, w->in_len, 0};
    size_t remaining;

    if (w->err) {
        return w->err;
    }
    do {
        ZSTD_outBuffer out = {w->out, w->out_cap, 0};
        remaining = ZSTD_compressStream2(w->cctx, &out, &in, op);
        if (ZSTD_isError(remaining)) {
            return w->err = -EIO;
        }
        if (out.pos > 0) {
            int rc = write_all(w->fd, w->out, out.pos);
            if (rc < 0) {
                return w->err = rc;
            }
        }
    } while (op == ZSTD_e_continue ? in.pos < in.size : remaining != 0);
    w->in_len = 0;
    return 0;
}

static void put_str(uint8_t *p, size_t *n, const char *s, size_t len)
{
    *n += put_varint(p + *n, len);
    memcpy(p + *n, s, len);
    *n += len;
}

int loop__schedw_open(struct loop__sched_writer **out, const char *path,
                      const struct loop__sched_hdr *hdr, int level)
{
    struct loop__sched_writer *w = calloc(1, sizeof(*w));
    size_t plen = hdr->program ? strlen(hdr->program) : 0;
    size_t hcap = 64 + plen + hdr->args_len, n = 0;
    uint8_t *h = NULL;
    int rc;

    *out = NULL;
    if (w == NULL || (h = malloc(hcap + 16)) == NULL) {
        free(w);
        return -ENOMEM;
    }
    w->hot.run_kind = -1; /* no run yet */
    w->fd = LOOP__SYS(OPEN, -1, open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (w->fd < 0) {
        rc = -errno;
        goto fail;
    }
    w->cctx = ZSTD_createCCtx();
    w->out_cap = ZSTD_CStreamOutSize();
    w->out = malloc(w->out_cap);
    if (w->cctx == NULL || w->out == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);

    /* header body: mode, seeds, loop id, program, args */
    n += put_varint(h + n, hdr->mode);
    n += put_varint(h + n, hdr->chaos_seed);
    n += put_varint(h + n, hdr->random_seed);
    n += put_varint(h + n, hdr->loop_id);
    put_str(h, &n, hdr->program ? hdr->program : "", plen);
    put_str(h, &n, hdr->args ? hdr->args : "", hdr->args_len);
    n += put_varint(h + n, hdr->flags);
    n += put_varint(h + n, hdr->chaos_late_ms);
    uint8_t fixed[16];
    memcpy(fixed, LOOP__SCHED_MAGIC, 8);
    uint32_t v = LOOP__SCHED_VERSION, hl = (uint32_t)n;
    for (int i = 0; i < 4; i++) {
        fixed[8 + i] = (uint8_t)(v >> (8 * i));
        fixed[12 + i] = (uint8_t)(hl >> (8 * i));
    }
    rc = write_all(w->fd, fixed, sizeof(fixed));
    if (rc == 0) {
        rc = write_all(w->fd, h, n);
    }
    /*
     * Set the compression stream up now, at loop_new, not at the first
     * flush: zstd allocates and clears its window and tables on first use
     * (hundreds of microseconds, milliseconds under load), which would land
     * inside the loop's first iterations and change the timing of the run
     * being recorded (bench/recordstart_libloop.c measures it). An empty
     * flush sets the stream up and writes nothing (zstd begins the frame
     * with the first data).
     */
    if (rc == 0) {
        rc = compress_step(w, ZSTD_e_flush);
    }
    if (rc < 0) {
        goto fail;
    }
    free(h);
    *out = w;
    return 0;
fail:
    free(h);
    if (w->fd >= 0) {
        close(w->fd);
    }
    ZSTD_freeCCtx(w->cctx);
    free(w->out);
    free(w);
    return rc;
}

/* Room for one record (and a pending REPEAT before it) in w->in. */
static inline int make_room(struct loop__sched_writer *w)
{
    if (__builtin_expect(w->in_len + 48 > IN_CAP, 0)) {
        int rc = compress_step(w, ZSTD_e_continue);
        if (rc < 0) {
            return rc;
        }
    }
    return w->err;
}

/* Write the pending repeats of the last DISPATCH, and close its run. */
static inline void close_run(struct loop__sched_writer *w)
{
    if (w->hot.run_n > 0) {
        uint8_t *p = w->in + w->in_len;
        size_t n = 0;
        p[n++] = LOOP__REC_REPEAT;
        n += put_varint(p + n, w->hot.run_n);
        w->in_len += n;
        w->hot.count += w->hot.run_n;
        w->hot.run_n = 0;
    }
    w->hot.run_kind = -1;
}

/* A DISPATCH that does not continue the run: written out, and a new run. */
int loop__schedw_dispatch_new(struct loop__sched_writer *w, uint64_t id, int kind, int revents)
{
    uint64_t step = id - w->hot.prev_id;
    uint8_t *p;
    size_t n = 0;
    int rc = make_room(w);
    if (rc < 0) {
        return rc;
    }
    close_run(w);
    p = w->in + w->in_len;
    p[n++] = (uint8_t)(LOOP__REC_DISPATCH | ((kind & 0xf) << 3));
    n += put_varint(p + n, zigzag((int64_t)step));
    if (kind == 2 /* LOOP_KIND_IO */) {
        n += put_varint(p + n, (uint64_t)(unsigned)revents);
    }
    w->hot.prev_id = id;
    w->in_len += n;
    w->hot.count++;
    w->hot.run_step = step;
    w->hot.run_kind = kind;
    w->hot.run_revents = kind == 2 ? revents : 0;
    return 0;
}


int loop__schedw_clock(struct loop__sched_writer *w, int type, uint64_t clock_ns)
{
    uint8_t *p;
    int rc = make_room(w);

    if (rc < 0) {
        return rc;
    }
    close_run(w);
    p = w->in + w->in_len;
    p[0] = (uint8_t)type;
    w->in_len += 1 + put_varint(p + 1, zigzag((int64_t)(clock_ns - w->prev_clock)));
    w->prev_clock = clock_ns;
    w->hot.count++;
    return 0;
}

/*
 * NOTE records: tag = 7 | what << 3 (bit 7 clear), varint zigzag(id - the
 * last DISPATCH's id), varint zigzag(value). The bytes used, 0 for a bad what.
 */
static size_t put_note(const struct loop__sched_writer *w, uint8_t *p, const struct loop__rec *r)
{
    size_t n = 0;

    if (r->what < 1 || r->what > LOOP__NOTE_MAX) {
        return 0;
    }
    p[n++] = (uint8_t)(LOOP__REC_NOTE | r->what << 3);
    n += put_varint(p + n, zigzag((int64_t)(r->id - w->hot.prev_id)));
    n += put_varint(p + n, zigzag(r->value));
    return n;
}

int loop__schedw_put(struct loop__sched_writer *w, const struct loop__rec *r)
{
    uint8_t *p;
    size_t n = 0;

    if (r->type == LOOP__REC_DISPATCH) {
        return loop__schedw_dispatch(w, r->id, r->kind, r->kind == 2 ? r->revents : 0);
    }
    if (r->type == LOOP__REC_ITER || r->type == LOOP__REC_CLOCK) {
        return loop__schedw_clock(w, r->type, r->clock_ns);
    }
    int rc = make_room(w);
    if (rc < 0) {
        return rc;
    }
    close_run(w);
    p = w->in + w->in_len;
    switch (r->type) {
    case LOOP__REC_END:
        p[n++] = LOOP__REC_END;
        break;
    case LOOP__REC_IO: {
        int cls = r->result == -EAGAIN ? IO_EAGAIN
                  : r->result > 0      ? IO_POSITIVE
                  : r->result == 0     ? IO_ZERO
                                       : IO_ERROR;
        if (r->op < 0 || r->op > 3 || (cls == IO_ERROR && r->result < -IO_MAX_ERRNO)) {
            return -EINVAL;
        }
        p[n++] = (uint8_t)(LOOP__REC_IO | r->op << 3 | cls << 5 |
                           (r->id != w->hot.prev_id ? IO_EXPLICIT : 0));
        if (r->id != w->hot.prev_id) {
            /* the previous id stays the last DISPATCH's: a task's I/O follows its step */
            n += put_varint(p + n, zigzag((int64_t)(r->id - w->hot.prev_id)));
        }
        if (cls == IO_POSITIVE) {
            n += put_varint(p + n, (uint64_t)r->result);
        } else if (cls == IO_ERROR) {
            n += put_varint(p + n, (uint64_t)-r->result);
        }
        break;
    }
    case LOOP__REC_NOTE:
        n = put_note(w, p, r);
        if (n == 0) {
            return -EINVAL;
        }
        break;
    default:
        return -EINVAL;
    }
    w->in_len += n;
    w->hot.count++;
    return 0;
}

int loop__schedw_flush(struct loop__sched_writer *w)
{
    close_run(w); /* make_room left room for it */
    return compress_step(w, ZSTD_e_flush);
}

uint64_t loop__schedw_count(const struct loop__sched_writer *w)
{
    return w->hot.count + w->hot.run_n;
}

int loop__schedw_close(struct loop__sched_writer *w)
{
    int rc;

    if (w == NULL) {
        return 0;
    }
    close_run(w);
    rc = compress_step(w, ZSTD_e_end);
    if (close(w->fd) < 0 && rc == 0) {
        rc = -errno;
    }
    ZSTD_freeCCtx(w->cctx);
    free(w->out);
    free(w);
    return rc;
}
