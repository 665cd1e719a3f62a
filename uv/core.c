/*
 * core.c — the uv loop: init/close, uv_run with libuv 1.44.2's phases, time,
 * handles (init, close, ref), the epoll backend for io watchers, and the
 * dispatch path that runs every uv callback through libloop.
 *
 * How the uv loop sits on libloop:
 *  - uv_loop_t owns a libloop loop (loop->ll). Every uv handle has a libloop
 *    handle underneath (h->ll): a defer handle for most kinds, the libloop
 *    async handle for uv_async_t, the libloop signal watcher for uv_signal_t.
 *    It carries the id, the creation site and the uv type as its name, so
 *    loopctl, leak reports and traces show the user's handles.
 *  - uv_run runs libuv's phases itself: update time, timers, pending, idle,
 *    prepare, poll, check, closing (timers again in UV_RUN_ONCE). Each
 *    callback runs as a dispatch of the handle's libloop handle
 *    (loop__dispatch: callback_begin/end tracepoints, slow-callback and
 *    watchdog accounting).
 *  - The backend is an epoll set of its own (uv_backend_fd) holding the uv io
 *    watchers and libloop's epoll fd; when the latter is readable, libloop
 *    collects async sends, pool completions and signals, and runs them in one
 *    scheduler round (async, work and signal callbacks are libloop's own).
 *  - Close callbacks run in libloop's closing phase (loop__run_closing), in
 *    libuv's order: the handle closed last runs first.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uv-internal.h"
#include "core/trace.h"
#include "record/record.h"

static uv_loop_t default_loop_struct;
static uv_loop_t *default_loop_ptr;

static const char *const shadow_names[UV_HANDLE_TYPE_MAX] = {
    [UV_ASYNC] = "uv_async",     [UV_CHECK] = "uv_check",     [UV_IDLE] = "uv_idle",
    [UV_NAMED_PIPE] = "uv_pipe", [UV_POLL] = "uv_poll",       [UV_PREPARE] = "uv_prepare",
    [UV_TCP] = "uv_tcp",         [UV_TIMER] = "uv_timer",     [UV_SIGNAL] = "uv_signal",
    [UV_UDP] = "uv_udp",         [UV_TTY] = "uv_tty",         [UV_PROCESS] = "uv_process",
};

/* ---------------------------------------------------------------------- */
/* Time                                                                    */

uint64_t uv_hrtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The loop's clock is libloop's: recorded under LOOP_RECORD, taken from the
 * schedule under LOOP_REPLAY (type: LOOP__REC_ITER or LOOP__REC_CLOCK). */
static void uv__clock(uv_loop_t *loop, int type)
{
    loop__time_update(loop->ll, type);
    loop->time = loop->ll->now_ns / 1000000;
}

static void uv__update_time(uv_loop_t *loop)
{
    uv__clock(loop, LOOP__REC_CLOCK);
}

void uv_update_time(uv_loop_t *loop)
{
    uv__update_time(loop);
}

uint64_t uv_now(const uv_loop_t *loop)
{
    return loop->time;
}

/* ---------------------------------------------------------------------- */
/* Dispatch through libloop                                                */

static void shadow_trampoline(loop_defer_t *d)
{
    uv_handle_t *h = uv__container_of(d, uv_handle_t, ll.defer);
    uv_loop_t *loop = h->loop;

    loop->dispatch_fn(h, loop->dispatch_arg);
}

void uv__dispatch(uv_handle_t *h, void (*fn)(uv_handle_t *, void *), void *arg)
{
    uv_loop_t *loop = h->loop;
    loop_handle_t *lh = &h->ll.handle;
    void (*saved_fn)(uv_handle_t *, void *);
    void *saved_arg;

    /* Only an open defer shadow can carry the call (its cb field is free
     * until it is closed); anything else is called directly. */
    if (lh->kind != LOOP_KIND_DEFER || lh->magic != LOOP__MAGIC_OPEN ||
        (lh->flags & (LOOP__H_CLOSING | LOOP__H_CLOSED))) {
        fn(h, arg);
        return;
    }
    saved_fn = loop->dispatch_fn;
    saved_arg = loop->dispatch_arg;
    loop->dispatch_fn = fn;
    loop->dispatch_arg = arg;
    lh->cb = (void (*)(void))shadow_trampoline;
    /* Marked queued while it runs: libloop's defer dispatch then leaves the
     * active state (the uv handle's, mirrored) as the callback left it. */
    loop__inspect_lock(loop->ll);
    lh->flags |= LOOP__H_QUEUED;
    loop__inspect_unlock(loop->ll);
    loop__dispatch(loop->ll, lh);
    loop__inspect_lock(loop->ll);
    lh->flags &= (uint8_t)~LOOP__H_QUEUED;
    loop__inspect_unlock(loop->ll);
    loop->dispatch_fn = saved_fn;
    loop->dispatch_arg = saved_arg;
}

