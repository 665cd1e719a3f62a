/*
 * test_debug_mem.c — debug mode keeps a creation backtrace per live object
 * and drops it when the object goes: finished work items, closed handles,
 * turning debug mode off. Counted with the live-backtrace counter, so a leak
 * of one entry per item fails (200,000 work items used to keep 33 MB).
 */
#include "helpers.h"

#include "core/internal.h"

#define NWORK 2000

static int done;

static void work_fn(loop_work_t *w)
{
    (void)w;
}

static void work_done(loop_work_t *w, int status)
{
    (void)status;
    done++;
    if (done < NWORK) {
        cr_assert_eq(loop_work_submit(w->handle.loop, w, work_fn, work_done), 0);
    }
}

Test(debug_mem, finished_work_items_drop_their_creation_backtrace, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_work_t w;
    cr_assert_eq(loop_set_debug(loop, 1), 0);
    size_t before = loop__debug_backtrace_count(loop);
    memset(&w, 0, sizeof w);
    cr_assert_eq(loop_work_submit(loop, &w, work_fn, work_done), 0);
    cr_assert_eq(loop__debug_backtrace_count(loop), before + 1, "one while it is in flight");
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(done, NWORK);
    size_t after = loop__debug_backtrace_count(loop);
    cr_assert_eq(after, before, "%zu creation backtraces kept after %d work items",
                 after - before, NWORK);
    finish_loop(loop);
}

Test(debug_mem, closed_handles_drop_theirs_and_debug_off_drops_all, .timeout = 30)
{
    loop_t *loop = new_loop();
    loop_timer_t t[10];
    cr_assert_eq(loop_set_debug(loop, 1), 0);
    size_t before = loop__debug_backtrace_count(loop);
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(loop_timer_init(loop, &t[i]), 0);
    }
    cr_assert_eq(loop__debug_backtrace_count(loop), before + 10);
    for (int i = 0; i < 5; i++) {
        loop_handle_close(LOOP_HANDLE(&t[i]), NULL);
    }
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(loop__debug_backtrace_count(loop), before + 5);
    /* the close path drops a backtrace only in debug mode: off drops them all */
    cr_assert_eq(loop_set_debug(loop, 0), 0);
    cr_assert_eq(loop__debug_backtrace_count(loop), 0);
    for (int i = 5; i < 10; i++) {
        loop_handle_close(LOOP_HANDLE(&t[i]), NULL);
    }
    finish_loop(loop);
}
