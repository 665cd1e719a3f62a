/*
 * stream.c — streams (tcp, pipe): reading, the write queue, shutdown,
 * listening and accepting, with libuv 1.44.2's semantics on Unix.
 *
 * One io watcher per stream; its events run uv__stream_io (connect, read,
 * write) or uv__server_io (accept), each as a dispatch of the stream's
 * libloop handle. Finished writes are queued on write_completed_queue and
 * their callbacks run from the pending phase (uv__io_feed), as in libuv.
 */
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include "uv-internal.h"

static void uv__write(uv_stream_t *stream);
static void uv__write_callbacks(uv_stream_t *stream);
static void uv__drain(uv_stream_t *stream);

void uv__stream_init(uv_loop_t *loop, uv_stream_t *stream, uv_handle_type type,
                     const loop_site_t *site)
{
    int err;

    uv__handle_init(loop, (uv_handle_t *)stream, type, site);
    stream->read_cb = NULL;
    stream->alloc_cb = NULL;
    stream->close_cb = NULL;
    stream->connection_cb = NULL;
    stream->connect_req = NULL;
    stream->shutdown_req = NULL;
    stream->accepted_fd = -1;
    stream->queued_fds = NULL;
    stream->delayed_error = 0;
    uv__q_init(&stream->write_queue);
    uv__q_init(&stream->write_completed_queue);
    stream->write_queue_size = 0;
    if (loop->emfile_fd == -1) {
        err = uv__open_cloexec("/dev/null", O_RDONLY);
        if (err < 0) {
            err = uv__open_cloexec("/", O_RDONLY);
        }
        if (err >= 0) {
            loop->emfile_fd = err;
        }
    }
    uv__io_init(&stream->io_watcher, (uv_handle_t *)stream, uv__stream_io, -1);
}

int uv__stream_open(uv_stream_t *stream, int fd, int flags)
{
    if (!(stream->io_watcher.fd == -1 || stream->io_watcher.fd == fd)) {
        return UV_EBUSY;
    }
    if (flags & UV_HANDLE_TCP_NODELAY) {
        int on = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on))) {
            return UV__ERR(errno);
        }
    }
    stream->flags |= (unsigned int)flags;
    stream->io_watcher.fd = fd;
    return 0;
}

static void uv__stream_flush_write_queue(uv_stream_t *stream, int error)
{
    while (!uv__q_empty(&stream->write_queue)) {
        uv__queue_t *q = stream->write_queue.next;
        uv_write_t *req = uv__container_of(q, uv_write_t, queue);
        uv__q_remove(q);
        req->error = error;
        uv__q_insert_tail(&stream->write_completed_queue, &req->queue);
    }
}

void uv__stream_destroy(uv_stream_t *stream)
{
    if (stream->connect_req != NULL) {
        uv_connect_t *req = stream->connect_req;
        uv__req_unregister(stream->loop);
        stream->connect_req = NULL;
        if (req->cb != NULL) {
            req->cb(req, UV_ECANCELED);
        }
    }
    uv__stream_flush_write_queue(stream, UV_ECANCELED);
    uv__write_callbacks(stream);
    uv__drain(stream);
}

/* Accept until EAGAIN after EMFILE: give up the reserve fd, accept and close
 * the pending connections so their peers see a reset, take the reserve back. */
static int uv__emfile_trick(uv_loop_t *loop, int accept_fd)
{
    int err, emfile_fd;

    if (loop->emfile_fd == -1) {
        return UV_EMFILE;
    }
    uv__close(loop->emfile_fd);
    loop->emfile_fd = -1;
    do {
        err = uv__accept(accept_fd);
        if (err >= 0) {
            uv__close(err);
        }
    } while (err >= 0 || err == UV_EINTR);
    emfile_fd = uv__open_cloexec("/", O_RDONLY);
    if (emfile_fd >= 0) {
        loop->emfile_fd = emfile_fd;
    }
    return err;
}

void uv__server_io(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    uv_stream_t *stream = uv__container_of(w, uv_stream_t, io_watcher);
    int err;

    (void)events;
    uv__io_start(stream->loop, &stream->io_watcher, UV__POLLIN);
    while (uv__stream_fd(stream) != -1) {
        err = uv__rr_accept(stream);
        if (err < 0) {
            if (err == UV_EAGAIN || err == UV__ERR(EWOULDBLOCK)) {
                return;
            }
            if (err == UV_ECONNABORTED) {
                continue;
            }
            if (err == UV_EMFILE || err == UV_ENFILE) {
                err = uv__emfile_trick(loop, uv__stream_fd(stream));
                if (err == UV_EAGAIN || err == UV__ERR(EWOULDBLOCK)) {
                    break;
                }
            }
            stream->connection_cb(stream, err);
            continue;
        }
        stream->accepted_fd = err;
        stream->connection_cb(stream, 0);
        if (stream->accepted_fd != -1) {
            /* the user has not called uv_accept() yet */
            uv__io_stop(loop, &stream->io_watcher, UV__POLLIN);
            return;
        }
    }
}