/* ---------------------------------------------------------------------- */
/* The loop                                                                */

static void ll_io(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    (void)w;
    (void)events;
    loop__poll(loop->ll, 0); /* collects wakeups: async sends, pool completions, signals */
}

int uv_loop_init(uv_loop_t *loop)
{
    void *saved_data = loop->data;
    int err;

    memset(loop, 0, sizeof(*loop));
    loop->data = saved_data;
    uv__q_init(UV__HQ(loop));
    uv__q_init(&loop->pending_queue);
    uv__q_init(&loop->idle_handles);
    uv__q_init(&loop->prepare_handles);
    uv__q_init(&loop->check_handles);
    loop->emfile_fd = -1;
    loop->backend_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->backend_fd < 0) {
        return UV__ERR(errno);
    }
    loop->ll = loop_new();
    if (loop->ll == NULL) {
        err = UV__ERR(errno);
        close(loop->backend_fd);
        loop->backend_fd = -1;
        return err;
    }
    /* libuv runs each async / completion once per poll phase: one round */
    loop_configure(loop->ll, LOOP_OPT_ROUNDS_PER_POLL, 1);
    uv__io_init(&loop->ll_watcher, NULL, ll_io, loop->ll->epfd);
    uv__io_start(loop, &loop->ll_watcher, UV__POLLIN);
    uv__update_time(loop);
    return 0;
}

uv_loop_t *uv_default_loop(void)
{
    if (default_loop_ptr != NULL) {
        return default_loop_ptr;
    }
    if (uv_loop_init(&default_loop_struct) != 0) {
        return NULL;
    }
    default_loop_ptr = &default_loop_struct;
    return default_loop_ptr;
}

uv_loop_t *uv_loop_new(void)
{
    uv_loop_t *loop = malloc(sizeof(*loop));

    if (loop == NULL) {
        return NULL;
    }
    loop->data = NULL;
    if (uv_loop_init(loop) != 0) {
        free(loop);
        return NULL;
    }
    return loop;
}

int uv_loop_close(uv_loop_t *loop)
{
    uv__queue_t *q;
    int err;

    if (loop->active_reqs.count > 0) {
        return UV_EBUSY;
    }
    for (q = UV__HQ(loop)->next; q != UV__HQ(loop); q = q->next) {
        uv_handle_t *h = uv__container_of((void *)q, uv_handle_t, handle_queue);
        if (!(h->flags & UV_HANDLE_INTERNAL)) {
            /* debug mode names what is still open, with its creation site */
            if (loop->ll->debug) {
                loop__report_open(loop->ll);
            }
            return UV_EBUSY;
        }
    }
    uv__io_stop(loop, &loop->ll_watcher, UV__POLLIN);
    err = loop_close(loop->ll);
    if (err < 0) {
        uv__io_start(loop, &loop->ll_watcher, UV__POLLIN);
        return err;
    }
    loop->ll = NULL;
    if (loop->emfile_fd != -1) {
        uv__close(loop->emfile_fd);
        loop->emfile_fd = -1;
    }
    close(loop->backend_fd);
    loop->backend_fd = -1;
    free(loop->watchers);
    loop->watchers = NULL;
    loop->nwatchers = 0;
    free(loop->timer_heap);
    loop->timer_heap = NULL;
    if (loop == default_loop_ptr) {
        default_loop_ptr = NULL;
    }
    return 0;
}

void uv_loop_delete(uv_loop_t *loop)
{
    uv_loop_t *default_loop = default_loop_ptr;
    int err = uv_loop_close(loop);

    (void)err;
    if (loop != default_loop) {
        free(loop);
    }
}

