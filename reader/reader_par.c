/*
 * reader_par.c — several traces decoded by several threads (reader.h,
 * "Parallel decoding").
 *
 * Owns: the split of the traces (each one or more directories sharing a
 * UUID: the chunks of a rotated trace) into groups, one worker thread per
 * group running the group's own graph (a sub-reader, reader_int.h) and a
 * decoder (reader_par_worker.c), the bounded queues from the workers to the
 * caller's thread, and the merge there that calls the callback. The
 * structures are in reader_par.h.
 *
 * Why the output is the single graph's: utils.muxer orders messages by
 * their timestamp (ns from origin; discarded events/packets by their
 * beginning; a message without one takes the last timestamp) and breaks
 * ties first on the trace UUID (babeltrace 2.0, plugins/common/muxing). A
 * worker's muxer orders its own traces that way; the merge orders the
 * workers' items by (timestamp, trace UUID), and traces of different
 * groups never share a UUID (discover.c groups the directories of a UUID into
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
#include "reader_par.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* One item, as decode.c's decoder and reader_run would have seen it. */
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
        rc = pthread_create(&p->w[i].thread, NULL, reader__par_worker_main, &p->w[i]);
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
