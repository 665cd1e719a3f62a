/*
 * core.c — the uv loop: init/close, uv_run with libuv 1.44.2's phases, time,
 * walk, and the dispatch path that runs every uv callback through libloop.
 * Handles are in handle.c, the epoll backend and the poll phase in io.c.
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

/* Out of line: the untraced path stays a flag test (extract makes the CLOCK record of it). */
__attribute__((noinline, cold)) static void uv__trace_clock(const uv_loop_t *loop)
{
    LOOP_TRACE_DO(time_update, loop->ll);
}

void uv__update_time(uv_loop_t *loop)
{
    uv__clock(loop, LOOP__REC_CLOCK);
    if (LOOP_UNLIKELY(LOOP_TRACE_ENABLED(time_update))) {
        uv__trace_clock(loop);
    }
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
