/*
 * decode.c — the libloop event decoder (reader.h): babeltrace2 messages into
 * struct event.
 *
 * Owns: the field table (payload member name → struct event member), the
 * per-event-class cache (member indexes, found on first sight of a class),
 * the format-version check, gap messages (discarded events and packets) and
 * the decoder API of reader.h (reader_decoder_*, reader_decode) that the
 * babeltrace2 plugin uses. Everything reached from a message is borrowed.
 * The field table's names and widths are checked against the provider by
 * tests/schema_check.sh.
 */
#include "reader.h"
#include "reader_int.h"

#include <babeltrace2/babeltrace.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    FM("owner_id", wait_task, D_U64), /* lock_abandoned */
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
    FM("count", count, D_U64), /* loop_stuck (format minor 2) */
    FM("age_ns", age_ns, D_U64),
    FM("steps", steps, D_U64),
    FM("seq", seq, D_U64),
    FM("ntasks", ntasks, D_U64),
    FM("nhandles", nhandles, D_U64),
    FM("hflags", hflags, D_U8),
    FM("reason", reason, D_U8),
    FM("what", what, D_U8),
    FM("value", value, D_U64),
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


static void dec_err(struct reader_decoder *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dec_err(struct reader_decoder *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
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

int reader__on_message(struct reader_decoder *r, const bt_message *msg)
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
    return reader__on_message(d, msg);
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
