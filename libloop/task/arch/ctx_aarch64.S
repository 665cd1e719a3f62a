/*
 * ctx_aarch64.S — the context switch for AArch64 (AAPCS64): save the
 * callee-saved state on the running stack, store sp in `from`, load the one
 * of `to`, restore, return into `to`. See ctx.h for the contract.
 *
 * Saved frame, from the stored sp upward (the same for a made context):
 *    0  d8  d9    16  d10 d11    32  d12 d13    48  d14 d15
 *   64  x19 x20   80  x21 x22    96  x23 x24   112  x25 x26
 *  128  x27 x28  144  x29 (fp)  x30 (lr: loop__ctx_start for a made context)
 *  160  FPCR, padding (to keep sp 16-aligned)
 * Only the low 64 bits of v8-v15 are callee-saved, as the ABI says.
 * FPCR (rounding mode, flush-to-zero, default NaN, trap enables) travels
 * with the context, as MXCSR and the x87 control word do on x86-64: a task
 * that changes its rounding mode (fesetround) must not change its
 * scheduler's or the next task's. AAPCS64 treats FPCR as "global" state,
 * which is what a coroutine switch must not leak. It is written back only
 * when it differs: an msr to FPCR can cost more than the rest of the switch.
 * FPSR (the cumulative exception flags) stays with the thread.
 * (Cannot be tested on the x86-64 development machine; assembled with
 * `clang --target=aarch64-linux-gnu -c`.)
 *
 * Compiles to nothing when LOOP_CTX_UCONTEXT selects the ucontext backend.
 */
#if defined(__aarch64__) && !defined(LOOP_CTX_UCONTEXT)

    .text

/* void loop__ctx_switch_raw(loop__ctx_t *from x0, loop__ctx_t *to x1) */
    .globl  loop__ctx_switch_raw
    .hidden loop__ctx_switch_raw
    .type   loop__ctx_switch_raw, %function
    .p2align 4
loop__ctx_switch_raw:
    .cfi_startproc
    sub     sp, sp, #176
    .cfi_def_cfa_offset 176
    stp     d8, d9, [sp, #0]
    stp     d10, d11, [sp, #16]
    stp     d12, d13, [sp, #32]
    stp     d14, d15, [sp, #48]
    stp     x19, x20, [sp, #64]
    stp     x21, x22, [sp, #80]
    stp     x23, x24, [sp, #96]
    stp     x25, x26, [sp, #112]
    stp     x27, x28, [sp, #128]
    stp     x29, x30, [sp, #144]
    mrs     x9, fpcr
    str     x9, [sp, #160]
    .cfi_offset d8, -176
    .cfi_offset d9, -168
    .cfi_offset d10, -160
    .cfi_offset d11, -152
    .cfi_offset d12, -144
    .cfi_offset d13, -136
    .cfi_offset d14, -128
    .cfi_offset d15, -120
    .cfi_offset x19, -112
    .cfi_offset x20, -104
    .cfi_offset x21, -96
    .cfi_offset x22, -88
    .cfi_offset x23, -80
    .cfi_offset x24, -72
    .cfi_offset x25, -64
    .cfi_offset x26, -56
    .cfi_offset x27, -48
    .cfi_offset x28, -40
    .cfi_offset x29, -32
    .cfi_offset x30, -24

    /* The switch. The CFI above stays true: `to` has the same frame. */
    mov     x9, sp
    str     x9, [x0]
    ldr     x9, [x1]
    mov     sp, x9

    ldp     d8, d9, [sp, #0]
    ldp     d10, d11, [sp, #16]
    ldp     d12, d13, [sp, #32]
    ldp     d14, d15, [sp, #48]
    ldp     x19, x20, [sp, #64]
    ldp     x21, x22, [sp, #80]
    ldp     x23, x24, [sp, #96]
    ldp     x25, x26, [sp, #112]
    ldp     x27, x28, [sp, #128]
    ldp     x29, x30, [sp, #144]
    ldr     x9, [sp, #160]
    mrs     x10, fpcr
    cmp     x9, x10
    b.eq    1f
    msr     fpcr, x9
1:
    add     sp, sp, #176
    .cfi_def_cfa_offset 0
    .cfi_restore d8
    .cfi_restore d9
    .cfi_restore d10
    .cfi_restore d11
    .cfi_restore d12
    .cfi_restore d13
    .cfi_restore d14
    .cfi_restore d15
    .cfi_restore x19
    .cfi_restore x20
    .cfi_restore x21
    .cfi_restore x22
    .cfi_restore x23
    .cfi_restore x24
    .cfi_restore x25
    .cfi_restore x26
    .cfi_restore x27
    .cfi_restore x28
    .cfi_restore x29
    .cfi_restore x30
    ret
    .cfi_endproc
    .size   loop__ctx_switch_raw, .-loop__ctx_switch_raw

/*
 * void loop__ctx_make_raw(loop__ctx_t *c x0, void *base x1, size_t size x2,
 *                         void (*entry)(void *) x3, void *arg x4)
 * Builds the saved frame below a zeroed 16-byte frame record at the
 * 16-aligned top: x19 = entry, x20 = arg, x29 = 0, x30 = loop__ctx_start,
 * FPCR = the caller's current FPCR, everything else 0.
 */
    .globl  loop__ctx_make_raw
    .hidden loop__ctx_make_raw
    .type   loop__ctx_make_raw, %function
    .p2align 4
loop__ctx_make_raw:
    .cfi_startproc
    add     x9, x1, x2
    and     x9, x9, #~15
    stp     xzr, xzr, [x9, #-16]    /* terminating frame record */
    sub     x9, x9, #192            /* the 176-byte frame below the record */
    stp     xzr, xzr, [x9, #0]
    stp     xzr, xzr, [x9, #16]
    stp     xzr, xzr, [x9, #32]
    stp     xzr, xzr, [x9, #48]
    stp     x3, x4, [x9, #64]       /* x19 = entry, x20 = arg */
    stp     xzr, xzr, [x9, #80]
    stp     xzr, xzr, [x9, #96]
    stp     xzr, xzr, [x9, #112]
    stp     xzr, xzr, [x9, #128]
    adr     x10, loop__ctx_start
    stp     xzr, x10, [x9, #144]    /* x29 = 0, x30 = loop__ctx_start */
    mrs     x10, fpcr
    stp     x10, xzr, [x9, #160]    /* FPCR = the creator's, padding */
    str     x9, [x0]
    ret
    .cfi_endproc
    .size   loop__ctx_make_raw, .-loop__ctx_make_raw

/*
 * First code of every made context, reached by the `ret` of the switch. The
 * undefined return address marks it as the outermost frame, so debuggers and
 * unwinders stop here. entry(arg) must not return.
 */
    .type   loop__ctx_start, %function
    .p2align 4
loop__ctx_start:
    .cfi_startproc
    .cfi_undefined x30
    mov     x29, xzr
    mov     x0, x20
    blr     x19
    brk     #0x3e8
    .cfi_endproc
    .size   loop__ctx_start, .-loop__ctx_start

#endif /* __aarch64__ && !LOOP_CTX_UCONTEXT */

#if defined(__ELF__)
    .section .note.GNU-stack,"",%progbits
#endif
