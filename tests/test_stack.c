/*
 * test_stack.c — task stacks: the size per task (loop_spawn_stack) and the
 * default (LOOP_STACK_KB); a task may use most of its stack; a stack overflow
 * prints one line naming the task id, name, creation site and stack size and
 * the process dies of SIGSEGV (checked in a forked child whose stderr goes to
 * a pipe); a failed stack mmap makes loop_spawn return NULL with ENOMEM and
 * leaves the loop usable; stacks are reused from the pool without mmap.
 */
#include <sys/wait.h>

#include "helpers.h"
#include "core/sys.h"
#include "task/ctx.h"
#include "task/stack.h"


static volatile intptr_t stack_sink;

/* Touch `kb` KiB of stack in one frame and return kb (it survived). */
static __attribute__((noinline)) intptr_t use_stack_kb(size_t kb)
{
    size_t n = kb * 1024;
    volatile char *p = __builtin_alloca(n);
    intptr_t sum = 0;
    for (size_t i = 0; i < n; i += 64) {
        p[i] = (char)i;
    }
    for (size_t i = 0; i < n; i += 64) {
        sum += p[i];
    }
    stack_sink = sum;
    return (intptr_t)kb;
}

static intptr_t stack_user(void *arg)
{
    return use_stack_kb((size_t)(intptr_t)arg);
}

static void run_stack_user(loop_t *loop, size_t stack_kb, size_t use_kb)
{
    loop_task_t *t = loop_spawn_stack(loop, stack_user, (void *)(intptr_t)use_kb, "user", stack_kb);
    cr_assert_not_null(t, "spawn with %zu KiB: %s", stack_kb, strerror(errno));
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    intptr_t r = 0;
    cr_assert_eq(loop_join(t, &r, 0), 0);
    cr_assert_eq(r, (intptr_t)use_kb);
}

Test(stack, a_task_may_use_most_of_its_own_stack_size, .timeout = 10)
{
    loop_t *loop = new_loop();
    run_stack_user(loop, 256, 192); /* three times the 64 KiB default */
    run_stack_user(loop, 1024, 900);
    close_loop(loop);
}

Test(stack, a_default_task_may_use_most_of_64_KiB, .timeout = 10)
{
    unsetenv("LOOP_STACK_KB");
    loop_t *loop = new_loop();
    run_stack_user(loop, 0, 40);
    close_loop(loop);
}

Test(stack, LOOP_STACK_KB_sets_the_default_size, .timeout = 10)
{
    setenv("LOOP_STACK_KB", "512", 1); /* read once per process: this test's */
    loop_t *loop = new_loop();
    run_stack_user(loop, 0, 400);
    close_loop(loop);
}

Test(stack, absurd_stack_sizes_are_EINVAL, .timeout = 5)
{
    loop_t *loop = new_loop();
    errno = 0;
    cr_assert_null(loop_spawn_stack(loop, stack_user, NULL, "huge", (size_t)1 << 40));
    cr_assert_eq(errno, EINVAL);
    close_loop(loop);
}

/* ------------------------------------------------------------------------ */
/* Overflow                                                                 */

static __attribute__((noinline)) intptr_t recurse(intptr_t depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    pad[sizeof pad - 1] = (char)depth;
    if (depth > (intptr_t)1 << 40) {
        return 0;
    }
    return recurse(depth + 1) + pad[0] + pad[sizeof pad - 1];
}

static intptr_t overflow(void *arg)
{
    (void)arg;
    return recurse(0);
}

struct overflow_site {
    uint64_t id;
    int line;
    char func[64];
};

