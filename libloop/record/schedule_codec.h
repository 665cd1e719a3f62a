/*
 * schedule_codec.h — the record encoding schedule.c (reader) and
 * schedule_write.c (writer) share: varints, zigzag deltas and the IO record
 * tag (docs/schedule-format.md). Private to libloop/record.
 */
#ifndef LOOP_RECORD_SCHEDULE_CODEC_H
#define LOOP_RECORD_SCHEDULE_CODEC_H

#include <stddef.h>
#include <stdint.h>

/*
 * IO records: tag = 5 | op << 3 | class << 5 | explicit-task << 7. The class
 * says what the result is, so that the common results cost no payload:
 */
enum {
    IO_EAGAIN = 0,   /* -EAGAIN: the call found nothing (no payload) */
    IO_POSITIVE = 1, /* result > 0: varint result */
    IO_ERROR = 2,    /* another -errno: varint errno (1..4095, not EAGAIN) */
    IO_ZERO = 3,     /* 0: end of file, a connection accepted, connected (no payload) */
};
#define IO_EXPLICIT 0x80 /* the task is not the last DISPATCH's id: varint zigzag delta */
#define IO_MAX_ERRNO 4095

/* Varints ---------------------------------------------------------------- */

static inline size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* 1 and the value, 0 when p..end holds no complete varint, -1 when malformed. */
static inline int get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v, size_t *used)
{
    uint64_t x = 0;
    for (size_t i = 0; i < 10; i++) {
        if (p + i >= end) {
            return 0;
        }
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i == 9 && p[i] > 1) {
                return -1;
            }
            *v = x;
            *used = i + 1;
            return 1;
        }
    }
    return -1;
}

#endif /* LOOP_RECORD_SCHEDULE_CODEC_H */
