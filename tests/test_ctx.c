/*
 * test_ctx.c — the coroutine machinery under tasks: context switch (ctx.h),
 * stacks and the overflow report (stack.h), the fault seam (sys.h).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "task/ctx.h"
#include "task/stack.h"
#include "core/sys.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

static loop__stack_t *must_alloc(struct loop__stack_pool *pool, size_t size)
{
    loop__stack_t *s = NULL;
    int rc = loop__stack_alloc(pool, size, &s);

    cr_assert_eq(rc, 0, "loop__stack_alloc: %s", strerror(-rc));
    cr_assert_not_null(s);
    return s;
}

/* Scribble over every callee-saved register (the compiler saves and restores
 * them around this, but in between they hold junk: exactly what a switch
 * made right after must not leak into the context it resumes). */
static inline void clobber_callee_saved(void)
{
#if defined(__x86_64__)
    __asm__ volatile("movq $0x1111111111111111, %%rbx\n\t"
                     "movq $0x1212121212121212, %%r12\n\t"
                     "movq $0x1313131313131313, %%r13\n\t"
                     "movq $0x1414141414141414, %%r14\n\t"
                     "movq $0x1515151515151515, %%r15\n\t"
                     :
                     :
                     : "rbx", "r12", "r13", "r14", "r15");
#elif defined(__aarch64__)
    __asm__ volatile("mov x19, #19\n\tmov x20, #20\n\tmov x21, #21\n\tmov x22, #22\n\t"
                     "mov x23, #23\n\tmov x24, #24\n\tmov x25, #25\n\tmov x26, #26\n\t"
                     "mov x27, #27\n\tmov x28, #28\n\t"
                     "fmov d8, #1.0\n\tfmov d9, #2.0\n\tfmov d10, #3.0\n\tfmov d11, #4.0\n\t"
                     "fmov d12, #5.0\n\tfmov d13, #6.0\n\tfmov d14, #7.0\n\tfmov d15, #8.0\n\t"
                     :
                     :
                     : "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
                       "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15");
#endif
}

/* No core files from the children that are meant to die. */
static void no_core(void)
{
    struct rlimit rl = {0, 0};

    (void)setrlimit(RLIMIT_CORE, &rl);
}

struct child {
    int status;
    char out[4096];
    size_t len;
};

/* Run fn in a forked child with stderr captured. */
static void run_child(void (*fn)(void), struct child *c)
{
    int fds[2];

    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        no_core();
        fn();
        _exit(0);
    }
    close(fds[1]);
    c->len = 0;
    for (;;) {
        ssize_t n = read(fds[0], c->out + c->len, sizeof(c->out) - 1 - c->len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        c->len += (size_t)n;
    }
    c->out[c->len] = '\0';
    close(fds[0]);
    cr_assert_eq(waitpid(pid, &c->status, 0), pid);
}

/* ---------------------------------------------------------------------- */
/* Context switch                                                          */

struct pingpong {
    loop__ctx_t main;
    loop__ctx_t co;
    long rounds;
    long seen;
};

static void pingpong_entry(void *arg)
{
    struct pingpong *p = arg;

    while (p->seen < p->rounds) {
        p->seen++;
        clobber_callee_saved();
        loop__ctx_switch(&p->co, &p->main);
    }
    loop__ctx_switch_final(&p->co, &p->main);
}

