/*
 * handle.c — what every uv handle shares: init (with its libloop handle
 * underneath, named after the uv type), close (in libloop's closing phase,
 * libuv's order), ref/unref, and the type names, sizes and getters.
 */
#include <sys/socket.h>

#include "uv-internal.h"

static const char *const shadow_names[UV_HANDLE_TYPE_MAX] = {
    [UV_ASYNC] = "uv_async",     [UV_CHECK] = "uv_check",     [UV_IDLE] = "uv_idle",
    [UV_NAMED_PIPE] = "uv_pipe", [UV_POLL] = "uv_poll",       [UV_PREPARE] = "uv_prepare",
    [UV_TCP] = "uv_tcp",         [UV_TIMER] = "uv_timer",     [UV_SIGNAL] = "uv_signal",
    [UV_UDP] = "uv_udp",         [UV_TTY] = "uv_tty",         [UV_PROCESS] = "uv_process",
};


void uv__handle_init(uv_loop_t *loop, uv_handle_t *h, uv_handle_type type,
                     const loop_site_t *site)
{
    h->loop = loop;
    h->type = type;
    h->flags = UV_HANDLE_REF;
    h->close_cb = NULL;
    uv__q_insert_tail(UV__HQ(loop), UV__HNODE(h));
    if (site != NULL) {
        loop_defer_init_at(loop->ll, &h->ll.defer, site);
        loop_handle_set_name(&h->ll.handle, shadow_names[type]);
    }
}

static void uv__finish_close(loop_handle_t *lh)
{
    uv_handle_t *h = uv__container_of(lh, uv_handle_t, ll.handle);

    h->flags |= UV_HANDLE_CLOSED;
    h->loop->closing_count--;
    switch (h->type) {
    case UV_TCP:
    case UV_NAMED_PIPE:
        uv__stream_destroy((uv_stream_t *)h);
        break;
    default:
        break;
    }
    h->flags &= ~UV_HANDLE_REF;
    uv__q_remove(UV__HNODE(h));
    if (h->close_cb != NULL) {
        h->close_cb(h);
    }
}

void uv_close(uv_handle_t *h, uv_close_cb close_cb)
{
    uv_loop_t *loop = h->loop;
    loop_t *ll = loop->ll;

    assert(!uv__is_closing(h));
    h->flags |= UV_HANDLE_CLOSING;
    h->close_cb = close_cb;
    switch (h->type) {
    case UV_NAMED_PIPE:
        uv__pipe_close((uv_pipe_t *)h);
        break;
    case UV_TCP:
        uv__stream_close((uv_stream_t *)h);
        break;
    case UV_PREPARE:
        uv__prepare_close((uv_prepare_t *)h);
        break;
    case UV_CHECK:
        uv__check_close((uv_check_t *)h);
        break;
    case UV_IDLE:
        uv__idle_close((uv_idle_t *)h);
        break;
    case UV_ASYNC:
        uv__async_close((uv_async_t *)h);
        break;
    case UV_TIMER:
        uv__timer_close((uv_timer_t *)h);
        break;
    case UV_POLL:
        uv__poll_close((uv_poll_t *)h);
        break;
    case UV_SIGNAL:
        uv__signal_close((uv_signal_t *)h);
        break;
    default:
        uv__handle_stop(h);
        break;
    }
    loop->closing_count++;
    if (loop_handle_close(&h->ll.handle, uv__finish_close) == 0) {
        /* libuv runs the handle closed last first */
        loop__queue_remove(&h->ll.handle.ready);
        loop__queue_insert_head(&ll->closing, &h->ll.handle.ready);
    }
}

int uv_is_active(const uv_handle_t *h)
{
    return uv__is_active(h) && !uv__is_closing(h);
}

int uv_is_closing(const uv_handle_t *h)
{
    return uv__is_closing(h);
}

void uv_ref(uv_handle_t *h)
{
    if (h->flags & UV_HANDLE_REF) {
        return;
    }
    h->flags |= UV_HANDLE_REF;
    if (h->flags & UV_HANDLE_CLOSING) {
        return;
    }
    if (h->flags & UV_HANDLE_ACTIVE) {
        h->loop->active_handles++;
    }
}

