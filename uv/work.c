/*
 * work.c — uv_queue_work and uv_cancel over libloop's thread pool (shared by
 * every loop, LOOP_THREADPOOL_SIZE or UV_THREADPOOL_SIZE threads, default
 * 4). The after-work callback is dispatched by libloop (kind "work").
 */
#include "uv-internal.h"

static void work_trampoline(loop_work_t *w)
{
    uv_work_t *req = uv__container_of(w, uv_work_t, w);

    req->work_cb(req);
}

static void done_trampoline(loop_work_t *w, int status)
{
    uv_work_t *req = uv__container_of(w, uv_work_t, w);

    uv__req_unregister(req->loop);
    if (req->after_work_cb != NULL) {
        req->after_work_cb(req, status == -ECANCELED ? UV_ECANCELED : status);
    }
}

/* libuv's variable sizes the shared pool when libloop's is not set. */
__attribute__((constructor)) static void uv__threadpool_size_env(void)
{
    const char *v = getenv("UV_THREADPOOL_SIZE");

    if (v != NULL && getenv("LOOP_THREADPOOL_SIZE") == NULL) {
        setenv("LOOP_THREADPOOL_SIZE", v, 0);
    }
}

int uv_queue_work_at(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
                     uv_after_work_cb after_work_cb, const loop_site_t *site)
{
    int err;

    if (work_cb == NULL) {
        return UV_EINVAL;
    }
    req->type = UV_WORK;
    req->loop = loop;
    req->work_cb = work_cb;
    req->after_work_cb = after_work_cb;
    uv__req_register(loop);
    err = loop_work_submit_at(loop->ll, &req->w, work_trampoline, done_trampoline, site);
    if (err < 0) {
        uv__req_unregister(loop);
        return err;
    }
    return 0;
}

int uv_cancel(uv_req_t *req)
{
    int err;

    switch (req->type) {
    case UV_WORK:
        err = loop_work_cancel(&((uv_work_t *)req)->w);
        return err == -EBUSY ? UV_EBUSY : err;
    case UV_FS:
    case UV_GETADDRINFO:
    case UV_GETNAMEINFO:
    case UV_RANDOM:
        return UV_EBUSY;
    default:
        return UV_EINVAL;
    }
}