int uv_accept(uv_stream_t *server, uv_stream_t *client)
{
    int err;

    if (server->accepted_fd == -1) {
        return UV_EAGAIN;
    }
    switch (client->type) {
    case UV_NAMED_PIPE:
    case UV_TCP:
        err = uv__stream_open(client, server->accepted_fd,
                              UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
        if (err) {
            uv__close(server->accepted_fd);
            goto done;
        }
        break;
    default:
        return UV_EINVAL;
    }
    client->flags |= UV_HANDLE_BOUND;
done:
    server->accepted_fd = -1;
    if (err == 0) {
        uv__io_start(server->loop, &server->io_watcher, UV__POLLIN);
    }
    return err;
}

int uv_listen(uv_stream_t *stream, int backlog, uv_connection_cb cb)
{
    int err;

    if (uv__is_closing(stream)) {
        return UV_EINVAL;
    }
    switch (stream->type) {
    case UV_TCP:
        err = uv__tcp_listen((uv_tcp_t *)stream, backlog, cb);
        break;
    case UV_NAMED_PIPE:
        err = uv__pipe_listen((uv_pipe_t *)stream, backlog, cb);
        break;
    default:
        err = UV_EINVAL;
    }
    if (err == 0) {
        uv__handle_start(stream);
    }
    return err;
}

static void uv__drain(uv_stream_t *stream)
{
    uv_shutdown_t *req;
    int err;

    if (!(stream->flags & UV_HANDLE_CLOSING)) {
        uv__io_stop(stream->loop, &stream->io_watcher, UV__POLLOUT);
    }
    if (!(stream->flags & UV_HANDLE_SHUTTING)) {
        return;
    }
    req = stream->shutdown_req;
    if ((stream->flags & UV_HANDLE_CLOSING) || !(stream->flags & UV_HANDLE_SHUT)) {
        stream->shutdown_req = NULL;
        stream->flags &= ~UV_HANDLE_SHUTTING;
        uv__req_unregister(stream->loop);
        err = 0;
        if (stream->flags & UV_HANDLE_CLOSING) {
            err = UV_ECANCELED; /* the stream was closed before the shutdown */
        } else if (shutdown(uv__stream_fd(stream), SHUT_WR)) {
            err = UV__ERR(errno);
        } else {
            stream->flags |= UV_HANDLE_SHUT;
        }
        if (req->cb != NULL) {
            req->cb(req, err);
        }
    }
}

static size_t uv__count_bufs(const uv_buf_t bufs[], unsigned int nbufs)
{
    size_t bytes = 0;

    for (unsigned int i = 0; i < nbufs; i++) {
        bytes += bufs[i].len;
    }
    return bytes;
}

static int uv__try_write(uv_stream_t *stream, const uv_buf_t bufs[], unsigned int nbufs)
{
    struct iovec *iov = (struct iovec *)bufs; /* uv_buf_t has iovec's layout */
    size_t iovcnt = nbufs;
    ssize_t n;

    if (iovcnt > IOV_MAX) {
        iovcnt = IOV_MAX;
    }
    do {
        n = uv__rr_writev(stream, iov, (int)iovcnt);
    } while (n == -1 && errno == EINTR);
    if (n >= 0) {
        return (int)n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        return UV_EAGAIN;
    }
    return UV__ERR(errno);
}

static size_t uv__write_req_size(uv_write_t *req)
{
    return uv__count_bufs(req->bufs + req->write_index, req->nbufs - req->write_index);
}

/* Account n written bytes; 1 when the request is complete. */
static int uv__write_req_update(uv_stream_t *stream, uv_write_t *req, size_t n)
{
    uv_buf_t *buf = req->bufs + req->write_index;

    stream->write_queue_size -= n;
    do {
        size_t len = n < buf->len ? n : buf->len;
        buf->base += len;
        buf->len -= len;
        buf += (buf->len == 0);
        n -= len;
    } while (n > 0);
    req->write_index = (unsigned int)(buf - req->bufs);
    return req->write_index == req->nbufs;
}

static void uv__write_req_finish(uv_write_t *req)
{
    uv_stream_t *stream = req->handle;

    uv__q_remove(&req->queue);
    if (req->error == 0) {
        if (req->bufs != req->bufsml) {
            free(req->bufs);
        }
        req->bufs = NULL;
    }
    uv__q_insert_tail(&stream->write_completed_queue, &req->queue);
    uv__io_feed(stream->loop, &stream->io_watcher);
}

static void uv__write(uv_stream_t *stream)
{
    uv_write_t *req;
    int n;
    int count = 32;

    for (;;) {
        if (uv__q_empty(&stream->write_queue)) {
            return;
        }
        req = uv__container_of(stream->write_queue.next, uv_write_t, queue);
        n = uv__try_write(stream, &req->bufs[req->write_index], req->nbufs - req->write_index);
        if (n >= 0) {
            req->send_handle = NULL;
            if (uv__write_req_update(stream, req, (size_t)n)) {
                uv__write_req_finish(req);
                if (count-- > 0) {
                    continue;
                }
                return;
            }
        } else if (n != UV_EAGAIN) {
            break;
        }
        if (stream->flags & UV_HANDLE_BLOCKING_WRITES) {
            continue;
        }
        uv__io_start(stream->loop, &stream->io_watcher, UV__POLLOUT);
        return;
    }
    req->error = n;
    uv__write_req_finish(req);
    uv__io_stop(stream->loop, &stream->io_watcher, UV__POLLOUT);
}

static void uv__write_callbacks(uv_stream_t *stream)
{
    uv__queue_t pq;

    if (uv__q_empty(&stream->write_completed_queue)) {
        return;
    }
    uv__q_move(&stream->write_completed_queue, &pq);
    while (!uv__q_empty(&pq)) {
        uv__queue_t *q = pq.next;
        uv_write_t *req = uv__container_of(q, uv_write_t, queue);
        uv__q_remove(q);
        uv__req_unregister(stream->loop);
        if (req->bufs != NULL) {
            stream->write_queue_size -= uv__write_req_size(req);
            if (req->bufs != req->bufsml) {
                free(req->bufs);
            }
            req->bufs = NULL;
        }
        if (req->cb != NULL) {
            req->cb(req, req->error);
        }
    }
}

static void uv__stream_eof(uv_stream_t *stream, const uv_buf_t *buf)
{
    stream->flags |= UV_HANDLE_READ_EOF;
    stream->flags &= ~UV_HANDLE_READING;
    uv__io_stop(stream->loop, &stream->io_watcher, UV__POLLIN);
    uv__handle_stop(stream);
    stream->read_cb(stream, UV_EOF, buf);
}

static void uv__read(uv_stream_t *stream)
{
    uv_buf_t buf;
    ssize_t nread;
    int count = 32;

    stream->flags &= ~UV_HANDLE_READ_PARTIAL;
    while (stream->read_cb != NULL && (stream->flags & UV_HANDLE_READING) && (count-- > 0)) {
        buf = uv_buf_init(NULL, 0);
        stream->alloc_cb((uv_handle_t *)stream, 64 * 1024, &buf);
        if (buf.base == NULL || buf.len == 0) {
            /* the user has no buffer: UV_ENOBUFS, the stream stays as it is */
            stream->read_cb(stream, UV_ENOBUFS, &buf);
            return;
        }
        do {
            nread = uv__rr_read(stream, buf.base, buf.len);
        } while (nread < 0 && errno == EINTR);
        if (nread < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (stream->flags & UV_HANDLE_READING) {
                    uv__io_start(stream->loop, &stream->io_watcher, UV__POLLIN);
                }
                stream->read_cb(stream, 0, &buf);
            } else {
                int err = UV__ERR(errno);
                stream->flags &= ~(UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
                stream->read_cb(stream, err, &buf);
                if (stream->flags & UV_HANDLE_READING) {
                    stream->flags &= ~UV_HANDLE_READING;
                    uv__io_stop(stream->loop, &stream->io_watcher, UV__POLLIN);
                    uv__handle_stop(stream);
                }
            }
            return;
        } else if (nread == 0) {
            uv__stream_eof(stream, &buf);
            return;
        } else {
            ssize_t buflen = (ssize_t)buf.len;
            stream->read_cb(stream, nread, &buf);
            if (nread < buflen) {
                stream->flags |= UV_HANDLE_READ_PARTIAL;
                return;
            }
        }
    }
}

static void uv__stream_connect(uv_stream_t *stream)
{
    uv_connect_t *req = stream->connect_req;
    int error;

    if (stream->delayed_error) {
        error = stream->delayed_error;
        stream->delayed_error = 0;
    } else {
        socklen_t errorsize = sizeof(int);
        error = 0;
        getsockopt(uv__stream_fd(stream), SOL_SOCKET, SO_ERROR, &error, &errorsize);
        error = UV__ERR(error);
    }
    if (error == UV__ERR(EINPROGRESS)) {
        return;
    }
    stream->connect_req = NULL;
    uv__req_unregister(stream->loop);
    if (error < 0 || uv__q_empty(&stream->write_queue)) {
        uv__io_stop(stream->loop, &stream->io_watcher, UV__POLLOUT);
    }
    if (req->cb != NULL) {
        req->cb(req, error);
    }
    if (uv__stream_fd(stream) == -1) {
        return;
    }
    if (error < 0) {
        uv__stream_flush_write_queue(stream, UV_ECANCELED);
        uv__write_callbacks(stream);
    }
}

void uv__stream_io(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    uv_stream_t *stream = uv__container_of(w, uv_stream_t, io_watcher);

    (void)loop;
    if (stream->connect_req != NULL) {
        uv__stream_connect(stream);
        return;
    }
    if (events & (UV__POLLIN | UV__POLLERR | UV__POLLHUP)) {
        uv__read(stream);
    }
    if (uv__stream_fd(stream) == -1) {
        return; /* read_cb closed the stream */
    }
    /* Short-read with POLLHUP: the peer is gone, report EOF now. */
    if ((events & UV__POLLHUP) && (stream->flags & UV_HANDLE_READING) &&
        (stream->flags & UV_HANDLE_READ_PARTIAL) && !(stream->flags & UV_HANDLE_READ_EOF)) {
        uv_buf_t buf = {NULL, 0};
        uv__stream_eof(stream, &buf);
    }
    if (uv__stream_fd(stream) == -1) {
        return;
    }
    if (events & (UV__POLLOUT | UV__POLLERR | UV__POLLHUP)) {
        uv__write(stream);
        uv__write_callbacks(stream);
        if (uv__q_empty(&stream->write_queue)) {
            uv__drain(stream);
        }
    }
}

int uv_write2(uv_write_t *req, uv_stream_t *stream, const uv_buf_t bufs[], unsigned int nbufs,
              uv_stream_t *send_handle, uv_write_cb cb)
{
    int empty_queue;

    if (nbufs == 0 || bufs == NULL) {
        return UV_EINVAL;
    }
    if (uv__stream_fd(stream) < 0) {
        return UV_EBADF;
    }
    if (!(stream->flags & UV_HANDLE_WRITABLE)) {
        return UV_EPIPE;
    }
    if (send_handle != NULL) {
        return UV_EINVAL; /* no IPC handle passing */
    }
    empty_queue = (stream->write_queue_size == 0);
    req->type = UV_WRITE;
    uv__req_register(stream->loop);
    req->cb = cb;
    req->handle = stream;
    req->error = 0;
    req->send_handle = NULL;
    uv__q_init(&req->queue);
    req->bufs = req->bufsml;
    if (nbufs > UV__ARRAY_SIZE(req->bufsml)) {
        req->bufs = malloc(nbufs * sizeof(bufs[0]));
    }
    if (req->bufs == NULL) {
        uv__req_unregister(stream->loop);
        return UV_ENOMEM;
    }
    memcpy(req->bufs, bufs, nbufs * sizeof(bufs[0]));
    req->nbufs = nbufs;
    req->write_index = 0;
    stream->write_queue_size += uv__count_bufs(bufs, nbufs);
    uv__q_insert_tail(&stream->write_queue, &req->queue);
    if (stream->connect_req != NULL) {
        /* still connecting: the writes start once connected */
    } else if (empty_queue) {
        uv__write(stream);
    } else {
        uv__io_start(stream->loop, &stream->io_watcher, UV__POLLOUT);
    }
    return 0;
}

int uv_write(uv_write_t *req, uv_stream_t *handle, const uv_buf_t bufs[], unsigned int nbufs,
             uv_write_cb cb)
{
    return uv_write2(req, handle, bufs, nbufs, NULL, cb);
}

int uv_try_write(uv_stream_t *stream, const uv_buf_t bufs[], unsigned int nbufs)
{
    return uv_try_write2(stream, bufs, nbufs, NULL);
}

int uv_try_write2(uv_stream_t *stream, const uv_buf_t bufs[], unsigned int nbufs,
                  uv_stream_t *send_handle)
{
    if (send_handle != NULL) {
        return UV_EINVAL;
    }
    if (stream->connect_req != NULL || stream->write_queue_size != 0) {
        return UV_EAGAIN;
    }
    if (uv__stream_fd(stream) < 0) {
        return UV_EBADF;
    }
    if (!(stream->flags & UV_HANDLE_WRITABLE)) {
        return UV_EPIPE;
    }
    return uv__try_write(stream, bufs, nbufs);
}

int uv_read_start(uv_stream_t *stream, uv_alloc_cb alloc_cb, uv_read_cb read_cb)
{
    if (stream == NULL || alloc_cb == NULL || read_cb == NULL) {
        return UV_EINVAL;
    }
    if (stream->flags & UV_HANDLE_CLOSING) {
        return UV_EINVAL;
    }
    if (stream->flags & UV_HANDLE_READING) {
        return UV_EALREADY;
    }
    if (!(stream->flags & UV_HANDLE_READABLE)) {
        return UV_ENOTCONN;
    }
    stream->flags |= UV_HANDLE_READING;
    stream->flags &= ~UV_HANDLE_READ_EOF;
    stream->read_cb = read_cb;
    stream->alloc_cb = alloc_cb;
    uv__io_start(stream->loop, &stream->io_watcher, UV__POLLIN);
    uv__handle_start(stream);
    return 0;
}

int uv_read_stop(uv_stream_t *stream)
{
    if (!(stream->flags & UV_HANDLE_READING)) {
        return 0;
    }
    stream->flags &= ~UV_HANDLE_READING;
    uv__io_stop(stream->loop, &stream->io_watcher, UV__POLLIN);
    uv__handle_stop(stream);
    stream->read_cb = NULL;
    stream->alloc_cb = NULL;
    return 0;
}

int uv_shutdown(uv_shutdown_t *req, uv_stream_t *stream, uv_shutdown_cb cb)
{
    if (!(stream->flags & UV_HANDLE_WRITABLE) || (stream->flags & UV_HANDLE_SHUT) ||
        (stream->flags & UV_HANDLE_SHUTTING) || uv__is_closing(stream)) {
        return UV_ENOTCONN;
    }
    req->type = UV_SHUTDOWN;
    uv__req_register(stream->loop);
    req->handle = stream;
    req->cb = cb;
    stream->shutdown_req = req;
    stream->flags |= UV_HANDLE_SHUTTING;
    stream->flags &= ~UV_HANDLE_WRITABLE;
    if (uv__q_empty(&stream->write_queue)) {
        uv__io_feed(stream->loop, &stream->io_watcher);
    }
    return 0;
}

void uv__stream_close(uv_stream_t *handle)
{
    uv__io_close(handle->loop, &handle->io_watcher);
    uv_read_stop(handle);
    uv__handle_stop(handle);
    handle->flags &= ~(UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
    if (handle->io_watcher.fd != -1) {
        /* stdio stays open */
        if (handle->io_watcher.fd > STDERR_FILENO) {
            uv__close(handle->io_watcher.fd);
        }
        handle->io_watcher.fd = -1;
    }
    if (handle->accepted_fd != -1) {
        uv__close(handle->accepted_fd);
        handle->accepted_fd = -1;
    }
}

int uv_is_readable(const uv_stream_t *stream)
{
    return !!(stream->flags & UV_HANDLE_READABLE);
}

int uv_is_writable(const uv_stream_t *stream)
{
    return !!(stream->flags & UV_HANDLE_WRITABLE);
}

int uv_stream_set_blocking(uv_stream_t *handle, int blocking)
{
    return uv__nonblock(uv__stream_fd(handle), !blocking);
}

size_t uv_stream_get_write_queue_size(const uv_stream_t *stream)
{
    return stream->write_queue_size;
}

int uv__getsockpeername(const uv_handle_t *h, int (*func)(int, struct sockaddr *, socklen_t *),
                        struct sockaddr *name, int *namelen)
{
    socklen_t socklen;
    uv_os_fd_t fd;
    int r = uv_fileno(h, &fd);

    if (r < 0) {
        return r;
    }
    socklen = (socklen_t)*namelen;
    if (func(fd, name, &socklen)) {
        return UV__ERR(errno);
    }
    *namelen = (int)socklen;
    return 0;
}