/* In the child: stderr to errfd, spawn the overflowing task, tell the parent who it is. */
static void overflow_child(int errfd, int infofd)
{
    struct overflow_site site = {0};
    if (dup2(errfd, STDERR_FILENO) < 0) {
        _exit(101);
    }
    loop_t *loop = loop_new();
    if (loop == NULL) {
        _exit(102);
    }
    loop_task_t *t;
    site.line = __LINE__; t = loop_spawn_stack(loop, overflow, NULL, "overflower", 32);
    if (t == NULL) {
        _exit(103);
    }
    site.id = loop_task_id(t);
    snprintf(site.func, sizeof site.func, "%s", __func__);
    if (write(infofd, &site, sizeof site) != (ssize_t)sizeof site) {
        _exit(104);
    }
    close(infofd);
    loop_run(loop, LOOP_RUN_DEFAULT);
    _exit(105); /* not reached: the overflow kills the process */
}

static size_t read_all(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || len + (size_t)n >= cap - 1) {
            if (n > 0) {
                len += (size_t)n;
            }
            break;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    return len;
}

Test(stack, an_overflow_prints_one_line_naming_the_task_and_dies_of_SIGSEGV, .timeout = 20)
{
    int errp[2], infop[2];
    cr_assert_eq(pipe(errp), 0);
    cr_assert_eq(pipe(infop), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(errp[0]);
        close(infop[0]);
        overflow_child(errp[1], infop[1]);
    }
    close(errp[1]);
    close(infop[1]);

    struct overflow_site site;
    ssize_t n = read(infop[0], &site, sizeof site);
    close(infop[0]);
    static char out[16384];
    read_all(errp[0], out, sizeof out);
    close(errp[0]);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);

    cr_assert_eq(n, (ssize_t)sizeof site, "the child spawned its task (exit %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    cr_assert(WIFSIGNALED(status), "the child died of a signal, not exit %d; stderr:\n%s",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
    cr_assert_eq(WTERMSIG(status), SIGSEGV, "signal %d; stderr:\n%s", WTERMSIG(status), out);

    char want[512];
    snprintf(want, sizeof want,
             "libloop: stack overflow in task id=%llu name=\"overflower\" created at "
             "tests/test_stack.c:%d (%s) stack-kb=32\n",
             (unsigned long long)site.id, site.line, site.func);
    char *hit = strstr(out, "stack overflow");
    cr_assert_not_null(hit, "no overflow report; stderr:\n%s", out);
    cr_assert_null(strstr(hit + 1, "stack overflow"), "reported once; stderr:\n%s", out);
    char *line = strstr(out, "libloop: stack overflow");
    cr_assert_not_null(line, "stderr:\n%s", out);
    cr_assert_eq(strncmp(line, want, strlen(want)), 0, "got:\n%s\nwant:\n%s", line, want);
    cr_assert(line == out || line[-1] == '\n', "the report starts a line: %s", out);
}

/*
 * A frame larger than the guard: without stack probing the first access lands
 * past the guard, in the neighbouring stack's mapping (whose top held the
 * registry entries the fault handler walked: it crashed inside the handler) or
 * in unmapped memory (a bare SIGSEGV). Built with -fstack-clash-protection the
 * frame is probed page by page and the guard catches it: one report line.
 * Neighbour tasks sleep meanwhile, so stacks are mapped on both sides.
 */
#define BIG_FRAME (1024 * 1024)
static volatile char big_sink;

static __attribute__((noinline)) intptr_t big_frame(intptr_t v)
{
    volatile char big[BIG_FRAME];
    big[0] = (char)v;
    big[BIG_FRAME / 2] = (char)v;
    big[BIG_FRAME - 1] = (char)v;
    big_sink = big[0];
    return big[BIG_FRAME - 1] + big[BIG_FRAME / 2];
}

static intptr_t big_frame_task(void *arg)
{
    return big_frame((intptr_t)arg);
}

static intptr_t sleeper(void *arg)
{
    (void)arg;
    return loop_sleep(10000);
}

