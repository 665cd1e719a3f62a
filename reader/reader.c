/*
 * reader.c — the babeltrace2 graph and the libloop event decoder (reader.h).
 *
 * Owns: discovery of trace directories under the inputs, the graph
 * (src.ctf.fs per trace UUID, its inputs the trace's directories (a rotated
 * trace's chunks), or src.ctf.lttng-live → utils.muxer → simple
 * sink), the per-event-class decoding cache, gap messages, and turning
 * libbabeltrace2 errors into one line. Ownership: the reader holds one
 * reference on the graph and the plugins; messages from the iterator are
 * ours and put after decoding; everything reached from a message is borrowed.
 */
#include "reader.h"
#include "reader_int.h"

#include <babeltrace2/babeltrace.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 16
#define MAX_FIELDS 24

/* ---------------------------------------------------------------------- */
/* Field table: payload member name → where it goes in struct event        */

enum dest {
    D_U8,
    D_U16,
    D_I32,
    D_U64, /* also int64_t members: same bits */
    D_STR,
};

struct field_map {
    const char *name;
    uint16_t offset;
    uint8_t dest;
};

#define FM(n, m, d) {n, (uint16_t)offsetof(struct event, m), d}
static const struct field_map field_maps[] = {
    FM("loop_id", loop_id, D_U64),
    FM("id", id, D_U64),
    FM("kind", kind, D_U8),
    FM("by_kind", kind, D_U8),
    FM("wait_kind", wait_kind, D_U8),
    FM("state", state, D_U8),
    FM("mode", mode, D_U8),
    FM("policy", policy, D_U8),
    FM("debug", debug, D_U8),
    FM("events", events, D_U8),
    FM("revents", revents, D_U8),
    FM("format_version", format_version, D_U16),
    FM("version_major", version_major, D_U16),
    FM("version_minor", version_minor, D_U16),
    FM("format_minor", format_minor, D_U16),
    FM("sync_kind", sync_kind, D_U8),
    FM("op", op, D_U8),
    FM("group_id", group_id, D_U64),
    FM("random_seed", random_seed, D_U64),
    FM("result", result, D_U64),
    FM("name", name, D_STR),
    FM("site_file", site.file, D_STR),
    FM("site_line", site.line, D_I32),
    FM("site_func", site.func, D_STR),
    FM("parent_task", parent_task, D_U64),
    FM("by_id", by_id, D_U64),
    FM("obj_id", obj_id, D_U64),
    FM("wait_task", wait_task, D_U64),
    FM("owner_task", wait_task, D_U64),
    FM("timeout_ns", timeout_ns, D_U64),
    FM("now_ns", now_ns, D_U64),
    FM("due_ns", due_ns, D_U64),
    FM("repeat_ns", repeat_ns, D_U64),
    FM("duration_ns", duration_ns, D_U64),
    FM("fd", fd, D_I32),
    FM("signum", signum, D_I32),
    FM("err", err, D_I32),
    FM("rc", rc, D_I32),
    FM("nready", nready, D_I32),
    FM("status", status, D_I32),
    FM("backtrace", backtrace, D_STR),
    FM("msg", msg, D_STR),
    FM("age_ns", age_ns, D_U64),
    FM("hflags", hflags, D_U8),
};
#undef FM

struct field_desc {
    uint16_t index;  /* member index in the payload structure */
    uint16_t offset; /* in struct event */
    uint8_t dest;
    uint8_t is_signed;
};

/* What we know about one event class: cached on first sight. */
struct ec_info {
    const bt_event_class *ec;
    enum ev_type type; /* EV_NONE: not ours */
    int has_clock;
    int nfields;
    struct field_desc f[MAX_FIELDS];
    int vpid_idx, vtid_idx, procname_idx; /* common context members, -1 if absent */
    uint32_t trace;
};

/* ---------------------------------------------------------------------- */
/* The reader                                                              */

/* The decoder: everything needed to turn messages into struct event. */
struct reader_decoder {
    struct reader_opts opts;

    /* event-class cache: open addressing on the class pointer */
    struct ec_info *ecs;
    size_t ec_cap, ec_len;

    /* trace index per trace: small linear map */
    const bt_trace *trace_keys[64];
    size_t ntrace_keys;

    reader_event_fn fn;
    void *arg;
    struct reader_stats stats;
    char err[1024];
};

struct reader {
    struct reader_opts opts;
    struct reader_decoder dec;
    char **paths; /* trace directories or live URLs, those of one trace together */
    size_t npaths, cap_paths;
    int live;

    /*
     * Traces: trace t is directories [tfirst[t], tfirst[t + 1]) (the chunks
     * of a rotated trace share its UUID), one src.ctf.fs each.
     */
    size_t *tfirst;
    size_t ntraces;
    int all_uuids; /* every trace has a UUID of its own (reader_par.c needs it) */

    bt_graph *graph;
    const bt_plugin *ctf, *utils;
    const bt_component_source **sources;

    int cb_rc;
    int stop;

    /* reader_par.c: a sub-reader's messages go to hook instead of the decoder */
    reader__msg_fn hook;
    void *hook_arg;
    size_t src_base;         /* its sources are named src<src_base + i> */
    struct reader_par *par;  /* the parent: workers decode, reader_run merges */

    char err[1024];

    /* repaired copies of traces with truncated stream files (removed at close) */
    char **shadows;
    size_t nshadows;
    char **notes;
    size_t nnotes;
};

