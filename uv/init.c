/*
 * init.c — the plain-function forms of the creating calls, for programs that
 * take their address. Ordinary calls go through the macros of uv.h, which
 * pass the caller's site; these pass their own.
 */
#include "uv-internal.h"

int(uv_timer_init)(uv_loop_t *loop, uv_timer_t *handle)
{
    return uv_timer_init_at(loop, handle, LOOP_SITE());
}

int(uv_idle_init)(uv_loop_t *loop, uv_idle_t *idle)
{
    return uv_idle_init_at(loop, idle, LOOP_SITE());
}

int(uv_prepare_init)(uv_loop_t *loop, uv_prepare_t *prepare)
{
    return uv_prepare_init_at(loop, prepare, LOOP_SITE());
}

int(uv_check_init)(uv_loop_t *loop, uv_check_t *check)
{
    return uv_check_init_at(loop, check, LOOP_SITE());
}

int(uv_async_init)(uv_loop_t *loop, uv_async_t *async, uv_async_cb async_cb)
{
    return uv_async_init_at(loop, async, async_cb, LOOP_SITE());
}

int(uv_poll_init)(uv_loop_t *loop, uv_poll_t *handle, int fd)
{
    return uv_poll_init_at(loop, handle, fd, LOOP_SITE());
}

int(uv_poll_init_socket)(uv_loop_t *loop, uv_poll_t *handle, uv_os_sock_t socket)
{
    return uv_poll_init_socket_at(loop, handle, socket, LOOP_SITE());
}

int(uv_signal_init)(uv_loop_t *loop, uv_signal_t *handle)
{
    return uv_signal_init_at(loop, handle, LOOP_SITE());
}

int(uv_queue_work)(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
                   uv_after_work_cb after_work_cb)
{
    return uv_queue_work_at(loop, req, work_cb, after_work_cb, LOOP_SITE());
}

int(uv_tcp_init)(uv_loop_t *loop, uv_tcp_t *handle)
{
    return uv_tcp_init_at(loop, handle, LOOP_SITE());
}

int(uv_tcp_init_ex)(uv_loop_t *loop, uv_tcp_t *handle, unsigned int flags)
{
    return uv_tcp_init_ex_at(loop, handle, flags, LOOP_SITE());
}

int(uv_pipe_init)(uv_loop_t *loop, uv_pipe_t *handle, int ipc)
{
    return uv_pipe_init_at(loop, handle, ipc, LOOP_SITE());
}
