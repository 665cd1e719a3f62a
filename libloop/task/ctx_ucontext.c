/*
 * ctx_ucontext.c — the portable context backend: makecontext/swapcontext.
 * Used on architectures without an arch/ctx_*.S, or anywhere when built with
 * -DLOOP_CTX_UCONTEXT (to test this backend). About 30x slower than the
 * register swap, because swapcontext saves and restores the signal mask with
 * a system call. See ctx.h for the contract.
 */
#include "ctx.h"

#if defined(LOOP_CTX_UCONTEXT)

#include <stdint.h>
#include <string.h>

/* makecontext passes int arguments only: the context pointer comes in halves. */
static void ctx_start(unsigned hi, unsigned lo)
{
    loop__ctx_t *c = (loop__ctx_t *)(((uintptr_t)hi << 16 << 16) | (uintptr_t)lo);

    c->uc_entry(c->uc_arg);
    abort(); /* entry returned: forbidden (see ctx.h) */
}

void loop__ctx_make_raw(loop__ctx_t *c, void *stack_base, size_t size, void (*entry)(void *),
                        void *arg)
{
    uintptr_t p = (uintptr_t)c;

    c->sp = NULL;
    c->uc_entry = entry;
    c->uc_arg = arg;
    memset(&c->uc, 0, sizeof(c->uc));
    if (getcontext(&c->uc) != 0) {
        abort(); /* cannot fail on any libc we know */
    }
    c->uc.uc_stack.ss_sp = stack_base;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = NULL;
    makecontext(&c->uc, (void (*)(void))ctx_start, 2, (unsigned)(p >> 16 >> 16),
                (unsigned)(p & 0xffffffffu));
}

void loop__ctx_switch_raw(loop__ctx_t *from, loop__ctx_t *to)
{
    if (swapcontext(&from->uc, &to->uc) != 0) {
        abort(); /* cannot fail: both contexts are valid */
    }
}

#else

/* ISO C wants something in a translation unit. */
typedef int loop__ctx_ucontext_unused;

#endif /* LOOP_CTX_UCONTEXT */