size_t uv_loop_size(void)
{
    return sizeof(uv_loop_t);
}

loop_t *uv_loop_libloop(uv_loop_t *loop)
{
    return loop->ll;
}

void *uv_loop_get_data(const uv_loop_t *loop)
{
    return loop->data;
}

void uv_loop_set_data(uv_loop_t *loop, void *data)
{
    loop->data = data;
}

int uv_loop_configure(uv_loop_t *loop, uv_loop_option option, ...)
{
    va_list ap;
    int err = 0;

    (void)loop;
    va_start(ap, option);
    if (option == UV_LOOP_BLOCK_SIGNAL) {
        if (va_arg(ap, int) != SIGPROF) {
            err = UV_EINVAL;
        }
    } else if (option != UV_METRICS_IDLE_TIME) {
        err = UV_ENOSYS;
    }
    va_end(ap);
    return err;
}

int uv_loop_fork(uv_loop_t *loop)
{
    (void)loop;
    return UV_ENOSYS;
}

static int uv__loop_alive(const uv_loop_t *loop)
{
    return loop->active_handles > 0 || loop->active_reqs.count > 0 || loop->closing_count > 0;
}

int uv_loop_alive(const uv_loop_t *loop)
{
    return uv__loop_alive(loop);
}

int uv_backend_fd(const uv_loop_t *loop)
{
    return loop->backend_fd;
}

int uv_backend_timeout(const uv_loop_t *loop)
{
    if (loop->stop_flag != 0) {
        return 0;
    }
    if (loop->active_handles == 0 && loop->active_reqs.count == 0) {
        return 0;
    }
    if (!uv__q_empty(&loop->idle_handles) || !uv__q_empty(&loop->pending_queue) ||
        loop->closing_count > 0 || !loop__queue_empty(&loop->ll->pending)) {
        return 0;
    }
    return uv__next_timeout(loop);
}

void uv_stop(uv_loop_t *loop)
{
    loop->stop_flag = 1;
}

static int uv__run_pending(uv_loop_t *loop);
static void uv__io_poll(uv_loop_t *loop, int timeout);

int uv_run(uv_loop_t *loop, uv_run_mode mode)
{
    int timeout, r, can_sleep;

    loop->ll->thread = pthread_self();
    LOOP_TRACE(run_begin, loop->ll, (int)mode);
    r = uv__loop_alive(loop);
    if (!r) {
        uv__update_time(loop);
    }
    while (r != 0 && loop->stop_flag == 0) {
        uv__clock(loop, LOOP__REC_ITER);
        loop__count(&loop->ll->n_iterations);
        LOOP_TRACE(iter_begin, loop->ll);
        uv__run_timers(loop);
        /* decided before pending and idle run: UV_RUN_ONCE never blocks when
         * they had work, even if their callbacks stopped it */
        can_sleep = uv__q_empty(&loop->pending_queue) && uv__q_empty(&loop->idle_handles);
        uv__run_pending(loop);
        uv__run_idle(loop);
        uv__run_prepare(loop);
        timeout = 0;
        if ((mode == UV_RUN_ONCE && can_sleep) || mode == UV_RUN_DEFAULT) {
            timeout = uv_backend_timeout(loop);
        }
        uv__io_poll(loop, timeout);
        /* immediate callbacks (write_cb, connect errors) a few times, not forever */
        for (r = 0; r < 8 && !uv__q_empty(&loop->pending_queue); r++) {
            uv__run_pending(loop);
        }
        uv__run_check(loop);
        loop__run_closing(loop->ll);
        if (mode == UV_RUN_ONCE) {
            uv__update_time(loop);
            uv__run_timers(loop);
        }
        r = uv__loop_alive(loop);
        if (mode == UV_RUN_ONCE || mode == UV_RUN_NOWAIT) {
            break;
        }
    }
    if (loop->stop_flag != 0) {
        loop->stop_flag = 0;
    }
    if (LOOP_UNLIKELY(loop->ll->rr != NULL)) {
        loop__rr_run_end(loop->ll); /* flush the recording */
    }
    LOOP_TRACE(run_end, loop->ll, r ? 1 : 0);
    return r;
}

