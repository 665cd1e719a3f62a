/*
 * reader_par.c — several traces decoded by several threads (reader.h,
 * "Parallel decoding").
 *
 * Owns: the split of the traces (each one or more directories sharing a
 * UUID: the chunks of a rotated trace) into groups, one worker thread per
 * group running the group's own graph (a sub-reader, reader_int.h) and a
 * decoder, the bounded queues from the workers to the caller's thread, and
 * the merge there that calls the callback.
 *
 * Why the output is the single graph's: utils.muxer orders messages by
 * their timestamp (ns from origin; discarded events/packets by their
 * beginning; a message without one takes the last timestamp) and breaks
 * ties first on the trace UUID (babeltrace 2.0, plugins/common/muxing). A
 * worker's muxer orders its own traces that way; the merge orders the
 * workers' items by (timestamp, trace UUID), and traces of different
 * groups never share a UUID (reader.c groups the directories of a UUID into
 * one trace, and reader__par_open wants every UUID known), so the merged order
 * is the one muxer's. Everything the single reader derives from the order
 * is derived here, in the merge, from items carrying what it needs: the
 * trace index (first sight of each trace: an IT_TRACE item), the counts of
 * events of other providers (IT_OTHER), the point where a graph failed
 * (IT_FAIL, at the key of the last message its muxer gave, which is where
 * the one muxer would have failed too), a decoder error (IT_DECODE_ERR).
 *
 * Memory: each worker owns CHUNKS chunks, allocated at open; a worker
 * waits for the merge to give a chunk back, so at most CHUNKS x CHUNK_ITEMS
 * events per worker are in flight whatever the trace's length. Strings of
 * an item are copied into its chunk's arena.
 *
 * Threads: libbabeltrace2 objects are not thread-safe; each graph (and its
 * components, messages, error state) is used by one thread at a time: built
 * and destroyed in the caller's thread, run in its worker in between
 * (pthread_create and pthread_join order them). Plugins are found once and
 * only referenced from the caller's thread.
 */
#include "reader_int.h"

#include <babeltrace2/babeltrace.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK_ITEMS 1024
#define ARENA_BYTES (64 * 1024)
#define CHUNKS 4          /* per worker: filling, queued, being merged */
#define MAX_TRACE_INDEX 64 /* reader.c's trace_index() stops counting there */

enum item_what {
    IT_EVENT,      /* ev: a libloop event or a gap, for the callback */
    IT_OTHER,      /* an event of another provider: counted */
    IT_TRACE,      /* first event or gap of worker-local trace `trace` */
    IT_DECODE_ERR, /* the decoder failed: rc, ev.msg; ev.count events counted */
    IT_FAIL,       /* the graph failed: rc (-EIO, -ENOMEM), ev.msg the cause */
    IT_END,        /* the worker's graph ended */
};

struct item {
    int64_t key_ns; /* the muxer's timestamp */
    uint32_t trace; /* worker-local trace index */
    uint8_t what;
    uint8_t has_uuid;
    uint8_t uuid[16];
    int32_t rc;
    struct event ev;
};

struct chunk {
    struct chunk *next;
    size_t n;
    char *arena;
    size_t used, cap;
    struct item items[CHUNK_ITEMS];
};

struct worker {
    struct reader_par *p;
    struct reader *sub;
    struct reader_decoder *dec;
    pthread_t thread;
    int started;

    pthread_mutex_t mu;
    pthread_cond_t cv;          /* a chunk was queued or given back, or cancel */
    struct chunk *full, *full_tail; /* guarded by mu: for the merge, in order */
    struct chunk *spare;        /* guarded by mu: for the worker */
    int cancel;                 /* guarded by mu: the merge stopped */

    /* the worker thread only */
    struct chunk *fill;
    const bt_trace **traces;
    size_t ntraces, cap_traces;
    int64_t key_ns;
    int has_uuid;
    uint8_t uuid[16];
    uint32_t cur_trace;
    int cancelled, hook_failed, nomem;

