/*
 * stack.h — task stacks: mmap'd, a guard region below, reused from a small
 * pool, and a stack-overflow report that names the task.
 *
 * Layout of one stack mapping (low to high addresses):
 *
 *     [ guard: no access ][ usable stack: base .. base+size ][ loop__stack_t ]
 *
 * The guard is at least 16 KiB (rounded to pages; MADV_GUARD_INSTALL where
 * the kernel has it, so a stack is one VMA, else mprotect(PROT_NONE)). The
 * descriptor lives in the top bytes of the mapping, so a stack costs no
 * malloc and an idle task touches only the top page.
 *
 * Overflow report: every stack is registered process-wide until unmapped, in
 * a table kept outside every task stack (a frame that jumps a guard lands in
 * the neighbouring stack, whose descriptor may then be garbage). A
 * SIGSEGV/SIGBUS handler, installed once per process and run on a per-thread
 * alternate signal stack (installed lazily by loop__stack_thread_init(), which
 * loop__stack_alloc() calls), looks the fault address up among the guards:
 * lock-free, bounded, async-signal-safe, reading only the table and the
 * owner record (never a task stack). On a hit it writes one line with
 * write(2), for example
 *
 *   libloop: stack overflow in task id=7 name="worker" created at srv.c:42 (serve) stack-kb=64
 *
 * restores the default action and returns, so the faulting instruction faults
 * again and the process dies of SIGSEGV as it would have. Any other fault goes
 * to the handler that was installed before libloop's (or the default action).
 * The task layer describes each stack's task with loop__stack_set_owner().
 *
 * A frame bigger than the guard (16 KiB) is caught only when the code that
 * makes it probes the stack page by page: libloop, its tests and examples are
 * built with -fstack-clash-protection where the compiler has it; build task
 * code with it too. Without probing, such a frame can write into the
 * neighbouring stack unnoticed.
 *
 * Threads: a pool belongs to one thread (the loop's); alloc and free on that
 * thread. The registry and set_owner are thread-safe.
 */
#ifndef LOOP_STACK_H
#define LOOP_STACK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LOOP__STACK_DEFAULT_KB 64        /* LOOP_STACK_KB when unset or invalid */
#define LOOP__STACK_MIN_KB 16            /* LOOP_STACK_KB is clamped to [MIN, MAX] */
#define LOOP__STACK_MAX_KB (1024 * 1024) /* 1 GiB */
#define LOOP__STACK_GUARD_MIN (16 * 1024)
#define LOOP__STACK_POOL_CAP 64

/*
 * Who runs on a stack, for the overflow report. The task layer fills one in
 * (usually inside its task struct) and keeps it alive and unchanged while it
 * is set on a stack: the signal handler reads it at any moment. Strings are
 * borrowed; any may be NULL.
 */
struct loop__stack_owner {
    uint64_t id;      /* task id */
    const char *name; /* task name */
    const char *file; /* creation site */
    const char *func;
    int line;
};

typedef struct loop__stack {
    void *base;        /* read-only: lowest usable address (just above the guard) */
    size_t size;       /* read-only: usable bytes; loop__ctx_make(c, base, size, ...) */
    size_t stack_size; /* read-only: the size asked for, page-rounded (size + descriptor) */
    /* private */
    size_t guard_size;
    struct reg_ent *reg;           /* its registry entry (outside every stack), or NULL */
    uint32_t reg_index;
    struct loop__stack *pool_next; /* guarded by the owning thread */
    unsigned valgrind_id;          /* VALGRIND_STACK_REGISTER's id, 0 outside valgrind */
} loop__stack_t;

/* A free list of stacks for reuse, owned by one thread (or one loop). */
struct loop__stack_pool {
    loop__stack_t *head; /* private: most recently freed first */
    unsigned count;      /* read-only: stacks in the pool */
    unsigned cap;        /* public: keep at most this many */
};

#define LOOP__STACK_POOL_INIT {NULL, 0, LOOP__STACK_POOL_CAP}

/* The page size (cached). */
size_t loop__stack_page_size(void);

/* LOOP_STACK_KB as a size: NULL, empty or not a number gives the default,
 * numbers are clamped to [LOOP__STACK_MIN_KB, LOOP__STACK_MAX_KB], then
 * rounded up to whole pages. Pure; for tests and the loop's own settings. */
size_t loop__stack_size_from_kb(const char *kb);

/* The process default: loop__stack_size_from_kb(getenv("LOOP_STACK_KB")),
 * read once. thread-safe. */
size_t loop__stack_default_size(void);

void loop__stack_pool_init(struct loop__stack_pool *pool, unsigned cap);

/* Unmap every stack in the pool. */
void loop__stack_pool_drain(struct loop__stack_pool *pool);

/*
 * Get a stack of `size` bytes (0: the default; rounded up to pages, at least
 * LOOP__STACK_MIN_KB) from `pool` (NULL: the calling thread's pool), or map
 * a new one. Also makes sure the calling thread has the alternate signal
 * stack for overflow reports. The new stack has no owner. The first call on
 * a thread maps that thread's signal stack too (one more mmap; call
 * loop__stack_thread_init() first when counting mmaps for fault injection).
 * Returns 0 and sets *out; -EINVAL if size exceeds LOOP__STACK_MAX_KB; the
 * negative errno of mmap/madvise/mprotect (-ENOMEM) with *out set to NULL.
 */
int loop__stack_alloc(struct loop__stack_pool *pool, size_t size, loop__stack_t **out);

/* Give a stack back: into `pool` (NULL: the calling thread's) while it has
 * room, else unmapped. Clears the owner. NULL is ignored. The context that
 * ran on it must be dead (see loop__ctx_switch_final). */
void loop__stack_free(struct loop__stack_pool *pool, loop__stack_t *s);

/* Set (or clear, with NULL) the owner shown by the overflow report. thread-safe. */
void loop__stack_set_owner(loop__stack_t *s, const struct loop__stack_owner *owner);
/* The owner set on s, or NULL. thread-safe. */
const struct loop__stack_owner *loop__stack_owner(const loop__stack_t *s);

/*
 * Make the calling thread ready to report overflows: the process-wide
 * SIGSEGV/SIGBUS handler (once) and this thread's alternate signal stack
 * (kept if the thread already has a big enough one, e.g. from ASan; ours is
 * removed at thread exit). Idempotent and cheap after the first call.
 * Returns 0 or a negative errno (the report then degrades to a bare SIGSEGV).
 */
int loop__stack_thread_init(void);

#endif /* LOOP_STACK_H */