Test(ctx, ping_pong_preserves_callee_saved_registers, .timeout = 60)
{
    struct pingpong p;
    loop__stack_t *s = must_alloc(NULL, 0);
    volatile long seed = 3;
    long a = seed, b = seed * 5, c = seed * 7, d = seed * 11, e = seed * 13, f = seed * 17;
    long g = seed * 19, h = seed * 23;
    double x = (double)seed * 0.5, y = (double)seed * 0.25, z = (double)seed * 0.125;

    memset(&p, 0, sizeof(p));
    p.rounds = 200000;
    loop__ctx_make(&p.co, s->base, s->size, pingpong_entry, &p);
    for (long i = 0; i <= p.rounds; i++) {
        loop__ctx_switch(&p.main, &p.co);
        a += 1, b += 2, c += 3, d += 4, e += 5, f += 6, g += 7, h += 8;
        x += 1.0, y += 2.0, z += 4.0;
    }
    long n = p.rounds + 1;
    cr_assert_eq(p.seen, p.rounds);
    cr_assert_eq(a, 3 + n * 1);
    cr_assert_eq(b, 15 + n * 2);
    cr_assert_eq(c, 21 + n * 3);
    cr_assert_eq(d, 33 + n * 4);
    cr_assert_eq(e, 39 + n * 5);
    cr_assert_eq(f, 51 + n * 6);
    cr_assert_eq(g, 57 + n * 7);
    cr_assert_eq(h, 69 + n * 8);
    cr_assert_eq(x, 1.5 + (double)n * 1.0);
    cr_assert_eq(y, 0.75 + (double)n * 2.0);
    cr_assert_eq(z, 0.375 + (double)n * 4.0);
    loop__ctx_free(&p.co);
    loop__stack_free(NULL, s);
}

/* Three coroutines passing control around a ring, never through main. */
struct ring {
    loop__ctx_t main;
    loop__ctx_t co[3];
    int trace[16];
    int len;
};

static struct ring *ring_of;

static void ring_entry(void *arg)
{
    int me = (int)(intptr_t)arg;
    struct ring *r = ring_of;

    for (int lap = 0; lap < 3; lap++) {
        r->trace[r->len++] = me;
        if (me == 2 && lap == 2) {
            break;
        }
        loop__ctx_switch(&r->co[me], &r->co[(me + 1) % 3]);
    }
    loop__ctx_switch_final(&r->co[me], &r->main);
}

Test(ctx, coroutines_switch_directly_to_each_other)
{
    struct ring r;
    loop__stack_t *s[3];

    memset(&r, 0, sizeof(r));
    ring_of = &r;
    for (int i = 0; i < 3; i++) {
        s[i] = must_alloc(NULL, 0);
        loop__ctx_make(&r.co[i], s[i]->base, s[i]->size, ring_entry, (void *)(intptr_t)i);
    }
    loop__ctx_switch(&r.main, &r.co[0]);
    int want[] = {0, 1, 2, 0, 1, 2, 0, 1, 2};
    cr_assert_eq(r.len, 9);
    for (int i = 0; i < 9; i++) {
        cr_assert_eq(r.trace[i], want[i], "step %d", i);
    }
    for (int i = 0; i < 3; i++) {
        loop__ctx_free(&r.co[i]);
        loop__stack_free(NULL, s[i]);
    }
}

#if defined(__x86_64__)
/* The rounding mode as both units see it: MXCSR RC (bits 13-14) and the x87
 * control word RC (bits 10-11). Both use 0 nearest, 1 down, 2 up, 3 zero. */
static void set_rounding(unsigned rc)
{
    unsigned mxcsr;
    unsigned short cw;

    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    mxcsr = (mxcsr & ~(3u << 13)) | (rc << 13);
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    cw = (unsigned short)((cw & ~(3u << 10)) | (rc << 10));
    __asm__ volatile("fldcw %0" : : "m"(cw));
}

static unsigned sse_rounding(void)
{
    unsigned mxcsr;

    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    return (mxcsr >> 13) & 3;
}

static unsigned x87_rounding(void)
{
    unsigned short cw;

    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return (cw >> 10) & 3;
}

struct fpstate {
    loop__ctx_t main;
    loop__ctx_t co;
    unsigned at_start_sse, at_start_x87;
    unsigned after_sse, after_x87;
};

