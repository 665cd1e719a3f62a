/*
 * fuzz_model.c — libFuzzer target for loop-analyze's model and reports
 * (analyze/model.c and every report file), fed through model_feed(), the
 * function the trace reader's sink calls for each event.
 *
 * Input: a sequence of 32-byte records, each decoded into one struct event
 * (below: type, time step, process, loop, ids, enums taken raw so that out
 * of range values occur, strings from a small table with the awkward ones:
 * empty, quotes, newlines, HTML, long). Ids and processes are drawn from
 * small ranges so that events meet the same objects. Every record is fed,
 * with the live hang detector polled as loop-analyze --live does; then the
 * model is finished and every report runs, text and JSON, into /dev/null.
 * The contract checked: model_feed() accepts any sequence (0, or -ENOMEM),
 * every report returns 0, and the sanitizers see no bad access, leak or
 * undefined behaviour.
 *
 * Seeds (tests/fuzz/corpus/model/): the traces of the examples (deadlock,
 * leak, stall, race, fanout) converted into this format, and hand-made
 * sequences (joins.ev: format minor 1 — joins, detaches, sync objects,
 * future settles, a wait on an object that is then freed; taskio.ev: a
 * task's reads, writes, accepts and connects with EAGAIN, EINPROGRESS, end
 * of file and errors, an attempt outside any task (loop id 0) and one of an
 * unknown task). The minor-1 fields come from bytes those events leave
 * unused: format_minor from the top bits of byte 11 (0 there reads as
 * minor 1), sync_kind from byte 7, group_id from byte 16 when byte 18 is
 * odd; task_io's op from byte 28 (out-of-range ops occur) and its result
 * from byte 27 as a signed byte (so -EAGAIN, -EINPROGRESS...), times
 * 1,000,003 when bit 2 of byte 31 is set.
 *
 *   make fuzz FUZZ_TARGETS=model FUZZ_SECONDS=60     (tests/fuzz/fuzz.mk)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "report.h"

#define REC 32

static const char *const strs[] = {
    "",
    "conn",
    "examples/echo_server.c",
    "main",
    "worker \"quoted\" <b>&amp;</b>",
    "line\nbreak\ttab\\",
    "\xff\xfe not utf-8 \x01",
    "a-long-name-a-long-name-a-long-name-a-long-name-a-long-name-a-long-name-a-long-name-"
    "a-long-name-a-long-name-a-long-name-a-long-name-a-long-name-a-long-name-a-long-name",
};
#define NSTRS (sizeof(strs) / sizeof(strs[0]))

static uint64_t u16(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8;
}

/* One record → one event. ts is the running clock (jumps back now and then). */
static void decode(const uint8_t *p, struct event *e, uint64_t *ts)
{
    memset(e, 0, sizeof(*e));
    e->type = (enum ev_type)(p[0] % (EV_TYPE_MAX + 1));
    uint64_t step = u16(p + 1);
    if (step & 0x8000) {
        *ts -= (step & 0x7fff) * 1000; /* backwards, may wrap */
    } else {
        *ts += step * (p[3] & 0x80 ? 1000000 : 1000);
    }
    e->ts_ns = *ts;
    e->vpid = p[3] & 0x40 ? -1 : (int64_t)(p[3] & 3);
    e->vtid = e->vpid;
    e->procname = strs[p[3] >> 5 & 1];
    e->trace = p[3] >> 4 & 1;
    e->loop_id = p[4] & 3;
    e->id = p[5] < 240 ? p[5] % 24 : (uint64_t)p[5] << 40;
    e->kind = p[6];
    e->wait_kind = p[7];
    e->state = p[8];
    e->mode = p[9] & 7;
    e->policy = p[9] >> 3 & 7;
    e->debug = p[9] >> 6;
    e->events = p[10];
    e->revents = p[10] >> 4;
    e->format_version = p[11] & 3;
    e->version_major = p[11] >> 2 & 3;
    e->version_minor = p[11] >> 4;
    e->name = strs[p[12] % NSTRS];
    e->site.file = strs[(p[12] >> 4) % NSTRS];
    e->site.func = strs[p[13] % NSTRS];
    e->site.line = (int8_t)p[14];
    e->parent_task = p[15] % 24;
    e->by_id = p[16] % 24;
    e->obj_id = p[17] % 24;
    e->wait_task = p[18] % 24;
    e->timeout_ns = p[19] == 0xff ? -1 : (int64_t)p[19] * 1000000;
    e->now_ns = *ts - (uint64_t)p[20] * 1000;
    e->due_ns = e->now_ns + u16(p + 21) * 1000;
    e->repeat_ns = p[23] & 1 ? u16(p + 21) * 1000 : 0;
    e->duration_ns = (uint64_t)p[24] * 1000000;
    e->fd = (int8_t)p[25];
    e->signum = p[26] & 63;
    e->err = -(int32_t)(p[26] >> 6) * 4;
    e->rc = (int8_t)p[27];
    e->nready = (int8_t)p[28];
    e->status = (int8_t)p[28] >> 4;
    e->backtrace = strs[p[29] % NSTRS];
    e->msg = strs[(p[29] >> 4) % NSTRS];
    e->count = p[30];
    e->packets = p[30] >> 7;
    e->gap_begin_ns = p[31] & 1 ? *ts - 1000 : 0;
    e->gap_end_ns = p[31] & 2 ? *ts : 0;
    /* format minor 1 fields, from bytes the new events leave unused (0 → minor 1) */
    e->format_minor = (uint16_t)(((p[11] >> 6) ^ 1) & 3);
    e->sync_kind = p[7]; /* raw: out-of-range kinds occur */
    e->group_id = p[18] & 1 ? p[16] % 24 : 0;
    /* task_io: small results (-errno, a few bytes) raw, or scaled to large byte counts */
    e->result = (int64_t)(int8_t)p[27] * (p[31] & 4 ? 1000003 : 1);
    e->op = p[28] & 7;
    e->random_seed = u16(p + 21);
}

