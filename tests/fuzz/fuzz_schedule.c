/*
 * fuzz_schedule.c — libFuzzer target for the schedule reader
 * (libloop/schedule.c, loop__sched_parse_buffer).
 *
 * An input whose first byte is odd is taken as a raw record stream: the
 * target wraps the rest in a valid header and a checksummed zstd frame, so
 * the fuzzer reaches the varint record decoder without having to forge zstd
 * frames (the seeds raw-* start so; raw-io holds every class of task I/O
 * record, raw-repeat REPEAT records after dispatches). Any other input is parsed as a whole file (header, zstd stream).
 * The contract checked: the reader answers 0 or one of its documented
 * errors, and the sanitizers see no bad access, leak or undefined behaviour.
 *
 *   make fuzz FUZZ_TARGETS=schedule FUZZ_SECONDS=60     (tests/fuzz/fuzz.mk)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "record/schedule.h"

static void check(int rc)
{
    if (rc != 0 && rc != -EPIPE && rc != -EBADMSG && rc != -EPROTO && rc != -ENOMEM &&
        rc != -EINVAL) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t records;

    if (size > 0 && (data[0] & 1)) {
        /* header: magic, version 2, body length 6; body: mode 0, seeds 0, loop 1, "", "" */
        static const uint8_t hdr[] = {'L', 'O', 'O', 'P', 'S', 'C', 'H', 1, 2, 0, 0, 0,
                                      6,   0,   0,   0,   0,   0,   0,   1, 0, 0};
        size_t cap = ZSTD_compressBound(size - 1);
        uint8_t *buf = malloc(sizeof(hdr) + cap);
        ZSTD_CCtx *cctx = ZSTD_createCCtx();
        if (buf == NULL || cctx == NULL) {
            free(buf);
            ZSTD_freeCCtx(cctx);
            return 0;
        }
        memcpy(buf, hdr, sizeof(hdr));
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
        size_t n = ZSTD_compress2(cctx, buf + sizeof(hdr), cap, data + 1, size - 1);
        if (!ZSTD_isError(n)) {
            int rc = loop__sched_parse_buffer(buf, sizeof(hdr) + n, &records);
            /* a valid frame can be garbage inside, never cut short */
            if (rc == -EPIPE) {
                __builtin_trap();
            }
            check(rc);
        }
        ZSTD_freeCCtx(cctx);
        free(buf);
        return 0;
    }
    check(loop__sched_parse_buffer(data, size, &records));
    return 0;
}