static void fp_entry(void *arg)
{
    struct fpstate *p = arg;

    p->at_start_sse = sse_rounding();
    p->at_start_x87 = x87_rounding();
    set_rounding(1); /* down */
    loop__ctx_switch(&p->co, &p->main);
    p->after_sse = sse_rounding();
    p->after_x87 = x87_rounding();
    set_rounding(0);
    loop__ctx_switch_final(&p->co, &p->main);
}

Test(ctx, floating_point_control_state_belongs_to_each_context)
{
    struct fpstate p;
    loop__stack_t *s = must_alloc(NULL, 0);

    memset(&p, 0, sizeof(p));
    set_rounding(2); /* up: a new context inherits the mode it was made under */
    loop__ctx_make(&p.co, s->base, s->size, fp_entry, &p);
    loop__ctx_switch(&p.main, &p.co);
    cr_assert_eq(sse_rounding(), 2, "the coroutine's mode leaked into main");
    cr_assert_eq(x87_rounding(), 2);
    set_rounding(3); /* toward zero */
    loop__ctx_switch(&p.main, &p.co);
    cr_assert_eq(sse_rounding(), 3);
    cr_assert_eq(x87_rounding(), 3);
    set_rounding(0);
    cr_assert_eq(p.at_start_sse, 2);
    cr_assert_eq(p.at_start_x87, 2);
    cr_assert_eq(p.after_sse, 1, "main's mode leaked into the coroutine");
    cr_assert_eq(p.after_x87, 1);
    loop__ctx_free(&p.co);
    loop__stack_free(NULL, s);
}
#endif

/* Recursion that uses about `budget` bytes of stack, measured by the frame
 * address (not a local's, which ASan may move to a fake stack). */
static __attribute__((noinline)) long recurse(uintptr_t top, size_t budget, long depth)
{
    volatile char pad[200];
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);

    pad[0] = (char)depth;
    if (top - here >= budget) {
        return depth;
    }
    long r = recurse(top, budget, depth + 1);
    __asm__ volatile("" : : "r"(pad) : "memory");
    return r;
}

struct deep {
    loop__ctx_t main;
    loop__ctx_t co;
    loop__stack_t *s;
    long depth;
};

static void deep_entry(void *arg)
{
    struct deep *d = arg;
    uintptr_t top = (uintptr_t)d->s->base + d->s->size;

    d->depth = recurse(top, d->s->size * 3 / 4, 0);
    loop__ctx_switch_final(&d->co, &d->main);
}

Test(ctx, deep_recursion_within_the_stack_size_works)
{
    struct deep d;

    memset(&d, 0, sizeof(d));
    d.s = must_alloc(NULL, 256 * 1024);
    cr_assert_eq(d.s->stack_size, 256 * 1024);
    loop__ctx_make(&d.co, d.s->base, d.s->size, deep_entry, &d);
    loop__ctx_switch(&d.main, &d.co);
    cr_assert_gt(d.depth, 100, "depth %ld", d.depth);
    loop__ctx_free(&d.co);
    loop__stack_free(NULL, d.s);
}

/* A context suspended deep in its frames and never resumed (a task dropped
 * at loop close) leaves its stack fully usable for the next one. */
struct abandon {
    loop__ctx_t main;
    loop__ctx_t co;
};

static __attribute__((noinline)) void abandon_deep(struct abandon *a, int n)
{
    volatile char frame[1000];

    frame[0] = (char)n;
    if (n > 0) {
        abandon_deep(a, n - 1);
    } else {
        loop__ctx_switch(&a->co, &a->main); /* never resumed */
    }
    __asm__ volatile("" : : "r"(frame) : "memory");
}

static void abandon_entry(void *arg)
{
    abandon_deep(arg, 20);
    abort();
}