static void big_frame_child(int errfd, int infofd)
{
    struct overflow_site site = {0};
    if (dup2(errfd, STDERR_FILENO) < 0) {
        _exit(101);
    }
    loop_t *loop = loop_new();
    if (loop == NULL) {
        _exit(102);
    }
    for (int i = 0; i < 16; i++) {
        if (loop_spawn(loop, sleeper, NULL, "neighbour") == NULL) {
            _exit(103);
        }
    }
    loop_task_t *t;
    site.line = __LINE__; t = loop_spawn(loop, big_frame_task, (void *)7, "big-frame");
    for (int i = 0; i < 16; i++) {
        if (loop_spawn(loop, sleeper, NULL, "neighbour") == NULL) {
            _exit(103);
        }
    }
    if (t == NULL) {
        _exit(103);
    }
    site.id = loop_task_id(t);
    snprintf(site.func, sizeof site.func, "%s", __func__);
    if (write(infofd, &site, sizeof site) != (ssize_t)sizeof site) {
        _exit(104);
    }
    close(infofd);
    loop_run(loop, LOOP_RUN_ONCE);
    _exit(105); /* not reached: the overflow kills the process */
}

Test(stack, a_frame_larger_than_the_guard_gives_the_overflow_report_and_SIGSEGV, .timeout = 20)
{
    int errp[2], infop[2];
    cr_assert_eq(pipe(errp), 0);
    cr_assert_eq(pipe(infop), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(errp[0]);
        close(infop[0]);
        big_frame_child(errp[1], infop[1]);
    }
    close(errp[1]);
    close(infop[1]);

    struct overflow_site site;
    ssize_t n = read(infop[0], &site, sizeof site);
    close(infop[0]);
    static char out[16384];
    read_all(errp[0], out, sizeof out);
    close(errp[0]);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);

    cr_assert_eq(n, (ssize_t)sizeof site, "the child spawned its task (exit %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    cr_assert(WIFSIGNALED(status), "the child died of a signal, not exit %d; stderr:\n%s",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
    char want[512];
    snprintf(want, sizeof want,
             "libloop: stack overflow in task id=%llu name=\"big-frame\" created at "
             "tests/test_stack.c:%d (%s) stack-kb=64\n",
             (unsigned long long)site.id, site.line, site.func);
    char *line = strstr(out, "libloop: stack overflow");
    cr_assert_not_null(line, "no overflow report (signal %d); stderr:\n%s", WTERMSIG(status),
                       out);
    cr_assert_eq(strncmp(line, want, strlen(want)), 0, "got:\n%s\nwant:\n%s", line, want);
    cr_assert_null(strstr(line + strlen(want), "stack overflow"), "reported once; stderr:\n%s",
                   out);
    cr_assert_eq(WTERMSIG(status), SIGSEGV, "signal %d; stderr:\n%s", WTERMSIG(status), out);
}

/*
 * An unprobed frame that jumps a guard writes into the neighbouring stack,
 * top included, where the old registry's links lived: the fault handler then
 * walked garbage and died inside itself, with no report. The registry is kept
 * outside every stack now: with a neighbour's top overwritten, an overflow is
 * still reported.
 */
static struct {
    loop__ctx_t main;
    loop__ctx_t co;
} deep;

