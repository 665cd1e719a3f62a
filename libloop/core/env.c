/*
 * env.c — the LOOP_* environment variables read when a loop is created.
 *   LOOP_DEBUG=1     debug mode
 *   LOOP_SLOW_MS=N   slow callback threshold in ms
 *   LOOP_STALL_MS=N  start the stall watchdog with this threshold (watchdog.c;
 *                    500 in debug mode)
 *   LOOP_MONITOR=1   start the monitor on its default socket path (monitor.c)
 *   LOOP_MONITOR=/p  ... on the socket path /p
 *   LOOP_DUMP_SIGNAL=USR1  that signal prints every loop's tables to stderr
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "record/record.h"

static bool env_flag(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end;
    long n;

    if (v == NULL || *v == '\0') {
        return dflt;
    }
    n = strtol(v, &end, 10);
    if (*end != '\0' || n <= 0) {
        loop_log(LOOP_LOG_WARN, "Ignoring %s=\"%s\": not a positive number", name, v);
        return dflt;
    }
    return n;
}

static void env_watchdog(loop_t *loop)
{
    long ms = env_long("LOOP_STALL_MS", loop->debug ? 500 : 0);
    int rc;

    if (ms <= 0) {
        return;
    }
    rc = loop_watchdog_start(loop, (uint64_t)ms);
    if (rc < 0) {
        loop_log(LOOP_LOG_WARN, "LOOP_STALL_MS=%ld: the watchdog did not start: %s", ms,
                 loop_strerror(rc));
    }
}

static void env_monitor(loop_t *loop)
{
    const char *v = getenv("LOOP_MONITOR");
    int rc;

    if (v == NULL || *v == '\0' || strcmp(v, "0") == 0) {
        return;
    }
    rc = loop_monitor_start(loop, strcmp(v, "1") == 0 ? NULL : v);
    if (rc < 0) {
        loop_log(LOOP_LOG_WARN, "LOOP_MONITOR=%s: the monitor did not start: %s", v,
                 loop_strerror(rc));
    }
}

static void on_dump_signal(loop_signal_t *s, int signum)
{
    (void)signum;
    loop_dump(s->handle.loop, stderr);
}

/* LOOP_DUMP_SIGNAL=USR1 (or SIGUSR1, or a number): that signal dumps the tables. */
static void env_dump_signal(loop_t *loop)
{
    const char *v = getenv("LOOP_DUMP_SIGNAL");
    int signum = 0;

    if (v == NULL || *v == '\0') {
        return;
    }
    if (strncmp(v, "SIG", 3) == 0) {
        v += 3;
    }
    if (strcmp(v, "USR1") == 0) {
        signum = SIGUSR1;
    } else if (strcmp(v, "USR2") == 0) {
        signum = SIGUSR2;
    } else if (strcmp(v, "QUIT") == 0) {
        signum = SIGQUIT;
    } else {
        signum = atoi(v);
    }
    if (signum <= 0 || signum > 64 || signum == SIGKILL || signum == SIGSTOP ||
        loop__signal_start_internal(loop, &loop->dump_signal, on_dump_signal, signum) < 0) {
        loop_log(LOOP_LOG_WARN, "LOOP_DUMP_SIGNAL=%s: not a signal libloop can watch", v);
    }
}

void loop__env_init(loop_t *loop)
{
    loop_set_debug(loop, env_flag("LOOP_DEBUG"));
    loop_set_slow_callback_ms(loop, (uint64_t)env_long("LOOP_SLOW_MS", 100));
    env_watchdog(loop);
    env_monitor(loop);
    env_dump_signal(loop);
    loop__rr_env_init(loop);
}