void uv_walk(uv_loop_t *loop, uv_walk_cb walk_cb, void *arg)
{
    uv__queue_t queue, *q;

    uv__q_move(UV__HQ(loop), &queue);
    while (!uv__q_empty(&queue)) {
        q = queue.next;
        uv_handle_t *h = uv__container_of((void *)q, uv_handle_t, handle_queue);
        uv__q_remove(q);
        uv__q_insert_tail(UV__HQ(loop), q);
        if (h->flags & UV_HANDLE_INTERNAL) {
            continue;
        }
        walk_cb(h, arg);
    }
}

static void print_handles(uv_loop_t *loop, int only_active, FILE *stream)
{
    uv__queue_t *q;

    if (loop == NULL) {
        loop = uv_default_loop();
    }
    for (q = UV__HQ(loop)->next; q != UV__HQ(loop); q = q->next) {
        uv_handle_t *h = uv__container_of((void *)q, uv_handle_t, handle_queue);
        if (only_active && !uv__is_active(h)) {
            continue;
        }
        fprintf(stream, "[%c%c%c] %-8s %p\n", "R-"[!(h->flags & UV_HANDLE_REF)],
                "A-"[!(h->flags & UV_HANDLE_ACTIVE)], "I-"[!(h->flags & UV_HANDLE_INTERNAL)],
                uv_handle_type_name(h->type), (void *)h);
    }
}

void uv_print_all_handles(uv_loop_t *loop, FILE *stream)
{
    print_handles(loop, 0, stream);
}

void uv_print_active_handles(uv_loop_t *loop, FILE *stream)
{
    print_handles(loop, 1, stream);
}

/* ---------------------------------------------------------------------- */
/* Handles                                                                 */

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

/* ---------------------------------------------------------------------- */
/* io watchers on the backend epoll set                                    */

void uv__io_init(uv__io_t *w, uv_handle_t *h, uv__io_cb cb, int fd)
{
    w->cb = cb;
    w->handle = h;
    uv__q_init(&w->pending_queue);
    w->fd = fd;
    w->events = 0;
    w->pevents = 0;
}

static int maybe_resize(uv_loop_t *loop, unsigned int len)
{
    uv__io_t **w;
    unsigned int n;

    if (len <= loop->nwatchers) {
        return 0;
    }
    n = loop->nwatchers ? loop->nwatchers : 64;
    while (n < len) {
        n *= 2;
    }
    w = realloc(loop->watchers, n * sizeof(*w));
    if (w == NULL) {
        return UV_ENOMEM;
    }
    memset(w + loop->nwatchers, 0, (n - loop->nwatchers) * sizeof(*w));
    loop->watchers = w;
    loop->nwatchers = n;
    return 0;
}

static void io_register(uv_loop_t *loop, uv__io_t *w)
{
    struct epoll_event e;
    int op;

    if (w->events == w->pevents) {
        return;
    }
    memset(&e, 0, sizeof(e));
    e.events = w->pevents;
    e.data.fd = w->fd;
    if (w->pevents == 0) {
        epoll_ctl(loop->backend_fd, EPOLL_CTL_DEL, w->fd, &e);
    } else {
        op = w->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (epoll_ctl(loop->backend_fd, op, w->fd, &e) != 0) {
            if (errno == EEXIST) {
                epoll_ctl(loop->backend_fd, EPOLL_CTL_MOD, w->fd, &e);
            } else if (errno == ENOENT) {
                epoll_ctl(loop->backend_fd, EPOLL_CTL_ADD, w->fd, &e);
            }
        }
    }
    w->events = w->pevents;
}

void uv__io_start(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    assert(w->fd >= 0);
    if (maybe_resize(loop, (unsigned int)w->fd + 1) != 0) {
        return;
    }
    w->pevents |= events;
    io_register(loop, w);
    if (loop->watchers[w->fd] == NULL) {
        loop->watchers[w->fd] = w;
    }
}

void uv__io_stop(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    if (w->fd == -1) {
        return;
    }
    w->pevents &= ~events;
    io_register(loop, w);
    if (w->pevents == 0 && (unsigned int)w->fd < loop->nwatchers &&
        loop->watchers[w->fd] == w) {
        loop->watchers[w->fd] = NULL;
    }
}

