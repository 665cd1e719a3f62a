/*
 * test_env.c — the LOOP_* environment variables: one parser refuses bad
 * values with one line naming the variable and uses the default; 0 turns
 * the watchdog off; a negative or non-numeric chaos lateness never hangs
 * the loop. (Criterion runs each test in its own process, so setenv stays
 * in the test.)
 */
#include "helpers.h"

#include "core/internal.h"
#include "record/record.h"

static int count_lines_with(const char *needle)
{
    struct log_capture *c = log_capture();
    int n = 0;
    pthread_mutex_lock(&c->mu);
    for (const char *p = c->buf; (p = strstr(p, needle)) != NULL; p += strlen(needle)) {
        n++;
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}

Test(env, the_parser_takes_whole_numbers_in_range_only, .timeout = 10)
{
    static const struct {
        const char *v;
        int rc;
        long want;
    } cases[] = {
        {"", 0, 7},       {"0", 0, 0},      {"42", 0, 42},    {"+5", 0, 5},
        {"-1", -EINVAL, 7}, {"abc", -EINVAL, 7}, {"5ms", -EINVAL, 7}, {" 5", -EINVAL, 7},
        {"101", -EINVAL, 7}, {"99999999999999999999999", -EINVAL, 7}, {"0x10", -EINVAL, 7},
        {"100", 0, 100},
    };
    capture_logs();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long out = -99;
        cr_assert_eq(setenv("LOOP_TEST_KNOB", cases[i].v, 1), 0);
        int rc = loop__env_long("LOOP_TEST_KNOB", 0, 100, 7, &out);
        cr_assert_eq(rc, cases[i].rc, "\"%s\": rc %d", cases[i].v, rc);
        cr_assert_eq(out, cases[i].want, "\"%s\": %ld", cases[i].v, out);
    }
    unsetenv("LOOP_TEST_KNOB");
    long out = -99;
    cr_assert_eq(loop__env_long("LOOP_TEST_KNOB", 0, 100, 7, &out), 0);
    cr_assert_eq(out, 7, "unset: the default");
    /* one line for the variable, however many bad values it had */
    cr_assert_eq(count_lines_with("LOOP_TEST_KNOB=\"-1\" refused: not a whole number in 0..100; "
                                  "using 7"),
                 1, "%s", log_capture()->buf);
    cr_assert_eq(count_lines_with("LOOP_TEST_KNOB="), 1, "%s", log_capture()->buf);
}

Test(env, flags_and_signals_refuse_what_they_do_not_know, .timeout = 10)
{
    int sig = -1;
    capture_logs();
    setenv("LOOP_TEST_FLAG", "yes", 1);
    cr_assert(loop__env_flag("LOOP_TEST_FLAG"));
    setenv("LOOP_TEST_FLAG", "0", 1);
    cr_assert(!loop__env_flag("LOOP_TEST_FLAG"));
    setenv("LOOP_TEST_FLAG", "maybe", 1);
    cr_assert(!loop__env_flag("LOOP_TEST_FLAG"));
    cr_assert_eq(count_lines_with("LOOP_TEST_FLAG=\"maybe\" refused"), 1, "%s",
                 log_capture()->buf);

    setenv("LOOP_TEST_SIG", "USR2", 1);
    cr_assert_eq(loop__env_signal("LOOP_TEST_SIG", 0, &sig), 0);
    cr_assert_eq(sig, SIGUSR2);
    setenv("LOOP_TEST_SIG", "SIGRTMIN+3", 1);
    cr_assert_eq(loop__env_signal("LOOP_TEST_SIG", 0, &sig), 0);
    cr_assert_eq(sig, SIGRTMIN + 3);
    setenv("LOOP_TEST_SIG", "10", 1);
    cr_assert_eq(loop__env_signal("LOOP_TEST_SIG", 0, &sig), 0);
    cr_assert_eq(sig, 10);
    const char *bad[] = {"KILL", "STOP", "SEGV", "0", "65", "USR3", "RTMIN+99", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("LOOP_TEST_SIG", bad[i], 1);
        cr_assert_eq(loop__env_signal("LOOP_TEST_SIG", 5, &sig), -EINVAL, "%s", bad[i]);
        cr_assert_eq(sig, 5, "%s: the default", bad[i]);
    }
    cr_assert_eq(count_lines_with("LOOP_TEST_SIG=\"KILL\" refused"), 1, "%s",
                 log_capture()->buf);
}

Test(env, stall_ms_0_turns_the_watchdog_off_even_in_debug_mode, .timeout = 10)
{
    capture_logs();
    setenv("LOOP_DEBUG", "1", 1);
    loop_t *on = new_loop();
    cr_assert_not_null(on->watchdog, "debug mode starts the watchdog (the control)");
    setenv("LOOP_STALL_MS", "0", 1);
    loop_t *off = new_loop();
    cr_assert_null(off->watchdog, "LOOP_STALL_MS=0 did not turn the watchdog off");
    cr_assert_eq(count_lines_with("LOOP_STALL_MS"), 0, "0 is accepted: %s", log_capture()->buf);
    finish_loop(on);
    finish_loop(off);
}

