/*
 * test_pool.c — thread-pool work: work runs on a pool thread and done on the
 * loop thread, pending work keeps the loop alive, cancel of queued work
 * (-ECANCELED) and of running work (-EBUSY), LOOP_THREADPOOL_SIZE, fresh ids
 * per submit, resubmit from done, and completions going back to the loop
 * that submitted, with several loops in several threads.
 *
 * Work functions run on pool threads: they only touch atomics and a
 * mutex-guarded gate; assertions happen on the test thread.
 */
#include <fcntl.h>

#include "helpers.h"

/* A gate that work items can block on until the test opens it. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static int running;      /* guarded by gate_mu */
static int max_running;  /* guarded by gate_mu */

static void gate_enter(void)
{
    pthread_mutex_lock(&gate_mu);
    running++;
    if (running > max_running) {
        max_running = running;
    }
    pthread_cond_broadcast(&gate_cv);
    while (!gate_open) {
        pthread_cond_wait(&gate_cv, &gate_mu);
    }
    running--;
    pthread_mutex_unlock(&gate_mu);
}

/* Test thread: wait until n items are inside the gate (at most limit_ns). */
static int gate_wait_running(int n, uint64_t limit_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t end = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + limit_ns;
    ts.tv_sec = (time_t)(end / 1000000000ull);
    ts.tv_nsec = (long)(end % 1000000000ull);
    pthread_mutex_lock(&gate_mu);
    int rc = 0;
    while (running < n && rc == 0) {
        rc = pthread_cond_timedwait(&gate_cv, &gate_mu, &ts);
    }
    int r = running;
    pthread_mutex_unlock(&gate_mu);
    return r;
}

static void gate_release(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static int gate_max_running(void)
{
    pthread_mutex_lock(&gate_mu);
    int m = max_running;
    pthread_mutex_unlock(&gate_mu);
    return m;
}

#define MAXJOBS 1024

struct job {
    loop_work_t w;
    atomic_int ran;
    atomic_int worker_tid;
    int done_calls;
    int status;
    int done_on_loop_thread;
};

static pthread_t loop_thread;
static atomic_int work_calls;

static void job_work(loop_work_t *w)
{
    struct job *j = (struct job *)w;
    atomic_store(&j->worker_tid, (int)test_gettid());
    atomic_fetch_add(&j->ran, 1);
    atomic_fetch_add(&work_calls, 1);
}

static void gated_work(loop_work_t *w)
{
    job_work(w);
    gate_enter();
}

static void job_done(loop_work_t *w, int status)
{
    struct job *j = (struct job *)w;
    j->done_calls++;
    j->status = status;
    j->done_on_loop_thread = pthread_equal(pthread_self(), loop_thread);
}

static int distinct_tids(struct job *jobs, int n)
{
    int tids[MAXJOBS], nt = 0;
    for (int i = 0; i < n; i++) {
        int t = atomic_load(&jobs[i].worker_tid);
        int seen = 0;
        for (int k = 0; k < nt; k++) {
            seen = seen || tids[k] == t;
        }
        if (!seen && t != 0) {
            tids[nt++] = t;
        }
    }
    return nt;
}

Test(pool, work_runs_on_a_pool_thread_and_done_on_the_loop_thread, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_thread = pthread_self();
    static struct job j;
    cr_assert_eq(loop_work_submit(loop, &j.w, job_work, job_done), 0);
    cr_assert_eq(j.w.handle.kind, LOOP_KIND_WORK);
    cr_assert_geq(loop_alive_count(loop), 1, "submitted work keeps the loop alive");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(atomic_load(&j.ran), 1);
    cr_assert_eq(j.done_calls, 1);
    cr_assert_eq(j.status, 0);
    cr_assert(j.done_on_loop_thread, "done ran on another thread");
    cr_assert_neq(atomic_load(&j.worker_tid), (int)test_gettid(), "work ran on the loop thread");
    cr_assert_eq(loop_close(loop), 0, "work needs no close");
}

/* A finished work request is no open handle: naming it would leave a side-table
 * entry (libloop/core/ident.c) that nothing drops, one more per reuse. */
static int name_rc_in_done = 1;

static void name_in_done(loop_work_t *w, int status)
{
    (void)status;
    name_rc_in_done = loop_handle_set_name(&w->handle, "finished");
}

Test(pool, a_finished_work_request_cannot_be_named, .timeout = 30)
{
    loop_t *loop = new_loop();
    static struct job j;
    cr_assert_eq(loop_work_submit(loop, &j.w, job_work, name_in_done), 0);
    cr_assert_eq(loop_handle_set_name(&j.w.handle, "in flight"), 0, "in flight it is open");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(name_rc_in_done, -EBADF, "named in its done callback: %d", name_rc_in_done);
    cr_assert_eq(loop_handle_set_name(&j.w.handle, "after"), -EBADF);
    cr_assert_eq(loop_close(loop), 0);
}

Test(pool, a_thousand_jobs_each_complete_once, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_thread = pthread_self();
    static struct job jobs[1000];
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(loop_work_submit(loop, &jobs[i].w, job_work, job_done), 0);
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(atomic_load(&jobs[i].ran), 1, "job %d ran %d times", i,
                     atomic_load(&jobs[i].ran));
        cr_assert_eq(jobs[i].done_calls, 1, "job %d", i);
        cr_assert_eq(jobs[i].status, 0);
        cr_assert(jobs[i].done_on_loop_thread);
    }
    finish_loop(loop);
}