static __attribute__((noinline)) int deep_recurse(volatile char *prev)
{
    volatile char buf[512];
    buf[0] = (char)(prev != NULL ? prev[0] + 1 : 1);
    if (stack_sink == 42) {
        return 0;
    }
    int r = deep_recurse(buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
    return r + 1;
}

static void deep_entry(void *arg)
{
    (void)arg;
    deep_recurse(NULL);
    loop__ctx_switch_final(&deep.co, &deep.main);
}

static const struct loop__stack_owner victim = {
    .id = 9, .name = "victim", .file = "srv.c", .func = "serve", .line = 7};

static void trampled_neighbour_child(int errfd)
{
    loop__stack_t *older = NULL, *newer = NULL;
    if (dup2(errfd, STDERR_FILENO) < 0) {
        _exit(101);
    }
    if (loop__stack_alloc(NULL, 64 * 1024, &older) != 0 ||
        loop__stack_alloc(NULL, 64 * 1024, &newer) != 0) {
        _exit(102);
    }
    loop__stack_set_owner(older, &victim);
    /* what a jumped guard does to a neighbour: garbage over the top of its mapping */
    char *top = (char *)newer->base + newer->stack_size;
    memset(top - 4096, 0x5a, 4096);
    loop__ctx_make(&deep.co, older->base, older->size, deep_entry, NULL);
    loop__ctx_switch(&deep.main, &deep.co);
    _exit(105); /* not reached */
}

Test(stack, an_overflow_is_reported_even_when_a_neighbour_stack_was_trampled, .timeout = 20)
{
    int errp[2];
    cr_assert_eq(pipe(errp), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(errp[0]);
        trampled_neighbour_child(errp[1]);
    }
    close(errp[1]);
    static char out[16384];
    read_all(errp[0], out, sizeof out);
    close(errp[0]);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status), "exit %d; stderr:\n%s",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
    cr_assert_str_eq(out,
                     "libloop: stack overflow in task id=9 name=\"victim\" created at "
                     "srv.c:7 (serve) stack-kb=64\n",
                     "signal %d", WTERMSIG(status));
    cr_assert_eq(WTERMSIG(status), SIGSEGV, "signal %d", WTERMSIG(status));
}

/* ------------------------------------------------------------------------ */
/* mmap failure and the pool                                                 */

static intptr_t trivial(void *arg)
{
    return (intptr_t)arg;
}

static void spawn_run_join(loop_t *loop, size_t stack_kb, intptr_t v)
{
    loop_task_t *t = loop_spawn_stack(loop, trivial, (void *)v, "trivial", stack_kb);
    cr_assert_not_null(t, "%s", strerror(errno));
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    intptr_t r = 0;
    cr_assert_eq(loop_join(t, &r, 0), 0);
    cr_assert_eq(r, v);
}

static int count_task(loop_task_t *t, void *arg)
{
    (void)t;
    (*(int *)arg)++;
    return 0;
}

Test(stack, a_failed_stack_mmap_fails_the_spawn_with_ENOMEM_and_the_loop_stays_usable,
     .timeout = 10)
{
    loop_t *loop = new_loop();
    spawn_run_join(loop, 0, 1); /* warm up: the thread's signal stack, a pooled 64 KiB stack */

    cr_assert_eq(loop__fault_set("mmap", 1, ENOMEM), 0);
    errno = 0;
    loop_task_t *t = loop_spawn_stack(loop, trivial, (void *)2, "unlucky", 128);
    int err = errno;
    long hits = loop__fault_hits("mmap");
    loop__fault_clear(NULL);
    cr_assert_null(t);
    cr_assert_eq(err, ENOMEM, "errno %d (%s)", err, strerror(err));
    cr_assert_eq(hits, 1, "the stack mmap was the call that failed");
    int n = 0;
    loop_task_walk(loop, count_task, &n);
    cr_assert_eq(n, 0, "no half-made task is left behind");
    cr_assert_eq(loop_alive_count(loop), 0);

    spawn_run_join(loop, 128, 3); /* the same spawn works now */
    spawn_run_join(loop, 0, 4);
    close_loop(loop);
}

Test(stack, a_finished_task_stack_is_reused_without_mmap, .timeout = 10)
{
    loop_t *loop = new_loop();
    spawn_run_join(loop, 64, 1);
    /* every mmap fails from now on: the next 64 KiB task must come from the pool */
    cr_assert_eq(loop__fault_set_n("mmap", 1, LOOP__FAULT_FOREVER, ENOMEM), 0);
    for (intptr_t i = 0; i < 5; i++) {
        spawn_run_join(loop, 64, 10 + i);
    }
    long hits = loop__fault_hits("mmap");
    loop__fault_clear(NULL);
    cr_assert_eq(hits, 0, "no stack was mapped");
    close_loop(loop);
}
