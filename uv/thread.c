/*
 * thread.c — threads and synchronisation: thin pthread wrappers with libuv's
 * rules (the default thread stack size, barriers that may be destroyed after
 * the first return, UV_EBUSY from the try-locks).
 */
#include <limits.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "uv-internal.h"

struct thread_start {
    uv_thread_cb entry;
    void *arg;
};

static void *thread_main(void *p)
{
    struct thread_start s = *(struct thread_start *)p;

    free(p);
    s.entry(s.arg);
    return NULL;
}

int uv_thread_create(uv_thread_t *tid, uv_thread_cb entry, void *arg)
{
    return uv_thread_create_ex(tid, NULL, entry, arg);
}

/* The default stack: RLIMIT_STACK (page-aligned, at least PTHREAD_STACK_MIN),
 * 2 MiB when unlimited, as libuv. */
static size_t default_stack_size(void)
{
    struct rlimit lim;
    size_t page = (size_t)getpagesize();

    if (getrlimit(RLIMIT_STACK, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
        return 2u << 20;
    }
    lim.rlim_cur -= lim.rlim_cur % page;
    if (lim.rlim_cur >= (rlim_t)PTHREAD_STACK_MIN) {
        return (size_t)lim.rlim_cur;
    }
    return 2u << 20;
}

int uv_thread_create_ex(uv_thread_t *tid, const uv_thread_options_t *params,
                        uv_thread_cb entry, void *arg)
{
    struct thread_start *s;
    pthread_attr_t attr;
    size_t stack_size = 0, page = (size_t)getpagesize();
    int err;

    if (params != NULL && (params->flags & UV_THREAD_HAS_STACK_SIZE)) {
        stack_size = params->stack_size;
    }
    if (stack_size == 0) {
        stack_size = default_stack_size();
    }
    stack_size = (stack_size + page - 1) / page * page;
    if (stack_size < (size_t)PTHREAD_STACK_MIN) {
        stack_size = PTHREAD_STACK_MIN;
    }
    s = malloc(sizeof(*s));
    if (s == NULL) {
        return UV_ENOMEM;
    }
    s->entry = entry;
    s->arg = arg;
    pthread_attr_init(&attr);
    err = pthread_attr_setstacksize(&attr, stack_size);
    if (err == 0) {
        err = pthread_create(tid, &attr, thread_main, s);
    }
    pthread_attr_destroy(&attr);
    if (err) {
        free(s);
    }
    return UV__ERR(err);
}

int uv_key_create(uv_key_t *key)
{
    return UV__ERR(pthread_key_create(key, NULL));
}

void uv_key_delete(uv_key_t *key)
{
    pthread_key_delete(*key);
}

void *uv_key_get(uv_key_t *key)
{
    return pthread_getspecific(*key);
}

void uv_key_set(uv_key_t *key, void *value)
{
    pthread_setspecific(*key, value);
}

int uv_rwlock_init(uv_rwlock_t *rwlock)
{
    return UV__ERR(pthread_rwlock_init(rwlock, NULL));
}

void uv_rwlock_destroy(uv_rwlock_t *rwlock)
{
    pthread_rwlock_destroy(rwlock);
}

void uv_rwlock_rdlock(uv_rwlock_t *rwlock)
{
    pthread_rwlock_rdlock(rwlock);
}

int uv_rwlock_tryrdlock(uv_rwlock_t *rwlock)
{
    int err = pthread_rwlock_tryrdlock(rwlock);

    return (err == EBUSY || err == EAGAIN) ? UV_EBUSY : UV__ERR(err);
}

void uv_rwlock_rdunlock(uv_rwlock_t *rwlock)
{
    pthread_rwlock_unlock(rwlock);
}

void uv_rwlock_wrlock(uv_rwlock_t *rwlock)
{
    pthread_rwlock_wrlock(rwlock);
}

int uv_rwlock_trywrlock(uv_rwlock_t *rwlock)
{
    int err = pthread_rwlock_trywrlock(rwlock);

    return (err == EBUSY || err == EAGAIN) ? UV_EBUSY : UV__ERR(err);
}

void uv_rwlock_wrunlock(uv_rwlock_t *rwlock)
{
    pthread_rwlock_unlock(rwlock);
}

int uv_thread_join(uv_thread_t *tid)
{
    return UV__ERR(pthread_join(*tid, NULL));
}

uv_thread_t uv_thread_self(void)
{
    return pthread_self();
}

int uv_thread_equal(const uv_thread_t *t1, const uv_thread_t *t2)
{
    return pthread_equal(*t1, *t2);
}

int uv_mutex_init(uv_mutex_t *m)
{
    return UV__ERR(pthread_mutex_init(m, NULL));
}

int uv_mutex_init_recursive(uv_mutex_t *m)
{
    pthread_mutexattr_t attr;
    int err;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    err = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    return UV__ERR(err);
}

void uv_mutex_destroy(uv_mutex_t *m)
{
    pthread_mutex_destroy(m);
}

void uv_mutex_lock(uv_mutex_t *m)
{
    if (pthread_mutex_lock(m)) {
        abort();
    }
}

int uv_mutex_trylock(uv_mutex_t *m)
{
    int err = pthread_mutex_trylock(m);

    if (err == EBUSY || err == EAGAIN) {
        return UV_EBUSY;
    }
    return UV__ERR(err);
}

void uv_mutex_unlock(uv_mutex_t *m)
{
    if (pthread_mutex_unlock(m)) {
        abort();
    }
}

int uv_sem_init(uv_sem_t *sem, unsigned int value)
{
    return sem_init(sem, 0, value) ? UV__ERR(errno) : 0;
}

void uv_sem_destroy(uv_sem_t *sem)
{
    sem_destroy(sem);
}

void uv_sem_post(uv_sem_t *sem)
{
    sem_post(sem);
}

void uv_sem_wait(uv_sem_t *sem)
{
    int r;

    do {
        r = sem_wait(sem);
    } while (r == -1 && errno == EINTR);
}

int uv_sem_trywait(uv_sem_t *sem)
{
    int r;

    do {
        r = sem_trywait(sem);
    } while (r == -1 && errno == EINTR);
    if (r) {
        return errno == EAGAIN ? UV_EAGAIN : UV__ERR(errno);
    }
    return 0;
}

int uv_cond_init(uv_cond_t *cond)
{
    pthread_condattr_t attr;
    int err;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    err = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return UV__ERR(err);
}

void uv_cond_destroy(uv_cond_t *cond)
{
    pthread_cond_destroy(cond);
}

void uv_cond_signal(uv_cond_t *cond)
{
    pthread_cond_signal(cond);
}

void uv_cond_broadcast(uv_cond_t *cond)
{
    pthread_cond_broadcast(cond);
}

void uv_cond_wait(uv_cond_t *cond, uv_mutex_t *mutex)
{
    pthread_cond_wait(cond, mutex);
}

int uv_cond_timedwait(uv_cond_t *cond, uv_mutex_t *mutex, uint64_t timeout)
{
    struct timespec ts;
    uint64_t abs = uv_hrtime() + timeout;
    int r;

    ts.tv_sec = (time_t)(abs / 1000000000u);
    ts.tv_nsec = (long)(abs % 1000000000u);
    r = pthread_cond_timedwait(cond, mutex, &ts);
    if (r == ETIMEDOUT) {
        return UV_ETIMEDOUT;
    }
    return UV__ERR(r);
}

/*
 * Barriers on a mutex and a condition: uv_barrier_destroy() waits until every
 * waiter has left uv_barrier_wait(), so the thread that returns first may
 * destroy it (glibc's pthread_barrier_destroy would race with the leavers).
 * The last thread to leave is the "serial" one.
 */
int uv_barrier_init(uv_barrier_t *barrier, unsigned int count)
{
    int err;

    if (barrier == NULL || count == 0) {
        return UV_EINVAL;
    }
    barrier->threshold = count;
    barrier->in = 0;
    barrier->out = 0;
    err = pthread_mutex_init(&barrier->mutex, NULL);
    if (err) {
        return UV__ERR(err);
    }
    err = pthread_cond_init(&barrier->cond, NULL);
    if (err) {
        pthread_mutex_destroy(&barrier->mutex);
        return UV__ERR(err);
    }
    return 0;
}

int uv_barrier_wait(uv_barrier_t *barrier)
{
    int last;

    pthread_mutex_lock(&barrier->mutex);
    if (++barrier->in == barrier->threshold) {
        barrier->in = 0;
        barrier->out = barrier->threshold;
        pthread_cond_broadcast(&barrier->cond);
    } else {
        do {
            pthread_cond_wait(&barrier->cond, &barrier->mutex);
        } while (barrier->in != 0);
    }
    last = (--barrier->out == 0);
    if (last) {
        pthread_cond_broadcast(&barrier->cond);
    }
    pthread_mutex_unlock(&barrier->mutex);
    return last;
}

void uv_barrier_destroy(uv_barrier_t *barrier)
{
    pthread_mutex_lock(&barrier->mutex);
    while (barrier->out != 0) {
        pthread_cond_wait(&barrier->cond, &barrier->mutex);
    }
    pthread_mutex_unlock(&barrier->mutex);
    pthread_cond_destroy(&barrier->cond);
    pthread_mutex_destroy(&barrier->mutex);
}

void uv_once(uv_once_t *guard, void (*callback)(void))
{
    pthread_once(guard, callback);
}