    /* the merging thread only */
    struct chunk *read;
    size_t pos;
    int ended;
    uint32_t *gmap; /* worker-local trace index -> reader's */
    size_t ngmap, cap_gmap;
};

struct reader_par {
    struct reader *r;
    struct worker *w;
    size_t nw;
    uint32_t ntraces; /* reader's trace indexes given so far */
    int started;
};

/* ---------------------------------------------------------------------- */
/* Groups                                                                  */

/* Bytes of the files of a trace directory: the work it will take. */
static uint64_t dir_bytes(const char *dir)
{
    char path[4096];
    struct dirent *de;
    struct stat st;
    uint64_t sum = 0;
    DIR *d = opendir(dir);

    if (d == NULL) {
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.' &&
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < (int)sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            sum += (uint64_t)st.st_size;
        }
    }
    closedir(d);
    return sum;
}

/*
 * first[g]: the first trace of group g (first[ngroups] = n traces). Groups
 * are contiguous in the traces' order (so that opening fails, and notes
 * come, as with one graph) and of about equal size, a trace's size being
 * the bytes of all its directories (chunks).
 */
static int split(struct reader *r, size_t n, size_t ngroups, size_t *first)
{
    uint64_t *bytes = calloc(n, sizeof(*bytes)), total = 0, acc = 0;
    size_t i, d, g = 1;

    if (bytes == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < n; i++) {
        for (d = reader__trace_first(r, i); d < reader__trace_first(r, i + 1); d++) {
            bytes[i] += dir_bytes(reader_trace_path(r, d));
        }
        total += bytes[i];
    }
    first[0] = 0;
    for (i = 0; i < n && g < ngroups; i++) {
        acc += bytes[i];
        /* close group g-1 after i when it has its share, or when the rest need one each */
        if (acc * ngroups >= total * g || n - (i + 1) == ngroups - g) {
            first[g++] = i + 1;
        }
    }
    first[ngroups] = n;
    free(bytes);
    return 0;
}

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

static void *worker_main(void *arg)
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

/* ---------------------------------------------------------------------- */
/* The merging side                                                        */

/* The worker's next item: waits for the worker to queue a chunk. */
static struct item *head(struct worker *w)
{
    while (w->read == NULL || w->pos == w->read->n) {
        pthread_mutex_lock(&w->mu);
        if (w->read != NULL) {
            w->read->next = w->spare;
            w->spare = w->read;
            w->read = NULL;
            pthread_cond_broadcast(&w->cv);
        }
        while (w->full == NULL) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        w->read = w->full;
        w->full = w->read->next;
        if (w->full == NULL) {
            w->full_tail = NULL;
        }
        pthread_mutex_unlock(&w->mu);
        w->pos = 0;
    }
    return &w->read->items[w->pos];
}

/* The one muxer's order: timestamp, then trace UUID (with one first), then the group. */
static int before(const struct item *a, size_t ia, const struct item *b, size_t ib)
{
    int c;

    if (a->key_ns != b->key_ns) {
        return a->key_ns < b->key_ns;
    }
    if (a->has_uuid != b->has_uuid) {
        return a->has_uuid;
    }
    if (a->has_uuid) {
        c = memcmp(a->uuid, b->uuid, sizeof a->uuid);
        if (c != 0) {
            return c < 0;
        }
    }
    return ia < ib;
}

static void cancel_all(struct reader_par *p)
{
    size_t i;

    for (i = 0; i < p->nw; i++) {
        pthread_mutex_lock(&p->w[i].mu);
        p->w[i].cancel = 1;
        pthread_cond_broadcast(&p->w[i].cv);
        pthread_mutex_unlock(&p->w[i].mu);
    }
}

