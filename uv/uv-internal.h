/*
 * uv-internal.h — libloop-uv's private API: handle flags, queues, the io
 * watchers of the uv loop, and the dispatch path through libloop.
 */
#ifndef UV_INTERNAL_H
#define UV_INTERNAL_H

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "uv.h"
#include "core/internal.h"

#define UV__ERR(x) (-(x))
#define UV__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define uv__container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Handle flags (uv_handle_t.flags). */
enum {
    UV_HANDLE_CLOSING = 1u << 0,
    UV_HANDLE_CLOSED = 1u << 1,
    UV_HANDLE_ACTIVE = 1u << 2,
    UV_HANDLE_REF = 1u << 3,
    UV_HANDLE_INTERNAL = 1u << 4,
    UV_HANDLE_LISTENING = 1u << 6,
    UV_HANDLE_CONNECTION = 1u << 7,
    UV_HANDLE_SHUTTING = 1u << 8,
    UV_HANDLE_SHUT = 1u << 9,
    UV_HANDLE_READ_PARTIAL = 1u << 10,
    UV_HANDLE_READ_EOF = 1u << 11,
    UV_HANDLE_READING = 1u << 12,
    UV_HANDLE_BOUND = 1u << 13,
    UV_HANDLE_READABLE = 1u << 14,
    UV_HANDLE_WRITABLE = 1u << 15,
    UV_HANDLE_BLOCKING_WRITES = 1u << 16,
    UV_HANDLE_TCP_NODELAY = 1u << 17,
    UV_HANDLE_TCP_KEEPALIVE = 1u << 18,
    UV_HANDLE_IPV6 = 1u << 19,
    UV_SIGNAL_ONE_SHOT = 1u << 20,
};

/* Poll events of io watchers are epoll's. */
#define UV__POLLIN EPOLLIN
#define UV__POLLOUT EPOLLOUT
#define UV__POLLPRI EPOLLPRI
#define UV__POLLRDHUP EPOLLRDHUP
#define UV__POLLERR EPOLLERR
#define UV__POLLHUP EPOLLHUP

/* Queues (uv__queue_t, and the public void *[2] fields cast to it) */
static inline void uv__q_init(uv__queue_t *q)
{
    q->next = q;
    q->prev = q;
}
static inline int uv__q_empty(const uv__queue_t *q)
{
    return q->next == q;
}
static inline void uv__q_insert_tail(uv__queue_t *h, uv__queue_t *n)
{
    n->next = h;
    n->prev = h->prev;
    h->prev->next = n;
    h->prev = n;
}
static inline void uv__q_insert_head(uv__queue_t *h, uv__queue_t *n)
{
    n->next = h->next;
    n->prev = h;
    h->next->prev = n;
    h->next = n;
}
static inline void uv__q_remove(uv__queue_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
}
/* Move every node of src to dst (dst is overwritten), src becomes empty. */
static inline void uv__q_move(uv__queue_t *src, uv__queue_t *dst)
{
    if (uv__q_empty(src)) {
        uv__q_init(dst);
        return;
    }
    dst->next = src->next;
    dst->prev = src->prev;
    dst->next->prev = dst;
    dst->prev->next = dst;
    uv__q_init(src);
}
#define UV__HQ(loop) ((uv__queue_t *)(void *)(loop)->handle_queue)
#define UV__HNODE(h) ((uv__queue_t *)(void *)(h)->handle_queue)

/* Handle state, as libuv counts it */
#define uv__is_active(h) (((h)->flags & UV_HANDLE_ACTIVE) != 0)
#define uv__is_closing(h) (((h)->flags & (UV_HANDLE_CLOSING | UV_HANDLE_CLOSED)) != 0)
#define uv__has_ref(h) (((h)->flags & UV_HANDLE_REF) != 0)

/* The libloop handle of a defer shadow mirrors the uv handle's active state
 * (loopctl shows it, the trace has handle_start/stop); async and signal
 * shadows keep their own. */
static inline int uv__shadow_is_defer(const uv_handle_t *h)
{
    return (h->ll.handle.kind == LOOP_KIND_DEFER || h->ll.handle.kind == LOOP_KIND_IO) &&
           h->ll.handle.magic == LOOP__MAGIC_OPEN &&
           !(h->ll.handle.flags & (LOOP__H_CLOSING | LOOP__H_CLOSED));
}
static inline void uv__handle_start(void *p)
{
    uv_handle_t *h = p;
    if (h->flags & UV_HANDLE_ACTIVE) {
        return;
    }
    h->flags |= UV_HANDLE_ACTIVE;
    if (h->flags & UV_HANDLE_REF) {
        h->loop->active_handles++;
    }
    if (uv__shadow_is_defer(h)) {
        loop__handle_start(&h->ll.handle);
    }
}
static inline void uv__handle_stop(void *p)
{
    uv_handle_t *h = p;
    if (!(h->flags & UV_HANDLE_ACTIVE)) {
        return;
    }
    h->flags &= ~UV_HANDLE_ACTIVE;
    if (h->flags & UV_HANDLE_REF) {
        h->loop->active_handles--;
    }
    if (uv__shadow_is_defer(h)) {
        loop__handle_stop(&h->ll.handle);
    }
}
#define uv__req_register(loop) ((loop)->active_reqs.count++)
#define uv__req_unregister(loop) ((loop)->active_reqs.count--)

