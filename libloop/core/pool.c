/*
 * pool.c — the thread pool: work functions run on worker threads, their
 * completion callbacks on the owning loop's thread.
 *
 * Process-wide, because threads are: one pool serves every loop (as in
 * libuv), started on first use with LOOP_THREADPOOL_SIZE threads (default 4,
 * 1..256). Workers block every signal. Queued work is FIFO and guarded by
 * pool_mu; completions go to the loop's done list (guarded by loop->done_mu)
 * and wake it. The pool lives until exit; a forked child starts its own
 * (pthread_atfork below).
 */
#include <signal.h>
#include <stdlib.h>

#include "internal.h"
#include "record/record.h"
#include "trace.h"

enum { WORK_IDLE = 0, WORK_QUEUED, WORK_RUNNING, WORK_DONE };

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static loop_queue_t pool_queue = {&pool_queue, &pool_queue};
static int pool_threads; /* started workers; guarded by pool_mu */
static atomic_int pool_started; /* set once the workers run: submit skips the start lock */
static int pool_idle;

static void complete(loop_work_t *w)
{
    loop_t *loop = w->handle.loop;

    /* Wake under the lock: once it is released the loop may collect w, run
     * its callback and be closed, so nothing may touch loop afterwards. */
    pthread_mutex_lock(&loop->done_mu);
    loop__queue_insert_tail(&loop->done, &w->pool_node);
    loop__wake(loop);
    pthread_mutex_unlock(&loop->done_mu);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        loop_work_t *w;

        pthread_mutex_lock(&pool_mu);
        while (loop__queue_empty(&pool_queue)) {
            pool_idle++;
            pthread_cond_wait(&pool_cv, &pool_mu);
            pool_idle--;
        }
        w = loop__queue_data(pool_queue.next, loop_work_t, pool_node);
        loop__queue_remove(&w->pool_node);
        atomic_store_explicit((atomic_int *)&w->state, WORK_RUNNING, memory_order_release);
        pthread_mutex_unlock(&pool_mu);

        LOOP_TRACE(pool_begin, w);
        w->work(w);
        LOOP_TRACE(pool_end, w);
        atomic_store_explicit((atomic_int *)&w->state, WORK_DONE, memory_order_release);
        complete(w);
    }
    return NULL;
}

static int pool_size(void)
{
    long n;

    loop__env_long("LOOP_THREADPOOL_SIZE", 1, 256, 4, &n);
    return (int)n;
}

/*
 * fork(): the child has none of the workers, so it starts over: no threads,
 * an empty queue (what was queued belongs to the parent's loops; loop_fork
 * cancels the child loop's share), started again on the next submit.
 */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_prepare(void)
{
    pthread_mutex_lock(&pool_mu);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&pool_mu);
}

static void atfork_child(void)
{
    pool_threads = 0;
    pool_idle = 0;
    atomic_store(&pool_started, 0);
    loop__queue_init(&pool_queue);
    pthread_cond_init(&pool_cv, NULL); /* a parent worker may have waited on it */
    pthread_mutex_unlock(&pool_mu);
}

static void atfork_init(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* loop_fork(): this loop's work that was queued or running at the fork never
 * completes here: complete it with -ECANCELED (loop thread, child). */
void loop__pool_fork(loop_t *loop)
{
    loop_queue_t *q;

    loop__queue_foreach(q, &loop->handles) {
        loop_handle_t *h = loop__queue_data(q, loop_handle_t, all);
        if (h->kind != LOOP_KIND_WORK || h->magic != LOOP__MAGIC_OPEN) {
            continue;
        }
        loop_work_t *w = (loop_work_t *)h;
        int st = atomic_load((atomic_int *)&w->state);
        if (st == WORK_QUEUED || st == WORK_RUNNING) {
            atomic_store((atomic_int *)&w->state, WORK_DONE);
            w->status = -ECANCELED;
            complete(w);
        }
    }
}

/* Start the workers (pool_mu held). -EAGAIN when not even one can start. */
static int pool_start(void)
{
    int want = pool_size();
    sigset_t all, old;
    pthread_attr_t attr;

    if (pool_threads > 0) {
        return 0;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int i = 0; i < want; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, worker, NULL) != 0) {
            break;
        }
        pool_threads++;
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pool_threads > 0) {
        atomic_store_explicit(&pool_started, 1, memory_order_release);
    }
    return pool_threads > 0 ? 0 : -EAGAIN;
}

