/*
 * monitor.h — what the monitor's server (monitor.c) and its commands
 * (monitor_cmd.c, with monitor_rows.c and monitor_out.c) share. Private to
 * those files.
 */
#ifndef LOOP_MONITOR_H
#define LOOP_MONITOR_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "core/internal.h"

#define MON_LINE_MAX 1024          /* longest command line, bytes */
#define MON_OUT_MAX (1024 * 1024)  /* a client's pending output, bytes */
#define MON_CLIENTS 8              /* connections served at once */
#define MON_CANCELS 64             /* cancel requests waiting for the loop thread */
#define MON_POLL_MS 500            /* housekeeping period */
#define MON_ACCEPT_BACKOFF_MS 100  /* out of descriptors: the listening socket rests this long */
#define MON_DRAIN_MS 5000          /* a client with output pending and no progress this long is dropped */
#define MON_IDLE_MS 30000          /* a client that sends nothing this long is dropped (default) */
#define MON_CHAIN_MAX 32           /* hops of a wait-for chain */
#define MON_CHUNK_ROWS 128         /* nodes copied per hold of inspect_mu, at most */
#define MON_NAME_MAX 64            /* a name in a snapshot row, bytes with the NUL */
#define MON_ROW_OUT_MAX 512        /* reply bytes allowed per snapshot row beyond MON_OUT_MAX */
#define MON_SLOW_MAX 64            /* slow-callback rows copied */

struct mon_out {
    char *buf;
    size_t len;
    size_t cap;
    bool overflow; /* the reply went over MON_OUT_MAX: the client is dropped */
    bool nomem;    /* ... or its buffer could not grow (overflow is set too) */
    size_t max;    /* this reply's bound (0: MON_OUT_MAX); snapshots allow more per row */
};

struct mon_client {
    int fd;                  /* -1: free slot */
    char in[MON_LINE_MAX + 1];
    size_t in_len;
    struct mon_out out;
    size_t out_off;          /* bytes of out already sent */
    bool closing;            /* flush out, then close */
    uint64_t progress_ns;    /* last time output drained (or the client connected) */
    uint64_t input_ns;       /* last time it sent something (or connected) */
};

struct loop__monitor {
    loop_t *loop;
    pthread_t thread;
    int listen_fd;
    int wake[2];             /* written by loop_monitor_stop to end the thread's poll */
    atomic_bool stop;
    atomic_uint_fast64_t idle_ns; /* loop_monitor_set_idle_timeout(); 0: never */
    bool tcp;                /* "tcp:PORT": a loopback TCP socket instead of a Unix one */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    dev_t dev;               /* the socket file we created: unlinked only if still it */
    ino_t ino;
    loop_async_t async;      /* internal: runs cancel requests on the loop thread */
    pthread_mutex_t cancel_mu;
    uint64_t cancel_ids[MON_CANCELS]; /* guarded by cancel_mu */
    size_t ncancel;                   /* guarded by cancel_mu */
    /* trace attach (attach.c): requests to the loop thread, and their outcome */
    atomic_int trace_req;            /* REQ_* bits, taken by the loop thread */
    atomic_bool trace_on;            /* periodic snapshots while true */
    atomic_int trace_err;            /* the last `trace on`: 0 or -errno */
    atomic_uint_fast64_t trace_snapshots; /* snapshots emitted so far */
    uint64_t trace_tick_ns;          /* monitor thread: the last snapshot request */
    /* monitor thread only */
    struct mon_client clients[MON_CLIENTS];
    uint64_t accept_after_ns; /* out of descriptors: not polled for connections until then */
    bool accept_starved;      /* said so once for this episode */
    uint64_t stats_ns;       /* previous stats command, for rates */
    uint64_t stats_callbacks;
};

/* Append printf-style text to a reply (monitor_cmd.c). */
void loop__mon_out(struct mon_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run one command line; false when the connection should close after the reply. */
bool loop__mon_run_command(struct loop__monitor *m, struct mon_out *o, char *line);
/* The loop thread's side of cancel: runs the posted requests (monitor_cmd.c). */
void loop__mon_on_cancel_requests(loop_async_t *a);

/* Tracing a running process (attach.c): request from the monitor thread, the
 * periodic snapshot tick (monitor thread), the loop thread's side. */
void loop__attach_request(struct loop__monitor *m, bool on);
void loop__attach_tick(struct loop__monitor *m, uint64_t now_ns);
void loop__attach_on_loop(struct loop__monitor *m);

#endif /* LOOP_MONITOR_H */