void uv__io_close(uv_loop_t *loop, uv__io_t *w)
{
    struct epoll_event *events = loop->poll_events;

    uv__io_stop(loop, w, UV__POLLIN | UV__POLLOUT | UV__POLLRDHUP | UV__POLLPRI);
    uv__q_remove(&w->pending_queue);
    uv__q_init(&w->pending_queue);
    /* drop what the batch being dispatched still holds for this fd */
    if (events != NULL && w->fd >= 0) {
        for (int i = 0; i < loop->poll_nevents; i++) {
            if (events[i].data.fd == w->fd) {
                events[i].data.fd = -1;
            }
        }
    }
}

void uv__io_feed(uv_loop_t *loop, uv__io_t *w)
{
    if (uv__q_empty(&w->pending_queue)) {
        uv__q_insert_tail(&loop->pending_queue, &w->pending_queue);
    }
}

int uv__io_active(const uv__io_t *w, unsigned int events)
{
    return (w->pevents & events) != 0;
}

int uv__fd_exists(uv_loop_t *loop, int fd)
{
    return fd >= 0 && (unsigned int)fd < loop->nwatchers && loop->watchers[fd] != NULL;
}

int uv__io_check_fd(uv_loop_t *loop, int fd)
{
    struct epoll_event e;
    int rc = 0;

    memset(&e, 0, sizeof(e));
    e.events = EPOLLIN;
    e.data.fd = -1;
    if (epoll_ctl(loop->backend_fd, EPOLL_CTL_ADD, fd, &e) != 0) {
        if (errno != EEXIST) {
            rc = UV__ERR(errno);
        }
    } else {
        epoll_ctl(loop->backend_fd, EPOLL_CTL_DEL, fd, &e);
    }
    return rc;
}

struct io_call {
    uv__io_t *w;
    unsigned int events;
};

static void io_thunk(uv_handle_t *h, void *arg)
{
    struct io_call *c = arg;
    c->w->cb(h->loop, c->w, c->events);
}

/*
 * Readiness is dispatched as an io item, so that the recorder writes its
 * events and a replay hands back the recorded ones (loop__rr_dispatch sets
 * revents): the handle's defer shadow poses as a libloop io watcher for the
 * length of the dispatch (kind IO, events in revents, "registered" so that
 * loop__io_dispatch calls it). The trampoline drops the pose before the uv
 * callback runs, so a uv_close() inside it finds an unregistered watcher.
 */
enum {
    IO_EV_IN = LOOP_READABLE,
    IO_EV_OUT = LOOP_WRITABLE,
    IO_EV_HUP = LOOP_HANGUP,
    IO_EV_ERR = LOOP_ERROR,
    IO_EV_PRI = 0x10,
    IO_EV_RDHUP = 0x20,
    IO_EV_ALL = 0x3f,
};

static int io_ev_from_epoll(unsigned int e)
{
    return ((e & UV__POLLIN) ? IO_EV_IN : 0) | ((e & UV__POLLOUT) ? IO_EV_OUT : 0) |
           ((e & UV__POLLHUP) ? IO_EV_HUP : 0) | ((e & UV__POLLERR) ? IO_EV_ERR : 0) |
           ((e & UV__POLLPRI) ? IO_EV_PRI : 0) | ((e & UV__POLLRDHUP) ? IO_EV_RDHUP : 0);
}

static unsigned int io_ev_to_epoll(int ev)
{
    return ((ev & IO_EV_IN) ? UV__POLLIN : 0) | ((ev & IO_EV_OUT) ? UV__POLLOUT : 0) |
           ((ev & IO_EV_HUP) ? UV__POLLHUP : 0) | ((ev & IO_EV_ERR) ? UV__POLLERR : 0) |
           ((ev & IO_EV_PRI) ? UV__POLLPRI : 0) | ((ev & IO_EV_RDHUP) ? UV__POLLRDHUP : 0);
}

static void io_trampoline(loop_io_t *io, int ev)
{
    uv_handle_t *h = uv__container_of(io, uv_handle_t, ll.io);
    uv_loop_t *loop = h->loop;
    uv__io_t *w = loop->dispatch_arg;

    loop__inspect_lock(loop->ll);
    io->registered = 0;
    io->events = 0;
    loop__inspect_unlock(loop->ll);
    w->cb(loop, w, io_ev_to_epoll(ev));
}