void uv_unref(uv_handle_t *h)
{
    if (!(h->flags & UV_HANDLE_REF)) {
        return;
    }
    h->flags &= ~UV_HANDLE_REF;
    if (h->flags & UV_HANDLE_CLOSING) {
        return;
    }
    if (h->flags & UV_HANDLE_ACTIVE) {
        h->loop->active_handles--;
    }
}

int uv_has_ref(const uv_handle_t *h)
{
    return uv__has_ref(h);
}

size_t uv_handle_size(uv_handle_type type)
{
    switch (type) {
#define UV__HSIZE(uc, lc)                                                                \
    case UV_##uc:                                                                        \
        return sizeof(uv_##lc##_t);
        UV_HANDLE_TYPE_MAP(UV__HSIZE)
#undef UV__HSIZE
    default:
        return (size_t)-1;
    }
}

size_t uv_req_size(uv_req_type type)
{
    switch (type) {
#define UV__RSIZE(uc, lc)                                                                \
    case UV_##uc:                                                                        \
        return sizeof(uv_##lc##_t);
        UV_REQ_TYPE_MAP(UV__RSIZE)
#undef UV__RSIZE
    default:
        return (size_t)-1;
    }
}

const char *uv_handle_type_name(uv_handle_type type)
{
    switch (type) {
#define UV__HNAME(uc, lc)                                                                \
    case UV_##uc:                                                                        \
        return #lc;
        UV_HANDLE_TYPE_MAP(UV__HNAME)
#undef UV__HNAME
    case UV_FILE:
        return "file";
    default:
        return NULL;
    }
}

const char *uv_req_type_name(uv_req_type type)
{
    switch (type) {
#define UV__RNAME(uc, lc)                                                                \
    case UV_##uc:                                                                        \
        return #lc;
        UV_REQ_TYPE_MAP(UV__RNAME)
#undef UV__RNAME
    default:
        return NULL;
    }
}

uv_handle_type uv_handle_get_type(const uv_handle_t *h)
{
    return h->type;
}

void *uv_handle_get_data(const uv_handle_t *h)
{
    return h->data;
}

uv_loop_t *uv_handle_get_loop(const uv_handle_t *h)
{
    return h->loop;
}

void uv_handle_set_data(uv_handle_t *h, void *data)
{
    h->data = data;
}

void *uv_req_get_data(const uv_req_t *req)
{
    return req->data;
}

void uv_req_set_data(uv_req_t *req, void *data)
{
    req->data = data;
}

uv_req_type uv_req_get_type(const uv_req_t *req)
{
    return req->type;
}

int uv_fileno(const uv_handle_t *h, uv_os_fd_t *fd)
{
    int fd_out;

    switch (h->type) {
    case UV_TCP:
    case UV_NAMED_PIPE:
    case UV_TTY:
        fd_out = uv__stream_fd((const uv_stream_t *)h);
        break;
    case UV_POLL:
        fd_out = ((const uv_poll_t *)h)->io_watcher.fd;
        break;
    default:
        return UV_EINVAL;
    }
    if (uv__is_closing(h) || fd_out == -1) {
        return UV_EBADF;
    }
    *fd = fd_out;
    return 0;
}

static int sockopt_size(uv_handle_t *h, int optname, int *value)
{
    socklen_t len = sizeof(*value);
    int fd;

    if (h == NULL || value == NULL) {
        return UV_EINVAL;
    }
    if (h->type == UV_TCP || h->type == UV_NAMED_PIPE) {
        fd = uv__stream_fd((uv_stream_t *)h);
    } else {
        return UV_ENOTSUP;
    }
    if (fd < 0) {
        return UV_EBADF;
    }
    if (*value == 0) {
        return getsockopt(fd, SOL_SOCKET, optname, value, &len) ? UV__ERR(errno) : 0;
    }
    return setsockopt(fd, SOL_SOCKET, optname, value, len) ? UV__ERR(errno) : 0;
}

int uv_send_buffer_size(uv_handle_t *h, int *value)
{
    return sockopt_size(h, SO_SNDBUF, value);
}

int uv_recv_buffer_size(uv_handle_t *h, int *value)
{
    return sockopt_size(h, SO_RCVBUF, value);
}
