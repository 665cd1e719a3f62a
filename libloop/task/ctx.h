/*
 * ctx.h — execution contexts for stackful tasks: make a context on a stack,
 * switch between contexts. Internal (prefix loop__); task.c builds on it.
 *
 * Backends (STYLE rule 10), one of them is compiled in:
 *   arch/ctx_x86_64.S   callee-saved register swap (rbx rbp r12-r15, MXCSR, x87 CW)
 *   arch/ctx_aarch64.S  callee-saved register swap (x19-x30, sp, d8-d15)
 *   ctx_ucontext.c      makecontext/swapcontext, on every other architecture,
 *                       or anywhere when built with -DLOOP_CTX_UCONTEXT
 * Each implements loop__ctx_make_raw() and loop__ctx_switch_raw(). The
 * functions below wrap them with the sanitizer fiber annotations, which cost
 * nothing (compile to nothing) in a build without sanitizers:
 *   -fsanitize=address: __sanitizer_start/finish_switch_fiber around a switch,
 *   -fsanitize=thread:  one TSan fiber per made context.
 *
 * Contracts:
 *   - A zero-initialised loop__ctx_t stands for "the stack this thread is
 *     running on now" (the thread's own stack, or a scheduler loop). It is
 *     filled in when something switches away from it.
 *   - An entry function never returns. When its work is done it switches
 *     away for good with loop__ctx_switch_final(); returning is a bug and
 *     kills the process (SIGILL / abort).
 *   - A context runs on one thread at a time; contexts of one thread switch
 *     among themselves. Nothing here is thread-safe, nothing allocates except
 *     the TSan fiber in a sanitizer build, nothing fails.
 *   - Backtraces (gdb, libunwind, ASan) walk from a task's frames up to the
 *     entry function and stop there (the CFI marks the start as outermost).
 */
#ifndef LOOP_CTX_H
#define LOOP_CTX_H

#include <stddef.h>
#include <stdlib.h>

/* ---------------------------------------------------------------------- */
/* Feature detection                                                       */

#if !defined(LOOP_CTX_UCONTEXT) && !defined(__x86_64__) && !defined(__aarch64__)
#define LOOP_CTX_UCONTEXT 1
#endif

#if defined(__SANITIZE_ADDRESS__)
#define LOOP__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOOP__ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define LOOP__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LOOP__TSAN 1
#endif
#endif

#if defined(LOOP_CTX_UCONTEXT)
#include <ucontext.h>
#endif

#if defined(LOOP__ASAN)
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define LOOP__ASAN_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define LOOP__ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#if defined(LOOP__TSAN)
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

/* ---------------------------------------------------------------------- */
/* Contexts                                                                */

typedef struct loop__ctx {
    void *sp;                   /* private: saved stack pointer (asm backends) */
    void (*entry)(void *);      /* read-only: as given to loop__ctx_make() */
    void *arg;                  /* read-only */
#if defined(LOOP_CTX_UCONTEXT)
    ucontext_t uc;              /* private */
    void (*uc_entry)(void *);   /* private: what the ucontext start function calls */
    void *uc_arg;               /* private */
#endif
#if defined(LOOP__ASAN)
    const void *stack_bottom;   /* private: lowest address; NULL until known */
    size_t stack_size;          /* private */
    void *fake_stack;           /* private: ASan's fake stack while suspended */
    struct loop__ctx *resumer;  /* private: who switched to us last */
#endif
#if defined(LOOP__TSAN)
    void *tsan_fiber;           /* private: NULL until known / made */
    unsigned tsan_owned : 1;    /* private: we created it */
#endif
} loop__ctx_t;

/* The assembly backends store the stack pointer at offset 0. */
_Static_assert(offsetof(loop__ctx_t, sp) == 0, "loop__ctx_t.sp must be first");

/* Backend primitives, no sanitizer bookkeeping: use the wrappers below. */
void loop__ctx_make_raw(loop__ctx_t *c, void *stack_base, size_t size, void (*entry)(void *),
                        void *arg);
void loop__ctx_switch_raw(loop__ctx_t *from, loop__ctx_t *to);