void uv__io_dispatch(uv_loop_t *loop, uv__io_t *w, unsigned int events)
{
    uv_handle_t *h = w->handle;
    loop_handle_t *lh;
    void *saved_arg;

    if (h == NULL) {
        w->cb(loop, w, events);
        return;
    }
    lh = &h->ll.handle;
    if (lh->kind != LOOP_KIND_DEFER || lh->magic != LOOP__MAGIC_OPEN ||
        (lh->flags & (LOOP__H_CLOSING | LOOP__H_CLOSED))) {
        struct io_call c = {w, events};
        uv__dispatch(h, io_thunk, &c);
        return;
    }
    saved_arg = loop->dispatch_arg;
    loop->dispatch_arg = w;
    /* a monitor thread may be reading the handle table: change it locked */
    loop__inspect_lock(loop->ll);
    h->ll.io.fd = w->fd;
    h->ll.io.status = 0;
    h->ll.io.events = IO_EV_ALL;
    h->ll.io.revents = io_ev_from_epoll(events);
    h->ll.io.registered = 1;
    lh->kind = LOOP_KIND_IO;
    lh->flags |= LOOP__H_QUEUED; /* see uv__dispatch */
    loop__inspect_unlock(loop->ll);
    lh->cb = (void (*)(void))io_trampoline;
    loop__dispatch(loop->ll, lh);
    loop__inspect_lock(loop->ll);
    lh->flags &= (uint8_t)~LOOP__H_QUEUED;
    h->ll.io.registered = 0;
    h->ll.io.events = 0;
    lh->kind = LOOP_KIND_DEFER;
    loop__inspect_unlock(loop->ll);
    loop->dispatch_arg = saved_arg;
}

static int uv__run_pending(uv_loop_t *loop)
{
    uv__queue_t pq;

    if (uv__q_empty(&loop->pending_queue)) {
        return 0;
    }
    uv__q_move(&loop->pending_queue, &pq);
    while (!uv__q_empty(&pq)) {
        uv__queue_t *q = pq.next;
        uv__q_remove(q);
        uv__q_init(q);
        /* a deferred completion, not readiness: an ordinary (defer) dispatch */
        uv__io_t *w = uv__container_of(q, uv__io_t, pending_queue);
        struct io_call c = {w, UV__POLLOUT};
        if (w->handle == NULL) {
            w->cb(loop, w, UV__POLLOUT);
        } else {
            uv__dispatch(w->handle, io_thunk, &c);
        }
    }
    return 1;
}

/*
 * LOOP_CHAOS: what libuv does not promise about one poll — the order in
 * which the ready fds of a batch run, and whether a ready fd runs in this
 * iteration or a later one — from the seeded generator. The batch is
 * shuffled and one event in four is held back (epoll is level-triggered: it
 * is reported again by the next poll, which then does not block). Each
 * choice that differs from the plain order is a numbered perturbation, as
 * libloop's own: LOOP_CHAOS_ONLY applies only the listed ones, and
 * LOOP_CHAOS_LOG gets a line per perturbation ("uv: ..."). The run is
 * recorded as usual, so a failing chaos run replays exactly.
 */
__attribute__((format(printf, 2, 3))) static bool uv__perturb(uv_loop_t *loop, const char *fmt,
                                                              ...)
{
    struct loop__rr *rr = loop->ll->rr;
    uint64_t n = ++rr->chaos_perturbs;
    bool on = rr->chaos_only == NULL;
    va_list ap;

    for (size_t i = 0; !on && i < rr->chaos_only_n; i++) {
        on = n >= rr->chaos_only[2 * i] && n <= rr->chaos_only[2 * i + 1];
    }
    if (rr->chaos_log != NULL) {
        fprintf(rr->chaos_log, "P%llu %s step=%llu uv: ", (unsigned long long)n,
                on ? "applied" : "reverted",
                (unsigned long long)(rr->w ? loop__schedw_count(rr->w) + 1 : 0));
        va_start(ap, fmt);
        vfprintf(rr->chaos_log, fmt, ap);
        va_end(ap);
        fputc('\n', rr->chaos_log);
        fflush(rr->chaos_log);
    }
    return on;
}

