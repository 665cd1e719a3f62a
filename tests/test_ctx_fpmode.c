/*
 * test_ctx_fpmode.c — the floating-point control state (rounding mode)
 * belongs to each task: x86-64's MXCSR, AArch64's FPCR (issue 13 item 11).
 * A task that changes its rounding mode must not change the loop thread's,
 * and finds its own again after a yield. On x86-64 this checks MXCSR (also
 * covered by test_ctx.c at the context level); on AArch64 it is the
 * regression test for FPCR, which the switch did not save (it cannot run on
 * the x86-64 development machine).
 */
#include "helpers.h"

#include "loop_task.h"

#if defined(__x86_64__) || defined(__aarch64__)

/* The rounding-mode bits, read and written directly (no libm needed). */
static unsigned get_mode(void)
{
#if defined(__x86_64__)
    unsigned mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    return (mxcsr >> 13) & 3;
#else
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    return (unsigned)(fpcr >> 22) & 3;
#endif
}

static void set_mode(unsigned mode)
{
#if defined(__x86_64__)
    unsigned mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    mxcsr = (mxcsr & ~(3u << 13)) | (mode << 13);
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
#else
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = (fpcr & ~(3ul << 22)) | ((unsigned long)mode << 22);
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#endif
}

static unsigned seen_at_start, seen_after_yield;

static intptr_t rounding_task(void *arg)
{
    (void)arg;
    seen_at_start = get_mode();
    set_mode(1);
    loop_yield();
    seen_after_yield = get_mode();
    set_mode(0);
    return 0;
}

static void check_mode_on_loop_thread(loop_timer_t *t)
{
    /* runs between the task's two steps */
    cr_assert_eq(get_mode(), 2, "the task's rounding mode leaked into the loop thread");
    loop_handle_close(LOOP_HANDLE(t), NULL);
}

Test(ctx_fpmode, a_task_keeps_its_rounding_mode_and_leaks_none, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t;
    set_mode(2);
    loop_task_t *task = loop_spawn(loop, rounding_task, NULL, "rounding");
    cr_assert_not_null(task);
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, check_mode_on_loop_thread, 0, 0), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(get_mode(), 2, "the task's rounding mode leaked after it ended");
    set_mode(0);
    cr_assert_eq(seen_at_start, 2, "a new task starts with its creator's mode");
    cr_assert_eq(seen_after_yield, 1, "the task lost its own rounding mode across a yield");
    finish_loop(loop);
}

#endif