/* core.c */
void uv__update_time(uv_loop_t *loop); /* a recorded / replayed clock read */
/* Run fn(h, arg) as a callback of h's libloop handle: traced, timed, counted. */
void uv__dispatch(uv_handle_t *h, void (*fn)(uv_handle_t *, void *), void *arg);

/* handle.c */
void uv__handle_init(uv_loop_t *loop, uv_handle_t *h, uv_handle_type type,
                     const loop_site_t *site);

/* io.c */
int uv__run_pending(uv_loop_t *loop);
void uv__io_poll(uv_loop_t *loop, int timeout);
void uv__io_init(uv__io_t *w, uv_handle_t *h, uv__io_cb cb, int fd);
void uv__io_start(uv_loop_t *loop, uv__io_t *w, unsigned int events);
void uv__io_stop(uv_loop_t *loop, uv__io_t *w, unsigned int events);
void uv__io_close(uv_loop_t *loop, uv__io_t *w);
void uv__io_feed(uv_loop_t *loop, uv__io_t *w);
/* Run w's callback as a dispatch of its handle's libloop handle (kind io). */
void uv__io_dispatch(uv_loop_t *loop, uv__io_t *w, unsigned int events);
int uv__io_active(const uv__io_t *w, unsigned int events);
int uv__io_check_fd(uv_loop_t *loop, int fd);
int uv__fd_exists(uv_loop_t *loop, int fd);
int uv__nonblock(int fd, int set);
int uv__cloexec(int fd, int set);
int uv__close(int fd);
int uv__socket(int domain, int type, int protocol);
int uv__accept(int sockfd);
int uv__open_cloexec(const char *path, int flags);

/* replay.c: LOOP_REPLAY's poll phase */
int uv__replaying(const uv_loop_t *loop);
void uv__replay_poll(uv_loop_t *loop);
/* Stream I/O, recorded and replayed like task I/O (plain syscalls otherwise). */
struct iovec;
ssize_t uv__rr_read(uv_stream_t *s, char *buf, size_t len);
ssize_t uv__rr_writev(uv_stream_t *s, const struct iovec *iov, int iovcnt);
int uv__rr_accept(uv_stream_t *s); /* an fd or -errno, as uv__accept */

/* timer.c */
void uv__run_timers(uv_loop_t *loop);
int uv__next_timeout(const uv_loop_t *loop);
void uv__timer_close(uv_timer_t *h);

/* loop-watcher.c */
void uv__run_idle(uv_loop_t *loop);
void uv__run_prepare(uv_loop_t *loop);
void uv__run_check(uv_loop_t *loop);
void uv__idle_close(uv_idle_t *h);
void uv__prepare_close(uv_prepare_t *h);
void uv__check_close(uv_check_t *h);

/* poll.c */
void uv__poll_close(uv_poll_t *h);

/* async.c / signal.c */
void uv__async_close(uv_async_t *h);
void uv__signal_close(uv_signal_t *h);

/* stream.c */
void uv__stream_init(uv_loop_t *loop, uv_stream_t *stream, uv_handle_type type,
                     const loop_site_t *site);
int uv__stream_open(uv_stream_t *stream, int fd, int flags);
void uv__stream_close(uv_stream_t *stream);
void uv__stream_destroy(uv_stream_t *stream);
void uv__stream_io(uv_loop_t *loop, uv__io_t *w, unsigned int events);
void uv__server_io(uv_loop_t *loop, uv__io_t *w, unsigned int events);
#define uv__stream_fd(s) ((s)->io_watcher.fd)
int uv__tcp_listen(uv_tcp_t *tcp, int backlog, uv_connection_cb cb);
int uv__pipe_listen(uv_pipe_t *pipe, int backlog, uv_connection_cb cb);
void uv__pipe_close(uv_pipe_t *pipe);
int uv__getsockpeername(const uv_handle_t *h, int (*func)(int, struct sockaddr *, socklen_t *),
                        struct sockaddr *name, int *namelen);

#endif /* UV_INTERNAL_H */
