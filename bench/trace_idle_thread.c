/*
 * trace_idle_thread.c — a preloadable library that only starts one idle
 * thread (blocked in pause()). bench/trace_overhead.sh runs the untraced
 * workloads with it preloaded as a control for the "probe loaded, no
 * session" figures: liblttng-ust starts two listener threads, and a process
 * with more than one thread pays more for some system calls (epoll_wait among
 * them) whatever the threads do.
 */
#include <pthread.h>
#include <unistd.h>

static void *idle(void *arg)
{
    (void)arg;
    for (;;) {
        pause();
    }
    return NULL;
}

__attribute__((constructor)) static void start_idle_thread(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, idle, NULL) == 0) {
        pthread_detach(t);
    }
}