Test(pool, each_submit_gives_a_new_id, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_thread = pthread_self();
    static struct job j;
    cr_assert_eq(loop_work_submit(loop, &j.w, job_work, job_done), 0);
    uint64_t id1 = j.w.handle.id;
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop_work_submit(loop, &j.w, job_work, job_done), 0);
    uint64_t id2 = j.w.handle.id;
    cr_assert_gt(id2, id1);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(j.done_calls, 2);
    cr_assert_eq(atomic_load(&j.ran), 2);
    finish_loop(loop);
}

static int chain_left;

static void resubmit_done(loop_work_t *w, int status)
{
    job_done(w, status);
    if (--chain_left > 0) {
        cr_assert_eq(loop_work_submit(w->handle.loop, w, job_work, resubmit_done), 0);
    }
}

Test(pool, done_may_resubmit_the_same_work, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_thread = pthread_self();
    static struct job j;
    chain_left = 10;
    cr_assert_eq(loop_work_submit(loop, &j.w, job_work, resubmit_done), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(j.done_calls, 10);
    cr_assert_eq(atomic_load(&j.ran), 10);
    finish_loop(loop);
}

Test(pool, cancel_queued_work_reports_ecanceled_and_never_runs_it, .timeout = 30)
{
    setenv("LOOP_THREADPOOL_SIZE", "2", 1);
    loop_t *loop = new_loop();
    loop_thread = pthread_self();
    static struct job blockers[2], victim, after;
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(loop_work_submit(loop, &blockers[i].w, gated_work, job_done), 0);
    }
    cr_assert_eq(gate_wait_running(2, 5000 * MS_NS), 2, "both pool threads busy");
    cr_assert_eq(loop_work_submit(loop, &victim.w, job_work, job_done), 0);
    cr_assert_eq(loop_work_submit(loop, &after.w, job_work, job_done), 0);

    cr_assert_eq(loop_work_cancel(&victim.w), 0);
    int rc = loop_work_cancel(&blockers[0].w);
    cr_assert_eq(rc, -EBUSY, "cancel of running work: %d (%s)", rc, loop_strerror(rc));

    gate_release();
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(atomic_load(&victim.ran), 0, "cancelled work ran");
    cr_assert_eq(victim.done_calls, 1);
    cr_assert_eq(victim.status, -ECANCELED);
    cr_assert(victim.done_on_loop_thread);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(blockers[i].done_calls, 1);
        cr_assert_eq(blockers[i].status, 0, "running work completes normally");
    }
    cr_assert_eq(atomic_load(&after.ran), 1);
    cr_assert_eq(after.status, 0);
    finish_loop(loop);
}