static int map_trace(struct reader_par *p, struct worker *w, uint32_t local)
{
    if (local >= w->cap_gmap) {
        size_t cap = w->cap_gmap ? w->cap_gmap * 2 : 8;
        uint32_t *n;
        while (cap <= local) {
            cap *= 2;
        }
        n = realloc(w->gmap, cap * sizeof(*n));
        if (n == NULL) {
            return -ENOMEM;
        }
        w->gmap = n;
        w->cap_gmap = cap;
    }
    w->gmap[local] = p->ntraces < MAX_TRACE_INDEX ? p->ntraces++ : MAX_TRACE_INDEX;
    if (local >= w->ngmap) {
        w->ngmap = local + 1;
    }
    return 0;
}

/* One item, as reader.c's decoder and reader_run would have seen it. */
static int deliver(struct reader_par *p, struct worker *w, const struct item *it,
                   reader_event_fn fn, void *arg)
{
    struct reader_stats *st = reader__stats(p->r);
    char buf[1024];
    struct event ev;
    int rc;

    switch (it->what) {
    case IT_TRACE:
        if (map_trace(p, w, it->trace) < 0) {
            reader__set_error(p->r, "out of memory");
            return -ENOMEM;
        }
        return 0;
    case IT_OTHER:
        st->events++;
        st->other_events++;
        return 0;
    case IT_DECODE_ERR:
        st->events += it->ev.count;
        if (it->ev.format_version > st->max_format_version) {
            st->max_format_version = it->ev.format_version;
        }
        if (it->ev.msg != NULL && it->ev.msg[0] != '\0') {
            reader__set_error(p->r, it->ev.msg);
        } else {
            snprintf(buf, sizeof buf, "stopped: %s", strerror(-it->rc));
            reader__set_error(p->r, buf);
        }
        return it->rc;
    case IT_FAIL:
        if (it->rc == -ENOMEM) {
            reader__set_error(p->r, "out of memory while reading the trace");
            return -ENOMEM;
        }
        if (st->libloop_events == 0 && st->events == 0) {
            snprintf(buf, sizeof buf, "%s: cannot read the trace%s%s", reader_trace_path(p->r, 0),
                     it->ev.msg[0] ? ": " : "", it->ev.msg);
            reader__set_error(p->r, buf);
            return -EINVAL;
        }
        st->truncated = 1;
        snprintf(buf, sizeof buf,
                 "reading stopped after %llu events (truncated or corrupt stream)%s%s",
                 (unsigned long long)st->events, it->ev.msg[0] ? ": " : "", it->ev.msg);
        reader__set_error(p->r, buf);
        return -EIO;
    default:
        break;
    }
    ev = it->ev;
    ev.trace = it->trace < w->ngmap ? w->gmap[it->trace] : MAX_TRACE_INDEX;
    if (ev.type == EV_DISCARDED) {
        if (ev.packets) {
            st->discarded_packets += ev.count ? ev.count : 1;
        } else {
            st->discarded_events += ev.count;
        }
    } else {
        st->events++;
        if (ev.type == EV_LOOP_NEW && ev.format_version > st->max_format_version) {
            st->max_format_version = ev.format_version;
        }
        if (st->libloop_events == 0 || ev.ts_ns < st->first_ts_ns) {
            st->first_ts_ns = ev.ts_ns;
        }
        if (ev.ts_ns > st->last_ts_ns) {
            st->last_ts_ns = ev.ts_ns;
        }
        st->libloop_events++;
    }
    rc = fn(&ev, arg);
    if (rc < 0 && reader_error(p->r)[0] == '\0') {
        snprintf(buf, sizeof buf, "stopped: %s", strerror(-rc));
        reader__set_error(p->r, buf);
    }
    return rc;
}

static int start(struct reader_par *p)
{
    char buf[256];
    size_t i;
    int rc;

    for (i = 0; i < p->nw; i++) {
        rc = pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]);
        if (rc != 0) {
            cancel_all(p);
            snprintf(buf, sizeof buf, "cannot start a decoding thread: %s", strerror(rc));
            reader__set_error(p->r, buf);
            return rc == ENOMEM ? -ENOMEM : -rc;
        }
        p->w[i].started = 1;
    }
    return 0;
}

