/*
 * test_signal_threads.c — signal watchers in multi-threaded programs.
 *
 * A process-directed signal (kill(getpid())) goes to any thread that does not
 * block it. These tests build the thread layouts of real programs — another
 * thread that existed before the watcher started, one created after it, loops
 * on several threads watching one signal — and raise a signal that, without a
 * watcher, would kill the process (SIGUSR1/SIGUSR2: default action terminate).
 *
 * Each scenario runs in a forked child so that a process killed by the signal
 * is a failed test (the parent checks the child's exit status), not a crash of
 * the Criterion runner. The child's loops have a 10 s deadline timer: a
 * watcher that never fires makes the child exit 3, never hang. Nothing here
 * blocks a signal: the watcher alone must keep the process alive.
 */
#include <sys/wait.h>

#include "helpers.h"

#define DEADLINE_MS 10000

/* Exit codes of a scenario child. */
enum { CHILD_OK = 0, CHILD_SETUP = 2, CHILD_TIMEOUT = 3, CHILD_WRONG = 4 };

/* Run scenario() in a child; assert it exited 0 (and name how it died if not). */
static void run_in_child(int (*scenario)(void), const char *what)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        _exit(scenario());
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(!WIFSIGNALED(st), "%s: the process was killed by signal %d (%s)", what,
              WTERMSIG(st), strsignal(WTERMSIG(st)));
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == CHILD_OK,
              "%s: the child exited %d (2 setup, 3 deadline, 4 wrong count)", what,
              WEXITSTATUS(st));
}

/* One loop with one watcher and a deadline; runs until the watcher fired. */
struct watch {
    loop_t *loop;
    loop_signal_t sig;
    loop_timer_t deadline;
    int signum;
    int seen;
    int timed_out;
};

static void watch_close_all(struct watch *w)
{
    loop_handle_close(LOOP_HANDLE(&w->sig), NULL);
    loop_handle_close(LOOP_HANDLE(&w->deadline), NULL);
}

static void on_watch_signal(loop_signal_t *s, int signum)
{
    struct watch *w = s->handle.data;
    if (signum == w->signum) {
        w->seen++;
    }
    watch_close_all(w);
}

static void on_watch_deadline(loop_timer_t *t)
{
    struct watch *w = t->handle.data;
    w->timed_out = 1;
    watch_close_all(w);
}

static int watch_start(struct watch *w, int signum)
{
    memset(w, 0, sizeof(*w));
    w->signum = signum;
    w->loop = loop_new();
    if (w->loop == NULL || loop_signal_init(w->loop, &w->sig) != 0 ||
        loop_timer_init(w->loop, &w->deadline) != 0) {
        return -1;
    }
    w->sig.handle.data = w;
    w->deadline.handle.data = w;
    if (loop_signal_start(&w->sig, on_watch_signal, signum) != 0 ||
        loop_timer_start(&w->deadline, on_watch_deadline, DEADLINE_MS, 0) != 0) {
        return -1;
    }
    return 0;
}

/* Run until the watcher fired (or the deadline passed), close the loop; exit code. */
static int watch_finish(struct watch *w)
{
    if (loop_run(w->loop, LOOP_RUN_DEFAULT) != 0 || loop_close(w->loop) != 0) {
        return CHILD_SETUP;
    }
    if (w->timed_out) {
        return CHILD_TIMEOUT;
    }
    return w->seen == 1 ? CHILD_OK : CHILD_WRONG;
}

/* A thread that does nothing but wait (a logger, a worker), with the signal unblocked. */
static int idle_pipe[2];

static void *idle_main(void *arg)
{
    char c;
    (void)arg;
    ssize_t n = read(idle_pipe[0], &c, 1); /* until the scenario ends */
    (void)n;
    return NULL;
}

static int idle_start(pthread_t *th)
{
    if (pipe(idle_pipe) != 0) {
        return -1;
    }
    return pthread_create(th, NULL, idle_main, NULL) == 0 ? 0 : -1;
}

static void idle_stop(pthread_t th)
{
    ssize_t n = write(idle_pipe[1], "x", 1);
    (void)n;
    pthread_join(th, NULL);
}

static int thread_before_watcher(void)
{
    pthread_t th;
    struct watch w;
    if (idle_start(&th) != 0 || watch_start(&w, SIGUSR1) != 0) {
        return CHILD_SETUP;
    }
    /* The other thread takes the signal while this one waits for it to
     * finish (never reading it first): its fate decides the test. */
    kill(getpid(), SIGUSR1);
    idle_stop(th);
    return watch_finish(&w);
}

Test(signal_threads, a_thread_created_before_the_watcher_does_not_die_of_it, .timeout = 30)
{
    run_in_child(thread_before_watcher, "thread created before the watcher");
}