Test(pool, cancel_after_done_does_not_call_done_again, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_thread = pthread_self();
    static struct job j;
    cr_assert_eq(loop_work_submit(loop, &j.w, job_work, job_done), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    int rc = loop_work_cancel(&j.w);
    cr_assert_lt(rc, 0, "cancel of finished work: %d", rc);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(j.done_calls, 1);
    finish_loop(loop);
}

static void pool_size_check(const char *env, int size)
{
    if (env != NULL) {
        setenv("LOOP_THREADPOOL_SIZE", env, 1);
    } else {
        unsetenv("LOOP_THREADPOOL_SIZE");
    }
    loop_t *loop = new_loop();
    loop_thread = pthread_self();
    static struct job jobs[64];
    for (int i = 0; i < 64; i++) {
        cr_assert_eq(loop_work_submit(loop, &jobs[i].w, gated_work, job_done), 0);
    }
    /* every pool thread picks up a job and waits at the gate */
    int r = gate_wait_running(size, 5000 * MS_NS);
    cr_assert_eq(r, size, "%d jobs running at once, pool size should be %d", r, size);
    gate_release();
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    int distinct = distinct_tids(jobs, 64);
    cr_assert_leq(distinct, size, "%d worker threads for a pool of %d", distinct, size);
    cr_assert_eq(gate_max_running(), size, "%d jobs ran at once with a pool of %d",
                 gate_max_running(), size);
    for (int i = 0; i < 64; i++) {
        cr_assert_eq(jobs[i].done_calls, 1);
    }
    finish_loop(loop);
}

Test(pool, size_from_loop_threadpool_size, .timeout = 30)
{
    pool_size_check("3", 3);
}

Test(pool, size_one_runs_one_job_at_a_time, .timeout = 30)
{
    pool_size_check("1", 1);
}

Test(pool, default_size_is_four, .timeout = 30)
{
    pool_size_check(NULL, 4);
}

/* Several loops in several threads share the pool; each gets its own completions back. */
#define NLOOPS 4
#define PER_LOOP 50

struct pool_user {
    pthread_t th;
    pthread_t self;
    struct job jobs[PER_LOOP];
    int submit_rc;
    int run_rc;
    int close_rc;
    int wrong_thread;
};

static void user_done(loop_work_t *w, int status)
{
    struct pool_user *u = w->handle.data;
    struct job *j = (struct job *)w;
    j->done_calls++;
    j->status = status;
    if (!pthread_equal(pthread_self(), u->self)) {
        u->wrong_thread++;
    }
}

static void *pool_user_main(void *arg)
{
    struct pool_user *u = arg;
    u->self = pthread_self();
    loop_t *loop = loop_new();
    if (loop == NULL) {
        u->submit_rc = -errno;
        return NULL;
    }
    for (int i = 0; i < PER_LOOP && u->submit_rc == 0; i++) {
        u->submit_rc = loop_work_submit(loop, &u->jobs[i].w, job_work, user_done);
        u->jobs[i].w.handle.data = u;
    }
    u->run_rc = loop_run(loop, LOOP_RUN_DEFAULT);
    u->close_rc = loop_close(loop);
    return NULL;
}

Test(pool, completions_return_to_the_submitting_loop, .timeout = 30)
{
    static struct pool_user u[NLOOPS];
    for (int i = 0; i < NLOOPS; i++) {
        cr_assert_eq(pthread_create(&u[i].th, NULL, pool_user_main, &u[i]), 0);
    }
    for (int i = 0; i < NLOOPS; i++) {
        pthread_join(u[i].th, NULL);
    }
    for (int i = 0; i < NLOOPS; i++) {
        cr_assert_eq(u[i].submit_rc, 0, "loop %d: %s", i, loop_strerror(u[i].submit_rc));
        cr_assert_eq(u[i].run_rc, 0);
        cr_assert_eq(u[i].close_rc, 0);
        cr_assert_eq(u[i].wrong_thread, 0, "loop %d got another loop's completions", i);
        for (int k = 0; k < PER_LOOP; k++) {
            cr_assert_eq(u[i].jobs[k].done_calls, 1, "loop %d job %d", i, k);
            cr_assert_eq(atomic_load(&u[i].jobs[k].ran), 1);
        }
    }
}

Test(pool, failed_submit_never_calls_done, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_thread = pthread_self();
    static struct job j;
    cr_assert_eq(loop_work_submit(loop, &j.w, NULL, job_done), -EINVAL);
    cr_assert_eq(loop_work_submit(NULL, &j.w, job_work, job_done), -EINVAL);
    cr_assert_eq(loop_work_submit(loop, NULL, job_work, job_done), -EINVAL);
    cr_assert_eq(loop_work_cancel(NULL), -EINVAL);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(j.done_calls, 0);
    cr_assert_eq(atomic_load(&work_calls), 0);
    finish_loop(loop);
}

/*
 * loop_close() right after the last completion: the pool thread that
 * completed the work must be done with the loop (its wakeup included) by
 * then. The fds a closed loop gave back are taken by a pipe at once; a late
 * wakeup would write into that pipe (and, under ASan/TSan, touch freed memory).
 */
static void noop_work(loop_work_t *w)
{
    (void)w;
}

static void noop_done(loop_work_t *w, int status)
{
    (void)w;
    (void)status;
}

Test(pool, close_right_after_the_last_completion_is_safe, .timeout = 30)
{
    static loop_work_t w[16];
    for (int round = 0; round < 2000; round++) {
        loop_t *loop = new_loop();
        for (int i = 0; i < 16; i++) {
            cr_assert_eq(loop_work_submit(loop, &w[i], noop_work, noop_done), 0);
        }
        cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
        cr_assert_eq(loop_close(loop), 0);
        int p[2], q[2];
        cr_assert_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        cr_assert_eq(pipe2(q, O_CLOEXEC | O_NONBLOCK), 0);
        for (int k = 0; k < 200; k++) {
            sched_yield(); /* let a late pool thread run */
        }
        char buf[16];
        ssize_t n1 = read(p[0], buf, sizeof buf), n2 = read(q[0], buf, sizeof buf);
        cr_assert(n1 < 0 && n2 < 0, "round %d: a closed loop's wakeup landed in a new pipe", round);
        close(p[0]);
        close(p[1]);
        close(q[0]);
        close(q[1]);
    }
}