int reader__par_run(struct reader_par *p, reader_event_fn fn, void *arg)
{
    struct worker *best;
    struct item *it, *bit;
    size_t i, bi;
    int rc;

    if (p->started) {
        return 0; /* the trace was read */
    }
    p->started = 1;
    rc = start(p);
    while (rc == 0) {
        best = NULL;
        bit = NULL;
        bi = 0;
        for (i = 0; i < p->nw; i++) {
            struct worker *w = &p->w[i];
            if (w->ended) {
                continue;
            }
            it = head(w);
            if (it->what == IT_END) {
                w->ended = 1;
                continue;
            }
            if (best == NULL || before(it, i, bit, bi)) {
                best = w;
                bit = it;
                bi = i;
            }
        }
        if (best == NULL) {
            return 0;
        }
        rc = deliver(p, best, bit, fn, arg);
        best->pos++;
    }
    cancel_all(p);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Open and free                                                           */

void reader__par_free(struct reader_par *p)
{
    struct chunk *c, *next;
    size_t i;

    if (p == NULL) {
        return;
    }
    cancel_all(p);
    for (i = 0; i < p->nw; i++) {
        struct worker *w = &p->w[i];
        if (w->started) {
            pthread_join(w->thread, NULL);
        }
        reader_close(w->sub);
        reader_decoder_free(w->dec);
        for (c = w->full; c != NULL; c = next) {
            next = c->next;
            free(c->arena);
            free(c);
        }
        for (c = w->spare; c != NULL; c = next) {
            next = c->next;
            free(c->arena);
            free(c);
        }
        if (w->fill != NULL) {
            free(w->fill->arena);
            free(w->fill);
        }
        if (w->read != NULL) {
            free(w->read->arena);
            free(w->read);
        }
        free(w->traces);
        free(w->gmap);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
    }
    free(p->w);
    free(p);
}

static int worker_init(struct worker *w, const struct reader_opts *opts)
{
    int i;

    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->dec = reader_decoder_new(opts);
    if (w->dec == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < CHUNKS; i++) {
        struct chunk *c = calloc(1, sizeof(*c));
        if (c == NULL) {
            return -ENOMEM;
        }
        c->next = w->spare;
        w->spare = c;
        c->arena = malloc(ARENA_BYTES);
        if (c->arena == NULL) {
            return -ENOMEM;
        }
        c->cap = ARENA_BYTES;
    }
    return 0;
}

int reader__par_open(struct reader *r, const struct reader_opts *opts, struct reader_par **out)
{
    size_t n = reader__ntraces(r), ngroups = (size_t)opts->jobs, *first = NULL, g;
    struct reader_par *p = NULL;
    int rc;

    *out = NULL;
    if (ngroups > n) {
        ngroups = n;
    }
    if (ngroups < 2 || !reader__all_uuids(r)) {
        return 1;
    }
    first = calloc(ngroups + 1, sizeof(*first));
    p = calloc(1, sizeof(*p));
    if (first == NULL || p == NULL || (p->w = calloc(ngroups, sizeof(*p->w))) == NULL) {
        rc = -ENOMEM;
        goto nomem;
    }
    p->r = r;
    rc = split(r, n, ngroups, first);
    if (rc < 0) {
        goto nomem;
    }
    for (g = 0; g < ngroups; g++) {
        struct worker *w = &p->w[g];
        p->nw = g + 1;
        w->p = p;
        rc = worker_init(w, opts);
        if (rc < 0) {
            goto nomem;
        }
        rc = reader__sub_open(r, first[g], first[g + 1] - first[g], &w->sub);
        if (rc < 0) {
            goto fail;
        }
    }
    free(first);
    *out = p;
    return 0;
nomem:
    reader__set_error(r, "out of memory");
fail:
    free(first);
    reader__par_free(p);
    return rc;
}

int reader__par_threads(const struct reader_par *p)
{
    return (int)p->nw;
}