Test(ctx, a_stack_abandoned_mid_call_is_clean_when_reused)
{
    struct abandon a;
    struct loop__stack_pool pool = LOOP__STACK_POOL_INIT;
    loop__stack_t *s = must_alloc(&pool, 0);

    memset(&a, 0, sizeof(a));
    loop__ctx_make(&a.co, s->base, s->size, abandon_entry, &a);
    loop__ctx_switch(&a.main, &a.co);
    loop__ctx_free(&a.co);
    loop__stack_free(&pool, s);
    loop__stack_t *again = must_alloc(&pool, 0);
    cr_assert_eq(again, s);
    memset(again->base, 0x5a, again->size); /* ASan: no stale redzones */
    loop__stack_free(&pool, again);
    loop__stack_pool_drain(&pool);
}

/* Unwinders stop at the coroutine's entry instead of walking into garbage. */
struct bt {
    loop__ctx_t main;
    loop__ctx_t co;
    int frames;
};

static __attribute__((noinline)) void bt_leaf(struct bt *b)
{
    void *pcs[64];

    b->frames = backtrace(pcs, 64);
    __asm__ volatile("" : : : "memory");
}

static __attribute__((noinline)) void bt_mid(struct bt *b)
{
    bt_leaf(b);
    __asm__ volatile("" : : : "memory");
}

static void bt_entry(void *arg)
{
    struct bt *b = arg;

    bt_mid(b);
    loop__ctx_switch_final(&b->co, &b->main);
}

Test(ctx, backtrace_stops_at_the_coroutine_entry)
{
    struct bt b;
    loop__stack_t *s = must_alloc(NULL, 0);

    memset(&b, 0, sizeof(b));
    loop__ctx_make(&b.co, s->base, s->size, bt_entry, &b);
    loop__ctx_switch(&b.main, &b.co);
    /* bt_leaf, bt_mid, bt_entry, (trampoline), start: a handful, not 64. */
    cr_assert_geq(b.frames, 3);
    cr_assert_leq(b.frames, 8, "frames %d", b.frames);
    loop__ctx_free(&b.co);
    loop__stack_free(NULL, s);
}

/* ---------------------------------------------------------------------- */
/* Stack overflow                                                          */

static volatile int never;

static __attribute__((noinline)) int overflow(volatile char *prev)
{
    volatile char buf[512];

    buf[0] = (char)(prev != NULL ? prev[0] + 1 : 1);
    if (never) {
        return 0;
    }
    int r = overflow(buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
    return r + 1;
}

static struct {
    loop__ctx_t main;
    loop__ctx_t co;
} ovf;

static void overflow_entry(void *arg)
{
    (void)arg;
    overflow(NULL);
    loop__ctx_switch_final(&ovf.co, &ovf.main);
}

static const struct loop__stack_owner worker = {
    .id = 7, .name = "worker", .file = "srv.c", .func = "serve", .line = 42};

static const char worker_line[] =
    "libloop: stack overflow in task id=7 name=\"worker\" created at srv.c:42 (serve) "
    "stack-kb=64\n";

static void overflow_in_task(const struct loop__stack_owner *owner)
{
    loop__stack_t *s = NULL;

    if (loop__stack_alloc(NULL, 64 * 1024, &s) != 0) {
        _exit(3);
    }
    loop__stack_set_owner(s, owner);
    loop__ctx_make(&ovf.co, s->base, s->size, overflow_entry, NULL);
    loop__ctx_switch(&ovf.main, &ovf.co);
    _exit(4); /* not reached */
}

Test(stack, overflow_dies_of_sigsegv, .signal = SIGSEGV)
{
    int devnull = open("/dev/null", O_WRONLY);

    no_core();
    cr_assert_geq(devnull, 0);
    dup2(devnull, STDERR_FILENO); /* the line is checked by the next test */
    overflow_in_task(&worker);
}

static void child_overflow_worker(void)
{
    overflow_in_task(&worker);
}

Test(stack, overflow_prints_one_line_naming_the_task)
{
    struct child c;

    run_child(child_overflow_worker, &c);
    cr_assert(WIFSIGNALED(c.status), "status %#x, stderr: %s", c.status, c.out);
    cr_assert_eq(WTERMSIG(c.status), SIGSEGV);
    cr_assert_str_eq(c.out, worker_line);
}

static void child_overflow_unowned(void)
{
    overflow_in_task(NULL);
}

Test(stack, overflow_of_a_stack_without_owner_says_so)
{
    struct child c;

    run_child(child_overflow_unowned, &c);
    cr_assert(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV, "status %#x", c.status);
    cr_assert_str_eq(c.out, "libloop: stack overflow in a task stack with no owner stack-kb=64\n");
}

static void *overflow_thread(void *arg)
{
    (void)arg;
    overflow_in_task(&worker);
    return NULL;
}

static void child_overflow_in_thread(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, overflow_thread, NULL) != 0) {
        _exit(5);
    }
    pthread_join(t, NULL);
}