static void set_err(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    for (p = r->err; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
}

static void dec_err(struct reader_decoder *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dec_err(struct reader_decoder *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
}

/*
 * The current thread's libbabeltrace2 error as text: the deepest cause
 * (the most specific message), trimmed to one line. Clears the error.
 */
static void bt_err_text(char *buf, size_t len)
{
    const bt_error *e = bt_current_thread_take_error();
    const char *msg = NULL;
    uint64_t n, i;
    char *p;

    buf[0] = '\0';
    if (e == NULL) {
        return;
    }
    n = bt_error_get_cause_count(e);
    /* Causes are appended as the error unwinds: index 0 is the root cause. */
    for (i = 0; i < n && msg == NULL; i++) {
        const bt_error_cause *c = bt_error_borrow_cause_by_index(e, i);
        const char *m = bt_error_cause_get_message(c);
        if (m != NULL && *m != '\0') {
            msg = m;
        }
    }
    if (msg != NULL) {
        snprintf(buf, len, "%s", msg);
    }
    bt_error_release(e);
    for (p = buf; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
    /* trim a trailing period/space for "...: cause" composition */
    for (p = buf + strlen(buf); p > buf && (p[-1] == ' ' || p[-1] == '.'); p--) {
        p[-1] = '\0';
    }
}

static int add_path(struct reader *r, const char *path)
{
    char *dup;

    if (r->npaths == r->cap_paths) {
        size_t cap = r->cap_paths ? r->cap_paths * 2 : 8;
        char **np = realloc(r->paths, cap * sizeof(*np));
        if (np == NULL) {
            return -ENOMEM;
        }
        r->paths = np;
        r->cap_paths = cap;
    }
    dup = strdup(path);
    if (dup == NULL) {
        return -ENOMEM;
    }
    r->paths[r->npaths++] = dup;
    return 0;
}

static int is_live_url(const char *s)
{
    return strncmp(s, "net://", 6) == 0 || strncmp(s, "net4://", 7) == 0 ||
           strncmp(s, "net6://", 7) == 0;
}

/* dir + "/" + name into buf; -ENAMETOOLONG when it does not fit. */
static int join_path(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);

    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Remove a shadow directory we made: its files and links, then itself. */
static void remove_tree(const char *dir)
{
    char path[4096];
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                join_path(path, sizeof path, dir, de->d_name) == 0) {
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}

/* The trace UUID from a CTF metadata file (packetized or text); -1 if none. */
static int metadata_uuid(const char *dir, uint8_t uuid[16])
{
    char path[4096];
    unsigned char buf[8192];
    const char *p;
    uint32_t magic;
    size_t n;
    int i, k;
    FILE *f;

    if (join_path(path, sizeof path, dir, "metadata") < 0) {
        return -1;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n >= 20) {
        memcpy(&magic, buf, 4);
        if (magic == 0x75D11D57u || magic == __builtin_bswap32(0x75D11D57u)) {
            memcpy(uuid, buf + 4, 16); /* the metadata packet header's: the trace's */
            return 0;
        }
    }
    /* Text metadata: the uuid of the trace block. */
    p = strstr((const char *)buf, "trace {");
    p = p != NULL ? strstr(p, "uuid") : NULL;
    if (p == NULL || (p = strchr(p, '"')) == NULL) {
        return -1;
    }
    for (p++, i = 0; i < 32 && *p != '"' && *p != '\0'; p++) {
        if (*p == '-') {
            continue;
        }
        if (*p >= '0' && *p <= '9') {
            k = *p - '0';
        } else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f') {
            k = (*p | 0x20) - 'a' + 10;
        } else {
            return -1;
        }
        uuid[i / 2] = (uint8_t)(i % 2 ? (uuid[i / 2] | k) : k << 4);
        i++;
    }
    return i == 32 ? 0 : -1;
}

/*
 * Group the discovered directories into traces by their UUID: the chunks
 * of a rotated trace (archives/CHUNK/ust/...) become one trace, read by
 * one src.ctf.fs whose inputs are all of them (babeltrace2 merges them).
 * Traces come in the order of their first directory, a trace's directories
 * in discovery order; a directory whose UUID cannot be read (or a path
 * given twice) is a trace of its own.
 */
static int group_traces(struct reader *r)
{
    size_t n = r->npaths, i, j, k = 0, t = 0;
    uint8_t(*u)[16] = calloc(n ? n : 1, sizeof(*u));
    int *has = calloc(n ? n : 1, sizeof(*has));
    char **order = calloc(n ? n : 1, sizeof(*order));
    unsigned char *done = calloc(n ? n : 1, 1);
    int rc = 0;

    r->tfirst = calloc(n + 1, sizeof(*r->tfirst));
    if (u == NULL || has == NULL || order == NULL || done == NULL || r->tfirst == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    r->all_uuids = 1;
    for (i = 0; i < n; i++) {
        has[i] = !r->live && metadata_uuid(r->paths[i], u[i]) == 0;
        if (!has[i]) {
            r->all_uuids = 0;
        }
    }
    for (i = 0; i < n; i++) {
        if (done[i]) {
            continue;
        }
        r->tfirst[t++] = k;
        order[k++] = r->paths[i];
        done[i] = 1;
        for (j = i + 1; has[i] && j < n; j++) {
            if (done[j] || !has[j] || memcmp(u[i], u[j], 16) != 0) {
                continue;
            }
            if (strcmp(r->paths[i], r->paths[j]) == 0) {
                r->all_uuids = 0; /* two traces with one UUID: only one graph orders them */
                continue;
            }
            order[k++] = r->paths[j];
            done[j] = 1;
        }
    }
    r->tfirst[t] = n;
    r->ntraces = t;
    memcpy(r->paths, order, n * sizeof(*order));
out:
    free(u);
    free(has);
    free(order);
    free(done);
    return rc;
}

/* Every directory at or below dir that holds a regular file named metadata. */
static int discover(struct reader *r, const char *dir, int depth)
{
    char sub[4096];
    struct stat st;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (depth > MAX_DEPTH) {
        return 0;
    }
    d = opendir(dir);
    if (d == NULL) {
        rc = -errno;
        set_err(r, "%s: %s", dir, strerror(errno));
        return rc;
    }
    snprintf(sub, sizeof sub, "%s/metadata", dir);
    if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
        rc = add_path(r, dir);
        closedir(d);
        return rc; /* a trace directory: its subdirectories (index/) are its own */
    }
    /* Collect, sort, recurse: a stable order of traces. */
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof(*nn));
            if (nn == NULL) {
                rc = -ENOMEM;
                goto out;
            }
            names = nn;
            cap = nc;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        n++;
    }
    if (n > 1) {
        qsort(names, n, sizeof(*names), strcmp_ptr);
    }
    for (i = 0; i < n && rc == 0; i++) {
        if (join_path(sub, sizeof sub, dir, names[i]) < 0) {
            continue;
        }
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = discover(r, sub, depth + 1);
        }
    }
out:
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    closedir(d);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Decoding                                                                */

static enum ev_type type_of_name(const char *name)
{
    int t;

