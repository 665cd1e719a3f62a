/*
 * stack.c — task stacks (mmap + guard, pooled) and the stack-overflow report.
 * The contract is in stack.h.
 *
 * Process-wide state (STYLE rule 15), and why:
 *  - the SIGSEGV/SIGBUS disposition is per process, so the handler and the
 *    handlers it chains to are installed once (pthread_once) and never
 *    removed: a fault can arrive at any time, and libloop cannot know when
 *    the last task stack is gone;
 *  - the registry of guard regions is one table, because the handler must find
 *    the faulting stack whichever thread or loop allocated it. Stacks enter it
 *    at mmap and leave it at munmap, so it changes rarely (pooled stacks stay).
 *    It lives in mappings of its own, never inside a task stack: an overflow
 *    that jumps a guard cannot corrupt what the handler reads.
 * Per thread: the alternate signal stack (a signal stack is per thread), and
 * the default pool; both are released by a pthread key destructor.
 */
#include "stack.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctx.h"
#include "core/sys.h"

/*
 * Under valgrind, every task stack is registered: valgrind then knows that a
 * jump of the stack pointer into one is a stack switch, not a huge frame
 * ("client switching stacks?"), and tracks definedness on it correctly.
 * Outside valgrind the client requests cost a few instructions per mmap.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define LOOP__HAVE_VALGRIND 1
#endif
#endif
#ifndef LOOP__HAVE_VALGRIND
#define VALGRIND_STACK_REGISTER(start, end) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#if !defined(MADV_GUARD_INSTALL) && defined(__linux__)
#define MADV_GUARD_INSTALL 102 /* Linux 6.13: guard pages without a VMA split */
#endif

#ifndef MAP_STACK
#define MAP_STACK 0
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

#define STACK_MAP_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK)

/* The descriptor at the top of each mapping, kept cache-line aligned. */
#define DESC_SIZE ((sizeof(loop__stack_t) + 63) & ~(size_t)63)

#define ALTSTACK_MIN (16 * 1024)  /* an existing sigaltstack this big is kept */
#define ALTSTACK_SIZE (64 * 1024) /* ours, at least (plus a guard) */

/* ---------------------------------------------------------------------- */
/* Sizes                                                                   */

static size_t page_size_cached;

size_t loop__stack_page_size(void)
{
    size_t pg = __atomic_load_n(&page_size_cached, __ATOMIC_RELAXED);

    if (pg == 0) {
        long v = sysconf(_SC_PAGESIZE);
        pg = v > 0 ? (size_t)v : 4096;
        __atomic_store_n(&page_size_cached, pg, __ATOMIC_RELAXED);
    }
    return pg;
}

static size_t round_pages(size_t n)
{
    size_t pg = loop__stack_page_size();

    return (n + pg - 1) & ~(pg - 1);
}

static size_t guard_size(void)
{
    return round_pages(LOOP__STACK_GUARD_MIN);
}