/* A thread created after the watcher started, with a mask of its own (as a
 * library thread that sets its mask, or one created by a thread that never
 * touched signals): the signal may go to it. */
static void *fresh_mask_main(void *arg)
{
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    return idle_main(arg);
}

static int thread_after_watcher(void)
{
    pthread_t th;
    struct watch w;
    sigset_t usr1;
    if (watch_start(&w, SIGUSR1) != 0 || pipe(idle_pipe) != 0 ||
        pthread_create(&th, NULL, fresh_mask_main, NULL) != 0) {
        return CHILD_SETUP;
    }
    /* leave the new thread as the only one that can take SIGUSR1 */
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    kill(getpid(), SIGUSR1);
    idle_stop(th);
    return watch_finish(&w);
}

Test(signal_threads, a_thread_created_after_the_watcher_does_not_die_of_it, .timeout = 30)
{
    run_in_child(thread_after_watcher, "thread created after the watcher");
}

/* The loop runs on a worker thread; the main thread (which never touched the
 * signal) waits for it. */
static pthread_barrier_t started;

static void *loop_thread_main(void *arg)
{
    struct watch *w = arg;
    intptr_t rc = watch_start(w, SIGUSR2) == 0 ? 0 : CHILD_SETUP;
    pthread_barrier_wait(&started);
    if (rc == 0) {
        rc = watch_finish(w);
    }
    return (void *)rc;
}

#define NLOOPS 4

static int loops_on_several_threads(void)
{
    static struct watch w[NLOOPS];
    pthread_t th[NLOOPS];
    int rc = CHILD_OK;

    pthread_barrier_init(&started, NULL, NLOOPS + 1);
    for (int i = 0; i < NLOOPS; i++) {
        if (pthread_create(&th[i], NULL, loop_thread_main, &w[i]) != 0) {
            return CHILD_SETUP;
        }
    }
    pthread_barrier_wait(&started); /* every watcher started */
    kill(getpid(), SIGUSR2);
    for (int i = 0; i < NLOOPS; i++) {
        void *res;
        pthread_join(th[i], &res);
        if ((intptr_t)res != CHILD_OK && rc == CHILD_OK) {
            rc = (int)(intptr_t)res;
        }
    }
    pthread_barrier_destroy(&started);
    return rc;
}

Test(signal_threads, loops_on_several_threads_each_see_one_signal, .timeout = 30)
{
    run_in_child(loops_on_several_threads, "four loops on four threads");
}

/* A loop on a worker thread, a second loop on the main thread, the same
 * signal raised twice: both loops see both deliveries, nobody dies. */
static atomic_int seen_twice;

static void on_twice(loop_signal_t *s, int signum)
{
    (void)signum;
    if (atomic_fetch_add(&seen_twice, 1) + 1 == 2) {
        loop_handle_close(LOOP_HANDLE(s), NULL);
    }
}

static void *twice_main(void *arg)
{
    (void)arg;
    loop_t *loop = loop_new();
    loop_signal_t s;
    intptr_t rc = CHILD_SETUP;
    if (loop == NULL || loop_signal_init(loop, &s) != 0 ||
        loop_signal_start(&s, on_twice, SIGUSR1) != 0) {
        pthread_barrier_wait(&started);
        return (void *)rc;
    }
    pthread_barrier_wait(&started);
    if (loop_run(loop, LOOP_RUN_DEFAULT) == 0 && loop_close(loop) == 0) {
        rc = CHILD_OK;
    }
    return (void *)rc;
}

static int main_and_worker_loops(void)
{
    pthread_t th;
    struct watch w;
    void *res;

    atomic_store(&seen_twice, 0);
    pthread_barrier_init(&started, NULL, 2);
    if (pthread_create(&th, NULL, twice_main, NULL) != 0) {
        return CHILD_SETUP;
    }
    pthread_barrier_wait(&started);
    if (watch_start(&w, SIGUSR1) != 0) {
        return CHILD_SETUP;
    }
    kill(getpid(), SIGUSR1);
    int rc = watch_finish(&w);
    if (rc != CHILD_OK) {
        return rc;
    }
    /* the first delivery was seen here; once the worker saw it too (deliveries
     * not yet dispatched coalesce), raise the second */
    if (wait_atomic_geq(&seen_twice, 1, DEADLINE_MS * MS_NS) < 1) {
        return CHILD_TIMEOUT;
    }
    kill(getpid(), SIGUSR1);
    pthread_join(th, &res);
    pthread_barrier_destroy(&started);
    if ((intptr_t)res != CHILD_OK) {
        return (int)(intptr_t)res;
    }
    return atomic_load(&seen_twice) == 2 ? CHILD_OK : CHILD_WRONG;
}

Test(signal_threads, a_loop_on_a_worker_and_one_on_main_both_see_it, .timeout = 30)
{
    run_in_child(main_and_worker_loops, "loops on main and on a worker thread");
}