#if defined(LOOP__ASAN)
/* Runs first in a context after every switch into it. */
static inline void loop__ctx_asan_arrived(loop__ctx_t *self)
{
    const void *bottom = NULL;
    size_t size = 0;

    __sanitizer_finish_switch_fiber(self->fake_stack, &bottom, &size);
    /* The resumer's stack bounds become known here; this is how the zero
     * context of the thread learns them before anyone switches back to it. */
    if (self->resumer != NULL && self->resumer->stack_bottom == NULL) {
        self->resumer->stack_bottom = bottom;
        self->resumer->stack_size = size;
    }
}
#endif

#if defined(LOOP__ASAN) || defined(LOOP__TSAN)
#define LOOP__CTX_TRAMPOLINE 1
/* Sanitizer builds enter new contexts through this: announce the arrival,
 * then run the real entry. */
static inline void loop__ctx_trampoline(void *p)
{
    loop__ctx_t *c = p;

#if defined(LOOP__ASAN)
    loop__ctx_asan_arrived(c);
#endif
    c->entry(c->arg);
    abort(); /* entry returned: forbidden (see the contract above) */
}
#endif

/*
 * Prepare `c` to run entry(arg) on [stack_base, stack_base + size) at its
 * first loop__ctx_switch(..., c). The stack must stay mapped until the
 * context is dead; the guard page, if any, lies below stack_base. size must
 * be at least a few hundred bytes (in practice: a page or more).
 * A context made here is released with loop__ctx_free().
 */
static inline void loop__ctx_make(loop__ctx_t *c, void *stack_base, size_t size,
                                  void (*entry)(void *), void *arg)
{
    c->entry = entry;
    c->arg = arg;
    /* A reused stack can keep the poison of frames that never returned. */
    LOOP__ASAN_UNPOISON(stack_base, size);
#if defined(LOOP__ASAN)
    c->stack_bottom = stack_base;
    c->stack_size = size;
    c->fake_stack = NULL;
    c->resumer = NULL;
#endif
#if defined(LOOP__TSAN)
    c->tsan_fiber = __tsan_create_fiber(0);
    c->tsan_owned = 1;
#endif
#if defined(LOOP__CTX_TRAMPOLINE)
    loop__ctx_make_raw(c, stack_base, size, loop__ctx_trampoline, c);
#else
    loop__ctx_make_raw(c, stack_base, size, entry, arg);
#endif
}

/*
 * Save the running context into `from` and resume `to`. Returns when some
 * context switches back to `from`. `from` must be the running context and
 * `to` a made or suspended one (never the running one).
 */
static inline void loop__ctx_switch(loop__ctx_t *from, loop__ctx_t *to)
{
#if defined(LOOP__ASAN)
    to->resumer = from;
    __sanitizer_start_switch_fiber(&from->fake_stack, to->stack_bottom, to->stack_size);
#endif
#if defined(LOOP__TSAN)
    if (from->tsan_fiber == NULL) {
        from->tsan_fiber = __tsan_get_current_fiber();
    }
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
    loop__ctx_switch_raw(from, to);
#if defined(LOOP__ASAN)
    loop__ctx_asan_arrived(from);
#endif
}

/*
 * Leave the running context `from` for good and resume `to`: the way an
 * entry function ends. `from` is never resumed; its stack may be freed (and
 * loop__ctx_free(from) called) by whoever runs next.
 */
__attribute__((noreturn)) static inline void loop__ctx_switch_final(loop__ctx_t *from,
                                                                    loop__ctx_t *to)
{
#if defined(LOOP__ASAN)
    to->resumer = from;
    /* NULL: ASan drops this context's fake stack. */
    __sanitizer_start_switch_fiber(NULL, to->stack_bottom, to->stack_size);
#endif
#if defined(LOOP__TSAN)
    if (from->tsan_fiber == NULL) {
        from->tsan_fiber = __tsan_get_current_fiber();
    }
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
    loop__ctx_switch_raw(from, to);
    abort(); /* a finished context was resumed */
}

/* Release what loop__ctx_make() took (a TSan fiber). Never on the running
 * context. Safe on a zero or already freed context. */
static inline void loop__ctx_free(loop__ctx_t *c)
{
#if defined(LOOP__TSAN)
    if (c->tsan_owned && c->tsan_fiber != NULL) {
        __tsan_destroy_fiber(c->tsan_fiber);
    }
    c->tsan_fiber = NULL;
    c->tsan_owned = 0;
#else
    (void)c;
#endif
}

#endif /* LOOP_CTX_H */
