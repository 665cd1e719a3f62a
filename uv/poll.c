/*
 * poll.c — uv_poll_t: readiness of a caller's fd (UV_READABLE, UV_WRITABLE,
 * UV_DISCONNECT, UV_PRIORITIZED as EPOLLIN/OUT/RDHUP/PRI) on the uv loop's
 * epoll set; the callback runs as a dispatch of the handle's libloop handle.
 */
#include "uv-internal.h"

static void uv__poll_io(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    uv_poll_t *handle = uv__container_of(w, uv_poll_t, io_watcher);
    int pevents = 0;

    if (events & UV__POLLERR) {
        uv__io_stop(loop, w, UV__POLLIN | UV__POLLOUT | UV__POLLRDHUP | UV__POLLPRI);
        uv__handle_stop(handle);
        handle->poll_cb(handle, UV_EBADF, 0);
        return;
    }
    if (events & UV__POLLIN) {
        pevents |= UV_READABLE;
    }
    if (events & UV__POLLPRI) {
        pevents |= UV_PRIORITIZED;
    }
    if (events & UV__POLLOUT) {
        pevents |= UV_WRITABLE;
    }
    if (events & UV__POLLRDHUP) {
        pevents |= UV_DISCONNECT;
    }
    handle->poll_cb(handle, 0, pevents);
}

int uv_poll_init_at(uv_loop_t *loop, uv_poll_t *handle, int fd, const loop_site_t *site)
{
    int err;

    if (uv__fd_exists(loop, fd)) {
        return UV_EEXIST;
    }
    err = uv__io_check_fd(loop, fd);
    if (err) {
        return err;
    }
    err = uv__nonblock(fd, 1);
    if (err) {
        return err;
    }
    uv__handle_init(loop, (uv_handle_t *)handle, UV_POLL, site);
    uv__io_init(&handle->io_watcher, (uv_handle_t *)handle, uv__poll_io, fd);
    handle->poll_cb = NULL;
    return 0;
}

int uv_poll_init_socket_at(uv_loop_t *loop, uv_poll_t *handle, uv_os_sock_t socket,
                           const loop_site_t *site)
{
    return uv_poll_init_at(loop, handle, socket, site);
}

static void uv__poll_stop(uv_poll_t *handle)
{
    uv__io_close(handle->loop, &handle->io_watcher);
    uv__handle_stop(handle);
}

int uv_poll_stop(uv_poll_t *handle)
{
    uv__poll_stop(handle);
    return 0;
}

int uv_poll_start(uv_poll_t *handle, int pevents, uv_poll_cb poll_cb)
{
    unsigned int events = 0;

    if ((pevents & ~(UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED)) != 0 ||
        uv__is_closing(handle)) {
        return UV_EINVAL;
    }
    uv__poll_stop(handle);
    if (pevents == 0) {
        return 0;
    }
    if (uv__fd_exists(handle->loop, handle->io_watcher.fd)) {
        return UV_EEXIST;
    }
    if (pevents & UV_READABLE) {
        events |= UV__POLLIN;
    }
    if (pevents & UV_PRIORITIZED) {
        events |= UV__POLLPRI;
    }
    if (pevents & UV_WRITABLE) {
        events |= UV__POLLOUT;
    }
    if (pevents & UV_DISCONNECT) {
        events |= UV__POLLRDHUP;
    }
    uv__io_start(handle->loop, &handle->io_watcher, events);
    uv__handle_start(handle);
    handle->poll_cb = poll_cb;
    return 0;
}

void uv__poll_close(uv_poll_t *handle)
{
    uv__poll_stop(handle);
}