Test(stack, overflow_on_another_thread_is_reported_too)
{
    struct child c;

    run_child(child_overflow_in_thread, &c);
    cr_assert(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV, "status %#x: %s",
              c.status, c.out);
    cr_assert_str_eq(c.out, worker_line);
}

static volatile uintptr_t wild_addr = 64; /* not a guard page */

static void wild_entry(void *arg)
{
    (void)arg;
    *(volatile int *)wild_addr = 1;
    loop__ctx_switch_final(&ovf.co, &ovf.main);
}

static void child_wild_write(void)
{
    loop__stack_t *s = NULL;

    if (loop__stack_alloc(NULL, 0, &s) != 0) {
        _exit(3);
    }
    loop__stack_set_owner(s, &worker);
    loop__ctx_make(&ovf.co, s->base, s->size, wild_entry, NULL);
    loop__ctx_switch(&ovf.main, &ovf.co);
    _exit(4);
}

Test(stack, other_faults_go_to_the_previous_handler)
{
    struct child c;

    run_child(child_wild_write, &c);
    cr_assert_null(strstr(c.out, "libloop:"), "stderr: %s", c.out);
#if defined(LOOP__ASAN)
    /* ASan's own SEGV report runs and exits non-zero. */
    cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) != 0, "status %#x", c.status);
#else
    cr_assert(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV, "status %#x: %s",
              c.status, c.out);
#endif
}

/* ---------------------------------------------------------------------- */
/* Stacks and the pool                                                     */

Test(stack, sizes_are_page_rounded_and_clamped)
{
    size_t pg = loop__stack_page_size();

    cr_assert_eq(loop__stack_size_from_kb(NULL), 64 * 1024);
    cr_assert_eq(loop__stack_size_from_kb(""), 64 * 1024);
    cr_assert_eq(loop__stack_size_from_kb("abc"), 64 * 1024);
    cr_assert_eq(loop__stack_size_from_kb("-5"), 64 * 1024);
    cr_assert_eq(loop__stack_size_from_kb("128"), 128 * 1024);
    cr_assert_eq(loop__stack_size_from_kb("1"), 16 * 1024);
    cr_assert_eq(loop__stack_size_from_kb("0"), 16 * 1024);
    cr_assert_eq(loop__stack_size_from_kb("99999999999999999999"), (size_t)1 << 30);
    cr_assert_eq(loop__stack_size_from_kb("33") % pg, 0);

    struct loop__stack_pool pool = LOOP__STACK_POOL_INIT;
    loop__stack_t *s = must_alloc(&pool, 100 * 1024 + 1);
    cr_assert_eq(s->stack_size % pg, 0);
    cr_assert_geq(s->stack_size, 100 * 1024 + 1);
    cr_assert_lt(s->size, s->stack_size);
    cr_assert_eq(((uintptr_t)s->base) % pg, 0);
    memset(s->base, 0xa5, s->size); /* all of it is usable */
    loop__stack_free(&pool, s);

    loop__stack_t *big = NULL;
    cr_assert_eq(loop__stack_alloc(&pool, ((size_t)LOOP__STACK_MAX_KB + 1) * 1024, &big), -EINVAL);
    cr_assert_null(big);
    loop__stack_pool_drain(&pool);
    cr_assert_eq(pool.count, 0);
}

