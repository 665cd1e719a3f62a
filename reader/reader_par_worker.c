/*
 * reader_par_worker.c — the worker side of the parallel reader (reader_par.h).
 *
 * A worker thread runs its group's graph (a sub-reader) to the end; every
 * message goes through its own decoder, and what the merge needs becomes an
 * item in the worker's current chunk (strings copied into the chunk's
 * arena): decoded events and gaps, events of other providers, the first
 * sight of each trace, a decoder error, the graph's end or failure. Full
 * chunks are queued for the merge (reader_par.c); the worker waits for a
 * spare one, so memory stays bounded whatever the trace's length.
 */
#include "reader_par.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* The worker side                                                         */

/*
 * Queue the filled chunk and (if next) take a spare one; -ECANCELED when
 * the merge stopped.
 */
static int flush(struct worker *w, int next)
{
    struct chunk *c = w->fill;

    w->fill = NULL;
    pthread_mutex_lock(&w->mu);
    if (c != NULL && c->n > 0) {
        c->next = NULL;
        if (w->full_tail != NULL) {
            w->full_tail->next = c;
        } else {
            w->full = c;
        }
        w->full_tail = c;
        pthread_cond_broadcast(&w->cv);
    } else if (c != NULL) {
        c->next = w->spare;
        w->spare = c;
    }
    if (!next) {
        pthread_mutex_unlock(&w->mu);
        return 0;
    }
    while (w->spare == NULL && !w->cancel) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    if (w->cancel) {
        w->cancelled = 1;
        pthread_mutex_unlock(&w->mu);
        return -ECANCELED;
    }
    w->fill = w->spare;
    w->spare = w->fill->next;
    pthread_mutex_unlock(&w->mu);
    w->fill->n = 0;
    w->fill->used = 0;
    return 0;
}

/* A new item (keyed by the current message) with room for `bytes` of strings. */
static struct item *new_item(struct worker *w, int what, size_t bytes, int *rc)
{
    struct chunk *c = w->fill;
    struct item *it;

    if (c == NULL || c->n == CHUNK_ITEMS || c->used + bytes > c->cap) {
        if (c == NULL || c->n > 0) {
            *rc = flush(w, 1);
            if (*rc < 0) {
                return NULL;
            }
            c = w->fill;
        }
        if (c->used + bytes > c->cap) { /* an empty chunk: no string points into it */
            char *a = realloc(c->arena, bytes);
            if (a == NULL) {
                w->nomem = 1;
                *rc = -ENOMEM;
                return NULL;
            }
            c->arena = a;
            c->cap = bytes;
        }
    }
    it = &c->items[c->n++];
    it->key_ns = w->key_ns;
    it->trace = w->cur_trace;
    it->what = (uint8_t)what;
    it->has_uuid = (uint8_t)w->has_uuid;
    memcpy(it->uuid, w->uuid, sizeof it->uuid);
    it->rc = 0;
    memset(&it->ev, 0, sizeof it->ev);
    return it;
}

static const char *keep(struct chunk *c, const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = c->arena + c->used;

    memcpy(d, s, len);
    c->used += len;
    return d;
}

static size_t str_bytes(const struct event *ev)
{
    return strlen(ev->procname) + strlen(ev->name) + strlen(ev->site.file) +
           strlen(ev->site.func) + strlen(ev->backtrace) + strlen(ev->msg) + 6;
}

/* The decoder's callback in the worker: copy the event into the queue. */
static int on_decoded(const struct event *ev, void *arg)
{
    struct worker *w = arg;
    struct item *it;
    struct chunk *c;
    int rc = 0;

    it = new_item(w, IT_EVENT, str_bytes(ev), &rc);
    if (it == NULL) {
        return rc;
    }
    c = w->fill;
    it->ev = *ev;
    it->ev.procname = keep(c, ev->procname);
    it->ev.name = keep(c, ev->name);
    it->ev.site.file = keep(c, ev->site.file);
    it->ev.site.func = keep(c, ev->site.func);
    it->ev.backtrace = keep(c, ev->backtrace);
    it->ev.msg = keep(c, ev->msg);
    return 0;
}

/* The first event or gap of a trace in this worker: an IT_TRACE item. */
static int see_trace(struct worker *w, const bt_trace *t)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < w->ntraces; i++) {
        if (w->traces[i] == t) {
            w->cur_trace = (uint32_t)i;
            return 0;
        }
    }
    if (w->ntraces == w->cap_traces) {
        size_t cap = w->cap_traces ? w->cap_traces * 2 : 8;
        const bt_trace **n = realloc(w->traces, cap * sizeof(*n));
        if (n == NULL) {
            w->nomem = 1;
            return -ENOMEM;
        }
        w->traces = n;
        w->cap_traces = cap;
    }
    w->traces[w->ntraces] = t;
    w->cur_trace = (uint32_t)w->ntraces++;
    return new_item(w, IT_TRACE, 0, &rc) != NULL ? 0 : rc;
}

