/*
 * async.c — uv_async_t over libloop's async handle: uv_async_send is
 * thread-safe and coalescing; the callback is dispatched by libloop (kind
 * "async") in the uv loop's poll phase.
 */
#include "uv-internal.h"

static void async_trampoline(loop_async_t *a)
{
    uv_async_t *h = uv__container_of(a, uv_async_t, ll.async);

    if (h->async_cb != NULL) {
        h->async_cb(h);
    }
}

int uv_async_init_at(uv_loop_t *loop, uv_async_t *handle, uv_async_cb async_cb,
                     const loop_site_t *site)
{
    int err = loop_async_init_at(loop->ll, &handle->ll.async, async_trampoline, site);

    if (err < 0) {
        return err;
    }
    uv__handle_init(loop, (uv_handle_t *)handle, UV_ASYNC, NULL);
    loop_handle_set_name(&handle->ll.handle, "uv_async");
    handle->async_cb = async_cb;
    uv__handle_start(handle);
    return 0;
}

int uv_async_send(uv_async_t *handle)
{
    loop_async_send(&handle->ll.async);
    return 0;
}

void uv__async_close(uv_async_t *handle)
{
    uv__handle_stop(handle);
}