Test(env, a_bad_stall_ms_is_refused_with_one_line, .timeout = 10)
{
    capture_logs();
    setenv("LOOP_STALL_MS", "soon", 1);
    loop_t *a = new_loop();
    loop_t *b = new_loop();
    cr_assert_null(a->watchdog, "the default (off) is used");
    cr_assert_eq(count_lines_with("LOOP_STALL_MS=\"soon\" refused"), 1, "%s",
                 log_capture()->buf);
    finish_loop(a);
    finish_loop(b);
}

static int ticks;

static void tick(loop_timer_t *t)
{
    if (++ticks == 5) {
        loop_handle_close(LOOP_HANDLE(t), NULL);
    }
}

/* Under chaos, a 1 ms repeating timer ticks 5 times and the loop ends. */
static void run_chaos_ticks(loop_t *loop)
{
    loop_timer_t t;
    ticks = 0;
    cr_assert_eq(loop_timer_init(loop, &t), 0);
    cr_assert_eq(loop_timer_start(&t, tick, 1, 1), 0);
    cr_assert_eq(loop_run(loop, LOOP_RUN_DEFAULT), 0);
    cr_assert_eq(ticks, 5);
}

Test(env, a_negative_chaos_lateness_is_refused_and_never_hangs, .timeout = 10)
{
    capture_logs();
    setenv("LOOP_CHAOS", "7", 1);
    setenv("LOOP_CHAOS_LATE_MS", "-1", 1);
    loop_t *loop = new_loop();
    cr_assert_not_null(loop->rr);
    cr_assert_eq(loop->rr->late_max_ns, 80 * MS_NS, "late %llu ns",
                 (unsigned long long)loop->rr->late_max_ns);
    cr_assert_eq(count_lines_with("LOOP_CHAOS_LATE_MS=\"-1\" refused"), 1, "%s",
                 log_capture()->buf);
    run_chaos_ticks(loop);
    finish_loop(loop);
}

Test(env, a_non_numeric_chaos_lateness_is_refused_not_zero, .timeout = 10)
{
    capture_logs();
    setenv("LOOP_CHAOS", "7", 1);
    setenv("LOOP_CHAOS_LATE_MS", "abc", 1);
    loop_t *loop = new_loop();
    cr_assert_not_null(loop->rr);
    cr_assert_eq(loop->rr->late_max_ns, 80 * MS_NS, "silently 0: late %llu ns",
                 (unsigned long long)loop->rr->late_max_ns);
    cr_assert_eq(count_lines_with("LOOP_CHAOS_LATE_MS=\"abc\" refused"), 1, "%s",
                 log_capture()->buf);
    run_chaos_ticks(loop);
    finish_loop(loop);
}

Test(env, pool_size_and_slow_ms_refuse_bad_values, .timeout = 10)
{
    capture_logs();
    setenv("LOOP_SLOW_MS", "0", 1);
    setenv("LOOP_DEBUG", "maybe", 1);
    loop_t *loop = new_loop();
    cr_assert_eq(count_lines_with("LOOP_SLOW_MS=\"0\" refused"), 1, "%s", log_capture()->buf);
    cr_assert_eq(count_lines_with("LOOP_DEBUG=\"maybe\" refused"), 1, "%s", log_capture()->buf);
    cr_assert_eq(loop->debug, 0);
    cr_assert_eq(loop->slow_ns, 100 * MS_NS);
    setenv("LOOP_THREADPOOL_SIZE", "lots", 1);
    long n;
    cr_assert_eq(loop__env_long("LOOP_THREADPOOL_SIZE", 1, 256, 4, &n), -EINVAL);
    finish_loop(loop);
}

Test(env, choices_refuse_unknown_words, .timeout = 10)
{
    static const char *const modes[] = {"stop", "continue", NULL};
    capture_logs();
    unsetenv("LOOP_TEST_MODE");
    cr_assert_eq(loop__env_choice("LOOP_TEST_MODE", modes, 0), 0);
    setenv("LOOP_TEST_MODE", "continue", 1);
    cr_assert_eq(loop__env_choice("LOOP_TEST_MODE", modes, 0), 1);
    setenv("LOOP_TEST_MODE", "contiue", 1);
    cr_assert_eq(loop__env_choice("LOOP_TEST_MODE", modes, 0), 0);
    cr_assert_eq(count_lines_with("LOOP_TEST_MODE=\"contiue\" refused: not one of stop, "
                                  "continue; using stop"),
                 1, "%s", log_capture()->buf);
}