Test(stack, freed_stacks_are_reused_from_the_pool)
{
    struct loop__stack_pool pool;
    loop__stack_t *s[6];

    loop__stack_pool_init(&pool, 4);
    loop__stack_t *a = must_alloc(&pool, 0);
    loop__stack_set_owner(a, &worker);
    loop__stack_free(&pool, a);
    cr_assert_eq(pool.count, 1);
    loop__stack_t *b = must_alloc(&pool, 0);
    cr_assert_eq(b, a, "the pooled stack was not reused");
    cr_assert_null(loop__stack_owner(b), "a reused stack keeps its old owner");
    cr_assert_eq(pool.count, 0);

    /* Only a stack of the same size is reused. */
    loop__stack_free(&pool, b);
    loop__stack_t *c = must_alloc(&pool, 128 * 1024);
    cr_assert_neq(c, a);
    cr_assert_eq(pool.count, 1);
    loop__stack_free(&pool, c);
    cr_assert_eq(pool.count, 2);
    loop__stack_pool_drain(&pool);
    cr_assert_eq(pool.count, 0);

    /* The pool keeps at most cap stacks; the rest are unmapped. */
    for (int i = 0; i < 6; i++) {
        s[i] = must_alloc(&pool, 0);
    }
    for (int i = 0; i < 6; i++) {
        loop__stack_free(&pool, s[i]);
    }
    cr_assert_eq(pool.count, 4);
    loop__stack_pool_drain(&pool);
}

Test(stack, the_thread_pool_is_used_without_an_explicit_pool)
{
    loop__stack_t *a = must_alloc(NULL, 0);
    loop__stack_free(NULL, a);
    loop__stack_t *b = must_alloc(NULL, 0);
    cr_assert_eq(a, b);
    loop__stack_free(NULL, b);
}

static void *thread_stacks(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        loop__stack_t *s = NULL;
        if (loop__stack_alloc(NULL, 0, &s) != 0) {
            return (void *)1;
        }
        memset((char *)s->base + s->size - 4096, 1, 4096);
        loop__stack_free(NULL, s);
    }
    return NULL;
}