static FILE *devnull;

static void run_reports(struct model *m, int json, uint64_t threshold_ns)
{
    struct aopts o;
    struct ctx c;
    uint64_t findings;

    memset(&o, 0, sizeof(o));
    o.command = "fuzz";
    o.json = json;
    o.threshold_ns = threshold_ns;
    o.pid = -1;
    o.loop = -1;
    o.width = 40;
    o.no_symbolize = 1; /* never run addr2line */
    memset(&c, 0, sizeof(c));
    c.m = m;
    c.o = &o;
    c.out = devnull;
    if (report_summary(&c) != 0 || report_timeline(&c) != 0 || report_hangs(&c) != 0 ||
        report_lints(&c) != 0 || report_leaks(&c) != 0 || report_profile(&c) != 0 ||
        report_check(&c, &findings) < 0) {
        __builtin_trap();
    }
    o.folded = 1;
    if (report_profile(&c) != 0) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct model_opts mo;
    struct live_state live;
    struct aopts o;
    struct ctx c;
    uint64_t ts = 1000000000;

    if (devnull == NULL) {
        devnull = fopen("/dev/null", "w");
        if (devnull == NULL) {
            abort();
        }
    }
    if (size < 1 || size > REC * 4096) {
        return 0;
    }
    /* The first byte picks the options; the rest are events. */
    memset(&mo, 0, sizeof(mo));
    mo.threshold_ns = (uint64_t)(1 + (data[0] & 15)) * 10000000;
    mo.keep_intervals = 1;
    mo.pid = data[0] & 0x10 ? 1 : -1;
    mo.loop = data[0] & 0x20 ? 1 : -1;
    struct model *m = model_new(&mo);
    if (m == NULL) {
        return 0;
    }
    memset(&o, 0, sizeof(o));
    o.command = "fuzz";
    o.threshold_ns = mo.threshold_ns;
    o.pid = -1;
    o.loop = -1;
    o.no_symbolize = 1;
    memset(&c, 0, sizeof(c));
    c.m = m;
    c.o = &o;
    c.out = devnull;
    memset(&live, 0, sizeof(live));
    for (size_t off = 1; off + REC <= size; off += REC) {
        struct event e;
        decode(data + off, &e, &ts);
        int rc = model_feed(m, &e);
        if (rc != 0 && rc != -ENOMEM) {
            __builtin_trap();
        }
        if ((data[0] & 0x40) && e.ts_ns != 0 && hangs_live_poll(&c, &live, e.ts_ns) < 0) {
            __builtin_trap();
        }
    }
    hangs_live_free(&live);
    model_finish(m);
    run_reports(m, 0, mo.threshold_ns);
    run_reports(m, 1, mo.threshold_ns);
    model_free(m);
    return 0;
}
