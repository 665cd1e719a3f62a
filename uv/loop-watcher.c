/*
 * loop-watcher.c — idle, prepare and check handles: callbacks run once per
 * loop iteration in their phase, each as a dispatch of the handle's libloop
 * handle. A handle started during its phase runs in the next iteration.
 */
#include "uv-internal.h"

static void idle_thunk(uv_handle_t *h, void *arg)
{
    (void)arg;
    ((uv_idle_t *)h)->idle_cb((uv_idle_t *)h);
}
static void prepare_thunk(uv_handle_t *h, void *arg)
{
    (void)arg;
    ((uv_prepare_t *)h)->prepare_cb((uv_prepare_t *)h);
}
static void check_thunk(uv_handle_t *h, void *arg)
{
    (void)arg;
    ((uv_check_t *)h)->check_cb((uv_check_t *)h);
}

#define UV__LOOP_WATCHER_DEFINE(name)                                                    \
    int uv_##name##_init_at(uv_loop_t *loop, uv_##name##_t *handle,                      \
                            const loop_site_t *site)                                     \
    {                                                                                    \
        uv__handle_init(loop, (uv_handle_t *)handle, UV_##name##_TYPE, site);            \
        handle->name##_cb = NULL;                                                        \
        uv__q_init(&handle->queue);                                                      \
        return 0;                                                                        \
    }                                                                                    \
                                                                                         \
    int uv_##name##_start(uv_##name##_t *handle, uv_##name##_cb cb)                      \
    {                                                                                    \
        if (uv__is_active(handle)) {                                                     \
            return 0;                                                                    \
        }                                                                                \
        if (cb == NULL) {                                                                \
            return UV_EINVAL;                                                            \
        }                                                                                \
        uv__q_insert_head(&handle->loop->name##_handles, &handle->queue);                \
        handle->name##_cb = cb;                                                          \
        uv__handle_start(handle);                                                        \
        return 0;                                                                        \
    }                                                                                    \
                                                                                         \
    int uv_##name##_stop(uv_##name##_t *handle)                                          \
    {                                                                                    \
        if (!uv__is_active(handle)) {                                                    \
            return 0;                                                                    \
        }                                                                                \
        uv__q_remove(&handle->queue);                                                    \
        uv__q_init(&handle->queue);                                                      \
        uv__handle_stop(handle);                                                         \
        return 0;                                                                        \
    }                                                                                    \
                                                                                         \
    void uv__run_##name(uv_loop_t *loop)                                                 \
    {                                                                                    \
        uv__queue_t queue;                                                               \
        uv__q_move(&loop->name##_handles, &queue);                                       \
        while (!uv__q_empty(&queue)) {                                                   \
            uv__queue_t *q = queue.next;                                                 \
            uv_##name##_t *h = uv__container_of(q, uv_##name##_t, queue);                \
            uv__q_remove(q);                                                             \
            uv__q_insert_tail(&loop->name##_handles, q);                                 \
            uv__dispatch((uv_handle_t *)h, name##_thunk, NULL);                          \
        }                                                                                \
    }                                                                                    \
                                                                                         \
    void uv__##name##_close(uv_##name##_t *handle)                                       \
    {                                                                                    \
        uv_##name##_stop(handle);                                                        \
    }

#define UV_idle_TYPE UV_IDLE
#define UV_prepare_TYPE UV_PREPARE
#define UV_check_TYPE UV_CHECK

UV__LOOP_WATCHER_DEFINE(idle)
UV__LOOP_WATCHER_DEFINE(prepare)
UV__LOOP_WATCHER_DEFINE(check)