static int uv__chaos_batch(uv_loop_t *loop, struct epoll_event *events, int n)
{
    uint64_t *rng = &loop->ll->rr->chaos_rng;
    int kept = 0;

    for (int i = n - 1; i > 0; i--) {
        int j = (int)(loop__rr_rand(rng) % (uint64_t)(i + 1));
        if (j != i && uv__perturb(loop, "ran the readiness of fd %d before fd %d",
                                  events[i].data.fd, events[j].data.fd)) {
            struct epoll_event t = events[i];
            events[i] = events[j];
            events[j] = t;
        }
    }
    for (int i = 0; i < n; i++) {
        if (events[i].data.fd != loop->ll_watcher.fd && loop__rr_rand(rng) % 4 == 0 &&
            uv__perturb(loop, "held back the readiness of fd %d until a later poll",
                        events[i].data.fd)) {
            continue;
        }
        events[kept++] = events[i];
    }
    return kept;
}

static void uv__io_poll(uv_loop_t *loop, int timeout)
{
    struct epoll_event events[1024];
    int n;

    if (uv__replaying(loop)) {
        /* the schedule says what was ready, in which order */
        uv__update_time(loop); /* as a real poll reads the clock when it returns */
        uv__replay_poll(loop);
        return;
    }
    LOOP_TRACE(poll_begin, loop->ll, timeout < 0 ? (int64_t)-1 : (int64_t)timeout * 1000000);
    do {
        n = epoll_wait(loop->backend_fd, events, (int)UV__ARRAY_SIZE(events), timeout);
    } while (n < 0 && errno == EINTR && timeout == -1);
    LOOP_TRACE(poll_end, loop->ll, n < 0 ? 0 : n, n < 0 ? errno : 0);
    uv__update_time(loop);
    if (LOOP_UNLIKELY(loop->ll->policy == LOOP__POLICY_CHAOS) && n > 0) {
        n = uv__chaos_batch(loop, events, n);
    }
    loop->poll_events = events;
    loop->poll_nevents = n < 0 ? 0 : n;
    for (int i = 0; i < n; i++) {
        int fd = events[i].data.fd;
        uv__io_t *w;
        unsigned int ev;

        if (fd == -1) {
            continue;
        }
        w = (unsigned int)fd < loop->nwatchers ? loop->watchers[fd] : NULL;
        if (w == NULL) {
            epoll_ctl(loop->backend_fd, EPOLL_CTL_DEL, fd, &events[i]);
            continue;
        }
        ev = events[i].events & (w->pevents | UV__POLLERR | UV__POLLHUP);
        if (ev == UV__POLLERR || ev == UV__POLLHUP) {
            ev |= w->pevents & (UV__POLLIN | UV__POLLOUT | UV__POLLRDHUP | UV__POLLPRI);
        }
        if (ev != 0) {
            uv__io_dispatch(loop, w, ev);
        }
    }
    loop->poll_events = NULL;
    loop->poll_nevents = 0;
    /* libloop's ready items (async, work done, signals): one round */
    if (!loop__queue_empty(&loop->ll->pending)) {
        loop__sched_run_rounds(loop->ll);
    }
}

/* ---------------------------------------------------------------------- */
/* fd helpers                                                              */

int uv__nonblock(int fd, int set)
{
    int r;

    do {
        r = ioctl(fd, FIONBIO, &set);
    } while (r == -1 && errno == EINTR);
    return r ? UV__ERR(errno) : 0;
}

int uv__cloexec(int fd, int set)
{
    int r;

    do {
        r = ioctl(fd, set ? FIOCLEX : FIONCLEX);
    } while (r == -1 && errno == EINTR);
    return r ? UV__ERR(errno) : 0;
}

int uv__close(int fd)
{
    int saved = errno;
    int rc = close(fd);

    if (rc == -1) {
        rc = UV__ERR(errno);
        if (rc == UV_EINTR || rc == UV__ERR(EINPROGRESS)) {
            rc = 0;
        }
        errno = saved;
    }
    return rc;
}

int uv__socket(int domain, int type, int protocol)
{
    int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);

    return fd == -1 ? UV__ERR(errno) : fd;
}

int uv__accept(int sockfd)
{
    int fd;

    do {
        fd = accept4(sockfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd == -1 && errno == EINTR);
    return fd == -1 ? UV__ERR(errno) : fd;
}

int uv__open_cloexec(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);

    return fd == -1 ? UV__ERR(errno) : fd;
}
