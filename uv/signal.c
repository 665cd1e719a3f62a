/*
 * signal.c — uv_signal_t over libloop's signal watchers: any number of
 * handles in any number of loops may watch one signal, each sees it; the
 * callback is dispatched by libloop (kind "signal") in the poll phase.
 */
#include "uv-internal.h"

static void signal_trampoline(loop_signal_t *s, int signum)
{
    uv_signal_t *h = uv__container_of(s, uv_signal_t, ll.signal);

    if (h->signum != signum) {
        return;
    }
    if (h->flags & UV_SIGNAL_ONE_SHOT) {
        uv_signal_stop(h);
    }
    h->signal_cb(h, signum);
}

int uv_signal_init_at(uv_loop_t *loop, uv_signal_t *handle, const loop_site_t *site)
{
    int err = loop_signal_init_at(loop->ll, &handle->ll.signal, site);

    if (err < 0) {
        return err;
    }
    uv__handle_init(loop, (uv_handle_t *)handle, UV_SIGNAL, NULL);
    loop_handle_set_name(&handle->ll.handle, "uv_signal");
    handle->signum = 0;
    handle->signal_cb = NULL;
    return 0;
}

static int signal_start(uv_signal_t *handle, uv_signal_cb cb, int signum, int oneshot)
{
    int err;

    if (uv__is_closing(handle)) {
        return UV_EINVAL;
    }
    if (signum <= 0 || signum >= 65) {
        return UV_EINVAL;
    }
    if (signum == handle->signum) {
        handle->signal_cb = cb;
        return 0;
    }
    if (handle->signum != 0) {
        uv_signal_stop(handle);
    }
    err = loop_signal_start(&handle->ll.signal, signal_trampoline, signum);
    if (err < 0) {
        return err;
    }
    handle->signum = signum;
    if (oneshot) {
        handle->flags |= UV_SIGNAL_ONE_SHOT;
    } else {
        handle->flags &= ~UV_SIGNAL_ONE_SHOT;
    }
    handle->signal_cb = cb;
    uv__handle_start(handle);
    return 0;
}

int uv_signal_start(uv_signal_t *handle, uv_signal_cb cb, int signum)
{
    return signal_start(handle, cb, signum, 0);
}

int uv_signal_start_oneshot(uv_signal_t *handle, uv_signal_cb cb, int signum)
{
    return signal_start(handle, cb, signum, 1);
}

int uv_signal_stop(uv_signal_t *handle)
{
    if (handle->signum == 0) {
        return 0;
    }
    loop_signal_stop(&handle->ll.signal);
    handle->signum = 0;
    uv__handle_stop(handle);
    return 0;
}

void uv__signal_close(uv_signal_t *handle)
{
    uv_signal_stop(handle);
}

void uv_loop_fork_signals(void)
{
}
