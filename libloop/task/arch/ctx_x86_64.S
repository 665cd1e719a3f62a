/*
 * ctx_x86_64.S — the context switch for x86-64 (System V ABI): save the
 * callee-saved state on the running stack, store the stack pointer in `from`,
 * load the one of `to`, restore, return into `to`. See ctx.h for the contract.
 *
 * Saved frame, from the stored sp upward (the same for a made context):
 *    0  MXCSR (4 bytes), x87 control word (2 bytes), padding
 *    8  r15    16  r14    24  r13    32  r12    40  rbx    48  rbp
 *   56  return address (loop__ctx_start for a made context)
 * Caller-saved registers are the caller's business; the MXCSR status flags
 * and the x87 status/tag words travel with the control bits (as in
 * boost.context), which is harmless.
 *
 * Compiles to nothing when LOOP_CTX_UCONTEXT selects the ucontext backend.
 */
#if defined(__x86_64__) && !defined(LOOP_CTX_UCONTEXT)

#if defined(__CET__)
#define LOOP_ENDBR endbr64
#else
#define LOOP_ENDBR
#endif

    .text

/* void loop__ctx_switch_raw(loop__ctx_t *from %rdi, loop__ctx_t *to %rsi) */
    .globl  loop__ctx_switch_raw
    .hidden loop__ctx_switch_raw
    .type   loop__ctx_switch_raw, @function
    .p2align 4
loop__ctx_switch_raw:
    .cfi_startproc
    LOOP_ENDBR
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0
    leaq    -8(%rsp), %rsp
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)
    fnstcw  4(%rsp)

    /* The switch. The CFI above stays true: `to` has the same frame. */
    movq    %rsp, (%rdi)
    movq    (%rsi), %rsp

    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    leaq    8(%rsp), %rsp
    .cfi_adjust_cfa_offset -8
    popq    %r15
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r15
    popq    %r14
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r14
    popq    %r13
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r13
    popq    %r12
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r12
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    ret
    .cfi_endproc
    .size   loop__ctx_switch_raw, .-loop__ctx_switch_raw

/*
 * void loop__ctx_make_raw(loop__ctx_t *c %rdi, void *base %rsi, size_t size %rdx,
 *                         void (*entry)(void *) %rcx, void *arg %r8)
 * Builds the saved frame at the 16-aligned top of the stack: r13 = entry,
 * r12 = arg, rbp = 0, return address = loop__ctx_start, the current MXCSR
 * and x87 control word, and 16 zero bytes above it all.
 */
    .globl  loop__ctx_make_raw
    .hidden loop__ctx_make_raw
    .type   loop__ctx_make_raw, @function
    .p2align 4
loop__ctx_make_raw:
    .cfi_startproc
    LOOP_ENDBR
    leaq    (%rsi,%rdx), %rax
    andq    $-16, %rax
    leaq    -80(%rax), %rax
    stmxcsr (%rax)
    fnstcw  4(%rax)
    xorl    %edx, %edx
    movw    %dx, 6(%rax)
    movq    %rdx, 8(%rax)           /* r15 */
    movq    %rdx, 16(%rax)          /* r14 */
    movq    %rcx, 24(%rax)          /* r13: entry */
    movq    %r8, 32(%rax)           /* r12: arg */
    movq    %rdx, 40(%rax)          /* rbx */
    movq    %rdx, 48(%rax)          /* rbp: 0 ends frame-pointer walks */
    leaq    loop__ctx_start(%rip), %rsi
    movq    %rsi, 56(%rax)          /* return address */
    movq    %rdx, 64(%rax)          /* 16-aligned after the ret */
    movq    %rdx, 72(%rax)
    movq    %rax, (%rdi)
    ret
    .cfi_endproc
    .size   loop__ctx_make_raw, .-loop__ctx_make_raw

/*
 * First code of every made context, reached by the `ret` of the switch with
 * %rsp 16-aligned. The undefined return address marks it as the outermost
 * frame, so debuggers and unwinders stop here. entry(arg) must not return.
 */
    .type   loop__ctx_start, @function
    .p2align 4
loop__ctx_start:
    .cfi_startproc
    .cfi_undefined %rip
    movq    %r12, %rdi
    callq   *%r13
    ud2
    .cfi_endproc
    .size   loop__ctx_start, .-loop__ctx_start

#endif /* __x86_64__ && !LOOP_CTX_UCONTEXT */

#if defined(__ELF__)
    .section .note.GNU-stack,"",@progbits
#endif