    if (name == NULL || strncmp(name, "libloop:", 8) != 0) {
        return EV_NONE;
    }
    name += 8;
    for (t = 1; t < EV_DISCARDED; t++) {
        if (strcmp(ev_type_name(t), name) == 0) {
            return (enum ev_type)t;
        }
    }
    return EV_NONE;
}

static int member_index(const bt_field_class *sfc, const char *name)
{
    uint64_t n, i;

    if (sfc == NULL || bt_field_class_get_type(sfc) != BT_FIELD_CLASS_TYPE_STRUCTURE) {
        return -1;
    }
    n = bt_field_class_structure_get_member_count(sfc);
    for (i = 0; i < n; i++) {
        const bt_field_class_structure_member *m =
            bt_field_class_structure_borrow_member_by_index_const(sfc, i);
        if (strcmp(bt_field_class_structure_member_get_name(m), name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static uint32_t trace_index(struct reader_decoder *r, const bt_trace *t)
{
    size_t i;

    for (i = 0; i < r->ntrace_keys; i++) {
        if (r->trace_keys[i] == t) {
            return (uint32_t)i;
        }
    }
    if (r->ntrace_keys < sizeof r->trace_keys / sizeof r->trace_keys[0]) {
        r->trace_keys[r->ntrace_keys] = t;
        return (uint32_t)r->ntrace_keys++;
    }
    return (uint32_t)r->ntrace_keys;
}

static void ec_fill(struct reader_decoder *r, struct ec_info *info, const bt_event *event)
{
    const bt_event_class *ec = info->ec;
    const bt_stream_class *sc = bt_event_class_borrow_stream_class_const(ec);
    const bt_field_class *pfc = bt_event_class_borrow_payload_field_class_const(ec);
    const bt_field_class *cfc = bt_stream_class_borrow_event_common_context_field_class_const(sc);
    uint64_t n, i;
    size_t k;

    info->type = type_of_name(bt_event_class_get_name(ec));
    info->has_clock = bt_stream_class_borrow_default_clock_class_const(sc) != NULL;
    info->vpid_idx = member_index(cfc, "vpid");
    info->vtid_idx = member_index(cfc, "vtid");
    info->procname_idx = member_index(cfc, "procname");
    info->trace = trace_index(r, bt_stream_borrow_trace_const(bt_event_borrow_stream_const(event)));
    info->nfields = 0;
    if (info->type == EV_NONE || pfc == NULL ||
        bt_field_class_get_type(pfc) != BT_FIELD_CLASS_TYPE_STRUCTURE) {
        return;
    }
    n = bt_field_class_structure_get_member_count(pfc);
    for (i = 0; i < n && info->nfields < MAX_FIELDS; i++) {
        const bt_field_class_structure_member *m =
            bt_field_class_structure_borrow_member_by_index_const(pfc, i);
        const char *mname = bt_field_class_structure_member_get_name(m);
        const bt_field_class *mfc = bt_field_class_structure_member_borrow_field_class_const(m);
        bt_field_class_type ft = bt_field_class_get_type(mfc);
        int is_int = bt_field_class_type_is(ft, BT_FIELD_CLASS_TYPE_INTEGER);
        int is_str = ft == BT_FIELD_CLASS_TYPE_STRING;

        for (k = 0; k < sizeof field_maps / sizeof field_maps[0]; k++) {
            const struct field_map *fm = &field_maps[k];
            if (strcmp(fm->name, mname) != 0) {
                continue;
            }
            /* a retyped field (string where we want a number...) is skipped */
            if ((fm->dest == D_STR) != is_str || (fm->dest != D_STR && !is_int)) {
                break;
            }
            info->f[info->nfields].index = (uint16_t)i;
            info->f[info->nfields].offset = fm->offset;
            info->f[info->nfields].dest = fm->dest;
            info->f[info->nfields].is_signed =
                bt_field_class_type_is(ft, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
            info->nfields++;
            break;
        }
    }
}

static struct ec_info *ec_lookup(struct reader_decoder *r, const bt_event *event)
{
    const bt_event_class *ec = bt_event_borrow_class_const(event);
    size_t h, i;

    if (r->ec_len * 2 >= r->ec_cap) {
        size_t ncap = r->ec_cap ? r->ec_cap * 2 : 64;
        struct ec_info *n = calloc(ncap, sizeof(*n));
        if (n == NULL) {
            return NULL;
        }
        for (i = 0; i < r->ec_cap; i++) {
            if (r->ecs[i].ec != NULL) {
                h = ((uintptr_t)r->ecs[i].ec >> 4) & (ncap - 1);
                while (n[h].ec != NULL) {
                    h = (h + 1) & (ncap - 1);
                }
                n[h] = r->ecs[i];
            }
        }
        free(r->ecs);
        r->ecs = n;
        r->ec_cap = ncap;
    }
    h = ((uintptr_t)ec >> 4) & (r->ec_cap - 1);
    while (r->ecs[h].ec != NULL) {
        if (r->ecs[h].ec == ec) {
            return &r->ecs[h];
        }
        h = (h + 1) & (r->ec_cap - 1);
    }
    r->ecs[h].ec = ec;
    r->ec_len++;
    ec_fill(r, &r->ecs[h], event);
    return &r->ecs[h];
}

static int64_t int_field(const bt_field *f, int *ok)
{
    bt_field_class_type t;

    *ok = 0;
    if (f == NULL) {
        return 0;
    }
    t = bt_field_get_class_type(f);
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER)) {
        *ok = 1;
        return bt_field_integer_signed_get_value(f);
    }
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER)) {
        *ok = 1;
        return (int64_t)bt_field_integer_unsigned_get_value(f);
    }
    return 0;
}

static const struct event ev_template = {
    .vpid = -1,
    .vtid = -1,
    .procname = "",
    .name = "",
    .site = {"", "", 0},
    .timeout_ns = -1,
    .fd = -1,
    .backtrace = "",
    .msg = "",
};

static uint64_t snapshot_ns(const bt_clock_snapshot *cs)
{
    int64_t ns = 0;

    if (cs == NULL || bt_clock_snapshot_get_ns_from_origin(cs, &ns) !=
                          BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK) {
        return 0;
    }
    return ns < 0 ? 0 : (uint64_t)ns;
}

static int check_version(struct reader_decoder *r, const struct event *ev)
{
    if (ev->format_version > r->stats.max_format_version) {
        r->stats.max_format_version = ev->format_version;
    }
    if (r->opts.ignore_version ||
        (ev->format_version >= 1 && ev->format_version <= READER_FORMAT_VERSION)) {
        return 0;
    }
    dec_err(r,
            "unknown libloop trace-format version %u (loop %llu of pid %lld); this reader knows "
            "version %d",
            ev->format_version, (unsigned long long)ev->loop_id, (long long)ev->vpid,
            READER_FORMAT_VERSION);
    return -EPROTONOSUPPORT;
}

static int on_event_msg(struct reader_decoder *r, const bt_message *msg)
{
    const bt_event *event = bt_message_event_borrow_event_const(msg);
    struct ec_info *info = ec_lookup(r, event);
    const bt_field *payload, *ctx;
    struct event ev;
    int i, ok;

    if (info == NULL) {
        dec_err(r, "out of memory");
        return -ENOMEM;
    }
    r->stats.events++;
    if (info->type == EV_NONE) {
        r->stats.other_events++;
        return 0;
    }
    ev = ev_template;
    ev.type = info->type;
    ev.trace = info->trace;
    if (info->has_clock) {
        ev.ts_ns = snapshot_ns(bt_message_event_borrow_default_clock_snapshot_const(msg));
    }
    ctx = bt_event_borrow_common_context_field_const(event);
    if (ctx != NULL) {
        if (info->vpid_idx >= 0) {
            int64_t v = int_field(
                bt_field_structure_borrow_member_field_by_index_const(ctx, (uint64_t)info->vpid_idx),
                &ok);
            if (ok) {
                ev.vpid = v;
            }
        }
        if (info->vtid_idx >= 0) {
            int64_t v = int_field(
                bt_field_structure_borrow_member_field_by_index_const(ctx, (uint64_t)info->vtid_idx),
                &ok);
            if (ok) {
                ev.vtid = v;
            }
        }
        if (info->procname_idx >= 0) {
            const bt_field *f = bt_field_structure_borrow_member_field_by_index_const(
                ctx, (uint64_t)info->procname_idx);
            if (f != NULL && bt_field_get_class_type(f) == BT_FIELD_CLASS_TYPE_STRING) {
                ev.procname = bt_field_string_get_value(f);
            }
        }
    }
    payload = bt_event_borrow_payload_field_const(event);
    for (i = 0; payload != NULL && i < info->nfields; i++) {
        const struct field_desc *d = &info->f[i];
        const bt_field *f = bt_field_structure_borrow_member_field_by_index_const(payload, d->index);
        char *dst = (char *)&ev + d->offset;
        uint64_t v;

        if (d->dest == D_STR) {
            const char *s = bt_field_string_get_value(f);
            *(const char **)(void *)dst = s != NULL ? s : "";
            continue;
        }
        v = d->is_signed ? (uint64_t)bt_field_integer_signed_get_value(f)
                         : bt_field_integer_unsigned_get_value(f);
        switch (d->dest) {
        case D_U8:
            *(uint8_t *)dst = (uint8_t)v;
            break;
        case D_U16:
            *(uint16_t *)(void *)dst = (uint16_t)v;
            break;
        case D_I32:
            *(int32_t *)(void *)dst = (int32_t)v;
            break;
        default:
            *(uint64_t *)(void *)dst = v;
            break;
        }
    }
    if (ev.type == EV_LOOP_NEW || ev.type == EV_SNAPSHOT_BEGIN) {
        int rc = check_version(r, &ev);
        if (rc < 0) {
            return rc;
        }
    }
    if (r->stats.libloop_events == 0 || ev.ts_ns < r->stats.first_ts_ns) {
        r->stats.first_ts_ns = ev.ts_ns;
    }
    if (ev.ts_ns > r->stats.last_ts_ns) {
        r->stats.last_ts_ns = ev.ts_ns;
    }
    r->stats.libloop_events++;
    return r->fn(&ev, r->arg);
}

static int on_gap_msg(struct reader_decoder *r, const bt_message *msg, int packets)
{
    struct event ev = ev_template;
    const bt_stream *stream;
    const bt_stream_class *sc;
    uint64_t count = 0;
    int have_cs;

    if (packets) {
        stream = bt_message_discarded_packets_borrow_stream_const(msg);
        sc = bt_stream_borrow_class_const(stream);
        have_cs = bt_stream_class_discarded_packets_have_default_clock_snapshots(sc);
        if (bt_message_discarded_packets_get_count(msg, &count) != BT_PROPERTY_AVAILABILITY_AVAILABLE) {
            count = 0;
        }
        if (have_cs) {
            ev.gap_begin_ns = snapshot_ns(
                bt_message_discarded_packets_borrow_beginning_default_clock_snapshot_const(msg));
            ev.gap_end_ns = snapshot_ns(
                bt_message_discarded_packets_borrow_end_default_clock_snapshot_const(msg));
        }
        r->stats.discarded_packets += count ? count : 1;
    } else {
        stream = bt_message_discarded_events_borrow_stream_const(msg);
        sc = bt_stream_borrow_class_const(stream);
        have_cs = bt_stream_class_discarded_events_have_default_clock_snapshots(sc);
        if (bt_message_discarded_events_get_count(msg, &count) != BT_PROPERTY_AVAILABILITY_AVAILABLE) {
            count = 0;
        }
        if (have_cs) {
            ev.gap_begin_ns = snapshot_ns(
                bt_message_discarded_events_borrow_beginning_default_clock_snapshot_const(msg));
            ev.gap_end_ns = snapshot_ns(
                bt_message_discarded_events_borrow_end_default_clock_snapshot_const(msg));
        }
        r->stats.discarded_events += count;
    }
    ev.type = EV_DISCARDED;
    ev.packets = (uint8_t)packets;
    ev.count = count;
    ev.ts_ns = ev.gap_end_ns;
    ev.trace = trace_index(r, bt_stream_borrow_trace_const(stream));
    return r->fn(&ev, r->arg);
}

static int on_message(struct reader_decoder *r, const bt_message *msg)
{
    struct event ev;

    switch (bt_message_get_type(msg)) {
    case BT_MESSAGE_TYPE_EVENT:
        return on_event_msg(r, msg);
    case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
        return on_gap_msg(r, msg, 0);
    case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
        return on_gap_msg(r, msg, 1);
    case BT_MESSAGE_TYPE_MESSAGE_ITERATOR_INACTIVITY:
        ev = ev_template;
        ev.type = EV_TICK;
        ev.ts_ns = snapshot_ns(bt_message_message_iterator_inactivity_borrow_clock_snapshot_const(msg));
        return r->fn(&ev, r->arg);
    default:
        /* stream and packet beginnings/ends: no per-stream state to flush */
        return 0;
    }
}

static bt_graph_simple_sink_component_initialize_func_status sink_init(bt_message_iterator *it,
                                                                       void *data)
{
    (void)it;
    (void)data;
    return BT_GRAPH_SIMPLE_SINK_COMPONENT_INITIALIZE_FUNC_STATUS_OK;
}

static bt_graph_simple_sink_component_consume_func_status sink_consume(bt_message_iterator *it,
                                                                       void *data)
{
    struct reader *r = data;
    bt_message_array_const msgs;
    uint64_t count = 0, i;
    int rc = 0;

    switch (bt_message_iterator_next(it, &msgs, &count)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
        break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
    default:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
    for (i = 0; i < count; i++) {
        if (rc == 0) {
            rc = r->hook != NULL ? r->hook(msgs[i], r->hook_arg) : on_message(&r->dec, msgs[i]);
        }
        bt_message_put_ref(msgs[i]);
    }
    if (rc < 0) {
        r->cb_rc = rc;
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
    return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

/* ---------------------------------------------------------------------- */
/* Truncated stream files                                                  */

/*
 * A stream file cut mid-packet (a crashed consumer, a copy interrupted, a
 * file truncated by hand) makes src.ctf.fs refuse the whole trace. The repair:
 * a shadow directory holding links to the metadata and the intact stream
 * files, and a copy of each truncated one cut at its last complete packet.
 * Packet sizes come from the LTTng index (index/NAME.idx, big-endian
 * ctf_packet_index entries) or, without one, from LTTng's packet header
 * layout (magic at 0, packet_size in bits at byte 56, native order).
 */
#define CTF_PACKET_MAGIC 0xC1FC1FC1u
#define CTF_INDEX_MAGIC 0xC1F1DCC1u

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Bytes of complete packets at the start of the stream file, per its index; -1 if unusable. */
static int64_t complete_by_index(const char *dir, const char *name, uint64_t fsize)
{
    char path[4096];
    unsigned char hdr[16], ent[256];
    uint64_t good = 0;
    uint32_t len;
    FILE *f;

    snprintf(path, sizeof path, "%s/index/%s.idx", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr || be32(hdr) != CTF_INDEX_MAGIC) {
        fclose(f);
        return -1;
    }
    len = be32(hdr + 12);
    if (len < 16 || len > sizeof ent) {
        fclose(f);
        return -1;
    }
    while (fread(ent, 1, len, f) == len) {
        uint64_t off = be64(ent), size = be64(ent + 8) / 8;
        if (off != good || size == 0 || off + size > fsize) {
            break;
        }
        good = off + size;
    }
    fclose(f);
    return (int64_t)good;
}

/* Bytes of complete packets, walking LTTng packet headers. */
static int64_t complete_by_headers(const char *path, uint64_t fsize)
{
    unsigned char h[64];
    uint64_t off = 0;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        return -1;
    }
    while (off + sizeof h <= fsize) {
        uint32_t magic;
        uint64_t bits;
        if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(h, 1, sizeof h, f) != sizeof h) {
            break;
        }
        memcpy(&magic, h, 4);
        memcpy(&bits, h + 56, 8);
        if (magic != CTF_PACKET_MAGIC || bits == 0 || bits % 8 != 0 || off + bits / 8 > fsize) {
            break;
        }
        off += bits / 8;
    }
    fclose(f);
    return (int64_t)off;
}

static int copy_prefix(const char *from, const char *to, uint64_t len)
{
    char buf[65536];
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = 0;

    if (in == NULL || out == NULL) {
        rc = -errno;
    }
    while (rc == 0 && len > 0) {
        size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
        size_t got = fread(buf, 1, want, in);
        if (got == 0 || fwrite(buf, 1, got, out) != got) {
            rc = -EIO;
            break;
        }
        len -= got;
    }
    if (in != NULL) {
        fclose(in);
    }
    if (out != NULL && fclose(out) != 0 && rc == 0) {
        rc = -EIO;
    }
    return rc;
}

static int add_note(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_note(struct reader *r, const char *fmt, ...)
{
    char buf[1024], **n;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    n = realloc(r->notes, (r->nnotes + 1) * sizeof(*n));
    if (n == NULL) {
        return -ENOMEM;
    }
    r->notes = n;
    r->notes[r->nnotes] = strdup(buf);
    if (r->notes[r->nnotes] == NULL) {
        return -ENOMEM;
    }
    r->nnotes++;
    return 0;
}

/*
 * Make a shadow of trace directory dir with truncated stream files cut at
 * their last complete packet. 0 and *shadow (malloc'd) when something was
 * repaired, -ENOENT when nothing was truncated, other negative errno on failure.
 */
static int repair_trace(struct reader *r, const char *dir, char **shadow)
{
    char tmpl[4096], from[4096], to[4096];
    const char *tmpdir = getenv("TMPDIR");
    DIR *d;
    struct dirent *de;
    int repaired = 0, rc = 0;

    *shadow = NULL;
    snprintf(tmpl, sizeof tmpl, "%s/loop-analyze-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (mkdtemp(tmpl) == NULL) {
        return -errno;
    }
    d = opendir(dir);
    if (d == NULL) {
        rc = -errno;
        goto fail;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        int64_t good;

        if (de->d_name[0] == '.' || strcmp(de->d_name, "index") == 0) {
            continue;
        }
        if (join_path(from, sizeof from, dir, de->d_name) < 0) {
            continue;
        }
        if (join_path(to, sizeof to, tmpl, de->d_name) < 0) {
            continue;
        }
        if (stat(from, &st) < 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (strcmp(de->d_name, "metadata") == 0) {
            good = st.st_size;
        } else {
            good = complete_by_index(dir, de->d_name, (uint64_t)st.st_size);
            if (good < 0) {
                good = complete_by_headers(from, (uint64_t)st.st_size);
            }
        }
        if (good >= 0 && good < st.st_size) {
            rc = copy_prefix(from, to, (uint64_t)good);
            if (rc == 0) {
                repaired++;
                rc = add_note(r,
                              "%s: stream file %s is truncated mid-packet: read its first %lld of "
                              "%lld bytes (its complete packets)",
                              dir, de->d_name, (long long)good, (long long)st.st_size);
            }
        } else if (symlink(from, to) < 0) {
            rc = -errno;
        }
    }
    closedir(d);
    if (rc == 0 && repaired == 0) {
        rc = -ENOENT;
    }
    if (rc < 0) {
        goto fail;
    }
    *shadow = strdup(tmpl);
    if (*shadow == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    return 0;
fail:
    remove_tree(tmpl);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Graph                                                                   */

static int find_plugins(struct reader *r)
{
    char cause[512];

    if (r->ctf != NULL && r->utils != NULL) {
        return 0; /* a sub-reader: its parent's plugins */
    }
    if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &r->ctf) !=
            BT_PLUGIN_FIND_STATUS_OK ||
        bt_plugin_find("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &r->utils) !=
            BT_PLUGIN_FIND_STATUS_OK) {
        bt_err_text(cause, sizeof cause);
        set_err(r, "babeltrace2 plugins ctf and utils not found%s%s (package babeltrace2)",
                cause[0] ? ": " : "", cause);
        return -ENOENT;
    }
    return 0;
}

/* {inputs: [paths...]} (+ session-not-found-action=end for live); NULL on ENOMEM. */
static bt_value *source_params(char *const *paths, size_t n, int live)
{
    bt_value *params = bt_value_map_create();
    bt_value *inputs = bt_value_array_create();
    size_t i;
    int ok = params != NULL && inputs != NULL;

    for (i = 0; i < n && ok; i++) {
        ok = bt_value_array_append_string_element(inputs, paths[i]) ==
             BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK;
    }
    ok = ok &&
             bt_value_map_insert_entry(params, "inputs", inputs) ==
                 BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK &&
             (!live || bt_value_map_insert_string_entry(params, "session-not-found-action", "end") ==
                           BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK);

    bt_value_put_ref(inputs);
    if (!ok) {
        bt_value_put_ref(params);
        return NULL;
    }
    return params;
}

/* Keep a shadow directory to remove at close. */
static int keep_shadow(struct reader *r, char *shadow)
{
    char **ns = realloc(r->shadows, (r->nshadows + 1) * sizeof(*ns));

    if (ns == NULL) {
        remove_tree(shadow);
        free(shadow);
        return -ENOMEM;
    }
    r->shadows = ns;
    r->shadows[r->nshadows++] = shadow;
    return 0;
}

/* Add the source of trace i. -EINVAL with the message set when babeltrace2 refuses it. */
static int add_source(struct reader *r, size_t i, bt_logging_level level)
{
    size_t first = r->tfirst[i], n = r->tfirst[i + 1] - first;
    const char *path = r->paths[first];
    char more[64] = "";
    const bt_component_class_source *cls;
    bt_value *params;
    char name[48], cause[512];
    bt_graph_add_component_status st;

    cls = bt_plugin_borrow_source_component_class_by_name_const(r->ctf,
                                                               r->live ? "lttng-live" : "fs");
    if (cls == NULL) {
        set_err(r, "babeltrace2 has no source.ctf.%s component class", r->live ? "lttng-live" : "fs");
        return -ENOENT;
    }
    params = source_params(r->paths + first, n, r->live);
    if (params == NULL) {
        set_err(r, "out of memory");
        return -ENOMEM;
    }
    snprintf(name, sizeof name, "src%zu", r->src_base + i);
    st = bt_graph_add_source_component(r->graph, cls, name, params, level, &r->sources[i]);
    bt_value_put_ref(params);
    if (st == BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        return 0;
    }
    bt_err_text(cause, sizeof cause);
    if (n > 1) {
        snprintf(more, sizeof more, " (and %zu more chunk%s of that trace)", n - 1, n > 2 ? "s" : "");
    }
    if (r->live) {
        set_err(r, "%s: cannot read this lttng-live session%s%s", path, cause[0] ? ": " : "", cause);
    } else {
        set_err(r, "%s%s: not a readable CTF trace%s%s", path, more, cause[0] ? ": " : "", cause);
    }
    return -EINVAL;
}

static int connect_ports(struct reader *r, const bt_port_output *out, const bt_port_input *in)
{
    char cause[512];

    if (bt_graph_connect_ports(r->graph, out, in, NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
        bt_err_text(cause, sizeof cause);
        set_err(r, "cannot connect babeltrace2 ports: %s", cause);
        return -EINVAL;
    }
    return 0;
}

static int build_graph(struct reader *r, size_t *failed)
{
    bt_logging_level level = r->opts.verbose ? BT_LOGGING_LEVEL_WARNING : BT_LOGGING_LEVEL_NONE;
    const bt_component_class_filter *mux_cls;
    const bt_component_filter *mux = NULL;
    const bt_component_sink *sink = NULL;
    size_t i;
    uint64_t p, np;
    int rc;

    rc = find_plugins(r);
    if (rc < 0) {
        return rc;
    }
    r->graph = bt_graph_create(0);
    r->sources = calloc(r->ntraces, sizeof(*r->sources));
    if (r->graph == NULL || r->sources == NULL) {
        set_err(r, "out of memory");
        return -ENOMEM;
    }
    for (i = 0; i < r->ntraces; i++) {
        rc = add_source(r, i, level);
        if (rc < 0) {
            *failed = i;
            return rc;
        }
    }
    mux_cls = bt_plugin_borrow_filter_component_class_by_name_const(r->utils, "muxer");
    if (mux_cls == NULL ||
        bt_graph_add_filter_component(r->graph, mux_cls, "muxer", NULL, level, &mux) !=
            BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        set_err(r, "cannot create the babeltrace2 filter.utils.muxer component");
        return -EINVAL;
    }
    if (bt_graph_add_simple_sink_component(r->graph, "loop-sink", sink_init, sink_consume, NULL, r,
                                           &sink) != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        set_err(r, "cannot create the babeltrace2 sink component");
        return -EINVAL;
    }
    /* Each source output port to the muxer's next free input port. */
    for (i = 0; i < r->ntraces; i++) {
        np = bt_component_source_get_output_port_count(r->sources[i]);
        for (p = 0; p < np; p++) {
            uint64_t nin = bt_component_filter_get_input_port_count(mux);
            const bt_port_input *in = bt_component_filter_borrow_input_port_by_index_const(mux, nin - 1);
            rc = connect_ports(r, bt_component_source_borrow_output_port_by_index_const(r->sources[i], p),
                               in);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return connect_ports(r, bt_component_filter_borrow_output_port_by_index_const(mux, 0),
                         bt_component_sink_borrow_input_port_by_index_const(sink, 0));
}

/* A failed graph is faulty: drop it before building another. */
static void drop_graph(struct reader *r)
{
    bt_graph_put_ref(r->graph);
    r->graph = NULL;
    free(r->sources);
    r->sources = NULL;
}

/*
 * Build the graph; when babeltrace2 refuses a trace because a stream file
 * of one of its directories is truncated, read a repaired shadow of each
 * such directory instead.
 */
static int open_graph(struct reader *r)
{
    size_t failed = (size_t)-1, d;
    char *shadow;
    char saved[sizeof r->err];
    int rc, repaired;

    for (;;) {
        rc = build_graph(r, &failed);
        if (rc != -EINVAL || failed >= r->ntraces || r->live) {
            return rc;
        }
        memcpy(saved, r->err, sizeof saved);
        drop_graph(r);
        repaired = 0;
        for (d = r->tfirst[failed]; d < r->tfirst[failed + 1]; d++) {
            if (repair_trace(r, r->paths[d], &shadow) < 0) {
                continue;
            }
            rc = keep_shadow(r, shadow);
            if (rc < 0) {
                return rc;
            }
            free(r->paths[d]);
            r->paths[d] = strdup(shadow);
            if (r->paths[d] == NULL) {
                return -ENOMEM;
            }
            repaired++;
        }
        if (repaired == 0) {
            memcpy(r->err, saved, sizeof saved);
            return -EINVAL;
        }
        r->dec.stats.truncated = 1;
        r->err[0] = '\0';
        failed = (size_t)-1;
    }
}

/* ---------------------------------------------------------------------- */
/* API                                                                     */

int reader_open(struct reader **out, const char *const *inputs, size_t n,
                const struct reader_opts *opts, char *errbuf, size_t errlen)
{
    struct reader *r;
    struct stat st;
    size_t i, before;
    int rc = 0;

    *out = NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        if (errbuf != NULL && errlen > 0) {
            snprintf(errbuf, errlen, "out of memory");
        }
        return -ENOMEM;
    }
    if (opts != NULL) {
        r->opts = *opts;
        r->dec.opts = *opts;
    }
    if (n == 0) {
        set_err(r, "no trace given");
        rc = -EINVAL;
        goto fail;
    }
    for (i = 0; i < n; i++) {
        if (is_live_url(inputs[i])) {
            r->live = 1;
        }
    }
    if (r->live && n > 1) {
        set_err(r, "an lttng-live URL must be the only input");
        rc = -EINVAL;
        goto fail;
    }
    for (i = 0; i < n && rc == 0; i++) {
        const char *in = inputs[i];
        if (r->live) {
            rc = add_path(r, in);
            continue;
        }
        if (stat(in, &st) < 0) {
            rc = -errno;
            set_err(r, "%s: %s", in, strerror(errno));
            goto fail;
        }
        before = r->npaths;
        if (S_ISREG(st.st_mode)) {
            /* a metadata file (or a stream file) names its trace directory */
            char dir[4096], *slash;
            snprintf(dir, sizeof dir, "%s", in);
            slash = strrchr(dir, '/');
            if (slash == NULL) {
                snprintf(dir, sizeof dir, ".");
            } else {
                *slash = '\0';
            }
            rc = discover(r, dir[0] ? dir : "/", MAX_DEPTH);
        } else if (S_ISDIR(st.st_mode)) {
            rc = discover(r, in, 0);
        } else {
            set_err(r, "%s: not a directory", in);
            rc = -EINVAL;
        }
        if (rc == 0 && r->npaths == before) {
            set_err(r, "%s: no CTF trace here (no directory below it holds a metadata file)", in);
            rc = -ENOENT;
        }
    }
    if (rc < 0) {
        goto fail;
    }
    rc = group_traces(r);
    if (rc < 0) {
        set_err(r, "out of memory");
        goto fail;
    }
    r->dec.stats.traces = (uint32_t)r->ntraces;
    if (!r->live && r->ntraces > 1 && r->opts.jobs > 1) {
        rc = reader__par_open(r, &r->opts, &r->par); /* 1: read them in one graph */
        if (rc < 0) {
            goto fail;
        }
        if (rc == 0) {
            *out = r;
            return 0;
        }
    }
    rc = open_graph(r);
    if (rc < 0) {
        goto fail;
    }
    *out = r;
    return 0;
fail:
    if (errbuf != NULL && errlen > 0) {
        snprintf(errbuf, errlen, "%s", r->err[0] ? r->err : strerror(-rc));
    }
    reader_close(r);
    return rc;
}

int reader_run(struct reader *r, reader_event_fn fn, void *arg)
{
    char cause[512];
    bt_graph_run_status st;

    if (r->par != NULL) {
        return reader__par_run(r->par, fn, arg);
    }
    r->dec.fn = fn;
    r->dec.arg = arg;
    r->cb_rc = 0;
    for (;;) {
        st = bt_graph_run(r->graph);
        if (st == BT_GRAPH_RUN_STATUS_OK) {
            return 0;
        }
        if (st == BT_GRAPH_RUN_STATUS_AGAIN) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (r->cb_rc < 0) {
            bt_current_thread_clear_error();
            if (r->dec.err[0] != '\0') {
                memcpy(r->err, r->dec.err, sizeof r->err);
            }
            if (r->err[0] == '\0') {
                set_err(r, "stopped: %s", strerror(-r->cb_rc));
            }
            return r->cb_rc;
        }
        bt_err_text(cause, sizeof cause);
        if (st == BT_GRAPH_RUN_STATUS_MEMORY_ERROR) {
            set_err(r, "out of memory while reading the trace");
            return -ENOMEM;
        }
        if (r->dec.stats.libloop_events == 0 && r->dec.stats.events == 0) {
            set_err(r, "%s: cannot read the trace%s%s", r->paths[0], cause[0] ? ": " : "", cause);
            return -EINVAL;
        }
        r->dec.stats.truncated = 1;
        set_err(r, "reading stopped after %llu events (truncated or corrupt stream)%s%s",
                (unsigned long long)r->dec.stats.events, cause[0] ? ": " : "", cause);
        return -EIO;
    }
}

const char *reader_error(const struct reader *r)
{
    return r->err;
}

const struct reader_stats *reader_stats(const struct reader *r)
{
    return &r->dec.stats;
}

size_t reader_trace_count(const struct reader *r)
{
    return r->npaths;
}

const char *reader_trace_path(const struct reader *r, size_t i)
{
    return i < r->npaths ? r->paths[i] : NULL;
}

int reader_threads(const struct reader *r)
{
    return r->par != NULL ? reader__par_threads(r->par) : 1;
}

size_t reader_note_count(const struct reader *r)
{
    return r->nnotes;
}

const char *reader_note(const struct reader *r, size_t i)
{
    return i < r->nnotes ? r->notes[i] : NULL;
}

void reader_close(struct reader *r)
{
    size_t i;

    if (r == NULL) {
        return;
    }
    if (r->par != NULL) {
        reader__par_free(r->par); /* joins its threads, closes the sub-readers */
    }
    bt_graph_put_ref(r->graph); /* puts the components it holds */
    bt_plugin_put_ref(r->ctf);
    bt_plugin_put_ref(r->utils);
    for (i = 0; i < r->npaths; i++) {
        free(r->paths[i]);
    }
    free(r->paths);
    free(r->tfirst);
    for (i = 0; i < r->nshadows; i++) {
        remove_tree(r->shadows[i]);
        free(r->shadows[i]);
    }
    free(r->shadows);
    for (i = 0; i < r->nnotes; i++) {
        free(r->notes[i]);
    }
    free(r->notes);
    free(r->sources);
    free(r->dec.ecs);
    free(r);
}

/* ---------------------------------------------------------------------- */
/* The decoder alone (reader.h)                                            */

struct reader_decoder *reader_decoder_new(const struct reader_opts *opts)
{
    struct reader_decoder *d = calloc(1, sizeof(*d));

    if (d != NULL && opts != NULL) {
        d->opts = *opts;
    }
    return d;
}

int reader_decode(struct reader_decoder *d, const struct bt_message *msg, reader_event_fn fn, void *arg)
{
    d->fn = fn;
    d->arg = arg;
    return on_message(d, msg);
}

const struct reader_stats *reader_decoder_stats(const struct reader_decoder *d)
{
    return &d->stats;
}

const char *reader_decoder_error(const struct reader_decoder *d)
{
    return d->err;
}

void reader_decoder_free(struct reader_decoder *d)
{
    if (d != NULL) {
        free(d->ecs);
        free(d);
    }
}

/* ---------------------------------------------------------------------- */
/* Sub-readers, for reader_par.c (reader_int.h)                            */

int reader__sub_open(struct reader *parent, size_t first, size_t n, struct reader **out)
{
    size_t d0 = parent->tfirst[first], nd = parent->tfirst[first + n] - d0;
    struct reader *r;
    size_t i;
    int rc;

    *out = NULL;
    rc = find_plugins(parent);
    if (rc < 0) {
        return rc;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        set_err(parent, "out of memory");
        return -ENOMEM;
    }
    r->opts = parent->opts;
    r->dec.opts = parent->opts;
    r->src_base = first;
    r->ctf = parent->ctf;
    r->utils = parent->utils;
    bt_plugin_get_ref(r->ctf);
    bt_plugin_get_ref(r->utils);
    r->all_uuids = parent->all_uuids;
    r->ntraces = n;
    r->tfirst = calloc(n + 1, sizeof(*r->tfirst));
    if (r->tfirst == NULL) {
        set_err(parent, "out of memory");
        rc = -ENOMEM;
        goto fail;
    }
    for (i = 0; i <= n; i++) {
        r->tfirst[i] = parent->tfirst[first + i] - d0;
    }
    for (i = 0; i < nd; i++) {
        rc = add_path(r, parent->paths[d0 + i]);
        if (rc < 0) {
            set_err(parent, "out of memory");
            goto fail;
        }
    }
    rc = open_graph(r);
    if (rc < 0) {
        memcpy(parent->err, r->err, sizeof parent->err);
        goto fail;
    }
    /* What open_graph did to read damaged traces is the parent's to tell. */
    for (i = 0; i < nd; i++) {
        char *p = strdup(r->paths[i]);
        if (p == NULL) {
            set_err(parent, "out of memory");
            rc = -ENOMEM;
            goto fail;
        }
        free(parent->paths[d0 + i]);
        parent->paths[d0 + i] = p;
    }
    for (i = 0; i < r->nnotes; i++) {
        rc = add_note(parent, "%s", r->notes[i]);
        if (rc < 0) {
            set_err(parent, "out of memory");
            goto fail;
        }
    }
    if (r->dec.stats.truncated) {
        parent->dec.stats.truncated = 1;
    }
    *out = r;
    return 0;
fail:
    reader_close(r);
    return rc;
}

int reader__sub_run(struct reader *r, reader__msg_fn fn, void *arg, char *cause, size_t len)
{
    bt_graph_run_status st;

    r->hook = fn;
    r->hook_arg = arg;
    r->cb_rc = 0;
    cause[0] = '\0';
    for (;;) {
        st = bt_graph_run(r->graph);
        if (st == BT_GRAPH_RUN_STATUS_OK) {
            return 0;
        }
        if (st == BT_GRAPH_RUN_STATUS_AGAIN) {
            continue; /* src.ctf.fs never waits for data */
        }
        if (r->cb_rc < 0) {
            bt_current_thread_clear_error();
            return r->cb_rc;
        }
        bt_err_text(cause, len);
        return st == BT_GRAPH_RUN_STATUS_MEMORY_ERROR ? -ENOMEM : -EIO;
    }
}

size_t reader__ntraces(const struct reader *r)
{
    return r->ntraces;
}

size_t reader__trace_first(const struct reader *r, size_t t)
{
    return t <= r->ntraces ? r->tfirst[t] : r->npaths;
}

int reader__all_uuids(const struct reader *r)
{
    return r->all_uuids;
}

struct reader_stats *reader__stats(struct reader *r)
{
    return &r->dec.stats;
}

void reader__set_error(struct reader *r, const char *msg)
{
    set_err(r, "%s", msg);
}
