/*
 * fuzz_trace_version.c — libFuzzer target for the trace reader's format
 * checks (analyze/reader.c): the trace-format version of loop_new and the
 * per-event-class field checks (which payload fields it takes, and that a
 * field of the wrong type — a string where a number belongs, a float, an
 * enum — is skipped, never misread).
 *
 * Each input describes a small CTF 1.8 trace, which the target writes as a
 * real trace directory (metadata text and one stream file) and reads with
 * reader_open() and reader_run(), the way loop-analyze and loop-replay do:
 *   byte 0       flags: common event context (vpid, vtid, procname) or not,
 *                vpid typed as a string, a clock or not, ignore_version
 *   byte 1       number of event classes (1..8), then for each: its name
 *                (the libloop:* events, a libloop:* name that does not exist,
 *                another provider's) and up to 9 payload fields, each two
 *                bytes: a name (the reader's field names and unknown ones) and a type
 *                (unsigned/signed 8..64-bit integers, string, enum, float)
 *   the rest     events: a class, then the bytes of its fields
 * The contract checked: reader_open/reader_run return 0 or a documented
 * error; a loop_new whose format_version is not one the reader knows never
 * reaches the callback (unless ignore_version); delivered events have
 * their strings set (never NULL) and a known type; the sanitizers see no
 * bad access, leak or undefined behaviour.
 *
 *   make fuzz FUZZ_TARGETS=trace_version FUZZ_SECONDS=60     (tests/fuzz/fuzz.mk)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

#define MAX_CLASSES 8
#define MAX_FIELDS 9

static const char *const event_names[] = {
    "libloop:loop_new",     "libloop:loop_close",    "libloop:run_begin",
    "libloop:run_end",      "libloop:iter_begin",    "libloop:poll_begin",
    "libloop:poll_end",     "libloop:handle_new",    "libloop:handle_start",
    "libloop:handle_close", "libloop:callback_begin", "libloop:callback_end",
    "libloop:task_new",     "libloop:task_ready",    "libloop:task_run",
    "libloop:task_suspend", "libloop:task_done",     "libloop:stall",
    "libloop:error",        "libloop:no_such_event", "other:event",
};
#define NEVENTS (sizeof(event_names) / sizeof(event_names[0]))

static const char *const field_names[] = {
    "loop_id", "id",      "kind",      "format_version", "version_major", "version_minor",
    "policy",  "name",    "site_file", "site_line",      "site_func",     "obj_id",
    "wait_kind", "state", "timeout_ns", "now_ns",        "err",           "backtrace",
    "msg",     "fd",      "unknown",   "by_id",
};
#define NFIELDS (sizeof(field_names) / sizeof(field_names[0]))

enum ftype { T_U8, T_U16, T_U32, T_U64, T_S8, T_S32, T_S64, T_STR, T_ENUM, T_FLOAT, T_MAX };

static const char *const type_decl[T_MAX] = {
    "integer { size = 8; align = 8; signed = 0; }",
    "integer { size = 16; align = 8; signed = 0; }",
    "integer { size = 32; align = 8; signed = 0; }",
    "integer { size = 64; align = 8; signed = 0; }",
    "integer { size = 8; align = 8; signed = 1; }",
    "integer { size = 32; align = 8; signed = 1; }",
    "integer { size = 64; align = 8; signed = 1; }",
    "string",
    "enum : integer { size = 8; align = 8; signed = 0; } { \"zero\" = 0, \"one\" = 1, \"many\" = 2 ... 200 }",
    "floating_point { exp_dig = 11; mant_dig = 53; align = 8; }",
};
static const size_t type_size[T_MAX] = {1, 2, 4, 8, 1, 4, 8, 0, 1, 8};

struct fclass {
    int name;
    int nfields;
    int fname[MAX_FIELDS];
    int ftype[MAX_FIELDS];
};

static char dir[64];
static char *buf;
static size_t cap;
static int ignore_version;

static int put(size_t *len, const void *p, size_t n)
{
    if (*len + n > cap) {
        return -1;
    }
    memcpy(buf + *len, p, n);
    *len += n;
    return 0;
}

static int write_file(const char *name, const void *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static void cleanup(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/metadata", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/stream_0", dir);
    unlink(path);
    rmdir(dir);
}

static int nevents;

static int on_event(const struct event *ev, void *arg)
{
    (void)arg;
    nevents++;
    if (ev->type <= EV_NONE || ev->type >= EV_TYPE_MAX) {
        __builtin_trap();
    }
    if (ev->name == NULL || ev->site.file == NULL || ev->site.func == NULL ||
        ev->procname == NULL || ev->backtrace == NULL || ev->msg == NULL) {
        __builtin_trap(); /* strings are never NULL */
    }
    if (ev->type == EV_LOOP_NEW && !ignore_version &&
        (ev->format_version < 1 || ev->format_version > READER_FORMAT_VERSION)) {
        __builtin_trap(); /* an unknown version is never read silently */
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fclass cls[MAX_CLASSES];
    size_t pos = 2, len = 0;

    if (dir[0] == '\0') {
        strcpy(dir, "/tmp/loop-fuzz-trace.XXXXXX");
        if (mkdtemp(dir) == NULL) {
            abort();
        }
        atexit(cleanup);
        cap = 1 << 20;
        buf = malloc(cap);
        if (buf == NULL) {
            abort();
        }
    }
    if (size < 2 || size > 16384) {
        return 0;
    }
    int with_ctx = data[0] & 1, vpid_str = data[0] & 2, with_clock = !(data[0] & 4);
    ignore_version = (data[0] & 8) != 0;
    int ncls = 1 + data[1] % MAX_CLASSES;
    for (int c = 0; c < ncls; c++) {
        if (pos + 2 > size) {
            return 0;
        }
        cls[c].name = data[pos++] % NEVENTS;
        cls[c].nfields = data[pos++] % (MAX_FIELDS + 1);
        for (int f = 0; f < cls[c].nfields; f++) {
            if (pos + 2 > size) {
                return 0;
            }
            cls[c].fname[f] = data[pos] % NFIELDS;
            cls[c].ftype[f] = data[pos + 1] % T_MAX;
            pos += 2;
        }
    }

    /* metadata */
    len = (size_t)snprintf(
        buf, cap,
        "/* CTF 1.8 */\n"
        "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
        "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
        "trace { major = 1; minor = 8; byte_order = le;\n"
        "  packet.header := struct { uint32_t magic; uint32_t stream_id; }; };\n"
        "%s%s"
        "stream { id = 0;\n"
        "  event.header := struct { uint32_t id; %s };\n"
        "%s};\n",
        /* babeltrace2 2.0 asserts (aborts) on an LTTng trace without a clock
         * (fs.c fix_index_lttng_crash_quirk): only a clocked trace says it is LTTng's */
        with_clock ? "env { domain = \"ust\"; tracer_name = \"lttng-ust\"; tracer_major = 2; "
                     "tracer_minor = 13; };\n"
                   : "",
        with_clock ? "clock { name = \"monotonic\"; freq = 1000000000; offset = 0; };\n"
                     "typealias integer { size = 64; align = 8; signed = false; "
                     "map = clock.monotonic.value; } := uint64_clock_monotonic_t;\n"
                   : "",
        with_clock ? "uint64_clock_monotonic_t timestamp;" : "",
        !with_ctx   ? ""
        : vpid_str ? "  event.context := struct { string _vpid; integer { size = 32; align = 8; "
                     "signed = 1; } _vtid; string _procname; };\n"
                   : "  event.context := struct { integer { size = 32; align = 8; signed = 1; } "
                     "_vpid; integer { size = 32; align = 8; signed = 1; } _vtid; string "
                     "_procname; };\n");
    for (int c = 0; c < ncls && len < cap - 4096; c++) {
        len += (size_t)snprintf(buf + len, cap - len,
                                "event { name = \"%s\"; id = %d; stream_id = 0; fields := struct {\n",
                                event_names[cls[c].name], c);
        uint32_t used = 0;
        for (int f = 0; f < cls[c].nfields; f++) {
            /* a field name twice in one struct is invalid CTF: suffix the repeats */
            int n = cls[c].fname[f], again = (used >> n) & 1;
            used |= 1u << n;
            char suffix[8] = "";
            if (again) {
                snprintf(suffix, sizeof(suffix), "_%d", f);
            }
            len += (size_t)snprintf(buf + len, cap - len, "  %s _%s%s;\n",
                                    type_decl[cls[c].ftype[f]], field_names[n], suffix);
        }
        len += (size_t)snprintf(buf + len, cap - len, "}; };\n");
    }
    if (write_file("metadata", buf, len) < 0) {
        abort();
    }

    /* the stream: one packet header, then the events */
    len = 0;
    uint32_t hdr[2] = {0xC1FC1FC1u, 0};
    uint64_t ts = 1000;
    put(&len, hdr, sizeof(hdr));
    while (pos < size) {
        int c = data[pos++] % ncls;
        uint32_t id = (uint32_t)c;
        put(&len, &id, 4);
        if (with_clock) {
            ts += 1000 + (pos < size ? data[pos] : 0);
            put(&len, &ts, 8);
        }
        if (with_ctx) {
            int32_t v = 42;
            if (vpid_str) {
                put(&len, "42", 3);
            } else {
                put(&len, &v, 4);
            }
            put(&len, &v, 4);
            put(&len, "prog", 5);
        }
        for (int f = 0; f < cls[c].nfields; f++) {
            int t = cls[c].ftype[f];
            if (t == T_STR) {
                size_t n = 0;
                while (pos + n < size && data[pos + n] != 0 && n < 24) {
                    n++;
                }
                put(&len, data + pos, n);
                put(&len, "", 1);
                pos += n + (pos + n < size && data[pos + n] == 0);
                continue;
            }
            uint8_t v[8] = {0};
            for (size_t k = 0; k < type_size[t] && pos < size; k++) {
                v[k] = data[pos++];
            }
            put(&len, v, type_size[t]);
        }
    }
    if (write_file("stream_0", buf, len) < 0) {
        abort();
    }

    struct reader *r = NULL;
    struct reader_opts o = {.verbose = 0, .ignore_version = ignore_version};
    const char *inputs[1] = {dir};
    char err[512];
    int rc = reader_open(&r, inputs, 1, &o, err, sizeof(err));
    nevents = 0;
    if (rc == 0) {
        rc = reader_run(r, on_event, NULL);
        snprintf(err, sizeof(err), "%s", reader_error(r));
        if (rc == -EPROTONOSUPPORT && strstr(reader_error(r), "version") == NULL) {
            __builtin_trap(); /* the refusal names the version */
        }
        reader_close(r);
    } else if (r != NULL) {
        __builtin_trap(); /* a failed open leaves nothing to close */
    }
    if (getenv("FUZZ_TRACE_VERBOSE") != NULL) { /* triage: what the reader said */
        fprintf(stderr, "fuzz_trace_version: rc=%d (%s) events=%d %s\n", rc, strerror(-rc),
                nevents, rc != 0 ? err : "");
    }
    if (rc != 0 && rc != -ENOENT && rc != -EINVAL && rc != -EIO && rc != -EPROTONOSUPPORT &&
        rc != -ENOMEM && rc != -EACCES) {
        __builtin_trap();
    }
    return 0;
}