size_t loop__stack_size_from_kb(const char *kb)
{
    unsigned long long v = LOOP__STACK_DEFAULT_KB;

    if (kb != NULL && kb[0] >= '0' && kb[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long long parsed = strtoull(kb, &end, 10);
        if (*end == '\0' || *end == ' ' || *end == '\n') {
            v = errno == ERANGE ? LOOP__STACK_MAX_KB : parsed;
        }
    }
    if (v < LOOP__STACK_MIN_KB) {
        v = LOOP__STACK_MIN_KB;
    }
    if (v > LOOP__STACK_MAX_KB) {
        v = LOOP__STACK_MAX_KB;
    }
    return round_pages((size_t)v * 1024);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static size_t default_size;

static void default_size_init(void)
{
    default_size = loop__stack_size_from_kb(getenv("LOOP_STACK_KB"));
}

size_t loop__stack_default_size(void)
{
    pthread_once(&default_once, default_size_init);
    return default_size;
}

/* ---------------------------------------------------------------------- */
/* Registry of guard regions (read by the signal handler)                  */

/*
 * The registry lives outside every task stack: a frame that jumps a guard
 * lands in the neighbouring stack's mapping, and whatever is stored there
 * (the descriptor at its top) may be garbage by the time the fault handler
 * runs. Entries are in chunks of their own (mmap'd, chunk k holds
 * REG_CHUNK0 << k entries), published once and never unmapped, so the
 * handler reads them without a lock: a bounded scan of plain loads
 * (async-signal-safe), up to the high-water mark of used entries.
 * Insertion and removal (at mmap and munmap of a stack, rare: stacks are
 * pooled) take reg_lock, which the handler never takes.
 */
#define REG_CHUNK0 256
#define REG_CHUNKS 20 /* up to 256 * (2^20 - 1) entries */

struct reg_ent {
    _Atomic uintptr_t base; /* the stack's lowest usable address; 0: a free entry */
    _Atomic size_t guard;   /* the guard is [base - guard, base) */
    _Atomic size_t stack_size;
    const struct loop__stack_owner *_Atomic owner;
    uint32_t next_free; /* 1 + index of the next free entry, 0: none; guarded by reg_lock */
};

static atomic_uintptr_t reg_lock;                 /* 0, or the token of the holding thread */
static struct reg_ent *_Atomic reg_chunk[REG_CHUNKS]; /* published once each */
static atomic_uint reg_high;                      /* entries ever used: the scan's bound */
static uint32_t reg_free;                         /* 1 + first free index; guarded by reg_lock */

static uintptr_t self_token(void)
{
    return (uintptr_t)pthread_self() | 1;
}

static void reg_acquire(void)
{
    uintptr_t me = self_token();

    for (;;) {
        uintptr_t expect = 0;
        if (atomic_compare_exchange_weak_explicit(&reg_lock, &expect, me,
                                                  memory_order_acquire, memory_order_relaxed)) {
            return;
        }
        sched_yield();
    }
}

static void reg_release(void)
{
    atomic_store_explicit(&reg_lock, 0, memory_order_release);
}

static size_t reg_chunk_len(unsigned k)
{
    return (size_t)REG_CHUNK0 << k;
}

/* Entry i (chunk k holds [REG_CHUNK0 * (2^k - 1), REG_CHUNK0 * (2^(k+1) - 1))), or NULL
 * when its chunk is not mapped. */
static struct reg_ent *reg_at(uint32_t i, bool map)
{
    unsigned k = 0;
    size_t first = 0;

    while (k < REG_CHUNKS && i >= first + reg_chunk_len(k)) {
        first += reg_chunk_len(k);
        k++;
    }
    if (k == REG_CHUNKS) {
        return NULL;
    }
    struct reg_ent *c = atomic_load_explicit(&reg_chunk[k], memory_order_acquire);
    if (c == NULL && map) {
        /* zeroed by mmap: every entry free; never unmapped (the handler may read it) */
        c = loop__sys_mmap(NULL, reg_chunk_len(k) * sizeof(*c), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (c == MAP_FAILED) {
            return NULL;
        }
        atomic_store_explicit(&reg_chunk[k], c, memory_order_release);
    }
    return c != NULL ? &c[i - first] : NULL;
}

/* Register s's guard; 0, or -ENOMEM (the stack then has no overflow report). */
static int reg_insert(loop__stack_t *s)
{
    struct reg_ent *e;
    uint32_t i;

    reg_acquire();
    if (reg_free != 0) {
        i = reg_free - 1;
        e = reg_at(i, false);
        reg_free = e->next_free;
    } else {
        i = atomic_load_explicit(&reg_high, memory_order_relaxed);
        e = reg_at(i, true);
        if (e == NULL) {
            reg_release();
            return -ENOMEM;
        }
    }
    e->next_free = 0;
    atomic_store_explicit(&e->guard, s->guard_size, memory_order_relaxed);
    atomic_store_explicit(&e->stack_size, s->stack_size, memory_order_relaxed);
    atomic_store_explicit(&e->owner, NULL, memory_order_relaxed);
    atomic_store_explicit(&e->base, (uintptr_t)s->base, memory_order_release);
    if (i >= atomic_load_explicit(&reg_high, memory_order_relaxed)) {
        atomic_store_explicit(&reg_high, i + 1, memory_order_release);
    }
    s->reg = e;
    s->reg_index = i;
    reg_release();
    return 0;
}

static void reg_remove(loop__stack_t *s)
{
    struct reg_ent *e = s->reg;

    if (e == NULL) {
        return;
    }
    reg_acquire();
    atomic_store_explicit(&e->base, 0, memory_order_release);
    atomic_store_explicit(&e->owner, NULL, memory_order_relaxed);
    e->next_free = reg_free;
    reg_free = s->reg_index + 1;
    s->reg = NULL;
    reg_release();
}

/*
 * Async-signal-safe, lock-free, bounded: the registry entry whose guard holds
 * `addr`, or NULL. Reads only the registry's own mappings.
 */
static const struct reg_ent *reg_find_guard(uintptr_t addr)
{
    uint32_t high = atomic_load_explicit(&reg_high, memory_order_acquire);
    uint32_t i = 0;

    for (unsigned k = 0; k < REG_CHUNKS && i < high; k++) {
        const struct reg_ent *c = atomic_load_explicit(&reg_chunk[k], memory_order_acquire);
        if (c == NULL) {
            break;
        }
        for (size_t j = 0; j < reg_chunk_len(k) && i < high; j++, i++) {
            uintptr_t hi = atomic_load_explicit(&c[j].base, memory_order_acquire);
            size_t g = atomic_load_explicit(&c[j].guard, memory_order_relaxed);
            if (hi != 0 && addr < hi && addr >= hi - g) {
                return &c[j];
            }
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Mappings                                                                */

/* How guards are made: 0 not yet known, 1 MADV_GUARD_INSTALL, 2 mprotect. */
static atomic_int guard_mode;

#if defined(MADV_GUARD_INSTALL)
/*
 * Does an installed guard really refuse access? Some environments (qemu-user)
 * answer MADV_GUARD_INSTALL with success and do nothing. Asked once: the
 * kernel reading the guard for write(2) must fail with EFAULT.
 */
static bool guard_refuses_access(const void *p)
{
    int fds[2];
    ssize_t n;
    int err;

    if (pipe(fds) != 0) {
        return false;
    }
    n = write(fds[1], p, 1);
    err = errno;
    close(fds[0]);
    close(fds[1]);
    return n < 0 && err == EFAULT;
}
#endif

/* Make [p, p + n) inaccessible. 0 or a negative errno. */
static int install_guard(void *p, size_t n)
{
#if defined(MADV_GUARD_INSTALL)
    int mode = atomic_load_explicit(&guard_mode, memory_order_relaxed);

    if (mode != 2) {
        if (loop__sys_madvise(p, n, MADV_GUARD_INSTALL) == 0) {
            if (mode == 1 || guard_refuses_access(p)) {
                atomic_store_explicit(&guard_mode, 1, memory_order_relaxed);
                return 0;
            }
        } else if (errno != EINVAL && errno != ENOSYS && errno != EPERM) {
            return -errno;
        }
        atomic_store_explicit(&guard_mode, 2, memory_order_relaxed);
    }
#endif
    if (loop__sys_mprotect(p, n, PROT_NONE) != 0) {
        return -errno;
    }
    return 0;
}

/* Map guard + size bytes with the guard at the bottom; NULL and -errno in *rc. */
static char *map_with_guard(size_t guard, size_t size, int *rc)
{
    char *map = loop__sys_mmap(NULL, guard + size, PROT_READ | PROT_WRITE, STACK_MAP_FLAGS, -1, 0);

    if (map == MAP_FAILED) {
        *rc = -errno;
        return NULL;
    }
    *rc = install_guard(map, guard);
    if (*rc < 0) {
        (void)loop__sys_munmap(map, guard + size);
        return NULL;
    }
    return map;
}

static void stack_destroy(loop__stack_t *s)
{
    char *map = (char *)s->base - s->guard_size;
    size_t len = s->guard_size + s->stack_size;

    reg_remove(s);
    if (s->valgrind_id != 0) {
        VALGRIND_STACK_DEREGISTER(s->valgrind_id);
    }
    LOOP__ASAN_UNPOISON(s->base, s->size);
    (void)loop__sys_munmap(map, len);
}

/* ---------------------------------------------------------------------- */
/* Per-thread state                                                        */

struct thread_state {
    bool ready;          /* loop__stack_thread_init() succeeded */
    bool have_pool;
    char *alt_map;       /* our sigaltstack mapping (guard included), or NULL */
    size_t alt_len;
    struct loop__stack_pool pool;
};

static __thread struct thread_state tls;

static pthread_once_t process_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static int process_rc;
static struct sigaction old_segv; /* what ran before libloop's handler */
static struct sigaction old_bus;

static void process_init(void);

static void thread_exit(void *p)
{
    struct thread_state *t = p;

    if (t->have_pool) {
        loop__stack_pool_drain(&t->pool);
        t->have_pool = false;
    }
    if (t->alt_map != NULL) {
        stack_t off = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};
        if (sigaltstack(&off, NULL) == 0) {
            (void)loop__sys_munmap(t->alt_map, t->alt_len);
        }
        t->alt_map = NULL;
    }
    t->ready = false;
}

/* Run thread_exit() when this thread ends. */
static void want_thread_exit(void)
{
    pthread_once(&process_once, process_init);
    if (process_rc == 0) {
        (void)pthread_setspecific(thread_key, &tls);
    }
}

static struct loop__stack_pool *thread_pool(void)
{
    if (!tls.have_pool) {
        loop__stack_pool_init(&tls.pool, LOOP__STACK_POOL_CAP);
        tls.have_pool = true;
        want_thread_exit();
    }
    return &tls.pool;
}

/* ---------------------------------------------------------------------- */
/* The report                                                              */

struct line {
    char buf[512];
    size_t len;
};

static void put_str(struct line *l, const char *s)
{
    while (*s != '\0' && l->len < sizeof(l->buf) - 1) {
        l->buf[l->len++] = *s++;
    }
}

/* A borrowed string, capped, with quotes and control bytes made harmless. */
static void put_quoted(struct line *l, const char *s, size_t max)
{
    size_t n = 0;

    for (; s != NULL && s[n] != '\0' && n < max && l->len < sizeof(l->buf) - 4; n++) {
        unsigned char c = (unsigned char)s[n];
        l->buf[l->len++] = (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
    }
    if (s != NULL && s[n] != '\0') {
        put_str(l, "...");
    }
}

static void put_u64(struct line *l, uint64_t v)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0 && l->len < sizeof(l->buf) - 1) {
        l->buf[l->len++] = tmp[--n];
    }
}

/* Reads the registry entry and the owner it names (in the task object), never a stack. */
static void report_overflow(const struct reg_ent *e)
{
    const struct loop__stack_owner *o = atomic_load_explicit(&e->owner, memory_order_acquire);
    struct line l = {.len = 0};

    if (o != NULL) {
        put_str(&l, "libloop: stack overflow in task id=");
        put_u64(&l, o->id);
        put_str(&l, " name=\"");
        put_quoted(&l, o->name, 64);
        put_str(&l, "\" created at ");
        put_quoted(&l, o->file != NULL ? o->file : "?", 160);
        put_str(&l, ":");
        put_u64(&l, o->line > 0 ? (uint64_t)o->line : 0);
        put_str(&l, " (");
        put_quoted(&l, o->func != NULL ? o->func : "?", 64);
        put_str(&l, ")");
    } else {
        put_str(&l, "libloop: stack overflow in a task stack with no owner");
    }
    put_str(&l, " stack-kb=");
    put_u64(&l, atomic_load_explicit(&e->stack_size, memory_order_relaxed) / 1024);
    l.buf[l.len++] = '\n';

    for (size_t off = 0; off < l.len;) {
        ssize_t n = write(STDERR_FILENO, l.buf + off, l.len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        off += (size_t)n;
    }
}

static void set_default(int sig)
{
    struct sigaction dfl;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, NULL);
}

/* Not ours: behave as if libloop's handler had never been installed. */
static void chain(int sig, siginfo_t *si, void *uctx)
{
    const struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;

    if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        if (old->sa_flags & SA_SIGINFO) {
            old->sa_sigaction(sig, si, uctx);
        } else {
            old->sa_handler(sig);
        }
        return;
    }
    /* Default (or ignored, which the kernel does not honour for a fault). */
    set_default(sig);
    if (si->si_code <= 0) {
        /* Sent, not a fault: nothing re-executes, so send it again; it is
         * blocked until this handler returns, then kills. */
        (void)raise(sig);
    }
    /* A fault: returning re-runs the faulting instruction under SIG_DFL. */
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
    int saved_errno = errno;

    if (si != NULL && si->si_code > 0) {
        const struct reg_ent *e = reg_find_guard((uintptr_t)si->si_addr);
        if (e != NULL) {
            report_overflow(e);
            set_default(sig);
            errno = saved_errno;
            return; /* the access faults again and the process dies of sig */
        }
    }
    chain(sig, si, uctx);
    errno = saved_errno;
}

/* fork(): the child gets the registry consistent and unlocked. */
static void atfork_prepare(void)
{
    reg_acquire();
}

static void atfork_release(void)
{
    reg_release();
}

static void process_init(void)
{
    struct sigaction sa;

    process_rc = -pthread_key_create(&thread_key, thread_exit);
    if (process_rc < 0) {
        return;
    }
    process_rc = -pthread_atfork(atfork_prepare, atfork_release, atfork_release);
    if (process_rc < 0) {
        return;
    }
    /* the registry's first chunk (256 stacks) now, not at some stack's mmap */
    reg_acquire();
    (void)reg_at(0, true);
    reg_release();
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &old_segv) != 0 || sigaction(SIGBUS, &sa, &old_bus) != 0) {
        process_rc = -errno;
    }
}

int loop__stack_thread_init(void)
{
    stack_t cur;
    int rc;

    if (tls.ready) {
        return 0;
    }
    pthread_once(&process_once, process_init);
    if (process_rc < 0) {
        return process_rc;
    }
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
        cur.ss_size >= ALTSTACK_MIN) {
        tls.ready = true; /* keep the thread's own (ASan installs one) */
        return 0;
    }

    long min = sysconf(_SC_MINSIGSTKSZ);
    size_t size = ALTSTACK_SIZE;
    if (min > 0 && (size_t)min * 4 > size) {
        size = (size_t)min * 4;
    }
    size = round_pages(size);
    size_t guard = loop__stack_page_size();
    char *map = map_with_guard(guard, size, &rc);
    if (map == NULL) {
        return rc;
    }
    stack_t ss = {.ss_sp = map + guard, .ss_flags = 0, .ss_size = size};
    if (loop__sys_sigaltstack(&ss, NULL) != 0) {
        rc = -errno;
        (void)loop__sys_munmap(map, guard + size);
        return rc;
    }
    tls.alt_map = map;
    tls.alt_len = guard + size;
    tls.ready = true;
    want_thread_exit();
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Stacks and pools                                                        */

void loop__stack_pool_init(struct loop__stack_pool *pool, unsigned cap)
{
    pool->head = NULL;
    pool->count = 0;
    pool->cap = cap;
}

void loop__stack_pool_drain(struct loop__stack_pool *pool)
{
    loop__stack_t *s = pool->head;

    while (s != NULL) {
        loop__stack_t *next = s->pool_next;
        stack_destroy(s);
        s = next;
    }
    pool->head = NULL;
    pool->count = 0;
}

int loop__stack_alloc(struct loop__stack_pool *pool, size_t size, loop__stack_t **out)
{
    int rc;

    *out = NULL;
    if (size > (size_t)LOOP__STACK_MAX_KB * 1024) {
        return -EINVAL;
    }
    size = size == 0 ? loop__stack_default_size() : round_pages(size);
    if (size < (size_t)LOOP__STACK_MIN_KB * 1024) {
        size = round_pages((size_t)LOOP__STACK_MIN_KB * 1024);
    }
    (void)loop__stack_thread_init(); /* best effort: without it, a bare SIGSEGV */
    if (pool == NULL) {
        pool = thread_pool();
    }

    for (loop__stack_t **pp = &pool->head; *pp != NULL; pp = &(*pp)->pool_next) {
        if ((*pp)->stack_size == size) {
            loop__stack_t *s = *pp;
            *pp = s->pool_next;
            s->pool_next = NULL;
            pool->count--;
            *out = s;
            return 0;
        }
    }

    size_t guard = guard_size();
    char *map = map_with_guard(guard, size, &rc);
    if (map == NULL) {
        return rc;
    }
    loop__stack_t *s = (loop__stack_t *)(map + guard + size - DESC_SIZE);
    s->base = map + guard;
    s->size = size - DESC_SIZE;
    s->stack_size = size;
    s->guard_size = guard;
    s->reg = NULL;
    s->pool_next = NULL;
    s->valgrind_id = VALGRIND_STACK_REGISTER((char *)s->base, (char *)s->base + s->size);
    (void)reg_insert(s); /* -ENOMEM: this stack's overflow is a bare SIGSEGV */
    *out = s;
    return 0;
}

void loop__stack_free(struct loop__stack_pool *pool, loop__stack_t *s)
{
    if (s == NULL) {
        return;
    }
    loop__stack_set_owner(s, NULL);
    if (pool == NULL) {
        pool = thread_pool();
    }
    if (pool->count < pool->cap) {
        /* Frames of a context that never returned leave ASan poison behind. */
        LOOP__ASAN_UNPOISON(s->base, s->size);
        s->pool_next = pool->head;
        pool->head = s;
        pool->count++;
        return;
    }
    stack_destroy(s);
}

void loop__stack_set_owner(loop__stack_t *s, const struct loop__stack_owner *owner)
{
    if (s->reg != NULL) {
        atomic_store_explicit(&s->reg->owner, owner, memory_order_release);
    }
}

const struct loop__stack_owner *loop__stack_owner(const loop__stack_t *s)
{
    return s->reg != NULL ? atomic_load_explicit(&s->reg->owner, memory_order_acquire) : NULL;
}