/* The muxer's timestamp of a message, and its stream (NULL if none). */
static const bt_stream *message_key(struct worker *w, const bt_message *msg)
{
    const bt_clock_snapshot *cs = NULL;
    const bt_stream *s = NULL;
    const bt_stream_class *sc;
    int64_t ns;

    switch (bt_message_get_type(msg)) {
    case BT_MESSAGE_TYPE_EVENT:
        s = bt_event_borrow_stream_const(bt_message_event_borrow_event_const(msg));
        if (bt_message_event_borrow_stream_class_default_clock_class_const(msg) != NULL) {
            cs = bt_message_event_borrow_default_clock_snapshot_const(msg);
        }
        break;
    case BT_MESSAGE_TYPE_PACKET_BEGINNING:
        s = bt_packet_borrow_stream_const(bt_message_packet_beginning_borrow_packet_const(msg));
        sc = bt_stream_borrow_class_const(s);
        if (bt_stream_class_packets_have_beginning_default_clock_snapshot(sc)) {
            cs = bt_message_packet_beginning_borrow_default_clock_snapshot_const(msg);
        }
        break;
    case BT_MESSAGE_TYPE_PACKET_END:
        s = bt_packet_borrow_stream_const(bt_message_packet_end_borrow_packet_const(msg));
        sc = bt_stream_borrow_class_const(s);
        if (bt_stream_class_packets_have_end_default_clock_snapshot(sc)) {
            cs = bt_message_packet_end_borrow_default_clock_snapshot_const(msg);
        }
        break;
    case BT_MESSAGE_TYPE_STREAM_BEGINNING:
        s = bt_message_stream_beginning_borrow_stream_const(msg);
        if (bt_message_stream_beginning_borrow_default_clock_snapshot_const(msg, &cs) !=
            BT_MESSAGE_STREAM_CLOCK_SNAPSHOT_STATE_KNOWN) {
            cs = NULL;
        }
        break;
    case BT_MESSAGE_TYPE_STREAM_END:
        s = bt_message_stream_end_borrow_stream_const(msg);
        if (bt_message_stream_end_borrow_default_clock_snapshot_const(msg, &cs) !=
            BT_MESSAGE_STREAM_CLOCK_SNAPSHOT_STATE_KNOWN) {
            cs = NULL;
        }
        break;
    case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
        s = bt_message_discarded_events_borrow_stream_const(msg);
        if (bt_stream_class_discarded_events_have_default_clock_snapshots(
                bt_stream_borrow_class_const(s))) {
            cs = bt_message_discarded_events_borrow_beginning_default_clock_snapshot_const(msg);
        }
        break;
    case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
        s = bt_message_discarded_packets_borrow_stream_const(msg);
        if (bt_stream_class_discarded_packets_have_default_clock_snapshots(
                bt_stream_borrow_class_const(s))) {
            cs = bt_message_discarded_packets_borrow_beginning_default_clock_snapshot_const(msg);
        }
        break;
    default:
        cs = bt_message_message_iterator_inactivity_borrow_clock_snapshot_const(msg);
        break;
    }
    /* without a timestamp: the last one, as the muxer does */
    if (cs != NULL && bt_clock_snapshot_get_ns_from_origin(cs, &ns) ==
                          BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK) {
        w->key_ns = ns;
    }
    return s;
}

/* Every message of the worker's graph. */
static int on_msg(const struct bt_message *m, void *arg)
{
    const bt_message *msg = (const bt_message *)m;
    struct worker *w = arg;
    const bt_stream *s = message_key(w, msg);
    const bt_trace *t = s != NULL ? bt_stream_borrow_trace_const(s) : NULL;
    const struct reader_stats *ds = reader_decoder_stats(w->dec);
    bt_message_type type = bt_message_get_type(msg);
    uint64_t events, other;
    struct item *it;
    int rc = 0;

    if (t != NULL) {
        const uint8_t *u = bt_trace_get_uuid(t);
        w->has_uuid = u != NULL;
        if (u != NULL) {
            memcpy(w->uuid, u, sizeof w->uuid);
        }
    }
    if (type != BT_MESSAGE_TYPE_EVENT && type != BT_MESSAGE_TYPE_DISCARDED_EVENTS &&
        type != BT_MESSAGE_TYPE_DISCARDED_PACKETS) {
        return 0;
    }
    rc = see_trace(w, t);
    if (rc < 0) {
        return rc;
    }
    events = ds->events;
    other = ds->other_events;
    rc = reader_decode(w->dec, msg, on_decoded, w);
    if (rc < 0) {
        if (w->cancelled || w->nomem) {
            return rc;
        }
        /* a decoder error: the merge stops there with its message */
        const char *why = reader_decoder_error(w->dec);
        int drc = rc;
        it = new_item(w, IT_DECODE_ERR, strlen(why) + 1, &rc);
        if (it == NULL) {
            return rc;
        }
        it->rc = drc;
        it->ev.msg = keep(w->fill, why);
        it->ev.count = ds->events - events;
        it->ev.format_version = ds->max_format_version;
        w->hook_failed = 1;
        return drc;
    }
    if (ds->other_events != other) {
        return new_item(w, IT_OTHER, 0, &rc) != NULL ? 0 : rc;
    }
    return 0;
}

void *reader__par_worker_main(void *arg)
{
    struct worker *w = arg;
    char cause[512];
    struct item *it;
    int rc, rc2 = 0;

    rc = reader__sub_run(w->sub, on_msg, w, cause, sizeof cause);
    if (w->cancelled) {
        return NULL;
    }
    if (w->hook_failed) {
        /* the IT_DECODE_ERR item is the last */
    } else if (rc == 0) {
        it = new_item(w, IT_END, 0, &rc2);
    } else {
        /* the graph failed (or the worker ran out of memory) after its last message */
        if (w->nomem) {
            rc = -ENOMEM;
            cause[0] = '\0';
        }
        it = new_item(w, IT_FAIL, strlen(cause) + 1, &rc2);
        if (it != NULL) {
            it->rc = rc;
            it->ev.msg = keep(w->fill, cause);
        }
    }
    if (rc2 == 0) {
        flush(w, 0);
    }
    return NULL;
}
