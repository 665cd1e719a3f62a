/*
 * test_stack_thread.c — a loop run on another thread than the one that
 * spawned its tasks: a task's stack overflow still gets its one-line report
 * (the alternate signal stack is per thread; loop_run installs one on the
 * thread that runs tasks). Runs in a forked child with stderr captured.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include "helpers.h"

#include "loop_task.h"

static volatile int never;

static __attribute__((noinline)) long blow(long depth)
{
    volatile char buf[1024];
    buf[0] = (char)depth;
    if (never) {
        return 0;
    }
    long r = blow(depth + 1);
    __asm__ volatile("" : : "r"(buf) : "memory");
    return r + 1;
}

static intptr_t overflowing_task(void *arg)
{
    (void)arg;
    return blow(0);
}

static void *run_loop(void *arg)
{
    loop_run(arg, LOOP_RUN_DEFAULT);
    return NULL;
}

Test(stack_thread, an_overflow_on_a_loop_run_by_another_thread_is_reported, .timeout = 30)
{
    int fds[2];
    char out[2048];
    size_t len = 0;

    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct rlimit rl = {0, 0};
        (void)setrlimit(RLIMIT_CORE, &rl);
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        loop_t *loop = loop_new();
        pthread_t th;
        /* spawned here (this thread gets an alternate stack), run there */
        if (loop == NULL || loop_spawn(loop, overflowing_task, NULL, "deep") == NULL ||
            pthread_create(&th, NULL, run_loop, loop) != 0) {
            _exit(3);
        }
        pthread_join(th, NULL);
        _exit(4); /* not reached: the overflow kills the process */
    }
    close(fds[1]);
    for (;;) {
        ssize_t n = read(fds[0], out + len, sizeof(out) - 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    out[len] = '\0';
    close(fds[0]);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %#x: %s", st, out);
    cr_assert(strstr(out, "libloop: stack overflow in task id=1 name=\"deep\"") != NULL,
              "no overflow report, stderr: \"%s\"", out);
}