int loop_work_submit_at(loop_t *loop, loop_work_t *w, loop_work_fn work, loop_work_done_cb done,
                        const loop_site_t *site)
{
    int rc;

    if (loop == NULL || w == NULL || work == NULL || done == NULL) {
        return -EINVAL;
    }
    if (w->handle.loop != NULL && w->handle.magic == LOOP__MAGIC_OPEN &&
        w->handle.kind == LOOP_KIND_WORK) {
        int st = atomic_load((atomic_int *)&w->state);
        if (st == WORK_QUEUED || st == WORK_RUNNING) {
            return -EBUSY;
        }
    }
    if (!atomic_load_explicit(&pool_started, memory_order_acquire)) {
        pthread_once(&atfork_once, atfork_init);
        pthread_mutex_lock(&pool_mu);
        rc = pool_start();
        pthread_mutex_unlock(&pool_mu);
        if (rc < 0) {
            return rc;
        }
    }
    rc = loop__handle_init_fast(loop, &w->handle, LOOP_KIND_WORK, site);
    if (rc < 0) {
        return rc;
    }
    w->handle.cb = (void (*)(void))done;
    w->work = work;
    w->status = 0;
    loop->work_inflight++;
    loop__rr_adopt(loop, &w->handle); /* chaos: its completion follows the submitter's rank */
    loop__handle_start_fast(&w->handle);
    LOOP_TRACE(pool_submit, w);

    pthread_mutex_lock(&pool_mu);
    atomic_store_explicit((atomic_int *)&w->state, WORK_QUEUED, memory_order_release);
    loop__queue_insert_tail(&pool_queue, &w->pool_node);
    if (pool_idle > 0) {
        pthread_cond_signal(&pool_cv);
    }
    pthread_mutex_unlock(&pool_mu);
    return 0;
}

int loop_work_cancel(loop_work_t *w)
{
    int rc = loop__handle_check((loop_handle_t *)w, LOOP_KIND_WORK, "loop_work_cancel");

    if (rc < 0) {
        return rc;
    }
    pthread_mutex_lock(&pool_mu);
    if (atomic_load((atomic_int *)&w->state) != WORK_QUEUED) {
        pthread_mutex_unlock(&pool_mu);
        loop__rr_outcome(w->handle.loop, LOOP__NOTE_WORK_CANCEL, w->handle.id, -EBUSY);
        return -EBUSY;
    }
    loop__queue_remove(&w->pool_node);
    atomic_store_explicit((atomic_int *)&w->state, WORK_DONE, memory_order_release);
    pthread_mutex_unlock(&pool_mu);
    w->status = -ECANCELED;
    loop__rr_outcome(w->handle.loop, LOOP__NOTE_WORK_CANCEL, w->handle.id, 0);
    complete(w);
    return 0;
}

void loop__pool_collect(loop_t *loop)
{
    loop_queue_t q;

    loop__queue_init(&q);
    pthread_mutex_lock(&loop->done_mu);
    loop__queue_splice(&q, &loop->done);
    pthread_mutex_unlock(&loop->done_mu);
    while (!loop__queue_empty(&q)) {
        loop_work_t *w = loop__queue_data(q.next, loop_work_t, pool_node);
        loop__queue_remove(&w->pool_node);
        loop__sched_push_fast(loop, &w->handle);
    }
}

void loop__work_dispatch(loop_work_t *w)
{
    loop_t *loop = w->handle.loop;
    int status = w->status;

    loop->work_inflight--;
    loop__handle_stop_fast(&w->handle);
    loop__handle_unlink_fast(&w->handle); /* core-c: moves a paused monitor walk off it */
    if (LOOP_UNLIKELY(loop->dbg != NULL)) {
        loop__debug_handle_gone(loop, w->handle.id); /* its creation backtrace */
    }
    w->handle.magic = LOOP__MAGIC_CLOSED;
    atomic_store_explicit((atomic_int *)&w->state, WORK_IDLE, memory_order_release);
    LOOP_TRACE(pool_done, w, status);
    loop__rr_outcome(loop, LOOP__NOTE_WORK_STATUS, w->handle.id, status);
    ((loop_work_done_cb)w->handle.cb)(w, status);
}