Test(stack, threads_allocate_stacks_concurrently)
{
    pthread_t t[4];

    for (int i = 0; i < 4; i++) {
        cr_assert_eq(pthread_create(&t[i], NULL, thread_stacks, NULL), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        cr_assert_null(rv);
    }
}

Test(stack, third_mmap_fails_with_enomem_and_nothing_is_half_made)
{
    struct loop__stack_pool pool = LOOP__STACK_POOL_INIT;
    loop__stack_t *s[4] = {NULL, NULL, NULL, NULL};

    cr_assert_eq(loop__stack_thread_init(), 0); /* its sigaltstack mmap is done */
    cr_assert_eq(loop__fault_set("mmap", 3, ENOMEM), 0);
    cr_assert_eq(loop__stack_alloc(&pool, 0, &s[0]), 0);
    cr_assert_eq(loop__stack_alloc(&pool, 0, &s[1]), 0);
    cr_assert_eq(loop__stack_alloc(&pool, 0, &s[2]), -ENOMEM);
    cr_assert_null(s[2]);
    cr_assert_eq(loop__fault_hits("mmap"), 1);
    cr_assert_eq(loop__stack_alloc(&pool, 0, &s[3]), 0, "only the 3rd call fails");

    /* The guard cannot be installed: the mapping is undone, the error returned. */
    loop__stack_t *g = NULL;
    cr_assert_eq(loop__fault_set("madvise", 1, ENOMEM), 0);
    cr_assert_eq(loop__fault_set("mprotect", 1, ENOMEM), 0);
    cr_assert_eq(loop__stack_alloc(&pool, 0, &g), -ENOMEM);
    cr_assert_null(g);
    cr_assert_eq(loop__fault_hits("madvise") + loop__fault_hits("mprotect"), 1);
    cr_assert_eq(loop__fault_clear(NULL), 0);

    /* A pooled stack needs no mmap at all. */
    loop__stack_free(&pool, s[3]);
    cr_assert_eq(loop__fault_set_n("mmap", 1, LOOP__FAULT_FOREVER, ENOMEM), 0);
    cr_assert_eq(loop__stack_alloc(&pool, 0, &s[3]), 0);
    cr_assert_eq(loop__stack_alloc(&pool, 0, &g), -ENOMEM);
    cr_assert_eq(loop__fault_clear("mmap"), 0);

    for (int i = 0; i < 4; i++) {
        loop__stack_free(&pool, s[i]);
    }
    loop__stack_pool_drain(&pool);
}

/* ---------------------------------------------------------------------- */
/* The fault seam                                                          */

Test(fault, unknown_names_and_bad_errnos_are_rejected)
{
    cr_assert_eq(loop__fault_set("no_such_call", 1, ENOMEM), -EINVAL);
    cr_assert_eq(loop__fault_set(NULL, 1, ENOMEM), -EINVAL);
    cr_assert_eq(loop__fault_set("mmap", 1, 0), -EINVAL);
    cr_assert_eq(loop__fault_clear("no_such_call"), -EINVAL);
    cr_assert_eq(loop__fault_hits("no_such_call"), -EINVAL);
    cr_assert_str_eq(loop__sys_name(LOOP__SYS_MMAP), "mmap");
    cr_assert_eq(atomic_load(&loop__fault_armed), 0);
}

Test(fault, nth_call_fails_count_times_then_disarms)
{
    cr_assert_eq(loop__fault_set_n("read", 2, 2, EIO), 0);
    cr_assert_eq(loop__fault(LOOP__SYS_WRITE), 0, "other calls are not affected");
    cr_assert_eq(loop__fault(LOOP__SYS_READ), 0);
    cr_assert_eq(loop__fault(LOOP__SYS_READ), EIO);
    cr_assert_eq(loop__fault(LOOP__SYS_READ), EIO);
    cr_assert_eq(loop__fault(LOOP__SYS_READ), 0);
    cr_assert_eq(loop__fault_hits("read"), 2);
    cr_assert_eq(atomic_load(&loop__fault_armed), 0);

    char buf[4];
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(loop__fault_set("read", 1, EINTR), 0);
    errno = 0;
    cr_assert_eq(loop__sys_read(fds[0], buf, sizeof(buf)), -1);
    cr_assert_eq(errno, EINTR);
    cr_assert_eq(loop__sys_write(fds[1], "ok", 2), 2);
    cr_assert_eq(loop__sys_read(fds[0], buf, sizeof(buf)), 2);
    close(fds[0]);
    close(fds[1]);

    cr_assert_eq(loop__fault_set("mmap", 1, ENOMEM), 0);
    cr_assert_eq(loop__fault_set("mmap", 0, 0), 0, "nth 0 disarms");
    cr_assert_eq(loop__fault(LOOP__SYS_MMAP), 0);
    cr_assert_eq(atomic_load(&loop__fault_armed), 0);
}

static atomic_long thread_hits;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        if (loop__fault(LOOP__SYS_EPOLL_WAIT) != 0) {
            atomic_fetch_add(&thread_hits, 1);
        }
    }
    return NULL;
}

Test(fault, the_countdown_is_shared_by_threads)
{
    pthread_t t[4];

    cr_assert_eq(loop__fault_set_n("epoll_wait", 50000, 3, EINTR), 0);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    cr_assert_eq(atomic_load(&thread_hits), 3);
    cr_assert_eq(loop__fault_hits("epoll_wait"), 3);
}
