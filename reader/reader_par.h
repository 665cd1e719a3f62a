/*
 * reader_par.h — what the two halves of the parallel reader share
 * (reader_par.c: the split, the merge, open and free; reader_par_worker.c:
 * the worker threads). Private to reader/; reader_par.c's opening comment
 * says how the parts fit and why the merged order is the single graph's.
 */
#ifndef LOOP_READER_PAR_H
#define LOOP_READER_PAR_H

#include "reader_int.h"

#include <babeltrace2/babeltrace.h>

#include <pthread.h>
#include <stdint.h>

#define CHUNK_ITEMS 1024
#define ARENA_BYTES (64 * 1024)
#define CHUNKS 4          /* per worker: filling, queued, being merged */
#define MAX_TRACE_INDEX 64 /* decode.c's trace_index() stops counting there */

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

/* reader_par_worker.c: a worker thread's body (pthread_create's start routine). */
void *reader__par_worker_main(void *arg);

#endif /* LOOP_READER_PAR_H */
